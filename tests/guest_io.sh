#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_io.sh: devices QEMU emulates in userspace, through
# KVM_EXIT_MMIO.  virtio-blk: the guest hashes an 8 MiB disk image made
# here and overwrites its second half, which is checked here afterwards.
# virtio-net (user-mode networking): the guest fetches a 4 MiB file from
# busybox httpd on this host's loopback (10.0.2.2 from the guest) and
# hashes it.  All hashes are compared with the build machine's.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

LOG=/tmp/guest-io.log
vmm_io_setup 127.0.0.1:8080

VMM_QUIET=1
vmm_guest "$LOG" io http://10.0.2.2:8080/f \
	-drive "file=$VMM_IMG,format=raw,if=none,id=d0" -device virtio-blk-device,drive=d0 \
	-netdev user,id=n0 -device virtio-net-device,netdev=n0
st=$?
killall httpd 2>/dev/null
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"

vmm_io_check "$LOG"
echo "# guest: virtio-blk read and write, virtio-net fetch: all hashes right"
