"""The `lensdesk` command: serve, issue a technician token, analyze media."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys

from .data_dir import restrict_new_files
from .settings import Settings


def on_loopback(host: str) -> bool:
    """True if the server is bound to a loopback address only (then a console link may be printed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from signaling.tokens import TokenService

    from .app import create_app

    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "data_dir": args.data_dir}.items() if v}
    settings = Settings(**overrides)
    if bool(settings.tls_cert_file) != bool(settings.tls_key_file):
        print("error: set both LENSDESK_TLS_CERT_FILE and LENSDESK_TLS_KEY_FILE, or neither", file=sys.stderr)
        return 2
    app = create_app(settings)
    # The console link carries a technician token: printed to the terminal (never logged), and only when nobody
    # else can reach the server anyway; otherwise issue one with `lensdesk token`.
    print(f"lensdesk serving on {settings.base_url}", flush=True)
    if on_loopback(settings.host):
        tokens = TokenService(settings.resolved_secret(), settings.technician_token_ttl_s, settings.join_token_ttl_s)
        console = f"{settings.base_url}/console#token={tokens.issue_technician('tech-local', 'Technician')}"
        print(f"technician console: {console}", flush=True)
    else:
        print(f"technician console: {settings.base_url}/console (sign in with a token from `lensdesk token ID`)",
              flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level, ws_max_size=1 << 20,
                ws_ping_interval=20, ws_ping_timeout=20, ssl_certfile=settings.tls_cert_file or None,
                ssl_keyfile=settings.tls_key_file or None, timeout_graceful_shutdown=10)
    return 0


def _token(args: argparse.Namespace) -> int:
    from signaling.tokens import TokenService

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    tokens = TokenService(settings.resolved_secret(), settings.technician_token_ttl_s, settings.join_token_ttl_s)
    print(tokens.issue_technician(args.technician_id, args.name or args.technician_id))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="lensdesk", description="Real-time video support and remote diagnosis.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP/WebSocket server (settings from LENSDESK_* env vars)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)
    token = sub.add_parser("token", help="print a technician token")
    token.add_argument("technician_id")
    token.add_argument("--name", default="")
    token.add_argument("--data-dir")
    token.set_defaults(func=_token)
    from . import examples
    examples.add_parser(sub)
    try:
        from . import analyze
        analyze.add_parser(sub)
    except ImportError:
        pass
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    restrict_new_files()  # whatever a command writes (data dir, exports, snapshots) is owner-only from creation
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
