#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: kvm/access_tracking_perf_test
#
# tests/access_tracking.sh [ARGS]: the kernel's access_tracking_perf_test
# (the age notifiers: test_young and clear_young on guest memory), with
# the MGLRU aging it needs when the kernel has no page_idle (Debian's
# 7.2): the memory cgroup controller, and lru_gen's page-table walk on.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

main() {
	[ -e /sys/kernel/mm/lru_gen/enabled ] ||
		[ -e /sys/kernel/mm/page_idle/bitmap ] ||
		skip "the kernel has neither MGLRU nor page_idle"
	if [ -e /sys/kernel/mm/lru_gen/enabled ]; then
		[ -e /sys/fs/cgroup/cgroup.controllers ] ||
			mount -t cgroup2 none /sys/fs/cgroup ||
			fail "cannot mount cgroup2"
		echo +memory > /sys/fs/cgroup/cgroup.subtree_control ||
			fail "cannot enable the memory controller"
		echo 0x3 > /sys/kernel/mm/lru_gen/enabled ||
			fail "cannot enable lru_gen's page-table walk"
		# The walk needs hardware A/D updates (Svadu on RISC-V).
		[ $(($(cat /sys/kernel/mm/lru_gen/enabled) & 2)) != 0 ] ||
			skip "lru_gen cannot walk page tables: the host CPU has no Svadu"
	fi
	"$RVKVM_DIR/kvm/access_tracking_perf_test" "$@"
}

main "$@"
