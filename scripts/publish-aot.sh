#!/usr/bin/env bash
# Publishes the agent ahead-of-time compiled (NativeAOT) into artifacts/aot/: the build the RPM ships.
#   bash scripts/publish-aot.sh [PROJECT OUTPUT]   (default: guest-agent/GuestAgent artifacts/aot)
# Same target framework as everything else (net10.0). The native link: GUEST_AGENT_LINKER=zig (the default) links
# with Zig against glibc 2.28, so the executable runs on RHEL/CentOS 8 and later (scripts/zig.sh installs the pinned
# Zig, scripts/zig-linker.sh adapts NativeAOT's arguments); GUEST_AGENT_LINKER=gcc links with this machine's gcc
# and glibc (what the RPM spec does when it builds on the target release itself).
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:-guest-agent/GuestAgent}
output=${2:-artifacts/aot}
linker=()
case "${GUEST_AGENT_LINKER:-zig}" in
  zig)
    GUEST_AGENT_ZIG=$(bash scripts/zig.sh)
    export GUEST_AGENT_ZIG
    linker=(-p:CppCompilerAndLinker="$PWD/scripts/zig-linker.sh") ;;
  gcc) ;;
  *) echo "GUEST_AGENT_LINKER must be zig or gcc" >&2; exit 2 ;;
esac
# The link step is skipped when its inputs are unchanged, whichever linker made the output: start it afresh.
rm -rf "$project/bin/Release/net10.0/linux-x64/native"
dotnet publish "$project" -r linux-x64 -c Release --nologo -v quiet \
  -p:PublishAot=true -p:DebugType=none -p:OptimizationPreference=Size \
  -p:EventSourceSupport=false -p:StackTraceSupport=false "${linker[@]}" \
  -o "$output" >&2
find "$output" -maxdepth 1 -type f -perm -u+x ! -name "*.so" | head -1
