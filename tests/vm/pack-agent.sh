#!/usr/bin/env bash
# Packs what a guest without 9p needs to run the agent into a cpio archive (gzip) that is appended to the initramfs
# prepare.sh builds: the published NativeAOT agent and libMonoPosixHelper.so (artifacts/aot), the glibc libraries ldd
# lists for them, and the control shell. The kernel unpacks concatenated archives in order, so the result boots with
# guest_agent_root=initramfs (see init) and carries everything in RAM: QEMU can migrate it (it refuses while a 9p export
# is mounted). Prints nothing; writes OUT.
#   bash tests/vm/pack-agent.sh OUT [AGENT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
agent=${2:-$here/../../artifacts/aot}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/agent" "$work/lib64" "$work/lib/x86_64-linux-gnu"
cp "$agent/guest-agent" "$agent/libMonoPosixHelper.so" "$work/agent/"
cp "$here/control-shell.sh" "$work/control-shell.sh"
for lib in $(ldd "$agent/guest-agent" "$agent/libMonoPosixHelper.so" | awk '/=> \// {print $3} /^[ \t]*\/lib64\// {print $1}' | sort -u); do
  case "$lib" in
    /lib64/*) cp -L "$lib" "$work/lib64/" ;;
    *) cp -L "$lib" "$work/lib/x86_64-linux-gnu/" ;;
  esac
done
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
