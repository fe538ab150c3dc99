"""docker/compose.yaml: loopback only, health-gated start, restarts, secrets from the environment, coturn wired in."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[3] / "docker"


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_every_service_restarts_and_starts_after_healthy_dependencies():
    services = compose()["services"]
    assert set(services) == {"redis", "postgres", "coturn", "lensdesk-a", "lensdesk-b", "haproxy"}
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
    assert set(services["lensdesk-a"]["depends_on"]) == {"redis", "postgres", "coturn"}
    assert set(services["haproxy"]["depends_on"]) == {"lensdesk-a", "lensdesk-b"}


def test_published_ports_are_on_loopback_and_host_networked_services_bind_it():
    services = compose()["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        if service.get("network_mode") == "host":
            assert "ports" not in service
    assert "--listening-ip=127.0.0.1" in services["coturn"]["environment"]["TURN_ARGS"]
    assert services["lensdesk-a"]["environment"]["LENSDESK_HOST"] == "127.0.0.1"
    assert 'bind "127.0.0.1:' in (DOCKER / "haproxy.cfg").read_text()


def test_secrets_come_from_the_environment_and_coturn_is_in_the_nodes_ice_settings():
    text = (DOCKER / "compose.yaml").read_text()
    for secret in ("LENSDESK_SECRET_KEY", "LENSDESK_REDIS_PASSWORD", "LENSDESK_DB_PASSWORD", "LENSDESK_TURN_SECRET"):
        assert re.search(r"\$\{" + secret + r":\?", text), secret  # required, no default
    node = compose()["services"]["lensdesk-b"]["environment"]
    assert node["LENSDESK_TURN_URLS"].startswith('["turn:127.0.0.1:')
    assert node["LENSDESK_TURN_SECRET"].startswith("${LENSDESK_TURN_SECRET")


def test_images_run_as_unprivileged_users_with_health_checks():
    for dockerfile in ("Dockerfile", "services.Dockerfile"):
        stages = re.split(r"^FROM ", (DOCKER / dockerfile).read_text(), flags=re.M)[1:]
        for stage in stages:
            assert re.search(r"^USER (?!root)\w+", stage, flags=re.M), stage.splitlines()[0]
            assert "HEALTHCHECK" in stage, stage.splitlines()[0]
