#!/usr/bin/env bash
# Runs every test of GuestAgent. Installs what the tests need first, so a fresh machine of this kind can run it.
# Prints each suite's figures and a closing line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bash scripts/setup.sh

# The end-to-end tests boot Debian's kernels under QEMU (TCG): 6.1 for most scenarios, 5.10 and 6.12 for the core
# ones. QEMU, busybox and the kernel packages are installed or downloaded by prepare.sh and cached; the VM tests fail
# rather than skip when this was meant to work.
GUEST_AGENT_VM_DIR=$(bash tests/vm/prepare.sh 6.1)
GUEST_AGENT_VM_DIR_5_10=$(bash tests/vm/prepare.sh 5.10)
GUEST_AGENT_VM_DIR_6_12=$(bash tests/vm/prepare.sh 6.12)
export GUEST_AGENT_VM_DIR GUEST_AGENT_VM_DIR_5_10 GUEST_AGENT_VM_DIR_6_12 GUEST_AGENT_VM_REQUIRED=1
# Debian 11's glibc 2.31 and zlib, unpacked: the packaged binary must run on it (RHEL 8 has 2.28).
GUEST_AGENT_OLD_ROOT=$(bash tests/oldroot/prepare.sh)
export GUEST_AGENT_OLD_ROOT

dotnet build GuestAgent.sln -c Release --nologo -v quiet --no-restore
# The agent as the RPM ships it and the host controller as users get it (NativeAOT): the end-to-end tests run these.
bash scripts/publish-aot.sh >/dev/null
bash scripts/publish-aot.sh host-controller/GuestAgent.Host artifacts/aot-host >/dev/null
# The RPM the systemd guest installs (release 1) and upgrades to (release 2), apart from the packaging tests' builds.
rm -rf artifacts/vm-rpms && mkdir -p artifacts/vm-rpms
for release in 1 2; do cp "$(bash scripts/rpm.sh "$release")" artifacts/vm-rpms/; done

results="$repo/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
# The end-to-end scenarios append their wall times here; printed after the run.
export GUEST_AGENT_TIMINGS="$results/scenario-timings.txt"
: > "$GUEST_AGENT_TIMINGS"
started=$(date +%s)
status=0
dotnet test GuestAgent.sln -c Release --no-build --nologo \
  --logger "trx" --results-directory "$results" 2>&1 | tee "$results/console.log" || status=$?

# One closing line over every suite, from the runner's own summaries.
python3 - "$results/console.log" <<'PY'
import re, sys
passed = failed = skipped = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)", line)
    if m:
        failed += int(m.group(1)); passed += int(m.group(2)); skipped += int(m.group(3))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
echo "End-to-end scenarios on the real kernel in QEMU (wall time):"
sed 's/^/  /' "$GUEST_AGENT_TIMINGS"
echo "Whole test run: $(( $(date +%s) - started )) s"
exit $status
