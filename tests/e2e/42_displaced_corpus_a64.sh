# SPDX-License-Identifier: MIT
# 42_displaced_corpus_a64 - the AArch64 counterpart of 40_displaced_corpus:
# a false conditional breakpoint on every instruction word of corpus_block
# (inferior/progs/corpus_a64.S: b, bl, b.cond both ways, cbz/cbnz, tbz/tbnz,
# adr, adrp, ldr literal x/w/sw/s/d/q, prfm literal, br, blr, ret, PAC and
# BTI hints, ALU, loads, stores, svc), run N times.  The output must be the
# untraced one byte for byte, with displaced stepping on (slots next to the
# program: no step comes back by a trap), on with far slots (KT_FAR_SLOTS:
# every out-of-line step comes back by a trap) and off.
# kt-timeout: 900
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need_arch aarch64 "corpus_a64.S is AArch64 code; 40_displaced_corpus is the x86-64 corpus"

C="$PROGS/corpus_a64"
N=$(emulated 1000 60)

prog corpus_a64 $N
expect_status 0
expect_out_contains "corpus: acc=0x"
prog corpus_a64 size
words=$(sed -nE 's/^corpus: words=([0-9]+)$/\1/p' "$T/out")
[ "${words:-0}" -gt 100 ] || fail "corpus_block has only ${words:-?} words"
for ((k = 0; k < words; k++)); do
	printf 'break *corpus_block+%d if $x0 == 0x123456789\n' $((4 * k))
done >"$T/bps"
echo "planting $words breakpoints"

stat_of() { # NAME: the number after NAME in the kitrace stats line
	sed -nE "s/.*kitrace stats:.* $1 ([0-9]+).*/\1/p" "$T/err" | tail -n 1
}
back_by_trap() { # out-of-line steps that came back by a trap (a second stop)
	sed -nE 's/.*kitrace stats:.* \(([0-9]+) back by trap\).*/\1/p' "$T/err" | tail -n 1
}

# on: slots next to the program, far: slots where the kernel puts them (the
# program is PIE, far beyond b's 128 MiB), off: every step in line.
for mode in on far off; do
	ex=() n=$N
	[ $mode != off ] || ex=(-ex 'set displaced-stepping off')
	[ $mode != far ] || n=$(emulated 200 20)
	[ $mode = far ] && export KT_FAR_SLOTS=1
	prog corpus_a64 $n
	cp "$T/out" "$T/plain"
	RUN_TIMEOUT=800 KITRACE_STATS=1 kt launch --batch "${ex[@]}" -x "$T/bps" -- "$C" $n
	unset KT_FAR_SLOTS
	expect_status 0
	cmp -s "$T/out" "$T/plain" || {
		diff "$T/plain" "$T/out"
		fail "output differs from the untraced run (displaced-stepping $mode)"
	}
	grep 'kitrace stats:' "$T/err" || fail "no kitrace stats"
	silent=$(stat_of silent) emul=$(stat_of emulated) ool=$(stat_of out-of-line)
	inl=$(stat_of in-line)
	[ "${silent:-0}" -gt $((n * 100)) ] || fail "silent hits ${silent:-?} <= $((n * 100))"
	if [ $mode != off ]; then
		far=$(back_by_trap)
		[ "${emul:-0}" -gt $((n * 20)) ] || fail "emulated steps ${emul:-?} <= $((n * 20))"
		[ "${ool:-0}" -gt $((n * 20)) ] || fail "out-of-line steps ${ool:-?} <= $((n * 20))"
		if [ $mode = on ]; then
			[ "${far:-x}" = 0 ] || fail "$far out-of-line steps came back by a trap"
		else
			[ "${far:-0}" -ge "$ool" ] || fail "far slots: ${far:-?} of $ool came back by a trap"
		fi
	else
		[ "${inl:-0}" -ge "${silent:-0}" ] || fail "in-line steps ${inl:-?} < hits ${silent:-?}"
	fi
	expect_err_not_contains "hit Breakpoint"
done
exit 0
