// SPDX-License-Identifier: GPL-2.0
/*
 * guest_fuzz: a seeded, bounded fuzzer of what a guest can do to the host.
 *
 *   guest_fuzz [-s SEED] [-t SECONDS | -S] [-A] [-n ROUNDS] [-a AREA,...]
 *              [-x CHECK,...] [-v]
 *
 * Prints "seed N" first; the same seed replays the same rounds (the
 * order in which racing vCPUs meet is up to the host's scheduler).  Runs
 * rounds for -t seconds (default 50, the CI mode; -S is the 600 s soak)
 * or -n rounds.  Each round is a fresh VM with FZ_HARTS vCPUs, each on a
 * thread of its own, fuzzing one area:
 *
 *  csr   every CSR number in all six CSR instructions, each with a writing
 *        and a non-writing form, from VS- and from VU-mode.  The guest
 *        writes "csrr t2, CSR; <the access>; csrw CSR, t2; ret (VS) or
 *        ecall (VU)" into memory, fence.i, and runs it under a trap vector
 *        of its own that records cause and tval and skips the instruction.
 *        The access must succeed or raise an illegal instruction (never a
 *        virtual instruction, never a KVM_RUN error); CSRs the hypervisor
 *        emulates (cycle, instret, hpmcounterN; seed) behave as
 *        Documentation/design.rst says, and read-only CSRs refuse writes.
 *        The third instruction restores what the access wrote.  The
 *        fuzzer never writes satp (it runs on its page tables) and never
 *        sets sstatus.SIE; while the stub runs, stvec is its vector and
 *        sie is zero, both put back afterwards.
 *        VU-mode runs on the guest's own Sv48 tables: the stub page is
 *        mapped a second time with the U bit, which S-mode cannot
 *        execute, so VS writes through one mapping and VU runs the other.
 *  sbi   random SBI calls from every hart: every known EID, the v0.1
 *        ones, experimental and vendor ranges (forwarded: the host answers
 *        and the guest must see exactly that), random EIDs and FIDs; hart
 *        masks with bases -1, 0, the last hart and beyond; RFENCE ranges
 *        that wrap; STA and PMU snapshot shared memory misaligned, outside
 *        RAM, in MMIO, in ROM.  The error must be a standard SBI error and
 *        the one the spec names where it names one; a2-a7 and every
 *        temporary must come back unchanged.  Harts stop themselves and
 *        get started again (at a landing pad that stops again); the odd
 *        SRST ends the VM, which the host checks and the next round
 *        follows.
 *  hsm   two harts start the same stopped hart at once (exactly one
 *        SUCCESS when the target waits, the other ALREADY_AVAILABLE;
 *        otherwise one entry per SUCCESS), start loops against the
 *        target's own stop, status polling, every suspend type with and
 *        without bits above 31 (suspend_type is 32 bits wide), hart ids
 *        above 32 bits.
 *  mmio  every access width to an unbacked page (KVM_EXIT_MMIO, checked
 *        by the host) and to a KVM_MEM_READONLY slot (loads read it,
 *        stores exit): integer loads and stores, compressed forms, AMOs,
 *        LR/SC, FP and vector loads and stores, cache-block operations.
 *        Integer ones take random registers (x0 included) and offsets.
 *        They must be emulated exactly (the destination register and no
 *        other changed, sign- or zero-extended; a misaligned one may trap
 *        as misaligned instead); for the rest an access
 *        fault delivered to the guest (or a correct emulation) is right,
 *        a KVM_RUN error is reported and the host steps over the
 *        instruction so the round goes on.
 *  span  a 4-byte MMIO load or store at the last two bytes of a page:
 *        the next page mapped (the host must read the instruction across
 *        the page boundary, by HLVX unless htinst has it), not in the
 *        guest page table, mapped to a guest-physical hole, its PTE
 *        toggled by another hart, or its memslot added and deleted by a
 *        host thread while the load runs.
 *  v01   SBI v0.1 send_ipi and remote fences with hart-mask pointers that
 *        are null, valid, misaligned, in ROM, in MMIO, unmapped, in a page
 *        S-mode may not read, or that another hart changes (its value and
 *        its PTE) while the call runs.
 *
 * -a picks areas; -x switches off a check a module is known to fail
 * (names in fz_checks[]) so the rest goes on.  -v prints every round.
 * The run fails on any failed check, a KVM_RUN error, an unexpected
 * exit, a round that hangs, or a leak of unreclaimable kernel memory
 * (SUnreclaim + Percpu growth over FZ_LEAK_MB across the run).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"
#include "guest_fuzz.h"

#define FZ_CI_SECONDS	50
#define FZ_SOAK_SECONDS	600
#define FZ_ROUND_LIMIT	120	/* s: a round that takes longer has hung */
#define FZ_LEAK_MB	16

/* Instruction encodings the guest puts together. */
#define INSN_RET	0x00008067u	/* jalr x0, 0(ra) */
#define INSN_ECALL	0x00000073u
#define INSN_FENCE_I	".4byte 0x0000100f"
#define INSN_SFENCE_VMA	".4byte 0x12000073"
#define C_JR_RA		0x8082u

#define X_T0	5
#define X_T1	6
#define X_T2	7
#define X_A0	10
#define X_A1	11
#define X_A2	12
#define X_T3	28
#define X_T4	29
#define X_T5	30
#define X_T6	31

#define EXC_INST_ACCESS_FAULT	1
#define EXC_ILLEGAL		2
#define EXC_LOAD_MISALIGN	4
#define EXC_LOAD_ACCESS_FAULT	5
#define EXC_STORE_MISALIGN	6
#define EXC_STORE_ACCESS_FAULT	7
#define EXC_INST_PF		12
#define EXC_LOAD_PF		13

#define SBI_ERR_LAST		-14	/* SBI 3.0: DENIED_LOCKED */

/* SBI extension ids beyond what sbi.h names. */
#define EID_TIME	0x54494D45UL
#define EID_IPI		0x735049UL
#define EID_RFENCE	0x52464E43UL
#define EID_HSM		0x48534DUL
#define EID_SRST	0x53525354UL
#define EID_PMU		0x504D55UL
#define EID_DBCN	0x4442434EUL
#define EID_STA		0x535441UL
#define EID_SUSP	0x53555350UL
#define EID_CPPC	0x43505043UL
#define EID_NACL	0x4E41434CUL
#define EID_FWFT	0x46574654UL
#define EID_SSE		0x535345UL
#define EID_DBTR	0x44425452UL
#define EID_MPXY	0x4D505859UL
#define EID_EXP_FIRST	0x08000000UL
#define EID_EXP_LAST	0x08FFFFFFUL
#define EID_VENDOR_FIRST 0x09000000UL
#define EID_VENDOR_LAST	0x09FFFFFFUL
#define EID_FW_FIRST	0x0A000000UL

#define HSM_STARTED	0
#define HSM_STOPPED	1

#define FZ_SYNC_FLIP_ON		1
#define FZ_SYNC_FLIP_OFF	2

#define FZ_SR_VS_INITIAL	0x200UL

#define STR_(x)	#x
#define STR(x)	STR_(x)

/* Shared with the host: its copies are reached through the VM. */
static struct fz_params fz_p;
static struct fz_frame fz_frames[FZ_HARTS];
static struct fz_expect fz_exp[FZ_HARTS];
static struct fz_stats fz_stat[FZ_HARTS];
static u64 fz_rng[FZ_HARTS];

/* ------------------------------------------------------------------ */
/* Guest runtime: the stub trampoline and its trap vector.            */
/* ------------------------------------------------------------------ */

/* The registers a stub sees from, and leaves in, its frame. */
#define FZ_REGS(op)							\
	"	.irp	n, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 28, 29, 30, 31\n" \
	"	" op "	x\\n, " STR(FZF_R) "+\\n*8(tp)\n"			\
	"	.endr\n"

/*
 * fz_call(frame, user): run the stub at frame->stub with the frame's
 * registers, in VS-mode (it ends with ret) or VU-mode (it ends with
 * ecall).  tp holds the frame throughout; the stubs never touch tp, sp,
 * gp, ra or s1.  sret into VU clears SPIE so that SIE is still clear
 * when the vector sret's back.
 */
asm(".text\n"
"	.balign 4\n"
"	.global fz_call\n"
"fz_call:\n"
"	addi	sp, sp, -32\n"
"	sd	ra, 0(sp)\n"
"	sd	s1, 8(sp)\n"
"	sd	tp, 16(sp)\n"
"	sd	gp, 24(sp)\n"
"	mv	tp, a0\n"
"	sd	sp, " STR(FZF_SP) "(tp)\n"
"	csrr	t0, stvec\n"
"	sd	t0, " STR(FZF_STVEC) "(tp)\n"
"	csrrw	t0, sie, zero\n"
"	sd	t0, " STR(FZF_SIE) "(tp)\n"
"	lla	t0, fz_vector\n"
"	csrw	stvec, t0\n"
"	ld	s1, " STR(FZF_STUB) "(tp)\n"
"	beqz	a1, 1f\n"
"	csrw	sepc, s1\n"
"	li	t0, 0x120\n"			/* SPP | SPIE */
"	csrc	sstatus, t0\n"
FZ_REGS("ld")
"	sret\n"
"1:\n"
FZ_REGS("ld")
"	jalr	ra, 0(s1)\n"
"	.global fz_back\n"
"fz_back:\n"
"	ld	sp, " STR(FZF_SP) "(tp)\n"
FZ_REGS("sd")
"	ld	t0, " STR(FZF_STVEC) "(tp)\n"
"	csrw	stvec, t0\n"
"	ld	t0, " STR(FZF_SIE) "(tp)\n"
"	csrw	sie, t0\n"
"	ld	gp, 24(sp)\n"
"	ld	tp, 16(sp)\n"
"	ld	s1, 8(sp)\n"
"	ld	ra, 0(sp)\n"
"	addi	sp, sp, 32\n"
"	ret\n"
/*
 * The vector: a trap in the stub's first FZ_SLOTS words is recorded in
 * its slot and skipped (or resumed at frame->resume); an ecall from VU
 * ends the stub; a trap anywhere else is a stray, recorded, and the call
 * ends; an interrupt is recorded and every interrupt masked.
 */
"	.balign 4\n"
"fz_vector:\n"
"	sd	t4, " STR(FZF_VT) "+0(tp)\n"
"	sd	t5, " STR(FZF_VT) "+8(tp)\n"
"	sd	t6, " STR(FZF_VT) "+16(tp)\n"
"	csrr	t5, scause\n"
"	bltz	t5, 5f\n"
"	csrr	t4, sstatus\n"
"	andi	t4, t4, 0x100\n"
"	bnez	t4, 0f\n"
"	li	t6, 8\n"
"	beq	t5, t6, 4f\n"
"0:	csrr	t4, sepc\n"
"	ld	t6, " STR(FZF_STUB) "(tp)\n"
"	sub	t4, t4, t6\n"
"	li	t6, " STR(FZ_SLOTS) "*4\n"
"	bgeu	t4, t6, 3f\n"
"	srli	t4, t4, 2\n"
"	slli	t4, t4, 3\n"
"	add	t4, t4, tp\n"
"	sd	t5, " STR(FZF_CAUSE) "(t4)\n"
"	csrr	t6, stval\n"
"	sd	t6, " STR(FZF_TVAL) "(t4)\n"
"	ld	t6, " STR(FZF_NTRAPS) "(tp)\n"
"	addi	t6, t6, 1\n"
"	sd	t6, " STR(FZF_NTRAPS) "(tp)\n"
"	ld	t6, " STR(FZF_RESUME) "(tp)\n"
"	bnez	t6, 6f\n"
"	csrr	t6, sepc\n"
"	csrr	t4, sstatus\n"
"	andi	t4, t4, 0x100\n"
"	beqz	t4, 7f\n"
"	lhu	t4, 0(t6)\n"
"	andi	t4, t4, 3\n"
"	addi	t4, t4, -3\n"
"	beqz	t4, 7f\n"
"	addi	t6, t6, 2\n"
"	j	8f\n"
"7:	addi	t6, t6, 4\n"
"8:	csrw	sepc, t6\n"
"	j	9f\n"
"6:	csrw	sepc, t6\n"
"	li	t4, 0x100\n"
"	csrs	sstatus, t4\n"
"	j	9f\n"
"3:	sd	t5, " STR(FZF_STRAY) "(tp)\n"
"	csrr	t6, sepc\n"
"	sd	t6, " STR(FZF_STRAY) "+8(tp)\n"
"	csrr	t6, stval\n"
"	sd	t6, " STR(FZF_STRAY) "+16(tp)\n"
"4:	lla	t6, fz_back\n"
"	csrw	sepc, t6\n"
"	li	t4, 0x100\n"
"	csrs	sstatus, t4\n"
"	j	9f\n"
"5:	sd	t5, " STR(FZF_IRQ) "(tp)\n"
"	csrw	sie, zero\n"
"	li	t4, 0x20\n"
"	csrc	sstatus, t4\n"
"9:	ld	t4, " STR(FZF_VT) "+0(tp)\n"
"	ld	t5, " STR(FZF_VT) "+8(tp)\n"
"	ld	t6, " STR(FZF_VT) "+16(tp)\n"
"	sret\n");

/*
 * The landing pad for harts started by HSM (translation off, a0 = hart
 * id, a1 = opaque): a c.nop slide, then the entry.  opaque is the HSM
 * record page with a command in its low bits: 0 counts the entry and
 * stops at once, 1 waits for the record's release word first.
 */
asm(".pushsection .rodata.fz_land, \"a\"\n"
"	.option push\n"
"	.option norelax\n"
"	.option rvc\n"
"fz_land_start:\n"
"	.rept	256\n"
"	c.nop\n"
"	.endr\n"
"	.option norvc\n"
"fz_land_entry:\n"
"	andi	t0, a1, 7\n"
"	sub	t1, a1, t0\n"
"	slli	t2, a0, 6\n"
"	add	t2, t2, t1\n"
"	li	t3, 1\n"
"	amoadd.d zero, t3, (t2)\n"
"	sd	a1, 8(t2)\n"
"	beqz	t0, 2f\n"
"1:	ld	t3, 16(t2)\n"
"	beqz	t3, 1b\n"
"2:	li	a7, 0x48534D\n"
"	li	a6, 1\n"
"	ecall\n"
"	sd	a0, 24(t2)\n"
"	j	2b\n"
"fz_land_end:\n"
"	.option pop\n"
"	.popsection\n");

/* ------------------------------------------------------------------ */
/* Guest helpers.                                                     */
/* ------------------------------------------------------------------ */

struct fz_ctx {
	u32 hart;
	struct fz_frame *f;
	struct fz_expect *x;
	struct fz_stats *st;
	u8 *stub;	/* this hart's stub, S mapping */
	u64 ustub;	/* the same, U mapping */
	bool has_pmu, has_v01, has_sta;
};

static u64 rnd(struct fz_ctx *c)
{
	fz_rng[c->hart] = fz_mix(fz_rng[c->hart] + 0x9e3779b97f4a7c15UL);
	return fz_rng[c->hart];
}

static u64 rnd_n(struct fz_ctx *c, u64 n)
{
	return rnd(c) % n;
}

static bool chance(struct fz_ctx *c, u32 pct)
{
	return rnd_n(c, 100) < pct;
}

static bool skipped(int check)
{
	return READ_ONCE(fz_p.skip) & BIT(check);
}

static bool flag(u64 f)
{
	return fz_p.flags & f;
}

#define GFAIL(c, fmt, args...)						\
do {									\
	struct fz_ctx *__c = (c);					\
									\
	if (__c->st->fails++ < 64)					\
		ucall_fmt(UCALL_PRINTF, "FAIL hart %u: " fmt "\n",	\
			  __c->hart, ##args);				\
} while (0)

#define GNOTE(fmt, args...) ucall_fmt(UCALL_PRINTF, "NOTE " fmt "\n", ##args)

/*
 * Each hart runs on its own stack; the host put the vCPU id in
 * sscratch.  A vCPU found on another hart's context after a stub is
 * reported with where it stands.
 */
static void fz_check_self(struct fz_ctx *c)
{
	u64 id = csr_read(CSR_SSCRATCH), sp, tp;

	asm volatile("mv %0, sp; mv %1, tp" : "=r"(sp), "=r"(tp));
	if (id != c->hart)
		GFAIL(c, "context mix-up: vCPU %lu runs hart %u's code, sp %#lx tp %#lx frame %p",
		      id, c->hart, sp, tp, c->f);
}

static u64 rdtime(void)
{
	return csr_read(CSR_TIME);
}

/* Spin until *@p == @v or @ms milliseconds pass: true if it did. */
static bool wait_eq(u64 *p, u64 v, u64 ms)
{
	u64 end = rdtime() + fz_p.tb_hz / 1000 * ms;

	while (READ_ONCE(*p) != v)
		if (rdtime() > end)
			return false;
	return true;
}

static void fence_i(void)
{
	asm volatile(INSN_FENCE_I ::: "memory");
}

static void sfence_vma(void)
{
	asm volatile(INSN_SFENCE_VMA ::: "memory");
}

/* What register @n holds before a stub runs, unless set otherwise. */
static u64 sentinel(u64 n)
{
	return 0x5e5e000000000000UL | n << 8 | n;
}

/* A fresh frame for a stub at @stub: every register a sentinel. */
static void frame_reset(struct fz_frame *f, u64 stub, u64 resume)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 32; i++)
		f->r[i] = sentinel(i);
	f->stub = stub;
	f->resume = resume;
}

/*
 * QEMU 10 hosts (with either module) now and then deliver an exception
 * KVM redirects to the guest at the host's own trap vector: the guest
 * then takes an instruction page fault at a host kernel address and the
 * stub's own trap is lost.  With -x host-vector such a call is counted
 * apart and not judged.
 */
static bool host_vector_stray(struct fz_ctx *c)
{
	struct fz_frame *f = c->f;

	if (!skipped(FZ_X_HOST_VECTOR) || f->stray[0] != EXC_INST_PF ||
	    f->stray[1] < 0xffffffff00000000UL)
		return false;
	c->st->strays++;
	return true;
}

static void expect(struct fz_ctx *c, u32 kind, u64 gpa, u32 len, u32 write,
		   u64 data, const char *what)
{
	struct fz_expect *x = c->x;

	x->kind = kind;
	x->gpa = gpa;
	x->len = len;
	x->write = write;
	x->data = data;
	x->nexit = 0;
	x->srst_event = 0;
	memcpy(x->what, what, min(strlen(what) + 1, sizeof(x->what) - 1));
}

static void expect_none(struct fz_ctx *c)
{
	WRITE_ONCE(c->x->kind, FZ_EX_NONE);
}

/* Did registers that the stub must leave alone change?  @keep: bits of x. */
static int regs_changed(struct fz_ctx *c, u64 keep, const u64 *in)
{
	static const u8 regs[] = { 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17,
				   28, 29, 30, 31 };
	int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		if (!(keep & BIT(regs[i])) && c->f->r[regs[i]] != in[regs[i]])
			return regs[i];
	return 0;
}

static void emit32(u8 **p, u32 insn)
{
	memcpy(*p, &insn, 4);
	*p += 4;
}

static void emit16(u8 **p, u16 insn)
{
	memcpy(*p, &insn, 2);
	*p += 2;
}

static void cpu_relax_n(u32 n)
{
	while (n--)
		asm volatile("nop");
}

static struct sbiret ecall(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2)
{
	return sbi_ecall(eid, fid, a0, a1, a2, 0, 0, 0);
}

static bool probe(u64 eid)
{
	struct sbiret r = ecall(SBI_EXT_BASE, SBI_EXT_BASE_PROBE_EXT, eid, 0, 0);

	return !r.error && r.value;
}

/* ------------------------------------------------------------------ */
/* Area csr                                                           */
/* ------------------------------------------------------------------ */

#define CSR_INSN(csr, f3, rd, rs1)					\
	(((u32)(csr) << 20) | ((u32)(rs1) << 15) | ((u32)(f3) << 12) |	\
	 ((u32)(rd) << 7) | 0x73)
#define CSR_SEED_NR	0x015
#define CSR_STOPEI_NR	0x15c
#define CSR_SATP_NR	0x180
#define CSR_SSTATUS_NR	0x100

static const u8 csr_f3[6] = { 1, 2, 3, 5, 6, 7 };
static const char *const csr_fname[8] = {
	[1] = "csrrw", "csrrs", "csrrc", [5] = "csrrwi", "csrrsi", "csrrci",
};

/* One CSR instruction: src is rs1's number, or the immediate. */
struct csr_try {
	u32 csr, f3, rd, src;
	u64 val;	/* what rs1 holds */
	bool user;
};

/* Outcomes an access may have. */
enum { CE_ANY, CE_TRAP, CE_PASS, CE_ZERO, CE_EXIT, CE_ANY_EXIT };
static const char *const ce_name[] = {
	"anything", "illegal instruction", "success", "success reading 0",
	"success through KVM_EXIT_RISCV_CSR", "anything",
};

/* csrrw(i) always writes; csrrs/c(i) write unless rs1 is x0 (uimm 0). */
static bool csr_writes(const struct csr_try *t)
{
	return (t->f3 & 3) == 1 || t->src;
}

/* The write would change bits (what hardware may look at instead). */
static bool csr_writes_bits(const struct csr_try *t)
{
	return (t->f3 & 3) == 1 || (t->src && ((t->f3 & 4) || t->val));
}

/* Counters the hypervisor emulates: cycle, instret, hpmcounter3-31. */
static int csr_counter_expect(struct fz_ctx *c, const struct csr_try *t,
			      u64 scounteren)
{
	u32 idx = t->csr - CSR_CYCLE;

	if (csr_writes(t)) {
		/* time is the hardware's, which may let a zero write by. */
		if (!csr_writes_bits(t) &&
		    (idx == 1 || skipped(FZ_X_CSR_RO_ZERO)))
			return CE_ANY;
		return CE_TRAP;
	}
	if (t->user && !(scounteren & BIT(idx)))
		return skipped(FZ_X_CSR_VU_COUNTER) ? CE_ANY : CE_TRAP;
	if (idx == 1)
		return CE_PASS;		/* time: the hardware's */
	/* No counter is configured in this VM. */
	if (c->has_pmu)
		return CE_TRAP;
	return idx == 0 || idx == 2 ? CE_ZERO : CE_TRAP;
}

/*
 * What the privileged spec (and design.rst, for what KVM emulates)
 * demands of @t: an S-level CSR from VU, an H- or M-level one from VS, a
 * write to a read-only CSR are illegal; seed exits to userspace when the
 * guest has Zkr and the access writes, else it is illegal.
 */
static int csr_expect(struct fz_ctx *c, const struct csr_try *t,
		      u64 scounteren)
{
	u32 priv = (t->csr >> 8) & 3;
	bool ro = (t->csr >> 10) == 3;

	if ((t->user && priv) || (!t->user && priv >= 2))
		return CE_TRAP;
	if (t->csr >= CSR_CYCLE && t->csr < CSR_CYCLE + 32)
		return csr_counter_expect(c, t, scounteren);
	if (t->csr == CSR_SEED_NR) {
		if (!flag(FZ_F_ZKR) || !csr_writes(t))
			return CE_TRAP;
		return t->user ? CE_ANY_EXIT : CE_EXIT;
	}
	if (ro && csr_writes_bits(t))
		return CE_TRAP;
	/* 6.12 hands stopei to userspace (its IMSIC emulation). */
	if (t->csr == CSR_STOPEI_NR && !flag(FZ_F_OURS))
		return CE_ANY_EXIT;
	return CE_ANY;
}

/*
 * Keep the fuzzer's own footing: satp is only ever read, and sstatus.SIE
 * never set.  Return false to skip @t.
 */
static bool csr_sanitize(struct csr_try *t)
{
	if (t->csr == CSR_SATP_NR && !t->user && csr_writes(t))
		return false;
	if (t->csr == CSR_SSTATUS_NR && (t->f3 & 3) != 3) {
		t->val &= ~SR_SIE;
		if (t->f3 & 4)
			t->src &= ~SR_SIE;
	}
	return true;
}

/*
 * The stub for a CSR the mode can read: "csrr t2, CSR; <access>; csrw
 * CSR, t2; ret/ecall".  For one it cannot, "<access>; ret/ecall": the
 * read and the restore would only trap.
 */
struct csr_stub {
	struct csr_try slot[3];
	int n;		/* CSR instructions */
	int access;	/* the slot of the fuzzed one */
};

static void csr_stub_make(const struct csr_try *t, bool readable,
			  struct csr_stub *st)
{
	int i = 0;

	if (readable) {
		st->slot[i] = *t;
		st->slot[i].f3 = 2;
		st->slot[i].rd = X_T2;
		st->slot[i++].src = 0;
	}
	st->access = i;
	st->slot[i++] = *t;
	if (readable) {
		st->slot[i] = *t;
		st->slot[i].f3 = 1;
		st->slot[i].rd = 0;
		st->slot[i++].src = X_T2;
	}
	st->n = i;
}

static u32 csr_insn(const struct csr_try *t)
{
	return CSR_INSN(t->csr, t->f3, t->rd, t->src);
}

/* "csrrs x5, 0xc00, x6=0x1234" */
static const char *csr_str(const struct csr_try *t, char *buf, int len)
{
	if (t->f3 & 4)
		guest_snprintf(buf, len, "%s %s x%u, %#x, %u",
			       t->user ? "VU" : "VS", csr_fname[t->f3], t->rd,
			       t->csr, t->src);
	else
		guest_snprintf(buf, len, "%s %s x%u, %#x, x%u=%#lx",
			       t->user ? "VU" : "VS", csr_fname[t->f3], t->rd,
			       t->csr, t->src, t->src ? t->val : 0);
	return buf;
}

static void csr_fail(struct fz_ctx *c, const struct csr_try *t, int slot,
		     const char *what, u64 a, u64 b)
{
	char buf[80];

	GFAIL(c, "%s (slot %d): %s %#lx %#lx", csr_str(t, buf, sizeof(buf)),
	      slot, what, a, b);
}

/* One CSR instruction's outcome against what it must be. */
static void csr_check_slot(struct fz_ctx *c, struct csr_try *s, int i,
			   u64 scounteren)
{
	struct fz_frame *f = c->f;
	u64 cause = f->cause[i], rdv = s->rd ? f->r[s->rd] : 0;
	int want;

	if (cause && cause != EXC_ILLEGAL) {
		csr_fail(c, s, i, "trapped with cause, tval", cause, f->tval[i]);
		return;
	}
	if (cause && f->tval[i] && f->tval[i] != csr_insn(s))
		csr_fail(c, s, i, "illegal instruction with tval, insn",
			 f->tval[i], csr_insn(s));
	if (s->src == X_T2)
		s->val = f->r[X_T2];
	want = csr_expect(c, s, scounteren);
	if ((want == CE_TRAP && !cause) ||
	    ((want == CE_PASS || want == CE_ZERO || want == CE_EXIT) &&
	     cause) ||
	    (want == CE_ZERO && rdv) ||
	    (want == CE_EXIT && s->rd && c->x->nexit && rdv != c->x->ret[0]) ||
	    (want == CE_EXIT && !c->x->nexit)) {
		char buf[80];

		GFAIL(c, "%s (slot %d, scounteren %#lx): cause %lu rd %#lx exits %u; want %s",
		      csr_str(s, buf, sizeof(buf)), i, scounteren, cause, rdv,
		      c->x->nexit, ce_name[want]);
	}
}

static void csr_check(struct fz_ctx *c, struct csr_stub *st, const u64 *in,
		      u64 scounteren)
{
	struct fz_frame *f = c->f;
	struct csr_try *t = &st->slot[st->access];
	u64 keep = st->n > 1 ? BIT(X_T2) : 0;
	int i, r;

	if (host_vector_stray(c))
		return;
	if (f->stray[0] || f->irq)
		csr_fail(c, t, -1, "stray trap or interrupt (cause, epc)",
			 f->stray[0] | f->irq, f->stray[1]);
	for (i = st->n; i < FZ_SLOTS; i++)
		if (f->cause[i])
			csr_fail(c, t, i, "trap after the stub: cause, tval",
				 f->cause[i], f->tval[i]);
	for (i = 0; i < st->n; i++)
		csr_check_slot(c, &st->slot[i], i, scounteren);
	if (!f->cause[st->access])
		keep |= BIT(t->rd);
	r = regs_changed(c, keep, in);
	if (r)
		csr_fail(c, t, st->access, "register changed: x, value", r,
			 f->r[r]);
	c->st->traps += !!f->cause[st->access];
}

/* Run @t; return whether its first instruction went through. */
static bool csr_run(struct fz_ctx *c, const struct csr_try *t, bool readable,
		    u64 scounteren)
{
	struct fz_frame *f = c->f;
	struct csr_stub st;
	u8 *p = c->stub;
	u64 in[32];
	int i;

	csr_stub_make(t, readable, &st);
	for (i = 0; i < st.n; i++)
		emit32(&p, csr_insn(&st.slot[i]));
	emit32(&p, t->user ? INSN_ECALL : INSN_RET);
	fence_i();
	frame_reset(f, t->user ? c->ustub : (u64)c->stub, 0);
	f->r[X_T1] = t->val;
	f->r[X_T4] = t->val;
	memcpy(in, f->r, sizeof(in));
	expect(c, FZ_EX_CSR, t->csr, 0, 0, 0, "csr");
	if (t->user)
		csr_write(CSR_SCOUNTEREN, scounteren);
	fz_call(f, t->user);
	fz_check_self(c);
	expect_none(c);
	c->st->ops++;
	csr_check(c, &st, in, scounteren);
	return !f->cause[0];
}

static u64 csr_value(struct fz_ctx *c)
{
	switch (rnd_n(c, 5)) {
	case 0:
		return 0;
	case 1:
		return -1UL;
	case 2:
		return BIT(rnd_n(c, 64));
	default:
		return rnd(c);
	}
}

/* rd: x0, t0 or t3; rs1: t1 or t4 (both hold the value), or x0. */
static void csr_pick_regs(struct fz_ctx *c, struct csr_try *t, bool writing)
{
	static const u8 rds[] = { 0, X_T0, X_T3 };

	t->rd = rds[rnd_n(c, 3)];
	if (t->f3 & 4)
		t->src = writing ? 1 + rnd_n(c, 31) : 0;
	else
		t->src = writing ? (chance(c, 50) ? X_T1 : X_T4) : 0;
}

/* CSRs the hypervisor has a hand in: every variant of each, always. */
static bool csr_emulated(u32 csr)
{
	return (csr >= CSR_CYCLE && csr < CSR_CYCLE + 32) ||
	       csr == CSR_SEED_NR || csr == CSR_STOPEI_NR;
}

/*
 * Every form of every CSR in the slice, from VS and from VU, each with
 * rs1 = x0 (uimm 0) and with a register (uimm) holding a value.  The
 * first access of each (CSR, mode) is a plain read: whether it went
 * through decides the shape of the stubs that follow.  For a CSR the
 * mode can neither read nor have emulated, one of the two variants of
 * each form, at random, is enough (both with FZ_F_CSR_ALL).
 */
static void area_csr(struct fz_ctx *c)
{
	u32 end = fz_p.csr_first + fz_p.csr_count;
	u64 scounteren = csr_read(CSR_SCOUNTEREN), sc;
	u32 csr, f, w, user, pick;
	bool readable, one;

	if (c->hart)
		return;
	for (csr = fz_p.csr_first; csr < end && csr < 4096; csr++) {
		for (user = 0; user < 2; user++) {
			struct csr_try t = { .csr = csr, .f3 = 2,
					     .rd = X_T0, .user = user };

			sc = chance(c, 50) ? rnd(c) & 0xffffffff : -1U;
			readable = csr_run(c, &t, false, sc);
			for (f = 0; f < 6; f++) {
				one = !readable && !csr_emulated(csr) &&
				      !flag(FZ_F_CSR_ALL);
				pick = rnd(c) & 1;
				for (w = 0; w < 2; w++) {
					if (one && w != pick)
						continue;
					t.f3 = csr_f3[f];
					t.val = csr_value(c);
					csr_pick_regs(c, &t, w);
					if (csr_sanitize(&t))
						csr_run(c, &t, readable, sc);
				}
			}
		}
	}
	csr_write(CSR_SCOUNTEREN, scounteren);
}

/* ------------------------------------------------------------------ */
/* SBI calls through a stub: every register checked afterwards        */
/* ------------------------------------------------------------------ */

struct sbi_call {
	u64 eid, fid, a[6];
};

struct sbi_out {
	long err;
	u64 val;
	u32 nfwd;	/* forwarded to the host (0 or 1) */
	u64 cause, tval;	/* a trap at the ecall */
	u64 ret[2];	/* what the host answered */
	u64 host_err;
	bool stray;	/* lost to host_vector_stray() */
};

/* Error codes as a set: bit -e for e in SBI_SUCCESS..SBI_ERR_LAST. */
#define OK(e)		BIT(-(e))
#define OK_ANY		(BIT(1 - SBI_ERR_LAST) - 1)
#define OK_NS		OK(SBI_ERR_NOT_SUPPORTED)

static bool sbi_valid_err(long e)
{
	return e <= 0 && e >= SBI_ERR_LAST;
}

static bool eid_vmm(u64 eid)
{
	return (eid >= EID_EXP_FIRST && eid <= EID_EXP_LAST) ||
	       (eid >= EID_VENDOR_FIRST && eid <= EID_VENDOR_LAST);
}

/* A name for failure messages (and the host's grouping of them). */
static const char *sbi_eid_name(u64 eid)
{
	static const struct { u64 eid; const char *name; } names[] = {
		{ SBI_EXT_BASE, "BASE" }, { EID_TIME, "TIME" },
		{ EID_IPI, "IPI" }, { EID_RFENCE, "RFENCE" },
		{ EID_HSM, "HSM" }, { EID_SRST, "SRST" }, { EID_PMU, "PMU" },
		{ EID_DBCN, "DBCN" }, { EID_STA, "STA" },
	};
	int i;

	if (eid <= 8)
		return "v0.1";
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].eid == eid)
			return names[i].name;
	if (eid_vmm(eid))
		return "VMM-range";
	return "other";
}

static const char *sbi_call_str(const struct sbi_call *k, char *buf, int len)
{
	guest_snprintf(buf, len, "%s eid %#lx fid %#lx a0-a5 %#lx %#lx %#lx %#lx %#lx %#lx",
		       sbi_eid_name(k->eid), k->eid, k->fid, k->a[0], k->a[1],
		       k->a[2], k->a[3], k->a[4], k->a[5]);
	return buf;
}

#define SBI_FAIL(c, k, fmt, args...)					\
do {									\
	char __b[200];							\
									\
	GFAIL(c, "SBI %s: " fmt, sbi_call_str(k, __b, sizeof(__b)), ##args); \
} while (0)

/* Make the call from a stub; a trap at the ecall is recorded. */
static void sbi_do(struct fz_ctx *c, const struct sbi_call *k,
		   struct sbi_out *o)
{
	struct fz_frame *f = c->f;
	u8 *p = c->stub;
	u64 in[32];
	int i, r;

	emit32(&p, INSN_ECALL);
	emit32(&p, INSN_RET);
	fence_i();
	frame_reset(f, (u64)c->stub, 0);
	f->r[17] = k->eid;
	f->r[16] = k->fid;
	for (i = 0; i < 6; i++)
		f->r[X_A0 + i] = k->a[i];
	memcpy(in, f->r, sizeof(in));
	if (c->x->kind != FZ_EX_SRST)
		expect(c, FZ_EX_SBI, 0, 0, 0, 0, "sbi call");
	fz_call(f, 0);
	fz_check_self(c);
	o->err = f->r[X_A0];
	o->val = f->r[X_A1];
	o->nfwd = c->x->nexit;
	o->cause = f->cause[0];
	o->tval = f->tval[0];
	o->ret[0] = c->x->ret[0];
	o->ret[1] = c->x->ret[1];
	o->host_err = f->host_err;
	expect_none(c);
	c->st->ops++;
	c->st->traps += !!o->cause;
	o->stray = host_vector_stray(c);
	if (o->stray)
		return;
	if (f->stray[0] || f->irq || f->cause[1])
		SBI_FAIL(c, k, "stray trap %#lx at %#lx, irq %#lx, trap after the ecall %#lx",
			 f->stray[0], f->stray[1], f->irq, f->cause[1]);
	r = regs_changed(c, BIT(X_A0) | BIT(X_A1), in);
	if (r)
		SBI_FAIL(c, k, "x%d not preserved: %#lx", r, f->r[r]);
}

/* The hart mask rule: every hart named must exist. */
static u32 mask_ok(u64 mask, u64 base)
{
	u64 i;

	if (base == -1UL)
		return OK(0);
	if (!mask)		/* no hart named: a bad base may pass */
		return base < FZ_HARTS ? OK(0) : OK(0) | OK(SBI_ERR_INVALID_PARAM);
	for (i = 0; i < 64; i++)
		if ((mask & BIT(i)) && (base >= FZ_HARTS || i >= FZ_HARTS - base))
			return OK(SBI_ERR_INVALID_PARAM);
	return OK(0);
}

/* Does @id name no hart only because of bits 63:32? */
static bool hart_hi(u64 id)
{
	return (id >> 32) && (u32)id < FZ_HARTS;
}

static u32 hsm_call_expect(struct fz_ctx *c, const struct sbi_call *k,
			   const struct sbi_out *o)
{
	u64 t = k->a[0];
	u32 bad = OK(SBI_ERR_INVALID_PARAM);

	if (t >= FZ_HARTS && hart_hi(t) && skipped(FZ_X_HART_HI))
		bad = OK_ANY;
	switch (k->fid) {
	case 0:		/* start */
		if (t >= FZ_HARTS)
			return bad;
		return t == c->hart ? OK(SBI_ERR_ALREADY_AVAILABLE) :
		       OK(0) | OK(SBI_ERR_ALREADY_AVAILABLE);
	case 1:		/* stop: returns only when it failed */
		return OK(SBI_ERR_FAILURE);
	case 2:		/* status */
		if (t >= FZ_HARTS)
			return skipped(FZ_X_HSM_STATUS) ? OK_ANY : bad;
		if (!o->err && (o->val > 6 || (t == c->hart && o->val)))
			return 0;
		return OK(0);
	default:
		return OK_NS;
	}
}

/*
 * SBI STA and PMU shared memory: @align-aligned writable guest RAM, or
 * all ones to stop.  The spec orders no errors: a call that breaks
 * several rules may answer the error of any of them (FAILED for an
 * address the implementation will not take, see its binary encoding).
 */
static u32 shmem_expect(u64 lo, u64 hi, u64 flags, u64 align)
{
	u64 scratch = FZ_RAM + FZ_PG_SCRATCH * FZ_PG;
	bool off = lo == -1UL && hi == -1UL;
	u32 ok = 0;

	if (flags || (!off && (lo & (align - 1))))
		ok |= OK(SBI_ERR_INVALID_PARAM);
	if (!off && (hi || lo < scratch ||
		     lo > scratch + FZ_NR_SCRATCH * FZ_PG - align))
		ok |= OK(SBI_ERR_INVALID_ADDRESS) | OK(SBI_ERR_FAILURE);
	if (!ok)
		ok = OK(0);
	return skipped(FZ_X_SHMEM) ? OK_ANY : ok;
}

static u32 pmu_expect(struct fz_ctx *c, const struct sbi_call *k)
{
	if (!c->has_pmu)
		return OK_NS;
	switch (k->fid) {
	case SBI_EXT_PMU_NUM_COUNTERS:
		return OK(0);
	case SBI_EXT_PMU_SNAPSHOT_SET_SHMEM:
		return shmem_expect(k->a[0], k->a[1], k->a[2], FZ_PG);
	default:
		return OK_ANY;
	}
}

/* v0.1 send_ipi and fences: the mask is at a guest virtual address. */
struct v01_ptr {
	u64 ptr;
	u32 ok;		/* errors it may answer */
	u64 causes;	/* BIT(cause) of traps it may raise at the ecall */
};

static u32 v01_expect(struct fz_ctx *c, const struct sbi_call *k,
		      const struct v01_ptr *vp)
{
	if (!c->has_v01)
		return OK_NS;
	switch (k->eid) {
	case 0:		/* set_timer */
	case 3:		/* clear_ipi */
		return OK(0);
	case 4 ... 7:
		return vp ? vp->ok : OK_ANY;
	default:
		return OK_ANY;
	}
}

/* Which errors @k may answer when the host did not see it. */
static u32 sbi_expect(struct fz_ctx *c, const struct sbi_call *k,
		      const struct sbi_out *o, const struct v01_ptr *vp)
{
	u64 f = k->fid;

	if (k->eid <= 8)
		return v01_expect(c, k, vp);
	switch (k->eid) {
	case SBI_EXT_BASE:
		if (f == SBI_EXT_BASE_PROBE_EXT && !o->err && o->val > 1)
			return 0;
		return f <= 6 ? OK(0) : OK_NS;
	case EID_TIME:
		return f ? OK_NS : OK(0);
	case EID_IPI:
		return f ? OK_NS : mask_ok(k->a[0], k->a[1]);
	case EID_RFENCE:
		if (f > 2)
			return OK_NS;
		if (mask_ok(k->a[0], k->a[1]) == OK(0))
			return OK(0) | OK(SBI_ERR_INVALID_ADDRESS);
		return skipped(FZ_X_RFENCE_MASK) ? OK_ANY :
		       mask_ok(k->a[0], k->a[1]);
	case EID_HSM:
		return hsm_call_expect(c, k, o);
	case EID_PMU:
		return pmu_expect(c, k);
	case EID_STA:
		if (!c->has_sta || f)
			return OK_NS;
		return shmem_expect(k->a[0], k->a[1], k->a[2], 64);
	case EID_DBCN:
		return flag(FZ_F_DBCN) && f > 2 ? OK_NS | OK_ANY : OK_NS;
	default:
		return OK_NS;
	}
}

/* Must the host see @k?  May it? */
static bool sbi_fwd_must(struct fz_ctx *c, const struct sbi_call *k)
{
	return eid_vmm(k->eid) ||
	       (k->eid == EID_DBCN && flag(FZ_F_DBCN) && k->fid <= 2) ||
	       (c->has_v01 && (k->eid == 1 || k->eid == 2));
}

static bool sbi_fwd_may(struct fz_ctx *c, const struct sbi_call *k)
{
	return sbi_fwd_must(c, k) ||
	       (k->eid == EID_DBCN && flag(FZ_F_DBCN)) ||
	       (k->eid == SBI_EXT_BASE && k->fid == SBI_EXT_BASE_PROBE_EXT &&
		eid_vmm(k->a[0]));
}

static void sbi_check_fwd(struct fz_ctx *c, const struct sbi_call *k,
			  const struct sbi_out *o)
{
	bool v01 = k->eid <= 8;

	if (!sbi_fwd_may(c, k)) {
		SBI_FAIL(c, k, "was forwarded to userspace");
		return;
	}
	if ((u64)o->err != o->ret[0])
		SBI_FAIL(c, k, "a0 %#lx, but userspace answered %#lx", o->err,
			 o->ret[0]);
	/* A legacy call returns a0 alone; the VMM left ret[1] alone. */
	if (v01 && o->val != k->a[1] && !skipped(FZ_X_V01_A1))
		SBI_FAIL(c, k, "legacy call forwarded: a1 %#lx, not kept", o->val);
	if (!v01 && o->val != o->ret[1])
		SBI_FAIL(c, k, "a1 %#lx, but userspace answered %#lx", o->val,
			 o->ret[1]);
}

static void sbi_check(struct fz_ctx *c, const struct sbi_call *k,
		      const struct sbi_out *o, const struct v01_ptr *vp)
{
	u32 ok;

	if (o->host_err || o->stray)
		return;		/* the host reported it, or the emulator */
	if (o->cause) {
		if (!vp || !(vp->causes & BIT(o->cause)) || o->tval != vp->ptr)
			SBI_FAIL(c, k, "trap at the ecall: cause %lu tval %#lx",
				 o->cause, o->tval);
		return;
	}
	if (o->nfwd) {
		sbi_check_fwd(c, k, o);
		return;
	}
	if (sbi_fwd_must(c, k)) {
		SBI_FAIL(c, k, "not forwarded to userspace: a0 %ld", o->err);
		return;
	}
	if (!sbi_valid_err(o->err)) {
		SBI_FAIL(c, k, "a0 %#lx is no SBI error code", o->err);
		return;
	}
	ok = sbi_expect(c, k, o, vp);
	if (!(ok & OK(o->err)))
		SBI_FAIL(c, k, "answered %ld (a1 %#lx), allowed set %#x",
			 o->err, o->val, ok);
	if (k->eid <= 8 && c->has_v01 && o->val != k->a[1])
		SBI_FAIL(c, k, "legacy call: a1 %#lx, not kept", o->val);
}

/* ------------------------------------------------------------------ */
/* Area sbi                                                           */
/* ------------------------------------------------------------------ */

static const u64 known_eids[] = {
	SBI_EXT_BASE, EID_TIME, EID_IPI, EID_RFENCE, EID_HSM, EID_PMU,
	EID_DBCN, EID_STA, EID_SUSP, EID_CPPC, EID_NACL, EID_FWFT, EID_SSE,
	EID_DBTR, EID_MPXY,
};

static u64 sbi_any_arg(struct fz_ctx *c)
{
	static const u64 vals[] = {
		0, 1, 2, 3, FZ_HARTS - 1, FZ_HARTS, 63, 64, -1UL, -2UL,
		0x7fffffff, 0x80000000, 0xffffffff, 1UL << 32, 1UL << 63,
		(1UL << 32) | 1, FZ_MMIO, FZ_ROM, FZ_BEYOND, FZ_HOLE,
	};

	switch (rnd_n(c, 4)) {
	case 0:
		return rnd(c);
	case 1:
		return rnd_n(c, 16);
	default:
		return vals[rnd_n(c, ARRAY_SIZE(vals))];
	}
}

static u64 sbi_hart_base(struct fz_ctx *c)
{
	static const u64 bases[] = { -1UL, 0, 1, FZ_HARTS - 1, FZ_HARTS, 64,
				     -2UL, 1UL << 32, 0x7fffffff };

	return chance(c, 80) ? bases[rnd_n(c, ARRAY_SIZE(bases))] : rnd(c);
}

static u64 sbi_hart_mask(struct fz_ctx *c)
{
	static const u64 masks[] = { 1, 2, 0xf, 0x10, 0, -1UL, 1UL << 63, 3 };

	return chance(c, 80) ? masks[rnd_n(c, ARRAY_SIZE(masks))] : rnd(c);
}

/* A shared-memory address: mostly the scratch pages, else bad ones. */
static u64 sbi_shmem(struct fz_ctx *c, u64 align)
{
	u64 scratch = FZ_RAM + FZ_PG_SCRATCH * FZ_PG;
	u64 size = FZ_NR_SCRATCH * FZ_PG;

	switch (rnd_n(c, 12)) {
	case 0:
		return FZ_MMIO;
	case 1:
		return FZ_ROM;
	case 2:
		return FZ_BEYOND;
	case 3:
		return FZ_HOLE;
	case 4:
		return scratch + rnd_n(c, size - 64);
	case 5:
		return scratch + size - align / 2;
	case 6:
		return -1UL;
	default:
		return scratch + rnd_n(c, size / align) * align;
	}
}

/* A hart id: mostly real ones. */
static u64 sbi_hart_id(struct fz_ctx *c)
{
	static const u64 ids[] = { FZ_HARTS, -1UL, (1UL << 32) | 3,
				   (1UL << 32), 0x80000001 };

	return chance(c, 75) ? rnd_n(c, FZ_HARTS) :
	       ids[rnd_n(c, ARRAY_SIZE(ids))];
}

static u64 sbi_pmu_event(struct fz_ctx *c)
{
	switch (rnd_n(c, 5)) {
	case 0:
		return 1 + rnd_n(c, 10);		/* hardware general */
	case 1:
		return (1UL << 16) | rnd_n(c, 0x40);	/* hardware cache */
	case 2:
		return 0xf0000 | rnd_n(c, 24);		/* firmware */
	case 3:
		return 2UL << 16;			/* raw */
	default:
		return rnd(c) & 0xfffff;
	}
}

static u64 sbi_fid(struct fz_ctx *c, u64 nfids)
{
	switch (rnd_n(c, 10)) {
	case 0:
		return rnd(c);
	case 1:
		return rnd(c) & 0xffffffff;
	case 2:
		return nfids + rnd_n(c, 4);
	default:
		return rnd_n(c, nfids);
	}
}

static void sbi_gen_args(struct fz_ctx *c, struct sbi_call *k)
{
	int i;

	for (i = 0; i < 6; i++)
		k->a[i] = sbi_any_arg(c);
	switch (k->eid) {
	case EID_IPI:
	case EID_RFENCE:
		k->a[0] = sbi_hart_mask(c);
		k->a[1] = sbi_hart_base(c);
		/* RFENCE start and size: often a range that wraps. */
		if (chance(c, 50)) {
			k->a[2] = -FZ_PG * rnd_n(c, 4) - rnd_n(c, FZ_PG);
			k->a[3] = chance(c, 50) ? -1UL : FZ_PG << rnd_n(c, 52);
		}
		break;
	case EID_HSM:
		k->a[0] = sbi_hart_id(c);
		/* Where a started hart goes: somewhere on the landing slide. */
		k->a[1] = fz_p.land_slide + 2 * rnd_n(c, 256);
		k->a[2] = FZ_RAM + FZ_PG_HSM * FZ_PG;
		break;
	case EID_STA:
		k->a[0] = sbi_shmem(c, 64);
		k->a[1] = chance(c, 90) ? 0 : (k->a[0] == -1UL ? -1UL : rnd(c));
		k->a[2] = chance(c, 90) ? 0 : sbi_any_arg(c);
		break;
	case EID_PMU:
		if (k->fid == SBI_EXT_PMU_SNAPSHOT_SET_SHMEM) {
			k->a[0] = sbi_shmem(c, FZ_PG);
			k->a[1] = chance(c, 90) ? 0 :
				  (k->a[0] == -1UL ? -1UL : rnd(c));
			k->a[2] = chance(c, 90) ? 0 : sbi_any_arg(c);
		} else if (k->fid == SBI_EXT_PMU_COUNTER_CFG_MATCH) {
			k->a[0] = rnd_n(c, 40);
			k->a[1] = sbi_hart_mask(c);
			k->a[2] = rnd_n(c, 256);
			k->a[3] = sbi_pmu_event(c);
		} else if (k->fid <= SBI_EXT_PMU_COUNTER_FW_READ_HI) {
			k->a[0] = rnd_n(c, 48);
			k->a[1] = sbi_hart_mask(c);
			k->a[2] = rnd_n(c, 4);
		}
		break;
	}
}

/* A random call; @may_stop: this hart may stop itself. */
static void sbi_gen(struct fz_ctx *c, struct sbi_call *k, bool may_stop)
{
	u32 pick = rnd_n(c, 100);

	if (pick < 40)
		k->eid = known_eids[rnd_n(c, ARRAY_SIZE(known_eids))];
	else if (pick < 50)
		k->eid = rnd_n(c, 8);			/* v0.1, not shutdown */
	else if (pick < 60)
		k->eid = EID_EXP_FIRST + rnd_n(c, EID_EXP_LAST - EID_EXP_FIRST);
	else if (pick < 68)
		k->eid = EID_VENDOR_FIRST + rnd_n(c, 0x1000000);
	else if (pick < 72)
		k->eid = EID_FW_FIRST + rnd_n(c, 0x1000000);
	else if (pick < 82)
		k->eid = rnd(c) & 0xffffffff;
	else if (pick < 88)
		k->eid = rnd(c);
	else
		k->eid = known_eids[rnd_n(c, ARRAY_SIZE(known_eids))] |
			 (BIT(32 + rnd_n(c, 32)));
	/* The selftest library's own ucall extension is not fuzzed. */
	if (k->eid == KVM_RISCV_SELFTESTS_SBI_EXT || k->eid == EID_SRST)
		k->eid = SBI_EXT_BASE;
	k->fid = sbi_fid(c, k->eid == EID_PMU ? 9 : 7);
	/* Suspend is the hsm area's; only some harts may stop. */
	if (k->eid == EID_HSM && (k->fid == 3 || (k->fid == 1 && !may_stop)))
		k->fid = 2;
	sbi_gen_args(c, k);
}

/*
 * SRST (or v0.1 shutdown): the host checks the system event when the
 * call is valid by its low 32 bits; otherwise it must return.
 */
static void sbi_srst(struct fz_ctx *c)
{
	static const u64 types[] = { 0, 1, 2, 3, 0xf0000000, 0xffffffff };
	static const u64 reasons[] = { 0, 1, 2, 0xdfffffff, 0xe0000000,
				       0xf0000000, 0xffffffff };
	struct sbi_call k = { .eid = EID_SRST };
	bool hi, type_ok, reason_ok;
	struct sbi_out o;
	u32 ok;

	k.a[0] = types[rnd_n(c, ARRAY_SIZE(types))];
	k.a[1] = reasons[rnd_n(c, ARRAY_SIZE(reasons))];
	hi = chance(c, 40);
	if (hi)
		k.a[chance(c, 50)] |= rnd(c) << 32 | BIT(32);
	type_ok = (u32)k.a[0] <= 2;
	reason_ok = (u32)k.a[1] <= 1 || (u32)k.a[1] >= 0xe0000000;
	expect(c, FZ_EX_SRST, 0, 0, 0, 0, "SRST");
	if (type_ok && reason_ok) {
		c->x->srst_event = ((u32)k.a[0] ? KVM_SYSTEM_EVENT_RESET :
				    KVM_SYSTEM_EVENT_SHUTDOWN) + 1;
		c->x->srst_reason = (u32)k.a[1];
	}
	/* 6.12 takes any reason: allow what -x lets through. */
	if (type_ok && !reason_ok && skipped(FZ_X_SRST_REASON))
		c->x->srst_event = -1UL;
	if (hi && skipped(FZ_X_SRST_HI))
		c->x->srst_event = -1UL;
	sbi_do(c, &k, &o);
	if (o.host_err || o.stray)
		return;
	if (type_ok && reason_ok && !(hi && skipped(FZ_X_SRST_HI)))
		SBI_FAIL(c, &k, "a valid reset returned %ld", o.err);
	ok = OK(SBI_ERR_INVALID_PARAM);
	if (type_ok && (u32)k.a[0] == 2)
		ok |= OK(SBI_ERR_NOT_SUPPORTED);	/* warm reboot */
	if (skipped(FZ_X_SRST_REASON) || (hi && skipped(FZ_X_SRST_HI)))
		ok = OK_ANY;
	if (!(ok & OK(o.err)))
		SBI_FAIL(c, &k, "an invalid reset answered %ld", o.err);
}

static void v01_pick(struct fz_ctx *c, struct v01_ptr *vp, bool race);

static void sbi_one(struct fz_ctx *c, bool may_stop)
{
	struct v01_ptr vp, *pvp = NULL;
	struct sbi_call k;
	struct sbi_out o;

	sbi_gen(c, &k, may_stop);
	if (k.eid >= 4 && k.eid <= 7) {
		v01_pick(c, &vp, false);
		k.a[0] = vp.ptr;
		pvp = &vp;
	}
	sbi_do(c, &k, &o);
	sbi_check(c, &k, &o, pvp);
}

static void area_sbi(struct fz_ctx *c)
{
	u32 i, n = c->hart ? fz_p.iters / 2 : fz_p.iters;

	for (i = 0; i < n; i++)
		sbi_one(c, c->hart != 0 && chance(c, 3));
	/* Resets last: a valid one ends the VM, and the round with it. */
	for (i = 0; !c->hart && i < 4; i++)
		sbi_srst(c);
}

/* ------------------------------------------------------------------ */
/* Area v01, and the racer both it and span use                       */
/* ------------------------------------------------------------------ */

static u64 fz_race_stop;

/* The word of window D's second page that v0.1 calls point at. */
#define RACE_WORD	(FZ_SPAN_PAGE(FZ_WIN_D) + FZ_PG + 8)

/*
 * Hart 1: rewrite the racing mask word and take window D's second page
 * away and back, until told to stop.
 */
static void racer(struct fz_ctx *c)
{
	static const u64 vals[] = { 1, 0x100, 0xf, 1UL << 36, 0, 3 };
	u64 *pte = (u64 *)fz_p.pte_d, orig = READ_ONCE(*pte);
	u64 *word = (u64 *)RACE_WORD;
	u32 i = 0;

	while (!READ_ONCE(fz_race_stop)) {
		WRITE_ONCE(*word, vals[i++ % ARRAY_SIZE(vals)]);
		if (i % 3 == 0) {
			WRITE_ONCE(*pte, orig & ~PGTBL_PTE_VALID_MASK);
			sfence_vma();
			cpu_relax_n(rnd_n(c, 200));
			WRITE_ONCE(*pte, orig);
			sfence_vma();
		}
		cpu_relax_n(rnd_n(c, 200));
	}
	WRITE_ONCE(*pte, orig);
	sfence_vma();
}

enum { P_NULL, P_VALID, P_MISALIGNED, P_CROSS, P_ROM, P_MMIO, P_HOLE,
	P_UNMAPPED, P_UONLY, P_HIGH, P_RACE, P_NR };

static u64 mask_value(struct fz_ctx *c)
{
	static const u64 v[] = { 1, 3, 0xf, 0x10, 0, 1UL << 40, -1UL, 2, 8 };

	return chance(c, 80) ? v[rnd_n(c, ARRAY_SIZE(v))] : rnd(c);
}

static u64 read_u64(u64 addr)
{
	u64 v;

	memcpy(&v, (void *)addr, sizeof(v));
	return v;
}

/* A mask pointer, the mask it holds, and what the call may do with it. */
static void v01_pick(struct fz_ctx *c, struct v01_ptr *vp, bool race)
{
	u64 page = FZ_RAM + FZ_PG_MASK * FZ_PG;
	/* Each hart writes masks in its own quarter of the page. */
	u64 k = c->hart * (FZ_PG / FZ_HARTS) + 8 * rnd_n(c, 60);
	u64 v = mask_value(c), at;
	int kind = rnd_n(c, race ? P_NR : P_RACE);

	vp->causes = 0;
	vp->ok = 0;
	if (kind == P_CROSS && c->hart)
		kind = P_VALID;
	switch (kind) {
	case P_NULL:
		vp->ptr = 0;
		vp->ok = OK(0);
		return;
	case P_VALID:
	case P_UONLY:
		at = page + k;
		break;
	case P_MISALIGNED:
		at = page + k + 1 + rnd_n(c, 7);
		vp->causes = BIT(EXC_LOAD_MISALIGN) | BIT(EXC_LOAD_ACCESS_FAULT);
		break;
	case P_CROSS:
		at = page + FZ_PG - 4;
		vp->causes = BIT(EXC_LOAD_MISALIGN) | BIT(EXC_LOAD_ACCESS_FAULT);
		break;
	case P_ROM:
		vp->ptr = FZ_ROM + k;
		vp->ok = mask_ok(read_u64(vp->ptr), 0);
		return;
	case P_MMIO:
		vp->ptr = FZ_MMIO + k;
		vp->causes = BIT(EXC_LOAD_ACCESS_FAULT);
		return;
	case P_HOLE:
		vp->ptr = FZ_WIN_GVA(FZ_WIN_C) + FZ_PG + k;
		vp->causes = BIT(EXC_LOAD_ACCESS_FAULT);
		return;
	case P_UNMAPPED:
		vp->ptr = FZ_WIN_GVA(FZ_WIN_UNMAPPED) + k;
		vp->causes = BIT(EXC_LOAD_PF);
		return;
	case P_HIGH:
		vp->ptr = BIT(47) | k;
		vp->causes = BIT(EXC_LOAD_PF) | BIT(EXC_LOAD_ACCESS_FAULT);
		return;
	default:	/* P_RACE */
		vp->ptr = RACE_WORD;
		vp->ok = OK(0) | OK(SBI_ERR_INVALID_PARAM);
		vp->causes = BIT(EXC_LOAD_PF);
		return;
	}
	memcpy((void *)at, &v, sizeof(v));
	vp->ptr = at;
	vp->ok = mask_ok(v, 0);
	if (kind == P_UONLY) {
		vp->ptr = FZ_WIN_GVA(FZ_WIN_UONLY) + k;
		/*
		 * Without SUM, S-mode may not read a U page, nor may HLV
		 * for it; but QEMU's HLV ignores vsstatus.SUM (7.2, 10.0),
		 * so the read going through proves nothing here.
		 */
		if (!(csr_read(CSR_SSTATUS) & SR_SUM))
			vp->causes = BIT(EXC_LOAD_PF);
	}
}

static void v01_unserved(struct fz_ctx *c)
{
	struct sbi_call k = { .fid = 0 };
	struct sbi_out o;

	for (k.eid = 0; k.eid <= 7; k.eid++) {
		k.fid = rnd(c);
		k.a[1] = rnd(c);
		sbi_do(c, &k, &o);
		sbi_check(c, &k, &o, NULL);
	}
	GNOTE("SBI v0.1 is not served: every legacy call checked for NOT_SUPPORTED");
}

static void area_v01(struct fz_ctx *c)
{
	struct sbi_call k;
	struct sbi_out o;
	struct v01_ptr vp;
	u32 i;
	int j;

	if (c->hart == 1)
		racer(c);
	if (c->hart)
		return;
	if (!c->has_v01)
		v01_unserved(c);
	for (i = 0; c->has_v01 && i < fz_p.iters; i++) {
		k.eid = 4 + rnd_n(c, 4);
		k.fid = rnd(c);
		for (j = 0; j < 6; j++)
			k.a[j] = sbi_any_arg(c);
		if (chance(c, 50))
			csr_set(CSR_SSTATUS, SR_SUM);
		v01_pick(c, &vp, true);
		k.a[0] = vp.ptr;
		sbi_do(c, &k, &o);
		csr_clear(CSR_SSTATUS, SR_SUM);
		sbi_check(c, &k, &o, &vp);
	}
	WRITE_ONCE(fz_race_stop, 1);
}

/* ------------------------------------------------------------------ */
/* Area hsm                                                           */
/* ------------------------------------------------------------------ */

#define HSM_PAGE	(FZ_RAM + FZ_PG_HSM * FZ_PG)
#define HSM_TARGET	3
#define FZ_SSIP		BIT(1)
#define FZ_STIP		BIT(5)

enum { HSM_RACE, HSM_LOOP };

/* Hart 0 tells the starters (harts 1 and 2) what to do next. */
struct fz_hsm_sync {
	u64 go;		/* a new value: go; -1: quit */
	u64 mode, cmd, loops;
	u64 res[FZ_HARTS];
	u64 bad[FZ_HARTS];
	u64 done[FZ_HARTS];
};

static struct fz_hsm_sync fz_hsm;

static struct fz_hsm_rec *hsm_rec(u32 hart)
{
	return (struct fz_hsm_rec *)HSM_PAGE + hart;
}

static long hsm_start(u64 hart, u64 cmd)
{
	return ecall(EID_HSM, 0, hart, fz_p.land, HSM_PAGE | cmd).error;
}

static struct sbiret hsm_status(u64 hart)
{
	return ecall(EID_HSM, 2, hart, 0, 0);
}

static bool hsm_wait_stopped(u64 hart, u64 ms)
{
	u64 end = rdtime() + fz_p.tb_hz / 1000 * ms;
	struct sbiret r;

	do {
		r = hsm_status(hart);
		if (!r.error && r.value == HSM_STOPPED)
			return true;
	} while (rdtime() < end);
	return false;
}

static void hsm_starter(struct fz_ctx *c)
{
	u64 seen = 0, go, i;
	struct sbiret r;
	long e;

	for (;;) {
		while ((go = READ_ONCE(fz_hsm.go)) == seen)
			cpu_relax_n(20);
		if (go == -1UL)
			return;
		seen = go;
		fz_hsm.res[c->hart] = 0;
		fz_hsm.bad[c->hart] = 0;
		if (fz_hsm.mode == HSM_RACE) {
			fz_hsm.res[c->hart] = hsm_start(HSM_TARGET, fz_hsm.cmd);
		} else if (c->hart == 1) {
			for (i = 0; i < fz_hsm.loops; i++) {
				e = hsm_start(HSM_TARGET, 0);
				if (!e)
					fz_hsm.res[1]++;
				else if (e != SBI_ERR_ALREADY_AVAILABLE)
					fz_hsm.bad[1] = e;
			}
		} else {
			for (i = 0; i < fz_hsm.loops; i++) {
				r = hsm_status(HSM_TARGET);
				if (r.error || r.value > 6)
					fz_hsm.bad[2] = r.error ?: r.value;
			}
		}
		WRITE_ONCE(fz_hsm.done[c->hart], go);
	}
}

static bool hsm_wait_starters(struct fz_ctx *c, u64 go)
{
	if (wait_eq(&fz_hsm.done[1], go, 10000) &&
	    wait_eq(&fz_hsm.done[2], go, 10000))
		return true;
	GFAIL(c, "hsm: the starting harts did not come back");
	return false;
}

/* Wait for the target to have entered @n times and to be stopped. */
static void hsm_settle(struct fz_ctx *c, u64 n, const char *what)
{
	struct fz_hsm_rec *t = hsm_rec(HSM_TARGET);

	if (!wait_eq(&t->entries, n, 5000))
		GFAIL(c, "hsm %s: the target entered %lu times, expected %lu",
		      what, READ_ONCE(t->entries), n);
	if (!hsm_wait_stopped(HSM_TARGET, 5000))
		GFAIL(c, "hsm %s: the target did not stop", what);
	if (READ_ONCE(t->stop_ret))
		GFAIL(c, "hsm %s: the target's stop returned %ld", what,
		      (long)t->stop_ret);
}

/* Harts 1 and 2 start the stopped target at once. */
static void hsm_race(struct fz_ctx *c, u64 go, bool hold)
{
	struct fz_hsm_rec *t = hsm_rec(HSM_TARGET);
	u64 e0 = READ_ONCE(t->entries);
	long r1, r2;
	struct sbiret st;
	int s;

	WRITE_ONCE(t->release, 0);
	fz_hsm.mode = HSM_RACE;
	fz_hsm.cmd = hold;
	WRITE_ONCE(fz_hsm.go, go);
	if (!hsm_wait_starters(c, go))
		return;
	r1 = fz_hsm.res[1];
	r2 = fz_hsm.res[2];
	s = !r1 + !r2;
	if ((r1 && r1 != SBI_ERR_ALREADY_AVAILABLE) ||
	    (r2 && r2 != SBI_ERR_ALREADY_AVAILABLE) || !s || (hold && s != 1))
		GFAIL(c, "hsm race (target %s): starts answered %ld and %ld",
		      hold ? "waiting" : "stopping", r1, r2);
	if (hold && wait_eq(&t->entries, e0 + 1, 5000)) {
		st = hsm_status(HSM_TARGET);
		if (st.error || st.value != HSM_STARTED)
			GFAIL(c, "hsm race: a waiting target's status %ld/%ld",
			      st.error, st.value);
	}
	WRITE_ONCE(t->release, 1);
	hsm_settle(c, e0 + s, "race");
}

/* Hart 1 starts the target over and over, hart 2 and 0 poll it. */
static void hsm_loop(struct fz_ctx *c, u64 go)
{
	struct fz_hsm_rec *t = hsm_rec(HSM_TARGET);
	u64 e0 = READ_ONCE(t->entries), end = rdtime() + 10 * fz_p.tb_hz;
	struct sbiret st;

	WRITE_ONCE(t->release, 1);
	fz_hsm.mode = HSM_LOOP;
	fz_hsm.loops = 10 + rnd_n(c, 40);
	WRITE_ONCE(fz_hsm.go, go);
	while ((READ_ONCE(fz_hsm.done[1]) != go ||
		READ_ONCE(fz_hsm.done[2]) != go) && rdtime() < end) {
		st = hsm_status(HSM_TARGET);
		if (st.error || st.value > 6) {
			GFAIL(c, "hsm status during starts: %ld/%ld", st.error,
			      st.value);
			break;
		}
	}
	if (!hsm_wait_starters(c, go))
		return;
	if (fz_hsm.bad[1] || fz_hsm.bad[2] || !fz_hsm.res[1])
		GFAIL(c, "hsm start loop: %lu starts succeeded, odd answers %ld %ld",
		      fz_hsm.res[1], fz_hsm.bad[1], fz_hsm.bad[2]);
	hsm_settle(c, e0 + fz_hsm.res[1], "start loop");
}

/* What HSM suspend may answer, by the low 32 bits of the type. */
static u32 susp_expect(u32 t)
{
	if (t == 0)
		return OK(0);
	if (t < 0x10000000)
		return OK(SBI_ERR_INVALID_PARAM);
	if (t < 0x80000000)
		return OK(0) | OK(SBI_ERR_INVALID_PARAM);
	/* Not offered (6.12), or refused for its resume address (below). */
	if (t == 0x80000000)
		return OK(SBI_ERR_NOT_SUPPORTED) | OK(SBI_ERR_INVALID_ADDRESS);
	if (t < 0x90000000)
		return skipped(FZ_X_SUSP_RESERVED) ? OK_ANY :
		       OK(SBI_ERR_INVALID_PARAM);
	return OK(SBI_ERR_NOT_SUPPORTED) | OK(SBI_ERR_INVALID_PARAM);
}

/*
 * A suspend with an interrupt already on its way: a pending IPI or a
 * timer 1 ms ahead, so that a retentive suspend returns.  A non-retentive
 * one would resume elsewhere, not here (selftests/sbi_suspend checks
 * that): it gets a resume address without RAM, which must be refused.
 */
static void hsm_suspend(struct fz_ctx *c)
{
	static const u32 types[] = { 0, 1, 0x0fffffff, 0x10000000, 0x7fffffff,
				     0x80000000, 0x80000001, 0x8fffffff,
				     0x90000000, 0xffffffff };
	u64 t = types[rnd_n(c, ARRAY_SIZE(types))], sie = csr_read(CSR_SIE);
	bool hi = chance(c, 50), timer = chance(c, 50);
	long e;

	if (hi)
		t |= rnd(c) << 32 | BIT(32);
	guest_snprintf(c->x->what, sizeof(c->x->what), "hsm suspend %#lx", t);
	if (timer) {
		csr_set(CSR_SIE, FZ_STIP);
		ecall(EID_TIME, 0, rdtime() + fz_p.tb_hz / 1000, 0, 0);
	} else {
		csr_set(CSR_SIE, FZ_SSIP);
		ecall(EID_IPI, 0, BIT(c->hart), 0, 0);
	}
	e = ecall(EID_HSM, 3, t, (u32)t == 0x80000000 ? FZ_HOLE : fz_p.land,
		  HSM_PAGE).error;
	if (timer)
		ecall(EID_TIME, 0, -1UL, 0, 0);
	csr_clear(CSR_SIP, FZ_SSIP);
	csr_write(CSR_SIE, sie);
	if (!(susp_expect(t) & OK(e)) && !(hi && skipped(FZ_X_SUSP_HI)))
		GFAIL(c, "hsm suspend type %#lx answered %ld (type %#x alone: allowed %#x)",
		      t, e, (u32)t, susp_expect(t));
}

static void hsm_expect(struct fz_ctx *c, long e, u32 ok, const char *what,
		       u64 id)
{
	if (!(ok & OK(e)))
		GFAIL(c, "hsm %s of hart %#lx answered %ld", what, id, e);
}

/* Hart ids that name no hart, and harts that are running. */
static void hsm_badargs(struct fz_ctx *c)
{
	static const u64 ids[] = { FZ_HARTS, -1UL, (1UL << 32) | HSM_TARGET,
				   1UL << 32, 0x80000003 };
	struct fz_hsm_rec *t = hsm_rec(HSM_TARGET);
	u64 id = ids[rnd_n(c, ARRAY_SIZE(ids))], e0 = READ_ONCE(t->entries);
	u32 bad = hart_hi(id) && skipped(FZ_X_HART_HI) ? OK_ANY :
		  OK(SBI_ERR_INVALID_PARAM);
	struct sbiret st;
	long e;

	WRITE_ONCE(t->release, 1);
	e = hsm_start(id, 0);
	hsm_expect(c, e, bad, "start", id);
	if (!e && (u32)id == HSM_TARGET)	/* it started the target */
		hsm_settle(c, e0 + 1, "start of a truncated id");
	st = hsm_status(id);
	hsm_expect(c, st.error, skipped(FZ_X_HSM_STATUS) ? OK_ANY : bad,
		   "status", id);
	hsm_expect(c, hsm_start(0, 0), OK(SBI_ERR_ALREADY_AVAILABLE), "start",
		   0);
	hsm_expect(c, hsm_start(1, 0), OK(SBI_ERR_ALREADY_AVAILABLE), "start",
		   1);
	st = hsm_status(0);
	if (st.error || st.value != HSM_STARTED)
		GFAIL(c, "hsm status of itself: %ld/%ld", st.error, st.value);
	e = ecall(EID_HSM, 4 + rnd_n(c, 1000), 0, 0, 0).error;
	hsm_expect(c, e, OK_NS, "unknown function", 0);
}

static void area_hsm(struct fz_ctx *c)
{
	u64 go = 0, i;
	long e;

	switch (c->hart) {
	case HSM_TARGET:
		e = ecall(EID_HSM, 1, 0, 0, 0).error;
		GFAIL(c, "hsm: hart %u could not stop itself: %ld", c->hart, e);
		return;
	case 1:
	case 2:
		hsm_starter(c);
		return;
	}
	if (!hsm_wait_stopped(HSM_TARGET, 5000)) {
		GFAIL(c, "hsm: hart %d never stopped", HSM_TARGET);
		goto quit;
	}
	for (i = 0; i < fz_p.iters; i++) {
		switch (rnd_n(c, 10)) {
		case 0 ... 2:
			hsm_race(c, ++go, true);
			break;
		case 3 ... 5:
			hsm_race(c, ++go, false);
			break;
		case 6 ... 7:
			hsm_loop(c, ++go);
			break;
		case 8:
			hsm_suspend(c);
			break;
		default:
			hsm_badargs(c);
			break;
		}
		c->st->ops++;
	}
quit:
	WRITE_ONCE(fz_hsm.go, -1UL);
}

/* ------------------------------------------------------------------ */
/* Area mmio                                                          */
/* ------------------------------------------------------------------ */

enum { MK_LOAD, MK_STORE, MK_AMO, MK_LR, MK_SC, MK_CAS, MK_FLOAD, MK_FSTORE,
	MK_VLOAD, MK_VSTORE, MK_CBO, MK_CBOZ };

/* Base a1, load destination a0 (fa0, v8), store source a2 (fa0, v8). */
struct mop {
	const char *name;
	u32 insn;
	u8 ilen;	/* 2: compressed */
	u8 len;		/* bytes (per element for vectors) */
	u8 kind;
	u8 sext;	/* the load sign-extends */
	u8 sp;		/* a c.*sp form: the base is sp */
};

#define LD(f3)	(((u32)X_A1 << 15) | ((f3) << 12) | (X_A0 << 7) | 0x03)
#define ST(f3)	(((u32)X_A2 << 20) | (X_A1 << 15) | ((f3) << 12) | 0x23)
#define AMO(f5, f3) (((u32)(f5) << 27) | ((u32)X_A2 << 20) | (X_A1 << 15) | \
		     ((f3) << 12) | (X_A0 << 7) | 0x2f)
#define LR(f3)	(((u32)2 << 27) | (X_A1 << 15) | ((f3) << 12) | (X_A0 << 7) | 0x2f)
#define FLD(f3)	(((u32)X_A1 << 15) | ((f3) << 12) | (10 << 7) | 0x07)
#define FST(f3)	(((u32)10 << 20) | (X_A1 << 15) | ((f3) << 12) | 0x27)
#define VLE(w)	((1u << 25) | ((u32)X_A1 << 15) | ((w) << 12) | (8 << 7) | 0x07)
#define VSE(w)	((1u << 25) | ((u32)X_A1 << 15) | ((w) << 12) | (8 << 7) | 0x27)
#define CBO(op)	(((u32)(op) << 20) | ((u32)X_A1 << 15) | (2 << 12) | 0x0f)

#define INSN_MV_T5_SP	0x00010f13u	/* addi t5, sp, 0 */
#define INSN_MV_SP_T5	0x000f0113u	/* addi sp, t5, 0 */
#define INSN_FMV_X_D	((0x71u << 25) | (10 << 15) | (X_A0 << 7) | 0x53)
#define INSN_FMV_D_X	((0x79u << 25) | (X_A2 << 15) | (10 << 7) | 0x53)
#define INSN_VMV_X_S	((0x10u << 26) | (1 << 25) | (8 << 20) | (2 << 12) | \
			 (X_A0 << 7) | 0x57)
#define INSN_VMV_S_X	((0x10u << 26) | (1 << 25) | (X_A2 << 15) | (6 << 12) | \
			 (8 << 7) | 0x57)
#define INSN_VSETIVLI(n, sew) ((3u << 30) | ((0xc0u | ((sew) << 3)) << 20) | \
			       ((u32)(n) << 15) | (7 << 12) | 0x57)

static const struct mop mops[] = {
	{ "lb", LD(0), 4, 1, MK_LOAD, 1 },
	{ "lh", LD(1), 4, 2, MK_LOAD, 1 },
	{ "lw", LD(2), 4, 4, MK_LOAD, 1 },
	{ "ld", LD(3), 4, 8, MK_LOAD, 0 },
	{ "lbu", LD(4), 4, 1, MK_LOAD, 0 },
	{ "lhu", LD(5), 4, 2, MK_LOAD, 0 },
	{ "lwu", LD(6), 4, 4, MK_LOAD, 0 },
	{ "sb", ST(0), 4, 1, MK_STORE },
	{ "sh", ST(1), 4, 2, MK_STORE },
	{ "sw", ST(2), 4, 4, MK_STORE },
	{ "sd", ST(3), 4, 8, MK_STORE },
#define NR_SPAN_MOPS	11	/* the 4-byte integer ones above */
	{ "c.lw", 0x4188, 2, 4, MK_LOAD, 1 },
	{ "c.ld", 0x6188, 2, 8, MK_LOAD, 0 },
	{ "c.sw", 0xc190, 2, 4, MK_STORE },
	{ "c.sd", 0xe190, 2, 8, MK_STORE },
	{ "c.lwsp", 0x4502, 2, 4, MK_LOAD, 1, 1 },
	{ "c.ldsp", 0x6502, 2, 8, MK_LOAD, 0, 1 },
	{ "c.swsp", 0xc032, 2, 4, MK_STORE, 0, 1 },
	{ "c.sdsp", 0xe032, 2, 8, MK_STORE, 0, 1 },
	{ "amoadd.w", AMO(0, 2), 4, 4, MK_AMO, 1 },
	{ "amoadd.d", AMO(0, 3), 4, 8, MK_AMO },
	{ "amoswap.w", AMO(1, 2), 4, 4, MK_AMO, 1 },
	{ "amoor.d", AMO(8, 3), 4, 8, MK_AMO },
	{ "amomaxu.d", AMO(0x1c, 3), 4, 8, MK_AMO },
	{ "lr.w", LR(2), 4, 4, MK_LR, 1 },
	{ "lr.d", LR(3), 4, 8, MK_LR },
	{ "sc.w", AMO(3, 2), 4, 4, MK_SC },
	{ "sc.d", AMO(3, 3), 4, 8, MK_SC },
	{ "amocas.w", AMO(5, 2), 4, 4, MK_CAS, 1 },
	{ "amocas.d", AMO(5, 3), 4, 8, MK_CAS },
	{ "flw", FLD(2), 4, 4, MK_FLOAD },
	{ "fld", FLD(3), 4, 8, MK_FLOAD },
	{ "fsw", FST(2), 4, 4, MK_FSTORE },
	{ "fsd", FST(3), 4, 8, MK_FSTORE },
	{ "c.fld", 0x2188, 2, 8, MK_FLOAD },
	{ "c.fsd", 0xa188, 2, 8, MK_FSTORE },
	{ "c.fldsp", 0x2502, 2, 8, MK_FLOAD, 0, 1 },
	{ "c.fsdsp", 0xa02a, 2, 8, MK_FSTORE, 0, 1 },
	{ "vle8.v", VLE(0), 4, 1, MK_VLOAD, 1 },
	{ "vle16.v", VLE(5), 4, 2, MK_VLOAD, 1 },
	{ "vle32.v", VLE(6), 4, 4, MK_VLOAD, 1 },
	{ "vle64.v", VLE(7), 4, 8, MK_VLOAD },
	{ "vse8.v", VSE(0), 4, 1, MK_VSTORE },
	{ "vse16.v", VSE(5), 4, 2, MK_VSTORE },
	{ "vse32.v", VSE(6), 4, 4, MK_VSTORE },
	{ "vse64.v", VSE(7), 4, 8, MK_VSTORE },
	{ "cbo.zero", CBO(4), 4, 64, MK_CBOZ },
	{ "cbo.clean", CBO(1), 4, 64, MK_CBO },
	{ "cbo.flush", CBO(2), 4, 64, MK_CBO },
	{ "cbo.inval", CBO(0), 4, 64, MK_CBO },
};

static bool mop_is_load(const struct mop *m)
{
	return m->kind == MK_LOAD || m->kind == MK_LR || m->kind == MK_FLOAD ||
	       m->kind == MK_VLOAD;
}

/* Is the instruction in this guest's ISA? */
static bool mop_in_isa(const struct mop *m)
{
	switch (m->kind) {
	case MK_CAS:
		return flag(FZ_F_ZACAS);
	case MK_VLOAD:
	case MK_VSTORE:
		return flag(FZ_F_V);
	case MK_CBO:
		return flag(FZ_F_ZICBOM);
	case MK_CBOZ:
		return flag(FZ_F_ZICBOZ);
	default:
		return true;
	}
}

static bool mop_skipped(const struct mop *m)
{
	switch (m->kind) {
	case MK_AMO:
	case MK_LR:
	case MK_SC:
	case MK_CAS:
		return skipped(FZ_X_MMIO_AMO);
	case MK_FLOAD:
	case MK_FSTORE:
		return skipped(FZ_X_MMIO_FP);
	case MK_VLOAD:
	case MK_VSTORE:
		return skipped(FZ_X_MMIO_VEC);
	case MK_CBO:
	case MK_CBOZ:
		return skipped(FZ_X_MMIO_CBO);
	default:
		return false;
	}
}

/* What a device or the ROM holds at @gpa, as a load of @len sees it. */
static u64 mmio_value(u64 gpa, u32 len, bool sext)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < len && i < 8; i++)
		v |= (u64)fz_pattern(gpa + i) << (8 * i);
	if (sext && len < 8)
		v = (u64)((s64)(v << (64 - 8 * len)) >> (64 - 8 * len));
	return v;
}

/*
 * One access as generated: an integer load or store gets registers and
 * an offset at random (what the host decodes); the others use a0-a2.
 */
struct macc {
	u32 insn;
	u8 data;	/* rd of a load, rs2 of a store; x0 allowed */
	u8 base;	/* rs1, or where sp comes from */
	s64 imm;
};

/* Registers fz_call() loads, but t5: the sp forms keep sp there. */
static const u8 fz_gprs[] = { 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 28,
			      29, 31 };

static u8 pick_gpr(struct fz_ctx *c, bool x0)
{
	return x0 && chance(c, 10) ? 0 : fz_gprs[rnd_n(c, ARRAY_SIZE(fz_gprs))];
}

/* x8-x15 for the compressed forms; x8 and x9 are not loaded. */
static u8 pick_creg(struct fz_ctx *c)
{
	return X_A0 + rnd_n(c, 6);
}

static u32 enc_i(u32 insn, u32 rd, u32 rs1, s64 imm)
{
	return (insn & 0x707f) | rd << 7 | rs1 << 15 | ((u32)imm & 0xfff) << 20;
}

static u32 enc_s(u32 insn, u32 rs2, u32 rs1, s64 imm)
{
	return (insn & 0x707f) | rs2 << 20 | rs1 << 15 |
	       (((u32)imm >> 5) & 0x7f) << 25 | ((u32)imm & 0x1f) << 7;
}

/* c.lw, c.sw (len 4), c.ld, c.sd (len 8). */
static u32 enc_cl(u32 insn, u32 r, u32 rs1, u32 uimm, u32 len)
{
	insn = (insn & 0xe003) | (r - 8) << 2 | (rs1 - 8) << 7 |
	       ((uimm >> 3) & 7) << 10;
	if (len == 4)
		return insn | ((uimm >> 2) & 1) << 6 | ((uimm >> 6) & 1) << 5;
	return insn | ((uimm >> 6) & 3) << 5;
}

/* c.lwsp, c.ldsp. */
static u32 enc_clsp(u32 insn, u32 rd, u32 uimm, u32 len)
{
	insn = (insn & 0xe003) | rd << 7 | ((uimm >> 5) & 1) << 12;
	if (len == 4)
		return insn | ((uimm >> 2) & 7) << 4 | ((uimm >> 6) & 3) << 2;
	return insn | ((uimm >> 3) & 3) << 5 | ((uimm >> 6) & 7) << 2;
}

/* c.swsp, c.sdsp. */
static u32 enc_cssp(u32 insn, u32 rs2, u32 uimm, u32 len)
{
	insn = (insn & 0xe003) | rs2 << 2;
	if (len == 4)
		return insn | ((uimm >> 2) & 0xf) << 9 | ((uimm >> 6) & 3) << 7;
	return insn | ((uimm >> 3) & 7) << 10 | ((uimm >> 6) & 7) << 7;
}

static s64 pick_imm12(struct fz_ctx *c)
{
	static const s64 imms[] = { 0, -1, 1, -2048, 2047, 8, -8 };

	return chance(c, 50) ? imms[rnd_n(c, ARRAY_SIZE(imms))] :
	       (s64)rnd_n(c, 4096) - 2048;
}

static void mop_regs(struct fz_ctx *c, const struct mop *m, struct macc *a)
{
	bool load = m->kind == MK_LOAD;

	a->insn = m->insn;
	a->data = load ? X_A0 : X_A2;
	a->base = X_A1;
	a->imm = 0;
	if (!load && m->kind != MK_STORE)
		return;
	if (m->ilen == 4) {
		a->data = pick_gpr(c, true);
		a->base = pick_gpr(c, false);
		a->imm = pick_imm12(c);
		a->insn = load ? enc_i(m->insn, a->data, a->base, a->imm) :
			  enc_s(m->insn, a->data, a->base, a->imm);
	} else if (!m->sp) {
		a->data = pick_creg(c);
		a->base = pick_creg(c);
		a->imm = rnd_n(c, 32) * m->len;
		a->insn = enc_cl(m->insn, a->data, a->base, a->imm, m->len);
	} else {
		/* c.lwsp/c.ldsp with rd x0 are reserved encodings. */
		a->data = pick_gpr(c, !load);
		a->base = pick_gpr(c, false);
		a->imm = rnd_n(c, 64) * m->len;
		a->insn = load ? enc_clsp(m->insn, a->data, a->imm, m->len) :
			  enc_cssp(m->insn, a->data, a->imm, m->len);
	}
}

/* The stub around @a; returns the offset of the access in it. */
static u32 mmio_build(struct fz_ctx *c, const struct mop *m,
		      const struct macc *a, u32 nelem)
{
	u8 *p = c->stub;
	u32 off;

	if (m->sp) {
		emit32(&p, INSN_MV_T5_SP);
		emit32(&p, ((u32)a->base << 15) | (2 << 7) | 0x13);
	}
	if (m->kind == MK_FSTORE)
		emit32(&p, INSN_FMV_D_X);
	if (m->kind == MK_VLOAD || m->kind == MK_VSTORE)
		emit32(&p, INSN_VSETIVLI(nelem, __builtin_ctz(m->len)));
	if (m->kind == MK_VSTORE)
		emit32(&p, INSN_VMV_S_X);
	off = p - c->stub;
	if (m->ilen == 2)
		emit16(&p, a->insn);
	else
		emit32(&p, a->insn);
	if (m->kind == MK_FLOAD)
		emit32(&p, INSN_FMV_X_D);
	if (m->kind == MK_VLOAD)
		emit32(&p, INSN_VMV_X_S);
	if (m->sp)
		emit32(&p, INSN_MV_SP_T5);
	emit32(&p, INSN_RET);
	fence_i();
	return off;
}

/* An address in the MMIO or ROM pages for @bytes from @m. */
static u64 mmio_addr(struct fz_ctx *c, const struct mop *m, u64 bytes,
		     bool rom)
{
	u64 base = rom ? FZ_ROM : FZ_MMIO, off;

	switch (rnd_n(c, 20)) {
	case 0 ... 2:		/* misaligned */
		off = rnd_n(c, 2 * FZ_PG - bytes);
		break;
	case 3:			/* across the page boundary */
		off = FZ_PG - bytes / 2 - (bytes == 1 ? 0 : rnd_n(c, 1));
		break;
	default:
		off = rnd_n(c, (2 * FZ_PG - bytes) / m->len) * m->len;
		break;
	}
	return base + off;
}

/* What a loaded value should be, as it lands in a0. */
static u64 mmio_loaded(const struct mop *m, u64 addr)
{
	u64 v = mmio_value(addr, m->len, m->sext);

	if (m->kind == MK_FLOAD && m->len == 4)
		v |= 0xffffffff00000000UL;	/* NaN-boxed */
	return v;
}

static void mmio_fail(struct fz_ctx *c, const struct mop *m, u64 addr,
		      const char *what, u64 a, u64 b)
{
	GFAIL(c, "mmio %s at %#lx (%s): %s %#lx %#lx", m->name, addr,
	      (addr >= FZ_ROM && addr < FZ_ROM + 2 * FZ_PG) ? "ROM" : "MMIO",
	      what, a, b);
}

/*
 * Integer loads and stores: emulated exactly (the destination register
 * and no other changed), or a misaligned trap.
 */
static void mmio_check_int(struct fz_ctx *c, const struct mop *m,
			   const struct macc *a, u64 addr, const u64 *in,
			   bool rom, u32 slot)
{
	bool aligned = !(addr % m->len), store = m->kind == MK_STORE;
	u32 want_exits = rom && !store ? 0 : 1;
	u64 mis = store ? EXC_STORE_MISALIGN : EXC_LOAD_MISALIGN;
	u64 cause = c->f->cause[slot], tval = c->f->tval[slot];
	u64 keep = m->sp ? BIT(X_T5) : 0;
	int r;

	if (cause) {
		if (aligned || cause != mis || tval != addr)
			mmio_fail(c, m, addr, "trapped: cause, tval", cause, tval);
		return;
	}
	if (c->x->nexit != want_exits)
		mmio_fail(c, m, addr, "exits, expected", c->x->nexit, want_exits);
	if (!store && a->data && c->f->r[a->data] != mmio_loaded(m, addr))
		mmio_fail(c, m, addr, "loaded, expected", c->f->r[a->data],
			  mmio_loaded(m, addr));
	if (!store)
		keep |= BIT(a->data);
	r = regs_changed(c, keep, in);
	if (r)
		mmio_fail(c, m, addr, "register changed: x, insn", r, a->insn);
}

/* Everything else: an access fault, or an emulation that got it right. */
static void mmio_check_other(struct fz_ctx *c, const struct mop *m, u64 addr,
			     u64 bytes, u64 cause, u64 tval, bool rom)
{
	bool load = mop_is_load(m), aligned = !(addr % m->len);
	u64 fault = load ? EXC_LOAD_ACCESS_FAULT : EXC_STORE_ACCESS_FAULT;
	u64 mis = load ? EXC_LOAD_MISALIGN : EXC_STORE_MISALIGN;
	u64 lo = m->kind >= MK_CBO ? addr & ~63UL : addr;

	if (!mop_in_isa(m)) {
		if (cause != EXC_ILLEGAL)
			mmio_fail(c, m, addr, "not in the ISA, yet cause, tval",
				  cause, tval);
		return;
	}
	if (cause) {
		if (!((cause == fault && tval >= lo && tval < addr + bytes) ||
		      (cause == mis && !aligned)))
			mmio_fail(c, m, addr, "trapped: cause, tval", cause, tval);
		return;
	}
	/* Loads from ROM read memory; a failed SC touches nothing. */
	if ((rom && load) || (m->kind == MK_SC && c->f->r[X_A0]) ||
	    m->kind == MK_CBO) {
		if (c->x->nexit && m->kind != MK_CBO)
			mmio_fail(c, m, addr, "exited, yet needed no device: exits",
				  c->x->nexit, 0);
	} else if (!c->x->nexit) {
		mmio_fail(c, m, addr, "completed without a device access: a0",
			  c->f->r[X_A0], 0);
	}
	if ((load || m->kind == MK_AMO || m->kind == MK_CAS) &&
	    c->f->r[X_A0] != mmio_loaded(m, addr))
		mmio_fail(c, m, addr, "loaded, expected", c->f->r[X_A0],
			  mmio_loaded(m, addr));
}

static void mmio_one(struct fz_ctx *c)
{
	const struct mop *m;
	bool rom = chance(c, 35), exact;
	u32 nelem = 1 + rnd_n(c, 4), off;
	struct fz_frame *f = c->f;
	struct macc a;
	u64 addr, bytes, in[32];

	do {
		m = &mops[rnd_n(c, ARRAY_SIZE(mops))];
	} while (mop_skipped(m));
	bytes = m->kind == MK_VLOAD || m->kind == MK_VSTORE ?
		m->len * nelem : m->len;
	addr = mmio_addr(c, m, bytes, rom);
	mop_regs(c, m, &a);
	off = mmio_build(c, m, &a, nelem);
	frame_reset(f, (u64)c->stub, 0);
	f->r[a.data] = rnd(c);
	f->r[a.base] = addr - a.imm;
	f->r[0] = 0;
	memcpy(in, f->r, sizeof(in));
	exact = m->kind == MK_LOAD || m->kind == MK_STORE;
	expect(c, exact ? FZ_EX_MMIO : FZ_EX_MMIO_ANY, addr, m->len,
	       m->kind == MK_STORE, f->r[a.data], m->name);
	fz_call(f, 0);
	fz_check_self(c);
	expect_none(c);
	c->st->ops++;
	c->st->traps += !!f->cause[off / 4];
	if (f->host_err || host_vector_stray(c))
		return;		/* the host reported it, or the emulator */
	if (f->stray[0] || f->irq ||
	    (mop_in_isa(m) && f->ntraps > !!f->cause[off / 4]))
		mmio_fail(c, m, addr, "stray trap or a trap elsewhere: cause, epc",
			  f->stray[0] | f->irq, f->stray[1]);
	if (exact)
		mmio_check_int(c, m, &a, addr, in, rom, off / 4);
	else
		mmio_check_other(c, m, addr, bytes, f->cause[off / 4],
				 f->tval[off / 4], rom);
}

static void area_mmio(struct fz_ctx *c)
{
	u32 i;

	if (c->hart)
		return;
	for (i = 0; i < fz_p.iters; i++)
		mmio_one(c);
}

/* ------------------------------------------------------------------ */
/* Area span                                                          */
/* ------------------------------------------------------------------ */

static void span_fail(struct fz_ctx *c, int w, const struct mop *m,
		      const char *what, u64 a, u64 b)
{
	GFAIL(c, "span window %c, %s: %s %#lx %#lx", 'A' + w, m->name, what,
	      a, b);
}

/* A trap the window allows: fetch faults on the second page. */
static bool span_trap_ok(int w, int slot, u64 cause, u64 tval)
{
	u64 next = FZ_WIN_GVA(w) + FZ_PG;
	u64 want = (w == FZ_WIN_B || w == FZ_WIN_D) ? EXC_INST_PF :
		   EXC_INST_ACCESS_FAULT;

	if (w == FZ_WIN_A || cause != want)
		return false;
	if (slot == 0)
		return tval == next;
	/* The c.jr after the access: it ran, then the page went. */
	return (w == FZ_WIN_D || w == FZ_WIN_E) && (tval == next ||
						    tval == next + 2);
}

static void span_one(struct fz_ctx *c, int w)
{
	u64 win = FZ_WIN_GVA(w), pc = win + FZ_PG - 2;
	u8 *code = (u8 *)FZ_SPAN_PAGE(w);
	const struct mop *m = w == FZ_WIN_E ? &mops[3] :
			      &mops[rnd_n(c, NR_SPAN_MOPS)];
	u64 addr = FZ_MMIO + 8 * rnd_n(c, 256);
	struct fz_frame *f = c->f;
	u16 lo = m->insn, hi = m->insn >> 16, jr = C_JR_RA;
	int slot;

	memcpy(code + FZ_PG - 2, &lo, 2);
	if (w == FZ_WIN_A || w == FZ_WIN_D) {
		memcpy(code + FZ_PG, &hi, 2);
		memcpy(code + FZ_PG + 2, &jr, 2);
	}
	fence_i();
	sfence_vma();
	frame_reset(f, pc, (u64)fz_back);
	f->r[X_A1] = addr;
	f->r[X_A2] = rnd(c);
	expect(c, FZ_EX_MMIO, addr, m->len, m->kind == MK_STORE, f->r[X_A2],
	       m->name);
	fz_call(f, 0);
	fz_check_self(c);
	expect_none(c);
	c->st->ops++;
	c->st->traps += !!f->ntraps;
	if (f->host_err || host_vector_stray(c))
		return;
	slot = f->cause[0] ? 0 : (f->cause[1] ? 1 : -1);
	if (f->stray[0] || f->irq || f->ntraps > 1)
		span_fail(c, w, m, "stray trap, traps", f->stray[0] | f->irq,
			  f->ntraps);
	if (slot >= 0 && !span_trap_ok(w, slot, f->cause[slot], f->tval[slot]))
		span_fail(c, w, m, "trapped: cause, tval", f->cause[slot],
			  f->tval[slot]);
	if (slot < 0 && (w == FZ_WIN_B || w == FZ_WIN_C))
		span_fail(c, w, m, "ran: exits, a0", c->x->nexit, f->r[X_A0]);
	if (slot == 0 && c->x->nexit)
		span_fail(c, w, m, "trapped, yet the access exited", 0, 0);
	if (slot != 0 && w != FZ_WIN_B && w != FZ_WIN_C) {
		if (c->x->nexit != 1)
			span_fail(c, w, m, "exits, expected 1", c->x->nexit, 0);
		if (m->kind == MK_LOAD && f->r[X_A0] != mmio_loaded(m, addr))
			span_fail(c, w, m, "loaded, expected", f->r[X_A0],
				  mmio_loaded(m, addr));
	}
}

static void area_span(struct fz_ctx *c)
{
	u32 i;
	int w;

	if (c->hart == 1)
		racer(c);
	if (c->hart)
		return;
	GUEST_SYNC(FZ_SYNC_FLIP_ON);
	for (i = 0; i < fz_p.iters; i++) {
		w = rnd_n(c, FZ_WIN_E + 1);
		if (skipped(FZ_X_FETCH_HOLE) && (w == FZ_WIN_C || w == FZ_WIN_E))
			w = FZ_WIN_A;
		span_one(c, w);
	}
	GUEST_SYNC(FZ_SYNC_FLIP_OFF);
	WRITE_ONCE(fz_race_stop, 1);
}

/* ------------------------------------------------------------------ */
/* The guest's entry                                                  */
/* ------------------------------------------------------------------ */

static void (*const areas[FZ_NR_AREAS])(struct fz_ctx *c) = {
	[FZ_A_CSR] = area_csr,
	[FZ_A_SBI] = area_sbi,
	[FZ_A_HSM] = area_hsm,
	[FZ_A_MMIO] = area_mmio,
	[FZ_A_SPAN] = area_span,
	[FZ_A_V01] = area_v01,
};

static void guest_main(void)
{
	u32 hart = guest_get_vcpuid();
	struct fz_ctx ctx = {
		.hart = hart,
		.f = &fz_frames[hart],
		.x = &fz_exp[hart],
		.st = &fz_stat[hart],
		.stub = (u8 *)(FZ_RAM + FZ_PG_STUB * FZ_PG + hart * FZ_STUB_SIZE),
		.ustub = FZ_UALIAS + hart * FZ_STUB_SIZE,
	};

	fz_rng[hart] = fz_mix(fz_p.seed ^ (hart + 1));
	ctx.has_pmu = probe(EID_PMU);
	ctx.has_sta = probe(EID_STA);
	ctx.has_v01 = !ecall(3, 0, 0, 0, 0).error;
	/* FP and vector instructions need the guest's own FS and VS on. */
	csr_set(CSR_SSTATUS, SR_FS_INITIAL | (flag(FZ_F_V) ? FZ_SR_VS_INITIAL : 0));
	areas[fz_p.area](&ctx);
	if (!hart)
		GUEST_DONE();
	for (;;)
		asm volatile("wfi");
}

/* ------------------------------------------------------------------ */
/* Host                                                               */
/* ------------------------------------------------------------------ */

static const char *const area_names[FZ_NR_AREAS] = {
	"csr", "sbi", "hsm", "mmio", "span", "v01",
};

/* -x names, with the module each is known against where one is. */
static const char *const fz_checks[FZ_NR_X] = {
	[FZ_X_CSR_RO_ZERO] = "csr-ro-zero",
	[FZ_X_CSR_VU_COUNTER] = "csr-vu-counter",
	[FZ_X_SUSP_HI] = "susp-hi",
	[FZ_X_SUSP_RESERVED] = "susp-reserved",
	[FZ_X_SRST_HI] = "srst-hi",
	[FZ_X_SRST_REASON] = "srst-reserved",
	[FZ_X_HART_HI] = "hart-hi",
	[FZ_X_RFENCE_MASK] = "rfence-mask",
	[FZ_X_V01_A1] = "v01-a1",
	[FZ_X_SHMEM] = "shmem",
	[FZ_X_MMIO_AMO] = "mmio-amo",
	[FZ_X_MMIO_FP] = "mmio-fp",
	[FZ_X_MMIO_VEC] = "mmio-vec",
	[FZ_X_MMIO_CBO] = "mmio-cbo",
	[FZ_X_FETCH_HOLE] = "fetch-hole",
	[FZ_X_HSM_STATUS] = "hsm-status",
	[FZ_X_HOST_VECTOR] = "host-vector",
};

/* Work per round, by area (the csr area counts CSR numbers). */
static const u32 fz_iters[FZ_NR_AREAS] = {
	[FZ_A_CSR] = 1024, [FZ_A_SBI] = 1500, [FZ_A_HSM] = 50,
	[FZ_A_MMIO] = 1500, [FZ_A_SPAN] = 800, [FZ_A_V01] = 800,
};

struct fz_opts {
	u64 seed;
	u64 seconds;
	u64 rounds;
	u32 areas;	/* BIT(FZ_A_*) */
	u64 skip;	/* BIT(FZ_X_*) */
	bool verbose;
	bool csr_all;	/* FZ_F_CSR_ALL */
};

struct fz_total {
	u64 rounds, ops, traps, fails, events, hung, strays;
	u64 mmio_exits, sbi_exits, csr_exits;
	double secs;
};

static struct fz_total fz_tot[FZ_NR_AREAS];
static pthread_mutex_t fz_lock = PTHREAD_MUTEX_INITIALIZER;

struct fz_round;

struct fz_hart {
	struct fz_round *r;
	struct kvm_vcpu *vcpu;
	pthread_t thr;
	u32 id;
	u64 sp0;	/* the stack pointer it started with */
};

/* One round: a VM, its vCPU threads, what the host knows of it. */
struct fz_round {
	struct kvm_vm *vm;
	struct fz_hart hart[FZ_HARTS];
	u32 nr;
	int area;
	u64 seed;
	bool stop, done0, ended;
	struct fz_frame *frame[FZ_HARTS];
	struct fz_expect *exp[FZ_HARTS];
	struct fz_params *params;
	void *flip_mem;
	pthread_t flipper;
	bool flipping, flip_thread;
	u64 flip_rng;
	bool ours;
};

/*
 * Kinds of failure: a message with its numbers and hart taken out.  The
 * first FZ_SHOW of each kind are printed, all are counted and summed up
 * at the end.
 */
#define FZ_KINDS	512
#define FZ_SHOW		1

struct fz_kind {
	char key[160];
	u32 area;
	u64 count;
};

static struct fz_kind fz_kinds[FZ_KINDS];
static u32 fz_nkinds;

static void fz_key(const char *msg, char *key, size_t len)
{
	size_t n = 0;

	while (*msg && n < len - 1) {
		if (*msg >= '0' && *msg <= '9') {
			while (isxdigit(*msg) || *msg == 'x')
				msg++;
			key[n++] = '#';
			continue;
		}
		key[n++] = *msg == '\n' ? ' ' : *msg;
		msg++;
	}
	key[n] = 0;
}

/* Count one failure of @msg's kind: true if it should be printed. */
static bool fz_kind_count(int area, const char *msg)
{
	char key[sizeof(fz_kinds[0].key)];
	u32 i;

	fz_key(msg, key, sizeof(key));
	for (i = 0; i < fz_nkinds; i++)
		if (fz_kinds[i].area == area && !strcmp(fz_kinds[i].key, key))
			break;
	if (i == FZ_KINDS)
		return false;
	if (i == fz_nkinds) {
		fz_nkinds++;
		fz_kinds[i].area = area;
		memcpy(fz_kinds[i].key, key, sizeof(key));
	}
	return ++fz_kinds[i].count <= FZ_SHOW;
}

/* A failure the host saw: counted, and printed if its kind is new. */
static void __printf(3, 4) fz_fail(struct fz_round *r, int hart,
				   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&fz_lock);
	fz_tot[r->area].fails++;
	if (fz_kind_count(r->area, msg))
		printf("FAIL [round %u %s seed %#lx] hart %d: %s\n", r->nr,
		       area_names[r->area], r->seed, hart, msg);
	fflush(stdout);
	pthread_mutex_unlock(&fz_lock);
}

/* A guest's FAIL or NOTE line; guest failures are counted from fz_stat. */
static void fz_guest_msg(struct fz_round *r, int hart, const char *msg)
{
	const char *body = strstr(msg, ": ");

	pthread_mutex_lock(&fz_lock);
	if (!strncmp(msg, "NOTE ", 5)) {
		if (fz_kind_count(FZ_NR_AREAS, msg))
			printf("%s", msg);
	} else if (fz_kind_count(r->area, body ? body + 2 : msg)) {
		printf("[round %u %s seed %#lx] %s", r->nr, area_names[r->area],
		       r->seed, msg);
	}
	fflush(stdout);
	pthread_mutex_unlock(&fz_lock);
}

static void fz_kinds_report(void)
{
	u32 i;

	for (i = 0; i < fz_nkinds; i++)
		if (fz_kinds[i].area < FZ_NR_AREAS)
			ksft_print_msg("%8lu x %s: %s\n", fz_kinds[i].count,
				       area_names[fz_kinds[i].area],
				       fz_kinds[i].key);
}

static void fz_end_round(struct fz_round *r)
{
	WRITE_ONCE(r->ended, true);
}

static u64 fz_pc(struct kvm_vcpu *vcpu)
{
	u64 pc = 0;

	__vcpu_get_reg(vcpu, RISCV_CORE_REG(regs.pc), &pc);
	return pc;
}

/* Where the vCPU is and whose stack and frame it runs on, for a report. */
static const char *fz_regs_str(struct kvm_vcpu *vcpu)
{
	static __thread char buf[160];
	u64 pc = 0, sp = 0, tp = 0, ra = 0, scratch = 0;

	__vcpu_get_reg(vcpu, RISCV_CORE_REG(regs.pc), &pc);
	__vcpu_get_reg(vcpu, RISCV_CORE_REG(regs.sp), &sp);
	__vcpu_get_reg(vcpu, RISCV_CORE_REG(regs.tp), &tp);
	__vcpu_get_reg(vcpu, RISCV_CORE_REG(regs.ra), &ra);
	__vcpu_get_reg(vcpu, RISCV_GENERAL_CSR_REG(sscratch), &scratch);
	snprintf(buf, sizeof(buf),
		 "pc %#lx ra %#lx sp %#lx tp %#lx sscratch %#lx", pc, ra, sp,
		 tp, scratch);
	return buf;
}

/* ---- the memslot behind window E's second page ---- */

static void fz_flip_set(struct fz_round *r, bool on)
{
	struct kvm_userspace_memory_region m = {
		.slot = FZ_FLIP_SLOT,
		.guest_phys_addr = FZ_FLIP,
		.memory_size = on ? FZ_PG : 0,
		.userspace_addr = (u64)r->flip_mem,
	};

	if (ioctl(r->vm->fd, KVM_SET_USER_MEMORY_REGION, &m))
		fz_fail(r, -1, "KVM_SET_USER_MEMORY_REGION of the flip slot (%s): %s",
			on ? "add" : "delete", strerror(errno));
}

/* Delete and re-add the slot, at random intervals, while told to. */
static void *fz_flipper(void *arg)
{
	struct fz_round *r = arg;
	struct timespec ts = { 0 };
	bool on = true;

	while (READ_ONCE(r->flipping)) {
		on = !on;
		fz_flip_set(r, on);
		r->flip_rng = fz_mix(r->flip_rng + 1);
		ts.tv_nsec = 20000 + r->flip_rng % 500000;
		nanosleep(&ts, NULL);
	}
	if (!on)
		fz_flip_set(r, true);
	return NULL;
}

static void fz_flip_stop(struct fz_round *r)
{
	if (!r->flip_thread)
		return;
	WRITE_ONCE(r->flipping, false);
	pthread_join(r->flipper, NULL);
	r->flip_thread = false;
}

static bool fz_sync(struct fz_round *r, u64 what)
{
	switch (what) {
	case FZ_SYNC_FLIP_ON:
		if (!r->flip_thread) {
			WRITE_ONCE(r->flipping, true);
			pthread_create(&r->flipper, NULL, fz_flipper, r);
			r->flip_thread = true;
		}
		return true;
	case FZ_SYNC_FLIP_OFF:
		fz_flip_stop(r);
		return true;
	default:
		fz_fail(r, 0, "unknown GUEST_SYNC %lu", what);
		return true;
	}
}

/* ---- exits ---- */

static void fz_exit_sbi_fwd(struct fz_round *r, struct fz_hart *h)
{
	struct kvm_run *run = h->vcpu->run;
	struct fz_expect *x = r->exp[h->id];
	struct fz_frame *f = r->frame[h->id];
	u64 eid = run->riscv_sbi.extension_id, fid = run->riscv_sbi.function_id;
	u64 a[6];
	int i;

	for (i = 0; i < 6; i++)
		a[i] = run->riscv_sbi.args[i];
	__atomic_fetch_add(&fz_tot[r->area].sbi_exits, 1, __ATOMIC_RELAXED);
	if (READ_ONCE(x->kind) != FZ_EX_SBI || x->nexit) {
		fz_fail(r, h->id,
			"SBI call eid %#lx fid %#lx forwarded to userspace (guest at %s, %u before; %s; stacks from %#lx %#lx %#lx %#lx)",
			eid, fid, x->what, x->nexit, fz_regs_str(h->vcpu),
			r->hart[0].sp0, r->hart[1].sp0, r->hart[2].sp0,
			r->hart[3].sp0);
		return;
	}
	if (eid != f->r[17] || fid != f->r[16] ||
	    memcmp(a, &f->r[X_A0], sizeof(a)))
		fz_fail(r, h->id,
			"forwarded SBI call eid %#lx fid %#lx a0 %#lx differs from the guest's eid %#lx fid %#lx a0 %#lx",
			eid, fid, a[0], f->r[17], f->r[16], f->r[X_A0]);
	x->ret[0] = fz_sbi_answer(eid, fid, a, 0);
	x->ret[1] = fz_sbi_answer(eid, fid, a, 1);
	run->riscv_sbi.ret[0] = x->ret[0];
	/* A legacy call returns in a0 alone: leave ret[1] as KVM set it. */
	if (eid > 8)
		run->riscv_sbi.ret[1] = x->ret[1];
	WRITE_ONCE(x->nexit, x->nexit + 1);
}

static bool fz_exit_ucall(struct fz_round *r, struct fz_hart *h)
{
	struct ucall uc;

	switch (get_ucall(h->vcpu, &uc)) {
	case UCALL_PRINTF:
		fz_guest_msg(r, h->id, uc.buffer);
		return true;
	case UCALL_SYNC:
		return fz_sync(r, uc.args[1]);
	case UCALL_DONE:
		if (h->id)
			fz_fail(r, h->id, "GUEST_DONE from a secondary hart");
		WRITE_ONCE(r->done0, true);
		return false;
	case UCALL_ABORT:
		fz_fail(r, h->id, "guest assertion: %s", uc.buffer);
		break;
	case UCALL_UNHANDLED:
		fz_fail(r, h->id,
			"unexpected trap in the guest: vector %lu cause %lu at pc %#lx (%s)",
			uc.args[0], uc.args[1], fz_pc(h->vcpu),
			r->exp[h->id]->what);
		break;
	default:
		fz_fail(r, h->id, "unknown ucall");
		break;
	}
	fz_end_round(r);
	return false;
}

static bool fz_in(u64 a, u64 len, u64 base, u64 size)
{
	return a >= base && a + len <= base + size;
}

static void fz_exit_mmio(struct fz_round *r, struct fz_hart *h)
{
	struct kvm_run *run = h->vcpu->run;
	struct fz_expect *x = r->exp[h->id];
	u64 a = run->mmio.phys_addr, data = 0;
	u32 len = run->mmio.len, i;
	bool ok;

	__atomic_fetch_add(&fz_tot[r->area].mmio_exits, 1, __ATOMIC_RELAXED);
	memcpy(&data, run->mmio.data, len <= 8 ? len : 8);
	switch (READ_ONCE(x->kind)) {
	case FZ_EX_MMIO:
		ok = !x->nexit && a == x->gpa && len == x->len &&
		     run->mmio.is_write == x->write &&
		     (!x->write || !memcmp(run->mmio.data, &x->data, len));
		break;
	case FZ_EX_MMIO_ANY:
		ok = len && len <= 8 && (fz_in(a, len, FZ_MMIO, 2 * FZ_PG) ||
					 fz_in(a, len, FZ_ROM, 2 * FZ_PG));
		break;
	default:
		ok = false;
		break;
	}
	if (!ok)
		fz_fail(r, h->id,
			"MMIO exit addr %#lx len %u write %u data %#lx; the guest's %s expected addr %#lx len %u write %u data %#lx (exit %u)",
			a, len, run->mmio.is_write, data, x->what, x->gpa,
			x->len, x->write, x->data, x->nexit);
	if (!run->mmio.is_write)
		for (i = 0; i < len && i < 8; i++)
			run->mmio.data[i] = fz_pattern(a + i);
	WRITE_ONCE(x->nexit, x->nexit + 1);
}

static void fz_exit_csr(struct fz_round *r, struct fz_hart *h)
{
	struct kvm_run *run = h->vcpu->run;
	struct fz_expect *x = r->exp[h->id];
	u64 csr = run->riscv_csr.csr_num;

	__atomic_fetch_add(&fz_tot[r->area].csr_exits, 1, __ATOMIC_RELAXED);
	if (READ_ONCE(x->kind) != FZ_EX_CSR || csr != x->gpa)
		fz_fail(r, h->id, "KVM_EXIT_RISCV_CSR for csr %#lx (guest at %s %#lx)",
			csr, x->what, x->gpa);
	else if (csr != CSR_SEED_NR && (csr != CSR_STOPEI_NR || r->ours))
		fz_fail(r, h->id,
			"KVM_EXIT_RISCV_CSR for csr %#lx, which the design keeps in the kernel",
			csr);
	x->ret[x->nexit < 4 ? x->nexit : 3] = fz_csr_answer(csr, x->nexit);
	run->riscv_csr.ret_value = fz_csr_answer(csr, x->nexit);
	WRITE_ONCE(x->nexit, x->nexit + 1);
}

/* The VM ends: right if the guest made a valid SRST (or v0.1 shutdown). */
static void fz_exit_event(struct fz_round *r, struct fz_hart *h)
{
	struct kvm_run *run = h->vcpu->run;
	struct fz_expect *x = r->exp[h->id];
	u32 type = run->system_event.type;
	u64 reason = run->system_event.ndata ? run->system_event.data[0] : 0;

	__atomic_fetch_add(&fz_tot[r->area].events, 1, __ATOMIC_RELAXED);
	if (READ_ONCE(x->kind) != FZ_EX_SRST)
		fz_fail(r, h->id, "system event %u reason %#lx at %s", type,
			reason, x->what);
	else if (!x->srst_event)
		fz_fail(r, h->id,
			"SBI SRST a0 %#lx a1 %#lx (reserved by its low 32 bits) caused system event %u reason %#lx",
			r->frame[h->id]->r[X_A0], r->frame[h->id]->r[X_A1],
			type, reason);
	else if (x->srst_event != -1UL &&
		 (type + 1 != x->srst_event || (u32)reason != x->srst_reason))
		fz_fail(r, h->id, "SBI SRST a0 %#lx a1 %#lx: system event %u reason %#lx",
			r->frame[h->id]->r[X_A0], r->frame[h->id]->r[X_A1],
			type, reason);
	fz_end_round(r);
}

static bool fz_exit(struct fz_round *r, struct fz_hart *h)
{
	struct kvm_run *run = h->vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_RISCV_SBI:
		if (run->riscv_sbi.extension_id == KVM_RISCV_SELFTESTS_SBI_EXT)
			return fz_exit_ucall(r, h);
		fz_exit_sbi_fwd(r, h);
		return true;
	case KVM_EXIT_MMIO:
		fz_exit_mmio(r, h);
		return true;
	case KVM_EXIT_RISCV_CSR:
		fz_exit_csr(r, h);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		fz_exit_event(r, h);
		return false;
	default:
		fz_fail(r, h->id, "unexpected exit %s at pc %#lx (%s)",
			exit_reason_str(run->exit_reason), fz_pc(h->vcpu),
			r->exp[h->id]->what);
		fz_end_round(r);
		return false;
	}
}

/*
 * KVM_RUN failed.  For an access the guest should have got a fault for,
 * report it and step over the instruction so the round goes on.
 */
static bool fz_run_error(struct fz_round *r, struct fz_hart *h, int err)
{
	struct fz_expect *x = r->exp[h->id];
	struct fz_frame *f = r->frame[h->id];
	u64 pc = fz_pc(h->vcpu), next;
	u16 half;

	if ((err != EOPNOTSUPP && err != EIO) ||
	    (x->kind != FZ_EX_MMIO && x->kind != FZ_EX_MMIO_ANY)) {
		fz_fail(r, h->id, "KVM_RUN: %s (errno %d) at pc %#lx (%s)",
			strerror(err), err, pc, x->what);
		return false;
	}
	fz_fail(r, h->id, "KVM_RUN: %s at pc %#lx for %s at %#lx (len %u): the guest should get %s",
		err == EIO ? "EIO" : "EOPNOTSUPP", pc, x->what, x->gpa, x->len,
		x->kind == FZ_EX_MMIO ?
		"the access emulated, an instruction fetch fault or a misaligned trap" :
		"an access fault");
	next = f->resume;
	if (!next) {
		/* A stub in the fuzzer's RAM: the lib knows that mapping. */
		memcpy(&half, addr_gva2hva(r->vm, pc), sizeof(half));
		next = pc + ((half & 3) == 3 ? 4 : 2);
	}
	vcpu_set_reg(h->vcpu, RISCV_CORE_REG(regs.pc), next);
	f->host_err = err;
	return true;
}

static void *fz_hart_thread(void *arg)
{
	struct fz_hart *h = arg;
	struct fz_round *r = h->r;

	while (!READ_ONCE(r->stop) && !READ_ONCE(r->ended)) {
		if (__vcpu_run(h->vcpu)) {
			if (errno == EINTR)
				continue;
			if (fz_run_error(r, h, errno))
				continue;
			fz_end_round(r);
			break;
		}
		if (!fz_exit(r, h))
			break;
	}
	return NULL;
}

/* ---- building a round's VM ---- */

/* The leaf PTE of @gva, and its guest-physical address in *@gpa. */
static u64 *fz_pte(struct kvm_vm *vm, u64 gva, u64 *gpa)
{
	u64 table = rvkvm_vm_pgd(vm), at = 0, *pte = NULL;
	int level;

	for (level = rvkvm_vm_pt_levels(vm) - 1; level >= 0; level--) {
		at = table + ((gva >> (12 + 9 * level)) & 511) * 8;
		pte = addr_gpa2hva(vm, at);
		TEST_ASSERT(*pte & PGTBL_PTE_VALID_MASK, "no PTE for %#lx", gva);
		table = ((*pte & PGTBL_PTE_ADDR_MASK) >> PGTBL_PTE_ADDR_SHIFT)
			<< PGTBL_PAGE_SIZE_SHIFT;
	}
	if (gpa)
		*gpa = at;
	return pte;
}

static void fz_map(struct kvm_vm *vm, u64 gva, u64 gpa, u32 pages, bool user)
{
	u32 i;

	virt_map(vm, gva, gpa, pages);
	for (i = 0; user && i < pages; i++)
		*fz_pte(vm, gva + i * FZ_PG, NULL) |= PGTBL_PTE_USER_MASK;
}

static void fz_map_windows(struct kvm_vm *vm, struct fz_params *p)
{
	u64 pte_gpa;

	fz_map(vm, FZ_WIN_GVA(FZ_WIN_A), FZ_SPAN_PAGE(FZ_WIN_A), 2, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_B), FZ_SPAN_PAGE(FZ_WIN_B), 1, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_C), FZ_SPAN_PAGE(FZ_WIN_C), 1, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_C) + FZ_PG, FZ_HOLE, 1, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_D), FZ_SPAN_PAGE(FZ_WIN_D), 2, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_E), FZ_SPAN_PAGE(FZ_WIN_E), 1, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_E) + FZ_PG, FZ_FLIP, 1, false);
	fz_map(vm, FZ_WIN_GVA(FZ_WIN_UONLY), FZ_RAM + FZ_PG_MASK * FZ_PG, 1,
	       true);
	/* The racer rewrites window D's second PTE through this window. */
	fz_pte(vm, FZ_WIN_GVA(FZ_WIN_D) + FZ_PG, &pte_gpa);
	fz_map(vm, FZ_PTWIN, pte_gpa & ~(FZ_PG - 1), 1, false);
	p->pte_d = FZ_PTWIN + (pte_gpa & (FZ_PG - 1));
}

static void fz_memory(struct fz_round *r, struct fz_params *p)
{
	struct kvm_vm *vm = r->vm;
	const u8 *land;
	u8 *rom;
	size_t len;
	u64 i;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, FZ_RAM,
				    FZ_RAM_SLOT, FZ_RAM_PAGES, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, FZ_ROM,
				    FZ_ROM_SLOT, 2, KVM_MEM_READONLY);
	rom = addr_gpa2hva(vm, FZ_ROM);
	for (i = 0; i < 2 * FZ_PG; i++)
		rom[i] = fz_pattern(FZ_ROM + i);
	/* Window E's second page: the rest of "ld a0, 0(a1)", c.jr ra. */
	r->flip_mem = mmap(NULL, FZ_PG, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(r->flip_mem != MAP_FAILED, "mmap");
	((u16 *)r->flip_mem)[0] = mops[3].insn >> 16;
	((u16 *)r->flip_mem)[1] = C_JR_RA;
	fz_flip_set(r, true);

	land = rvkvm_asm_range(fz_land_start, fz_land_end, &len);
	memcpy(addr_gpa2hva(vm, FZ_RAM + FZ_PG_LAND * FZ_PG), land, len);
	p->land_slide = FZ_RAM + FZ_PG_LAND * FZ_PG;
	p->land = p->land_slide + 512;	/* 256 c.nop */

	fz_map(vm, FZ_RAM, FZ_RAM, FZ_RAM_PAGES, false);
	fz_map(vm, FZ_ROM, FZ_ROM, 2, false);
	fz_map(vm, FZ_MMIO, FZ_MMIO, 2, false);
	fz_map(vm, FZ_UALIAS, FZ_RAM + FZ_PG_STUB * FZ_PG, 1, true);
	fz_map_windows(vm, p);
}

static bool fz_isa(struct kvm_vcpu *vcpu, u64 ext)
{
	return __vcpu_has_isa_ext(vcpu, ext);
}

/* kvm.ignore_htinst: our module's switch to decode by HLVX. */
#define IGNORE_HTINST	"/sys/module/kvm/parameters/ignore_htinst"

static bool fz_set_hlvx(bool on)
{
	FILE *f = fopen(IGNORE_HTINST, "w");

	if (!f)
		return false;
	fputs(on ? "1" : "0", f);
	return !fclose(f);
}

static u64 fz_flags(struct fz_round *r, u64 rng)
{
	struct kvm_vcpu *v0 = r->hart[0].vcpu;
	u64 flags = 0;
	int i;

	if (r->ours)
		flags |= FZ_F_OURS;
	if (fz_isa(v0, KVM_RISCV_ISA_EXT_ZKR))
		flags |= FZ_F_ZKR;
	if (fz_isa(v0, KVM_RISCV_ISA_EXT_V))
		flags |= FZ_F_V;
	if (fz_isa(v0, KVM_RISCV_ISA_EXT_ZICBOM))
		flags |= FZ_F_ZICBOM;
	if (fz_isa(v0, KVM_RISCV_ISA_EXT_ZICBOZ))
		flags |= FZ_F_ZICBOZ;
	if (fz_isa(v0, KVM_RISCV_ISA_EXT_ZACAS))
		flags |= FZ_F_ZACAS;
	/* DBCN is off by default: switch it on in half the rounds. */
	if (rng & 1) {
		flags |= FZ_F_DBCN;
		for (i = 0; i < FZ_HARTS; i++)
			if (__vcpu_set_reg(r->hart[i].vcpu,
					   RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_DBCN), 1))
				flags &= ~FZ_F_DBCN;
	}
	if ((r->area == FZ_A_MMIO || r->area == FZ_A_SPAN) && (rng & 2) &&
	    fz_set_hlvx(true))
		flags |= FZ_F_HLVX;
	return flags;
}

static void fz_vm(struct fz_round *r, const struct fz_opts *o, u32 csr_first)
{
	struct kvm_vcpu *vcpus[FZ_HARTS];
	struct fz_params p = {
		.seed = r->seed,
		.skip = o->skip,
		.area = r->area,
		.iters = fz_iters[r->area],
		.csr_first = csr_first,
		.csr_count = fz_iters[FZ_A_CSR],
	};
	int i;

	r->vm = vm_create_with_vcpus(FZ_HARTS, guest_main, vcpus);
	vm_init_vector_tables(r->vm);
	for (i = 0; i < FZ_HARTS; i++) {
		vcpu_init_vector_tables(vcpus[i]);
		r->hart[i] = (struct fz_hart){ .r = r, .vcpu = vcpus[i], .id = i };
		rvkvm_get_reg(vcpus[i], RISCV_CORE_REG(regs.sp), &r->hart[i].sp0);
		r->frame[i] = addr_gva2hva(r->vm, (rvkvm_gva_t)&fz_frames[i]);
		r->exp[i] = addr_gva2hva(r->vm, (rvkvm_gva_t)&fz_exp[i]);
	}
	fz_memory(r, &p);
	p.flags = fz_flags(r, fz_mix(r->seed)) | (o->csr_all ? FZ_F_CSR_ALL : 0);
	rvkvm_get_reg(vcpus[0], RISCV_TIMER_REG(frequency), &p.tb_hz);
	r->params = addr_gva2hva(r->vm, (rvkvm_gva_t)&fz_p);
	*r->params = p;
}

/* ---- running a round ---- */

static double fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every hart thread out of KVM_RUN and joined: SIGUSR1 until it is. */
static void fz_stop_harts(struct fz_round *r)
{
	int i;

	WRITE_ONCE(r->stop, true);
	WRITE_ONCE(r->params->round_over, 1);
	for (i = 0; i < FZ_HARTS; i++) {
		while (pthread_tryjoin_np(r->hart[i].thr, NULL)) {
			pthread_kill(r->hart[i].thr, SIGUSR1);
			usleep(1000);
		}
	}
}

static void fz_hung(struct fz_round *r)
{
	int i;

	WRITE_ONCE(fz_tot[r->area].hung, fz_tot[r->area].hung + 1);
	for (i = 0; i < FZ_HARTS; i++)
		fz_fail(r, i, "round hung: %s, last at %s (stacks from %#lx %#lx %#lx %#lx)",
			fz_regs_str(r->hart[i].vcpu), r->exp[i]->what,
			r->hart[0].sp0, r->hart[1].sp0, r->hart[2].sp0,
			r->hart[3].sp0);
}

static void fz_collect(struct fz_round *r, double secs)
{
	struct fz_total *t = &fz_tot[r->area];
	struct fz_stats *st;
	int i;

	t->rounds++;
	t->secs += secs;
	for (i = 0; i < FZ_HARTS; i++) {
		st = addr_gva2hva(r->vm, (rvkvm_gva_t)&fz_stat[i]);
		t->ops += st->ops;
		t->traps += st->traps;
		t->fails += st->fails;
		t->strays += st->strays;
	}
}

static void fz_round(const struct fz_opts *o, u32 nr, int area, u32 csr_first)
{
	struct sigaction sa = { .sa_handler = rvkvm_on_sigusr1 };
	struct fz_round r = {
		.nr = nr,
		.area = area,
		.seed = fz_mix(o->seed + nr * 0x9e3779b97f4a7c15UL),
		.ours = rvkvm_module_is_ours(),
	};
	double start = fz_now(), deadline = start + FZ_ROUND_LIMIT;
	bool timed_out = false;
	int i;

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	r.flip_rng = r.seed;
	fz_vm(&r, o, csr_first);
	if (o->verbose)
		printf("# round %u: %s, seed %#lx, flags %#lx\n", nr,
		       area_names[area], r.seed, r.params->flags);
	for (i = 0; i < FZ_HARTS; i++)
		pthread_create(&r.hart[i].thr, NULL, fz_hart_thread, &r.hart[i]);
	while (!READ_ONCE(r.done0) && !READ_ONCE(r.ended)) {
		if (fz_now() > deadline) {
			timed_out = true;
			break;
		}
		usleep(5000);
	}
	fz_stop_harts(&r);
	fz_flip_stop(&r);
	if (timed_out)
		fz_hung(&r);
	fz_collect(&r, fz_now() - start);
	if (r.params->flags & FZ_F_HLVX)
		fz_set_hlvx(false);
	kvm_vm_free(r.vm);
	munmap(r.flip_mem, FZ_PG);
}

/* ---- the run ---- */

/* Unreclaimable slab plus per-CPU memory, in kB. */
static long fz_kmem(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v, sum = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld", &v) == 1 ||
		    sscanf(line, "Percpu: %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

static int fz_lookup(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -1;
}

/* A comma-separated list of names into a bit mask. */
static u64 fz_names(const char *const *names, int n, char *list)
{
	char *tok, *save = NULL;
	u64 mask = 0;
	int i;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		i = fz_lookup(names, n, tok);
		if (i < 0) {
			fprintf(stderr, "unknown name '%s'; one of:", tok);
			for (i = 0; i < n; i++)
				fprintf(stderr, " %s", names[i]);
			fprintf(stderr, "\n");
			exit(KSFT_FAIL);
		}
		mask |= BIT(i);
	}
	return mask;
}

static void fz_usage(void)
{
	fprintf(stderr,
		"usage: guest_fuzz [-s SEED] [-t SECONDS | -S] [-A] [-n ROUNDS] [-a AREA,...] [-x CHECK,...] [-v]\n");
	exit(KSFT_FAIL);
}

static void fz_parse(int argc, char **argv, struct fz_opts *o)
{
	int c;

	o->seed = (u64)time(NULL) ^ ((u64)getpid() << 32);
	o->seconds = FZ_CI_SECONDS;
	o->areas = BIT(FZ_NR_AREAS) - 1;
	while ((c = getopt(argc, argv, "s:t:SAn:a:x:vh")) != -1) {
		switch (c) {
		case 's':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			o->seconds = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			o->seconds = FZ_SOAK_SECONDS;
			o->csr_all = true;
			break;
		case 'A':
			o->csr_all = true;
			break;
		case 'n':
			o->rounds = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			o->areas = fz_names(area_names, FZ_NR_AREAS, optarg);
			break;
		case 'x':
			o->skip |= fz_names(fz_checks, FZ_NR_X, optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		default:
			fz_usage();
		}
	}
}

/*
 * The next area: each enabled one in turn first, so every run covers
 * all of them; the csr area until its sweep of 4096 CSRs is complete;
 * then at random.
 */
static int fz_pick(const struct fz_opts *o, u32 nr, u64 *rng, u32 *csr_next,
		   u32 *csr_first)
{
	int area, n = __builtin_popcount(o->areas);

	if (nr < n) {
		for (area = 0; !(o->areas & BIT(area)) || nr; area++)
			if (o->areas & BIT(area))
				nr--;
	} else if ((o->areas & BIT(FZ_A_CSR)) && *csr_next < 4096) {
		area = FZ_A_CSR;
	} else {
		do {
			*rng = fz_mix(*rng + 1);
			area = *rng % FZ_NR_AREAS;
		} while (!(o->areas & BIT(area)));
	}
	if (area == FZ_A_CSR) {
		*csr_first = *csr_next < 4096 ? *csr_next :
			     (*rng >> 8) % 4096;
		*csr_next += fz_iters[FZ_A_CSR];
	}
	return area;
}

static void fz_report(const struct fz_opts *o)
{
	struct fz_total *t;
	int i;

	for (i = 0; i < FZ_NR_AREAS; i++) {
		t = &fz_tot[i];
		if (!(o->areas & BIT(i)))
			continue;
		ksft_print_msg("%s: %lu rounds in %.1f s, %lu operations (%lu trapped)\n",
			       area_names[i], t->rounds, t->secs, t->ops,
			       t->traps);
		ksft_print_msg("%s: exits: %lu MMIO, %lu SBI, %lu CSR, %lu system events\n",
			       area_names[i], t->mmio_exits, t->sbi_exits,
			       t->csr_exits, t->events);
		if (t->strays)
			ksft_print_msg("%s: %lu operations not judged (-x host-vector)\n",
				       area_names[i], t->strays);
		ksft_test_result(t->rounds && !t->fails,
				 "%s: %lu failures%s\n", area_names[i], t->fails,
				 t->hung ? ", hung" : "");
	}
}

int main(int argc, char **argv)
{
	struct fz_opts o = { 0 };
	double start, end;
	u32 nr, csr_next = 0, csr_first = 0;
	long kmem0, kmem1;
	u64 rng;
	int area, i;

	fz_parse(argc, argv, &o);
	printf("seed %lu\n", o.seed);
	fflush(stdout);
	ksft_print_header();
	ksft_set_plan(__builtin_popcount(o.areas) + 1);
	ksft_print_msg("module: %s; checks off:%s", rvkvm_module_is_ours() ?
		       "rvkvm" : "in-tree", o.skip ? "" : " none");
	for (i = 0; i < FZ_NR_X; i++)
		if (o.skip & BIT(i))
			printf(" %s", fz_checks[i]);
	printf("\n");
	rng = o.seed;
	kmem0 = fz_kmem();
	start = fz_now();
	end = start + o.seconds;
	for (nr = 0; (!o.rounds || nr < o.rounds) &&
	     (o.rounds || nr < __builtin_popcount(o.areas) || fz_now() < end);
	     nr++) {
		area = fz_pick(&o, nr, &rng, &csr_next, &csr_first);
		fz_round(&o, nr, area, csr_first);
	}
	kmem1 = fz_kmem();
	ksft_print_msg("%u rounds in %.1f s; unreclaimable kernel memory %+ld kB\n",
		       nr, fz_now() - start, kmem1 - kmem0);
	fz_kinds_report();
	fz_report(&o);
	ksft_test_result(kmem1 - kmem0 < FZ_LEAK_MB * 1024,
			 "kernel memory growth %ld kB below %d MB\n",
			 kmem1 - kmem0, FZ_LEAK_MB);
	ksft_finished();
}
