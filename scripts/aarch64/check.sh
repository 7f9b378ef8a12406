#!/bin/bash
# SPDX-License-Identifier: MIT
# scripts/aarch64/check.sh - kitrace's test suite on a real AArch64 kernel,
# emulated: install what it needs (scripts/aarch64/deps.sh), cross-build
# kitrace, libkitjit, kitdemo, the unit tests and the test programs into
# build-aarch64/, build what tests would compile in the guest (which has no
# compiler) with scripts/aarch64/fixtures.sh, pack them with busybox, bash and their shared libraries
# into an initramfs, boot qemu-system-aarch64 -M virt on Debian's arm64
# kernel, run tests/run.sh there (the Check unit tests, then tests/e2e),
# power off, and pass or fail from what the guest printed.  `make
# check-aarch64` runs it; doc/aarch64.md says what runs and what skips.
#
#   scripts/aarch64/check.sh [--bench] [--no-deps]
#     --bench     run bench/bp_bench.sh in the guest instead of the suite
#                 (BENCH_N hits, default 20000, on -smp 1; make bench-aarch64)
#     --no-deps   do not run scripts/aarch64/deps.sh (packages already there)
#
# Environment: T (a tests/run.sh filter, run in the guest), QEMU_CPU (default
# max,pauth-impdef=on: PAC, BTI, 6 hardware breakpoints, 4 watchpoints),
# ROUNDS (bench rounds, 5), SMP (2; 1 with --bench), MEM (1G), CAP (wall-clock cap on the guest, seconds, default 1500),
# BUILD (build-aarch64).  The guest exports KT_EMULATED=1: tests with heavy
# iteration counts use smaller ones under it.
#
# The guest's last words are "KT_GUEST_EXIT=N", N the status of the suite;
# this script exits 0 only if it saw KT_GUEST_EXIT=0 and a tests/run.sh
# summary line, 1 otherwise (also when qemu hit the cap).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MODE="test"
DEPS=1
for a in "$@"; do
	case $a in
	--bench) MODE=bench ;;
	--no-deps) DEPS=0 ;;
	*) echo "usage: $0 [--bench] [--no-deps]" >&2; exit 2 ;;
	esac
done
BUILD=${BUILD:-build-aarch64}
QEMU_CPU=${QEMU_CPU:-max,pauth-impdef=on}
# The benchmark runs on one vCPU: with two, a tracer and its tracee on
# different vCPUs wake each other through the host's scheduler, and the same
# round varied 5-fold (onestop 2.3 to 10.6 s) on a busy host.
if [ $MODE = bench ]; then SMP=${SMP:-1}; else SMP=${SMP:-2}; fi
MEM=${MEM:-1G}
CAP=${CAP:-1500}
FILTER=${T:-}
unset T
TRIPLET=aarch64-linux-gnu
DL=$BUILD/dl
t0=$EPOCHREALTIME
stamp() { awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "[check-aarch64 %6.1fs] %s\n", b - a, m }'; }

if [ $DEPS = 1 ]; then
	stamp "packages"
	scripts/aarch64/deps.sh "$DL"
fi
for f in vmlinuz busybox bash timeout; do
	[ -s "$DL/$f" ] || { echo "check-aarch64: no $f in $DL (run scripts/aarch64/deps.sh)" >&2; exit 1; }
done

stamp "cross build into $BUILD"
mkdir -p "$BUILD"
make --no-print-directory -j"$(nproc)" CROSS=$TRIPLET- BUILD="$BUILD" all unit progs >"$BUILD/make.log" 2>&1 ||
	{ tail -n 40 "$BUILD/make.log"; echo "check-aarch64: cross build failed (log: $BUILD/make.log)" >&2; exit 1; }
stamp "fixtures into $BUILD/fixtures"
scripts/aarch64/fixtures.sh "$BUILD" "$ROOT/$BUILD/fixtures"

# ---- the initramfs: busybox, bash, shared libraries, the tree at its own path
# (DWARF names sources by the absolute build directory).
stamp "initramfs"
R=$BUILD/rootfs
rm -rf "$R"
mkdir -p "$R"/{bin,usr/bin,proc,sys,dev,tmp,root,etc,lib,"$TRIPLET"} "$R/$ROOT"
cp "$DL/busybox" "$R/bin/busybox"
cp "$DL/bash" "$R/bin/bash"
cp "$DL/timeout" "$R/usr/bin/timeout" # before busybox's in PATH
ln -s /lib "$R/lib64"
# Python (scripts/aarch64/deps.sh): the interpreter and its library.  Not
# with cp -a of the whole tree: $R/lib/$TRIPLET is a link to the host's.
if [ -x "$DL/python/usr/bin/python3.11" ]; then
	cp "$DL/python/usr/bin/python3.11" "$R/usr/bin/python3.11"
	ln -s python3.11 "$R/usr/bin/python3"
	mkdir -p "$R/usr/lib"
	cp -a "$DL/python/usr/lib/python3.11" "$R/usr/lib/python3.11"
fi
echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"

# libs_of FILE...: the NEEDED shared libraries, recursively, as paths on this host.
declare -A seen=()
LIBDIRS=("/usr/lib/$TRIPLET" "/lib/$TRIPLET" "$DL/python/lib/$TRIPLET" "$DL/python/usr/lib/$TRIPLET"
	"$ROOT/$BUILD/progs" "$ROOT/$BUILD")
copy_libs() {
	local f n d
	for f in "$@"; do
		for n in $($TRIPLET-readelf -d "$f" 2>/dev/null | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p'); do
			[ -z "${seen[$n]:-}" ] || continue
			seen[$n]=1
			for d in "${LIBDIRS[@]}"; do
				if [ -e "$d/$n" ]; then
					case $d in
					"$ROOT"/*) ;; # in the tree: found through the rpath
					*)
						mkdir -p "$R/usr/lib/$TRIPLET"
						cp -L "$d/$n" "$R/usr/lib/$TRIPLET/$n"
						;;
					esac
					copy_libs "$d/$n"
					break
				fi
			done
		done
	done
}
mkdir -p "$R/usr/lib/$TRIPLET"
cp -L /usr/lib/$TRIPLET/ld-linux-aarch64.so.1 "$R/lib/ld-linux-aarch64.so.1"
ln -s /usr/lib/$TRIPLET "$R/lib/$TRIPLET"
mapfile -t elfs < <(find "$BUILD" -path "$BUILD/rootfs" -prune -o -path "$BUILD/dl" -prune -o \
	-path "$BUILD/fixtures" -prune -o -type f -perm -u+x -print; echo "$DL/bash"; echo "$DL/timeout"
	[ ! -x "$DL/python/usr/bin/python3.11" ] || echo "$DL/python/usr/bin/python3.11")
copy_libs "${elfs[@]}"
# libc's own helpers the programs may dlopen (name service for getpwuid...)
for n in libnss_files.so.2 libgcc_s.so.1; do
	[ -e "/usr/lib/$TRIPLET/$n" ] && cp -L "/usr/lib/$TRIPLET/$n" "$R/usr/lib/$TRIPLET/"
done

# the tree: what tests/run.sh, the e2e tests and the benchmarks read
tar -C "$ROOT" -cf - --exclude="$BUILD/rootfs" --exclude="$BUILD/dl" --exclude="$BUILD/test-logs" \
	--exclude="$BUILD/initramfs.cpio" tests inferior bench man doc Makefile "$BUILD" |
	tar -C "$R/$ROOT" -xf -

if [ $MODE = bench ]; then
	# onestop, cross-built here; the guest has neither gcc nor nm.
	mkdir -p "$R/$ROOT/$BUILD/bench"
	$TRIPLET-gcc -O2 -std=gnu11 -Wall -Wextra -o "$R/$ROOT/$BUILD/bench/onestop" bench/onestop.c
	hot=$($TRIPLET-nm --defined-only "$BUILD/progs/bp_loop" | awk '$3 == "hot" { print $1 }')
	RUN="ONESTOP=$BUILD/bench/onestop ONESTOP_VALUE=$hot ROUNDS=${ROUNDS:-5} bash bench/bp_bench.sh ${BENCH_N:-20000}"
else
	RUN="bash tests/run.sh \$(ls $BUILD/tests/check_* | grep -v '\\.d\$')"
fi
cat >"$R/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin HOME=/root TMPDIR=/tmp LANG=C
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs shm /dev/shm
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mkdir -p /tmp && chmod 1777 /tmp # the initramfs is writable; a tmpfs here would hide a tree under /tmp
ln -sf /proc/self/fd /dev/fd
echo "=== guest: \$(uname -r) \$(uname -m), \$(grep -c ^processor /proc/cpuinfo) cpu(s), \$(dmesg | grep -o 'found [0-9]* breakpoint and [0-9]* watchpoint registers')"
cd "$ROOT"
export KT_LOG_TAIL=${KT_LOG_TAIL:-30} KT_FIXTURES=$ROOT/$BUILD/fixtures KT_EMULATED=1 CK_TIMEOUT_MULTIPLIER=20 TEST_TIMEOUT=300 BUILD=$BUILD T='$FILTER'
[ -n "\$T" ] || unset T
$RUN
echo "KT_GUEST_EXIT=\$?"
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$BUILD/initramfs.cpio"
stamp "initramfs: $(($(stat -c %s "$BUILD/initramfs.cpio") / 1048576)) MiB"

# ---- boot.  -nic none: no ROM wanted; -no-reboot + panic=-1: a dying /init
# ends qemu; timeout: the wall-clock cap.
LOG=$BUILD/guest.log
stamp "booting qemu-system-aarch64 -M virt -cpu $QEMU_CPU -smp $SMP -m $MEM (cap ${CAP}s)"
set +e
timeout -k 10 "$CAP" qemu-system-aarch64 -M virt -cpu "$QEMU_CPU" -smp "$SMP" -m "$MEM" \
	-nographic -no-reboot -nic none -kernel "$DL/vmlinuz" -initrd "$BUILD/initramfs.cpio" \
	-append "console=ttyAMA0 panic=-1 rdinit=/init quiet" </dev/null 2>&1 |
	sed -u 's/\r$//' | tee "$LOG"
qrc=${PIPESTATUS[0]}
set -e
stamp "qemu exited with status $qrc"
[ "$qrc" -ne 124 ] || echo "check-aarch64: the guest hit the ${CAP}s cap" >&2
if [ "$qrc" -eq 0 ] && grep -qx 'KT_GUEST_EXIT=0' "$LOG" &&
	{ [ $MODE = bench ] || grep -Eq '^[0-9]+ passed, 0 failed, [0-9]+ skipped$' "$LOG"; }; then
	stamp "PASS"
	exit 0
fi
stamp "FAIL (guest log: $LOG)"
exit 1
