#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vm_cycle
#
# tests/modcycle.sh [CYCLES [SEED]]: load the module under test, create,
# run and destroy a few VMs (selftests/vm_cycle: one or two vCPUs each,
# running guest code that faults in memory), unload; CYCLES times
# (default 20).  Fails if a step fails, if the kernel log has a forbidden
# line, if a vCPU object is still allocated once the VMs are gone, if
# kvm's slab cache outlives the module, or if slab, per-CPU or free
# memory moves past its limit from the end of the warm-up cycles to the
# end of the last one: what the module leaks per load or per VM piles up
# here.  SEED (default: the time) seeds the VMs, and is printed first.
# Leaves kvm as it found it.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

CYCLES=${1:-20}
SEED=${2:-$(date +%s)}
VMS=5		# per load: a per-VM leak shows 5 times faster
# The first cycles fill caches that stay (kmalloc slabs, per-CPU chunks,
# sysfs and kernfs nodes): measure from after them.
WARMUP=2
# Allowed growth, KiB, from the warm-up to the end.  Settled figures
# move by up to ~170 KiB between identical runs (SLUB keeps some empty
# slabs per cache and CPU; SReclaimable and SUnreclaim trade), so 512 KiB
# is well above noise, yet a leak of ~6 KiB a VM (a struct kvm, its
# memslots, a vCPU's kmalloc'ed state) or ~28 KiB a load crosses it in 18
# cycles (90 VMs).  A leaked vCPU is caught exactly (kvm_vcpu objects in
# use after each cycle), and a leaked object of kvm's own cache also
# WARNs when the cache is destroyed at unload.  Per-CPU memory moves in
# whole pages per CPU (8 KiB here); 64 KiB allows a few chunk refills,
# not a per-CPU allocation left behind on every load.
SLAB_MAX=${RVKVM_SLAB_MAX:-512}
PERCPU_MAX=${RVKVM_PERCPU_MAX:-64}
# Free memory (MemFree plus the per-CPU free lists, see mem_free_kb in
# lib.sh) moved by up to 0.5 MiB between settled snapshots here; 1 MiB
# still catches a page (a G-stage table, a vCPU's run page) leaked by
# every other VM of 100 cycles (500 VMs), or every fourth load.
MEMFREE_MAX=${RVKVM_MEMFREE_MAX:-1024}

cycle() {
	local n

	insmod "$RVKVM_MODULE_PATH" || fail "cycle $1: insmod failed"
	"$RVKVM_DIR/selftests/vm_cycle" -n $VMS -s $((SEED + $1)) \
		> /tmp/vm_cycle.out 2>&1 ||
		{ cat /tmp/vm_cycle.out; fail "cycle $1: vm_cycle failed"; }
	n=$(slab_in_use kvm_vcpu)
	[ "${n:-0}" = 0 ] || fail "cycle $1: $n kvm_vcpu objects in use, no VM left"
	rmmod kvm || fail "cycle $1: rmmod failed"
	[ -z "$(kvm_slabs)" ] || { kvm_slabs; fail "cycle $1: kvm caches outlive the module"; }
	log "cycle $1 ok, Slab $(meminfo_kb Slab) KiB unsettled"
}

main() {
	local start i base='' final t0

	[ "$CYCLES" -gt "$WARMUP" ] || fail "need more than $WARMUP cycles"
	log "seed $SEED (replay: modcycle.sh $CYCLES $SEED)"
	start=$(kvm_flavour)
	kvm_restore none || fail "cannot unload the $start kvm"
	log "$CYCLES cycles of $RVKVM_MODULE ($RVKVM_MODULE_PATH) with $VMS VMs" \
		"each; kvm was: $start"
	i=1
	t0=$(cut -d' ' -f1 /proc/uptime)
	while [ "$i" -le "$CYCLES" ]; do
		cycle "$i"
		[ "$i" = "$WARMUP" ] && base=$(mem_snapshot)
		i=$((i + 1))
	done
	log "$CYCLES cycles in $(awk -v t0="$t0" '{ printf "%.1f s, %.2f cycles/s",
		$1 - t0, '"$CYCLES"' / ($1 - t0) }' /proc/uptime)"
	final=$(mem_snapshot)
	kvm_restore "$start" || fail "cannot reload the $start kvm"

	! kmsg_since 0 | kmsg_forbidden || fail "forbidden kernel log lines"
	mem_compare "$base" "$final" "$SLAB_MAX" "$PERCPU_MAX" "$MEMFREE_MAX" ||
		fail "memory moved past its limit over $CYCLES cycles"
	log "$CYCLES cycles, no growth past the limits"
}

main
