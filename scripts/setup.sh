#!/usr/bin/env bash
# Installs what building and testing GuestAgent needs on a fresh Debian 12 machine with the .NET 10 SDK, and restores
# the NuGet packages (versions pinned in Directory.Packages.props). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# rpm (rpmbuild, rpm2cpio) and rpmlint build and check the RPM; cpio unpacks it in the packaging tests.
# dbus-daemon and dbus-bin (dbus-send, dbus-monitor) run the private bus of the D-Bus tests.
# binutils (objdump) reads the glibc versions the shipped binaries need; npm fetches the pinned Zig (scripts/zig.sh)
# and is installed only where no npm is there (a Node.js from elsewhere brings its own).
# libvirt (the daemon with its qemu driver, and virsh) runs the libvirt backend's end-to-end tests in a private
# mount namespace; its library libvirt0 is what the controller's libvirt backend loads.
for pkg in coreutils util-linux systemd udev rpm rpmlint cpio dbus-daemon dbus-bin binutils \
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v npm >/dev/null || need+=(npm)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

dotnet restore GuestAgent.sln --nologo -v quiet
