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
# VMM_KERNEL and VMM_INITRD (the packed guest), VMM_TIMEOUT (s, 600).

# shellcheck disable=SC1091 # written by scripts/hostrun
[ -f /rvkvm/vmm.env ] && . /rvkvm/vmm.env

VMM_QEMU_ROOT=/vmm/qemu
VMM_SMP=${VMM_SMP:-2}
VMM_MEM=${VMM_MEM:-1G}
VMM_KERNEL=${VMM_KERNEL:-/vmm/guest/Image}
VMM_INITRD=${VMM_INITRD:-/vmm/guest/initrd.cpio.gz}
VMM_TIMEOUT=${VMM_TIMEOUT:-600}

# qemu-system-riscv64, through its own ld.so: the emulated host has no
# /lib of its own (busybox is static).
vmm_qemu() {
	"$VMM_QEMU_ROOT/lib/ld-linux-riscv64-lp64d.so.1" \
		--library-path "$VMM_QEMU_ROOT/usr/lib/riscv64-linux-gnu" \
		"$VMM_QEMU_ROOT/usr/bin/qemu-system-riscv64" "$@"
}

# The guest's shell on this console, for `make run GUEST_SHELL=1`.
vmm_interactive() {
	echo "rvkvm: booting the guest with a shell on this console;" \
		"exit the shell to power it off (or Ctrl-a x to kill QEMU)"
	vmm_qemu -M virt -accel kvm -cpu host -smp "$VMM_SMP" -m "$VMM_MEM" \
		-nographic -bios none -kernel "$VMM_KERNEL" \
		-initrd "$VMM_INITRD" -append "$(vmm_append shell)"
	echo "rvkvm: QEMU exit status $?"
}

# The command line of a guest that runs task $1 with argument $2.
vmm_append() {
	echo "console=ttyS0 panic=-1 rvkvm.task=$1${2:+ rvkvm.arg=$2}"
}

# vmm_guest LOG TASK ARG [QEMU ARGS...]: boot a guest that runs TASK,
# its console both shown (each line prefixed with "guest| ") and kept in
# LOG.  Returns QEMU's exit status (124 or 137: killed after VMM_TIMEOUT
# s).  Sets VMM_UP: seconds from QEMU's start to the guest's first line of
# userspace, or "-" if it never came.
vmm_guest() {
	local log=$1 task=$2 arg=$3 t0 st

	shift 3
	t0=$(cut -d' ' -f1 /proc/uptime)
	: > "$log"
	{ timeout -s KILL "$VMM_TIMEOUT" sh -c '
		"$0" "$@" 2>&1
		echo "rvkvm-vmm: qemu exit $?"' \
		"$VMM_QEMU_ROOT/lib/ld-linux-riscv64-lp64d.so.1" \
		--library-path "$VMM_QEMU_ROOT/usr/lib/riscv64-linux-gnu" \
		"$VMM_QEMU_ROOT/usr/bin/qemu-system-riscv64" \
		-M virt -accel kvm -cpu host -smp "$VMM_SMP" -m "$VMM_MEM" \
		-nographic -bios none -kernel "$VMM_KERNEL" \
		-initrd "$VMM_INITRD" -append "$(vmm_append "$task" "$arg")" \
		"$@" < /dev/null || echo "rvkvm-vmm: killed after $VMM_TIMEOUT s"
	} | awk -v t0="$t0" -v lf="$log" '
		/rvkvm-guest: up / && !up {
			getline u < "/proc/uptime"; close("/proc/uptime")
			split(u, f, " "); up = f[1] - t0
			printf "rvkvm-vmm: guest userspace %.2f s after QEMU start\n", up >> lf
		}
		{ print "guest| " $0; print $0 >> lf; fflush() }'
	st=$(sed -n 's/^rvkvm-vmm: qemu exit //p' "$log" | tail -n 1)
	VMM_UP=$(sed -n 's/^rvkvm-vmm: guest userspace \([0-9.]*\) s.*/\1/p' "$log")
	VMM_UP=${VMM_UP:--}
	return "${st:-137}"
}

# The value after "rvkvm-guest: KEY " in LOG (the last one).
vmm_said() {
	sed -n "s/^rvkvm-guest: $2 //p" "$1" | tr -d '\r' | tail -n 1
}
