#!/usr/bin/env bash
# The oldest userland at hand for the glibc check: Debian 11's (bullseye) glibc 2.31 and zlib, unpacked (not
# installed) into a directory under the cache with apt-get download through a private apt configuration
# (scripts/debian-suite-apt.sh). A chroot into it runs a binary on that glibc alone. Prints the directory.
#   bash tests/oldroot/prepare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${GUEST_AGENT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guest-agent-vm}
root="$cache/oldroot-bullseye"
if [[ ! -f "$root/.unpacked" ]]; then
  apt_config=$(bash "$here/../../scripts/debian-suite-apt.sh" bullseye)
  rm -rf "$root" "$root.debs"; mkdir -p "$root" "$root.debs"
  (cd "$root.debs" && APT_CONFIG="$apt_config" apt-get download libc6 zlib1g >&2)
  for deb in "$root.debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  mkdir -p "$root/lib64" "$root/tmp"
  ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
  touch "$root/.unpacked"
fi
echo "$root"
