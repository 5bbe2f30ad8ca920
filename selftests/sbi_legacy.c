// SPDX-License-Identifier: GPL-2.0
/*
 * sbi_legacy: every SBI v0.1 call, on 3 vCPUs.
 *
 * One program at guest-physical 0, translation off (so a guest virtual
 * address is a guest-physical one), run by every vCPU with a0 = its hart
 * id.  Hart 0 drives: console putchar and getchar (exits to us), a
 * set_timer whose interrupt it waits for, send_ipi to hart 2 (spinning
 * with interrupts on) and to hart 1 (asleep in WFI), an IPI to itself
 * taken back with clear_ipi, the three remote fences with a mask pointer,
 * with a null one (every hart) and with one into a page the guest never
 * touched, a mask naming a hart that does not exist, and a mask pointer
 * outside guest memory.  It records every result in memory, reports
 * through a call in the experimental range, and shuts down.
 *
 * Debian's 6.12 kvm.ko is built without CONFIG_RISCV_SBI_V01 and answers
 * every legacy call NOT_SUPPORTED: the test asks once and skips there.
 */
#include <unistd.h>
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "rvkvm_test.h"

#define NR_HARTS	3
#define MEM_SIZE	0x3000
#define DATA		0x1000	/* results, written by the guest */
#define COLD		0x2000	/* a mask the guest never touches itself */
#define BAD_PTR		0x40000000UL	/* in no memslot */
#define REPORT_EID	0x08000042

#define SSIP		2	/* sip.SSIP */

/* Offsets in the data page; the program below uses the same numbers. */
enum {
	D_PROBE = 0x000, D_H1_READY = 0x008, D_H1_WOKE = 0x010,
	D_H1_CLEARED = 0x018, D_H2_READY = 0x020, D_H2_IRQS = 0x028,
	D_H2_CAUSE = 0x030, D_H2_SIP = 0x038, D_IPI2 = 0x040, D_IPI1 = 0x048,
	D_SELF_SIP = 0x050, D_SELF_CLR = 0x058, D_FENCE_I = 0x060,
	D_SFENCE = 0x068, D_SFENCE_ASID = 0x070, D_FENCE_ALL = 0x078,
	D_FENCE_COLD = 0x080, D_BAD_HART = 0x088, D_BAD_PTR_A0 = 0x090,
	D_TRAP_CAUSE = 0x098, D_TRAP_TVAL = 0x0a0, D_TRAP_EPC = 0x0a8,
	D_BAD_PTR_PC = 0x0b0, D_TIMER_CMP = 0x0b8, D_TIMER_AT = 0x0c0,
	D_TIMER_CAUSE = 0x0c8, D_TIMER_A1 = 0x0d0, D_GETCHAR = 0x0d8,
	D_PUTCHAR = 0x0e0, D_CLEAR_A1 = 0x0e8, D_SHUTDOWN_RET = 0x0f0,
	D_H1_SIP_BEFORE = 0x108, D_H1_DONE = 0x110, D_CONSOLE_A1 = 0x118,
};

/*
 * s4 holds DATA.  Legacy eids: 0 set_timer, 1 putchar, 2 getchar,
 * 3 clear_ipi, 4 send_ipi, 5 remote fence.i, 6 remote sfence.vma,
 * 7 remote sfence.vma.asid, 8 shutdown.  The mask word is at DATA+0x100.
 */
asm(".pushsection .rodata.sbi_legacy, \"a\"\n"
"	.option push\n	.option norvc\n	.option norelax\n"
"legacy_code:\n"
"	li	s4, 0x1000\n"
"	bnez	a0, not_hart0\n"
/* Is v0.1 served at all?  clear_ipi, with a1 marked to see it kept. */
"	li	a7, 3\n	li a1, 0x5a5a\n	ecall\n"
"	sd	a0, 0x000(s4)\n	sd a1, 0x0e8(s4)\n"
"	bnez	a0, report\n"
"	lla	t0, h0_trap\n	csrw stvec, t0\n"
/* Console: both exit to userspace. */
"	li	a7, 1\n	li a0, 0x4b\n	li a1, 0x5a5b\n	ecall\n	sd a0, 0x0e0(s4)\n"
"	li	a7, 2\n	ecall\n	sd a0, 0x0d8(s4)\n	sd a1, 0x118(s4)\n"
/*
 * set_timer 10 ms ahead, then wait for the interrupt: look with SIE off,
 * WFI, take it with SIE on.  (Taken between a look with SIE on and the
 * branch on it, it would leave a stale look and the hart in WFI for good;
 * the timer may pend a little after KVM wakes the hart.)
 */
"	li	t0, 0x20\n	csrs sie, t0\n"
"	rdtime	t1\n	li t2, 100000\n	add a0, t1, t2\n	sd a0, 0x0b8(s4)\n"
"	li	a1, 0x5a5a\n	li a7, 0\n	ecall\n	sd a1, 0x0d0(s4)\n"
"1:	ld	t2, 0x0c8(s4)\n	bnez t2, 2f\n"
"	wfi\n	csrsi sstatus, 2\n	csrci sstatus, 2\n	j 1b\n"
"2:	li	t0, 0x20\n	csrc sie, t0\n"
/* IPI to hart 2, which spins with interrupts on. */
"	addi	a0, s4, 0x020\n	jal wait_nz\n"
"	li	t0, 4\n	sd t0, 0x100(s4)\n"
"	li	a7, 4\n	addi a0, s4, 0x100\n	ecall\n	sd a0, 0x040(s4)\n"
"	addi	a0, s4, 0x028\n	jal wait_nz\n"
/* IPI to hart 1, given 20 ms to fall asleep in WFI first. */
"	addi	a0, s4, 0x008\n	jal wait_nz\n"
"	rdtime	t1\n	li t2, 200000\n	add t1, t1, t2\n"
"2:	rdtime	t0\n	bltu t0, t1, 2b\n"
"	li	t0, 2\n	sd t0, 0x100(s4)\n"
"	li	a7, 4\n	addi a0, s4, 0x100\n	ecall\n	sd a0, 0x048(s4)\n"
"	addi	a0, s4, 0x110\n	jal wait_nz\n"
/* IPI to itself: pending in sip until clear_ipi takes it back. */
"	li	t0, 1\n	sd t0, 0x100(s4)\n"
"	li	a7, 4\n	addi a0, s4, 0x100\n	ecall\n"
"	csrr	t0, sip\n	andi t0, t0, 2\n	sd t0, 0x050(s4)\n"
"	li	a7, 3\n	ecall\n"
"	csrr	t0, sip\n	andi t0, t0, 2\n	sd t0, 0x058(s4)\n"
/* Remote fences to harts 0-2; then to all (null); then a cold mask. */
"	li	t0, 7\n	sd t0, 0x100(s4)\n"
"	li	a7, 5\n	addi a0, s4, 0x100\n	ecall\n	sd a0, 0x060(s4)\n"
"	li	a7, 6\n	addi a0, s4, 0x100\n	li a1, 0\n	li a2, 4096\n"
"	ecall\n	sd a0, 0x068(s4)\n"
"	li	a7, 7\n	addi a0, s4, 0x100\n	li a1, 0\n	li a2, -1\n"
"	li	a3, 1\n	ecall\n	sd a0, 0x070(s4)\n"
"	li	a7, 5\n	li a0, 0\n	ecall\n	sd a0, 0x078(s4)\n"
"	li	a7, 6\n	li a0, 0x2000\n	li a1, 0\n	li a2, 0\n"
"	ecall\n	sd a0, 0x080(s4)\n"
/* A mask naming hart 9, which does not exist. */
"	li	t0, 0x200\n	sd t0, 0x100(s4)\n"
"	li	a7, 4\n	addi a0, s4, 0x100\n	ecall\n	sd a0, 0x088(s4)\n"
/* A mask pointer outside guest memory: h0_trap records and skips. */
"	lla	t0, bad_ptr_ecall\n	sd t0, 0x0b0(s4)\n"
"	li	a7, 4\n	li a0, 0x40000000\n"
"bad_ptr_ecall:\n"
"	ecall\n	sd a0, 0x090(s4)\n"
"report:\n"
"	li	a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	li	a7, 8\n	ecall\n"
"	sd	a0, 0x0f0(s4)\n"			/* reached only if it failed */
"	j	report\n"
/* a0 = address: wait up to 5 s for non-zero there; a0 = it, or 0. */
"wait_nz:\n"
"	rdtime	t3\n	li t4, 50000000\n	add t3, t3, t4\n"
"3:	ld	t0, 0(a0)\n	bnez t0, 4f\n"
"	rdtime	t5\n	bltu t5, t3, 3b\n"
"4:	mv	a0, t0\n	ret\n"
/* Hart 0: an exception is recorded and skipped; the timer disarmed. */
"	.balign 4\n"
"h0_trap:\n"
"	csrr	t0, scause\n	bltz t0, 5f\n"
"	sd	t0, 0x098(s4)\n	csrr t1, stval\n	sd t1, 0x0a0(s4)\n"
"	csrr	t1, sepc\n	sd t1, 0x0a8(s4)\n"
"	addi	t1, t1, 4\n	csrw sepc, t1\n	li a0, 0x77\n	sret\n"
"5:	rdtime	t1\n	sd t1, 0x0c0(s4)\n	sd t0, 0x0c8(s4)\n"
"	li	a7, 0\n	li a0, -1\n	ecall\n	sret\n"
"not_hart0:\n"
"	li	t0, 1\n	beq a0, t0, hart1\n"
/* Hart 2: spin with SSIE and SIE on; each IPI is taken and cleared. */
"	lla	t0, h2_trap\n	csrw stvec, t0\n"
"	li	t0, 2\n	csrs sie, t0\n	csrsi sstatus, 2\n"
"	li	t0, 1\n	sd t0, 0x020(s4)\n"
"6:	addi	s5, s5, 1\n	j 6b\n"
"	.balign 4\n"
"h2_trap:\n"
"	csrr	t0, scause\n	sd t0, 0x030(s4)\n"
"7:	bgez	t0, 7b\n"			/* an exception: stay here */
"	li	a7, 3\n	ecall\n"
"	csrr	t0, sip\n	andi t0, t0, 2\n	sd t0, 0x038(s4)\n"
"	ld	t0, 0x028(s4)\n	addi t0, t0, 1\n	sd t0, 0x028(s4)\n"
"	sret\n"
/* Hart 1: SSIE on, SIE off: WFI wakes on the IPI without a trap. */
"hart1:\n"
"	li	t0, 2\n	csrs sie, t0\n"
"	csrr	t0, sip\n	andi t0, t0, 2\n	sd t0, 0x108(s4)\n"
"	li	t0, 1\n	sd t0, 0x008(s4)\n"
"8:	wfi\n	csrr t0, sip\n	andi t0, t0, 2\n	beqz t0, 8b\n"
"	sd	t0, 0x010(s4)\n"
"	li	a7, 3\n	ecall\n"
"	csrr	t0, sip\n	andi t0, t0, 2\n	sd t0, 0x018(s4)\n"
"	li	t0, 1\n	sd t0, 0x110(s4)\n"
"9:	wfi\n	j 9b\n"
"legacy_code_end:\n"
"	.option pop\n	.popsection\n");

static u64 *data;

static u64 d(unsigned int off)
{
	return READ_ONCE(data[off / 8]);
}

static long ds(unsigned int off)
{
	return (long)d(off);
}

/* Harts 1 and 2 never exit to us: they run on threads of their own. */
static struct kvm_vm *make_vm(struct rvkvm_hart *harts)
{
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	struct kvm_vm *vm;
	const u8 *code;
	size_t len;
	u8 *mem;
	int i;

	code = rvkvm_asm_range(legacy_code, legacy_code_end, &len);
	vm = rvkvm_vm_with_code(code, len, DATA, MEM_SIZE, &mem);
	data = (u64 *)(mem + DATA);
	*(u64 *)(mem + COLD) = 7;	/* harts 0-2 */
	for (i = 0; i < NR_HARTS; i++) {
		harts[i].vcpu = __vm_vcpu_add(vm, i);
		if (!i)
			continue;
		vcpu_set_reg(harts[i].vcpu, RISCV_CORE_REG(regs.a0), i);
		vcpu_ioctl(harts[i].vcpu, KVM_SET_MP_STATE, &runnable);
		rvkvm_hart_start(&harts[i]);
	}
	return vm;
}

/* Hart 0's exits until the report: the console, answered as a VMM would. */
static void run_to_report(struct kvm_vcpu *vcpu, long *putchar_arg)
{
	struct kvm_run *run = vcpu->run;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI,
			    "hart 0 exited with %s",
			    exit_reason_str(run->exit_reason));
		switch (run->riscv_sbi.extension_id) {
		case 1:		/* console_putchar */
			*putchar_arg = run->riscv_sbi.args[0];
			run->riscv_sbi.ret[0] = 0;
			break;
		case 2:		/* console_getchar */
			run->riscv_sbi.ret[0] = 'Q';
			/* A VMM's stray answer: legacy calls have none in a1. */
			run->riscv_sbi.ret[1] = 0x77;
			break;
		case REPORT_EID:
			return;
		default:
			TEST_FAIL("unexpected SBI exit, eid %#lx",
				  run->riscv_sbi.extension_id);
		}
	}
}

static void check_calls(long putchar_arg)
{
	long late = d(D_TIMER_AT) - d(D_TIMER_CMP);

	ksft_print_msg("a1 after clear_ipi %#lx, set_timer %#lx, the console %#lx\n",
		       d(D_CLEAR_A1), d(D_TIMER_A1), d(D_CONSOLE_A1));
	ksft_test_result(d(D_CLEAR_A1) == 0x5a5a && d(D_TIMER_A1) == 0x5a5a &&
			 (d(D_CONSOLE_A1) == 0x5a5b || !rvkvm_module_is_ours()),
			 "legacy calls return in a0 alone: a1 kept, forwarded ones too\n");
	ksft_test_result(putchar_arg == 'K' && !ds(D_PUTCHAR),
			 "console_putchar: KVM_EXIT_RISCV_SBI with the char, userspace's answer in a0\n");
	ksft_test_result(d(D_GETCHAR) == 'Q',
			 "console_getchar: userspace's char in a0 (got %#lx)\n",
			 d(D_GETCHAR));
	ksft_print_msg("set_timer: interrupt %ld ticks after the compare\n", late);
	ksft_test_result(d(D_TIMER_CAUSE) == (CAUSE_IRQ_FLAG | IRQ_S_TIMER) && late >= 0,
			 "set_timer: the timer interrupt arrives, not before the compare (cause %#lx)\n",
			 d(D_TIMER_CAUSE));
	ksft_test_result(!ds(D_IPI2) && d(D_H2_IRQS) == 1 &&
			 d(D_H2_CAUSE) == (CAUSE_IRQ_FLAG | IRQ_S_SOFT) && !d(D_H2_SIP),
			 "send_ipi to a running hart: one software interrupt, clear_ipi clears it (irqs %lu)\n",
			 d(D_H2_IRQS));
	ksft_test_result(!ds(D_IPI1) && !d(D_H1_SIP_BEFORE) &&
			 d(D_H1_WOKE) == SSIP && !d(D_H1_CLEARED),
			 "send_ipi to a hart in WFI: it wakes with SSIP, clear_ipi clears it\n");
	ksft_test_result(d(D_SELF_SIP) == SSIP && !d(D_SELF_CLR),
			 "send_ipi to itself: SSIP pending until clear_ipi\n");
	ksft_test_result(!ds(D_FENCE_I) && !ds(D_SFENCE) && !ds(D_SFENCE_ASID) &&
			 !ds(D_FENCE_ALL),
			 "remote fence.i, sfence.vma, sfence.vma.asid (mask pointer) and fence.i (null: all): 0\n");
	ksft_test_result(!ds(D_FENCE_COLD),
			 "a mask in a page the guest never touched is read (G-stage miss filled)\n");
	ksft_test_result(ds(D_BAD_HART) == SBI_ERR_INVALID_PARAM,
			 "a mask naming a hart that does not exist: INVALID_PARAM (got %ld)\n",
			 ds(D_BAD_HART));
	ksft_print_msg("bad mask pointer: cause %lu, tval %#lx, epc %#lx (ecall at %#lx)\n",
		       d(D_TRAP_CAUSE), d(D_TRAP_TVAL), d(D_TRAP_EPC),
		       d(D_BAD_PTR_PC));
	ksft_test_result(d(D_TRAP_CAUSE) == EXC_LOAD_ACCESS &&
			 d(D_TRAP_TVAL) == BAD_PTR &&
			 d(D_TRAP_EPC) == d(D_BAD_PTR_PC) &&
			 d(D_BAD_PTR_A0) == 0x77,
			 "a mask pointer outside guest memory: load access fault at the ecall\n");
}

/* A hang: show how far the harts got, then die as the alarm would. */
static void on_alarm(int sig)
{
	unsigned int off;

	if (data)
		for (off = 0; off <= D_CONSOLE_A1; off += 8)
			ksft_print_msg("hang: data[%#x] = %#lx\n", off, d(off));
	signal(SIGALRM, SIG_DFL);
	raise(SIGALRM);
}

int main(int argc, char **argv)
{
	struct rvkvm_hart harts[NR_HARTS];
	struct kvm_mp_state mp;
	long putchar_arg = -1;
	struct kvm_run *run;
	struct kvm_vm *vm;
	int i;

	ksft_print_header();
	signal(SIGALRM, on_alarm);
	alarm(60);	/* a lost interrupt would leave a vCPU in WFI */
	vm = make_vm(harts);
	run_to_report(harts[0].vcpu, &putchar_arg);
	if (ds(D_PROBE) == SBI_ERR_NOT_SUPPORTED)
		ksft_exit_skip("SBI v0.1 calls answer NOT_SUPPORTED %s\n",
			       "(a kvm.ko built without CONFIG_RISCV_SBI_V01, as Debian's 6.12)");
	TEST_ASSERT(!ds(D_PROBE), "clear_ipi answered %ld", ds(D_PROBE));

	ksft_set_plan(12);
	check_calls(putchar_arg);

	vcpu_run(harts[0].vcpu);
	run = harts[0].vcpu->run;
	ksft_test_result(run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
			 run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN,
			 "shutdown: KVM_EXIT_SYSTEM_EVENT SHUTDOWN (got %s)\n",
			 exit_reason_str(run->exit_reason));
	rvkvm_harts_stop(harts, NR_HARTS);
	for (i = 0; i < NR_HARTS; i++) {
		vcpu_ioctl(harts[i].vcpu, KVM_GET_MP_STATE, &mp);
		TEST_ASSERT(mp.mp_state == KVM_MP_STATE_STOPPED,
			    "hart %d not stopped after shutdown", i);
	}
	TEST_ASSERT(rvkvm_vcpu_stat(harts[1].vcpu, "wfi_exit_stat") >= 1,
		    "hart 1 never waited in WFI");
	kvm_vm_free(vm);
	ksft_finished();
}
