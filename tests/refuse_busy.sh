#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vm_create_probe selftests/finit_module
#
# tests/refuse_busy.sh: while another module (kvm_holder.ko) holds the
# misc device /dev/kvm (minor 232), the module under test must not load,
# and must say why in exactly one kernel log line naming /dev/kvm.  With
# the holder gone it loads.  Meant for a boot with nothing loaded; leaves
# kvm as it found it.
#
# RVKVM_BUSY_RE overrides the expected line (an extended regex).

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

# What each module says when misc_register() finds the minor taken.
case $RVKVM_MODULE in
ours)	BUSY_RE='rvkvm.*/dev/kvm' ;;
intree)	BUSY_RE='misc device register failed' ;;
esac
BUSY_RE=${RVKVM_BUSY_RE:-$BUSY_RE}

holder_name() { basename "$RVKVM_HOLDER_PATH" .ko; }

main() {
	local start mark

	[ -f "$RVKVM_HOLDER_PATH" ] ||
		skip "no $(holder_name).ko packed: build selftests/holder or set RVKVM_HOLDER_KO"
	start=$(kvm_flavour)
	kvm_restore none || fail "cannot unload the $start kvm"

	insmod "$RVKVM_HOLDER_PATH" || fail "$(holder_name).ko does not load"
	grep -q '^232 ' /proc/misc || fail "$(holder_name) did not take minor 232"
	log "$(holder_name) holds /dev/kvm: $(grep '^232 ' /proc/misc)"

	mark=$(kmsg_mark)
	if load_once "$RVKVM_MODULE_PATH"; then
		rmmod kvm
		fail "$RVKVM_MODULE_PATH loaded while /dev/kvm was taken"
	fi
	kmsg_expect_one "$mark" "$BUSY_RE"
	kvm_loaded && fail "a kvm module is loaded after the refusal"

	rmmod "$(holder_name)" || fail "cannot unload $(holder_name)"
	insmod "$RVKVM_MODULE_PATH" ||
		fail "$RVKVM_MODULE_PATH does not load once /dev/kvm is free"
	kvm_probe 1 || fail "/dev/kvm does not work with $RVKVM_MODULE"
	log "$RVKVM_MODULE kvm loads and works once /dev/kvm is free"

	kvm_restore "$start" || fail "cannot restore kvm ($start)"
}

main
