#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm mod/drivers/net/tun mod/drivers/net/tap
# rvkvm-needs: mod/drivers/vhost/vhost_iotlb mod/drivers/vhost/vhost
# rvkvm-needs: mod/drivers/vhost/vhost_net
#
# tests/guest_vhost.sh [SMP]: vhost-net on the in-kernel AIA.  QEMU
# (-M virt,aia=aplic-imsic) gives a Debian-kernel guest a virtio-net-pci
# device on a tap device of this host with vhost=on: the host kernel's
# vhost worker moves the packets, QEMU's ioeventfds kick it and its
# irqfds carry its MSI-X interrupts into the guest's IMSIC files, so no
# packet goes through QEMU.  The guest fetches a file from busybox httpd
# here (10.0.3.2 on the tap device) and checks a virtio-blk-pci disk; the
# hashes must be right, the vhost worker must have run, and QEMU must
# exit 0.  Where the module counts MSIs (rvkvm's VM stats in debugfs),
# their count is printed.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

VMM_SMP=${1:-2}
VMM_MACHINE=virt,aia=aplic-imsic
LOG=/tmp/guest-vhost.log
SEEN=/tmp/vhost.seen

# A host kernel of our own build (the debug host) may not have built them.
[ -f /rvkvm/mod/drivers/vhost/vhost_net ] ||
	skip "the host kernel's tun, tap and vhost modules are not packed here"
for m in net/tun net/tap vhost/vhost_iotlb vhost/vhost vhost/vhost_net; do
	insmod "/rvkvm/mod/drivers/$m" 2>/dev/null || [ -d "/sys/module/${m#*/}" ] ||
		fail "insmod ${m#*/} failed"
done
[ -c /dev/vhost-net ] || fail "no /dev/vhost-net"

vmm_io_setup 8080

# Bring tap0 up once QEMU made it; note the vhost worker and the MSI
# counts while the guest runs.
watch_tap() {
	while ! ip link show tap0 > /dev/null 2>&1; do sleep 0.1; done
	ip addr add 10.0.3.2/24 dev tap0
	ip link set tap0 up
	: > "$SEEN"
	while ip link show tap0 > /dev/null 2>&1; do
		grep -qs '^vhost-' /proc/[0-9]*/task/*/comm && echo worker >> "$SEEN"
		for s in /sys/kernel/debug/kvm/*/aia_msi_hw; do
			[ -f "$s" ] && echo "msi $(cat "$s") $(cat "${s%_hw}_sw")" >> "$SEEN"
		done
		sleep 0.5
	done
}
watch_tap &

VMM_QUIET=1
vmm_guest "$LOG" aia "http://10.0.3.2:8080/f,0" \
	-drive "file=$VMM_IMG,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0 \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on \
	-device virtio-net-pci,netdev=n0,romfile=
st=$?
killall httpd 2>/dev/null
wait	# watch_tap ends with tap0
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"
grep -q '^rvkvm-guest: FAIL' "$LOG" && fail "$(grep -m1 '^rvkvm-guest: FAIL' "$LOG")"
vmm_io_check "$LOG"
grep -q worker "$SEEN" || fail "no vhost worker thread ran"
msi=$(grep "^msi" "$SEEN" | tail -n 1 | cut -d" " -f2- | tr " " /)
echo "# guest: 4 MiB over vhost-net and a virtio-blk disk, hashes right;" \
	"MSIs in VS-files / software: ${msi:-not counted by this module}"
