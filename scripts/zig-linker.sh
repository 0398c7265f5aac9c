#!/usr/bin/env bash
# NativeAOT's native linker driver (-p:CppCompilerAndLinker=THIS, see scripts/publish-aot.sh) for executables that run
# on glibc 2.28 (RHEL/CentOS 8) and later: `zig cc -target x86_64-linux-gnu.2.28` links against Zig's stubs of that
# glibc version instead of this machine's 2.36. The arguments NativeAOT gives gcc are translated for Zig 0.11's lld:
#   -fuse-ld=bfd, -gz=zlib, --target=..., -Wl,--discard-all  not understood by it: dropped (debug info is stripped anyway)
#   -pie, -Wl,-pie                  -fPIE (the result is still a PIE executable)
#   -Wl,--version-script, -Wl,--export-dynamic   Zig ignores the version script for executables and would export
#                                   hundreds of runtime symbols; without both, none is exported (only
#                                   DotNetRuntimeDebugHeader, which diagnostics tools look for in a dump, is lost)
# and a linker script keeps the __modules section that --gc-sections would drop (else __start___modules is undefined).
# GUEST_AGENT_ZIG is the zig executable (scripts/zig.sh prints it).
set -euo pipefail
zig=${GUEST_AGENT_ZIG:?GUEST_AGENT_ZIG must name the zig executable (bash scripts/zig.sh)}
here=$(cd "$(dirname "$0")" && pwd)
args=()
for a in "$@"; do
  case "$a" in
    -fuse-ld=*|-gz=zlib|--target=*|-Wl,--discard-all|-Wl,--export-dynamic|-Wl,-pie|-Wl,--version-script=*) ;;
    -pie) args+=(-fPIE) ;;
    *) args+=("$a") ;;
  esac
done
exec "$zig" cc -target x86_64-linux-gnu.2.28 "${args[@]}" "$here/zig-modules.ld"
