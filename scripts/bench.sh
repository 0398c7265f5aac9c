#!/usr/bin/env bash
# The benchmarks: installs the peers (qemu-guest-agent) and the VM image, publishes the agent's NativeAOT build (the
# RPM's, scripts/publish-aot.sh) and the design card's stack without the agent (bench/GuestAgent.StackFloor, the same
# way), and prints every figure with its peer and ratio.
#   bash scripts/bench.sh [SCENARIO] [OPTIONS]   (default: all; see bench/GuestAgent.Bench/Program.cs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
if ! dpkg -s qemu-guest-agent >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends qemu-guest-agent >/dev/null
fi
GUEST_AGENT_VM_DIR=$(bash tests/vm/prepare.sh)
export GUEST_AGENT_VM_DIR
dotnet build GuestAgent.sln -c Release --nologo -v quiet >/dev/null
aot=$(bash scripts/publish-aot.sh)
host=$(bash scripts/publish-aot.sh host-controller/GuestAgent.Host artifacts/aot-host)
floor=$(bash scripts/publish-aot.sh bench/GuestAgent.StackFloor artifacts/stack-floor)
scenario=${1:-all}
shift || true
exec dotnet bench/GuestAgent.Bench/bin/Release/net10.0/guest-agent-bench.dll "$scenario" \
  --binary NativeAOT="$aot" --floor "$floor" --host "$host" "$@"
