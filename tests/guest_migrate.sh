#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: vmm-sid
#
# tests/guest_migrate.sh MODULE...: live migration (pre-copy) of a running
# 2-vCPU guest between two QEMU processes in this host, under each MODULE
# in turn (test: the module under test; other: the other one, Debian's or
# ours; rmmod, insmod between).  The guest (scripts/guest/init, dirtier)
# runs a writer pinned to each vCPU that rewrites its own two 16 MiB
# buffers in turn, each round a new generation, checking the last one
# meanwhile, so its memory stays dirty all through the migration.  A
# source QEMU boots it; once both writers are at work a destination QEMU
# starts with -incoming unix:SOCK and the source is told "migrate -d"
# while the guest runs.  When the migration completes the source must be
# paused (postmigrate) and is quit; the guest must go on in the
# destination without booting again, both writers (each on its own vCPU)
# must finish more rounds there, and every generation check and the last
# one must hold.  Prints a FIGURE line with what "info migrate" says.
# Leaves kvm as it found it.
#
# sid's QEMU 11 (/vmm/qemu-sid, VMM_QEMU=sid): trixie's QEMU 10.0 does not
# migrate a RISC-V vCPU's MP state nor its privilege mode, so the guest's
# second vCPU would stay stopped in the destination (Documentation/
# testing.rst), with any kvm.ko.
#
#   guest_migrate.sh test other    under the module under test, then the
#                                  other one, in the same host boot
#
# Migration settings: downtime-limit $MIG_DOWNTIME ms, QEMU's default
# max-bandwidth (128 MiB/s, more than this host moves), no auto-converge.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh
VMM_QEMU=sid
# shellcheck source=scripts/initramfs/vmm.sh
. /rvkvm/vmm.sh

D=/tmp/mig
MIB=16			# each writer's buffer
SECS=${MIG_SECS:-$((240 * ${RVKVM_SCALE:-1}))}	# the writers' guest time
MIG_DOWNTIME=1000	# ms
MIG_WAIT=$((300 * ${RVKVM_SCALE:-1}))	# s for the migration to complete
VMM_QUIET=1
VMM_MEM=512M
VMM_SMP=2

[ $# -ge 1 ] || fail "usage: guest_migrate.sh MODULE..."
resolve_modules "$@"
# shellcheck disable=SC2086 # the module names, one word each
set -- $MODS

# QEMU 10.2 or later (MP state and privilege mode migrated).
ver=$(vmm_qemu --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')
echo "# QEMU $ver from $VMM_QEMU_ROOT"
case $ver in
1[1-9].*|10.[2-9]*|[2-9][0-9].*) ;;
*)	fail "QEMU $ver at $VMM_QEMU_ROOT: a 2-vCPU RISC-V guest needs 10.2 or later" ;;
esac
rm -rf "$D"
mkdir -p "$D"

# Fail with what the guests and the monitors said last (run $1).
die_run() {
	local r=$D/$1 w

	for w in src dst; do
		echo "# $w guest console, last lines:"
		tail -n 15 "$r/$w.log" 2>/dev/null | sed 's/^/#   /'
		echo "# $w monitor, last lines:"
		tail -n 15 "$r/$w/mon.log" 2>/dev/null | sed 's/^/#   /'
	done
	fail "run $1 ($2): $3"
}

# The last generation writer $2 reported in log $1 (the first with -f),
# else -1.
gen_of() {
	local g

	g=$(sed -n "s/^rvkvm-guest: dirtier cpu $2 gen \([0-9]*\) on $2 .*/\1/p" "$1")
	if [ "${3:-}" = -f ]; then
		g=$(echo "$g" | head -n 1)
	else
		g=$(echo "$g" | tail -n 1)
	fi
	echo "${g:--1}"
}

# How many rounds writer $2 reported in log $1, on its own CPU.
rounds_in() {
	grep -c "^rvkvm-guest: dirtier cpu $2 gen [0-9]* on $2 " "$1"
}

# The guest seconds between the last two rounds of writer $2 in log $1.
round_time() {
	sed -n "s/^rvkvm-guest: dirtier cpu $2 gen [0-9]* on $2 \([0-9.]*\).*/\1/p" "$1" |
		tail -n 2 | awk 'NR == 1 { a = $1 } NR == 2 { printf "%.1f", $1 - a }'
}

# The last "info migrate" reply in monitor log $1, from its "Status:"
# line ("Migration status:" before QEMU 9.1).
last_info() {
	tr -d '\r' < "$1" | awk '/^(Migration s|S)tatus:/ { n = NR } { l[NR] = $0 }
		END { if (n) for (i = n; i <= NR; i++) print l[i] }' |
		grep -v '^(qemu)'
}

# Value of KEY=N in the info $1 (QEMU 9.1 and later: "total=19336",
# "normal=21387"), else of the older "LABEL: N" line $3.
info_val() {
	local v

	v=$(echo "$1" | sed -n "s/.*[[:space:],]$2=\([0-9]*\).*/\1/p" | head -n 1)
	[ -n "$v" ] ||
		v=$(echo "$1" | sed -n "s/^$3:[[:space:]]*\([0-9]*\).*/\1/p" | head -n 1)
	echo "${v:--}"
}

# RAM transferred, in KiB: "transferred=84.8 MiB" (QEMU 9.1 and later,
# rounded to 3 digits: pages= is the exact figure), else "transferred
# ram: N kbytes".
info_kib() {
	local v

	v=$(echo "$1" | sed -n 's/.*[[:space:],]transferred=\([0-9.]* [KMG]*i*B\).*/\1/p' |
		head -n 1 | awk '{ m = 1 / 1024 }
			$2 == "KiB" { m = 1 } $2 == "MiB" { m = 1024 }
			$2 == "GiB" { m = 1048576 } { printf "%d", $1 * m }')
	[ -n "$v" ] ||
		v=$(echo "$1" | sed -n 's/^transferred ram:[[:space:]]*\([0-9]*\).*/\1/p')
	echo "${v:--}"
}

# Run $1 under module $2: boot the source, migrate it live to the
# destination, let the guest finish there.
run() {
	local n=$1 mod=$2 r=$D/$1 spid dpid smon dmon i st info
	local c g0 g1 tot down xfer pages syncs

	mkdir -p "$r/src" "$r/dst"
	kvm_restore "$mod" || fail "cannot load $mod"
	smon=$(vmm_mon_args "$r/src")
	# shellcheck disable=SC2086 # the monitor's arguments
	vmm_guest "$r/src.log" dirtier "$MIB,$SECS" $smon > /dev/null &
	spid=$!
	vmm_mon_start "$r/src"
	# Both writers at work (a round each) before the migration.
	for c in 0 1; do
		vmm_wait_for "$r/src.log" "^rvkvm-guest: dirtier cpu $c gen 1 " 600 ||
			die_run "$n" "$mod" "writer $c never got to work"
	done
	echo "# run $n ($mod): guest userspace" \
		"$(sed -n 's/^rvkvm-vmm: guest userspace \([0-9.]*\) s.*/\1/p' "$r/src.log") s" \
		"after QEMU start; writers at gen $(gen_of "$r/src.log" 0) and" \
		"$(gen_of "$r/src.log" 1)"

	dmon=$(vmm_mon_args "$r/dst")
	# shellcheck disable=SC2086 # the monitor's arguments
	vmm_guest "$r/dst.log" dirtier "$MIB,$SECS" $dmon \
		-incoming "unix:$r/sock" > /dev/null &
	dpid=$!
	vmm_mon_start "$r/dst"
	i=0
	until [ -S "$r/sock" ]; do
		kill -0 $dpid 2>/dev/null ||
			die_run "$n" "$mod" "the destination QEMU ended before listening"
		[ $i -lt 240 ] || die_run "$n" "$mod" "no incoming socket"
		sleep 0.25
		i=$((i + 1))
	done
	vmm_mon "$r/dst" "info status"
	vmm_wait_for "$r/dst/mon.log" 'VM status: paused \(inmigrate\)' 60 ||
		die_run "$n" "$mod" "the destination is not waiting for the migration"

	vmm_mon "$r/src" "migrate_set_parameter downtime-limit $MIG_DOWNTIME"
	vmm_mon "$r/src" "migrate -d unix:$r/sock"
	echo "# run $n ($mod): migrating, writers at gen" \
		"$(gen_of "$r/src.log" 0) and $(gen_of "$r/src.log" 1)"
	i=0
	while :; do
		sleep 2
		vmm_mon "$r/src" "info migrate"
		sleep 1
		st=$(last_info "$r/src/mon.log" | sed -nE \
			's/^(Migration s|S)tatus:[[:space:]]*([a-z-]*).*/\2/p' |
			tail -n 1)
		[ "$st" = completed ] && break
		case $st in
		failed|cancelled)
			die_run "$n" "$mod" "migration $st" ;;
		esac
		kill -0 $spid 2>/dev/null ||
			die_run "$n" "$mod" "the source QEMU ended while migrating"
		i=$((i + 3))
		[ $i -lt "$MIG_WAIT" ] ||
			die_run "$n" "$mod" "migration not completed after $i s (status: $st)"
	done
	info=$(last_info "$r/src/mon.log")
	echo "# run $n ($mod): migration completed; info migrate:"
	echo "$info" | sed 's/^/#   /'
	echo "# run $n ($mod): source's writers last at gen" \
		"$(gen_of "$r/src.log" 0) and $(gen_of "$r/src.log" 1)"

	vmm_mon "$r/src" "info status"
	vmm_wait_for "$r/src/mon.log" 'VM status: paused \(postmigrate\)' 30 ||
		die_run "$n" "$mod" "the source is not in postmigrate"
	vmm_mon "$r/src" quit
	wait $spid
	st=$?
	[ "$st" = 0 ] || die_run "$n" "$mod" "the source QEMU exited with $st"
	vmm_mon "$r/dst" "info status"
	vmm_wait_for "$r/dst/mon.log" 'VM status: running' 30 ||
		die_run "$n" "$mod" "the destination is not running"

	vmm_wait_for "$r/dst.log" "^rvkvm-(guest: done|vmm: qemu exit)" \
		$((SECS + 300)) || die_run "$n" "$mod" "the guest did not finish"
	wait $dpid
	st=$?
	[ "$st" = 0 ] || die_run "$n" "$mod" "the destination QEMU exited with $st"

	# The guest went on, on both vCPUs, where it was.
	! grep -q '^rvkvm-guest: up ' "$r/dst.log" ||
		die_run "$n" "$mod" "the guest booted again in the destination"
	vmm_guest_clean "$r/src.log" "$r/dst.log"
	for c in 0 1; do
		g0=$(gen_of "$r/src.log" $c)
		g1=$(gen_of "$r/dst.log" $c -f)
		i=$(rounds_in "$r/dst.log" $c)
		[ "$i" -ge 2 ] || die_run "$n" "$mod" \
			"writer $c made $i rounds after the switch (2 needed)"
		[ "$g1" -gt "$g0" ] ||
			die_run "$n" "$mod" "writer $c went from gen $g0 to $g1"
		echo "# run $n ($mod): writer $c (CPU $c): gen $g0 in the source," \
			"$g1 to $(gen_of "$r/dst.log" $c) in the destination ($i" \
			"rounds, the last $(round_time "$r/dst.log" $c) s)"
	done
	grep -q '^rvkvm-guest: dirtier data intact' "$r/dst.log" ||
		die_run "$n" "$mod" "no intact data at the end"

	# total= is on the "Time (ms):" line (and the RAM size's on "Sizes:").
	tot=$(info_val "$(echo "$info" | grep -v 'Sizes:')" total "total time")
	down=$(info_val "$info" down "downtime")
	xfer=$(info_kib "$info")
	pages=$(info_val "$info" normal "normal")
	syncs=$(info_val "$info" dirty_syncs "dirty sync count")
	echo "FIGURE migrate_$mod: total_ms=$tot downtime_ms=$down" \
		"transferred_kib=$xfer pages=$pages dirty_syncs=$syncs"
}

orig=$(kvm_flavour)
n=1
for m in "$@"; do
	run $n "$m"
	n=$((n + 1))
done
kvm_restore "$orig" || fail "cannot put kvm back ($orig)"
echo "# guest: migrated live $# times ($*), both vCPUs went on each time"
