#!/usr/bin/env bash
# The main job: a demo on a real Linux kernel in QEMU. Installs what it needs (apt packages, NuGet restore, Debian's
# kernel, cached), boots a 1 GiB guest with the agent in it, plugs two 256 MiB DIMMs with the host controller, shows
# them onlined Movable and ready, shrinks back to boot memory, and prints a summary with timings.
#   bash scripts/main.sh              the guest under QEMU started by the demo, the controller on QMP
#   bash scripts/main.sh --libvirt    the guest as a domain of a private libvirtd, the controller on libvirt
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
GUEST_AGENT_VM_DIR=$(bash tests/vm/prepare.sh)
export GUEST_AGENT_VM_DIR
dotnet build demo/GuestAgent.Demo -c Release --nologo -v quiet >/dev/null
bash scripts/publish-aot.sh >/dev/null   # the agent as the RPM ships it, run in the guest
bash scripts/publish-aot.sh host-controller/GuestAgent.Host artifacts/aot-host >/dev/null   # the host controller, NativeAOT
exec dotnet demo/GuestAgent.Demo/bin/Release/net10.0/guest-agent-demo.dll "$@"
