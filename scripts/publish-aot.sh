#!/usr/bin/env bash
# Publishes the agent ahead-of-time compiled (NativeAOT) into artifacts/aot/: the build the RPM ships.
#   bash scripts/publish-aot.sh [PROJECT OUTPUT]   (default: guest-agent/GuestAgent artifacts/aot)
# Same target framework as everything else (net10.0); needs gcc (the native linker driver), as Debian has it.
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:-guest-agent/GuestAgent}
output=${2:-artifacts/aot}
dotnet publish "$project" -r linux-x64 -c Release --nologo -v quiet \
  -p:PublishAot=true -p:DebugType=none -p:OptimizationPreference=Size \
  -p:EventSourceSupport=false -p:StackTraceSupport=false \
  -o "$output" >&2
find "$output" -maxdepth 1 -type f -perm -u+x ! -name "*.so" | head -1
