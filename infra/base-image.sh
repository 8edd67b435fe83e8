#!/usr/bin/env bash
# Build a Debian bookworm base image with python3, pip and venv, without a registry:
# debootstrap a minimal root filesystem and `docker import` it. For machines that
# cannot pull python:3.11-slim; the tests use it as both Dockerfiles' BASE_IMAGE.
#
#   bash infra/base-image.sh [TAG]          # default tag: mumu-base:bookworm
#
# Needs root, debootstrap and a running Docker daemon. Does nothing when TAG exists.
# The host's extra CA certificates (/usr/local/share/ca-certificates) are installed
# into the image, so pip inside a build trusts what pip on the host trusts.
set -euo pipefail

tag="${1:-mumu-base:bookworm}"
if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag exists"
    exit 0
fi
mirror="${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"

rootfs="$(mktemp -d /var/tmp/mumu-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates,passwd \
    bookworm "$rootfs" "$mirror" >/dev/null
rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
fi
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    - "$tag" >/dev/null
echo "$tag built"
