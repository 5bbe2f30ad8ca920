#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vmid_isolation selftests/rfence_ranged
#
# tests/vmid_isolation.sh [ARGS...]: selftests/vmid_isolation (ARGS are
# its own) with our module loaded three ways: all the VMID bits the hart
# has, vmid_bits=1 (one usable VMID: a rollover whenever another VM
# takes it) and vmid_bits=0 (no VMIDs, as on harts without them).
# Debian's module has no such parameter: it runs once, at full width.
# Beside vmid_isolation's VMs each time runs selftests/rfence_ranged: a
# VM whose vCPUs queue ranged remote fences for each other, which then
# meet the rollovers.  Leaves kvm as it found it.

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
	with_fences
}

# vmid_isolation, and rfence_ranged at the same time.
with_fences() {
	local pid

	"$RVKVM_DIR/selftests/rfence_ranged" -n 50000 > /tmp/rfence.log 2>&1 &
	pid=$!
	"$RVKVM_DIR/selftests/vmid_isolation" $ARGS || st=1
	wait $pid || st=1
	sed 's/^/# rfence_ranged: /' /tmp/rfence.log
}

ARGS="$*"
if [ "$RVKVM_MODULE" = ours ]; then
	under_ours
	under_ours vmid_bits=1
	under_ours vmid_bits=0
else
	with_fences
fi
kvm_restore "$was" || fail "cannot put kvm back ($was)"
exit $st
