#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_aia.sh [SMP]: QEMU's in-kernel AIA (-M virt,aia=aplic-imsic,
# KVM_CAP_IRQCHIP on an Ssaia host): an SMP Debian-kernel guest whose
# interrupts all go through KVM's APLIC and IMSIC files (its IPIs are
# IMSIC MSIs, its virtio-mmio lines APLIC sources) hashes two 8 MiB
# files in parallel and a virtio-blk disk; the hashes must be right,
# the guest must have found its IMSIC, and QEMU must exit 0.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

VMM_SMP=${1:-2}
VMM_MACHINE=virt,aia=aplic-imsic
LOG=/tmp/guest-aia.log
IMG=/tmp/disk.img

yes "rvkvm guest data 1" | head -c $((8 * 1048576)) > "$IMG"
vmm_guest "$LOG" sha 8 \
	-drive "file=$IMG,format=raw,if=none,id=d0" -device virtio-blk-device,drive=d0
st=$?
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"
grep -q "^rvkvm-guest: up .*, $VMM_SMP CPUs," "$LOG" ||
	fail "the guest did not see $VMM_SMP CPUs"
grep -qi 'riscv-imsic.*\(mapped\|present\|interrupt\)' "$LOG" ||
	fail "the guest found no IMSIC"
for t in 0 1; do
	got=$(vmm_said "$LOG" "sha d$t")
	[ "$got" = "$(vmm_expected "$t" 8)" ] || fail "file $t: guest hashed $got"
done
echo "# guest: $VMM_SMP vCPUs on the in-kernel AIA, hashes right, up in $VMM_UP s"
