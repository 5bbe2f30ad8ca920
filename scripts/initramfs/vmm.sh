# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Running a real VMM inside the emulated host: trixie's QEMU 10 with
# -accel kvm on whatever kvm.ko is loaded, booting Debian's kernel with
# scripts/guest/init as the guest (packed by scripts/vmm-pack).  Sourced
# by the tests that need it ("# rvkvm-needs: vmm").
#
# Settings, from the environment or /rvkvm/vmm.env (what `make run` was
# given, see stage_vmm_env in scripts/hostrun): VMM_SMP (2), VMM_MEM (1G),
# VMM_KERNEL and VMM_INITRD (the packed guest), VMM_TIMEOUT (s, 600),
# VMM_MACHINE (virt; virt,aia=aplic-imsic for the in-kernel AIA),
# VMM_ACCEL (kvm; kvm,riscv-aia=MODE picks the in-kernel AIA's MODE),
# VMM_QEMU (unset: the pack's QEMU, trixie's 10; sid: sid's QEMU 11 at
# /vmm/qemu-sid, which a test gets with "# rvkvm-needs: vmm-sid"; on the
# sid suite /vmm/qemu is sid's QEMU already and is used), or VMM_QEMU_ROOT
# (a QEMU root directory of that layout) itself.

# shellcheck disable=SC1091 # written by scripts/hostrun
[ -f /rvkvm/vmm.env ] && . /rvkvm/vmm.env

if [ -z "${VMM_QEMU_ROOT:-}" ]; then
	VMM_QEMU_ROOT=/vmm/qemu
	[ -z "${VMM_QEMU:-}" ] || [ ! -d "/vmm/qemu-$VMM_QEMU" ] ||
		VMM_QEMU_ROOT=/vmm/qemu-$VMM_QEMU
fi
VMM_SMP=${VMM_SMP:-2}
VMM_MACHINE=${VMM_MACHINE:-virt}
VMM_ACCEL=${VMM_ACCEL:-kvm}
VMM_MEM=${VMM_MEM:-1G}
VMM_KERNEL=${VMM_KERNEL:-/vmm/guest/Image}
VMM_INITRD=${VMM_INITRD:-/vmm/guest/initrd.cpio.gz}
# Scaled like the runner's timeouts on a slow (debug) host kernel.
VMM_TIMEOUT=${VMM_TIMEOUT:-$((600 * ${RVKVM_SCALE:-1}))}

# qemu-system-riscv64, through its own ld.so: the emulated host has no
# /lib of its own (busybox is static).  $VMM_WRAP, if set, runs it (a
# timeout).
vmm_qemu() {
	# shellcheck disable=SC2086 # VMM_WRAP is a command and its words
	${VMM_WRAP:-} "$VMM_QEMU_ROOT/lib/ld-linux-riscv64-lp64d.so.1" \
		--library-path "$VMM_QEMU_ROOT/usr/lib/riscv64-linux-gnu" \
		"$VMM_QEMU_ROOT/usr/bin/qemu-system-riscv64" "$@"
}

# vmm_run TASK ARG [QEMU ARGS...]: QEMU with the guest, on this console.
vmm_run() {
	local task=$1 arg=$2

	shift 2
	vmm_qemu -M "$VMM_MACHINE" -accel "$VMM_ACCEL" -cpu host -smp "$VMM_SMP" -m "$VMM_MEM" \
		-nographic -bios none -kernel "$VMM_KERNEL" \
		-initrd "$VMM_INITRD" -append "$(vmm_append "$task" "$arg")" "$@"
}

# The guest's shell on this console, for `make run GUEST_SHELL=1`.
vmm_interactive() {
	echo "rvkvm: booting the guest with a shell on this console;" \
		"exit the shell to power it off (or Ctrl-a x to kill QEMU)"
	vmm_run shell ""
	echo "rvkvm: QEMU exit status $?"
}

# The command line of a guest that runs task $1 with argument $2; the
# kernel's own messages are left out with VMM_QUIET=1 (each console byte
# is an exit to QEMU, a slow one in an emulated host).
vmm_append() {
	echo "console=ttyS0 panic=-1${VMM_QUIET:+ quiet} rvkvm.task=$1${2:+ rvkvm.arg=$2} rvkvm.slack=${RVKVM_SCALE:-1}"
}

# vmm_guest LOG TASK ARG [QEMU ARGS...]: boot a guest that runs TASK,
# its console both shown (each line prefixed with "guest| ") and kept in
# LOG.  Returns QEMU's exit status (137: killed after VMM_TIMEOUT s).
# Sets VMM_UP: seconds from QEMU's start to the guest's first line of
# userspace, or "-" if it never came.
vmm_guest() {
	local log=$1 task=$2 arg=$3 t0 st

	shift 3
	t0=$(cut -d' ' -f1 /proc/uptime)
	: > "$log"
	{
		# A subshell (a pipeline's part): VMM_WRAP stays here.
		VMM_WRAP="timeout -s KILL $VMM_TIMEOUT"
		vmm_run "$task" "$arg" "$@" < /dev/null 2>&1
		echo "rvkvm-vmm: qemu exit $?"
	} | awk -v t0="$t0" -v lf="$log" '
		/rvkvm-guest: up / && !up {
			getline u < "/proc/uptime"; close("/proc/uptime")
			split(u, f, " "); up = f[1] - t0
			printf "rvkvm-vmm: guest userspace %.2f s after QEMU start\n", up >> lf; close(lf)
		}
		{ print "guest| " $0; fflush(); print $0 >> lf; close(lf) }'
	st=$(sed -n 's/^rvkvm-vmm: qemu exit //p' "$log" | tail -n 1)
	VMM_UP=$(sed -n 's/^rvkvm-vmm: guest userspace \([0-9.]*\) s.*/\1/p' "$log")
	VMM_UP=${VMM_UP:--}
	return "${st:-137}"
}

# The value after "rvkvm-guest: KEY " in LOG (the last one).
vmm_said() {
	sed -n "s/^rvkvm-guest: $2 //p" "$1" | tr -d '\r' | tail -n 1
}

# What the guest's gen TAG MIB hashes to, computed on the build machine.
vmm_expected() {
	sed -n "s/^sha $1 $2 //p" /vmm/guest/expected
}

# The disk and the file the guest's blk and net tasks use (scripts/guest/
# init): an 8 MiB disk image at $VMM_IMG, a 4 MiB file served by busybox
# httpd from $VMM_WWW on address $1 (127.0.0.1:8080 for QEMU's user-mode
# network; 8080, any address, for a tap device made later).
VMM_IMG=/tmp/disk.img
VMM_WWW=/tmp/www
vmm_io_setup() {
	yes "rvkvm guest data 1" | head -c $((8 * 1048576)) > "$VMM_IMG"
	mkdir -p "$VMM_WWW"
	yes "rvkvm guest data 3" | head -c $((4 * 1048576)) > "$VMM_WWW/f"
	ip link set lo up
	httpd -p "$1" -h "$VMM_WWW" || fail "httpd did not start"
}

# After such a guest (LOG $1): it read the disk right, wrote its second
# half and left the first, and fetched the file right.
vmm_io_check() {
	vmm_io_same "guest read of the disk" "$(vmm_said "$1" "vda read sha")" \
		"$(vmm_expected 1 8)"
	vmm_io_same "disk's first half, here" \
		"$(dd if="$VMM_IMG" bs=1M count=4 2>/dev/null | sha256sum | cut -d' ' -f1)" \
		"$(vmm_expected 1 4)"
	vmm_io_same "disk's second half, written by the guest" \
		"$(dd if="$VMM_IMG" bs=1M skip=4 2>/dev/null | sha256sum | cut -d' ' -f1)" \
		"$(vmm_expected 2 4)"
	vmm_io_same "file fetched over the network" \
		"$(vmm_said "$1" "net got sha")" "$(vmm_expected 3 4)"
}

vmm_io_same() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# A QEMU monitor on fifos: vmm_mon_args DIR gives QEMU's arguments,
# vmm_mon DIR CMD sends a command, and DIR/mon.log collects the replies.
vmm_mon_args() {
	rm -f "$1/mon.in" "$1/mon.out"
	mkfifo "$1/mon.in" "$1/mon.out"
	echo "-chardev pipe,id=mon0,path=$1/mon -mon chardev=mon0,mode=readline"
}

vmm_mon_start() {
	: > "$1/mon.log"
	cat "$1/mon.out" >> "$1/mon.log" &
}

# A QEMU that is gone has no reader on the fifo: give up after 2 s.
vmm_mon() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 2 sh -c 'echo "$1" > "$0"' "$1/mon.in" "$2" ||
		echo "rvkvm-vmm: monitor command '$2' not taken" >> "$1/mon.log"
}

# Wait up to $3 s for a line matching the ERE $2 in file $1.
vmm_wait_for() {
	local i=0

	while [ $i -lt $(($3 * 4)) ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# Fail if the guest's kernel logged a warning, an oops, a stall or a
# failed check of scripts/guest/init, in any of the logs given.
vmm_guest_clean() {
	local bad

	bad=$(grep -hE "$RVKVM_FORBIDDEN|rcu: INFO|rvkvm-guest: FAIL" "$@")
	[ -z "$bad" ] || fail "the guest says: $(echo "$bad" | head -n 5)"
}
