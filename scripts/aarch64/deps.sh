#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/aarch64/deps.sh - the packages `make check-aarch64` needs, through
# apt-get only: the cross compiler, qemu-system-aarch64, and the arm64 builds
# of kitrace's libraries (multiarch: `dpkg --add-architecture arm64`).  Then it
# fetches, without installing them, the arm64 kernel (resolved through the
# linux-image-arm64 metapackage, never hard-coded), busybox-static, bash and
# coreutils, and unpacks only the files the guest needs into DL (default
# build-aarch64/dl): vmlinuz, busybox, bash, timeout (busybox's timeout
# neither makes a process group nor knows -k, and tests/run.sh needs both).  Uses sudo when not root.
# Exit 0 when everything is there.
set -eu

DL=${1:-build-aarch64/dl}
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	sudo="false"
fi
export DEBIAN_FRONTEND=noninteractive

need="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross cpio binutils-aarch64-linux-gnu
libc6:arm64 libelf-dev:arm64 libdwarf-dev:arm64 libcapstone-dev:arm64 zlib1g-dev:arm64
libedit-dev:arm64 check:arm64 libsubunit-dev:arm64 libtinfo6:arm64 libncurses-dev:arm64
libbsd-dev:arm64"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$sudo" = false ]; then
		echo "kitrace: not root and no sudo: install (with arm64 multiarch):$missing" >&2
		exit 1
	fi
	echo "kitrace: installing for check-aarch64:$missing" >&2
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$sudo dpkg --add-architecture arm64
	fi
	$sudo apt-get update -q >/dev/null
	# --no-install-recommends: no ipxe ROMs and firmware (the guest runs with -nic none)
	if ! $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null; then
		echo "kitrace: apt-get failed; install by hand: apt-get install$missing" >&2
		exit 1
	fi
fi

mkdir -p "$DL"
KPKG=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
KPKG=${KPKG%:arm64}
KVER=${KPKG#linux-image-}
[ -n "$KVER" ] || { echo "kitrace: cannot resolve linux-image-arm64" >&2; exit 1; }
if [ ! -s "$DL/vmlinuz-$KVER" ] || [ ! -s "$DL/busybox" ] || [ ! -s "$DL/bash" ] ||
	[ ! -s "$DL/timeout" ]; then
	echo "kitrace: downloading $KPKG:arm64, busybox-static:arm64, bash:arm64, coreutils:arm64" >&2
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/kt-a64dl.XXXXXX")
	# apt-get download writes to the current directory; as root it warns that
	# it runs unsandboxed, which is harmless.
	(cd "$tmp" && apt-get download -q "$KPKG:arm64" busybox-static:arm64 bash:arm64 \
		coreutils:arm64 2>&1 |
		grep -v 'unsandboxed' || true)
	# The arm64 vmlinuz is an uncompressed Image; skip the 300 MB of modules.
	dpkg-deb --fsys-tarfile "$tmp"/linux-image-*_arm64.deb | tar -xO "./boot/vmlinuz-$KVER" >"$DL/vmlinuz-$KVER.tmp"
	dpkg-deb --fsys-tarfile "$tmp"/busybox-static_*_arm64.deb | tar -xO ./bin/busybox >"$DL/busybox"
	dpkg-deb --fsys-tarfile "$tmp"/bash_*_arm64.deb | tar -xO ./bin/bash >"$DL/bash"
	dpkg-deb --fsys-tarfile "$tmp"/coreutils_*_arm64.deb | tar -xO ./usr/bin/timeout >"$DL/timeout"
	rm -rf "$tmp"
	mv "$DL/vmlinuz-$KVER.tmp" "$DL/vmlinuz-$KVER"
	chmod +x "$DL/busybox" "$DL/bash" "$DL/timeout"
fi
ln -sf "vmlinuz-$KVER" "$DL/vmlinuz"
# Python for the tests that check JSON reports or drive a terminal: the
# interpreter, its standard library and libexpat, unpacked into DL/python.
if [ ! -x "$DL/python/usr/bin/python3.11" ]; then
	echo "kitrace: downloading python3.11-minimal:arm64 and its standard library" >&2
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/kt-a64py.XXXXXX")
	(cd "$tmp" && apt-get download -q python3.11-minimal:arm64 libpython3.11-minimal:arm64 \
		libpython3.11-stdlib:arm64 libexpat1:arm64 2>&1 | grep -v 'unsandboxed' || true)
	rm -rf "$DL/python.tmp"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$DL/python.tmp"; done
	rm -rf "$tmp" "$DL/python"
	[ -x "$DL/python.tmp/usr/bin/python3.11" ] ||
		{ echo "kitrace: python3.11:arm64 could not be unpacked" >&2; exit 1; }
	mv "$DL/python.tmp" "$DL/python"
fi
exit 0
