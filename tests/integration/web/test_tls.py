"""lensdesk serves HTTPS itself when given a certificate (phones only give cameras to secure pages)."""

from __future__ import annotations

import datetime
import json
import ssl
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.sync.client import connect

from testkit.servers import free_port, running_server


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_https_and_wss(tmp_path: Path, monkeypatch):
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {"LENSDESK_TLS_CERT_FILE": str(cert), "LENSDESK_TLS_KEY_FILE": str(key)}
    def https_get(url: str, **kw: object) -> httpx.Response:
        with httpx.Client(verify=False) as client:
            return client.get(url.replace("http://", "https://"), **kw)  # type: ignore[arg-type]

    # testkit.servers polls http://.../healthz; point it at https
    monkeypatch.setattr(httpx, "get", https_get)
    with running_server(tmp_path / "data", port=port, env=env) as server:
        base = f"https://127.0.0.1:{port}"
        health = https_get(base + "/healthz")
        assert health.status_code == 200
        assert health.headers["strict-transport-security"].startswith("max-age=")  # HSTS when serving TLS
        assert "technician console: https://" in server.log()
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with connect(f"wss://127.0.0.1:{port}/ws", ssl=context, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "ping"}))
            assert json.loads(ws.recv(timeout=5))["code"] == "not_joined"
