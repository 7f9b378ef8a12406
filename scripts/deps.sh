#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/deps.sh - install the Debian packages kitrace needs to build and
# test, if any is missing.  Uses sudo when not root.  Exit 0 when everything
# is there; otherwise says what failed and exits 1.
set -eu

need="gcc make pkg-config libelf-dev libdwarf-dev libcapstone-dev check libsubunit-dev
libedit-dev zlib1g-dev python3 gdb procps"
# The static archives kitrace links (LINK=static, the default) besides the
# -dev packages' own: libedit's.
need="$need libncurses-dev libbsd-dev"
# Fuzzing (clang's libFuzzer) and the sanitizer builds.
need="$need clang libclang-rt-14-dev"
# A real JIT that writes a perf map (tests/e2e/51_node_perfmap.sh).
need="$need nodejs"
# LLVM's lli: a real GDB JIT interface client (tests/e2e/50_lli.sh).
need="$need llvm"

missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "kitrace: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "kitrace: not root and no sudo: install these packages first:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get update -q >/dev/null || ! $sudo apt-get install -y -q $missing >/dev/null; then
	echo "kitrace: apt-get failed; install by hand: apt-get install$missing" >&2
	exit 1
fi
