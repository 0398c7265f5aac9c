#!/usr/bin/env bash
# Prepares what the end-to-end tests boot: QEMU and busybox from Debian, and one of Debian's amd64 kernels (downloaded
# with apt-get download and unpacked, not installed) as a plain ELF image plus a busybox initramfs that loads the
# virtio, 9p and virtio-serial modules (and virtio-mem). Everything is cached under $GUEST_AGENT_VM_CACHE (default
# ~/.cache/guest-agent-vm) and rebuilt only when the kernel version or init changes. Prints the directory holding
# vmlinux and initrd.img.
#   bash tests/vm/prepare.sh [KERNEL]   KERNEL: 6.1 (default: bookworm's), 6.12 (bookworm-security; what RHEL 10 is
#                                       based on), 5.10 (bullseye, through a private apt configuration; the closest
#                                       to RHEL 9's 5.14 that Debian serves)
# Nothing of the machine's /etc/apt changes: another suite is fetched with APT_CONFIG pointing at a configuration
# under the cache, with its own lists.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel=${1:-6.1}
cache=${GUEST_AGENT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guest-agent-vm}
mkdir -p "$cache"

need=()
for pkg in qemu-system-x86 busybox-static kmod xz-utils zstd cpio coreutils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi

# The apt to fetch with: the machine's own for bookworm and bookworm-security, a private one for bullseye.
apt_env=()
case "$kernel" in
  6.1) meta=linux-image-amd64 ;;
  6.12) meta=linux-image-6.12-amd64 ;;
  5.10)
    meta=linux-image-amd64
    apt_env=(env "APT_CONFIG=$(bash "$here/../../scripts/debian-suite-apt.sh" bullseye)")
    ;;
  *) echo "unknown kernel '$kernel' (5.10, 6.1 or 6.12)" >&2; exit 2 ;;
esac

# The kernel the metapackage points at now (e.g. linux-image-6.1.0-56-amd64), downloaded once.
# Without apt's lists (a fresh machine, a new suite) apt-cache fails: that must reach the fallback below, not stop the
# script under pipefail.
kpkg=$("${apt_env[@]}" apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' || true)
if [[ -z "$kpkg" ]]; then
  "${apt_env[@]}" apt-get update -q >&2
  kpkg=$("${apt_env[@]}" apt-cache depends "$meta" | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
version=${kpkg#linux-image-}
kdir="$cache/$version"
if [[ ! -f "$kdir/.unpacked" ]]; then
  rm -rf "$kdir"; mkdir -p "$kdir/deb"
  (cd "$kdir/deb" && "${apt_env[@]}" apt-get download "$kpkg" >&2)
  dpkg-deb -x "$kdir"/deb/*.deb "$kdir/root"
  touch "$kdir/.unpacked"
fi

# The plain ELF image: find the compressed stream inside the bzImage (XZ up to 6.1, zstd from 6.12 on) and decompress
# it (the kernel's extract-vmlinux method). It boots several seconds faster under TCG than letting the guest
# decompress itself.
if [[ ! -f "$kdir/vmlinux" ]]; then
  format=$(python3 - "$kdir/root/boot/vmlinuz-$version" "$kdir/vmlinux.packed" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
for magic, name in ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd")):
    at = data.find(magic)
    if at >= 0:
        open(sys.argv[2], "wb").write(data[at:])
        print(name)
        break
else:
    sys.exit("no XZ or zstd stream in " + sys.argv[1])
PY
)
  # Trailing data after the stream is expected (hence || true); the ELF check below is what counts.
  case "$format" in
    xz) xz -dc "$kdir/vmlinux.packed" > "$kdir/vmlinux.tmp" 2>/dev/null || true ;;
    zstd) zstd -dqc "$kdir/vmlinux.packed" > "$kdir/vmlinux.tmp" 2>/dev/null || true ;;
  esac
  head -c 4 "$kdir/vmlinux.tmp" | grep -q ELF || { echo "extracted image is not ELF" >&2; exit 1; }
  mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"; rm -f "$kdir/vmlinux.packed"
fi

# The initramfs: busybox, the modules (with their dependencies) and init. Rebuilt when init changes. Modules the
# kernel has built in (6.12's virtio_pci and virtio_console) are listed as "builtin" and need nothing.
stamp=$(cat "$here/init" "$0" | sha256sum | cut -c1-16)
if [[ ! -f "$kdir/initrd-$stamp.img" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,dev,proc,sys,mnt/host,lib/modules}
  cp /bin/busybox "$work/bin/busybox"
  cp "$here/init" "$work/init"; chmod +x "$work/init"
  depmod -b "$kdir/root" "$version"
  want="virtio_pci virtio_console 9p 9pnet_virtio overlay"
  modprobe -d "$kdir/root" -S "$version" --show-depends virtio_mem >/dev/null 2>&1 && want="$want virtio_mem"
  list=$(for m in $want; do modprobe -d "$kdir/root" -S "$version" --show-depends "$m"; done | awk '$1=="insmod" {print $2}' | awk '!seen[$0]++')
  : > "$work/modules.order"
  for f in $list; do
    name=$(basename "$f")
    case "$name" in *.xz) xz -dc "$f" > "$work/lib/modules/${name%.xz}"; name=${name%.xz} ;; *.zst) zstd -dqc "$f" > "$work/lib/modules/${name%.zst}"; name=${name%.zst} ;; *) cp "$f" "$work/lib/modules/$name" ;; esac
    echo "$name" >> "$work/modules.order"
  done
  echo "$version" > "$work/kernel-version"
  (cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$kdir/initrd-$stamp.img"
  rm -rf "$work"; trap - EXIT
fi
ln -sf "initrd-$stamp.img" "$kdir/initrd.img"
echo "$kdir"
