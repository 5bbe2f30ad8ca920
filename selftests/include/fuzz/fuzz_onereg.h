/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Area "onereg": KVM_GET_ONE_REG, KVM_SET_ONE_REG and KVM_GET_REG_LIST
 * over the whole id space, with ISA_EXT and SBI_EXT toggles, before and
 * after the first KVM_RUN.
 *
 * Every id is judged by a model of the RISC-V register space built from
 * the uapi (asm/kvm.h) and the vCPU's current ISA and SBI extensions:
 * a register that exists must GET with its size and SET the value just
 * read; a wrong size is EINVAL; an index past a block, an absent
 * extension's register or an unknown type is ENOENT; a bad address is
 * EFAULT; changing the ISA, SBI extensions or machine ids after the
 * first run is EBUSY.  Where 6.12 orders its checks differently the
 * model accepts both answers; where our module differs on purpose
 * (Documentation/design.rst: AIA and Smstateen ids, TIMER state, the STA
 * address; onereg_errno: ids of another arch, config isa bits 32-63)
 * it asks which module is loaded.  KVM_GET_REG_LIST must list exactly
 * the registers the model says exist and are listed.
 *
 * Each thread owns a VM with vCPU A, which only it touches, and vCPU B,
 * which a runner thread keeps in KVM_RUN meanwhile (values race there,
 * so only errnos are checked on B).
 */
#ifndef FUZZ_ONEREG_H
#define FUZZ_ONEREG_H

#include "fuzz_guest.h"

#define FZ_ISA_MAX	KVM_RISCV_ISA_EXT_MAX
#define FZ_SBI_MAX	KVM_RISCV_SBI_EXT_MAX
#define FZ_REG_MAX	1024
#define FZ_TYPE(id)	(((id) & KVM_REG_RISCV_TYPE_MASK) >> KVM_REG_RISCV_TYPE_SHIFT)
#define FZ_SUB(id)	(((id) & KVM_REG_RISCV_SUBTYPE_MASK) >> KVM_REG_RISCV_SUBTYPE_SHIFT)
#define FZ_IDX(id)	((id) & 0xffffULL)
#define FZ_SIZE_CODE(id) (((id) & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT)
#define FZ_WITH_SIZE(id, code) \
	(((id) & ~KVM_REG_SIZE_MASK) | ((u64)(code) << KVM_REG_SIZE_SHIFT))
#define FZ_UNUSED_BITS	GENMASK_ULL(51, 32)

#define FZ_CONFIG(n)	(FZ_REG_UL | KVM_REG_RISCV_CONFIG | KVM_REG_RISCV_CONFIG_REG(n))
#define FZ_ISA(n)	(FZ_REG_UL | KVM_REG_RISCV_ISA_EXT | (n))
#define FZ_SBI(n)	(FZ_REG_UL | KVM_REG_RISCV_SBI_EXT | (n))
#define FZ_VLENB	(FZ_REG_UL | KVM_REG_RISCV_VECTOR | \
			 KVM_REG_RISCV_VECTOR_CSR_REG(vlenb))

enum { FZ_RAN_NO, FZ_RAN_MAYBE, FZ_RAN_YES };

/* One vCPU's register space as last seen. */
struct fz_regs {
	struct fz_vcpu *v;
	bool shared;		/* a runner thread runs it: values race */
	int ran;
	bool host_isa[FZ_ISA_MAX], isa[FZ_ISA_MAX];
	bool sbi_avail[FZ_SBI_MAX], sbi_on[FZ_SBI_MAX];
	u64 vlenb;
	u64 n, list[FZ_REG_MAX];
};

/* Before the first run, may extension N be turned on (off)?  Learned. */
static int fz_isa_rule[FZ_ISA_MAX][2];

/* Changes after KVM_RUN calls that may not have entered: allowed, EBUSY. */
static u64 fz_maybe_ok, fz_maybe_busy;

/* --- The model -------------------------------------------------------------- */

/* What an access to an id does: err 0 means the register exists. */
struct fz_want {
	int err;
	u64 also;	/* other acceptable errnos, fz_e() */
};

static inline struct fz_want fz_w(int err, u64 also)
{
	return (struct fz_want){ err, also };
}

/* The ids the uapi defines a meaning for, type by type. */
static struct fz_want fz_model_type(const struct fz_regs *g, u64 id, u64 type,
				    u64 sub, u64 idx, unsigned int size)
{
	bool ul = size == 8;

	switch (type) {
	case 1:		/* CONFIG */
	case 2:		/* CORE */
	case 4:		/* TIMER */
		/* 6.12 checks the size before the subtype. */
		if (sub)
			return fz_w(ENOENT, fz_e(EINVAL));
		if (!ul)
			return fz_w(EINVAL, 0);
		if (idx >= (type == 1 ? 7 : type == 2 ? 33 : 4))
			return fz_w(ENOENT, 0);
		if (type == 1 && idx == KVM_REG_RISCV_CONFIG_REG(zicbom_block_size) &&
		    !g->isa[KVM_RISCV_ISA_EXT_ZICBOM])
			return fz_w(ENOENT, 0);
		if (type == 1 && idx == KVM_REG_RISCV_CONFIG_REG(zicboz_block_size) &&
		    !g->isa[KVM_RISCV_ISA_EXT_ZICBOZ])
			return fz_w(ENOENT, 0);
		return fz_w(0, 0);
	case 3:		/* CSR */
		if (sub > 2)
			return ul ? fz_w(ENOENT, 0) : fz_w(EINVAL, fz_e(ENOENT));
		if (!ul)
			return fz_w(EINVAL, 0);
		if (sub == 0)
			return fz_w(idx < 11 ? 0 : ENOENT, 0);
		if (sub == 1) {
			/* Without Ssaia 6.12 reads 0 and ignores writes. */
			if (g->isa[KVM_RISCV_ISA_EXT_SSAIA] || !fz.ours)
				return fz_w(idx < 7 ? 0 : ENOENT, 0);
			return fz_w(ENOENT, 0);
		}
		if (g->isa[KVM_RISCV_ISA_EXT_SMSTATEEN] && !idx)
			return fz_w(0, 0);
		if (fz.ours)
			return fz_w(ENOENT, 0);
		/* 6.12: EINVAL past index 0 or without a host Smstateen. */
		if (g->host_isa[KVM_RISCV_ISA_EXT_SMSTATEEN] && !idx)
			return fz_w(0, 0);
		return fz_w(EINVAL, 0);
	case 5:		/* FP_F */
		if (!g->isa[KVM_RISCV_ISA_EXT_F])
			return fz_w(ENOENT, 0);
		if (sub)
			return fz_w(ENOENT, fz_e(EINVAL));
		if (size != 4)
			return fz_w(EINVAL, 0);
		return fz_w(idx <= 32 ? 0 : ENOENT, 0);
	case 6:		/* FP_D: no D, then the index, before any size */
		if (!g->isa[KVM_RISCV_ISA_EXT_D] || sub || idx > 32)
			return fz_w(ENOENT, 0);
		return fz_w(size == (idx == 32 ? 4 : 8) ? 0 : EINVAL, 0);
	case 7:		/* ISA_EXT */
	case 8:		/* SBI_EXT */
		if (!ul)
			return sub > 2 ? fz_w(EINVAL, fz_e(ENOENT)) : fz_w(EINVAL, 0);
		if (sub == 1 || sub == 2)
			return fz_w(idx <= (type == 7 ? KVM_REG_RISCV_ISA_MULTI_REG_LAST :
					    KVM_REG_RISCV_SBI_MULTI_REG_LAST) ? 0 : ENOENT, 0);
		if (sub)
			return fz_w(ENOENT, 0);
		if (type == 7)
			return fz_w(idx < FZ_ISA_MAX && g->host_isa[idx] ? 0 : ENOENT, 0);
		return fz_w(idx < FZ_SBI_MAX && g->sbi_avail[idx] ? 0 : ENOENT, 0);
	case 9:		/* VECTOR */
		if (!g->isa[KVM_RISCV_ISA_EXT_V] || sub)
			return fz_w(ENOENT, 0);
		if (idx < 6) {
			if (!ul)
				return fz_w(EINVAL, 0);
			/* datap has an index but no register */
			return fz_w(idx == 5 ? ENOENT : 0, 0);
		}
		if (idx < 38)
			return fz_w(size == g->vlenb ? 0 : EINVAL, 0);
		return fz_w(ENOENT, 0);
	case 10:	/* SBI_STATE: 6.12 says EINVAL for most of it */
		if (sub || !g->sbi_avail[KVM_RISCV_SBI_EXT_STA])
			return fz_w(ENOENT, fz_e(EINVAL));
		if (!ul || idx >= 2)
			return fz_w(EINVAL, 0);
		return fz_w(0, 0);
	default:
		return fz_w(ENOENT, 0);
	}
}

/*
 * What a ONE_REG access to @id must answer, the address aside.  6.12
 * ignores the arch bits of an id; ours refuses another arch's ids
 * (selftests/onereg_errno.c).
 */
static struct fz_want fz_model(const struct fz_regs *g, u64 id, bool set,
			       u64 val)
{
	u64 type = FZ_TYPE(id), sub = FZ_SUB(id);
	struct fz_want w;

	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_RISCV) {
		if (fz.ours)
			return fz_w(ENOENT, 0);
		id = (id & ~KVM_REG_ARCH_MASK) | KVM_REG_RISCV;
	}
	if (id & FZ_UNUSED_BITS)
		w = fz_w(ENOENT, fz_e(EINVAL));
	else
		w = fz_model_type(g, id, type, sub, FZ_IDX(id), KVM_REG_SIZE(id));
	/*
	 * 6.12 answers an SBI_EXT write after the run, or of a value
	 * other than 0 or 1, before it looks the id up.
	 */
	if (set && type == 8 && w.err && KVM_REG_SIZE(id) == 8) {
		if (g->ran != FZ_RAN_NO)
			w.also |= fz_e(EBUSY);
		if (!sub && val > 1)
			w.also |= fz_e(EINVAL);
	}
	return w;
}

/* Is @id one KVM_GET_REG_LIST must report (it exists, and is listed)? */
static bool fz_model_listed(const struct fz_regs *g, u64 id)
{
	u64 type = FZ_TYPE(id), sub = FZ_SUB(id);

	if (fz_model(g, id, false, 0).err)
		return false;
	if ((type == 7 || type == 8) && sub)
		return false;
	if (type == 10)
		return g->sbi_on[KVM_RISCV_SBI_EXT_STA];
	if (type == 3 && sub == 1)
		return g->isa[KVM_RISCV_ISA_EXT_SSAIA];
	if (type == 3 && sub == 2)
		return g->isa[KVM_RISCV_ISA_EXT_SMSTATEEN];
	return true;
}

/* Every candidate id with its natural size, in KVM_GET_REG_LIST's order. */
static u64 fz_model_list(const struct fz_regs *g, u64 *out)
{
	static const struct { u64 type, sub, nr; int code; } blk[] = {
		{ 1, 0, 7, 3 }, { 2, 0, 33, 3 }, { 3, 0, 11, 3 }, { 3, 1, 7, 3 },
		{ 3, 2, 1, 3 }, { 4, 0, 4, 3 }, { 5, 0, 33, 2 }, { 6, 0, 33, 3 },
		{ 9, 0, 38, 3 }, { 7, 0, FZ_ISA_MAX, 3 }, { 8, 0, FZ_SBI_MAX, 3 },
		{ 10, 0, 2, 3 },
	};
	u64 i, idx, id, n = 0;
	int code;

	for (i = 0; i < ARRAY_SIZE(blk); i++) {
		for (idx = 0; idx < blk[i].nr; idx++) {
			code = blk[i].code;
			if (blk[i].type == 6 && idx == 32)
				code = 2;
			if (blk[i].type == 9 && idx >= 6)
				code = __builtin_ctzll(g->vlenb ? g->vlenb : 1);
			id = KVM_REG_RISCV | ((u64)code << KVM_REG_SIZE_SHIFT) |
			     (blk[i].type << KVM_REG_RISCV_TYPE_SHIFT) |
			     (blk[i].sub << KVM_REG_RISCV_SUBTYPE_SHIFT) | idx;
			if (fz_model_listed(g, id) && n < FZ_REG_MAX)
				out[n++] = id;
		}
	}
	return n;
}

/* --- Reading the vCPU's state --------------------------------------------- */

static int fz_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* KVM_GET_REG_LIST into g->list (sorted); the E2BIG probe is checked. */
static void fz_read_list(struct fz_thread *t, struct fz_regs *g)
{
	struct kvm_reg_list *l;
	struct kvm_reg_list probe = { .n = 0 };
	u64 n, i, j;
	int r;

	r = fz_tioctl(t, "KVM_GET_REG_LIST", g->v->fd, KVM_GET_REG_LIST, &probe);
	fz_expect("reglist_e2big", fz_e(E2BIG), r, "KVM_GET_REG_LIST with n = 0");
	n = probe.n;
	if (!fz_check(n > 0 && n < FZ_REG_MAX, "reglist_n",
		      "KVM_GET_REG_LIST says %llu registers", (unsigned long long)n))
		return;
	/* fz.buf is shared: a private copy keeps threads apart. */
	l = malloc(sizeof(*l) + n * sizeof(u64));
	l->n = n;
	r = fz_tioctl(t, "KVM_GET_REG_LIST", g->v->fd, KVM_GET_REG_LIST, l);
	fz_expect("reglist_exact", FZ_OK, r, "KVM_GET_REG_LIST with n = %llu",
		  (unsigned long long)n);
	if (!r) {
		memcpy(g->list, l->reg, n * sizeof(u64));
		g->n = n;
		qsort(g->list, n, sizeof(u64), fz_cmp_u64);
		for (i = 1, j = 0; i < n; i++)
			j += g->list[i] == g->list[i - 1];
		fz_check(!j, "reglist_unique", "%llu duplicate ids",
			 (unsigned long long)j);
	}
	free(l);
}

/* Which ISA and SBI extensions the host offers and the vCPU has; vlenb. */
static void fz_read_exts(struct fz_regs *g)
{
	int fd = g->v->fd, r;
	u64 i, val;

	for (i = 0; i < FZ_ISA_MAX; i++) {
		r = fz_get_ul(fd, FZ_ISA(i), &val);
		fz_expect("isa_single_get", FZ_OK | fz_e(ENOENT), r,
			  "GET ISA_EXT %llu", (unsigned long long)i);
		g->host_isa[i] = !r;
		g->isa[i] = !r && val;
		if (!r)
			fz_check(val <= 1, "isa_single_value", "ISA_EXT %llu reads %llu",
				 (unsigned long long)i, (unsigned long long)val);
	}
	for (i = 0; i < FZ_SBI_MAX; i++) {
		r = fz_get_ul(fd, FZ_SBI(i), &val);
		fz_expect("sbi_single_get", FZ_OK | fz_e(ENOENT), r,
			  "GET SBI_EXT %llu", (unsigned long long)i);
		g->sbi_avail[i] = !r;
		g->sbi_on[i] = !r && val;
	}
	g->vlenb = 0;
	if (g->isa[KVM_RISCV_ISA_EXT_V])
		fz_expect("vector_vlenb_get", FZ_OK, fz_get_ul(fd, FZ_VLENB, &g->vlenb),
			  "GET vlenb");
}

/* KVM_GET_REG_LIST lists exactly what the model says is there. */
static void fz_check_list(const struct fz_regs *g)
{
	u64 model[FZ_REG_MAX], i, n = fz_model_list(g, model);

	qsort(model, n, sizeof(u64), fz_cmp_u64);
	for (i = 0; i < n && i < g->n && model[i] == g->list[i]; i++)
		;
	fz_check(n == g->n && i == n, "reglist_model",
		 "KVM_GET_REG_LIST has %llu ids, the model %llu; first difference at %llu: listed 0x%llx, model 0x%llx",
		 (unsigned long long)g->n, (unsigned long long)n,
		 (unsigned long long)i,
		 (unsigned long long)(i < g->n ? g->list[i] : 0),
		 (unsigned long long)(i < n ? model[i] : 0));
}

/* The MULTI registers say what the single ones say. */
static void fz_check_multi(const struct fz_regs *g)
{
	u64 en[KVM_REG_RISCV_ISA_MULTI_REG_LAST + 1] = {}, sbi = 0, val, i;
	int fd = g->v->fd, r;

	for (i = 0; i < FZ_ISA_MAX; i++)
		if (g->isa[i])
			en[i / 64] |= 1ULL << (i % 64);
	for (i = 0; i <= KVM_REG_RISCV_ISA_MULTI_REG_LAST; i++) {
		r = fz_get_ul(fd, FZ_ISA(KVM_REG_RISCV_ISA_MULTI_EN | i), &val);
		fz_check(!r && val == en[i], "isa_multi_matches_single",
			 "ISA_EXT MULTI_EN %llu: %s, 0x%llx; singles say 0x%llx",
			 (unsigned long long)i, fz_err_str(r),
			 (unsigned long long)val, (unsigned long long)en[i]);
		r = fz_get_ul(fd, FZ_ISA(KVM_REG_RISCV_ISA_MULTI_DIS | i), &val);
		fz_check(!r && val == ~en[i], "isa_multi_matches_single",
			 "ISA_EXT MULTI_DIS %llu: %s, 0x%llx; singles say 0x%llx",
			 (unsigned long long)i, fz_err_str(r),
			 (unsigned long long)val, (unsigned long long)~en[i]);
	}
	for (i = 0; i < FZ_SBI_MAX; i++)
		if (g->sbi_on[i])
			sbi |= 1ULL << i;
	r = fz_get_ul(fd, FZ_SBI(KVM_REG_RISCV_SBI_MULTI_EN), &val);
	fz_check(!r && val == sbi, "sbi_multi_matches_single",
		 "SBI_EXT MULTI_EN: %s, 0x%llx; singles say 0x%llx", fz_err_str(r),
		 (unsigned long long)val, (unsigned long long)sbi);
}

/* Config isa's letters say what the single-letter ISA_EXT registers say. */
static void fz_check_config_isa(const struct fz_regs *g)
{
	static const char letters[] = "acdfhimv";
	static const int letter_id[] = {
		KVM_RISCV_ISA_EXT_A, KVM_RISCV_ISA_EXT_C, KVM_RISCV_ISA_EXT_D,
		KVM_RISCV_ISA_EXT_F, KVM_RISCV_ISA_EXT_H, KVM_RISCV_ISA_EXT_I,
		KVM_RISCV_ISA_EXT_M, KVM_RISCV_ISA_EXT_V,
	};
	u64 isa, i;
	int r = fz_get_ul(g->v->fd, FZ_CONFIG(isa), &isa);

	fz_expect("config_isa_get", FZ_OK, r, "GET config isa");
	for (i = 0; !r && i < ARRAY_SIZE(letter_id); i++) {
		if (!g->host_isa[letter_id[i]])
			continue;
		fz_check(!!(isa & (1ULL << (letters[i] - 'a'))) == g->isa[letter_id[i]],
			 "isa_config_matches_single",
			 "config isa 0x%llx, ISA_EXT %c is %d",
			 (unsigned long long)isa, letters[i], g->isa[letter_id[i]]);
	}
}

/*
 * Re-read what decides the register space (the extensions, vlenb, the
 * list) and hold the views of it against each other.
 */
static void fz_regs_refresh(struct fz_thread *t, struct fz_regs *g)
{
	fz_read_exts(g);
	fz_read_list(t, g);
	fz_check_list(g);
	fz_check_multi(g);
	fz_check_config_isa(g);
}

/* --- Writes: what a value does to a register that exists ------------------------ */

enum fz_post {
	FZ_POST_NONE,
	FZ_POST_SAME,	/* reads back as written */
	FZ_POST_MODE,	/* core mode: S stays S, anything else reads U */
	FZ_POST_REFRESH,/* the register space may have changed */
};

/* An answer that depends on whether the vCPU has run. */
static u64 fz_by_ran(const struct fz_regs *g, u64 before)
{
	if (g->ran == FZ_RAN_NO)
		return before;
	if (g->ran == FZ_RAN_YES)
		return fz_e(EBUSY);
	return before | fz_e(EBUSY);
}

/*
 * The outcomes of writing @val over @cur (NULL: not known) to register
 * @id, which exists; *post says what a successful write leaves.
 */
static u64 fz_set_rule(const struct fz_regs *g, u64 id, const u8 *val,
		       const u8 *cur, enum fz_post *post)
{
	unsigned int size = KVM_REG_SIZE(id);
	u64 v = 0, c = 0, type = FZ_TYPE(id), sub = FZ_SUB(id), idx = FZ_IDX(id);
	bool same = cur && !memcmp(val, cur, size);
	int *rule;

	memcpy(&v, val, size < 8 ? size : 8);
	if (cur)
		memcpy(&c, cur, size < 8 ? size : 8);
	*post = g->shared ? FZ_POST_NONE : FZ_POST_SAME;
	switch (type) {
	case 1:
		*post = FZ_POST_NONE;
		if (idx == KVM_REG_RISCV_CONFIG_REG(isa)) {
			/* Letters a..y only; 6.12 looks at bits 0..31 alone. */
			if (v >> 32 && fz.ours)
				return fz_e(EINVAL);
			if ((u32)v >> 25)
				return fz_e(EINVAL);
			*post = same ? FZ_POST_NONE : FZ_POST_REFRESH;
			return same ? FZ_OK : fz_by_ran(g, FZ_OK);
		}
		if (idx >= KVM_REG_RISCV_CONFIG_REG(mvendorid) &&
		    idx <= KVM_REG_RISCV_CONFIG_REG(mimpid)) {
			*post = FZ_POST_SAME;
			if (!cur)
				return FZ_OK | fz_e(EBUSY);
			return same ? FZ_OK : fz_by_ran(g, FZ_OK);
		}
		/* block sizes and satp_mode are the host's: confirm only */
		if (!cur)
			return FZ_OK | fz_e(EINVAL);
		return same ? FZ_OK : fz_e(EINVAL);
	case 2:
		if (idx == KVM_REG_RISCV_CORE_REG(mode) && !g->shared)
			*post = FZ_POST_MODE;
		return FZ_OK;
	case 3:
		if (sub == 0 && idx == KVM_REG_RISCV_CSR_REG(sip))
			*post = FZ_POST_NONE;
		/* 6.12 without Ssaia ignores AIA writes */
		if (sub == 1 && !g->isa[KVM_RISCV_ISA_EXT_SSAIA])
			*post = FZ_POST_NONE;
		return FZ_OK;
	case 4:
		if (idx == KVM_REG_RISCV_TIMER_REG(frequency)) {
			*post = FZ_POST_NONE;
			return !cur ? FZ_OK | fz_e(EINVAL) : same ? FZ_OK : fz_e(EINVAL);
		}
		if (idx != KVM_REG_RISCV_TIMER_REG(state)) {
			if (idx == KVM_REG_RISCV_TIMER_REG(time))
				*post = FZ_POST_NONE;
			return FZ_OK;
		}
		*post = FZ_POST_NONE;
		if (v == KVM_RISCV_TIMER_STATE_ON)
			return FZ_OK;
		/* Another state: ours refuses it, 6.12 takes it as OFF. */
		if (v != KVM_RISCV_TIMER_STATE_OFF && fz.ours)
			return fz_e(EINVAL);
		/* Switching off a timer that is off is EINVAL (as 6.12). */
		if (!cur || g->shared)
			return FZ_OK | fz_e(EINVAL);
		return c == KVM_RISCV_TIMER_STATE_ON ? FZ_OK : fz_e(EINVAL);
	case 5:
	case 6:
		return FZ_OK;
	case 9:
		if (idx == KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)) {
			*post = FZ_POST_NONE;
			return !cur ? FZ_OK | fz_e(EINVAL) : same ? FZ_OK : fz_e(EINVAL);
		}
		return FZ_OK;
	case 7:
		*post = FZ_POST_REFRESH;
		if (sub)	/* multi: each bit alone, failures ignored */
			return FZ_OK;
		if (cur && v == c) {
			*post = FZ_POST_NONE;
			return FZ_OK;
		}
		if (v > 1)
			return fz_by_ran(g, fz_e(EINVAL));
		rule = &fz_isa_rule[idx][v];
		return fz_by_ran(g, *rule > 0 ? FZ_OK : *rule < 0 ? fz_e(EINVAL) :
				 FZ_OK | fz_e(EINVAL));
	case 8:
		*post = same ? FZ_POST_NONE : FZ_POST_REFRESH;
		if (sub)
			return fz_by_ran(g, FZ_OK);
		return fz_by_ran(g, v > 1 ? fz_e(EINVAL) : FZ_OK);
	case 10:
		*post = FZ_POST_NONE;
		if (idx == KVM_REG_RISCV_SBI_STA_REG(shmem_hi))
			return v ? fz_e(EINVAL) : FZ_OK;
		/* Ours wants all ones or a 64-byte aligned record; 6.12 any. */
		if (fz.ours && v != ~0ULL && (v & 63))
			return fz_e(EINVAL);
		*post = g->shared ? FZ_POST_NONE : FZ_POST_SAME;
		return FZ_OK;
	}
	return FZ_OK;
}

/* --- One access ------------------------------------------------------------------ */

#define FZ_CANARY	0xa5
#define FZ_CSR(n)	(FZ_REG_UL | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_REG(n))

/* The sstatus fields a guest's vsstatus has (UXL is 64-bit's). */
#define FZ_SSTATUS_MXR	BIT_ULL(19)
#define FZ_SSTATUS_BITS	(SR_SIE | SR_SPIE | SR_SPP | SR_VS | SR_FS | SR_SUM | \
			 FZ_SSTATUS_MXR | SR_SD)
#define FZ_SSTATUS_UXL64 (2ULL << 32)

/*
 * Values that crash the emulated host (QEMU 7.2), not the module; both
 * modules hand userspace's value to the CSR as it comes, which hardware
 * takes as WARL:
 *  - vsstatus: QEMU keeps every bit written to it and ORs them into
 *    mstatus when it enters the guest, taking back only the sstatus
 *    fields at the exit; a TSR bit left behind makes the host kernel's
 *    next sret an illegal instruction (an oops);
 *  - vsatp: a reserved MODE makes get_physical_address() abort when KVM
 *    reads guest memory with HLV/HLVX.
 * Such a value in @val is made safe; false if it cannot be (@val not
 * ours to change).
 */
static bool fz_qemu_sanitize(u64 id, u8 *val, bool mine)
{
	u64 v, safe;

	id = (id & ~KVM_REG_ARCH_MASK) | KVM_REG_RISCV;
	if (fz.o.raw_csrs || (id != FZ_CSR(sstatus) && id != FZ_CSR(satp)))
		return true;
	memcpy(&v, val, 8);
	if (id == FZ_CSR(sstatus))
		safe = (v & FZ_SSTATUS_BITS) | FZ_SSTATUS_UXL64;
	else if (!(v >> 60) || (v >> 60 >= 8 && v >> 60 <= 10))
		safe = v;
	else
		safe = (v & ~(0xfULL << 60)) | (8ULL << 60);
	if (safe == v)
		return true;
	if (!mine)
		return false;
	memcpy(val, &safe, 8);
	return true;
}

/*
 * What ONE_REG @id through a pointer of kind @p at @addr must answer; a
 * SET of value @v, over the current value *@cur if known (read here if
 * not).  *post says what a successful write leaves.
 */
static u64 fz_access_mask(struct fz_regs *g, u64 id, bool set, enum fz_ptr p,
			  const u8 *addr, u64 v, const u8 **cur, u8 *known,
			  size_t known_len, enum fz_post *post)
{
	unsigned int size = KVM_REG_SIZE(id);
	bool faults = fz_ptr_faults(p, size, !set);
	struct fz_want w = fz_model(g, id, set, v);
	u64 mask;

	*post = FZ_POST_NONE;
	if (w.err)
		return fz_e(w.err) | w.also | (faults ? fz_e(EFAULT) : 0);
	if (faults) {
		mask = fz_e(EFAULT);
		/* 6.12 refuses SBI_EXT writes after the run before copying. */
		if (set && FZ_TYPE(id) == 8)
			mask |= fz_by_ran(g, 0);
		return mask;
	}
	if (!set)
		return FZ_OK;
	if (!*cur && size <= known_len && !fz_one_reg(g->v->fd, false, id, known))
		*cur = known;
	return fz_set_rule(g, id, addr, *cur, post);
}

/*
 * A change only allowed before the first run, after KVM_RUN calls that
 * may not have entered the guest: ours allows it if none did, 6.12 never.
 */
static void fz_count_maybe_ran(const struct fz_regs *g, bool set, u64 mask, int r)
{
	if (set && g->ran == FZ_RAN_MAYBE && !g->shared &&
	    (mask & fz_e(EBUSY)) && (mask & FZ_OK) && (!r || r == -EBUSY))
		__atomic_fetch_add(r ? &fz_maybe_busy : &fz_maybe_ok, 1,
				   __ATOMIC_RELAXED);
}

/* A GET through a good pointer wrote the register's bytes, or none. */
static void fz_check_get_bytes(const u8 *buf, u64 id, int r)
{
	unsigned int size = KVM_REG_SIZE(id);
	int i;

	for (i = r ? 0 : size; i < (int)size + 64; i++)
		if (buf[i] != FZ_CANARY)
			break;
	fz_check(i == (int)size + 64, "onereg_get_bytes",
		 "GET 0x%llx (%s) wrote byte %d of a %u-byte register",
		 (unsigned long long)id, fz_err_str(r), i, size);
}

/* After a successful SET of @val: the register reads it back. */
static void fz_check_read_back(struct fz_regs *g, u8 *scratch, u64 id,
			       const u8 *val, enum fz_post post, const char *why)
{
	unsigned int size = KVM_REG_SIZE(id);
	u64 want = 0, got = 0;
	int r;

	memset(scratch, 0, size);
	r = fz_one_reg(g->v->fd, false, id, scratch);
	memcpy(&got, scratch, size < 8 ? size : 8);
	memcpy(&want, val, size < 8 ? size : 8);
	if (post == FZ_POST_MODE)
		want = want == KVM_RISCV_MODE_S ? KVM_RISCV_MODE_S : KVM_RISCV_MODE_U;
	fz_check(!r && (post == FZ_POST_MODE ? got == want : !memcmp(scratch, val, size)),
		 "onereg_set_reads_back",
		 "SET 0x%llx = 0x%llx (%s) reads back 0x%llx (%s)",
		 (unsigned long long)id, (unsigned long long)want, why,
		 (unsigned long long)got, fz_err_str(r));
}

/*
 * ONE_REG @id (GET or SET) through a pointer of kind @p (for FZ_P_GOOD,
 * @buf, which holds the value of a SET), checked against the model.
 * @cur is the register's value if the caller knows it.  Returns the
 * result.
 */
static int fz_access(struct fz_thread *t, struct fz_regs *g, u8 *buf, u64 id,
		     bool set, enum fz_ptr p, const u8 *cur, const char *why)
{
	unsigned int size = KVM_REG_SIZE(id);
	u8 *addr = fz_ptr(p, buf);
	enum fz_post post;
	u8 before[64] = {}, known[512];
	u64 v = 0, mask;
	int r;

	if (set && !fz_ptr_faults(p, size, false)) {
		if (size == 8 && !fz_qemu_sanitize(id, addr, p == FZ_P_GOOD))
			return 0;
		memcpy(&v, addr, size < 8 ? size : 8);
	}
	mask = fz_access_mask(g, id, set, p, addr, v, &cur, known, sizeof(known),
			      &post);
	if (set && p == FZ_P_GOOD && size <= sizeof(before))
		memcpy(before, addr, size);
	if (!set && p == FZ_P_GOOD)
		memset(buf, FZ_CANARY, size + 64);

	r = fz_tioctl(t, set ? "KVM_SET_ONE_REG" : "KVM_GET_ONE_REG", g->v->fd,
		      set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG,
		      &(struct kvm_one_reg){ .id = id, .addr = (u64)addr });
	if (fz.o.verbose && set)
		printf("# trace: vCPU %u SET 0x%llx = 0x%llx (%s, ptr %d): %s\n", g->v->id,
		       (unsigned long long)id, (unsigned long long)v, why, p,
		       fz_err_str(r));
	fz_count_maybe_ran(g, set, mask, r);
	fz_expect(set ? "onereg_set" : "onereg_get", mask, r,
		  "%s ONE_REG 0x%llx (%s, ptr kind %d, vCPU %u%s, ran %d)",
		  set ? "SET" : "GET", (unsigned long long)id, why, p, g->v->id,
		  g->shared ? " shared" : "", g->ran);
	if (!set && p == FZ_P_GOOD)
		fz_check_get_bytes(buf, id, r);
	if (r || !set)
		return r;

	if (p == FZ_P_GOOD && (post == FZ_POST_SAME || post == FZ_POST_MODE) &&
	    size <= sizeof(before))
		fz_check_read_back(g, buf + size + 64, id, before, post, why);
	/*
	 * A SET through any pointer the kernel can read (FZ_P_RO, a short
	 * FZ_P_STRADDLE) changes the vCPU too: a random id's SET of the RO
	 * page's 0x5a bytes to ISA_EXT MULTI_DIS 0 turns C, F, H, M off.
	 */
	if (post == FZ_POST_REFRESH) {
		/* Learn which single-extension changes are allowed. */
		if (FZ_TYPE(id) == 7 && !FZ_SUB(id) && cur && v <= 1 && v != *cur &&
		    g->ran == FZ_RAN_NO)
			fz_isa_rule[FZ_IDX(id)][v] = 1;
		fz_regs_refresh(t, g);
	}
	return 0;
}

/* --- Operations ------------------------------------------------------------------- */

static u64 fz_pick_listed(struct fz_rng *rng, const struct fz_regs *g)
{
	return g->n ? g->list[fz_below(rng, g->n)] : FZ_CORE_PC;
}

/* A listed register: GET it, then maybe SET back what was read. */
static void fz_op_roundtrip(struct fz_thread *t, struct fz_regs *g, u8 *buf,
			    u64 id, bool set_back)
{
	unsigned int size = KVM_REG_SIZE(id);
	u8 cur[FZ_BUF_SIZE / 16];
	int r;

	r = fz_access(t, g, buf, id, false, FZ_P_GOOD, NULL, "listed");
	if (r || !set_back || size > sizeof(cur))
		return;
	memcpy(cur, buf, size);
	fz_access(t, g, buf, id, true, FZ_P_GOOD, cur, "the value just read");
}

/* A listed register, or a toggle, set to an edge value. */
static void fz_op_wild_set(struct fz_thread *t, struct fz_regs *g, u8 *buf,
			   u64 id)
{
	unsigned int size = KVM_REG_SIZE(id), i;
	u8 cur[FZ_BUF_SIZE / 16];
	u64 v;

	if (size > sizeof(cur) || fz_one_reg(g->v->fd, false, id, cur))
		return;
	memcpy(buf, cur, size);
	v = fz_value(&t->rng);
	switch (fz_below(&t->rng, 4)) {
	case 0:		/* one bit of the current value flipped */
		buf[fz_below(&t->rng, size)] ^= 1 << fz_below(&t->rng, 8);
		break;
	case 1:		/* a small value */
		memset(buf, 0, size);
		buf[0] = fz_below(&t->rng, 3);
		break;
	default:
		for (i = 0; i < size; i += 8) {
			memcpy(buf + i, &v, size - i < 8 ? size - i : 8);
			v = fz_value(&t->rng);
		}
	}
	fz_access(t, g, buf, id, true, FZ_P_GOOD, cur, "edge value");
}

/* A random id: mostly well formed, with every field pushed to its edges. */
static u64 fz_random_id(struct fz_rng *rng, const struct fz_regs *g)
{
	static const u64 arches[] = {
		KVM_REG_ARM64, KVM_REG_X86, KVM_REG_S390, KVM_REG_PPC,
		KVM_REG_MIPS, KVM_REG_LOONGARCH, KVM_REG_GENERIC,
	};
	static const u64 nr[11] = { 0, 7, 33, 11, 4, 33, 33, FZ_ISA_MAX,
				    FZ_SBI_MAX, 38, 2 };
	u64 type, sub, idx, code, id;

	type = fz_chance(rng, 8, 10) ? 1 + fz_below(rng, 10) :
	       fz_chance(rng, 1, 2) ? fz_below(rng, 16) : fz_below(rng, 256);
	sub = fz_chance(rng, 7, 10) ? 0 : fz_chance(rng, 2, 3) ?
	      fz_below(rng, 4) : fz_below(rng, 256);
	idx = type < 11 ? nr[type] : 8;
	switch (fz_below(rng, 6)) {
	case 0:
		idx = idx + fz_below(rng, 3);	/* just past the end */
		break;
	case 1:
		idx = fz_below(rng, 0x10000);
		break;
	case 2:
		idx = fz_below(rng, 4);
		break;
	default:
		idx = fz_below(rng, idx ? idx : 1);
	}
	code = type == 5 ? 2 : 3;
	if (type == 9 && idx >= 6 && g->vlenb)
		code = __builtin_ctzll(g->vlenb);
	if (fz_chance(rng, 3, 10))
		code = fz_below(rng, 16);
	id = KVM_REG_RISCV | (code << KVM_REG_SIZE_SHIFT) |
	     (type << KVM_REG_RISCV_TYPE_SHIFT) |
	     (sub << KVM_REG_RISCV_SUBTYPE_SHIFT) | idx;
	if (fz_chance(rng, 1, 20))
		id |= fz_next(rng) & FZ_UNUSED_BITS;
	if (fz_chance(rng, 1, 20))
		id = (id & ~KVM_REG_ARCH_MASK) | arches[fz_below(rng, ARRAY_SIZE(arches))];
	return id;
}

/* ISA_EXT or SBI_EXT, single or multi, on or off or garbage. */
static void fz_op_toggle(struct fz_thread *t, struct fz_regs *g, u8 *buf)
{
	struct fz_rng *rng = &t->rng;
	bool isa = fz_chance(rng, 1, 2);
	u64 id, v, cur = 0, max = isa ? FZ_ISA_MAX : FZ_SBI_MAX;
	int which = fz_below(rng, 8);

	if (which < 5) {
		id = (isa ? FZ_ISA(0) : FZ_SBI(0)) | fz_below(rng, max + 1);
		v = fz_chance(rng, 9, 10) ? fz_below(rng, 2) : fz_value(rng);
	} else {
		id = (isa ? FZ_ISA(0) : FZ_SBI(0)) |
		     (which == 5 ? KVM_REG_RISCV_ISA_MULTI_EN : KVM_REG_RISCV_ISA_MULTI_DIS) |
		     fz_below(rng, 3);
		v = fz_chance(rng, 1, 2) ? 1ULL << fz_below(rng, 64) : fz_value(rng);
	}
	fz_one_reg(g->v->fd, false, id, &cur);
	memcpy(buf, &v, 8);
	fz_access(t, g, buf, id, true, FZ_P_GOOD, (u8 *)&cur, "toggle");
	if (!isa || which >= 5 || FZ_IDX(id) >= max || v > 1 || v == cur ||
	    g->ran != FZ_RAN_NO || !g->host_isa[FZ_IDX(id)])
		return;
	/* A single-extension change: remember if the rules refused it. */
	if (g->isa[FZ_IDX(id)] != v && !fz_isa_rule[FZ_IDX(id)][v])
		fz_isa_rule[FZ_IDX(id)][v] = -1;
}

/* KVM_GET_REG_LIST with n short, exact, huge, or a bad pointer. */
static void fz_op_reglist(struct fz_thread *t, struct fz_regs *g, u8 *buf)
{
	struct fz_rng *rng = &t->rng;
	struct kvm_reg_list *l = (void *)buf;
	u64 count = g->n, n, i;
	enum fz_ptr p = FZ_P_GOOD;
	u64 mask;
	int r, kind = fz_below(rng, 6);

	switch (kind) {
	case 0:
		n = count ? fz_below(rng, count) : 0;
		break;
	case 1:
		n = count;
		break;
	case 2:	/* more than enough, in 64 bits: the low 32 may be too few */
		n = fz_chance(rng, 1, 2) ? count + fz_below(rng, 100) :
		    fz_chance(rng, 1, 2) ? (1ULL << 32) + fz_below(rng, count) :
		    fz_next(rng) | (1ULL << 63);
		break;
	case 3:
		p = 1 + fz_below(rng, FZ_P_NR - 1);
		n = count;
		break;
	default:	/* room for n, but reg[] runs into a PROT_NONE page */
		i = fz_below(rng, count ? count : 1);
		l = (void *)(t->edge - 8 - 8 * i);
		l->n = count;
		r = fz_tioctl(t, "KVM_GET_REG_LIST", g->v->fd, KVM_GET_REG_LIST, l);
		fz_expect("reglist_efault", fz_e(EFAULT), r,
			  "KVM_GET_REG_LIST of %llu with room for %llu ids",
			  (unsigned long long)count, (unsigned long long)i);
		return;
	}
	if (p != FZ_P_GOOD) {
		l = fz_ptr(p, buf);
		r = fz_tioctl(t, "KVM_GET_REG_LIST", g->v->fd, KVM_GET_REG_LIST, l);
		/* A straddling struct is readable (n) but not writable whole. */
		mask = fz_e(EFAULT);
		fz_expect("reglist_efault", mask, r, "KVM_GET_REG_LIST at ptr kind %d", p);
		return;
	}
	memset(buf, FZ_CANARY, 8 * (count + 2) + 8);
	l->n = n;
	r = fz_tioctl(t, "KVM_GET_REG_LIST", g->v->fd, KVM_GET_REG_LIST, l);
	if (n < count) {
		fz_expect("reglist_e2big", fz_e(E2BIG), r,
			  "KVM_GET_REG_LIST with n %llu of %llu",
			  (unsigned long long)n, (unsigned long long)count);
		for (i = 0; i < 8 * (count + 1) && buf[8 + i] == FZ_CANARY; i++)
			;
		fz_check(i == 8 * (count + 1), "reglist_e2big_no_write",
			 "E2BIG, yet byte %llu of reg[] was written",
			 (unsigned long long)i);
	} else {
		/* 6.12 keeps n in 32 bits: n = 2^32 + k looks like k. */
		fz_expect(kind == 2 && n >> 32 ? "reglist_huge_n" : "reglist_exact",
			  FZ_OK, r, "KVM_GET_REG_LIST with n %llu of %llu",
			  (unsigned long long)n, (unsigned long long)count);
		if (!r) {
			qsort(l->reg, count, sizeof(u64), fz_cmp_u64);
			fz_check(!memcmp(l->reg, g->list, 8 * count),
				 "reglist_stable", "the list changed between two calls");
			fz_check(buf[8 + 8 * count] == FZ_CANARY, "reglist_no_overrun",
				 "KVM_GET_REG_LIST wrote past %llu ids",
				 (unsigned long long)count);
		}
	}
	fz_check(l->n == count, "reglist_n_written",
		 "KVM_GET_REG_LIST (n was %llu) left n = %llu, %llu registers",
		 (unsigned long long)n, (unsigned long long)l->n,
		 (unsigned long long)count);
}

/* Every listed register: GET, and SET back what was read. */
static void fz_op_sweep(struct fz_thread *t, struct fz_regs *g, u8 *buf)
{
	u64 list[FZ_REG_MAX], n = g->n, i;

	memcpy(list, g->list, n * sizeof(u64));
	for (i = 0; i < n; i++)
		fz_op_roundtrip(t, g, buf, list[i], true);
}

/*
 * Run vCPU A once, bounded by a timer: after wild writes the guest may
 * never exit by itself.  A real exit means it ran (6.12 counts any
 * KVM_RUN as the first run, ours only an entry into the guest).
 */
static void fz_op_run(struct fz_thread *t, struct fz_regs *g,
		      struct fz_timer *tm)
{
	struct fz_vcpu *v = g->v;
	bool imm = fz_chance(&t->rng, 1, 4);
	int r;

	v->run->immediate_exit = imm;
	if (fz.o.verbose)
		printf("# trace: vCPU %u KVM_RUN%s\n", v->id, imm ? " immediate_exit" : "");
	fflush(stdout);
	fz_timer_arm(tm, 2000 + fz_below(&t->rng, 20000));
	r = fz_tioctl(t, "KVM_RUN", v->fd, KVM_RUN, NULL);
	fz_timer_disarm(tm);
	v->run->immediate_exit = 0;
	if (imm)
		fz_expect("run_immediate_exit", fz_e(EINTR), r,
			  "KVM_RUN with immediate_exit (vCPU %u)", v->id);
	else
		/*
		 * Wild registers make wild guests: 6.12 fails a misaligned
		 * MMIO access with EIO, anything it cannot decode with
		 * EOPNOTSUPP.
		 */
		fz_expect("run_result", FZ_OK | fz_e(EINTR) | fz_e(EOPNOTSUPP) |
			  (fz.ours ? 0 : fz_e(EIO)), r,
			  "KVM_RUN of vCPU %u after ONE_REG writes", v->id);
	if (r == -EOPNOTSUPP || r == -EIO) {
		g->ran = FZ_RAN_YES;
		fz_pc_add(v, 4);
	} else if (!r) {
		g->ran = FZ_RAN_YES;
		fz_check(v->run->exit_reason < 64 &&
			 (FZ_EXITS_GUEST & FZ_EXIT(v->run->exit_reason)),
			 "run_exit_reason", "vCPU %u exited with %u", v->id,
			 v->run->exit_reason);
		fz_answer(v, t);
	} else if (g->ran == FZ_RAN_NO) {
		g->ran = FZ_RAN_MAYBE;
	}
}

/* --- The area ---------------------------------------------------------------------- */

struct fz_onereg_worker {
	pthread_t thr;
	int idx;
	struct fz_thread t;
	u64 ops, runs, vms;
};

static struct fz_runcfg fz_onereg_runcfg = {
	.exits_ok = FZ_EXITS_GUEST,
	.eopnotsupp_ok = true,
	.efault_ok = true,
	.wild = true,
	.yield_us = 2000,
};

static struct fz_vm *fz_onereg_vm(struct fz_onereg_worker *w,
				  struct fz_regs *a, struct fz_regs *b)
{
	struct fz_vm *vm = fz_guest_vm();
	struct fz_vcpu *va, *vb;

	vm->cfg = &fz_onereg_runcfg;
	TEST_ASSERT(!fz_vcpu_create(vm, fz_below(&w->t.rng, 4), &va), "vCPU A");
	TEST_ASSERT(!fz_vcpu_create(vm, 4 + fz_below(&w->t.rng, 1020), &vb), "vCPU B");
	fz_vcpu_boot(va);
	fz_vcpu_boot(vb);
	if (fz_chance(&w->t.rng, 3, 4))
		TEST_ASSERT(!fz_ioctl(vb->fd, KVM_SET_MP_STATE,
				      &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE }),
			    "vCPU B runnable");
	fz_guest_setup(vm, &w->t.rng, FZ_M_EXITS, FZ_GF_WFI | FZ_GF_SRST);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->v = va;
	b->v = vb;
	b->shared = true;
	fz_regs_refresh(&w->t, a);
	fz_regs_refresh(&w->t, b);
	/* B runs from now on: its first run may come at any time. */
	b->ran = FZ_RAN_MAYBE;
	fz_runner_start(vb);
	w->vms++;
	return vm;
}

static void *fz_onereg_main(void *arg)
{
	struct fz_onereg_worker *w = arg;
	struct fz_thread *t = &w->t;
	struct fz_regs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	u8 *buf = malloc(FZ_BUF_SIZE + 128);
	struct fz_timer tm = {};
	struct fz_vm *vm;
	struct fz_regs *g;
	u64 id;

	fz_thread_register(t, "onereg", w->idx);
	vm = fz_onereg_vm(w, a, b);
	while (!fz_round_over()) {
		g = fz_chance(&t->rng, 7, 8) ? a : b;
		/* B's runner counts as a first run once it has exited. */
		if (g == b && __atomic_load_n(&b->v->runs, __ATOMIC_ACQUIRE) >
		    __atomic_load_n(&b->v->eintr, __ATOMIC_RELAXED))
			b->ran = FZ_RAN_YES;
		switch (fz_below(&t->rng, 100)) {
		case 0 ... 29:
			fz_op_roundtrip(t, g, buf, fz_pick_listed(&t->rng, g), true);
			break;
		case 30 ... 44:
			fz_op_wild_set(t, g, buf, fz_pick_listed(&t->rng, g));
			break;
		case 45 ... 54:	/* a listed register with another size */
			id = fz_pick_listed(&t->rng, g);
			id = FZ_WITH_SIZE(id, (FZ_SIZE_CODE(id) + 1 + fz_below(&t->rng, 7)) % 8);
			memset(buf, 0, 256);
			fz_access(t, g, buf, id, fz_chance(&t->rng, 1, 2), FZ_P_GOOD,
				  NULL, "another size");
			break;
		case 55 ... 64:	/* a listed register through a bad address */
			fz_access(t, g, buf, fz_pick_listed(&t->rng, g),
				  fz_chance(&t->rng, 1, 2),
				  1 + fz_below(&t->rng, FZ_P_NR - 1), NULL, "bad address");
			break;
		case 65 ... 79:
			id = fz_random_id(&t->rng, g);
			memset(buf, 0, 256);
			fz_access(t, g, buf, id, fz_chance(&t->rng, 1, 2),
				  fz_random_ptr(&t->rng, 6), NULL, "random id");
			break;
		case 80 ... 89:
			fz_op_toggle(t, g, buf);
			break;
		case 90 ... 94:
			fz_op_reglist(t, g, buf);
			break;
		case 95 ... 96:
			if (g == a) {
				fz_op_run(t, a, &tm);
				w->runs++;
			}
			break;
		case 97:
			fz_op_sweep(t, a, buf);
			break;
		default:	/* start over: a VM that has not run yet */
			if (!fz_chance(&t->rng, 1, 4))
				break;
			fz_op_sweep(t, a, buf);
			fz_runners_stop(vm);
			fz_vm_destroy(vm);
			vm = fz_onereg_vm(w, a, b);
		}
		w->ops++;
	}
	fz_runners_stop(vm);
	fz_op_sweep(t, a, buf);
	fz_vm_destroy(vm);
	fz_timer_delete(&tm);
	free(a);
	free(b);
	free(buf);
	fz_thread_unregister(t);
	return NULL;
}

static void fz_area_onereg(void)
{
	struct fz_onereg_worker w[8] = {};
	struct fz_kicker k = {};
	unsigned int i, n = fz.o.threads < 8 ? fz.o.threads : 8;
	u64 ops = 0, runs = 0, vms = 0;

	/* B's runner must leave KVM_RUN often: A's owner wants B's mutex. */
	fz_kicker_start(&k, 2000);
	for (i = 0; i < n; i++) {
		w[i].idx = i;
		pthread_create(&w[i].thr, NULL, fz_onereg_main, &w[i]);
	}
	for (i = 0; i < n; i++) {
		fz_join(w[i].thr);
		ops += w[i].ops;
		runs += w[i].runs;
		vms += w[i].vms;
	}
	fz_kicker_stop(&k);
	printf("# onereg: %u threads, %llu ops, %llu runs of vCPU A, %llu VMs\n",
	       n, (unsigned long long)ops, (unsigned long long)runs,
	       (unsigned long long)vms);
}

#endif /* FUZZ_ONEREG_H */
