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
