#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install every Debian package the project needs (Debian 12 "bookworm", as root).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PKGS=(
  build-essential pkg-config git dpkg-dev ca-certificates xz-utils
  ninja-build python3 python3-venv flex bison
  libglib2.0-dev libfdt-dev libpixman-1-dev zlib1g-dev
  libjson-c-dev libcmocka-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  socat python3-pytest
  clang libclang-rt-14-dev llvm valgrind
  python3-matplotlib
)
BACKPORTS_PKGS=(meson python3-pycotap)

have_all() {
  local missing
  missing=$(dpkg-query -W -f='${Status}\n' "${PKGS[@]}" "${BACKPORTS_PKGS[@]}" 2>&1 |
    grep -v 'install ok installed' || true)
  [ -z "$missing" ] || return 1
  # meson from bookworm is 1.0; QEMU 10.2 needs >= 1.5 (bookworm-backports).
  local v
  v=$(meson --version 2>/dev/null || echo 0)
  dpkg --compare-versions "$v" ge 1.5
}

if have_all; then
  echo "install-deps: all packages present"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages; run as root (or install them yourself):" >&2
  echo "  ${PKGS[*]} ${BACKPORTS_PKGS[*]} (the last two from bookworm-backports)" >&2
  exit 1
fi

list=/etc/apt/sources.list.d/vfio-user-mcu.list
if [ ! -f "$list" ]; then
  echo "install-deps: adding bookworm-backports and sid deb-src to $list"
  cat > "$list" <<'LIST'
# Added by vfio-user-mcu scripts/install-deps.sh
deb http://deb.debian.org/debian bookworm-backports main
deb-src http://deb.debian.org/debian sid main
LIST
fi

export DEBIAN_FRONTEND=noninteractive
# A third-party list that fails must not stop us; Debian's lists are checked below.
apt-get update -q || echo "install-deps: warning: apt-get update reported errors" >&2
apt-get install -y -q --no-install-recommends "${PKGS[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${BACKPORTS_PKGS[@]}"
have_all || { echo "install-deps: packages still missing after install" >&2; exit 1; }
echo "install-deps: done"
