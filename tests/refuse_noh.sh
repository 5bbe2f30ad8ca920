#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/finit_module
#
# tests/refuse_noh.sh: on a host without the H extension the module under
# test must not load, and must say so in exactly one kernel log line.
# Meant for a boot with "cpu=rv64,h=false module=none".
#
# RVKVM_NOH_RE overrides the expected line (an extended regex).

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

# What each module says when the CPU has no hypervisor extension.
case $RVKVM_MODULE in
ours)	NOH_RE='rvkvm.*(\<H\>|[Hh]ypervisor)' ;;
intree)	NOH_RE='hypervisor extension not available' ;;
esac
NOH_RE=${RVKVM_NOH_RE:-$NOH_RE}

# The single-letter extensions, before the first '_' of the isa string.
host_has_h() {
	grep -m1 '^isa' /proc/cpuinfo | sed 's/.*: *rv64//; s/_.*//' | grep -q h
}

main() {
	local mark

	host_has_h && fail "this host has H: the section must set h=false"
	kvm_loaded && fail "kvm is loaded on a host without H"

	mark=$(kmsg_mark)
	if load_once "$RVKVM_MODULE_PATH"; then
		rmmod kvm
		fail "$RVKVM_MODULE_PATH loaded on a host without H"
	fi
	kmsg_expect_one "$mark" "$NOH_RE"
	kvm_loaded && fail "a kvm module is loaded after the refusal"
	log "$RVKVM_MODULE kvm refused to load without H, and said so"
}

main
