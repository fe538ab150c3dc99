#!/usr/bin/env bash
# Installs Request Tracker 5 with its SQLite backend for the RT connector's tests (idempotent, root).
# Afterwards `/usr/share/request-tracker5/libexec/rt-server --port PORT` serves REST2 with root:password.
set -euo pipefail
PKGS=(request-tracker5 rt5-db-sqlite)
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ -x "$RT_SERVER" ]; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
# apt-get update only when the package is unknown to the local index (keeps re-runs fast and offline).
apt-cache show request-tracker5 >/dev/null 2>&1 || $SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
test -x "$RT_SERVER" || { echo "install-rt: $RT_SERVER missing after install" >&2; exit 1; }
