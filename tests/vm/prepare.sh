#!/usr/bin/env bash
# Prepares what the end-to-end tests boot: QEMU and busybox from Debian, and Debian's amd64 kernel (downloaded with
# apt-get download and unpacked, not installed) as a plain ELF image plus a busybox initramfs that loads the virtio,
# 9p and virtio-serial modules. Everything is cached under $GUEST_AGENT_VM_CACHE (default ~/.cache/guest-agent-vm) and
# rebuilt only when the kernel version or init changes. Prints the directory holding vmlinux and initrd.img.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${GUEST_AGENT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guest-agent-vm}
mkdir -p "$cache"

need=()
for pkg in qemu-system-x86 busybox-static kmod xz-utils cpio coreutils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi

# The kernel the metapackage points at now (e.g. linux-image-6.1.0-56-amd64), downloaded once.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [[ -z "$kpkg" ]]; then
  apt-get update -q >&2
  kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
version=${kpkg#linux-image-}
kdir="$cache/$version"
if [[ ! -f "$kdir/.unpacked" ]]; then
  rm -rf "$kdir"; mkdir -p "$kdir/deb"
  (cd "$kdir/deb" && apt-get download "$kpkg" >&2)
  dpkg-deb -x "$kdir"/deb/*.deb "$kdir/root"
  touch "$kdir/.unpacked"
fi

# The plain ELF image: find the XZ stream inside the bzImage and decompress it (the kernel's extract-vmlinux method).
# It boots several seconds faster under TCG than letting the guest decompress itself.
if [[ ! -f "$kdir/vmlinux" ]]; then
  python3 - "$kdir/root/boot/vmlinuz-$version" "$kdir/vmlinux.xz" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\xfd7zXZ\x00")
if at < 0:
    sys.exit("no XZ stream in " + sys.argv[1])
open(sys.argv[2], "wb").write(data[at:])
PY
  xz -dc "$kdir/vmlinux.xz" > "$kdir/vmlinux.tmp" 2>/dev/null || true   # trailing data after the stream is expected
  head -c 4 "$kdir/vmlinux.tmp" | grep -q ELF || { echo "extracted image is not ELF" >&2; exit 1; }
  mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"; rm -f "$kdir/vmlinux.xz"
fi

# The initramfs: busybox, the modules (with their dependencies) and init. Rebuilt when init changes.
stamp=$(cat "$here/init" "$0" | sha256sum | cut -c1-16)
if [[ ! -f "$kdir/initrd-$stamp.img" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,dev,proc,sys,mnt/host,lib/modules}
  cp /bin/busybox "$work/bin/busybox"
  cp "$here/init" "$work/init"; chmod +x "$work/init"
  mods="$kdir/root/lib/modules/$version"
  depmod -b "$kdir/root" "$version"
  want="virtio_pci virtio_console 9p 9pnet_virtio"
  list=$(for m in $want; do modprobe -d "$kdir/root" -S "$version" --show-depends "$m"; done | awk '$1=="insmod" {print $2}' | awk '!seen[$0]++')
  : > "$work/modules.order"
  for f in $list; do
    name=$(basename "$f")
    case "$name" in *.xz) xz -dc "$f" > "$work/lib/modules/${name%.xz}"; name=${name%.xz} ;; *.zst) zstd -dqc "$f" > "$work/lib/modules/${name%.zst}"; name=${name%.zst} ;; *) cp "$f" "$work/lib/modules/$name" ;; esac
    echo "$name" >> "$work/modules.order"
  done
  (cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$kdir/initrd-$stamp.img"
  rm -rf "$work"; trap - EXIT
fi
ln -sf "initrd-$stamp.img" "$kdir/initrd.img"
echo "$kdir"
