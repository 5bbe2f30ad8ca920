#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The distro host's side of make check-distro (scripts/check-distro): run
# by rvkvm-test.service at every boot of the trixie image, from the test
# disk at /rvkvm.  The user's path, one phase per boot:
#
#   boot 1: apt install ./rvkvm-dkms_*.deb (DKMS builds kvm.ko here,
#           natively), then reboot;
#   boot 2: the first open of /dev/kvm autoloads our kvm.ko, signed by
#           DKMS; libvirt defines and starts a 2-vCPU guest (virtio disk
#           and network), whose kernel reaches userspace, and shuts it
#           down and undefines it; another one, run by sid's QEMU, is
#           saved and restored and runs on; apt remove rvkvm-dkms; the
#           same guests on Debian's kvm.ko.
#
# Each step prints "RVKVM-DISTRO: ok|FAIL STEP (N s)" on the console; the
# last line is "RVKVM-DISTRO: done" or "RVKVM-DISTRO: failed", and the
# host powers off.  State between boots: /var/lib/rvkvm-test; all output
# in run.log and each boot's journal in journal-N.txt on the test disk.
set -u
T=/rvkvm
S=/var/lib/rvkvm-test
G=/var/lib/rvkvm-guest
mkdir -p $S $G

# Everything into run.log on the test disk (check-distro prints it), and
# the step lines through the kernel log to the console too: getty's
# hangup of ttyS0 takes the service's own terminal away.
exec > >(tee -a $T/run.log) 2>&1
say() {
	echo "RVKVM-DISTRO: $*"
	echo "<2>RVKVM-DISTRO: $*" > /dev/kmsg
}
finish() {
	say "$1"
	# A guest left running would hold poweroff in libvirt-guests for 5 min.
	virsh destroy rvkvm-guest > /dev/null 2>&1
	virsh destroy rvkvm-guest-sid > /dev/null 2>&1
	journalctl -b --no-pager > "$T/journal-$phase.txt" 2>&1
	sync
	systemctl poweroff
	exit 0
}
# step NAME CMD...: run CMD, time it, and stop the run if it fails.
step() {
	local name=$1 t0=$SECONDS
	shift
	if "$@"; then
		say "ok $name ($((SECONDS - t0)) s)"
	else
		say "FAIL $name ($((SECONDS - t0)) s)"
		journalctl -b --no-pager -n 60 2>/dev/null | sed 's/^/# /'
		finish failed
	fi
}

dkms_install() {
	# The user's command (there are no package sources: nothing is fetched).
	(cd $T && apt install -y ./rvkvm-dkms_*.deb) 2>&1 | tail -n 25
	dkms status rvkvm | tee /dev/stderr | grep -q installed && return
	tail -n 40 /var/lib/dkms/rvkvm/*/build/make.log
	return 1
}

ours_autoloaded() {
	# Nothing here loads kvm by name: the first open of /dev/kvm (kmod's
	# static node; libvirt's daemons may get there first) does.
	if lsmod | grep -q '^kvm '; then
		echo "kvm already loaded at boot (by an open of /dev/kvm)"
	else
		exec 3< /dev/kvm || return 1
		exec 3<&-
	fi
	modinfo -F description kvm | tee /dev/stderr | grep -q rvkvm &&
		grep -q O /sys/module/kvm/taint &&
		dmesg | grep -m1 'rvkvm: H extension'
}

guest_line() {	# wait up to $2 s for $1 in the guest's serial log
	local i=0
	while [ $i -lt "$2" ]; do
		grep -q "$1" $G/serial.log 2>/dev/null && return 0
		sleep 1
		i=$((i + 1))
	done
	tail -n 20 $G/serial.log
	return 1
}

# The guest's own reports of trouble fail any step that waits on it.
guest_clean() {
	! grep -E 'rvkvm-guest: FAIL|BUG:|WARNING:|Oops|lockup|rcu.*stall' \
		$G/serial.log
}

# virsh_run DOMAIN: define DOMAIN from $T/DOMAIN.xml, start it, and wait
# for the guest's userspace.
virsh_run() {
	truncate -s 64M $G/disk.raw
	: > $G/serial.log
	chmod 666 $G/serial.log
	virsh define "$T/$1.xml" && virsh start "$1" &&
		guest_line 'rvkvm-guest: up ' 600
}

# libvirt 11.3 restores its default ("raw") save image through an fd:
# incoming migration, which QEMU 11 refuses for a file ("Use file:
# instead"); its "sparse" format (QEMU's mapped-ram) goes through file:.
libvirt_sparse_saves() {
	echo 'save_image_format = "sparse"' >> /etc/libvirt/qemu.conf &&
		systemctl restart libvirtd
}

# virsh_save_restore DOMAIN: save while the guest idles, restore, and see
# it tick on.
virsh_save_restore() {
	guest_line 'rvkvm-guest: tick 8 .*idle' 300 &&
		virsh save "$1" $G/guest.save &&
		virsh restore $G/guest.save &&
		guest_line 'rvkvm-guest: tick 9 ' 300 && guest_clean
}

# virsh_end DOMAIN: shut it down and undefine it.  The guest powers itself
# off after its last tick (a RISC-V virt guest booted with a device tree
# has no power button for virsh shutdown to press): say which came first,
# and that the guest ran a task on each vCPU and kept its data.
virsh_end() {
	local i=0
	virsh shutdown "$1" || return 1
	while virsh domstate "$1" | grep -q running; do
		[ $i -lt 600 ] || return 1
		sleep 1
		i=$((i + 1))
	done
	if grep -q 'rvkvm-guest: ticker data intact' $G/serial.log; then
		echo "the guest ended at its last tick, $i s after virsh shutdown"
	else
		echo "the guest shut down $i s after virsh shutdown"
	fi
	virsh undefine "$1" && guest_clean &&
		grep 'rvkvm-guest: ticker ran a task on each of 2 CPUs' $G/serial.log
}

# DKMS signs with its own key when openssl is there; the emulated host has
# no UEFI to enrol that key as a MOK, so the kernel cannot trust it and
# taints E (unsigned or untrusted).  Check that the module is signed and
# by which key.
dkms_signed() {
	local signer
	signer=$(modinfo -F signer kvm)
	echo "signer: ${signer:-none}, key: $(modinfo -F sig_key kvm)," \
		"taint: $(cat /sys/module/kvm/taint)"
	dmesg | grep -m1 'module verification failed' || true
	[ -n "$signer" ]
}

debian_back() {
	apt-get remove -y rvkvm-dkms 2>&1 | tail -n 5
	rmmod kvm 2> /dev/null
	modprobe kvm &&
		! modinfo -F description kvm | grep -q rvkvm &&
		! grep -q O /sys/module/kvm/taint
}

# The libvirt steps, on whichever kvm.ko is loaded: trixie's QEMU 10 runs
# a guest to its end; sid's QEMU (the domain's <emulator>) saves and
# restores one (trixie's cannot, see scripts/check-distro).  $1: the
# step names' suffix.
libvirt_steps() {
	step "virsh_start$1" virsh_run rvkvm-guest
	step "virsh_shutdown_undefine$1" virsh_end rvkvm-guest
	step "virsh_start_sid$1" virsh_run rvkvm-guest-sid
	step "virsh_save_restore_sid$1" virsh_save_restore rvkvm-guest-sid
	step "virsh_shutdown_undefine_sid$1" virsh_end rvkvm-guest-sid
}

phase=$(cat $S/phase 2> /dev/null || echo 1)
say "boot $phase, $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
case $phase in
1)	step dkms_install dkms_install
	echo 2 > $S/phase
	journalctl -b --no-pager > "$T/journal-1.txt" 2>&1
	sync
	say "rebooting"
	systemctl reboot
	;;
2)	step autoload ours_autoloaded
	step module_signed dkms_signed
	step libvirt_sparse_saves libvirt_sparse_saves
	libvirt_steps ""
	step debian_module debian_back
	libvirt_steps _debian
	finish "done"
	;;
esac
