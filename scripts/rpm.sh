#!/usr/bin/env bash
# Builds the guest-agent RPM from this repository and checks it with rpmlint. Output in artifacts/rpm/:
# RPMS/x86_64/guest-agent-VERSION-RELEASE.x86_64.rpm, rpmlint.txt, sizes.txt.
#   bash scripts/rpm.sh [RELEASE]      (default release 1; the packaging tests build 1 and 2 to test an upgrade)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
release=${1:-1}
version=$(sed -n 's/^Version: *//p' rpm/guest-agent.spec)
top="$repo/artifacts/rpm"
mkdir -p "$top/SOURCES" "$top/BUILD" "$top/RPMS" "$top/SRPMS" "$top/SPECS"

# The NativeAOT build (scripts/publish-aot.sh; quick when nothing changed), which rpmbuild then packages:
# --define prebuilt.
publish="$repo/$(dirname "$(bash scripts/publish-aot.sh)")"

# The source tarball: the working tree without build output.
tar -C "$repo/.." --transform "s,^$(basename "$repo"),guest-agent-$version," \
  --exclude-vcs --exclude='*/bin' --exclude='*/obj' --exclude="$(basename "$repo")/artifacts" \
  -czf "$top/SOURCES/guest-agent-$version.tar.gz" "$(basename "$repo")"

# --nodeps: BuildRequires (dotnet-sdk-10.0, systemd-rpm-macros) are RHEL package names; Debian's rpm database is empty.
rpmbuild -bb --nodeps --quiet rpm/guest-agent.spec \
  --define "_topdir $top" --define "prebuilt $publish" --define "release_override $release" \
  --define "dist %{nil}" --define "_build_id_links none" >/dev/null
rpm_file="$top/RPMS/x86_64/guest-agent-$version-$release.x86_64.rpm"
test -f "$rpm_file"

rpmlint -r rpm/rpmlintrc "$rpm_file" > "$top/rpmlint.txt" 2>&1 || true
{
  echo "binary: $(stat -c %s "$publish/guest-agent") bytes (NativeAOT)"
  echo "rpm: $(stat -c %s "$rpm_file") bytes"
} > "$top/sizes.txt"
echo "$rpm_file"
