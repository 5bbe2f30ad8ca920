// SPDX-License-Identifier: GPL-2.0
/*
 * oom_guest [-m MIB]: a VMM whose guest touches more memory than the host
 * has, until the host's OOM killer kills the VMM.  Run by
 * tests/oom_guest.sh, which checks the kill, the kernel log and the host
 * afterwards; on its own this program just runs until it dies.
 *
 * The memslot is MIB MiB (default: the host's RAM plus 512 MiB) of
 * private anonymous memory, reserved without accounting (MAP_NORESERVE,
 * as a VMM would), so that only touching it allocates.  The guest (a
 * few instructions at guest-physical 0, translation off) stores into it
 * every 2 MiB first, which the host backs with transparent huge pages
 * while it has them, then every 4 KiB from the top down, which fills
 * what the huge pages left; it reports each 64 MiB it covers.  If it
 * ever covers the whole memslot, the memory was not really allocated:
 * this program then exits with a failure, and so does a KVM_RUN error.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kvm_util.h"
#include "rvkvm_test.h"

#define CODE_SIZE	0x1000
#define MEM_SLOT	2		/* rvkvm_vm_with_code() takes 1 */
#define MEM_GPA		0x100000000ul
#define HUGE		(2ul << 20)
#define REPORT_EID	0x08000045
#define R_PROGRESS	0		/* a0 = bytes covered, a1 = pass */
#define R_ALL		1		/* the whole memslot, both passes */

/* a0 = the memslot's address, a1 = its size (a multiple of 2 MiB). */
asm(".pushsection .rodata.oom_guest, \"a\"\n"
"	.option push\n	.option norvc\n"
"oom_code:\n"
"	mv	s0, a0\n	add s1, a0, a1\n"
"	li	s2, 0x3ffffff\n"		/* report each 64 MiB */
"	li	s4, 0x200000\n	mv t0, s0\n	li s3, 1\n"
"1:	sd	t0, 0(t0)\n	add t0, t0, s4\n"
"	sub	t1, t0, s0\n	and t2, t1, s2\n	bnez t2, 2f\n"
"	li	a7, 0x08000045\n	li a6, 0\n	mv a0, t1\n	mv a1, s3\n	ecall\n"
"2:	bltu	t0, s1, 1b\n"
"	li	s4, 0x1000\n	mv t0, s1\n	li s3, 2\n"
"3:	sub	t0, t0, s4\n	sd t0, 0(t0)\n"
"	sub	t1, s1, t0\n	and t2, t1, s2\n	bnez t2, 4f\n"
"	li	a7, 0x08000045\n	li a6, 0\n	mv a0, t1\n	mv a1, s3\n	ecall\n"
"4:	bgtu	t0, s0, 3b\n"
"	li	a7, 0x08000045\n	li a6, 1\n	ecall\n"
"	j	.\n"
"oom_code_end:\n"
"	.option pop\n	.popsection\n");

static u64 default_size(void)
{
	return (u64)sysconf(_SC_PHYS_PAGES) * getpagesize() + (512ul << 20);
}

/* @size bytes of unaccounted memory, 2 MiB aligned for huge pages. */
static void *reserve(u64 size)
{
	u8 *p = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap of %lu MiB", size >> 20);
	return (void *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
}

int main(int argc, char *argv[])
{
	u64 size = default_size();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;
	const u8 *code;
	double t0;
	size_t len;
	u8 *mem;
	int opt;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		TEST_ASSERT(opt == 'm', "usage: oom_guest [-m MIB]");
		size = strtoull(optarg, NULL, 0) << 20;
	}
	size &= ~(HUGE - 1);
	TEST_ASSERT(size, "the memslot needs at least 2 MiB");

	code = rvkvm_asm_range(oom_code, oom_code_end, &len);
	vm = rvkvm_vm_with_code(code, len, CODE_SIZE, CODE_SIZE, &mem);
	vm_set_user_memory_region(vm, MEM_SLOT, 0, MEM_GPA, size, reserve(size));
	vcpu = __vm_vcpu_add(vm, 0);
	vcpu_args_set(vcpu, 2, MEM_GPA, size);
	run = vcpu->run;
	printf("oom_guest: pid %d, memslot of %lu MiB\n", getpid(), size >> 20);

	t0 = rvkvm_now();
	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
			    run->riscv_sbi.extension_id == REPORT_EID,
			    "unexpected exit %s", exit_reason_str(run->exit_reason));
		if (run->riscv_sbi.function_id == R_ALL)
			break;
		printf("oom_guest: %.1f s: pass %lu covered %lu MiB\n",
		       rvkvm_now() - t0, (u64)run->riscv_sbi.args[1],
		       (u64)run->riscv_sbi.args[0] >> 20);
	}
	TEST_FAIL("the guest covered all %lu MiB and was not killed", size >> 20);
}
