#!/bin/sh
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent; needs root (or sudo) and the machine's configured apt sources.
set -eu
pkgs="ca-certificates git make gcc dash bash busybox shellcheck \
systemd systemd-container mmdebstrap debootstrap uidmap arch-test \
lintian rpmlint rpm rpm2cpio cpio binutils dpkg-dev fakeroot python3 \
daemon runit supervisor hyperfine procps iproute2 logrotate"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing$missing"
$SUDO apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
