/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Area "memslot": memslots created, moved, deleted and reflagged, dirty
 * logs read and cleared, while two harts load and store all over them.
 *
 * Slot 0 holds the guest's code; slot 1 ("stable", 200 pages at 1 MiB)
 * stays put and only has dirty logging switched on and off; slots 2-9
 * and 500 come and go in the 4 MiB window the harts touch; 511 probes
 * the top of the guest-physical space.  A thread changes slots and
 * reads and clears dirty logs against a model of the slots, so every
 * errno is known (virt/kvm's rules, the G-stage limit,
 * KVM_CAP_NR_MEMSLOTS).  With KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (most
 * rounds; with INITIALLY_SET where offered) or without it.  Checked too:
 *
 *  - every page of the stable slot whose contents changed since its
 *    dirty bit was last cleared is dirty (with the harts paused), and
 *    no bit past the slot's end is set;
 *  - a deleted slot's memory is not written after the delete returns;
 *    a read-only slot's memory is never written;
 *  - an MMIO exit while no slot changed is at an address no slot maps
 *    (or a store to a read-only one).
 *
 * With hazards on (the default), a slot's memory is sometimes replaced
 * by a PROT_NONE mapping under it, or made read-only under a writable
 * slot (6.12 refuses that slot with EPERM; ours takes it): KVM_RUN may
 * then fail with EFAULT.
 */
#ifndef FUZZ_MEMSLOT_H
#define FUZZ_MEMSLOT_H

#include "fuzz_guest.h"

#define FZ_MS_STABLE		1
#define FZ_MS_STABLE_GPA	0x100000UL
#define FZ_MS_STABLE_PAGES	200
#define FZ_MS_WIN		0x100000UL
#define FZ_MS_WIN_SIZE		0x400000UL
#define FZ_MS_VOL_LO		0x200000UL
#define FZ_MS_CHUNK_PAGES	64
#define FZ_MS_NR		12	/* model entries: slot ids below */
#define FZ_MS_TOP		11	/* the entry for GPA-limit probes */

/* Model entry i is slot fz_ms_ids[i]. */
static const u32 fz_ms_ids[FZ_MS_NR] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 500, 511 };

struct fz_slot {
	bool used;
	u64 gpa, npages, hva;
	u32 flags;
	bool ro_vma;		/* writable slot over a read-only mapping */
	bool unmapped;		/* its memory was unmapped under it */
	bool quarantine;	/* deleted: memory must not change now */
	u64 sum;		/* checksum while read-only or quarantined */
};

struct fz_ms {
	struct fz_vm *vm;
	pthread_mutex_t lock;
	u64 gen;		/* odd while a slot change is in flight */
	struct fz_slot s[FZ_MS_NR];
	u8 *pool;		/* chunk i backs entry i (2 and up) */
	u8 *stable, *shadow;
	u64 manual;		/* the MANUAL_DIRTY_LOG_PROTECT2 args */
	bool logging, fresh;	/* stable slot logs; no check since enabled */
	u64 gpa_limit, nr_slots;
	/* Pausing the harts */
	pthread_cond_t cond;
	bool pause;		/* READ_ONCE outside the lock */
	int paused;
	/* Statistics */
	u64 changes, logs, checks, dirty_pages, epes, mmio;
	u64 ro_vma_ok, ro_vma_eperm, top_ok, top_efault;
};

static u8 *fz_ms_chunk(struct fz_ms *ms, int i)
{
	return ms->pool + (u64)i * FZ_MS_CHUNK_PAGES * FZ_PAGE;
}

static u64 fz_sum(const u8 *p, u64 len)
{
	u64 h = 1469598103934665603ULL, i;

	for (i = 0; i < len; i += 8)
		h = (h ^ *(const u64 *)(p + i)) * 1099511628211ULL;
	return h;
}

static bool fz_ms_overlap(struct fz_ms *ms, int self, u64 gpa, u64 npages)
{
	int i;

	for (i = 0; i < FZ_MS_NR; i++) {
		if (i == self || !ms->s[i].used)
			continue;
		if (gpa < ms->s[i].gpa + ms->s[i].npages * FZ_PAGE &&
		    ms->s[i].gpa < gpa + npages * FZ_PAGE)
			return true;
	}
	return false;
}

/*
 * What KVM_SET_USER_MEMORY_REGION must answer for @m, by virt/kvm's
 * checks in order, then the architecture's: a slot must end within the
 * G-stage's guest-physical space.
 */
static u64 fz_ms_rule(struct fz_ms *ms, int e, const struct kvm_userspace_memory_region *m)
{
	u64 npages = m->memory_size / FZ_PAGE, end = m->guest_phys_addr + m->memory_size;
	struct fz_slot *old = e >= 0 ? &ms->s[e] : NULL;
	bool ro_vma = false;
	u64 arch = FZ_OK;

	if ((u16)m->slot >= ms->nr_slots || m->slot >> 16)
		return fz_e(EINVAL);
	if (m->flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return fz_e(EINVAL);
	if ((m->memory_size | m->guest_phys_addr | m->userspace_addr) & (FZ_PAGE - 1))
		return fz_e(EINVAL);
	if (m->userspace_addr >> 63 || m->userspace_addr + m->memory_size < m->userspace_addr)
		return fz_e(EINVAL);
	if (end < m->guest_phys_addr || npages > (1ULL << 31) - 1)
		return fz_e(EINVAL);
	if (!m->memory_size)
		return old && old->used ? FZ_OK : fz_e(EINVAL);
	if (old && old->used) {
		if (m->userspace_addr != old->hva || npages != old->npages ||
		    ((m->flags ^ old->flags) & KVM_MEM_READONLY))
			return fz_e(EINVAL);
		if (m->guest_phys_addr == old->gpa && m->flags == old->flags)
			return FZ_OK;
		ro_vma = old->ro_vma || old->unmapped;
	}
	if ((!old || !old->used || m->guest_phys_addr != old->gpa) &&
	    fz_ms_overlap(ms, e, m->guest_phys_addr, npages))
		return fz_e(EEXIST);
	if (end > ms->gpa_limit)
		return fz_e(EFAULT);
	/*
	 * 6.12 refuses a writable slot over a mapping without write access
	 * (read-only, or PROT_NONE once its memory was pulled).
	 */
	if (ro_vma && !(m->flags & KVM_MEM_READONLY))
		arch |= fz_e(EPERM);
	return arch;
}

/* Tell the guest where the volatile slots are now (it may read it late). */
static void fz_ms_hints(struct fz_ms *ms)
{
	u64 *h = fz_ctl(ms->vm, FZ_C_HINTS), n = 0;
	int e;

	for (e = 2; e < FZ_MS_TOP && n < FZ_C_MAX_HINTS; e++) {
		if (!ms->s[e].used)
			continue;
		h[2 * n] = ms->s[e].gpa;
		h[2 * n + 1] = ms->s[e].npages * FZ_PAGE;
		n++;
	}
	WRITE_ONCE(*fz_ctl(ms->vm, FZ_C_NHINTS), n);
}

/* KVM_SET_USER_MEMORY_REGION, checked, with the model kept in step. */
static int fz_ms_set(struct fz_thread *t, struct fz_ms *ms, int e,
		     struct kvm_userspace_memory_region *m, u64 extra,
		     const char *check, const char *what)
{
	u64 mask = fz_ms_rule(ms, e, m) | extra;
	int r;

	__atomic_fetch_add(&ms->gen, 1, __ATOMIC_SEQ_CST);
	r = fz_tioctl(t, "KVM_SET_USER_MEMORY_REGION", ms->vm->vm_fd,
		      KVM_SET_USER_MEMORY_REGION, m);
	if (!r && e >= 0) {
		struct fz_slot *s = &ms->s[e];

		if (!m->memory_size) {
			s->used = false;
		} else {
			s->used = true;
			s->gpa = m->guest_phys_addr;
			s->npages = m->memory_size / FZ_PAGE;
			s->hva = m->userspace_addr;
			s->flags = m->flags;
		}
	}
	__atomic_fetch_add(&ms->gen, 1, __ATOMIC_SEQ_CST);
	ms->changes++;
	fz_ms_hints(ms);
	fz_expect(check, mask, r,
		  "%s: slot 0x%x flags 0x%x gpa 0x%llx size 0x%llx hva 0x%llx",
		  what, m->slot, m->flags, (unsigned long long)m->guest_phys_addr,
		  (unsigned long long)m->memory_size,
		  (unsigned long long)m->userspace_addr);
	return r;
}

/* A deleted slot's memory: nothing may have written it since. */
static void fz_ms_quarantine_check(struct fz_ms *ms, int e)
{
	struct fz_slot *s = &ms->s[e];

	if (!s->quarantine)
		return;
	fz_check(fz_sum(fz_ms_chunk(ms, e), FZ_MS_CHUNK_PAGES * FZ_PAGE) == s->sum,
		 "memslot_deleted_no_write",
		 "memory of deleted slot %u (was at 0x%llx) changed after the delete",
		 fz_ms_ids[e], (unsigned long long)s->gpa);
	s->quarantine = false;
}

static void fz_ms_readonly_check(struct fz_ms *ms, int e)
{
	struct fz_slot *s = &ms->s[e];

	if (!s->used || !(s->flags & KVM_MEM_READONLY) || s->unmapped)
		return;
	fz_check(fz_sum(fz_ms_chunk(ms, e), FZ_MS_CHUNK_PAGES * FZ_PAGE) == s->sum,
		 "memslot_readonly_no_write",
		 "memory of read-only slot %u at 0x%llx changed",
		 fz_ms_ids[e], (unsigned long long)s->gpa);
}

/* Give chunk @e back its plain read-write mapping. */
static void fz_ms_chunk_restore(struct fz_ms *ms, int e)
{
	struct fz_slot *s = &ms->s[e];
	u8 *c = fz_ms_chunk(ms, e);

	if (s->unmapped)
		TEST_ASSERT(mmap(c, FZ_MS_CHUNK_PAGES * FZ_PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == c,
			    "remap chunk");
	else if (s->ro_vma)
		TEST_ASSERT(!mprotect(c, FZ_MS_CHUNK_PAGES * FZ_PAGE,
				      PROT_READ | PROT_WRITE), "mprotect chunk");
	s->unmapped = false;
	s->ro_vma = false;
}

static u64 fz_ms_random_gpa(struct fz_rng *rng, u64 npages)
{
	return FZ_MS_VOL_LO + fz_below(rng, (FZ_MS_WIN + FZ_MS_WIN_SIZE - FZ_MS_VOL_LO) /
				       FZ_PAGE - npages + 1) * FZ_PAGE;
}

/* Create, move, reflag or delete one of the volatile slots. */
static void fz_ms_change(struct fz_thread *t, struct fz_ms *ms)
{
	struct fz_rng *rng = &t->rng;
	int e = 2 + fz_below(rng, FZ_MS_NR - 3);
	struct fz_slot *s = &ms->s[e];
	struct kvm_userspace_memory_region m = { .slot = fz_ms_ids[e] };
	u8 *chunk = fz_ms_chunk(ms, e);
	u64 off, extra = 0;
	int r;

	if (!s->used) {
		fz_ms_quarantine_check(ms, e);
		fz_ms_chunk_restore(ms, e);
		m.memory_size = (1 + fz_below(rng, FZ_MS_CHUNK_PAGES)) * FZ_PAGE;
		off = fz_below(rng, FZ_MS_CHUNK_PAGES - m.memory_size / FZ_PAGE + 1);
		m.userspace_addr = (u64)chunk + off * FZ_PAGE;
		m.guest_phys_addr = fz_ms_random_gpa(rng, m.memory_size / FZ_PAGE);
		m.flags = fz_below(rng, 4);
		if (m.flags & KVM_MEM_READONLY)
			memset(chunk, fz_next(rng), FZ_MS_CHUNK_PAGES * FZ_PAGE);
		if (fz.o.hazards && !(m.flags & KVM_MEM_READONLY) &&
		    fz_chance(rng, 1, 10)) {
			mprotect(chunk, FZ_MS_CHUNK_PAGES * FZ_PAGE, PROT_READ);
			s->ro_vma = true;
			extra = fz_e(EPERM);
		}
		r = fz_ms_set(t, ms, e, &m, extra, "memslot_set", "create");
		if (extra && (!r || r == -EPERM))
			__atomic_fetch_add(r ? &ms->ro_vma_eperm : &ms->ro_vma_ok, 1,
					   __ATOMIC_RELAXED);
		if (r)
			fz_ms_chunk_restore(ms, e);
		else if (m.flags & KVM_MEM_READONLY)
			s->sum = fz_sum(chunk, FZ_MS_CHUNK_PAGES * FZ_PAGE);
		return;
	}
	m.memory_size = s->npages * FZ_PAGE;
	m.userspace_addr = s->hva;
	m.guest_phys_addr = s->gpa;
	m.flags = s->flags;
	switch (fz_below(rng, 8)) {
	case 0 ... 2:	/* delete */
		fz_ms_readonly_check(ms, e);
		m.memory_size = 0;
		if (fz_ms_set(t, ms, e, &m, 0, "memslot_set", "delete"))
			return;
		/* From now on the guest cannot reach this memory. */
		s->quarantine = !s->unmapped;
		fz_ms_chunk_restore(ms, e);
		s->sum = fz_sum(chunk, FZ_MS_CHUNK_PAGES * FZ_PAGE);
		return;
	case 3 ... 4:	/* move */
		m.guest_phys_addr = fz_ms_random_gpa(rng, s->npages);
		fz_ms_set(t, ms, e, &m, 0, "memslot_set", "move");
		return;
	case 5:		/* dirty logging on or off */
		m.flags ^= KVM_MEM_LOG_DIRTY_PAGES;
		fz_ms_set(t, ms, e, &m, 0, "memslot_set", "toggle dirty logging");
		return;
	case 6:		/* changes an existing slot may not get */
		switch (fz_below(rng, 3)) {
		case 0:
			m.memory_size += FZ_PAGE;
			break;
		case 1:
			m.userspace_addr += FZ_PAGE;
			break;
		default:
			m.flags ^= KVM_MEM_READONLY;
		}
		fz_ms_set(t, ms, e, &m, 0, "memslot_set", "forbidden change");
		return;
	default:
		/*
		 * Hazard: the memory goes away under the slot.  A PROT_NONE
		 * mapping keeps the range, so nothing else lands there.
		 */
		if (!fz.o.hazards || s->unmapped || s->ro_vma)
			return;
		fz_ms_readonly_check(ms, e);
		TEST_ASSERT(mmap(chunk, FZ_MS_CHUNK_PAGES * FZ_PAGE, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == chunk,
			    "pull slot memory");
		s->unmapped = true;
	}
}

/* Requests virt/kvm must refuse, whatever else is in them. */
static void fz_ms_invalid(struct fz_thread *t, struct fz_ms *ms)
{
	struct fz_rng *rng = &t->rng;
	int e = 2 + fz_below(rng, FZ_MS_NR - 3);
	struct kvm_userspace_memory_region m = {
		.slot = fz_ms_ids[e],
		.memory_size = FZ_PAGE * (1 + fz_below(rng, 4)),
		.userspace_addr = (u64)fz_ms_chunk(ms, e),
		.guest_phys_addr = fz_ms_random_gpa(rng, 4),
	};

	switch (fz_below(rng, 10)) {
	case 0:
		m.slot = ms->nr_slots + fz_below(rng, 0x10000 - ms->nr_slots);
		break;
	case 1:
		m.slot |= (1 + fz_below(rng, 0xffff)) << 16;
		break;
	case 2:
		m.flags = 1U << (2 + fz_below(rng, 30));
		break;
	case 3:
		m.memory_size += 1 + fz_below(rng, FZ_PAGE - 1);
		break;
	case 4:
		m.guest_phys_addr += 1 + fz_below(rng, FZ_PAGE - 1);
		break;
	case 5:
		m.userspace_addr += 1 + fz_below(rng, FZ_PAGE - 1);
		break;
	case 6:
		m.userspace_addr = fz_chance(rng, 1, 2) ? 0xffffffd800000000ULL :
				   ~0ULL - FZ_PAGE + 1;
		break;
	case 7:
		m.guest_phys_addr = ~0ULL - FZ_PAGE + 1;
		m.memory_size = 2 * FZ_PAGE;
		break;
	case 8:
		m.memory_size = 1ULL << (43 + fz_below(rng, 8));
		break;
	default:	/* delete a slot that is not there */
		if (ms->s[e].used)
			return;
		m.memory_size = 0;
	}
	fz_ms_set(t, ms, fz_ms_ids[e] == m.slot ? e : -1, &m, 0, "memslot_set",
		  "invalid request");
}

/*
 * Slots at the top of the guest-physical space (a 1-page slot of its
 * own, deleted at once): ending at the limit fits; past it is EFAULT.
 * 6.12 refuses the one that ends exactly at the limit too (it compares
 * with >=), so that case is its own check.
 */
static void fz_ms_top(struct fz_thread *t, struct fz_ms *ms)
{
	struct kvm_userspace_memory_region m = {
		.slot = fz_ms_ids[FZ_MS_TOP], .memory_size = FZ_PAGE,
		.userspace_addr = (u64)fz_ms_chunk(ms, FZ_MS_TOP),
	};
	int kind = fz_below(&t->rng, 3), r;

	m.guest_phys_addr = ms->gpa_limit - (kind == 0 ? FZ_PAGE : kind == 1 ? 0 :
					     2 * FZ_PAGE);
	if (kind == 2)
		m.memory_size = 3 * FZ_PAGE;
	r = fz_ms_set(t, ms, FZ_MS_TOP, &m, 0,
		      kind ? "memslot_set" : "memslot_gpa_top",
		      kind ? "past the guest-physical limit" : "ending at the limit");
	if (!kind && (!r || r == -EFAULT))
		__atomic_fetch_add(r ? &ms->top_efault : &ms->top_ok, 1, __ATOMIC_RELAXED);
	if (!r) {
		m.memory_size = 0;
		fz_ms_set(t, ms, FZ_MS_TOP, &m, 0, "memslot_set", "delete");
	}
}

/* --- Dirty logs ---------------------------------------------------------------- */

/* A buffer of @len bytes that ends where a PROT_NONE page begins. */
static u8 *fz_ms_bitmap(u8 *arena, u64 len)
{
	return arena + 2 * FZ_PAGE - len;
}

static u64 fz_ms_bitmap_bytes(u64 npages)
{
	return (npages + 63) / 64 * 8;
}

/* KVM_GET_DIRTY_LOG of a random slot; the stable one only where it clears nothing. */
static void fz_ms_get_log(struct fz_thread *t, struct fz_ms *ms, u8 *arena)
{
	struct fz_rng *rng = &t->rng;
	int e = fz_below(rng, FZ_MS_NR + 1);
	struct fz_slot *s = e < FZ_MS_NR ? &ms->s[e] : NULL;
	struct kvm_dirty_log log = { .slot = s ? fz_ms_ids[e] : ms->nr_slots };
	enum fz_ptr p = fz_random_ptr(rng, 8);
	u64 n = s && s->used ? fz_ms_bitmap_bytes(s->npages) : 8, mask, i;
	u8 *bm = fz_ms_bitmap(arena, n);
	int r;

	if (e == FZ_MS_STABLE && !ms->manual)
		return;
	if (fz_chance(rng, 1, 10))
		log.slot |= (1 + fz_below(rng, 0xffff)) << 16;
	if (log.slot >> 16 || (u16)log.slot >= ms->nr_slots)
		mask = fz_e(EINVAL);
	else if (!s || !s->used || !(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		mask = fz_e(ENOENT);
	else if (fz_ptr_faults(p, n, true))
		mask = fz_e(EFAULT);
	else
		mask = FZ_OK;
	log.dirty_bitmap = fz_ptr(p, bm);
	memset(bm, 0xff, n);
	r = fz_tioctl(t, "KVM_GET_DIRTY_LOG", ms->vm->vm_fd, KVM_GET_DIRTY_LOG, &log);
	fz_expect("dirty_log_get", mask, r, "slot 0x%x, ptr kind %d", log.slot, p);
	ms->logs++;
	if (r || p != FZ_P_GOOD)
		return;
	for (i = s->npages; i < n * 8; i++)
		if (bm[i / 8] & (1 << (i % 8)))
			break;
	fz_check(i == n * 8, "dirty_log_tail",
		 "slot %u of %llu pages: bit %llu is set", fz_ms_ids[e],
		 (unsigned long long)s->npages, (unsigned long long)i);
}

/*
 * What KVM_CLEAR_DIRTY_LOG must answer: first_page a multiple of 64,
 * num_pages too unless the range ends with the slot.
 */
static u64 fz_ms_clear_rule(struct fz_ms *ms, const struct kvm_clear_dirty_log *c,
			    const struct fz_slot *s, enum fz_ptr p)
{
	if (c->slot >> 16 || (u16)c->slot >= ms->nr_slots || c->first_page & 63)
		return fz_e(EINVAL);
	if (!s || !s->used || !(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return fz_e(ENOENT);
	if (c->first_page > s->npages || c->num_pages > s->npages - c->first_page ||
	    (c->num_pages < s->npages - c->first_page && (c->num_pages & 63)))
		return fz_e(EINVAL);
	if (fz_ptr_faults(p, (c->num_pages + 63) / 64 * 8, false))
		return fz_e(EFAULT);
	return FZ_OK;
}

/*
 * KVM_CLEAR_DIRTY_LOG of a random slot, ranges good and bad; on the
 * stable slot only requests that must fail, or clear nothing.
 */
static void fz_ms_clear_log(struct fz_thread *t, struct fz_ms *ms, u8 *arena)
{
	struct fz_rng *rng = &t->rng;
	int e = fz_below(rng, FZ_MS_NR);
	struct fz_slot *s = &ms->s[e];
	struct kvm_clear_dirty_log c = { .slot = fz_ms_ids[e] };
	u64 npages = s->used ? s->npages : 64, n, mask;
	enum fz_ptr p = fz_random_ptr(rng, 8);
	u8 *bm;
	int r;

	c.first_page = fz_chance(rng, 3, 4) ? fz_below(rng, npages / 64 + 2) * 64 :
		       fz_below(rng, npages + 2);
	c.num_pages = fz_chance(rng, 1, 2) && c.first_page <= npages ?
		      npages - c.first_page : fz_below(rng, 4) * 64 + fz_below(rng, 2);
	n = ((u64)c.num_pages + 63) / 64 * 8;
	bm = fz_ms_bitmap(arena, n ? n : 8);
	/* The stable slot's checks need its bits: clear none of them. */
	memset(bm, e == FZ_MS_STABLE ? 0 : 0xff, n);
	if (e == FZ_MS_STABLE && p == FZ_P_RO)
		p = FZ_P_GOOD;
	mask = fz_ms_clear_rule(ms, &c, s, p);
	c.dirty_bitmap = fz_ptr(p, bm);
	r = fz_tioctl(t, "KVM_CLEAR_DIRTY_LOG", ms->vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &c);
	fz_expect("dirty_log_clear", mask, r,
		  "slot %u first_page %llu num_pages %u (slot has %llu), ptr kind %d",
		  fz_ms_ids[e], (unsigned long long)c.first_page, c.num_pages,
		  (unsigned long long)npages, p);
	ms->logs++;
}

/* --- The stable slot's dirty log, with the harts paused ------------------------ */

static void fz_ms_stable_flags(struct fz_thread *t, struct fz_ms *ms, bool log)
{
	struct kvm_userspace_memory_region m = {
		.slot = FZ_MS_STABLE, .flags = log ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = FZ_MS_STABLE_GPA,
		.memory_size = FZ_MS_STABLE_PAGES * FZ_PAGE,
		.userspace_addr = (u64)ms->stable,
	};

	if (fz_ms_set(t, ms, FZ_MS_STABLE, &m, 0, "memslot_set",
		      "stable slot dirty logging"))
		return;
	ms->logging = log;
	ms->fresh = log;
	memcpy(ms->shadow, ms->stable, FZ_MS_STABLE_PAGES * FZ_PAGE);
}

/*
 * Harts paused: every page that changed since its bit was last cleared
 * must be dirty; then clear some (manual) or all (GET does) and take
 * the cleared pages' contents as the new reference.
 */
static void fz_ms_stable_check(struct fz_thread *t, struct fz_ms *ms, u8 *arena)
{
	u64 n = fz_ms_bitmap_bytes(FZ_MS_STABLE_PAGES), p, first, num;
	struct kvm_dirty_log log = { .slot = FZ_MS_STABLE };
	struct kvm_clear_dirty_log c = { .slot = FZ_MS_STABLE };
	u8 *bm = fz_ms_bitmap(arena, n), *clr = arena;
	bool dirty, changed, all = true;
	int r, missed = 0, first_missed = -1;

	log.dirty_bitmap = bm;
	r = fz_tioctl(t, "KVM_GET_DIRTY_LOG", ms->vm->vm_fd, KVM_GET_DIRTY_LOG, &log);
	if (!fz_expect("dirty_log_get", FZ_OK, r, "stable slot, harts paused"))
		return;
	ms->checks++;
	for (p = 0; p < FZ_MS_STABLE_PAGES; p++) {
		dirty = bm[p / 8] & (1 << (p % 8));
		changed = memcmp(ms->stable + p * FZ_PAGE, ms->shadow + p * FZ_PAGE,
				 FZ_PAGE);
		all &= dirty;
		ms->dirty_pages += dirty;
		if (changed && !dirty && !missed++)
			first_missed = p;
	}
	fz_check(!missed, "dirty_log_missed_write",
		 "%d written pages of the stable slot not dirty (first: page %d)%s",
		 missed, first_missed, ms->manual ? "" : ", without manual protect");
	if (ms->fresh && (ms->manual & KVM_DIRTY_LOG_INITIALLY_SET))
		fz_check(all, "dirty_log_initially_set",
			 "logging just enabled with INITIALLY_SET, not every page dirty");
	ms->fresh = false;
	if (!ms->manual) {
		/* GET cleared and re-protected everything it returned. */
		memcpy(ms->shadow, ms->stable, FZ_MS_STABLE_PAGES * FZ_PAGE);
		return;
	}
	first = fz_below(&t->rng, FZ_MS_STABLE_PAGES / 64 + 1) * 64;
	num = fz_chance(&t->rng, 1, 2) ? FZ_MS_STABLE_PAGES - first :
	      fz_below(&t->rng, (FZ_MS_STABLE_PAGES - first) / 64 + 1) * 64;
	for (p = 0; p < (num + 63) / 64 * 8; p++)
		clr[p] = fz_chance(&t->rng, 1, 4) ? 0xff : fz_next(&t->rng);
	c.first_page = first;
	c.num_pages = num;
	c.dirty_bitmap = clr;
	r = fz_tioctl(t, "KVM_CLEAR_DIRTY_LOG", ms->vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &c);
	if (!fz_expect("dirty_log_clear", FZ_OK, r, "stable slot, pages %llu+%llu",
		       (unsigned long long)first, (unsigned long long)num))
		return;
	for (p = 0; p < num; p++)
		if (clr[p / 8] & (1 << (p % 8)))
			memcpy(ms->shadow + (first + p) * FZ_PAGE,
			       ms->stable + (first + p) * FZ_PAGE, FZ_PAGE);
}

/* Called by each hart's runner before KVM_RUN: wait out a pause. */
static void fz_ms_before_run(struct fz_vcpu *v, void *arg)
{
	struct fz_ms *ms = arg;

	if (!READ_ONCE(ms->pause))
		return;
	pthread_mutex_lock(&ms->lock);
	ms->paused++;
	while (ms->pause && !READ_ONCE(v->stop))
		pthread_cond_wait(&ms->cond, &ms->lock);
	ms->paused--;
	pthread_mutex_unlock(&ms->lock);
}

static u64 fz_ms_gen(void *arg)
{
	return __atomic_load_n(&((struct fz_ms *)arg)->gen, __ATOMIC_SEQ_CST);
}

/*
 * An MMIO exit during a run in which no slot changed: no slot may map
 * the address (a store may hit a read-only slot, or memory whose
 * mapping went away).
 */
static void fz_ms_on_mmio(struct fz_vcpu *v, u64 gen, void *arg)
{
	struct fz_ms *ms = arg;
	u64 gpa = v->run->mmio.phys_addr, i, bad = ~0ULL;
	struct fz_slot s[FZ_MS_NR];

	ms->mmio++;
	if (gen & 1)
		return;
	memcpy(s, ms->s, sizeof(s));
	if (fz_ms_gen(ms) != gen)
		return;
	for (i = 0; i < FZ_MS_NR; i++) {
		if (!s[i].used || gpa < s[i].gpa || gpa >= s[i].gpa + s[i].npages * FZ_PAGE)
			continue;
		if (v->run->mmio.is_write && (s[i].flags & KVM_MEM_READONLY))
			continue;
		if (s[i].unmapped || s[i].ro_vma)
			continue;
		bad = i;
	}
	fz_check(bad == ~0ULL, "mmio_exit_outside_slots",
		 "MMIO %s at 0x%llx, inside slot %u (0x%llx, %llu pages, flags 0x%x)",
		 v->run->mmio.is_write ? "store" : "load", (unsigned long long)gpa,
		 bad < FZ_MS_NR ? fz_ms_ids[bad] : 0,
		 (unsigned long long)(bad < FZ_MS_NR ? s[bad].gpa : 0),
		 (unsigned long long)(bad < FZ_MS_NR ? s[bad].npages : 0),
		 bad < FZ_MS_NR ? s[bad].flags : 0);
}

/* Pause the harts (out of KVM_RUN, waiting), run @fn, let them go. */
static void fz_ms_paused(struct fz_ms *ms, int harts,
			 void (*fn)(struct fz_thread *, struct fz_ms *, u8 *),
			 struct fz_thread *t, u8 *arena)
{
	int i;

	fz_op(t, "pause the harts");
	WRITE_ONCE(ms->pause, true);
	for (;;) {
		pthread_mutex_lock(&ms->lock);
		i = ms->paused;
		pthread_mutex_unlock(&ms->lock);
		if (i == harts)
			break;
		for (i = 0; i < harts; i++)
			pthread_kill(ms->vm->vcpus[i].thr, SIGUSR1);
		fz_sleep_us(500);
		fz_watchdog();
	}
	fz_op_done(t);
	fn(t, ms, arena);
	pthread_mutex_lock(&ms->lock);
	ms->pause = false;
	pthread_cond_broadcast(&ms->cond);
	pthread_mutex_unlock(&ms->lock);
}

/*
 * Paused: the stable slot's log, logging switched now and then, the
 * memory of read-only and deleted slots.
 */
static void fz_ms_checkpoint(struct fz_thread *t, struct fz_ms *ms, u8 *arena)
{
	int e;

	/* The slot thread waits: one writer of the model and its gen. */
	pthread_mutex_lock(&ms->lock);
	if (ms->logging)
		fz_ms_stable_check(t, ms, arena);
	if (fz_chance(&t->rng, 1, 4))
		fz_ms_stable_flags(t, ms, !ms->logging);
	for (e = 2; e < FZ_MS_NR; e++) {
		fz_ms_readonly_check(ms, e);
		if (ms->s[e].quarantine) {
			fz_ms_quarantine_check(ms, e);
			ms->s[e].quarantine = true;
		}
	}
	pthread_mutex_unlock(&ms->lock);
}

struct fz_ms_worker {
	pthread_t thr;
	struct fz_thread t;
	struct fz_ms *ms;
	u64 ops;
};

static u8 *fz_ms_arena(void)
{
	u8 *a = mmap(NULL, 3 * FZ_PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(a != MAP_FAILED && !mprotect(a + 2 * FZ_PAGE, FZ_PAGE, PROT_NONE),
		    "bitmap arena");
	return a;
}

static void *fz_ms_main(void *arg)
{
	struct fz_ms_worker *w = arg;
	struct fz_thread *t = &w->t;
	struct fz_ms *ms = w->ms;
	u8 *arena = fz_ms_arena();

	fz_thread_register(t, "memslot", 400);
	while (!fz_round_over()) {
		pthread_mutex_lock(&ms->lock);
		switch (fz_below(&t->rng, 20)) {
		case 0 ... 7:
			fz_ms_change(t, ms);
			break;
		case 8 ... 9:
			fz_ms_invalid(t, ms);
			break;
		case 10:
			fz_ms_top(t, ms);
			break;
		case 11 ... 15:
			fz_ms_get_log(t, ms, arena);
			break;
		default:
			fz_ms_clear_log(t, ms, arena);
		}
		pthread_mutex_unlock(&ms->lock);
		w->ops++;
	}
	munmap(arena, 3 * FZ_PAGE);
	fz_thread_unregister(t);
	return NULL;
}

#define FZ_MS_HARTS	2

/*
 * The VM: guest code in slot 0, the stable slot, dirty-log protection as
 * chosen, two harts in MEM mode told where the window and the stable
 * slot are.
 */
static struct fz_ms *fz_ms_setup(struct fz_rng *rng, struct fz_thread *main_t,
				 struct fz_runcfg *cfg)
{
	struct fz_ms *ms = calloc(1, sizeof(*ms));
	struct fz_vm *vm = fz_guest_vm();
	int i;

	pthread_mutex_init(&ms->lock, NULL);
	pthread_cond_init(&ms->cond, NULL);
	ms->vm = vm;
	cfg->arg = ms;
	vm->cfg = cfg;
	ms->nr_slots = fz_vm_cap(vm->vm_fd, KVM_CAP_NR_MEMSLOTS);
	ms->gpa_limit = 1ULL << fz_vm_cap(vm->vm_fd, KVM_CAP_VM_GPA_BITS);
	fz_check(ms->nr_slots > 511 && ms->gpa_limit > FZ_MS_WIN + FZ_MS_WIN_SIZE,
		 "memslot_caps", "KVM_CAP_NR_MEMSLOTS %llu, GPA limit 0x%llx",
		 (unsigned long long)ms->nr_slots, (unsigned long long)ms->gpa_limit);
	/* Most rounds with manual protection, with INITIALLY_SET if offered. */
	if (fz_chance(rng, 3, 4)) {
		ms->manual = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			     (fz_chance(rng, 1, 2) ? KVM_DIRTY_LOG_INITIALLY_SET : 0);
		ms->manual &= fz_vm_cap(vm->vm_fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
		TEST_ASSERT(!fz_ioctl(vm->vm_fd, KVM_ENABLE_CAP,
				      &(struct kvm_enable_cap){
					.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					.args[0] = ms->manual }),
			    "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	}
	ms->s[0] = (struct fz_slot){ .used = true, .npages = FZ_G_MEM_SIZE / FZ_PAGE,
				     .hva = (u64)vm->mem };
	ms->pool = mmap(NULL, FZ_MS_NR * FZ_MS_CHUNK_PAGES * FZ_PAGE,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ms->stable = mmap(NULL, FZ_MS_STABLE_PAGES * FZ_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ms->shadow = malloc(FZ_MS_STABLE_PAGES * FZ_PAGE);
	TEST_ASSERT(ms->pool != MAP_FAILED && ms->stable != MAP_FAILED && ms->shadow,
		    "slot memory");
	fz_ms_stable_flags(main_t, ms, fz_chance(rng, 3, 4));

	for (i = 0; i < FZ_MS_HARTS; i++) {
		TEST_ASSERT(!fz_vcpu_create(vm, i, NULL), "vCPU %d", i);
		fz_vcpu_boot(&vm->vcpus[i]);
		TEST_ASSERT(!fz_ioctl(vm->vcpus[i].fd, KVM_SET_MP_STATE,
				      &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE }),
			    "runnable");
	}
	fz_guest_setup(vm, rng, FZ_M_MEM, fz_chance(rng, 1, 2) ? FZ_GF_AMO : 0);
	*fz_ctl(vm, FZ_C_WIN) = FZ_MS_WIN;
	*fz_ctl(vm, FZ_C_WIN_SIZE) = FZ_MS_WIN_SIZE;
	*fz_ctl(vm, FZ_C_STABLE) = FZ_MS_STABLE_GPA;
	*fz_ctl(vm, FZ_C_STABLE_SIZE) = FZ_MS_STABLE_PAGES * FZ_PAGE;
	return ms;
}

static void fz_ms_report(struct fz_ms *ms)
{
	struct fz_vm *vm = ms->vm;
	u64 runs = 0, exits = 0, eintr = 0, efault = 0;
	int i;

	fz_runner_stats(vm, &runs, &exits, &eintr);
	for (i = 0; i < vm->nr; i++)
		efault += vm->vcpus[i].efault;
	printf("# memslot: manual protect 0x%llx, %llu slot changes, %llu log calls, ",
	       (unsigned long long)ms->manual, (unsigned long long)ms->changes,
	       (unsigned long long)ms->logs);
	printf("%llu checkpoints (%llu dirty pages), %llu runs, %llu exits (%llu MMIO), ",
	       (unsigned long long)ms->checks, (unsigned long long)ms->dirty_pages,
	       (unsigned long long)runs, (unsigned long long)exits,
	       (unsigned long long)ms->mmio);
	printf("%llu EINTR, %llu EFAULT, guest: %llu iterations, %llu exceptions\n",
	       (unsigned long long)eintr, (unsigned long long)efault,
	       (unsigned long long)fz_guest_sum(vm, FZ_R_ITERS),
	       (unsigned long long)fz_guest_sum(vm, FZ_R_EXCS));
	printf("# memslot: read-only memory under a writable slot: %llu taken, %llu EPERM; ",
	       (unsigned long long)ms->ro_vma_ok, (unsigned long long)ms->ro_vma_eperm);
	printf("slot ending at the GPA limit: %llu taken, %llu EFAULT\n",
	       (unsigned long long)ms->top_ok, (unsigned long long)ms->top_efault);
}

static void fz_ms_free(struct fz_ms *ms)
{
	int e;

	fz_vm_destroy(ms->vm);
	for (e = 2; e < FZ_MS_NR; e++)
		fz_ms_chunk_restore(ms, e);
	munmap(ms->pool, FZ_MS_NR * FZ_MS_CHUNK_PAGES * FZ_PAGE);
	munmap(ms->stable, FZ_MS_STABLE_PAGES * FZ_PAGE);
	free(ms->shadow);
	free(ms);
}

static void fz_area_memslot(void)
{
	struct fz_runcfg cfg = {
		.exits_ok = FZ_EXIT(KVM_EXIT_MMIO) | FZ_EXIT(KVM_EXIT_RISCV_SBI),
		.imm_pct = 2,
		.eopnotsupp_ok = true,
		.efault_ok = fz.o.hazards,
		.on_mmio = fz_ms_on_mmio,
		.gen = fz_ms_gen,
		.before_run = fz_ms_before_run,
	};
	struct fz_ms_worker w = {};
	struct fz_thread main_t = {};
	struct fz_kicker k = {};
	u8 *arena = fz_ms_arena();
	struct fz_rng rng;
	struct fz_ms *ms;
	u64 next;
	int i, e;

	fz_seed(&rng, fz.o.seed, fz.round, 0);
	fz_thread_register(&main_t, "memslot-main", 401);
	ms = fz_ms_setup(&rng, &main_t, &cfg);
	w.ms = ms;
	for (i = 0; i < FZ_MS_HARTS; i++)
		fz_runner_start(&ms->vm->vcpus[i]);
	fz_kicker_start(&k, 20000);
	pthread_create(&w.thr, NULL, fz_ms_main, &w);

	/* Every 200-400 ms the harts pause for the dirty-log checks. */
	next = fz_now_ns();
	while (!fz_round_over()) {
		fz_sleep_us(20000);
		fz_watchdog();
		if (fz_now_ns() < next)
			continue;
		next = fz_now_ns() + 200000000ULL + fz_below(&rng, 200000000ULL);
		fz_ms_paused(ms, FZ_MS_HARTS, fz_ms_checkpoint, &main_t, arena);
	}
	fz_join(w.thr);
	fz_kicker_stop(&k);
	fz_ms_paused(ms, FZ_MS_HARTS, fz_ms_checkpoint, &main_t, arena);
	fz_runners_stop(ms->vm);
	for (e = 2; e < FZ_MS_NR; e++) {
		fz_ms_readonly_check(ms, e);
		fz_ms_quarantine_check(ms, e);
	}
	fz_ms_report(ms);
	fz_check(fz_guest_sum(ms->vm, FZ_R_ITERS) > 0, "guest_progress",
		 "no hart got through its loop");
	fz_ms_free(ms);
	munmap(arena, 3 * FZ_PAGE);
	fz_thread_unregister(&main_t);
}

#endif /* FUZZ_MEMSLOT_H */
