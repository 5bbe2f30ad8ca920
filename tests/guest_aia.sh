#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_aia.sh [SMP [MODE [SECS]]]: QEMU's in-kernel AIA
# (-M virt,aia=aplic-imsic, KVM_CAP_IRQCHIP on an Ssaia host) with a
# Debian-kernel guest whose interrupts all go through KVM's APLIC and
# IMSIC files: its IPIs are IMSIC MSIs, its virtio-blk-pci and
# virtio-net-pci devices MSI-X vectors (QEMU's irqfds).
#
# MODE is QEMU's riscv-aia (emul, hwaccel, auto; default: QEMU's own).
# The guest checks a disk image made here, writes its second half, and
# fetches a file from busybox httpd here over user-mode networking; then
# for SECS seconds (default 0) it reads the disk from every vCPU and
# fetches the file again, checking its hash each round, while this host
# moves the vCPU threads between its harts every 0.2 s (taskset).
# Passes when every hash is right, the guest found its IMSIC and took
# its IPIs from it, every vCPU took MSIs, and QEMU exits 0.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

VMM_SMP=${1:-2}
MODE=${2:-}
SECS=${3:-0}
VMM_MACHINE=virt,aia=aplic-imsic
[ -n "$MODE" ] && VMM_ACCEL="kvm,riscv-aia=$MODE"
LOG=/tmp/guest-aia.log
vmm_io_setup 127.0.0.1:8080

# Move QEMU's vCPU threads ("CPU n/KVM", named with debug-threads=on)
# between the harts, every 0.2 s until $STOP exists.
STOP=/tmp/guest-aia.stop
vcpu_tids() {
	grep -l '/KVM$' /proc/[0-9]*/task/*/comm 2>/dev/null | cut -d/ -f5
}
shuffle() {
	local i=0 moves=0 t tids=

	while [ ! -e "$STOP" ] && [ "$(echo "$tids" | wc -w)" -lt "$VMM_SMP" ]; do
		sleep 0.5
		tids=$(vcpu_tids)
	done
	while [ ! -e "$STOP" ]; do
		for t in $tids; do
			taskset -p $((1 + (i + t) % 2)) "$t" > /dev/null 2>&1 &&
				moves=$((moves + 1))
		done
		i=$((i + 1))
		sleep 0.2
	done
	echo "# host: vCPU threads re-pinned $moves times"
}
rm -f "$STOP"
[ "$SECS" -gt 0 ] && shuffle &

VMM_QUIET=1
vmm_guest "$LOG" aia "http://10.0.2.2:8080/f,$SECS" \
	-drive "file=$VMM_IMG,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0 \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
	-name guest,debug-threads=on
st=$?
killall httpd 2>/dev/null
touch "$STOP"
wait
vmm_guest_clean "$LOG"
[ "$st" = 0 ] || fail "QEMU exited with $st"

grep -q "^rvkvm-guest: up .*, $VMM_SMP CPUs," "$LOG" ||
	fail "the guest did not see $VMM_SMP CPUs"
grep -q '^rvkvm-guest: FAIL' "$LOG" && fail "$(grep -m1 '^rvkvm-guest: FAIL' "$LOG")"
vmm_io_check "$LOG"
[ "$(vmm_said "$LOG" "imsic ipis")" = 1 ] || fail "the guest's IPIs do not use its IMSIC"
c=0
while [ "$c" -lt "$VMM_SMP" ]; do
	# shellcheck disable=SC2046 # "msi N ipi M", split on purpose
	set -- $(vmm_said "$LOG" "irqs cpu$c")
	echo "# guest CPU $c: $2 MSIs, $4 IPIs"
	[ "${2:-0}" -gt 0 ] || fail "guest CPU $c took no MSI"
	c=$((c + 1))
done
echo "# guest: $(vmm_said "$LOG" "aia rounds") rounds of I/O in $SECS s," \
	"MODE ${MODE:-default}, $VMM_SMP vCPUs, all hashes right, up in $VMM_UP s"
