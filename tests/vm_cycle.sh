#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vm_cycle
#
# tests/vm_cycle.sh [CYCLES [SEED]]: CYCLES (default 1000) VMs created,
# run and destroyed by selftests/vm_cycle with the module under test
# loaded throughout.  Fails if a cycle fails, if the kernel log has a
# forbidden line, if a vCPU object is still allocated afterwards, or if
# slab, per-CPU or free memory moves past its limit from after a warm-up
# run to after the CYCLES: what the module leaks per VM piles up here.
# SEED (default: the time) is printed first.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

CYCLES=${1:-1000}
SEED=${2:-$(date +%s)}
WARMUP=20
VM_CYCLE=$RVKVM_DIR/selftests/vm_cycle
# Limits, KiB, over the CYCLES, the same as tests/modcycle.sh's (which
# says how noisy each figure is): over 1000 VMs, a leak of 0.5 KiB a VM
# crosses the slab limit, and a page leaked by every fourth VM the free
# memory one; over 200, 2.5 KiB and a page every VM.
SLAB_MAX=${RVKVM_SLAB_MAX:-512}
PERCPU_MAX=${RVKVM_PERCPU_MAX:-64}
MEMFREE_MAX=${RVKVM_MEMFREE_MAX:-1024}

main() {
	local base final n

	log "seed $SEED (replay: vm_cycle.sh $CYCLES $SEED)"
	[ "$(kvm_flavour)" = "$RVKVM_MODULE" ] ||
		kvm_restore "$RVKVM_MODULE" || fail "cannot load $RVKVM_MODULE"
	"$VM_CYCLE" -n $WARMUP -s $((SEED - 1)) > /tmp/warmup.out 2>&1 ||
		{ cat /tmp/warmup.out; fail "warm-up run failed"; }
	base=$(mem_snapshot)
	"$VM_CYCLE" -n "$CYCLES" -s "$SEED" || fail "vm_cycle failed"
	final=$(mem_snapshot)

	n=$(slab_in_use kvm_vcpu)
	log "kvm_vcpu objects in use after the cycles: ${n:-no cache}"
	[ "${n:-0}" = 0 ] || fail "$n vCPUs outlive their VMs"
	! kmsg_since 0 | kmsg_forbidden || fail "forbidden kernel log lines"
	mem_compare "$base" "$final" "$SLAB_MAX" "$PERCPU_MAX" "$MEMFREE_MAX" ||
		fail "memory moved past its limit over $CYCLES VMs"
	log "$CYCLES VMs, no growth past the limits"
}

main
