#!/usr/bin/env bash
# Builds an RPM from this repository and checks it with rpmlint. Output in artifacts/rpm/:
# RPMS/x86_64/NAME-VERSION-RELEASE.x86_64.rpm, rpmlint.txt (rpmlint-host.txt), sizes.txt (sizes-host.txt).
#   bash scripts/rpm.sh [RELEASE] [agent|host]   (default: release 1, the guest agent; the packaging tests build 1
#                                                 and 2 to test an upgrade; host: guest-agent-host and its units)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
release=${1:-1}
case "${2:-agent}" in
  agent) spec=rpm/guest-agent.spec; lintrc=rpm/rpmlintrc; project=guest-agent/GuestAgent; output=artifacts/aot; suffix= ;;
  host) spec=rpm/guest-agent-host.spec; lintrc=rpm/guest-agent-host.rpmlintrc; project=host-controller/GuestAgent.Host; output=artifacts/aot-host; suffix=-host ;;
  *) echo "usage: scripts/rpm.sh [RELEASE] [agent|host]" >&2; exit 2 ;;
esac
name=$(sed -n 's/^Name: *//p' "$spec")
version=$(sed -n 's/^Version: *//p' "$spec")
top="$repo/artifacts/rpm"
mkdir -p "$top/SOURCES" "$top/BUILD" "$top/RPMS" "$top/SRPMS" "$top/SPECS"

# The NativeAOT build (scripts/publish-aot.sh; quick when nothing changed), which rpmbuild then packages:
# --define prebuilt.
publish="$repo/$(dirname "$(bash scripts/publish-aot.sh "$project" "$output")")"

# The source tarball (both specs build from it): the working tree without build output.
tar -C "$repo/.." --transform "s,^$(basename "$repo"),guest-agent-$version," \
  --exclude-vcs --exclude='*/bin' --exclude='*/obj' --exclude="$(basename "$repo")/artifacts" \
  -czf "$top/SOURCES/guest-agent-$version.tar.gz" "$(basename "$repo")"

# --nodeps: BuildRequires (dotnet-sdk-10.0, systemd-rpm-macros) are RHEL package names; Debian's rpm database is empty.
rpmbuild -bb --nodeps --quiet "$spec" \
  --define "_topdir $top" --define "prebuilt $publish" --define "release_override $release" \
  --define "dist %{nil}" --define "_build_id_links none" >/dev/null
rpm_file="$top/RPMS/x86_64/$name-$version-$release.x86_64.rpm"
test -f "$rpm_file"

rpmlint -r "$lintrc" "$rpm_file" > "$top/rpmlint$suffix.txt" 2>&1 || true
{
  echo "binary: $(stat -c %s "$publish/$name") bytes (NativeAOT)"
  echo "rpm: $(stat -c %s "$rpm_file") bytes"
} > "$top/sizes$suffix.txt"
echo "$rpm_file"
