/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzz guest and the threads that run it.
 *
 * One position-independent program at guest-physical 0, translation
 * off, run by every hart; HSM-started harts enter it too (a0 = hart id).
 * Each hart has a record in the control page (FZ_G_HARTS + (id % 30) *
 * 0x80) whose mode picks what its loop does, from a private LCG:
 *
 *   1 HSM:   start/stop/status other harts, IPIs, remote fences, timers,
 *            WFI, retentive suspend, probes, calls userspace handles
 *   2 MEM:   loads and stores all over a window of memslots, mostly
 *            where the host says slots are, and into the stable
 *            (dirty-logged) slot; optionally AMOs
 *   3 EXITS: MMIO loads and stores of every width, forwarded SBI calls,
 *            ebreak, illegal instructions, seed, SRST, WFI, DBCN
 *
 * A trap handler skips faulting instructions and masks interrupts it
 * takes, so the guest survives anything the host does to it.  The
 * record counts iterations, SBI calls, interrupts and exceptions, and
 * any in-kernel SBI call whose error code is not an SBI error code.
 */
#ifndef FUZZ_GUEST_H
#define FUZZ_GUEST_H

#include "fuzz.h"

/* Control page (offsets from FZ_G_CTL) */
#define FZ_C_NHARTS	0x00
#define FZ_C_IDS	0x08	/* u64[8]: hart ids HSM may pick */
#define FZ_C_FLAGS	0x48
#define FZ_C_WIN	0x50	/* MEM window base, size */
#define FZ_C_WIN_SIZE	0x58
#define FZ_C_MMIO	0x60
#define FZ_C_STABLE	0x68	/* stable slot base, size */
#define FZ_C_STABLE_SIZE 0x70
#define FZ_C_NHINTS	0x78	/* MEM: where slots are, (gpa, size)[8] */
#define FZ_C_HINTS	0x80
#define FZ_C_MAX_HINTS	8
#define FZ_C_MAX_IDS	8

/* Hart record (u64 indices) */
enum { FZ_R_MODE, FZ_R_SEED, FZ_R_ITERS, FZ_R_ECALLS, FZ_R_IRQS, FZ_R_EXCS,
	FZ_R_SAVE6, FZ_R_SAVE5, FZ_R_BADSBI, FZ_R_BAD_A0, FZ_R_BAD_EID,
	FZ_R_CAUSE, FZ_R_EPC };	/* the last trap the guest took */

enum { FZ_M_SPIN, FZ_M_HSM, FZ_M_MEM, FZ_M_EXITS };

#define FZ_GF_STOP	1	/* HSM: a hart may stop itself */
#define FZ_GF_SRST	2	/* EXITS: SRST shutdown or reboot now and then */
#define FZ_GF_AMO	4	/* AMOs where there may be no RAM */
#define FZ_GF_WFI	8	/* WFI and retentive suspend (timer armed first) */
#define FZ_GF_OFF_SHIFT	32	/* bit 32 + N: action N of the tables is off */

asm(".pushsection .rodata.fz_guest, \"a\"\n"
"	.option push\n	.option norvc\n	.option norelax\n"
"	.balign 8\n"
"fz_guest:\n"
"	lla	t0, fz_trap\n	csrw stvec, t0\n"
"	li	t0, 30\n	remu t1, a0, t0\n	slli t1, t1, 7\n"
"	li	s1, 0x1100\n	add s1, s1, t1\n"
"	li	s0, 0x1000\n	mv s5, a0\n"
"	ld	s2, 8(s1)\n	xor s2, s2, a1\n	xor s2, s2, a0\n"
"fz_loop:\n"
"	ld	t0, 16(s1)\n	addi t0, t0, 1\n	sd t0, 16(s1)\n"
"	li	t0, 6364136223846793005\n	mul s2, s2, t0\n"
"	li	t0, 1442695040888963407\n	add s2, s2, t0\n"
"	srli	s6, s2, 32\n	andi t1, s6, 31\n"
"	ld	t2, 0x48(s0)\n	srli t2, t2, 32\n	srl t2, t2, t1\n	andi t2, t2, 1\n"
"	bnez	t2, fz_loop\n	slli t1, t1, 2\n"
"	ld	s3, 0(s1)\n"
"	li	t0, 1\n	beq s3, t0, 1f\n"
"	li	t0, 2\n	beq s3, t0, 2f\n"
"	li	t0, 3\n	beq s3, t0, 3f\n"
"	j	fz_loop\n"
"1:	lla	t0, fz_hsm_tab\n	add t0, t0, t1\n	jr t0\n"
"2:	lla	t0, fz_mem_tab\n	add t0, t0, t1\n	jr t0\n"
"3:	lla	t0, fz_exit_tab\n	add t0, t0, t1\n	jr t0\n"
/* HSM mode: 32 actions */
"fz_hsm_tab:\n"
"	j h_start\n	j h_start\n	j h_start\n	j h_start\n	j h_start\n"
"	j h_status\n	j h_status\n	j h_status\n	j h_status\n	j h_status\n"
"	j h_stop\n	j h_ipi\n	j h_ipi\n	j h_fencei\n	j h_sfence\n"
"	j h_timer\n	j h_timer\n	j h_irqon\n	j h_irqoff\n	j h_wfi\n"
"	j h_susp\n	j h_fwd\n	j h_fwd\n	j h_probe\n	j h_unk\n"
"	j h_pmu\n	j fz_loop\n	j fz_loop\n	j fz_loop\n	j fz_loop\n"
"	j fz_loop\n	j fz_loop\n"
/* MEM mode */
"fz_mem_tab:\n"
"	j m_sd\n	j m_sd\n	j m_sd\n	j m_sd\n	j m_sd\n	j m_sd\n"
"	j m_sd\n	j m_sd\n	j m_sw\n	j m_sw\n	j m_sh\n	j m_sb\n"
"	j m_ld\n	j m_ld\n	j m_ld\n	j m_ld\n	j m_ld\n	j m_ld\n"
"	j m_lw\n	j m_lhu\n	j m_lb\n	j m_ssd\n	j m_ssd\n	j m_ssd\n"
"	j m_ssd\n	j m_ssd\n	j m_ssd\n	j m_ssd\n	j m_ssd\n	j m_amo\n"
"	j h_fwd\n	j fz_loop\n"
/* EXITS mode */
"fz_exit_tab:\n"
"	j e_ld\n	j e_lw\n	j e_lwu\n	j e_lh\n	j e_lhu\n	j e_lb\n"
"	j e_lbu\n	j e_sd\n	j e_sw\n	j e_sh\n	j e_sb\n	j h_fwd\n"
"	j h_fwd\n	j h_fwd\n	j e_ebreak\n	j e_ill\n	j e_seed\n	j e_srst\n"
"	j h_wfi\n	j e_status\n	j h_unk\n	j e_amo\n	j e_misal\n	j e_dbcn\n"
"	j e_far\n	j e_ipiself\n	j h_irqon\n	j h_pmu\n	j h_timer\n	j fz_loop\n"
"	j fz_loop\n	j fz_loop\n"
/* a0 = a hart id from the table, or (one time in n+1) any other number */
"fz_pick_hart:\n"
"	srli	t2, s6, 8\n	ld t3, 0(s0)\n	addi t4, t3, 1\n	remu t2, t2, t4\n"
"	beq	t2, t3, 1f\n	slli t2, t2, 3\n	add t2, t2, s0\n	ld a0, 8(t2)\n	ret\n"
"1:	srli	a0, s6, 12\n	ret\n"
/* Count an in-kernel SBI call; record it if a0 is no SBI error code. */
"fz_sbi_rec:\n"
"	ld	t2, 24(s1)\n	addi t2, t2, 1\n	sd t2, 24(s1)\n"
"	addi	t2, a0, 13\n	li t3, 13\n	bleu t2, t3, 1f\n"
"	ld	t2, 64(s1)\n	addi t2, t2, 1\n	sd t2, 64(s1)\n"
"	sd	a0, 72(s1)\n	sd a7, 80(s1)\n"
"1:	ret\n"
/* A timer interrupt soon, enabled in sie (sstatus.SIE as it is). */
"fz_arm_timer:\n"
"	rdtime	t0\n	addi a0, t0, 0x7ff\n"
"	li	a7, 0x54494D45\n	li a6, 0\n	ecall\n"
"	li	t0, 32\n	csrs sie, t0\n	ret\n"
"h_start:\n"
"	jal	fz_pick_hart\n	li a7, 0x48534D\n	li a6, 0\n	li a1, 0\n"
"	mv	a2, s2\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_status:\n"
"	jal	fz_pick_hart\n	li a7, 0x48534D\n	li a6, 2\n	ecall\n"
"	jal	fz_sbi_rec\n	j fz_loop\n"
"h_stop:\n"
"	ld	t0, 0x48(s0)\n	andi t0, t0, 1\n	beqz t0, fz_loop\n"
"	srli	t0, s6, 12\n	andi t0, t0, 7\n	bnez t0, fz_loop\n"
"	li	a7, 0x48534D\n	li a6, 1\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_ipi:\n"
"	jal	fz_pick_hart\n	mv a1, a0\n	srli a0, s6, 20\n	andi a0, a0, 0xff\n"
"	li	a7, 0x735049\n	li a6, 0\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_fencei:\n"
"	jal	fz_pick_hart\n	mv a1, a0\n	srli a0, s6, 20\n	andi a0, a0, 0xff\n"
"	li	a7, 0x52464E43\n	li a6, 0\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_sfence:\n"
"	jal	fz_pick_hart\n	mv a1, a0\n	srli a0, s6, 20\n	andi a0, a0, 0xff\n"
"	li	a2, 0\n	li a3, -1\n"
"	li	a7, 0x52464E43\n	li a6, 1\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_timer:\n"
"	rdtime	t0\n	srli t2, s6, 8\n	li t3, 0xffff\n	and t2, t2, t3\n"
"	add	a0, t0, t2\n	li a7, 0x54494D45\n	li a6, 0\n	ecall\n"
"	jal	fz_sbi_rec\n	li t0, 32\n	csrs sie, t0\n	j fz_loop\n"
"h_irqon:\n"
"	li	t0, 0x222\n	csrs sie, t0\n	csrsi sstatus, 2\n	j fz_loop\n"
"h_irqoff:\n"
"	csrci	sstatus, 2\n	j fz_loop\n"
"h_wfi:\n"
"	ld	t0, 0x48(s0)\n	andi t0, t0, 8\n	beqz t0, fz_loop\n"
"	jal	fz_arm_timer\n	wfi\n	j fz_loop\n"
"h_susp:\n"
"	ld	t0, 0x48(s0)\n	andi t0, t0, 8\n	beqz t0, fz_loop\n"
"	jal	fz_arm_timer\n	li a7, 0x48534D\n	li a6, 3\n	li a0, 0\n"
"	li	a1, 0\n	li a2, 0\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_fwd:\n"
"	li	a7, 0x08000000\n	andi t0, s6, 0xff\n	or a7, a7, t0\n"
"	srli	a6, s6, 8\n	andi a6, a6, 15\n	mv a0, s2\n	ecall\n	j fz_loop\n"
"h_probe:\n"
"	srli	t0, s6, 8\n	andi t0, t0, 7\n	slli t0, t0, 3\n	lla t2, fz_eids\n"
"	add	t2, t2, t0\n	ld a0, 0(t2)\n	li a7, 0x10\n	li a6, 3\n	ecall\n"
"	jal	fz_sbi_rec\n	j fz_loop\n"
"h_unk:\n"
"	li	a7, 0x7f000000\n	srli t0, s6, 8\n	li t2, 0xffff\n	and t0, t0, t2\n"
"	or	a7, a7, t0\n	srli a6, s6, 24\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"h_pmu:\n"
"	li	a7, 0x504D55\n	li a6, 1\n	srli a0, s6, 8\n	andi a0, a0, 63\n"
"	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
/*
 * t4 = an 8-byte-aligned address in the window: three times in four in
 * one of the slots the host says are there (or the stable slot).
 */
"fz_waddr:\n"
"	ld	t3, 0x78(s0)\n	beqz t3, 3f\n	srli t2, s2, 40\n	andi t4, t2, 3\n"
"	beqz	t4, 3f\n	remu t2, t2, t3\n	slli t2, t2, 4\n	add t2, t2, s0\n"
"	ld	t3, 0x88(t2)\n	ld t2, 0x80(t2)\n	j 1f\n"
"3:	ld	t2, 0x50(s0)\n	ld t3, 0x58(s0)\n	j 1f\n"
"fz_saddr:\n"
"	ld	t2, 0x68(s0)\n	ld t3, 0x70(s0)\n"
"1:	beqz	t3, 2f\n	srli t4, s2, 8\n	slli t4, t4, 3\n	remu t4, t4, t3\n"
"	add	t4, t4, t2\n	ret\n"
"2:	li	t4, 0x2000\n	ret\n"
"m_sd:	jal fz_waddr\n	ld t0, 16(s1)\n	sd t0, 0(t4)\n	j fz_loop\n"
"m_sw:	jal fz_waddr\n	ld t0, 16(s1)\n	sw t0, 0(t4)\n	j fz_loop\n"
"m_sh:	jal fz_waddr\n	ld t0, 16(s1)\n	sh t0, 0(t4)\n	j fz_loop\n"
"m_sb:	jal fz_waddr\n	ld t0, 16(s1)\n	sb t0, 0(t4)\n	j fz_loop\n"
"m_ld:	jal fz_waddr\n	ld t0, 0(t4)\n	j fz_loop\n"
"m_lw:	jal fz_waddr\n	lw t0, 0(t4)\n	j fz_loop\n"
"m_lhu:	jal fz_waddr\n	lhu t0, 0(t4)\n	j fz_loop\n"
"m_lb:	jal fz_waddr\n	lb t0, 0(t4)\n	j fz_loop\n"
"m_ssd:	jal fz_saddr\n	ld t0, 16(s1)\n	sd t0, 0(t4)\n	j fz_loop\n"
"m_amo:\n"
"	ld	t0, 0x48(s0)\n	andi t0, t0, 4\n	beqz t0, fz_loop\n"
"	jal	fz_waddr\n	li t0, 1\n	amoadd.d zero, t0, (t4)\n	j fz_loop\n"
/* t4 = an address in the MMIO window (no memslot there) */
"fz_maddr:\n"
"	ld	t2, 0x60(s0)\n	srli t4, s6, 5\n	andi t4, t4, 0x7f8\n	add t4, t4, t2\n	ret\n"
"e_ld:	jal fz_maddr\n	ld t0, 0(t4)\n	j fz_loop\n"
"e_lw:	jal fz_maddr\n	lw t0, 0(t4)\n	j fz_loop\n"
"e_lwu:	jal fz_maddr\n	lwu t0, 0(t4)\n	j fz_loop\n"
"e_lh:	jal fz_maddr\n	lh t0, 0(t4)\n	j fz_loop\n"
"e_lhu:	jal fz_maddr\n	lhu t0, 0(t4)\n	j fz_loop\n"
"e_lb:	jal fz_maddr\n	lb t0, 0(t4)\n	j fz_loop\n"
"e_lbu:	jal fz_maddr\n	lbu t0, 0(t4)\n	j fz_loop\n"
"e_sd:	jal fz_maddr\n	mv t0, s2\n	sd t0, 0(t4)\n	j fz_loop\n"
"e_sw:	jal fz_maddr\n	mv t0, s2\n	sw t0, 0(t4)\n	j fz_loop\n"
"e_sh:	jal fz_maddr\n	mv t0, s2\n	sh t0, 0(t4)\n	j fz_loop\n"
"e_sb:	jal fz_maddr\n	mv t0, s2\n	sb t0, 0(t4)\n	j fz_loop\n"
"e_ebreak:\n	ebreak\n	j fz_loop\n"
"e_ill:\n	.word 0\n	j fz_loop\n"
"e_seed:\n	csrrw t0, 0x015, zero\n	j fz_loop\n"
"e_srst:\n"
"	ld	t0, 0x48(s0)\n	andi t0, t0, 2\n	beqz t0, fz_loop\n"
"	srli	t0, s6, 12\n	andi t0, t0, 15\n	bnez t0, fz_loop\n"
"	srli	a0, s6, 8\n	andi a0, a0, 1\n	li a1, 0\n"
"	li	a7, 0x53525354\n	li a6, 0\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"e_status:\n"
"	mv	a0, s5\n	li a7, 0x48534D\n	li a6, 2\n	ecall\n	jal fz_sbi_rec\n	j fz_loop\n"
"e_amo:\n"
"	ld	t0, 0x48(s0)\n	andi t0, t0, 4\n	beqz t0, fz_loop\n"
"	jal	fz_maddr\n	amoadd.w zero, t0, (t4)\n	j fz_loop\n"
"e_misal:\n	li t4, 0x2001\n	ld t0, 0(t4)\n	j fz_loop\n"
"e_dbcn:\n"
"	li	a7, 0x4442434E\n	li a6, 0\n	li a0, 8\n	li a1, 0x2000\n	li a2, 0\n"
"	ecall\n	j fz_loop\n"
"e_far:\n	li t4, -8\n	ld t0, 0(t4)\n	j fz_loop\n"
"e_ipiself:\n"
"	li	a0, 1\n	mv a1, s5\n	li a7, 0x735049\n	li a6, 0\n	ecall\n"
"	jal	fz_sbi_rec\n	j fz_loop\n"
/* Exceptions: skip the (4-byte) instruction.  Interrupts: mask them. */
"	.balign 4\n"
"fz_trap:\n"
"	sd	t6, 48(s1)\n	sd t5, 56(s1)\n	csrr t5, scause\n	sd t5, 88(s1)\n"
"	csrr	t6, sepc\n	sd t6, 96(s1)\n	bltz t5, 1f\n"
"	addi	t6, t6, 4\n	csrw sepc, t6\n"
"	ld	t6, 40(s1)\n	addi t6, t6, 1\n	sd t6, 40(s1)\n	j 2f\n"
"1:	slli	t5, t5, 1\n	srli t5, t5, 1\n	li t6, 1\n	sll t6, t6, t5\n"
"	csrc	sie, t6\n	csrc sip, t6\n"
"	ld	t6, 32(s1)\n	addi t6, t6, 1\n	sd t6, 32(s1)\n"
"2:	ld	t5, 56(s1)\n	ld t6, 48(s1)\n	sret\n"
"	.balign 8\n"
"fz_eids:\n"
"	.dword 0x48534D, 0x735049, 0x52464E43, 0x54494D45\n"
"	.dword 0x53525354, 0x504D55, 0x4442434E, 0x535441\n"
"fz_guest_end:\n"
"	.option pop\n	.popsection\n");

/* The guest program's bytes. */
static const u8 *fz_guest_code(size_t *len)
{
	return rvkvm_asm_range(fz_guest, fz_guest_end, len);
}

static struct fz_vm *fz_guest_vm(void)
{
	size_t len;
	const u8 *code = fz_guest_code(&len);

	return fz_vm_create(code, len);
}

/*
 * Fill the control page: the harts HSM may name, flags, and every hart
 * record with @mode and a seed.
 */
static void fz_guest_setup(struct fz_vm *vm, struct fz_rng *r, u64 mode,
			   u64 flags)
{
	int i, n = 0;

	for (i = 0; i < vm->nr && n < FZ_C_MAX_IDS; i++)
		fz_ctl(vm, FZ_C_IDS)[n++] = vm->vcpus[i].id;
	*fz_ctl(vm, FZ_C_NHARTS) = n;
	*fz_ctl(vm, FZ_C_FLAGS) = flags | (u64)fz.o.guest_off << FZ_GF_OFF_SHIFT;
	*fz_ctl(vm, FZ_C_MMIO) = FZ_G_MMIO;
	for (i = 0; i < FZ_G_NR_SLOTS; i++) {
		u64 *rec = fz_hart_rec(vm, i);

		memset(rec, 0, FZ_G_HART_SIZE);
		rec[FZ_R_MODE] = mode;
		rec[FZ_R_SEED] = fz_next(r);
	}
}

/* Sum of one counter over every hart record. */
static u64 fz_guest_sum(struct fz_vm *vm, int field)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < FZ_G_NR_SLOTS; i++)
		sum += fz_hart_rec(vm, i)[field];
	return sum;
}

/* In-kernel SBI calls must answer SBI error codes, whatever we did. */
static void fz_guest_check_sbi(struct fz_vm *vm)
{
	int i;

	for (i = 0; i < FZ_G_NR_SLOTS; i++) {
		u64 *rec = fz_hart_rec(vm, i);

		fz_check(!rec[FZ_R_BADSBI], "guest_sbi_error_codes",
			 "hart slot %d: %llu SBI calls answered a0=%lld (eid 0x%llx)",
			 i, (unsigned long long)rec[FZ_R_BADSBI],
			 (long long)rec[FZ_R_BAD_A0],
			 (unsigned long long)rec[FZ_R_BAD_EID]);
	}
}

/* --- Runners: threads in KVM_RUN --------------------------------------------- */

#define FZ_EXIT(r)	(1ULL << (r))
#define FZ_EXITS_GUEST	(FZ_EXIT(KVM_EXIT_MMIO) | FZ_EXIT(KVM_EXIT_RISCV_SBI) | \
			 FZ_EXIT(KVM_EXIT_RISCV_CSR) | FZ_EXIT(KVM_EXIT_DEBUG) | \
			 FZ_EXIT(KVM_EXIT_SYSTEM_EVENT))

/* How the runners of a round behave. */
struct fz_runcfg {
	u64 exits_ok;		/* FZ_EXIT() mask of exits that may come */
	unsigned int imm_pct;	/* runs with immediate_exit set, in % */
	unsigned int garble_pct;/* exits after which kvm_run is garbled */
	unsigned int check_pct;	/* exits whose completion is checked */
	bool efault_ok;		/* memory may vanish under the guest */
	bool eopnotsupp_ok;	/* AMOs on MMIO: KVM_RUN says EOPNOTSUPP */
	bool fd_may_vanish;	/* close area: ENOTTY/EBADF end the runner */
	bool wild;		/* registers written at random (onereg area) */
	/* Called on each MMIO exit (memslot area), with the layout check. */
	void (*on_mmio)(struct fz_vcpu *v, u64 gen_before, void *arg);
	u64 (*gen)(void *arg);
	/* Called before each KVM_RUN (memslot area: pauses). */
	void (*before_run)(struct fz_vcpu *v, void *arg);
	/*
	 * Sleep up to this long before each KVM_RUN: other threads want
	 * the vCPU's mutex too, and a runner back in KVM_RUN at once
	 * starves them.
	 */
	unsigned int yield_us;
	void *arg;
};

static int fz_pc_add(struct fz_vcpu *v, u64 n)
{
	u64 pc;
	int r = fz_get_ul(v->fd, FZ_CORE_PC, &pc);

	return r ? r : fz_set_ul(v->fd, FZ_CORE_PC, pc + n);
}

/* Random bytes over kvm_run except immediate_exit, @keep and maybe exit_reason. */
static void fz_garble(struct fz_rng *r, struct kvm_run *run, bool reason,
		      size_t keep_off, size_t keep_len)
{
	static const u32 reasons[] = {
		KVM_EXIT_MMIO, KVM_EXIT_RISCV_SBI, KVM_EXIT_RISCV_CSR,
		KVM_EXIT_INTR, KVM_EXIT_SYSTEM_EVENT, KVM_EXIT_DEBUG,
		KVM_EXIT_UNKNOWN,
	};
	u32 exit_reason = run->exit_reason;
	u8 imm = run->immediate_exit;
	u8 *p = (u8 *)run;
	size_t i;

	for (i = 0; i < sizeof(*run); i++)
		if (i < keep_off || i >= keep_off + keep_len)
			p[i] = fz_next(r);
	run->immediate_exit = imm;
	if (!reason)
		run->exit_reason = exit_reason;
	else if (fz_chance(r, 3, 4))
		run->exit_reason = reasons[fz_below(r, ARRAY_SIZE(reasons))];
}

/* Value of an RV64 load of @len bytes of @data, signed or not. */
static u64 fz_load_value(const u8 *data, unsigned int len, bool sign)
{
	u64 v = 0;

	memcpy(&v, data, len);
	if (sign && len < 8)
		v = (u64)((s64)(v << (64 - 8 * len)) >> (64 - 8 * len));
	return v;
}

/* The register a load, CSR access or SBI call completes into, and its value. */
struct fz_answer {
	const char *what;
	size_t keep_off, keep_len;	/* the answer's bytes in kvm_run */
	unsigned int rd;		/* 0: nothing to check */
	u64 want;
	bool sext;			/* a signed load of a negative value */
};

/* Put a random answer to the exit into kvm_run; false if it needs none. */
static bool fz_make_answer(struct fz_vcpu *v, struct fz_rng *rng, u32 insn,
			   struct fz_answer *a)
{
	struct kvm_run *run = v->run;
	unsigned int i;

	memset(a, 0, sizeof(*a));
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		a->what = run->mmio.is_write ? "MMIO store" : "MMIO load";
		a->keep_off = offsetof(struct kvm_run, mmio.data);
		a->keep_len = sizeof(run->mmio.data);
		if (run->mmio.is_write || run->mmio.len > 8)
			return true;
		for (i = 0; i < 8; i++)
			run->mmio.data[i] = fz_next(rng);
		a->rd = (insn >> 7) & 31;
		a->sext = !((insn >> 12) & 4);
		a->want = fz_load_value(run->mmio.data, run->mmio.len, a->sext);
		a->sext = a->sext && a->want >> 63;
		return true;
	case KVM_EXIT_RISCV_SBI:
		a->what = "SBI call";
		a->keep_off = offsetof(struct kvm_run, riscv_sbi.ret);
		a->keep_len = sizeof(run->riscv_sbi.ret);
		run->riscv_sbi.ret[0] = fz_value(rng);
		run->riscv_sbi.ret[1] = fz_value(rng);
		a->rd = 10;
		a->want = run->riscv_sbi.ret[0];
		return true;
	case KVM_EXIT_RISCV_CSR:
		a->what = "CSR access";
		a->keep_off = offsetof(struct kvm_run, riscv_csr.ret_value);
		a->keep_len = sizeof(run->riscv_csr.ret_value);
		run->riscv_csr.ret_value = fz_value(rng);
		a->rd = (insn >> 7) & 31;
		a->want = run->riscv_csr.ret_value;
		return true;
	default:
		return false;
	}
}

/*
 * After an exit userspace answers (MMIO, SBI, CSR): give the answer,
 * garble the rest of kvm_run if @garble (the exit reason too), then
 * KVM_RUN with immediate_exit.  The kernel must finish the exit first:
 * the pc moves past the instruction and its destination register gets
 * the answer.  After garbling this is checked with our module only: it
 * keys completion on its own record, Debian's on run->exit_reason and
 * run->mmio.is_write (Documentation/design.rst, the run loop); there the
 * outcome is only counted.
 */
static void fz_completion(struct fz_vcpu *v, struct fz_thread *t, bool garble)
{
	struct fz_rng *rng = &t->rng;
	bool check = !garble || fz.ours;
	struct fz_answer a;
	u64 pc, pc2, got;
	u32 insn = 0;
	bool ok;
	int r;

	if (fz_get_ul(v->fd, FZ_CORE_PC, &pc) || pc > FZ_G_CTL - 4)
		return;
	memcpy(&insn, fz_gpa(v->vm, pc), 4);
	if (!fz_make_answer(v, rng, insn, &a))
		return;
	if (garble)
		fz_garble(rng, v->run, fz_chance(rng, 1, 2), a.keep_off,
			  a.keep_len);

	v->run->immediate_exit = 1;
	r = fz_tioctl(t, "KVM_RUN(immediate_exit)", v->fd, KVM_RUN, NULL);
	v->run->immediate_exit = 0;
	fz_expect("run_immediate_exit", fz_e(EINTR), r,
		  "KVM_RUN with immediate_exit after a %s (vCPU %u)", a.what, v->id);
	if (fz_get_ul(v->fd, FZ_CORE_PC, &pc2))
		return;
	ok = pc2 == pc + 4;
	if (a.rd && !fz_get_ul(v->fd, FZ_CORE_X(a.rd), &got))
		ok = ok && got == a.want;
	else
		a.rd = 0;
	if (!check) {
		__atomic_fetch_add(ok ? &fz.garbled_done : &fz.garbled_skipped,
				   1, __ATOMIC_RELAXED);
		return;
	}
	/* 6.12 zero-extends signed MMIO loads (Documentation/testing.rst). */
	fz_check(ok, garble ? "complete_own_record" :
		 a.sext ? "complete_mmio_sext" : "complete_exit",
		 "%s at pc 0x%llx (insn 0x%08x, vCPU %u%s): pc 0x%llx after KVM_RUN, x%u = 0x%llx, want 0x%llx",
		 a.what, (unsigned long long)pc, insn, v->id,
		 garble ? ", kvm_run garbled" : "", (unsigned long long)pc2,
		 a.rd, (unsigned long long)(a.rd ? got : 0),
		 (unsigned long long)a.want);
}

/*
 * After SRST every vCPU is stopped, at its ecall: a VMM resets the
 * machine.  Here each vCPU starts over at the guest's entry, runnable.
 * The exit its runner answered last completes first, with KVM_RUN and
 * immediate_exit (api.rst: guest state is consistent only after that);
 * otherwise the completion lands on the new state: pc 4, a0 the answer.
 */
static int fz_vcpu_reboot(struct fz_vcpu *v, struct fz_thread *t)
{
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	int r;

	fz_op(t, "reboot");
	v->run->immediate_exit = 1;
	r = fz_ioctl(v->fd, KVM_RUN, NULL);
	v->run->immediate_exit = 0;
	if (r != -EINTR) {
		r = r ?: -EPROTO;	/* it may not run the guest */
		goto out;
	}
	r = fz_set_ul(v->fd, FZ_CORE_PC, 0);
	if (!r)
		r = fz_set_ul(v->fd, FZ_CORE_X(10), v->id);
	if (!r)
		r = fz_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
out:
	fz_op_done(t);
	return r;
}

/* Answer an exit so that the guest can go on. */
static void fz_answer(struct fz_vcpu *v, struct fz_thread *t)
{
	struct fz_rng *rng = &t->rng;
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write)
			*(u64 *)run->mmio.data = fz_value(rng);
		break;
	case KVM_EXIT_RISCV_SBI:
		run->riscv_sbi.ret[0] = fz_value(rng);
		run->riscv_sbi.ret[1] = fz_value(rng);
		break;
	case KVM_EXIT_RISCV_CSR:
		run->riscv_csr.ret_value = fz_value(rng);
		break;
	case KVM_EXIT_DEBUG:
		/* ebreak exits before it executes: step over it. */
		fz_pc_add(v, 4);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		/* SRST stopped every vCPU: each runner reboots its own. */
		__atomic_fetch_add(&v->vm->restart_epoch, 1, __ATOMIC_SEQ_CST);
		if (!v->has_thread)
			fz_expect("reboot", FZ_OK, fz_vcpu_reboot(v, t),
				  "vCPU %u after SRST", v->id);
		break;
	}
}

/*
 * 6.12 fails a misaligned MMIO access with EIO.  Our guest only makes
 * one when it has gone astray: its registers were written at random,
 * or (6.12 finishes the last exit by run->exit_reason) a garbled
 * kvm_run made 6.12 finish a stale MMIO exit and step the guest past
 * an instruction it never ran.  Ours keeps the guest on track there.
 */
static bool fz_run_eio_ok(const struct fz_runcfg *c, int r)
{
	return r == -EIO && !fz.ours && (c->garble_pct || c->wild);
}

/* One KVM_RUN and what follows; false when the runner must stop. */
static bool fz_run_once(struct fz_vcpu *v, struct fz_runcfg *c)
{
	struct fz_rng *rng = &v->t.rng;
	struct kvm_run *run = v->run;
	u64 epoch = READ_ONCE(v->vm->restart_epoch), gen = 0;
	bool imm = fz_chance(rng, c->imm_pct, 100);
	u32 reason;
	int r;

	if (c->before_run)
		c->before_run(v, c->arg);
	if (c->yield_us)
		fz_sleep_us(fz_below(rng, c->yield_us));
	if (epoch != v->epoch) {
		v->epoch = epoch;
		r = fz_vcpu_reboot(v, &v->t);
		if (c->fd_may_vanish && (r == -ENOTTY || r == -EBADF))
			return false;
		fz_expect("reboot", FZ_OK, r, "vCPU %u after SRST", v->id);
	}
	if (c->gen)
		gen = c->gen(c->arg);
	run->immediate_exit = imm;
	r = fz_tioctl(&v->t, "KVM_RUN", v->fd, KVM_RUN, NULL);
	run->immediate_exit = 0;
	/*
	 * eintr before runs, which is released: the onereg area reads runs
	 * above eintr as "it has run", from another thread.
	 */
	if (r == -EINTR)
		__atomic_store_n(&v->eintr, v->eintr + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&v->runs, v->runs + 1, __ATOMIC_RELEASE);
	if (r == -EINTR) {
		if (!imm)
			fz_check(run->exit_reason == KVM_EXIT_INTR,
				 "run_eintr_exit_reason",
				 "EINTR with exit_reason %u (vCPU %u)",
				 run->exit_reason, v->id);
		if (fz_chance(rng, c->garble_pct, 100))
			fz_garble(rng, run, true, 0, 0);
		return true;
	}
	if (c->fd_may_vanish && (r == -ENOTTY || r == -EBADF))
		return false;
	if (r == -EFAULT && (c->efault_ok || v->vm->mem_gone)) {
		v->efault++;
		if (v->vm->mem_gone)
			return false;
		fz_pc_add(v, 4);
		return true;
	}
	if ((r == -EOPNOTSUPP && c->eopnotsupp_ok) || fz_run_eio_ok(c, r)) {
		fz_pc_add(v, 4);
		return true;
	}
	if (!fz_expect("run_result", FZ_OK, r, "KVM_RUN of vCPU %u", v->id)) {
		fz_sleep_us(1000);
		return true;
	}
	reason = run->exit_reason;
	v->exits[reason < 64 ? reason : 63]++;
	fz_check(reason < 64 && (c->exits_ok & FZ_EXIT(reason)), "run_exit_reason",
		 "vCPU %u exited with %u", v->id, reason);
	if (reason == KVM_EXIT_MMIO && c->on_mmio)
		c->on_mmio(v, gen, c->arg);
	/* Exits userspace answers: sometimes check how they complete. */
	if ((reason == KVM_EXIT_MMIO || reason == KVM_EXIT_RISCV_SBI ||
	     reason == KVM_EXIT_RISCV_CSR) && fz_chance(rng, c->check_pct, 100)) {
		fz_completion(v, &v->t, fz_chance(rng, 1, 2));
		return true;
	}
	fz_answer(v, &v->t);
	if (fz_chance(rng, c->garble_pct, 100))
		fz_garble(rng, run, fz_chance(rng, 1, 2), 0, 0);
	return true;
}

static void *fz_runner_main(void *arg)
{
	struct fz_vcpu *v = arg;
	struct fz_runcfg *c = v->vm->cfg;

	fz_thread_register(&v->t, "vcpu", 100 + v->id);
	snprintf(v->t.name, sizeof(v->t.name), "vcpu%u", v->id);
	WRITE_ONCE(v->t.kickable, true);
	while (!READ_ONCE(v->stop) && fz_run_once(v, c))
		;
	WRITE_ONCE(v->t.kickable, false);
	fz_thread_unregister(&v->t);
	return NULL;
}

static void fz_runner_start(struct fz_vcpu *v)
{
	v->stop = false;
	v->epoch = READ_ONCE(v->vm->restart_epoch);
	v->has_thread = true;
	pthread_create(&v->thr, NULL, fz_runner_main, v);
}

/*
 * Stop @v's runner: a stopped vCPU sleeps in KVM_RUN, so kick until it
 * has left.
 */
static void fz_runner_stop(struct fz_vcpu *v)
{
	WRITE_ONCE(v->stop, true);
	if (!v->has_thread)
		return;
	do {
		pthread_kill(v->thr, SIGUSR1);
		fz_sleep_us(1000);
		fz_watchdog();
	} while (pthread_tryjoin_np(v->thr, NULL));
	v->has_thread = false;
}

/* Stop every runner of @vm, all told at once so that they leave together. */
static void fz_runners_stop(struct fz_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr; i++)
		WRITE_ONCE(vm->vcpus[i].stop, true);
	for (i = 0; i < vm->nr; i++)
		fz_runner_stop(&vm->vcpus[i]);
}

/* Exit counts of a VM's runners, for the round's summary line. */
static void fz_runner_stats(struct fz_vm *vm, u64 *runs, u64 *exits, u64 *eintr)
{
	int i, e;

	for (i = 0; i < vm->nr; i++) {
		*runs += vm->vcpus[i].runs;
		*eintr += vm->vcpus[i].eintr;
		for (e = 0; e < 64; e++)
			*exits += vm->vcpus[i].exits[e];
	}
}

#endif /* FUZZ_GUEST_H */
