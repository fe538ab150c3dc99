"""Issue 15 item 10: `lensdesk serve` prints a console link on loopback, and no token ever reaches its log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from signaling.tokens import TokenService
from testkit.servers import free_port


def test_serve_prints_the_console_link_once_and_logs_no_token(tmp_path: Path):
    port, secret = free_port(), "serve-secret-" + "s" * 32
    env = {**os.environ, "LENSDESK_HOST": "127.0.0.1", "LENSDESK_PORT": str(port),
           "LENSDESK_DATA_DIR": str(tmp_path / "data"), "LENSDESK_SECRET_KEY": secret}
    out, err = (tmp_path / "stdout").open("wb"), (tmp_path / "stderr").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "lensdesk.cli", "serve"], env=env, stdout=out, stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = TokenService(secret).issue_technician("tech-1", "T")
        # A percent-encoded parameter name still authenticates (the server decodes it) ...
        assert httpx.get(f"{url}/api/me?tok%65n={token}").status_code == 401  # ... but not on JSON routes
        assert httpx.get(f"{url}/metrics?tok%65n={token}").status_code == 200
        assert httpx.get(f"{url}/metrics?token={token}&x=1").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out.close()
        err.close()
    stdout, stderr = (tmp_path / "stdout").read_text(), (tmp_path / "stderr").read_text()
    console = [line for line in stdout.splitlines() if line.startswith("technician console: ")]
    assert len(console) == 1 and "/console#token=ey" in console[0], stdout
    printed = console[0].split("#token=", 1)[1]
    assert TokenService(secret).verify(printed).subject == "tech-local"
    everything_else = stderr + "\n".join(line for line in stdout.splitlines() if line not in console)
    assert "GET /metrics?tok%65n=[redacted]" in everything_else, everything_else
    assert token not in everything_else and printed not in everything_else
    assert "eyJ" not in everything_else
