#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vm_create_probe
#
# tests/modcycle.sh [CYCLES]: load the module under test, create and close
# a few VMs with a vCPU each, unload; CYCLES times (default 20).  Fails if a
# step fails, if the kernel log has a forbidden line, or if slab or per-CPU
# memory grows from the end of the warm-up cycles to the end of the last
# one: what the module leaks per load or per VM piles up here.  Leaves kvm
# as it found it.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

CYCLES=${1:-20}
VMS=5		# per load: a per-VM leak shows 5 times faster
# The first cycles fill caches that stay (kmalloc slabs, per-CPU chunks,
# sysfs and kernfs nodes): measure from after them.
WARMUP=2
# Allowed growth, KiB, over the 18 measured cycles (90 VMs).  Settled
# figures move by up to ~170 KiB between identical runs (SLUB keeps some
# empty slabs per cache and CPU; SReclaimable and SUnreclaim trade), so
# 512 KiB is well above noise, yet a leak of ~6 KiB a VM (a struct kvm,
# its memslots, a vCPU's kmalloc'ed state) or ~28 KiB a load crosses it.
# A leaked object of kvm's own caches is louder still: destroying the
# cache at unload WARNs.  Per-CPU memory moves in whole pages per CPU
# (8 KiB here); 64 KiB allows a few chunk refills, not a per-CPU
# allocation left behind on every load.
SLAB_MAX=${RVKVM_SLAB_MAX:-512}
PERCPU_MAX=${RVKVM_PERCPU_MAX:-64}

# Free what can be freed, so that what is left is what is held.
settle() {
	local f

	sync
	echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 > "$f" 2>/dev/null || true
	done
	sleep 1
}

# "Slab SUnreclaim Percpu" in KiB, settled.
snapshot() {
	settle
	echo "$(meminfo_kb Slab) $(meminfo_kb SUnreclaim) $(meminfo_kb Percpu)"
}

cycle() {
	insmod "$RVKVM_MODULE_PATH" || fail "cycle $1: insmod failed"
	kvm_probe $VMS || fail "cycle $1: VM/vCPU probe failed"
	rmmod kvm || fail "cycle $1: rmmod failed"
	log "cycle $1 ok, Slab $(meminfo_kb Slab) KiB unsettled"
}

# Print one figure; false if it grew past its limit.
growth() {
	local what=$1 before=$2 after=$3 max=$4 d

	d=$((after - before))
	log "$what: $before -> $after KiB (growth $d KiB, limit $max KiB)"
	[ "$d" -le "$max" ]
}

main() {
	local start i base='' final grew=0

	[ "$CYCLES" -gt "$WARMUP" ] || fail "need more than $WARMUP cycles"
	start=$(kvm_flavour)
	kvm_restore none || fail "cannot unload the $start kvm"
	log "$CYCLES cycles of $RVKVM_MODULE ($RVKVM_MODULE_PATH) with $VMS VMs" \
		"each; kvm was: $start"
	i=1
	while [ "$i" -le "$CYCLES" ]; do
		cycle "$i"
		[ "$i" = "$WARMUP" ] && base=$(snapshot)
		i=$((i + 1))
	done
	final=$(snapshot)
	kvm_restore "$start" || fail "cannot reload the $start kvm"

	# shellcheck disable=SC2086 # the snapshots are split on purpose
	set -- $base $final
	growth Slab "$1" "$4" "$SLAB_MAX" || grew=1
	growth SUnreclaim "$2" "$5" "$SLAB_MAX" || grew=1
	growth Percpu "$3" "$6" "$PERCPU_MAX" || grew=1
	! kmsg_since 0 | kmsg_forbidden || fail "forbidden kernel log lines"
	[ "$grew" = 0 ] || fail "memory grew past its limit over $CYCLES cycles"
	log "$CYCLES cycles, no growth past the limits"
}

main
