#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vmid_isolation
#
# tests/vmid_isolation.sh [ARGS...]: selftests/vmid_isolation (ARGS are
# its own) with our module loaded three ways: all the VMID bits the hart
# has, vmid_bits=1 (one usable VMID: a rollover whenever another VM
# takes it) and vmid_bits=0 (no VMIDs, as on harts without them).
# Debian's module has no such parameter: it runs once, at full width.
# Leaves kvm as it found it.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

was=$(kvm_flavour)
st=0

# Run the test under our module loaded with "$@" as its parameters.
under_ours() {
	local mark

	if kvm_loaded; then
		rmmod kvm || fail "cannot unload kvm"
	fi
	mark=$(kmsg_mark)
	insmod "$RVKVM_OURS_PATH" "$@" || fail "cannot load kvm.ko $*"
	log "kvm.ko ${*:-(defaults)}: $(kmsg_since "$mark" | grep -o '[0-9]* VMID bits')"
	"$RVKVM_DIR/selftests/vmid_isolation" $ARGS || st=1
}

ARGS="$*"
if [ "$RVKVM_MODULE" = ours ]; then
	under_ours
	under_ours vmid_bits=1
	under_ours vmid_bits=0
else
	"$RVKVM_DIR/selftests/vmid_isolation" "$@" || st=1
fi
kvm_restore "$was" || fail "cannot put kvm back ($was)"
exit $st
