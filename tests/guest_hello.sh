#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_hello.sh: what `make run` shows.  QEMU 10 -accel kvm boots
# Debian's kernel on the loaded kvm.ko, the guest greets and powers off
# through SBI SRST; QEMU must exit 0.  Ends with a one-line summary.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

LOG=/tmp/guest-hello.log
echo "# guest: qemu-system-riscv64 -M virt -accel kvm -cpu host" \
	"-smp $VMM_SMP -m $VMM_MEM, on $(kvm_flavour) kvm.ko"
vmm_guest "$LOG" "${VMM_TASK:-hello}" ""
st=$?
echo "rvkvm-run: guest reached userspace in $VMM_UP s, QEMU exit status $st"
[ "$st" = 0 ] || fail "QEMU exited with $st"
grep -q '^rvkvm-guest: done, powering off' "$LOG" ||
	fail "the guest did not finish its task"
