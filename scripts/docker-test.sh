#!/usr/bin/env bash
# `make docker-test`: build lensdesk's images without any image registry, bring up docker/compose.yaml (two nodes,
# Redis, PostgreSQL, coturn, HAProxy), run a synthetic cross-node call that must end in a finding, tear it all down.
#   scripts/docker-test.sh               the whole test
#   scripts/docker-test.sh --build-only  only the images (then run the stack yourself, see README "Docker")
# Root (or sudo) for apt/dockerd. Installs docker.io, docker-compose and debootstrap if missing, starts dockerd if
# it is not running. Everything the stack listens on is bound to 127.0.0.1; secrets are generated per run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Debian's docker client and compose (a statically linked docker elsewhere in PATH may be a different version).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# 1. Tools.
missing=()
for pkg in docker.io docker-compose debootstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! $SUDO docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: /var/tmp/lensdesk-dockerd.log)"
  $SUDO sh -c 'nohup dockerd >/var/tmp/lensdesk-dockerd.log 2>&1 &'
  for _ in $(seq 60); do $SUDO docker info >/dev/null 2>&1 && break; sleep 1; done
  $SUDO docker info >/dev/null
fi
DOCKER="$SUDO docker"

# 2. Images: the Debian 12 base (debootstrap, cached), the services, and lensdesk from a host-built wheelhouse.
$SUDO bash scripts/docker-base.sh lensdesk/debian:bookworm
for target in redis postgres coturn haproxy; do
  $DOCKER build -q --network host -f docker/services.Dockerfile --target "$target" -t "lensdesk/$target" docker
done
context=$(mktemp -d /var/tmp/lensdesk-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
wheels=/var/tmp/lensdesk-wheels  # kept between runs: only lensdesk itself is rebuilt each time
echo "building the wheelhouse (lensdesk and its dependencies) in $wheels"
# async-timeout: redis needs it on the image's Python 3.11.2 (a marker the host's newer 3.11 skips).
"$ROOT/.venv/bin/pip" wheel -q -w "$wheels" "$ROOT[postgres]" 'async-timeout>=4.0.3' 2>"$context/pip.log" \
  || { cat "$context/pip.log"; exit 1; }
cp -r "$wheels" "$context/wheels"
cp docker/Dockerfile "$context/Dockerfile"
$DOCKER build -q --network host -t lensdesk/lensdesk "$context"
echo "images built: $($DOCKER images --format '{{.Repository}}' | grep '^lensdesk/' | sort | tr '\n' ' ')"
[ "${1:-}" = "--build-only" ] && exit 0

# 3. The stack, on free loopback ports, with fresh secrets.
free_port() { "$ROOT/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export LENSDESK_SECRET_KEY=$(openssl rand -hex 32) LENSDESK_REDIS_PASSWORD=$(openssl rand -hex 24) \
  LENSDESK_DB_PASSWORD=$(openssl rand -hex 24) LENSDESK_TURN_SECRET=$(openssl rand -hex 32)
export LB_PORT=$(free_port) NODE_A_PORT=$(free_port) NODE_B_PORT=$(free_port) REDIS_PORT=$(free_port) \
  PG_PORT=$(free_port) TURN_PORT=$(free_port)
export LENSDESK_PUBLIC_URL="http://127.0.0.1:$LB_PORT"
project="lensdesk-test-$$"
compose=($SUDO --preserve-env docker-compose -f docker/compose.yaml -p "$project")
[ -z "$SUDO" ] && compose=(docker-compose -f docker/compose.yaml -p "$project")
down() {
  echo "tearing down $project"
  "${compose[@]}" down -v --remove-orphans -t 20 >/dev/null 2>&1 || true
  rm -rf "$context"
}
trap down EXIT
echo "stack $project: load balancer 127.0.0.1:$LB_PORT, nodes :$NODE_A_PORT :$NODE_B_PORT"
"${compose[@]}" up -d
# compose v1 starts each service once its dependencies are healthy; wait for the last one (HAProxy) to be.
healthy=""
for _ in $(seq 180); do
  cid=$("${compose[@]}" ps -q haproxy 2>/dev/null || true)
  if [ -n "$cid" ] && [ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$cid" 2>/dev/null)" = healthy ]; then
    healthy=yes; break
  fi
  sleep 2
done
if [ -z "$healthy" ]; then
  "${compose[@]}" ps
  "${compose[@]}" logs --tail 40
  echo "FAIL: the stack did not become healthy"
  exit 1
fi
"${compose[@]}" ps

# 4. A cross-node call from the host over the loopback ports; it must end in a finding on the ticket.
status=0
"$ROOT/.venv/bin/python" bench/docker_call.py --lb "http://127.0.0.1:$LB_PORT" \
  --node-a "http://127.0.0.1:$NODE_A_PORT" --node-b "http://127.0.0.1:$NODE_B_PORT" \
  --secret "$LENSDESK_SECRET_KEY" || status=$?
if [ "$status" -ne 0 ]; then
  "${compose[@]}" logs --tail 60 lensdesk-a lensdesk-b
  echo "FAIL: the cross-node call did not produce a finding"
  exit "$status"
fi
echo "docker-test passed"
