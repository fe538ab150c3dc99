"""A lensdesk server for the capacity bench, with either media pipeline (run as a separate process).

    python bench/capacity_server.py --pipeline lensdesk|stock --port P --data-dir D
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402

from lensdesk.app import create_app  # noqa: E402
from lensdesk.settings import Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipeline", choices=["lensdesk", "stock"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    stock = args.pipeline == "stock"
    # Media on loopback only: host candidates on 127.0.0.1, and the synthetic clients' loopback candidates allowed.
    settings = Settings(host="127.0.0.1", port=args.port, data_dir=data_dir, secret_key=args.secret,
                        recording_enabled=not stock, ice_host_addresses=["127.0.0.1"],
                        ice_allowed_cidrs=["127.0.0.1/32"])
    factory = None
    if stock:
        from bench.stock_pipeline import StockCallMedia

        def factory(session_id: str):
            return StockCallMedia(session_id, data_dir / "stock-recordings")
    app = create_app(settings, media_factory=factory)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
