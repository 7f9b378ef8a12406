# SPDX-License-Identifier: MIT
# 40_displaced_corpus - a false conditional breakpoint on every instruction of
# corpus_block and its callees (inferior/progs/corpus.S: RIP-relative
# loads/stores/lea/cmp with many ModRM.reg registers, direct/indirect calls
# and jumps, jcc both ways, ret/ret $8/repz ret, push/pop/pushfq, syscall,
# loop/jrcxz, VEX RIP-relative, a fork while patched).  The output must be
# the untraced one byte for byte, with displaced stepping on and off.
# kt-timeout: 900
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need_arch x86_64 "corpus.S is x86-64 code; 42_displaced_corpus_a64 is the AArch64 corpus"
need objdump nm

C="$PROGS/corpus"
N=1000

prog corpus $N
expect_status 0
expect_out_contains "corpus: child ok"
expect_out_contains "corpus: acc=0x"
cp "$T/out" "$T/plain"

# Every instruction offset in [corpus_block, corpus_end].
start=$(nm "$C" | awk '$3 == "corpus_block" { print $1 }')
end=$(nm "$C" | awk '$3 == "corpus_end" { print $1 }')
[ -n "$start" ] && [ -n "$end" ] || fail "no corpus_block/corpus_end in $C"
objdump -d --no-show-raw-insn --start-address=0x$start --stop-address=0x$end "$C" |
	awk -F: '/^ *[0-9a-f]+:\t/ { print $1 }' |
	while read -r a; do
		printf 'break *corpus_block+%d if $rax == 0x123456789\n' $((0x$a - 0x$start))
	done >"$T/bps"
nbp=$(wc -l <"$T/bps")
[ "$nbp" -gt 300 ] || fail "only $nbp instructions found in corpus_block"
echo "planting $nbp breakpoints"

stat_of() { # NAME: the number after NAME in the kitrace stats line
	sed -nE "s/.*kitrace stats:.* $1 ([0-9]+).*/\1/p" "$T/err" | tail -n 1
}

for mode in on off; do
	ex=() file=$T/bps
	[ $mode = on ] || ex=(-ex 'set displaced-stepping off')
	RUN_TIMEOUT=600 KITRACE_STATS=1 kt launch --batch "${ex[@]}" -x "$file" -- "$C" $N
	expect_status 0
	cmp -s "$T/out" "$T/plain" || {
		diff "$T/plain" "$T/out"
		fail "output differs from the untraced run (displaced-stepping $mode)"
	}
	expect_err_contains "kitrace stats:"
	grep 'kitrace stats:' "$T/err"
	silent=$(stat_of silent) emul=$(stat_of emulated) ool=$(stat_of out-of-line)
	inl=$(stat_of in-line)
	if [ $mode = on ]; then
		[ "${silent:-0}" -gt $((N * 10)) ] || fail "silent hits ${silent:-?} <= $((N * 10))"
		[ "${emul:-0}" -gt 0 ] || fail "no emulated steps"
		[ "${ool:-0}" -gt 0 ] || fail "no out-of-line steps"
	else
		# Off: every hit is a lift-step-replant, and a step that lands on
		# the next breakpoint hits it (its condition is evaluated).
		[ "${silent:-0}" -gt $((N * 10)) ] || fail "silent hits ${silent:-?} <= $((N * 10))"
		[ "${inl:-0}" -ge "${silent:-0}" ] || fail "in-line steps ${inl:-?} < hits ${silent:-?}"
	fi
	# no breakpoint ever stopped (the condition is always false)
	expect_err_not_contains "hit Breakpoint"
done
exit 0
