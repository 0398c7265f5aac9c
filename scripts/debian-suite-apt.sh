#!/usr/bin/env bash
# A private apt configuration for another Debian suite (e.g. bullseye), under the cache, with its own lists and
# archives: what is fetched through it changes nothing of the machine's /etc/apt. Prints the file to give apt as
# APT_CONFIG; the lists are fetched on first use.
#   APT_CONFIG=$(bash scripts/debian-suite-apt.sh bullseye) apt-get download PACKAGE
set -euo pipefail
suite=${1:?usage: debian-suite-apt.sh SUITE}
cache=${GUEST_AGENT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guest-agent-vm}
private="$cache/apt-$suite"
mkdir -p "$private/lists/partial" "$private/archives/partial" "$private/sources.list.d"
cat > "$private/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $suite-security main
SOURCES
cat > "$private/apt.conf" <<CONF
Dir::State::lists "$private/lists";
Dir::State::status "$private/status";
Dir::Cache::archives "$private/archives";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Etc::sourcelist "$private/sources.list";
Dir::Etc::sourceparts "$private/sources.list.d";
Acquire::Check-Valid-Until "false";
CONF
[[ -f "$private/status" ]] || : > "$private/status"
if [[ ! -f "$private/.updated" ]]; then
  APT_CONFIG="$private/apt.conf" apt-get update -q >&2
  touch "$private/.updated"
fi
echo "$private/apt.conf"
