#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The distro host's side of make check-distro (scripts/check-distro): run
# by rvkvm-test.service at every boot of the trixie image, from the test
# disk at /rvkvm.  The user's path, one phase per boot:
#
#   boot 1: apt install ./rvkvm-dkms_*.deb (DKMS builds kvm.ko here,
#           natively), then reboot;
#   boot 2: the first open of /dev/kvm autoloads our kvm.ko; libvirt
#           defines and starts a 2-vCPU guest (virtio disk and network),
#           whose kernel reaches userspace; save, restore, shutdown,
#           undefine; apt remove rvkvm-dkms; Debian's kvm.ko then runs a
#           guest too.
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

virsh_run() {
	truncate -s 64M $G/disk.raw
	: > $G/serial.log
	chmod 666 $G/serial.log
	virsh define $T/guest.xml && virsh start rvkvm-guest &&
		guest_line 'rvkvm-guest: up ' 600
}

virsh_save_restore() {
	guest_line 'rvkvm-guest: tick 8 .*idle' 300 &&
		virsh save rvkvm-guest $G/guest.save &&
		virsh restore $G/guest.save &&
		guest_line 'rvkvm-guest: tick 9 ' 300
}

# The guest powers itself off after its last tick; say which came first.
virsh_end() {
	local i=0
	virsh shutdown rvkvm-guest || return 1
	while virsh domstate rvkvm-guest | grep -q running; do
		[ $i -lt 600 ] || return 1
		sleep 1
		i=$((i + 1))
	done
	if grep -q 'rvkvm-guest: ticker data intact' $G/serial.log; then
		echo "the guest ended at its last tick, $i s after virsh shutdown"
	else
		echo "the guest shut down $i s after virsh shutdown"
	fi
	virsh undefine rvkvm-guest
}

debian_back() {
	apt-get remove -y rvkvm-dkms 2>&1 | tail -n 5
	rmmod kvm 2> /dev/null
	modprobe kvm &&
		! modinfo -F description kvm | grep -q rvkvm &&
		! grep -q O /sys/module/kvm/taint
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
	step virsh_start virsh_run
	step virsh_save_restore virsh_save_restore
	step virsh_shutdown_undefine virsh_end
	step debian_module debian_back
	step virsh_start_debian virsh_run
	virsh destroy rvkvm-guest > /dev/null 2>&1
	virsh undefine rvkvm-guest > /dev/null 2>&1
	finish "done"
	;;
esac
