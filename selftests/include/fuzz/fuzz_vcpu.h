/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Area "vcpu": sparse vCPU ids, then vCPU and VM control ioctls racing
 * a guest whose harts start, stop and query each other through SBI HSM.
 *
 * Two threads create vCPUs from one list of ids, valid ones (up to
 * KVM_CAP_MAX_VCPU_ID - 1, with duplicates) and invalid ones: each
 * valid id must be created exactly once (the loser gets EEXIST), an
 * invalid one is EINVAL, and exactly one vCPU, the first, is runnable.
 * Then runner threads run the harts while fuzzing threads throw
 * KVM_SET/GET_MP_STATE, KVM_INTERRUPT, KVM_SET_GUEST_DEBUG,
 * KVM_ENABLE_CAP (vCPU and VM), KVM_SET_SIGNAL_MASK, stats fds, ONE_REG
 * reads, KVM_RUN from a second thread and the x86-only ioctls at them,
 * and /dev/kvm's own ioctls (KVM_CREATE_VM of odd machine types too).
 */
#ifndef FUZZ_VCPU_H
#define FUZZ_VCPU_H

#include "fuzz_guest.h"

#define FZ_IDS_TRIES	24

struct fz_idrace {
	struct fz_vm *vm;
	u64 ids[FZ_IDS_TRIES];
	u64 max_id;
	struct {
		pthread_t thr;
		struct fz_thread t;
		int fd[FZ_IDS_TRIES];	/* per entry of ids[]: fd or -errno */
	} w[2];
};

static void *fz_idrace_main(void *arg)
{
	struct fz_idrace *ir = arg;
	int me = pthread_self() == ir->w[1].thr, i, j, order[FZ_IDS_TRIES], tmp;
	struct fz_thread *t = &ir->w[me].t;

	fz_thread_register(t, "idrace", 200 + me);
	for (i = 0; i < FZ_IDS_TRIES; i++)
		order[i] = i;
	for (i = FZ_IDS_TRIES - 1; i > 0; i--) {
		j = fz_below(&t->rng, i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < FZ_IDS_TRIES; i++) {
		j = order[i];
		fz_op(t, "KVM_CREATE_VCPU");
		ir->w[me].fd[j] = ioctl(ir->vm->vm_fd, KVM_CREATE_VCPU, ir->ids[j]);
		if (ir->w[me].fd[j] < 0)
			ir->w[me].fd[j] = -errno;
		fz_op_done(t);
	}
	fz_thread_unregister(t);
	return NULL;
}

/* Adopt a vCPU fd made outside fz_vcpu_create(). */
static struct fz_vcpu *fz_vcpu_adopt(struct fz_vm *vm, int fd, u64 id)
{
	struct fz_vcpu *v = &vm->vcpus[vm->nr++];

	v->vm = vm;
	v->fd = fd;
	v->id = id;
	v->run = mmap(NULL, fz.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(v->run != MAP_FAILED, "mmap kvm_run");
	return v;
}

/* Ids to try: 8 valid ones (0 and the highest among them), repeated, and invalid ones. */
static void fz_ids_pick(struct fz_idrace *ir, struct fz_rng *rng)
{
	u64 valid[8], nvalid = 0, i;

	valid[nvalid++] = 0;
	valid[nvalid++] = ir->max_id - 1;
	while (nvalid < 8)
		valid[nvalid++] = fz_chance(rng, 1, 2) ? fz_below(rng, 8) :
				  fz_below(rng, ir->max_id);
	for (i = 0; i < FZ_IDS_TRIES; i++) {
		switch (fz_below(rng, 6)) {
		case 0:
			ir->ids[i] = ir->max_id + fz_below(rng, 2);
			break;
		case 1:
			ir->ids[i] = fz_chance(rng, 1, 2) ? (1ULL << 32) + fz_below(rng, 4) :
				     fz_chance(rng, 1, 2) ? 1ULL << 31 :
				     ~0ULL - fz_below(rng, 2);
			break;
		default:
			ir->ids[i] = valid[fz_below(rng, nvalid)];
		}
	}
}

/* Each answer on its own: a valid id is made or EEXIST, others EINVAL. */
static void fz_ids_check_each(struct fz_idrace *ir)
{
	int i, w, r;

	for (i = 0; i < FZ_IDS_TRIES; i++) {
		for (w = 0; w < 2; w++) {
			r = ir->w[w].fd[i];
			/* An invalid id that was made anyway must not leak. */
			if (r >= 0 && ir->ids[i] >= ir->max_id)
				close(r);
			fz_expect("vcpu_create", ir->ids[i] < ir->max_id ?
				  FZ_OK | fz_e(EEXIST) : fz_e(EINVAL),
				  r < 0 ? r : 0, "KVM_CREATE_VCPU %llu (max id %llu)",
				  (unsigned long long)ir->ids[i],
				  (unsigned long long)ir->max_id);
		}
	}
}

/* Exactly one success per distinct valid id; the VM adopts the vCPUs. */
static void fz_ids_adopt(struct fz_idrace *ir, struct fz_vm *vm)
{
	int i, j, w, fd;
	u64 made;

	for (i = 0; i < FZ_IDS_TRIES; i++) {
		if (ir->ids[i] >= ir->max_id)
			continue;
		made = 0;
		fd = -1;
		for (j = 0; j < FZ_IDS_TRIES; j++) {
			for (w = 0; w < 2 && ir->ids[j] == ir->ids[i]; w++) {
				if (ir->w[w].fd[j] < 0)
					continue;
				if (made++)
					close(ir->w[w].fd[j]);
				else
					fd = ir->w[w].fd[j];
				ir->w[w].fd[j] = -EEXIST;
			}
		}
		if (!made)
			continue;
		fz_check(made == 1, "vcpu_create_once", "vCPU id %llu created %llu times",
			 (unsigned long long)ir->ids[i], (unsigned long long)made);
		if (vm->nr < FZ_MAX_VCPUS)
			fz_vcpu_adopt(vm, fd, ir->ids[i]);
		else
			close(fd);
	}
}

/*
 * The first vCPU made is the boot hart, the others wait, stopped; the
 * boot hart goes first in the table HSM picks from.
 */
static void fz_ids_boot_first(struct fz_vm *vm)
{
	struct kvm_mp_state mp;
	struct fz_vcpu tmp;
	int i, r, runnable = 0, first = -1;

	for (i = 0; i < vm->nr; i++) {
		r = fz_ioctl(vm->vcpus[i].fd, KVM_GET_MP_STATE, &mp);
		fz_expect("mp_state_get", FZ_OK, r, "new vCPU %u", vm->vcpus[i].id);
		if (!r && mp.mp_state == KVM_MP_STATE_RUNNABLE) {
			runnable++;
			first = i;
		}
	}
	fz_check(runnable == 1, "mp_state_boot_vcpu",
		 "%d of %d new vCPUs are runnable", runnable, vm->nr);
	if (first > 0) {
		tmp = vm->vcpus[0];
		vm->vcpus[0] = vm->vcpus[first];
		vm->vcpus[first] = tmp;
	}
}

/* Valid and invalid ids, from two threads at once. */
static void fz_vcpu_ids(struct fz_vm *vm, struct fz_rng *rng)
{
	struct fz_idrace *ir = calloc(1, sizeof(*ir));
	int w;

	ir->vm = vm;
	/* Without KVM_CAP_MAX_VCPU_ID, ids go up to KVM_CAP_MAX_VCPUS (api.rst). */
	ir->max_id = fz_vm_cap(vm->vm_fd, KVM_CAP_MAX_VCPU_ID);
	if (ir->max_id <= 0)
		ir->max_id = fz_vm_cap(vm->vm_fd, KVM_CAP_MAX_VCPUS);
	fz_check(ir->max_id > 8, "vcpu_caps", "vCPU ids up to %lld",
		 (long long)ir->max_id);
	fz_ids_pick(ir, rng);
	for (w = 0; w < 2; w++)
		pthread_create(&ir->w[w].thr, NULL, fz_idrace_main, ir);
	for (w = 0; w < 2; w++)
		fz_join(ir->w[w].thr);
	fz_ids_check_each(ir);
	fz_ids_adopt(ir, vm);
	fz_ids_boot_first(vm);
	free(ir);
}

/* --- Control ioctls against running harts ------------------------------------------ */

struct fz_ctl_worker {
	pthread_t thr;
	struct fz_thread t;
	struct fz_vm *vm;
	int idx;
	u64 ops;
};

static struct fz_runcfg fz_vcpu_runcfg = {
	.exits_ok = FZ_EXITS_GUEST,
	.imm_pct = 5,
	.yield_us = 1000,
};

/* Debian's module accepts these where ours says EINVAL: counted. */
static u64 fz_debug_bits_ok, fz_debug_bits_einval;

static void fz_ctl_mp_state(struct fz_thread *t, struct fz_vcpu *v)
{
	struct fz_rng *rng = &t->rng;
	struct kvm_mp_state mp;
	enum fz_ptr p = fz_random_ptr(rng, 10);
	bool set = fz_chance(rng, 1, 2);
	u64 mask;
	int r;

	mp.mp_state = fz_chance(rng, 2, 3) ?
		      (fz_chance(rng, 1, 2) ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_STOPPED) :
		      fz_chance(rng, 1, 2) ? fz_below(rng, 10) : (u32)fz_next(rng);
	if (set) {
		/*
		 * The read-only page holds 0x5a5a5a5a, no valid state; a
		 * straddling pointer reads whatever the guard page's last
		 * bytes hold.
		 */
		mask = fz_ptr_faults(p, 4, false) ? fz_e(EFAULT) :
		       p == FZ_P_RO ? fz_e(EINVAL) :
		       p == FZ_P_STRADDLE ? FZ_OK | fz_e(EINVAL) :
		       mp.mp_state == KVM_MP_STATE_RUNNABLE ||
		       mp.mp_state == KVM_MP_STATE_STOPPED ? FZ_OK : fz_e(EINVAL);
		r = fz_tioctl(t, "KVM_SET_MP_STATE", v->fd, KVM_SET_MP_STATE,
			      fz_ptr(p, &mp));
		fz_expect("mp_state_set", mask, r, "KVM_SET_MP_STATE %u, ptr kind %d",
			  mp.mp_state, p);
		return;
	}
	mp.mp_state = ~0U;
	r = fz_tioctl(t, "KVM_GET_MP_STATE", v->fd, KVM_GET_MP_STATE, fz_ptr(p, &mp));
	fz_expect("mp_state_get", fz_ptr_faults(p, 4, true) ? fz_e(EFAULT) : FZ_OK,
		  r, "KVM_GET_MP_STATE, ptr kind %d", p);
	if (!r && p == FZ_P_GOOD)
		fz_check(mp.mp_state == KVM_MP_STATE_RUNNABLE ||
			 mp.mp_state == KVM_MP_STATE_STOPPED, "mp_state_value",
			 "vCPU %u is in MP state %u", v->id, mp.mp_state);
}

static void fz_ctl_interrupt(struct fz_thread *t, struct fz_vcpu *v)
{
	struct fz_rng *rng = &t->rng;
	enum fz_ptr p = fz_random_ptr(rng, 10);
	struct kvm_interrupt irq;
	u64 mask;
	int r;

	irq.irq = fz_chance(rng, 4, 5) ?
		  (fz_chance(rng, 1, 2) ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET) :
		  (u32)fz_value(rng);
	if (fz_ptr_faults(p, 4, false))
		mask = fz_e(EFAULT);
	else if (p == FZ_P_STRADDLE)
		mask = FZ_OK | fz_e(EINVAL);	/* whatever the guard holds */
	else if (p == FZ_P_RO || (irq.irq != KVM_INTERRUPT_SET &&
				  irq.irq != KVM_INTERRUPT_UNSET))
		/* Ours refuses other values (Documentation/testing.rst). */
		mask = fz.ours ? fz_e(EINVAL) : FZ_OK;
	else
		mask = FZ_OK;
	r = fz_tioctl(t, "KVM_INTERRUPT", v->fd, KVM_INTERRUPT, fz_ptr(p, &irq));
	fz_expect("interrupt", mask, r, "KVM_INTERRUPT 0x%x, ptr kind %d", irq.irq, p);
}

static void fz_ctl_debug(struct fz_thread *t, struct fz_vcpu *v)
{
	struct fz_rng *rng = &t->rng;
	enum fz_ptr p = fz_random_ptr(rng, 10);
	struct kvm_guest_debug dbg = {};
	bool other;
	int r;

	switch (fz_below(rng, 4)) {
	case 0:
		dbg.control = 0;
		break;
	case 1:
		dbg.control = KVM_GUESTDBG_ENABLE;
		break;
	case 2:
		dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
		break;
	default:
		dbg.control = fz_value(rng);
	}
	other = dbg.control & ~KVM_GUESTDBG_ENABLE;
	if (p == FZ_P_RO)
		other = true;	/* 0x5a5a5a5a */
	r = fz_tioctl(t, "KVM_SET_GUEST_DEBUG", v->fd, KVM_SET_GUEST_DEBUG,
		      fz_ptr(p, &dbg));
	/*
	 * Control bits RISC-V cannot honour: ours refuses them, 6.12 takes
	 * them as they come; api.rst fixes neither.
	 */
	fz_expect("guest_debug", fz_ptr_faults(p, sizeof(dbg), false) ? fz_e(EFAULT) :
		  other ? FZ_OK | fz_e(EINVAL) : FZ_OK, r,
		  "KVM_SET_GUEST_DEBUG 0x%x, ptr kind %d", dbg.control, p);
	if (other && !fz_ptr_faults(p, sizeof(dbg), false))
		__atomic_fetch_add(r ? &fz_debug_bits_einval : &fz_debug_bits_ok, 1,
				   __ATOMIC_RELAXED);
}

/* What KVM_ENABLE_CAP on a VM must answer (virt/kvm's generic caps). */
static u64 fz_vm_cap_rule(struct fz_vm *vm, const struct kvm_enable_cap *cap)
{
	u64 a = cap->args[0];

	if (cap->flags)
		return fz_e(EINVAL);
	switch (cap->cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		/* What KVM_CHECK_EXTENSION offers, and the rest only with ENABLE. */
		if (a & ~(u64)fz_vm_cap(vm->vm_fd, cap->cap))
			return fz_e(EINVAL);
		if (a && !(a & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
			return fz_e(EINVAL);
		return FZ_OK;
	case KVM_CAP_HALT_POLL:
		return a == (u32)a ? FZ_OK : fz_e(EINVAL);
	case KVM_CAP_VM_GPA_BITS: {
		/* Narrows the G-stage, on a VM without vCPUs or memory only. */
		u64 bits = fz_vm_cap(vm->vm_fd, cap->cap);

		if (!bits || !a)
			return fz_e(EINVAL);
		return (a <= bits ? FZ_OK : fz_e(EINVAL)) | fz_e(EBUSY);
	}
	case KVM_CAP_DIRTY_LOG_RING:
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		/* Not offered on RISC-V: the check below makes sure. */
		return fz_vm_cap(vm->vm_fd, cap->cap) ? FZ_OK | fz_e(EINVAL) :
		       fz_e(EINVAL);
	default:
		return fz_e(EINVAL);
	}
}

static void fz_ctl_enable_cap(struct fz_thread *t, struct fz_vm *vm,
			      struct fz_vcpu *v)
{
	static const u32 caps[] = {
		KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_HALT_POLL,
		KVM_CAP_DIRTY_LOG_RING, KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
		KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, KVM_CAP_ONE_REG,
		KVM_CAP_IRQCHIP, KVM_CAP_EXIT_HYPERCALL,
	};
	struct fz_rng *rng = &t->rng;
	enum fz_ptr p = fz_random_ptr(rng, 10);
	struct kvm_enable_cap cap = {};
	bool on_vm = fz_chance(rng, 1, 2);
	u64 mask;
	int r;

	cap.cap = fz_chance(rng, 3, 4) ? caps[fz_below(rng, ARRAY_SIZE(caps))] :
		  fz_below(rng, 300);
	cap.flags = fz_chance(rng, 9, 10) ? 0 : fz_value(rng);
	cap.args[0] = fz_chance(rng, 1, 2) ? fz_below(rng, 4) : fz_value(rng);
	cap.args[1] = fz_value(rng);
	if (!on_vm) {
		/* RISC-V has no vCPU capabilities to enable, whatever the pointer. */
		r = fz_tioctl(t, "KVM_ENABLE_CAP(vcpu)", v->fd, KVM_ENABLE_CAP,
			      fz_ptr(p, &cap));
		fz_expect("enable_cap_vcpu", fz_e(EINVAL), r,
			  "vCPU KVM_ENABLE_CAP %u, ptr kind %d", cap.cap, p);
		return;
	}
	if (fz_ptr_faults(p, sizeof(cap), false))
		mask = fz_e(EFAULT);
	else if (p == FZ_P_RO)
		mask = fz_e(EINVAL);	/* flags 0x5a5a5a5a */
	else
		mask = fz_vm_cap_rule(vm, &cap);
	r = fz_tioctl(t, "KVM_ENABLE_CAP(vm)", vm->vm_fd, KVM_ENABLE_CAP,
		      fz_ptr(p, &cap));
	fz_expect("enable_cap_vm", mask, r,
		  "VM KVM_ENABLE_CAP %u flags 0x%x args[0] 0x%llx, ptr kind %d",
		  cap.cap, cap.flags, (unsigned long long)cap.args[0], p);
}

static void fz_ctl_sigmask(struct fz_thread *t, struct fz_vcpu *v)
{
	struct fz_rng *rng = &t->rng;
	struct {
		struct kvm_signal_mask m;
		u64 set;
	} s;
	enum fz_ptr p = fz_random_ptr(rng, 10);
	bool null = fz_chance(rng, 1, 5);
	u64 mask;
	int r;

	s.m.len = fz_chance(rng, 4, 5) ? 8 : fz_below(rng, 32);
	/* Never SIGUSR1: the runners must stay kickable. */
	s.set = fz_next(rng) & ~(1ULL << (SIGUSR1 - 1));
	if (null || p == FZ_P_NULL)	/* no mask: none is applied */
		mask = FZ_OK;
	else if (fz_ptr_faults(p, 4, false))
		mask = fz_e(EFAULT);
	else if (p == FZ_P_RO || p == FZ_P_STRADDLE)
		/* 0x5a5a5a5a is no length; straddling, the set is unreadable */
		mask = p == FZ_P_RO ? fz_e(EINVAL) : fz_e(EINVAL) | fz_e(EFAULT);
	else
		mask = s.m.len == 8 ? FZ_OK : fz_e(EINVAL);
	r = fz_tioctl(t, "KVM_SET_SIGNAL_MASK", v->fd, KVM_SET_SIGNAL_MASK,
		      null ? NULL : fz_ptr(p, &s));
	fz_expect("signal_mask", mask, r, "KVM_SET_SIGNAL_MASK len %u, ptr kind %d%s",
		  s.m.len, p, null ? " (NULL)" : "");
}

static void fz_ctl_stats(struct fz_thread *t, struct fz_vcpu *v)
{
	struct kvm_stats_header h;
	int fd = fz_tioctl(t, "KVM_GET_STATS_FD", v->fd, KVM_GET_STATS_FD, NULL);

	if (!fz_check(fd >= 0, "stats_fd", "vCPU KVM_GET_STATS_FD: %s",
		      fz_err_str(fd < 0 ? fd : 0)))
		return;
	fz_check(pread(fd, &h, sizeof(h), 0) == sizeof(h) && h.num_desc > 0,
		 "stats_read", "reading the vCPU stats header");
	close(fd);
}

/* The x86-shaped register ioctls mean nothing on RISC-V. */
static void fz_ctl_x86(struct fz_thread *t, struct fz_vcpu *v)
{
	static const unsigned long cmds[] = {
		KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
		KVM_GET_FPU, KVM_SET_FPU, KVM_TRANSLATE,
	};
	unsigned long cmd = cmds[fz_below(&t->rng, ARRAY_SIZE(cmds))];
	int r;

	memset(fz.buf, 0, 64);
	r = fz_tioctl(t, "x86 ioctl", v->fd, cmd, fz.buf);
	/* KVM_TRANSLATE copies its (non-empty) struct back: EFAULT never. */
	fz_expect("x86_ioctls", fz_e(EINVAL), r, "ioctl 0x%lx", cmd);
}

/*
 * KVM_RUN of a vCPU no runner drives (two threads in KVM_RUN of one vCPU
 * would read each other's exits), bounded by a timer.
 */
static void fz_ctl_run(struct fz_thread *t, struct fz_vcpu *v, struct fz_timer *tm)
{
	int r;

	if (v->has_thread || __atomic_exchange_n(&v->busy, 1, __ATOMIC_ACQUIRE))
		return;
	fz_timer_arm(tm, 1000 + fz_below(&t->rng, 5000));
	r = fz_tioctl(t, "KVM_RUN(second thread)", v->fd, KVM_RUN, NULL);
	fz_timer_disarm(tm);
	fz_expect("run_result", FZ_OK | fz_e(EINTR), r, "KVM_RUN of vCPU %u", v->id);
	if (!r) {
		fz_check(v->run->exit_reason < 64 &&
			 (fz_vcpu_runcfg.exits_ok & FZ_EXIT(v->run->exit_reason)),
			 "run_exit_reason", "vCPU %u exited with %u", v->id,
			 v->run->exit_reason);
		fz_answer(v, t);
	}
	__atomic_store_n(&v->busy, 0, __ATOMIC_RELEASE);
}

/* Debian's module makes VMs of any machine type; ours only of type 0. */
static u64 fz_vmtype_ok, fz_vmtype_einval;

/* /dev/kvm itself: what it answers does not depend on any VM. */
static void fz_ctl_dev(struct fz_thread *t)
{
	struct fz_rng *rng = &t->rng;
	unsigned long type;
	int r;

	switch (fz_below(rng, 4)) {
	case 0:
		r = fz_tioctl(t, "KVM_GET_API_VERSION", fz.kvm_fd, KVM_GET_API_VERSION, NULL);
		fz_check(r == KVM_API_VERSION, "dev_api_version", "KVM_GET_API_VERSION %d", r);
		break;
	case 1:
		r = fz_tioctl(t, "KVM_GET_VCPU_MMAP_SIZE", fz.kvm_fd,
			      KVM_GET_VCPU_MMAP_SIZE, NULL);
		fz_check(r == (int)fz.run_size, "dev_mmap_size",
			 "KVM_GET_VCPU_MMAP_SIZE %d, was %zu", r, fz.run_size);
		break;
	case 2:
		r = fz_tioctl(t, "KVM_CHECK_EXTENSION", fz.kvm_fd, KVM_CHECK_EXTENSION,
			      (void *)fz_below(rng, 300));
		fz_check(r >= 0, "check_extension", "/dev/kvm KVM_CHECK_EXTENSION: %s",
			 fz_err_str(r < 0 ? r : 0));
		break;
	default:
		/* api.rst fixes no RISC-V machine type but 0. */
		type = fz_chance(rng, 1, 2) ? 0 : fz_value(rng);
		r = fz_tioctl(t, "KVM_CREATE_VM", fz.kvm_fd, KVM_CREATE_VM, (void *)type);
		fz_expect("create_vm", type ? FZ_OK | fz_e(EINVAL) : FZ_OK,
			  r < 0 ? r : 0, "KVM_CREATE_VM type 0x%lx", type);
		if (type && (r >= 0 || r == -EINVAL))
			__atomic_fetch_add(r >= 0 ? &fz_vmtype_ok : &fz_vmtype_einval, 1,
					   __ATOMIC_RELAXED);
		if (r >= 0)
			close(r);
	}
}

static void *fz_ctl_main(void *arg)
{
	struct fz_ctl_worker *w = arg;
	struct fz_thread *t = &w->t;
	struct fz_vm *vm = w->vm;
	struct fz_timer tm = {};
	struct kvm_reg_list rl;
	struct fz_vcpu *v;
	u64 val;
	int r;

	fz_thread_register(t, "vcpuctl", 300 + w->idx);
	while (!fz_round_over()) {
		v = &vm->vcpus[fz_below(&t->rng, vm->nr)];
		switch (fz_below(&t->rng, 20)) {
		case 0 ... 4:
			fz_ctl_mp_state(t, v);
			break;
		case 5 ... 7:
			fz_ctl_interrupt(t, v);
			break;
		case 8 ... 9:
			fz_ctl_debug(t, v);
			break;
		case 10 ... 11:
			fz_ctl_enable_cap(t, vm, v);
			break;
		case 12:
			fz_ctl_sigmask(t, v);
			break;
		case 13:
			fz_ctl_stats(t, v);
			break;
		case 14:
			fz_ctl_x86(t, v);
			break;
		case 15:
			fz_ctl_run(t, v, &tm);
			break;
		case 16:
			rl.n = 0;
			r = fz_tioctl(t, "KVM_GET_REG_LIST", v->fd, KVM_GET_REG_LIST, &rl);
			fz_expect("reglist_e2big", fz_e(E2BIG), r, "n = 0, vCPU running");
			break;
		case 17:
			r = fz_tioctl(t, "KVM_CHECK_EXTENSION", vm->vm_fd,
				      KVM_CHECK_EXTENSION,
				      (void *)fz_below(&t->rng, 300));
			fz_check(r >= 0, "check_extension", "VM KVM_CHECK_EXTENSION: %s",
				 fz_err_str(r < 0 ? r : 0));
			break;
		case 18:
			fz_ctl_dev(t);
			break;
		default:
			r = fz_tioctl(t, "KVM_GET_ONE_REG", v->fd, KVM_GET_ONE_REG,
				      &(struct kvm_one_reg){
					.id = fz_chance(&t->rng, 1, 2) ? FZ_CORE_PC :
					      FZ_CORE_X(10),
					.addr = (u64)&val });
			fz_expect("onereg_get", FZ_OK, r, "pc or a0 of a running vCPU");
		}
		w->ops++;
	}
	fz_timer_delete(&tm);
	fz_thread_unregister(t);
	return NULL;
}

static void fz_area_vcpu(void)
{
	struct fz_ctl_worker w[8] = {};
	struct fz_kicker k = {};
	struct fz_rng rng;
	struct fz_vm *vm;
	unsigned int i, n = fz.o.threads < 8 ? fz.o.threads : 8;
	u64 ops = 0, runs = 0, exits = 0, eintr = 0;
	int hsm_harts;

	fz_seed(&rng, fz.o.seed, fz.round, 0);
	vm = fz_guest_vm();
	vm->cfg = &fz_vcpu_runcfg;
	fz_vcpu_ids(vm, &rng);
	if (!vm->nr) {
		fz_check(false, "vcpu_create", "no vCPU could be made");
		fz_vm_destroy(vm);
		return;
	}
	fz_guest_setup(vm, &rng, FZ_M_HSM, FZ_GF_STOP | FZ_GF_WFI | FZ_GF_SRST);
	/* Most harts play HSM; one in four makes exits instead. */
	for (i = 0; i < (unsigned int)vm->nr; i++) {
		fz_vcpu_boot(&vm->vcpus[i]);
		if (fz_chance(&rng, 1, 4))
			fz_hart_rec(vm, vm->vcpus[i].id)[FZ_R_MODE] = FZ_M_EXITS;
	}
	/* A runner for most harts; the others are run by the fuzzing threads. */
	hsm_harts = 0;
	for (i = 0; i < (unsigned int)vm->nr && i < FZ_C_MAX_IDS; i++) {
		if (i && fz_chance(&rng, 1, 6))
			continue;
		fz_runner_start(&vm->vcpus[i]);
		hsm_harts++;
	}
	fz_kicker_start(&k, 2000);
	for (i = 0; i < n; i++) {
		w[i].vm = vm;
		w[i].idx = i;
		pthread_create(&w[i].thr, NULL, fz_ctl_main, &w[i]);
	}
	for (i = 0; i < n; i++) {
		fz_join(w[i].thr);
		ops += w[i].ops;
	}
	fz_kicker_stop(&k);
	fz_runners_stop(vm);
	fz_guest_check_sbi(vm);
	fz_runner_stats(vm, &runs, &exits, &eintr);
	printf("# vcpu: %d vCPUs (%d with runners), %u threads, %llu ops, ",
	       vm->nr, hsm_harts, n, (unsigned long long)ops);
	printf("%llu runs, %llu exits, %llu EINTR, ", (unsigned long long)runs,
	       (unsigned long long)exits, (unsigned long long)eintr);
	printf("guest: %llu iterations, %llu SBI calls, %llu interrupts\n",
	       (unsigned long long)fz_guest_sum(vm, FZ_R_ITERS),
	       (unsigned long long)fz_guest_sum(vm, FZ_R_ECALLS),
	       (unsigned long long)fz_guest_sum(vm, FZ_R_IRQS));
	fz_check(fz_guest_sum(vm, FZ_R_ITERS) > 0, "guest_progress",
		 "no hart got through its loop");
	fz_vm_destroy(vm);
}

#endif /* FUZZ_VCPU_H */
