#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/vm_create_probe
#
# tests/aia_host.sh FILES: what the module finds of the host's AIA at
# load, on a host booted with FILES guest interrupt files per hart
# (-M virt,aia=aplic-imsic,aia-guests=FILES; 0 for a host without Ssaia).
# It says so in one kernel log line, with the count the host has; with
# guest files it holds the SGEI interrupt (/proc/interrupts) while
# loaded and releases it at unload, five times over.  Debian's module
# says "AIA available with N guest external interrupts" instead, and
# nothing without Ssaia.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

FILES=${1:?usage: aia_host.sh FILES}

case $RVKVM_MODULE in
ours)	if [ "$FILES" = 0 ]; then
		RE='rvkvm: AIA: the host has no Ssaia'
	else
		RE="rvkvm: AIA: $FILES guest interrupt files on the loading hart"
	fi
	IRQ=rvkvm-sgei ;;
intree)	if [ "$FILES" = 0 ]; then
		RE=	# Debian's says nothing then
	else
		RE="AIA available with $FILES guest external interrupts"
	fi
	IRQ=riscv-kvm ;;
esac

sgei_held() { grep -q " $IRQ\$" /proc/interrupts; }

main() {
	local i mark

	kvm_restore none || fail "cannot unload kvm"
	for i in 1 2 3 4 5; do
		mark=$(kmsg_mark)
		insmod "$RVKVM_MODULE_PATH" || fail "load $i failed"
		if [ "$i" = 1 ] && [ -n "$RE" ]; then
			kmsg_expect_one "$mark" "$RE"
		fi
		kvm_probe 1 || fail "/dev/kvm does not work after load $i"
		if [ "$FILES" = 0 ]; then
			! sgei_held || fail "an SGEI interrupt without guest files"
		else
			sgei_held || fail "no $IRQ line in /proc/interrupts after load $i"
		fi
		rmmod kvm || fail "unload $i failed"
		! sgei_held || fail "$IRQ is still requested after unload $i"
	done
	kvm_restore "$RVKVM_MODULE" || fail "cannot reload kvm"
	log "AIA at load: '$RE' once; SGEI interrupt taken and given back 5 times"
}

main
