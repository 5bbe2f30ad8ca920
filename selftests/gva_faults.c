// SPDX-License-Identifier: GPL-2.0
/*
 * gva_faults: the host's reads of guest memory by guest virtual address
 * (HLV, for SBI v0.1 hart masks) meet the faults the guest's own access
 * would: a G-stage miss, on the page or on a page-table page of the
 * guest's walk, is the hypervisor's to resolve; a VS-stage page fault or
 * memory without RAM is the guest's, delivered at the ecall.  A
 * hypervisor cause (20, 21, 23) must never reach the guest.
 *
 * The guest runs with its own Sv39 table (A and D set for its code and
 * data), and passes remote_fence_i mask pointers into a 2 MiB window
 * whose leaf table it never reads itself, so the host's walk is the
 * first: the table page and the mask page are not yet mapped in the
 * G-stage (cause 21), and their leaf entries have A clear, so a hart
 * that updates A in hardware stores to the table page, which dirty
 * logging keeps read-only (cause 23).  The memslot logs dirty pages from
 * the start.  Whether the hart checks G-stage write permission for such
 * an update at all is probed first with the guest's own load through a
 * second window: QEMU 7.2 and 10 do not (they set A and nothing is
 * logged), and the host-read check of it skips there.  Debian's 6.12
 * kvm.ko serves no v0.1 call: the whole test skips.
 *
 * GPA layout (one memslot, 0 to 64 KiB): 0x0000 code, 0x1000 root table,
 * 0x2000 level-1 table, 0x3000 level-0 table of VA 0-2 MiB (code, data,
 * tables, identity), 0x4000 level-0 table of VA 2-4 MiB (the window),
 * 0x5000 results, 0x6000 and 0x7000 the window's two mask pages, 0x8000
 * level-0 table of VA 4-6 MiB (the probe's window) mapping 0x9000.
 */
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "rvkvm_test.h"

#define MEM_SIZE	0x10000
#define PAGE		0x1000
#define ROOT		0x1000
#define L1		0x2000
#define L0_LOW		0x3000
#define L0_WIN		0x4000
#define DATA		0x5000
#define MASK_A		0x6000
#define MASK_B		0x7000
#define L0_PROBE	0x8000
#define PROBE_PAGE	0x9000
#define WIN_VA		0x200000UL
#define NO_RAM_GPA	0x40000000UL
#define REPORT_EID	0x08000042

/* PTE bits */
#define V	BIT(0)
#define R	BIT(1)
#define W	BIT(2)
#define X	BIT(3)
#define A	BIT(6)
#define D	BIT(7)

/* Window slots: which VA maps what. */
#define VA_MASK_A	(WIN_VA + 0x0000)	/* RAM, A clear */
#define VA_MASK_B	(WIN_VA + 0x1000)	/* RAM, A clear, misaligned use */
#define VA_NO_RAM	(WIN_VA + 0x2000)	/* no memslot behind it */
#define VA_UNMAPPED	(WIN_VA + 0x3000)	/* invalid PTE */

/* Results: u64 at DATA + 8 * n. */
enum { R_PROBE, R_MASK_A, R_MASK_A_AGAIN, R_MASK_B, R_NO_RAM_CAUSE,
	R_NO_RAM_TVAL, R_UNMAPPED_CAUSE, R_UNMAPPED_TVAL, R_BAD_CAUSES,
	R_LAST_CAUSE, R_NR };

/*
 * s4: DATA.  s5: where the trap handler resumes.  Each call is v0.1
 * remote_fence_i (eid 5) with a0 the mask pointer.  The handler records
 * scause and stval in the two words s6 points at, counts hypervisor
 * causes (20 to 23), and resumes at s5.
 */
asm(".pushsection .rodata.gva_faults, \"a\"\n"
"	.option push\n	.option norvc\n	.option norelax\n"
"gva_code:\n"
"	li	s4, 0x5000\n"
"	lla	t0, gva_trap\n	csrw stvec, t0\n"
"	li	t0, 0x1000\n	srli t0, t0, 12\n	li t1, 8\n	slli t1, t1, 60\n"
"	or	t0, t0, t1\n	csrw satp, t0\n	sfence.vma\n"
	/* Is v0.1 served?  A null mask: every hart. */
"	li	a7, 5\n	li a0, 0\n	ecall\n	sd a0, 0(s4)\n	bnez a0, gva_report\n"
	/* The probe: the guest's own first access through its window. */
"	li	t0, 0x400000\n	ld t1, 0(t0)\n"
"	li	s6, 0x5000\n	addi s6, s6, 0x100\n"	/* scratch for the handler */
"	li	a7, 5\n	li a0, 0x200000\n	lla s5, 1f\n	ecall\n"
"1:	sd	a0, 8(s4)\n"
"	li	a7, 5\n	li a0, 0x200000\n	lla s5, 2f\n	ecall\n"
"2:	sd	a0, 16(s4)\n"
"	li	a7, 5\n	li a0, 0x201000\n	lla s5, 3f\n	ecall\n"
"3:	sd	a0, 24(s4)\n"
"	addi	s6, s4, 32\n"
"	li	a7, 5\n	li a0, 0x202000\n	lla s5, 4f\n	ecall\n"
"4:	addi	s6, s4, 48\n"
"	li	a7, 5\n	li a0, 0x203000\n	lla s5, gva_report\n	ecall\n"
"gva_report:\n"
"	li	a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	.\n"
"	.balign	4\n"
"gva_trap:\n"
"	csrr	t0, scause\n	sd t0, 0(s6)\n	sd t0, 72(s4)\n"
"	csrr	t0, stval\n	sd t0, 8(s6)\n"
"	csrr	t0, scause\n	addi t0, t0, -20\n	li t1, 4\n	bgeu t0, t1, 5f\n"
"	ld	t0, 64(s4)\n	addi t0, t0, 1\n	sd t0, 64(s4)\n"
"5:	csrw	sepc, s5\n	sret\n"
"gva_code_end:\n"
"	.option pop\n	.popsection\n");

static u64 pte(u64 gpa, u64 bits)
{
	return (gpa >> 12) << 10 | bits;
}

/* The guest's Sv39 tables: identity for 0-2 MiB, the window above. */
static void build_tables(u8 *mem)
{
	u64 *root = (u64 *)(mem + ROOT), *l1 = (u64 *)(mem + L1);
	u64 *low = (u64 *)(mem + L0_LOW), *win = (u64 *)(mem + L0_WIN);
	int i;

	root[0] = pte(L1, V);
	l1[0] = pte(L0_LOW, V);
	l1[1] = pte(L0_WIN, V);
	l1[2] = pte(L0_PROBE, V);
	((u64 *)(mem + L0_PROBE))[0] = pte(PROBE_PAGE, V | R | W);
	for (i = 0; i < MEM_SIZE / PAGE; i++)
		low[i] = pte(i * PAGE, V | R | W | X | A | D);
	win[0] = pte(MASK_A, V | R | W);
	win[1] = pte(MASK_B, V | R | W);
	win[2] = pte(NO_RAM_GPA, V | R | W | A);
	win[3] = 0;
	*(u64 *)(mem + MASK_A) = 1;
	*(u64 *)(mem + MASK_B) = 1;
}

static long res(u8 *mem, int r)
{
	return ((long *)(mem + DATA))[r];
}

/* The slot's dirty pages since it was made, bit n for page n. */
static unsigned long logged_dirty(struct kvm_vm *vm)
{
	unsigned long bitmap[MEM_SIZE / PAGE / 64 + 1] = { };

	kvm_vm_get_dirty_log(vm, 1, bitmap);
	return bitmap[0];
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	unsigned long dirty;
	const u8 *code;
	size_t len;
	u8 *mem;

	ksft_print_header();
	vm = vm_create_barebones();
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 0, 1,
				    MEM_SIZE / PAGE, KVM_MEM_LOG_DIRTY_PAGES);
	mem = addr_gpa2hva(vm, 0);
	code = rvkvm_asm_range(gva_code, gva_code_end, &len);
	TEST_ASSERT(len <= ROOT, "code overlaps the tables");
	memcpy(mem, code, len);
	build_tables(mem);
	vcpu = __vm_vcpu_add(vm, 0);
	run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == REPORT_EID,
		    "guest ended with %s", exit_reason_str(run->exit_reason));
	if (res(mem, R_PROBE))
		ksft_exit_skip("SBI v0.1 not served (error %ld)\n", res(mem, R_PROBE));
	ksft_set_plan(5);

	ksft_print_msg("hypervisor causes seen by the guest: %ld (last cause %ld)\n",
		       res(mem, R_BAD_CAUSES), res(mem, R_LAST_CAUSE));
	ksft_test_result(!res(mem, R_BAD_CAUSES),
			 "no guest-page fault cause (20, 21, 23) reached the guest\n");
	ksft_test_result(!res(mem, R_MASK_A) && !res(mem, R_MASK_A_AGAIN) &&
			 !res(mem, R_MASK_B),
			 "masks behind cold table and data pages read (%ld %ld %ld)\n",
			 res(mem, R_MASK_A), res(mem, R_MASK_A_AGAIN), res(mem, R_MASK_B));
	ksft_test_result(res(mem, R_NO_RAM_CAUSE) == EXC_LOAD_ACCESS &&
			 res(mem, R_NO_RAM_TVAL) == VA_NO_RAM,
			 "mask without RAM: load access fault at its address (cause %ld)\n",
			 res(mem, R_NO_RAM_CAUSE));
	ksft_test_result(res(mem, R_UNMAPPED_CAUSE) == EXC_LOAD_PAGE_FAULT &&
			 res(mem, R_UNMAPPED_TVAL) == VA_UNMAPPED,
			 "unmapped mask: load page fault at its address (cause %ld)\n",
			 res(mem, R_UNMAPPED_CAUSE));
	/*
	 * A hart that sets A in hardware writes the table page through the
	 * G-stage, with its write permission: dirty logging must see it,
	 * for the host's read as for the guest's own access.  A hart that
	 * skips the permission check on that write (the probe shows it)
	 * gives the module nothing to see.
	 */
	dirty = logged_dirty(vm);
	ksft_print_msg("A set: probe %d, window %d; logged dirty: probe %d, window %d\n",
		       !!(*(u64 *)(mem + L0_PROBE) & A), !!(*(u64 *)(mem + L0_WIN) & A),
		       !!(dirty & BIT(L0_PROBE / PAGE)), !!(dirty & BIT(L0_WIN / PAGE)));
	if (!(*(u64 *)(mem + L0_WIN) & A))
		ksft_test_result_skip("this hart does not set A in hardware\n");
	else if (!(dirty & BIT(L0_PROBE / PAGE)))
		ksft_test_result_skip("A set with no G-stage write check: no cause 23\n");
	else
		ksft_test_result(dirty & BIT(L0_WIN / PAGE),
				 "the host walk's A update of a logged table page is logged dirty\n");
	kvm_vm_free(vm);
	ksft_finished();
}
