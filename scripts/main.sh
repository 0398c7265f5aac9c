#!/usr/bin/env bash
# The main job: builds the agent and prints the memory model of this machine (guest-agent scan on its own /sys).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
dotnet build guest-agent/GuestAgent -c Release --nologo -v quiet >/dev/null
exec dotnet guest-agent/GuestAgent/bin/Release/net10.0/guest-agent.dll scan "$@"
