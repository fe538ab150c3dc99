"""The `lensdesk` command: serve, issue a technician token, analyze media."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import socket
import sys

from .data_dir import restrict_new_files
from .settings import Settings

# The largest WebSocket frame uvicorn reads; a larger one closes the socket with 1009 (message too big). Messages under
# it and over Settings.ws_max_message_bytes get the protocol's own `too_large` error and the socket goes on.
WS_MAX_FRAME_BYTES = 1 << 20

log = logging.getLogger(__name__)
DRAIN_S = 15.0  # bound on telling participants to move and finalising calls at a stop


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
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=args.log_level,
                            ws_max_size=WS_MAX_FRAME_BYTES, ws_ping_interval=20, ws_ping_timeout=20,
                            ssl_certfile=settings.tls_cert_file or None, ssl_keyfile=settings.tls_key_file or None,
                            timeout_graceful_shutdown=10)

    class DrainingServer(uvicorn.Server):
        """On SIGTERM, drain (claims given up, participants told to reconnect) before connections are closed."""

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await asyncio.wait_for(app.state.drain(), DRAIN_S)
            except Exception:
                log.exception("drain did not complete; stopping anyway")
            await super().shutdown(sockets)

    server = DrainingServer(config)

    def request_exit() -> None:
        """`lensdesk drain`: stop as on SIGTERM (the same shutdown, whose drain then finds the work done), exit 0."""
        server.should_exit = True

    app.state.request_exit = request_exit
    server.run()
    return 0


def _drain(args: argparse.Namespace) -> int:
    """Ask a running node to drain and stop; wait until it has exited (or the bound has passed)."""
    import time

    import httpx

    from .admin import admin_credential

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    url = (args.url or settings.base_url).rstrip("/")
    headers = {"Authorization": f"Bearer {admin_credential(settings.resolved_secret())}"}
    try:
        reply = httpx.post(f"{url}/admin/drain", params={"grace_s": args.grace}, headers=headers, timeout=10,
                           verify=not args.insecure)
    except httpx.HTTPError as exc:
        print(f"error: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    if reply.status_code != 202:
        print(f"error: {url} refused the drain ({reply.status_code}): {reply.text}", file=sys.stderr)
        return 1
    print(f"{url} is draining (grace {args.grace:.0f} s)", flush=True)
    bound_s = args.grace + DRAIN_S + 15  # the node's own bound, plus its shutdown
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=1, verify=not args.insecure)
        except httpx.HTTPError:
            print(f"{url} has stopped", flush=True)
            return 0
        time.sleep(0.2)
    print(f"error: {url} still answers after {bound_s:.0f} s", file=sys.stderr)
    return 1


def _token(args: argparse.Namespace) -> int:
    from .app import token_service

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    tokens = token_service(settings)
    if args.technician_id == "revoke":
        if not args.target:
            print("usage: lensdesk token revoke <token or token id>", file=sys.stderr)
            return 2
        return _revoke(settings, args.target)
    if args.target:
        print("error: 'lensdesk token ID' takes one technician id (or: lensdesk token revoke ...)", file=sys.stderr)
        return 2
    from signaling.tokens import Role

    print(tokens.issue_staff(Role(args.role), args.technician_id, args.name or args.technician_id))
    return 0


def _revoke(settings: Settings, target: str) -> int:
    """Revoke a token (with its refreshes and rejoin tokens) on every node: stored, and published on Redis."""
    import asyncio
    import re
    import time

    from nodesync.revocations import Revoker
    from signaling.bus import RedisBus
    from signaling.revocation import Revocation
    from signaling.tokens import TokenError
    from tickets.store import TicketStore

    from .app import token_service

    tokens = token_service(settings)
    if "." in target:
        try:
            claims = tokens.inspect(target)
        except TokenError:
            print("error: that is not a token this server issued (wrong LENSDESK_SECRET_KEY?)", file=sys.stderr)
            return 2
        family, until = claims.family, claims.not_after
    elif re.fullmatch(r"[A-Za-z0-9_-]{1,64}", target):
        family, until = target, time.time() + tokens.longest_lifetime_s
    else:
        print("error: give a token or a token id (jti)", file=sys.stderr)
        return 2

    async def run() -> None:
        store = TicketStore(settings.resolved_database_url, settings.data_dir.resolve())
        bus = RedisBus(settings.redis_url) if settings.redis_url else None
        try:
            await store.migrate()
            await Revoker(store, tokens, bus).revoke(Revocation("token", family, until, "revoked"), actor="cli")
        finally:
            if bus is not None:
                await bus.close()
            await store.close()

    asyncio.run(run())
    print(f"revoked token family {family} on every node")
    return 0


def _check_orphans(args: argparse.Namespace) -> int:
    """Report (or remove) files in the data folder the database does not know; exit 1 if any were found."""
    import asyncio

    from tickets.store import TicketStore

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))

    async def run() -> list[str]:
        store = TicketStore(settings.resolved_database_url, settings.data_dir.resolve(), settings.at_rest_key())
        try:
            await store.migrate()
            await store.lifecycle.resume()  # an interrupted erase is finished, not reported as orphans
            found = await store.lifecycle.orphans(min_age_s=args.min_age)
            if args.delete:
                for path in found:
                    await asyncio.to_thread(path.unlink, missing_ok=True)
            return [str(p) for p in found]
        finally:
            await store.close()

    found = asyncio.run(run())
    for path in found:
        print(path)
    print(f"{len(found)} file(s) the database does not know{' (removed)' if args.delete and found else ''}",
          file=sys.stderr)
    return 1 if found and not args.delete else 0


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
    token = sub.add_parser("token", help="print a staff sign-in token (technician by default, or --role reviewer / "
                                         "supervisor), or revoke one: lensdesk token revoke TOKEN|ID")
    token.add_argument("technician_id", help="staff member to issue a token for, or 'revoke'")
    token.add_argument("--role", choices=["technician", "reviewer", "supervisor"], default="technician",
                       help="what the token may do (see docs/security.md, Roles)")
    token.add_argument("target", nargs="?", help="with 'revoke': the token, or its id (jti), to revoke")
    token.add_argument("--name", default="")
    token.add_argument("--data-dir")
    token.set_defaults(func=_token)
    drain = sub.add_parser("drain", help="drain a running node (no new rooms, calls moved) and stop it")
    drain.add_argument("--url", help="the node's base URL (default: this machine's LENSDESK_HOST/PORT)")
    drain.add_argument("--grace", type=float, default=0.0,
                       help="seconds running calls may go on before their participants are moved (default 0)")
    drain.add_argument("--data-dir", help="where the node's secret key is (if not in LENSDESK_SECRET_KEY)")
    drain.add_argument("--insecure", action="store_true", help="do not verify the node's TLS certificate")
    drain.set_defaults(func=_drain)
    orphans = sub.add_parser("check-orphans", help="list files in the data folder that no database row knows")
    orphans.add_argument("--data-dir")
    orphans.add_argument("--delete", action="store_true", help="remove them too")
    orphans.add_argument("--min-age", type=float, default=3600.0,
                         help="only files older than this many seconds (default 3600: not a write in progress)")
    orphans.set_defaults(func=_check_orphans)
    from . import examples, reanalysis_cli, stickers_cli
    examples.add_parser(sub)
    stickers_cli.add_parser(sub)
    reanalysis_cli.add_parser(sub)
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
