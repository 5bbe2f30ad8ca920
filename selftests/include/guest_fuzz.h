/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest_fuzz: what the guest and the host side of the fuzzer share.  The
 * test is one binary; its globals exist twice, once in the host process
 * and once in guest memory (the host reaches the guest's copy through
 * addr_gva2hva()).
 */
#ifndef GUEST_FUZZ_H
#define GUEST_FUZZ_H

#include <linux/const.h>
#include "kvm_util.h"

#define FZ_HARTS	4
#define FZ_PG		4096UL

/*
 * Guest-physical layout.  Everything here is mapped at the same guest
 * virtual address (gva == gpa), so code a hart runs with translation off
 * (after an HSM start) and code running on the page tables agree.
 */
#define FZ_RAM		0x10000000UL	/* slot 10: the fuzzer's own RAM */
#define FZ_RAM_PAGES	24
#define FZ_PG_LAND	0	/* landing code for harts HSM starts */
#define FZ_PG_HSM	1	/* per-hart HSM records (struct fz_hsm_rec) */
#define FZ_PG_STUB	2	/* generated stubs, FZ_STUB_SIZE per hart */
#define FZ_PG_MASK	3	/* 3-4: v0.1 hart masks, a quarter per hart */
#define FZ_PG_SCRATCH	5	/* 5-8: what SBI calls may write (STA, PMU) */
#define FZ_NR_SCRATCH	4
#define FZ_PG_SPAN	9	/* 9-18: two pages per span window */
#define FZ_ROM		0x18000000UL	/* slot 11, KVM_MEM_READONLY, 2 pages */
#define FZ_MMIO		0x20000000UL	/* no memslot; 2 pages mapped */
#define FZ_HOLE		0x21000000UL	/* no memslot: a span window's 2nd page */
#define FZ_FLIP		0x22000000UL	/* slot 12: the host adds and deletes it */
#define FZ_BEYOND	0x3f00000000UL	/* far past every memslot */
#define FZ_UALIAS	0x30000000UL	/* the stub page again, with the U bit */
#define FZ_WIN		0x40000000UL	/* windows with mappings of their own */
#define FZ_WIN_STRIDE	0x10000UL
#define FZ_PTWIN	0x50000000UL	/* page-table page of window D's PTE */

#define FZ_RAM_SLOT	10
#define FZ_ROM_SLOT	11
#define FZ_FLIP_SLOT	12

#define FZ_STUB_SIZE	128
#define FZ_SLOTS	8	/* a stub's first 32 bytes, 4 per slot */

/*
 * Span windows: a 4-byte instruction at the last two bytes of the first
 * page; what backs the second page differs.
 */
enum {
	FZ_WIN_A,	/* RAM: the instruction runs */
	FZ_WIN_B,	/* not in the guest page table */
	FZ_WIN_C,	/* mapped to a guest-physical hole */
	FZ_WIN_D,	/* RAM, its PTE toggled by another hart */
	FZ_WIN_E,	/* a memslot the host adds and deletes */
	FZ_WIN_UONLY,	/* the mask page again, U bit: S-mode may not read */
	FZ_WIN_UNMAPPED,	/* nothing */
	FZ_NR_WIN,
};

#define FZ_WIN_GVA(w)	(FZ_WIN + (w) * FZ_WIN_STRIDE)
#define FZ_SPAN_PAGE(w)	(FZ_RAM + (FZ_PG_SPAN + 2 * (w)) * FZ_PG)

enum { FZ_A_CSR, FZ_A_SBI, FZ_A_HSM, FZ_A_MMIO, FZ_A_SPAN, FZ_A_V01,
	FZ_NR_AREAS };

/* Facts about this round's guest, from the host. */
#define FZ_F_OURS	_BITUL(0)	/* the module under test is rvkvm */
#define FZ_F_ZKR	_BITUL(1)
#define FZ_F_V		_BITUL(2)
#define FZ_F_ZICBOM	_BITUL(3)
#define FZ_F_ZICBOZ	_BITUL(4)
#define FZ_F_DBCN	_BITUL(5)	/* SBI DBCN enabled through ONE_REG */
#define FZ_F_HLVX	_BITUL(6)	/* kvm.ignore_htinst is set */
#define FZ_F_ZACAS	_BITUL(7)
#define FZ_F_CSR_ALL	_BITUL(8)	/* both variants of every CSR form */

/*
 * Checks that -x can switch off, one bit each, for where a module is
 * known to fail: fuzzing of everything else goes on.
 */
enum {
	FZ_X_CSR_RO_ZERO,	/* csrrs/c rs1!=x0 holding 0 on a counter */
	FZ_X_CSR_VU_COUNTER,	/* VU-mode counter reads scounteren forbids */
	FZ_X_SUSP_HI,		/* HSM suspend_type bits 63:32 ignored */
	FZ_X_SUSP_RESERVED,	/* reserved suspend types: INVALID_PARAM */
	FZ_X_SRST_HI,		/* SRST type/reason bits 63:32 ignored */
	FZ_X_SRST_REASON,	/* reserved SRST types, reasons: INVALID_PARAM */
	FZ_X_HART_HI,		/* a hart id above 32 bits is no hart */
	FZ_X_RFENCE_MASK,	/* RFENCE to a hart that does not exist */
	FZ_X_V01_A1,		/* forwarded v0.1 calls keep a1 */
	FZ_X_SHMEM,		/* STA/PMU shared memory rules */
	FZ_X_MMIO_AMO,		/* AMO, LR/SC, CAS on MMIO and ROM */
	FZ_X_MMIO_FP,		/* FP loads and stores on MMIO */
	FZ_X_MMIO_VEC,		/* vector loads and stores on MMIO */
	FZ_X_MMIO_CBO,		/* cache-block ops on MMIO */
	FZ_X_FETCH_HOLE,	/* instruction fetch from a guest-physical hole */
	FZ_X_HSM_STATUS,	/* status of a hart that does not exist */
	FZ_X_HOST_VECTOR,	/* QEMU 10: guest traps at the host's vector */
	FZ_NR_X,
};

struct fz_params {
	u64 seed;	/* this round's */
	u64 skip;	/* BIT(FZ_X_*): checks switched off */
	u64 flags;	/* FZ_F_* */
	u64 tb_hz;	/* timebase frequency */
	u64 pte_d;	/* gva of the PTE of window D's second page */
	u64 land;	/* gpa of the landing code's entry */
	u64 land_slide;	/* gpa of the c.nop slide before it */
	u32 area;
	u32 iters;
	u32 csr_first;
	u32 csr_count;
	u32 round_over;	/* written by the host at the end of a round */
	u32 pad;
};

/*
 * The register file around a generated stub, and the traps its first
 * FZ_SLOTS instructions took.  fz_call() loads x5-x7, x10-x17 and x28-x31
 * from r[] before the stub runs and stores them back after.  The offsets
 * are used by the assembly in guest_fuzz.c.
 */
#define FZF_R		0
#define FZF_STUB	256
#define FZF_RESUME	264
#define FZF_SP		272
#define FZF_STVEC	280
#define FZF_SIE		288
#define FZF_VT		296
#define FZF_NTRAPS	320
#define FZF_IRQ		328
#define FZF_STRAY	336
#define FZF_CAUSE	360
#define FZF_TVAL	(FZF_CAUSE + 8 * FZ_SLOTS)
#define FZF_HOSTERR	(FZF_TVAL + 8 * FZ_SLOTS)

struct fz_frame {
	u64 r[32];
	u64 stub;	/* address of the stub's first instruction */
	u64 resume;	/* 0: skip a faulting instruction; else go here */
	u64 sp, stvec, sie;
	u64 vt[3];	/* t4-t6 while the trap vector runs */
	u64 ntraps;
	u64 irq;	/* an interrupt's cause, if one came */
	u64 stray[3];	/* cause, epc, tval of a trap outside the stub */
	u64 cause[FZ_SLOTS];
	u64 tval[FZ_SLOTS];
	u64 host_err;	/* errno of a KVM_RUN the host stepped over */
};

/* What the host should see from a hart next (struct fz_expect.kind). */
enum {
	FZ_EX_NONE,
	FZ_EX_MMIO,	/* one exit: gpa, len, write (and data) exactly */
	FZ_EX_MMIO_ANY,	/* any number of exits inside the MMIO/ROM pages */
	FZ_EX_SBI,	/* at most one forwarded SBI call: the frame's a0-a7 */
	FZ_EX_CSR,	/* CSR exits for the CSR in gpa */
	FZ_EX_SRST,	/* an SBI call that may end the VM */
};

struct fz_expect {
	u32 kind;
	u32 len;
	u64 gpa;
	u64 data;
	u32 write;
	u32 nexit;	/* host: exits it saw for this expectation */
	u64 ret[4];	/* host: what it answered */
	u64 srst_event;	/* FZ_EX_SRST: KVM_SYSTEM_EVENT_* + 1 it must cause, or 0 */
	u64 srst_reason;
	char what[40];	/* for the host's messages */
};

struct fz_stats {
	u64 ops;	/* accesses, calls, instructions tried */
	u64 traps;	/* of them, those that trapped in the guest */
	u64 fails;
	u64 strays;	/* not judged: see host_vector_stray() */
};

/* Per-hart HSM record in FZ_PG_HSM, written by the landing code. */
struct fz_hsm_rec {
	u64 entries;
	u64 opaque;
	u64 release;
	u64 stop_ret;
	u64 pad[4];
};

/* The guest's stub trampoline and where stubs return to (guest_fuzz.c). */
void fz_call(struct fz_frame *f, long user);
extern char fz_back[];

/* xorshift64*: both sides use it, so answers can be predicted. */
static inline u64 fz_mix(u64 x)
{
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dUL;
}

/* Byte i of the data a device (or the ROM) has at guest-physical @gpa. */
static inline u8 fz_pattern(u64 gpa)
{
	return (u8)(fz_mix(gpa | 1) >> 24);
}

/* The host's answer to a forwarded SBI call. */
static inline u64 fz_sbi_answer(u64 eid, u64 fid, const u64 *a, int which)
{
	u64 h = fz_mix(eid + 1) ^ fz_mix(fid + 3);
	int i;

	for (i = 0; i < 6; i++)
		h = fz_mix(h ^ a[i]);
	return which ? fz_mix(h) : h;
}

/* The host's answer to the n-th CSR exit of an expectation. */
static inline u64 fz_csr_answer(u64 csr, u64 n)
{
	return fz_mix(csr * 131 + n + 7);
}

#endif /* GUEST_FUZZ_H */
