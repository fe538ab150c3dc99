"""Issue 15 item 11: the shipped compose file runs Redis with a password and holds no placeholder secrets."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[3] / "docker" / "compose.yaml"
REQUIRED_VAR = re.compile(r"\$\{(?P<name>[A-Z_]+):\?[^}]*\}")


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_redis_requires_a_password_from_the_environment():
    # The image (docker/services.Dockerfile, target redis) starts redis-server --requirepass "$LENSDESK_REDIS_PASSWORD".
    redis = load()["services"]["redis"]
    assert REQUIRED_VAR.fullmatch(redis["environment"]["LENSDESK_REDIS_PASSWORD"])
    dockerfile = (COMPOSE.parent / "services.Dockerfile").read_text()
    assert '--requirepass \\"$LENSDESK_REDIS_PASSWORD\\"' in dockerfile
    for name in ("lensdesk-a", "lensdesk-b"):
        env = load()["services"][name]["environment"]
        assert re.match(r"redis://:\$\{LENSDESK_REDIS_PASSWORD:\?[^}]*\}@", env["LENSDESK_REDIS_URL"]), env


def test_every_secret_is_required_from_the_environment():
    secrets_found = 0
    for name, service in load()["services"].items():
        env = service.get("environment", {})
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET|KEY", key):
                secrets_found += 1
                assert REQUIRED_VAR.fullmatch(str(value)), (name, key, value)
            if key.endswith("_URL") and "@" in str(value):  # credentials inside a URL
                assert REQUIRED_VAR.search(str(value)) or ":?}" in str(value), (name, key, value)
        for part in service.get("command", []):
            if "secret" in part or "pass" in part:
                assert "${" in part or part.startswith("--"), (name, part)
    assert secrets_found >= 3
    text = COMPOSE.read_text().lower()
    assert "change-me" not in text and "password: lensdesk" not in text and "lensdesk:lensdesk@" not in text
