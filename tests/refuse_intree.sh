#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vm_create_probe selftests/finit_module
#
# tests/refuse_intree.sh: with Debian's kvm.ko loaded, the module under
# test must not load (the kernel has one module per name: EEXIST), and
# the loaded one must keep working.  Once it is unloaded, ours loads and
# works.  Meant for a boot with nothing loaded; leaves kvm as it found it.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

# A load that must fail with EEXIST: any other error would mean the
# module never got as far as the name check, which proves nothing.
insmod_refused() {
	local out

	if out=$(load_once "$1" 2>&1); then
		log "$1 loaded"
		return 1
	fi
	log "refused: $out"
	case $out in
	*"File exists"*) ;;
	*)	log "expected EEXIST (File exists)"; return 1 ;;
	esac
}

main() {
	local start

	[ -f "$RVKVM_INTREE_PATH" ] || skip "no in-tree kvm.ko packed"
	start=$(kvm_flavour)
	kvm_restore none || fail "cannot unload the $start kvm"

	insmod "$RVKVM_INTREE_PATH" || fail "in-tree kvm.ko does not load"
	log "in-tree kvm loaded; now $RVKVM_MODULE_PATH"
	insmod_refused "$RVKVM_MODULE_PATH" ||
		fail "$RVKVM_MODULE_PATH was not refused with EEXIST"
	[ "$(kvm_flavour)" = intree ] || fail "kvm is no longer the in-tree one"
	kvm_probe 1 || fail "/dev/kvm broken after the refused insmod"
	log "in-tree kvm still works"

	rmmod kvm || fail "cannot unload the in-tree kvm"
	insmod "$RVKVM_MODULE_PATH" ||
		fail "$RVKVM_MODULE_PATH does not load after the in-tree one left"
	kvm_probe 1 || fail "/dev/kvm does not work with $RVKVM_MODULE"
	log "$RVKVM_MODULE kvm loads and works once the in-tree one is gone"

	kvm_restore "$start" || fail "cannot restore kvm ($start)"
}

main
