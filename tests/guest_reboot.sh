#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_reboot.sh: SBI SRST reset three times in a row in one QEMU
# process.  The guest counts its boots on a virtio-blk disk, reboots until
# the fourth boot, then shuts down; QEMU must exit 0 after exactly boots
# 1, 2, 3 and 4.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

LOG=/tmp/guest-reboot.log
IMG=/tmp/boots.img
dd if=/dev/zero of="$IMG" bs=512 count=8 2>/dev/null
VMM_QUIET=1
vmm_guest "$LOG" reboot "" -drive "file=$IMG,format=raw,if=none,id=d0" \
	-device virtio-blk-device,drive=d0
st=$?
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"
seq=$(sed -n 's/^rvkvm-guest: boot \([0-9]*\).*/\1/p' "$LOG" | tr -d '\r' | tr '\n' ' ')
[ "$seq" = "1 2 3 4 " ] || fail "boots seen: '$seq', expected '1 2 3 4 '"
[ "$(head -c 1 "$IMG")" = 4 ] || fail "the disk's boot count is not 4"
echo "# guest: 3 SRST resets and a shutdown in one QEMU process"
