#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/memfd_shrink
#
# tests/memfd_shrink.sh [SEED]: selftests/memfd_shrink (holes punched in,
# then a shrink of, a memfd memslot under a running guest), then kvm must
# unload, and its slab cache go with it.  Leaves kvm as it found it.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

SEED=${1:-$(date +%s)}

main() {
	local start

	start=$(kvm_flavour)
	[ "$start" = "$RVKVM_MODULE" ] ||
		kvm_restore "$RVKVM_MODULE" || fail "cannot load $RVKVM_MODULE"
	"$RVKVM_DIR/selftests/memfd_shrink" -s "$SEED" || fail "memfd_shrink failed"
	kvm_restore none || fail "rmmod kvm failed after the shrunk memslot"
	[ -z "$(kvm_slabs)" ] || { kvm_slabs; fail "kvm caches outlive the module"; }
	kvm_restore "$start" || fail "cannot reload the $start kvm"
	log "kvm unloaded after the VM with the shrunk memslot"
}

main
