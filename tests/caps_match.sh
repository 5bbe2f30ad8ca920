#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/caps_dump
#
# tests/caps_match.sh: KVM_CHECK_EXTENSION on /dev/kvm and on a VM must
# give the same value for every capability with our module as with
# Debian's in-tree kvm.ko of the same kernel: userspace picks its code
# paths by them.  Also the API version and the vCPU mmap size.  Meant
# for a boot with nothing loaded; leaves kvm as it found it.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

DUMP=$RVKVM_DIR/selftests/caps_dump

dump_with() {
	kvm_restore none || fail "cannot unload kvm"
	insmod "$(module_path "$1")" || fail "$1 kvm.ko does not load"
	"$DUMP" > "/tmp/caps.$1" || fail "caps_dump failed with $1"
}

main() {
	local start diffs

	[ -f "$RVKVM_INTREE_PATH" ] || skip "no in-tree kvm.ko packed"
	[ -f "$RVKVM_OURS_PATH" ] || skip "no kvm.ko of ours packed"
	start=$(kvm_flavour)
	dump_with intree
	dump_with ours
	kvm_restore "$start" || fail "cannot restore kvm ($start)"

	log "non-zero capabilities with ours:"
	grep -v ' 0$' /tmp/caps.ours | grep -v '^vm ' | sed 's/^/  /'
	diffs=$(diff /tmp/caps.intree /tmp/caps.ours || true)
	[ -z "$diffs" ] || fail "capabilities differ (< in-tree, > ours):
$diffs"
	log "$(wc -l < /tmp/caps.ours) values identical"
}

main
