"""Hammer every unauthenticated HTTP endpoint of a lensdesk server (loopback only), from its own process.

    python -m tests.integration.web.hammer URL SECONDS THREADS MAX_REQUESTS
Prints one JSON line: requests sent and status counts."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx

LONG_LINK = "http://127.0.0.1/join#token=" + "x" * 2000
ENDPOINTS: list[tuple[str, str, dict[str, object]]] = [
    ("GET", "/", {}), ("GET", "/console", {}), ("GET", "/join", {}), ("GET", "/review", {}),
    ("GET", "/healthz", {}), ("GET", "/api/public/config", {}), ("GET", "/static/console.js", {}),
    ("GET", "/static/call.js", {}), ("GET", "/static/style.css", {}),
    ("GET", "/api/qr.svg", {"params": {"text": LONG_LINK}}), ("POST", "/api/qr.svg", {"json": {"text": LONG_LINK}}),
    ("GET", "/metrics", {}), ("GET", "/openapi.json", {}), ("GET", "/docs", {}),
    ("POST", "/api/tickets", {"json": {"title": "x" * 200}}), ("GET", "/api/tickets", {"params": {"token": "x"}}),
    ("GET", "/api/recordings/r1/file", {"headers": {"Range": "bytes=1-"}}),
]


def main() -> int:
    url, seconds, threads, max_requests = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    host = urlsplit(url).hostname or ""
    if not (host.startswith("127.") or host == "::1"):
        raise SystemExit("loopback only")
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def worker(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            i = offset
            while time.monotonic() < deadline:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                method, path, kw = ENDPOINTS[i % len(ENDPOINTS)]
                i += 1
                try:
                    status = client.request(method, path, **kw).status_code  # type: ignore[arg-type]
                except httpx.HTTPError:
                    status = 0
                with lock:
                    statuses[status] += 1

    pool = [threading.Thread(target=worker, args=(n * 5,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"requests": sum(statuses.values()), "statuses": dict(statuses)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
