#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/bench_guest_boot.sh [RUNS]: the guest's boot time to userspace
# under our kvm.ko and under Debian's, side by side in one host boot:
# RUNS boots each (default 5), alternating modules so that a slow spell of
# the machine hits both.  Prints every time, the guest's RCU stall
# reports of each boot (a starved or lost timer shows there) and the
# medians.  A benchmark:
# it fails only if a boot fails.  Leaves kvm as it found it.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

RUNS=${1:-5}
orig=$(kvm_flavour)
: > /tmp/times.ours
: > /tmp/times.intree

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

i=1
while [ $i -le "$RUNS" ]; do
	for m in ours intree; do
		kvm_restore "$m" || fail "cannot load $m"
		VMM_QUIET=1 vmm_guest /tmp/bench.log hello "" > /dev/null
		st=$?
		[ "$st" = 0 ] || fail "run $i ($m): QEMU exited with $st"
		echo "$VMM_UP" >> "/tmp/times.$m"
		echo "# run $i, $m: guest userspace after $VMM_UP s," \
			"$(grep -c 'rcu: INFO' /tmp/bench.log) RCU stall reports"
	done
	i=$((i + 1))
done
kvm_restore "$orig"
echo "# guest boot to userspace, median of $RUNS: ours $(median /tmp/times.ours) s, in-tree $(median /tmp/times.intree) s"
