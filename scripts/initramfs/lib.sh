# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# /rvkvm/lib.sh: helpers for the init, the runner and tests/*.sh inside the
# emulated host (busybox sh: no bash in the initramfs).  Sourced, never run.
#
# The environment the init exports to every test:
#   RVKVM_MODULE       module under test: ours | intree
#   RVKVM_MODULE_PATH  its .ko
#   RVKVM_OURS_PATH, RVKVM_INTREE_PATH, RVKVM_HOLDER_PATH
#                      our kvm.ko, Debian's kvm.ko, the /dev/kvm squatter
#                      (the files exist only if they were packed)

RVKVM_DIR=/rvkvm
RVKVM_OURS_PATH=${RVKVM_OURS_PATH:-$RVKVM_DIR/kvm.ko}
RVKVM_INTREE_PATH=${RVKVM_INTREE_PATH:-$RVKVM_DIR/intree/kvm.ko}
RVKVM_HOLDER_PATH=${RVKVM_HOLDER_PATH:-$RVKVM_DIR/kvm_holder.ko}
# The test helper that shows each hart's vstimecmp and hip (if packed).
RVKVM_CSRPEEK_PATH=$RVKVM_DIR/kvm_csrpeek.ko
RVKVM_PROBE=$RVKVM_DIR/selftests/vm_create_probe
RVKVM_FINIT=$RVKVM_DIR/selftests/finit_module

# Kernel log lines that fail a test: written by scripts/hostrun, so the
# host-side console scan and this one cannot drift apart.
RVKVM_FORBIDDEN=$(cat "$RVKVM_DIR/forbidden.re")

log() { echo "$*"; }
fail() { echo "FAIL: $*"; exit 1; }
# Exit code 4 is KSFT_SKIP, which the runner reports as a skip.
skip() { echo "SKIP: $*"; exit 4; }

module_path() {
	case $1 in
	ours)	echo "$RVKVM_OURS_PATH" ;;
	intree)	echo "$RVKVM_INTREE_PATH" ;;
	*)	return 1 ;;
	esac
}

kvm_loaded() { [ -d /sys/module/kvm ]; }

# Set MODS to the kvm.ko flavours "$@" name, one word each: test (the
# module under test), other (the other one), ours or intree.  Skips if
# this host lacks one.
resolve_modules() {
	local m

	MODS=
	for m in "$@"; do
		case $m in
		test)	m=$RVKVM_MODULE ;;
		other)	[ "$RVKVM_MODULE" = ours ] && m=intree || m=ours ;;
		esac
		[ -f "$(module_path "$m")" ] || skip "no $m kvm.ko in this host"
		MODS="$MODS $m"
	done
}

# Which kvm is loaded: ours is out of tree, so its taint has an 'O'.
kvm_flavour() {
	kvm_loaded || { echo none; return; }
	case $(cat /sys/module/kvm/taint) in
	*O*)	echo ours ;;
	*)	echo intree ;;
	esac
}

# Put kvm back the way a test found it (none, ours or intree).
kvm_restore() {
	local want=$1 now

	now=$(kvm_flavour)
	[ "$now" = "$want" ] && return 0
	[ "$now" = none ] || rmmod kvm || return 1
	[ "$want" = none ] || insmod "$(module_path "$want")"
}

# Load a module with a single finit_module(), printing the error if it
# fails.  For refusals: busybox insmod retries with init_module(), so the
# module's init would run, and log, twice.
load_once() {
	[ -x "$RVKVM_FINIT" ] || fail "$RVKVM_FINIT not packed (rvkvm-needs)"
	"$RVKVM_FINIT" "$1"
}

# The runner clears the kernel log before each test, so a line count is
# a stable mark within one test.
kmsg_mark() { dmesg | wc -l; }
kmsg_since() { dmesg | tail -n +$(($1 + 1)); }

# Show the kernel log since MARK ($1); fail unless exactly one of its
# lines matches the extended regex $2 (a refusal said once, and clearly).
kmsg_expect_one() {
	local n

	kmsg_since "$1" | sed 's/^/new kernel log: /'
	n=$(kmsg_since "$1" | grep -cE "$2" || true)
	[ "$n" = 1 ] || fail "expected 1 line matching '$2', got $n"
}

# Print forbidden lines of stdin; true if there were any.
kmsg_forbidden() { grep -E "$RVKVM_FORBIDDEN"; }

# Run the VM/vCPU life-cycle probe, with VMS VMs; print its output only
# if it fails.
kvm_probe() {
	local out

	[ -x "$RVKVM_PROBE" ] || fail "$RVKVM_PROBE not packed (rvkvm-needs)"
	if ! out=$("$RVKVM_PROBE" "$1" 2>&1); then
		echo "$out"
		return 1
	fi
}

# Value of the "Key:" line of /proc/meminfo, in KiB.
meminfo_kb() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }

# --- Leak checks (tests/modcycle.sh, tests/vm_cycle.sh, ...) --------------

# Free what can be freed, so that what is left is what is held: page
# cache, empty slabs and per-CPU slabs of every cache.
mem_settle() {
	local f

	sync
	echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 > "$f" 2>/dev/null || true
	done
	sleep 1
}

# Free memory in KiB: MemFree plus the free pages that sit in per-CPU
# lists (/proc/zoneinfo "count:").  Those lists grow and shrink by up to
# 25 MiB here between identical runs (their limit is tuned up to 1/8 of
# the zone), which MemFree alone shows as noise; the sum moved by less
# than 0.5 MiB.
mem_free_kb() {
	awk -v f="$(meminfo_kb MemFree)" '$1 == "count:" { n += $2 }
		END { print f + n * 4 }' /proc/zoneinfo
}

# "Slab SUnreclaim Percpu Free" in KiB, settled (Free: mem_free_kb).
mem_snapshot() {
	mem_settle
	echo "$(meminfo_kb Slab) $(meminfo_kb SUnreclaim)" \
		"$(meminfo_kb Percpu) $(mem_free_kb)"
}

# Print how much WHAT ($1) grew from $2 to $3 KiB; false past $4 KiB.
mem_growth() {
	local d=$(($3 - $2))

	log "$1: $2 -> $3 KiB (growth $d KiB, limit $4 KiB)"
	[ "$d" -le "$4" ]
}

# Compare two mem_snapshot outputs ($1 before, $2 after) against the
# limits in KiB $3 (Slab and SUnreclaim), $4 (Percpu) and $5 (MemFree
# drop); print every figure, false if any is past its limit.
mem_compare() {
	local slab=$3 percpu=$4 free=$5 ok=0

	# shellcheck disable=SC2086 # the snapshots are split on purpose
	set -- $1 $2
	mem_growth Slab "$1" "$5" "$slab" || ok=1
	mem_growth SUnreclaim "$2" "$6" "$slab" || ok=1
	mem_growth Percpu "$3" "$7" "$percpu" || ok=1
	log "Free (MemFree + per-CPU lists): $4 -> $8 KiB" \
		"(drop $(($4 - $8)) KiB, limit $free KiB)"
	[ $(($4 - $8)) -le "$free" ] || ok=1
	return $ok
}

# Objects in use in slab cache $1, exact: after a shrink, no slab is
# per-CPU or empty, so /proc/slabinfo's active count is the true one.
# Empty if there is no such cache.
slab_in_use() {
	[ -d "/sys/kernel/slab/$1" ] || return 0
	echo 1 > "/sys/kernel/slab/$1/shrink"
	awk -v c="$1" '$1 == c { print $2 }' /proc/slabinfo
}

# kvm's own slab caches (/proc/slabinfo lines), if any exist.
kvm_slabs() { grep -E '^kvm' /proc/slabinfo || true; }
