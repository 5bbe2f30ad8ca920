#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_smp.sh [MIB [DEBUG_MIB]]: a 2-vCPU Debian-kernel guest under
# QEMU -accel kvm generates two MIB-MiB files (default 128), one per vCPU, and
# hashes them in parallel; the hashes must equal those computed on the
# build machine, and QEMU must exit 0 after the guest's SBI SRST shutdown.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

# A second size (a list's "@debug" tail) wins: the debug host is slower.
MIB=${2:-${1:-128}}
LOG=/tmp/guest-smp.log
VMM_QUIET=1
vmm_guest "$LOG" sha "$MIB"
st=$?
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"
grep -q '^rvkvm-guest: up .*, 2 CPUs,' "$LOG" || fail "the guest did not see 2 CPUs"
for t in 0 1; do
	got=$(vmm_said "$LOG" "sha d$t")
	want=$(vmm_expected "$t" "$MIB")
	[ -n "$want" ] || fail "no expected hash for $MIB MiB"
	[ "$got" = "$want" ] || fail "file $t: guest hashed $got, expected $want"
done
echo "# guest: userspace in $VMM_UP s; 2 x $MIB MiB generated and hashed on 2 vCPUs, both right"
