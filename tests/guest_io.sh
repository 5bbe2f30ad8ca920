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
IMG=/tmp/disk.img
WWW=/tmp/www

yes "rvkvm guest data 1" | head -c $((8 * 1048576)) > "$IMG"
mkdir -p "$WWW"
yes "rvkvm guest data 3" | head -c $((4 * 1048576)) > "$WWW/f"
ip link set lo up
httpd -p 127.0.0.1:8080 -h "$WWW" || fail "httpd did not start"

VMM_QUIET=1
vmm_guest "$LOG" io http://10.0.2.2:8080/f \
	-drive "file=$IMG,format=raw,if=none,id=d0" -device virtio-blk-device,drive=d0 \
	-netdev user,id=n0 -device virtio-net-device,netdev=n0
st=$?
killall httpd 2>/dev/null
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"

check() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
check "guest read of the disk" "$(vmm_said "$LOG" "vda read sha")" "$(vmm_expected 1 8)"
check "disk's first half, here" \
	"$(dd if="$IMG" bs=1M count=4 2>/dev/null | sha256sum | cut -d' ' -f1)" \
	"$(vmm_expected 1 4)"
check "disk's second half, written by the guest" \
	"$(dd if="$IMG" bs=1M skip=4 2>/dev/null | sha256sum | cut -d' ' -f1)" \
	"$(vmm_expected 2 4)"
check "file fetched over virtio-net" "$(vmm_said "$LOG" "net got sha")" "$(vmm_expected 3 4)"
echo "# guest: virtio-blk read and write, virtio-net fetch: all hashes right"
