#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm selftests/exit_bench selftests/thp_blocks
# rvkvm-needs: selftests/dirty_log_race selftests/rfence_ranged
#
# tests/bench.sh [ROUNDS] [SCALE]: our kvm.ko against Debian's, side by
# side in one host boot.  Each round runs, under each module in turn
# (the order swaps every round, so that a slow spell of the machine hits
# both), selftests/exit_bench (its N times SCALE, default 1), the memory
# figures (first touch at 4 KiB and over THPs, selftests/thp_blocks; the
# dirty log of a 256 MiB slot two vCPUs write, selftests/dirty_log_race;
# SBI remote fences ranged over 1 to 512 pages and full,
# selftests/rfence_ranged -b) and one guest boot to userspace under
# QEMU.  Prints every figure as it comes, then a table per figure and
# way of timing it (the host thread's clock, the guest's rdtime; and the
# exits per operation, from the vCPU's "exits" stat): the median, min-max
# of ROUNDS (default 3) for each module, and the ratio ours/in-tree of
# the medians.  The same table as CSV, on lines starting "BENCH-CSV,"
# (make bench writes them to build/bench.csv).  A benchmark: it fails
# only if something it runs fails.  Leaves kvm as it found it.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

ROUNDS=${1:-3}
SCALE=${2:-1}
DATA=/tmp/bench.data
orig=$(kvm_flavour)
: > $DATA

# A test's "FIGURE NAME UNIT VALUE" lines, as $DATA lines timed BY.
figures() {
	local by=$1 m=$2 r=$3 out=/tmp/bench.out

	shift 3
	"$@" > $out 2>&1 || { cat $out; fail "round $r ($m): $* failed"; }
	grep '^FIGURE' $out | sed "s/^/# round $r, $m: /"
	awk -v m="$m" -v by="$by" '$1 == "FIGURE" { print m, $2, by, $3, $4 }' $out >> $DATA
}

# First touch, 4 KiB and THP; a dirty-log round of 256 MiB; the cost of
# a remote fence by its range (the guest's clock).
bench_memory() {
	figures host "$1" "$2" /rvkvm/selftests/thp_blocks
	figures host "$1" "$2" /rvkvm/selftests/dirty_log_race 5 8192 256
	figures guest "$1" "$2" /rvkvm/selftests/rfence_ranged -b
}

# One module's figures: "MODULE FIGURE BY UNIT VALUE" lines into $DATA.
bench_module() {
	local m=$1 r=$2 out=/tmp/bench.out

	kvm_restore "$m" || fail "cannot load $m"
	/rvkvm/selftests/exit_bench -s "$SCALE" > $out 2>&1 ||
		{ cat $out; fail "round $r ($m): exit_bench failed"; }
	sed "s/^/# round $r, $m: /" $out
	awk -v m="$m" '$1 == "FIGURE" {
		print m, $2, "host", "us", $3
		if ($4 != "-") print m, $2, "guest", "us", $4
		if ($6 > 0) print m, $2, "exits", "/op", $6
	}' $out >> $DATA

	bench_memory "$m" "$r"

	VMM_QUIET=1 vmm_guest /tmp/bench.log hello "" > /dev/null ||
		fail "round $r ($m): QEMU exited with $?"
	echo "# round $r, $m: guest userspace after $VMM_UP s," \
		"$(grep -c 'rcu: INFO' /tmp/bench.log) RCU stall reports"
	echo "$m guest_boot host s $VMM_UP" >> $DATA
}

# "median min max" of FIGURE BY under MODULE.
stats() {
	awk -v m="$1" -v f="$2" -v b="$3" \
		'$1 == m && $2 == f && $3 == b { print $5 }' $DATA | sort -n |
	awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - -"; exit }
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print med, v[1], v[NR] }'
}

r=1
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then order="ours intree"; else order="intree ours"; fi
	for m in $order; do
		bench_module "$m" $r
	done
	r=$((r + 1))
done
kvm_restore "$orig"

echo "medians of $ROUNDS rounds (min-max); ratio = ours / in-tree"
printf '%-22s %-5s %-4s %24s %24s %6s\n' figure by unit ours in-tree ratio
echo "BENCH-CSV,figure,by,unit,ours_median,ours_min,ours_max,intree_median,intree_min,intree_max,ratio"
awk '!seen[$2 " " $3]++ { print $2, $3, $4 }' $DATA |
while read -r fig by unit; do
	# shellcheck disable=SC2046 # three numbers, split on purpose
	set -- $(stats ours "$fig" "$by") $(stats intree "$fig" "$by")
	ratio=$(awk -v o="$1" -v i="$4" 'BEGIN {
		if (o == "-" || i == "-" || i == 0) print "-"; else printf "%.2f", o / i }')
	printf '%-22s %-5s %-4s %24s %24s %6s\n' "$fig" "$by" "$unit" \
		"$1 ($2-$3)" "$4 ($5-$6)" "$ratio"
	echo "BENCH-CSV,$fig,$by,$unit,$1,$2,$3,$4,$5,$6,$ratio"
done
