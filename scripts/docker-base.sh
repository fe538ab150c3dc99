#!/usr/bin/env bash
# Build the Debian 12 base image lensdesk's containers start from, without any image registry: debootstrap a
# minimal bookworm root from the Debian mirror apt on this machine already uses, and `docker import` it.
# Skipped when the image exists. Usage: scripts/docker-base.sh [IMAGE]   (default lensdesk/debian:bookworm)
set -euo pipefail
IMAGE=${1:-lensdesk/debian:bookworm}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE exists"
  exit 0
fi

# The first Debian (not -security) mirror in apt's sources, deb822 or one-line style.
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
  | grep -oE 'https?://[^ ]+' | grep -v -- '-security' | grep -E '/debian/?$' | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/lensdesk-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror"
# Keep the image small and the same mirror for apt inside it.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
echo "deb $mirror bookworm main" > "$root/etc/apt/sources.list"
tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$IMAGE"
echo "imported $IMAGE"
