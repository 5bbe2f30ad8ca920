#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm
#
# tests/guest_snapshot.sh MODULE...: save and restore a running guest
# across QEMU processes, and across kvm modules.  The guest keeps 64 MiB
# of data in RAM and ticks every 0.25 s (scripts/guest/init, ticker).
# Under the first MODULE (ours or intree) QEMU boots it; at each next
# MODULE (test: the module under test; other: the other one), QEMU stops
# the guest while it idles in its kernel (QEMU 10.0 loses a vCPU's
# privilege mode in migration, see scripts/guest/init), migrates it to a
# file (migrate "exec:cat > FILE") and quits, kvm is swapped for MODULE
# (rmmod, insmod), and a new QEMU restores it with -incoming and goes on.
# The guest must go on where it was: the next tick, no new boot, its
# clock never going back nor jumping, its data intact, and its timer
# still firing (each tick is a sleep).  Leaves kvm as it found it.
#
#   guest_snapshot.sh test test            snapshot and resume
#   guest_snapshot.sh test other test      both cross-module directions
#   guest_snapshot.sh --smp 2 test test    with 2 vCPUs (a QEMU that
#                                          migrates the MP state: 11)
#   guest_snapshot.sh --aia test test      on the in-kernel AIA

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

D=/tmp/snap
SNAP=$D/state
TICKS=48		# 12 s of guest time in all
STEP=8			# ticks in each phase: the guest idles after every 8th
VMM_QUIET=1
VMM_MEM=512M
# One vCPU: QEMU 10.0 does not carry a RISC-V vCPU's MP state in its
# migration stream, so a restored second vCPU stays STOPPED (from the
# destination's reset) and its work never runs again, with either module
# (Documentation/testing.rst).
VMM_SMP=1
if [ "${1:-}" = --smp ]; then
	VMM_SMP=$2
	shift 2
fi
# --aia: the guest on the in-kernel AIA (-M virt,aia=aplic-imsic), whose
# APLIC and IMSIC state lives in KVM, not in QEMU.
if [ "${1:-}" = --aia ]; then
	VMM_MACHINE=virt,aia=aplic-imsic
	shift
fi

[ $# -ge 2 ] || fail "usage: guest_snapshot.sh MODULE MODULE..."
resolve_modules "$@"
# shellcheck disable=SC2086 # the module names, one word each
set -- $MODS
rm -rf "$D"
mkdir -p "$D"

# Fail with what the guest and the monitor said last.
die_phase() {
	echo "# guest console, last lines:"
	tail -n 15 "$D/log$1" | sed 's/^/#   /'
	echo "# monitor, last lines:"
	tail -n 15 "$D/mon.log" | sed 's/^/#   /'
	fail "phase $1: $2"
}

# The last tick number in log $1, else 0.
last_tick() {
	sed -n 's/^rvkvm-guest: tick \([0-9]*\) .*/\1/p' "$1" | tail -n 1 |
		grep . || echo 0
}

# Phase $1 under module $2: boot (phase 1) or restore, run $STEP more
# ticks; unless it is the last, save and quit.
phase() {
	local n=$1 mod=$2 last=$3 log=$D/log$1 from want pid mon i st

	kvm_restore "$mod" || fail "cannot load $mod"
	from=0
	[ "$n" = 1 ] || from=$(last_tick "$D/log$((n - 1))")
	want=$((from + STEP))
	mon=$(vmm_mon_args "$D")
	# shellcheck disable=SC2086 # the monitor's arguments
	if [ "$n" = 1 ]; then
		vmm_guest "$log" ticker $TICKS $mon > /dev/null &
	else
		vmm_guest "$log" ticker $TICKS $mon \
			-incoming "exec:cat $SNAP" > /dev/null &
	fi
	pid=$!
	vmm_mon_start "$D"
	if [ "$n" != 1 ]; then
		# Paused after loading, as the source was: continue it.
		vmm_wait_for "$D/mon.log" '.' 60 || die_phase "$n" "no monitor"
		i=0
		until vmm_wait_for "$log" "^rvkvm-guest: tick $((from + 1)) " 2; do
			kill -0 $pid 2>/dev/null ||
				die_phase "$n" "($mod) QEMU ended before the guest resumed"
			[ $i -lt 60 ] || die_phase "$n" "($mod) the restored guest never ticked"
			vmm_mon "$D" cont
			vmm_mon "$D" "info status"
			i=$((i + 1))
		done
	fi
	[ "$n" = 1 ] || echo "# phase $n ($mod): resumed at tick $((from + 1))"
	if [ "$last" = 1 ]; then
		vmm_wait_for "$log" "^rvkvm-(guest: done|vmm: qemu exit)" 600 ||
			die_phase "$n" "($mod) the guest did not finish"
		wait $pid
		st=$?
		[ "$st" = 0 ] || die_phase "$n" "($mod) QEMU exited with $st"
		echo "# phase $n ($mod): ran to the end"
		return
	fi
	# The guest idles after it (scripts/guest/init): stop it there.
	vmm_wait_for "$log" "^rvkvm-guest: tick $want .*idle" 600 ||
		die_phase "$n" "($mod) no idle tick $want"
	echo "# phase $n ($mod): idle at tick $want, saving"
	vmm_mon "$D" stop
	vmm_mon "$D" "migrate \"exec:cat > $SNAP\""
	i=0
	until grep -qE '(Migration status|Status):[[:space:]]*completed' "$D/mon.log"; do
		sleep 1
		vmm_mon "$D" "info migrate"
		i=$((i + 1))
		[ $i -lt 300 ] || die_phase "$n" "($mod) migration never completed"
	done
	vmm_mon "$D" quit
	wait $pid
	! grep -q "^rvkvm-guest: tick $want awake" "$log" ||
		die_phase "$n" "($mod) saved after the guest's idle time, not in it"
	echo "# phase $n ($mod): saved at tick $(last_tick "$log"), $(($(wc -c < "$SNAP") / 1024)) KiB of state"
}

# The guest's steps between two ticks in log $1 (0.25 s asleep plus the
# loop's work), not counting the one after an idle: a figure to compare
# modules by, before the guest's own 1.5 s limit fails the test.
tick_steps() {
	awk 'BEGIN { p = -1 }
	/^rvkvm-guest: tick [0-9]+ [0-9.]+/ {
		if ($3 == p + 1 && !idle) {
			s = $4 - t; n++; sum += s
			if (s > max) max = s
		}
		p = $3; t = $4; idle = ($5 ~ /^idle/)
	}
	END { if (n) printf "%d steps, mean %.2f s, largest %.2f s", n, sum / n, max }' "$1"
}

orig=$(kvm_flavour)
n=1
last=0
for m in "$@"; do
	[ $n = $# ] && last=1
	phase $n "$m" $last
	n=$((n + 1))
done
n=1
for m in "$@"; do
	echo "# phase $n ($m): $(tick_steps "$D/log$n")"
	n=$((n + 1))
done
vmm_guest_clean "$D"/log*
n=1
for m in "$@"; do
	[ $n = 1 ] || ! grep -q '^rvkvm-guest: up ' "$D/log$n" ||
		fail "phase $n: the guest booted again instead of resuming"
	n=$((n + 1))
done
grep -q '^rvkvm-guest: ticker data intact' "$D/log$#" ||
	fail "no intact data at the end"
grep -q "^rvkvm-guest: tick $TICKS " "$D/log$#" || fail "no tick $TICKS at the end"
kvm_restore "$orig"
echo "# guest: saved and restored $(($# - 1)) times ($*), resumed each time"
