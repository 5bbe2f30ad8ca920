/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Areas "run" and "close".
 *
 * run: three harts make every kind of exit (MMIO of each width, SBI
 * calls userspace answers, CSR, ebreak under guest debug, SRST) while
 * SIGUSR1 arrives every few hundred microseconds, KVM_INTERRUPT is
 * raised and lowered from another thread, some runs have immediate_exit
 * set, and after many exits kvm_run is overwritten with garbage before
 * the next KVM_RUN.  The host must carry on; exits must complete where
 * the contract says (fuzz_guest.h, fz_completion()).
 *
 * close: VMs with running vCPUs are torn down in random orders: /dev/kvm,
 * the VM fd and vCPU fds closed while other threads are in KVM_RUN,
 * stats fds read after everything else is gone, kvm_run mappings used
 * after their fd is closed, guest memory pulled from under a running
 * guest.  Afterwards kvm.ko's reference count must be where it was.
 */
#ifndef FUZZ_LIFE_H
#define FUZZ_LIFE_H

#include "fuzz_guest.h"

/* --- run ------------------------------------------------------------------------ */

struct fz_irq_worker {
	pthread_t thr;
	struct fz_thread t;
	struct fz_vm *vm;
	u64 ops;
};

/* KVM_INTERRUPT needs no vCPU mutex: it races KVM_RUN itself. */
static void *fz_irq_main(void *arg)
{
	struct fz_irq_worker *w = arg;
	struct fz_thread *t = &w->t;
	struct kvm_interrupt irq;
	struct fz_vcpu *v;
	int r;

	fz_thread_register(t, "irq", 500);
	while (!fz_round_over()) {
		v = &w->vm->vcpus[fz_below(&t->rng, w->vm->nr)];
		irq.irq = fz_chance(&t->rng, 1, 2) ? KVM_INTERRUPT_SET :
						      KVM_INTERRUPT_UNSET;
		r = fz_tioctl(t, "KVM_INTERRUPT", v->fd, KVM_INTERRUPT, &irq);
		fz_expect("interrupt", FZ_OK, r, "KVM_INTERRUPT 0x%x", irq.irq);
		if (fz_chance(&t->rng, 1, 20)) {
			struct kvm_guest_debug dbg = {
				.control = fz_chance(&t->rng, 1, 2) ? KVM_GUESTDBG_ENABLE : 0,
			};

			r = fz_tioctl(t, "KVM_SET_GUEST_DEBUG", v->fd,
				      KVM_SET_GUEST_DEBUG, &dbg);
			fz_expect("guest_debug", FZ_OK, r, "KVM_SET_GUEST_DEBUG 0x%x",
				  dbg.control);
		}
		fz_sleep_us(fz_below(&t->rng, 2000));
		w->ops++;
	}
	fz_thread_unregister(t);
	return NULL;
}

static void fz_area_run(void)
{
	static struct fz_runcfg cfg = {
		.exits_ok = FZ_EXITS_GUEST,
		.imm_pct = 10,
		.garble_pct = 30,
		.check_pct = 30,
		.eopnotsupp_ok = true,
	};
	struct fz_irq_worker w = {};
	struct fz_kicker k = {};
	struct fz_rng rng;
	struct fz_vm *vm;
	u64 runs = 0, exits = 0, eintr = 0, e[64] = {};
	u32 id = 0;
	int i, j;

	fz_seed(&rng, fz.o.seed, fz.round, 0);
	vm = fz_guest_vm();
	vm->cfg = &cfg;
	for (i = 0; i < 3; i++) {
		/* Sparse ids, rising so that no two are the same. */
		TEST_ASSERT(!fz_vcpu_create(vm, id, NULL), "vCPU %d, id %u", i, id);
		id += 1 + fz_below(&rng, 100);
		fz_vcpu_boot(&vm->vcpus[i]);
		TEST_ASSERT(!fz_ioctl(vm->vcpus[i].fd, KVM_SET_MP_STATE,
				      &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE }),
			    "runnable");
	}
	fz_guest_setup(vm, &rng, FZ_M_EXITS, FZ_GF_WFI | FZ_GF_SRST | FZ_GF_AMO);
	for (i = 0; i < vm->nr; i++)
		fz_runner_start(&vm->vcpus[i]);
	fz_kicker_start(&k, 500);
	w.vm = vm;
	pthread_create(&w.thr, NULL, fz_irq_main, &w);
	fz_round_wait(NULL, NULL);
	fz_join(w.thr);
	fz_kicker_stop(&k);
	fz_runners_stop(vm);
	fz_guest_check_sbi(vm);
	fz_runner_stats(vm, &runs, &exits, &eintr);
	for (i = 0; i < vm->nr; i++)
		for (j = 0; j < 64; j++)
			e[j] += vm->vcpus[i].exits[j];
	printf("# run: %llu runs, %llu EINTR (%llu kicks), exits: %llu MMIO, %llu SBI, ",
	       (unsigned long long)runs, (unsigned long long)eintr,
	       (unsigned long long)k.kicks, (unsigned long long)e[KVM_EXIT_MMIO],
	       (unsigned long long)e[KVM_EXIT_RISCV_SBI]);
	printf("%llu CSR, %llu debug, %llu system event; ",
	       (unsigned long long)e[KVM_EXIT_RISCV_CSR],
	       (unsigned long long)e[KVM_EXIT_DEBUG],
	       (unsigned long long)e[KVM_EXIT_SYSTEM_EVENT]);
	printf("guest: %llu iterations, %llu exceptions, %llu interrupts\n",
	       (unsigned long long)fz_guest_sum(vm, FZ_R_ITERS),
	       (unsigned long long)fz_guest_sum(vm, FZ_R_EXCS),
	       (unsigned long long)fz_guest_sum(vm, FZ_R_IRQS));
	for (i = 0; i < vm->nr; i++) {
		u64 *rec = fz_hart_rec(vm, vm->vcpus[i].id);

		printf("# run: hart %u: %llu iterations, %llu exceptions, ",
		       vm->vcpus[i].id, (unsigned long long)rec[FZ_R_ITERS],
		       (unsigned long long)rec[FZ_R_EXCS]);
		printf("last trap cause 0x%llx at 0x%llx\n",
		       (unsigned long long)rec[FZ_R_CAUSE],
		       (unsigned long long)rec[FZ_R_EPC]);
	}
	fz_check(exits > 0, "guest_progress", "no exit in the whole round");
	fz_vm_destroy(vm);
}

/* --- close ----------------------------------------------------------------------- */

enum fz_life_act {
	FZ_L_KVM,		/* close the /dev/kvm fd */
	FZ_L_VM,		/* close the VM fd */
	FZ_L_VCPU,		/* close vCPU i's fd (its runner may be in KVM_RUN) */
	FZ_L_STOP,		/* stop vCPU i's runner */
	FZ_L_UNMAP_RUN,		/* munmap vCPU i's kvm_run (after STOP) */
	FZ_L_STATS,		/* read, then close, stats fd i */
	FZ_L_MEM,		/* pull the guest's memory from under it */
	FZ_L_NAP,		/* let things run a little */
};

struct fz_life_act_i {
	enum fz_life_act a;
	int i;
};

struct fz_life {
	struct fz_vm *vm;
	int stats[FZ_MAX_VCPUS + 1];
	int nstats;
	bool vcpu_closed[FZ_MAX_VCPUS];
};

static struct fz_runcfg fz_life_runcfg = {
	.exits_ok = FZ_EXITS_GUEST,
	.imm_pct = 5,
	.garble_pct = 10,
	.fd_may_vanish = true,
	.eopnotsupp_ok = true,
};

/* Close @fd without freeing its number: a runner may still use it. */
static void fz_fd_vanish(int fd)
{
	TEST_ASSERT(dup2(fz.devnull, fd) == fd, "dup2");
}

static void fz_stats_read(struct fz_thread *t, int fd, const char *when)
{
	struct kvm_stats_header h;
	u64 data;

	fz_op(t, "read stats");
	fz_check(pread(fd, &h, sizeof(h), 0) == sizeof(h) && h.num_desc > 0 &&
		 pread(fd, &data, sizeof(data), h.data_offset) == sizeof(data),
		 "stats_read", "stats fd %s: %s", when, strerror(errno));
	fz_op_done(t);
}

static void fz_life_setup(struct fz_thread *t, struct fz_life *l)
{
	struct fz_rng *rng = &t->rng;
	struct fz_vm *vm = fz_guest_vm();
	int i, n = 1 + fz_below(rng, 3), fd;

	l->vm = vm;
	vm->cfg = &fz_life_runcfg;
	for (i = 0; i < n; i++) {
		TEST_ASSERT(!fz_vcpu_create(vm, i + fz_below(rng, 50) * 8, NULL),
			    "vCPU %d", i);
		fz_vcpu_boot(&vm->vcpus[i]);
		fz_ioctl(vm->vcpus[i].fd, KVM_SET_MP_STATE,
			 &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE });
	}
	fz_guest_setup(vm, rng, fz_chance(rng, 1, 2) ? FZ_M_EXITS : FZ_M_HSM,
		       FZ_GF_WFI | FZ_GF_STOP);
	l->nstats = 0;
	fd = fz_ioctl(vm->vm_fd, KVM_GET_STATS_FD, NULL);
	fz_check(fd >= 0, "stats_fd", "VM KVM_GET_STATS_FD: %s", fz_err_str(fd < 0 ? fd : 0));
	if (fd >= 0)
		l->stats[l->nstats++] = fd;
	for (i = 0; i < n; i++) {
		fd = fz_ioctl(vm->vcpus[i].fd, KVM_GET_STATS_FD, NULL);
		fz_check(fd >= 0, "stats_fd", "vCPU KVM_GET_STATS_FD: %s",
			 fz_err_str(fd < 0 ? fd : 0));
		if (fd >= 0)
			l->stats[l->nstats++] = fd;
		l->vcpu_closed[i] = false;
		fz_runner_start(&vm->vcpus[i]);
	}
}

/*
 * The teardown steps in a random order; kvm_run unmapped only once its
 * runner stopped.
 */
static int fz_life_plan(struct fz_rng *rng, struct fz_life *l,
			struct fz_life_act_i *plan)
{
	int n = 0, i, j, k;
	struct fz_life_act_i tmp;

	plan[n++] = (struct fz_life_act_i){ FZ_L_KVM, 0 };
	plan[n++] = (struct fz_life_act_i){ FZ_L_VM, 0 };
	if (fz.o.hazards && fz_chance(rng, 1, 4))
		plan[n++] = (struct fz_life_act_i){ FZ_L_MEM, 0 };
	for (i = 0; i < l->vm->nr; i++) {
		plan[n++] = (struct fz_life_act_i){ FZ_L_VCPU, i };
		plan[n++] = (struct fz_life_act_i){ FZ_L_STOP, i };
		plan[n++] = (struct fz_life_act_i){ FZ_L_UNMAP_RUN, i };
	}
	for (i = 0; i < l->nstats; i++)
		plan[n++] = (struct fz_life_act_i){ FZ_L_STATS, i };
	for (i = 0; i < 3; i++)
		plan[n++] = (struct fz_life_act_i){ FZ_L_NAP, 0 };
	for (i = n - 1; i > 0; i--) {
		j = fz_below(rng, i + 1);
		tmp = plan[i];
		plan[i] = plan[j];
		plan[j] = tmp;
	}
	/* Each UNMAP_RUN goes after its STOP. */
	for (i = 0; i < n; i++) {
		if (plan[i].a != FZ_L_UNMAP_RUN)
			continue;
		for (k = i + 1; k < n; k++) {
			if (plan[k].a == FZ_L_STOP && plan[k].i == plan[i].i) {
				tmp = plan[i];
				plan[i] = plan[k];
				plan[k] = tmp;
				break;
			}
		}
	}
	return n;
}

static void fz_life_act(struct fz_thread *t, struct fz_life *l,
			struct fz_life_act_i *s)
{
	struct fz_vm *vm = l->vm;
	struct fz_vcpu *v = &vm->vcpus[s->i];
	int fd;

	switch (s->a) {
	case FZ_L_KVM:
		close(vm->kvm_fd);
		vm->kvm_fd = -1;
		break;
	case FZ_L_VM:
		close(vm->vm_fd);
		vm->vm_fd = -1;
		break;
	case FZ_L_VCPU:
		/* While its runner lives, the number must stay taken. */
		if (v->has_thread) {
			fz_fd_vanish(v->fd);
		} else {
			close(v->fd);
			v->fd = -1;
		}
		l->vcpu_closed[s->i] = true;
		break;
	case FZ_L_STOP:
		fz_runner_stop(v);
		if (l->vcpu_closed[s->i] && v->fd >= 0) {
			close(v->fd);
			v->fd = -1;
		}
		break;
	case FZ_L_UNMAP_RUN:
		/* The mapping outlives the fd: it must still be usable. */
		v->run->immediate_exit = 1;
		fz_check(v->run->immediate_exit == 1, "run_mmap_after_close",
			 "kvm_run of vCPU %u", v->id);
		munmap(v->run, fz.run_size);
		v->run = NULL;
		break;
	case FZ_L_STATS:
		/* Read it now; close it now, or keep it past everything else. */
		fd = l->stats[s->i];
		fz_stats_read(t, fd, "during the teardown");
		if (fz_chance(&t->rng, 1, 2)) {
			close(fd);
			l->stats[s->i] = -1;
		}
		break;
	case FZ_L_MEM:
		/* A PROT_NONE mapping keeps the range: no reuse under the slot. */
		vm->mem_gone = true;
		TEST_ASSERT(mmap(vm->mem, FZ_G_MEM_SIZE, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == vm->mem,
			    "pull guest memory");
		break;
	case FZ_L_NAP:
		fz_sleep_us(fz_below(&t->rng, 30000));
		break;
	}
}

struct fz_life_worker {
	pthread_t thr;
	struct fz_thread t;
	int idx;
	u64 vms, vcpus;
};

static void *fz_life_main(void *arg)
{
	struct fz_life_worker *w = arg;
	struct fz_thread *t = &w->t;
	struct fz_life_act_i plan[8 + 4 * FZ_MAX_VCPUS];
	struct fz_life l;
	int i, n;

	fz_thread_register(t, "close", 600 + w->idx);
	while (!fz_round_over()) {
		memset(&l, 0, sizeof(l));
		fz_life_setup(t, &l);
		fz_sleep_us(50000 + fz_below(&t->rng, 200000));
		n = fz_life_plan(&t->rng, &l, plan);
		for (i = 0; i < n; i++)
			fz_life_act(t, &l, &plan[i]);
		w->vms++;
		w->vcpus += l.vm->nr;
		fz_vm_destroy(l.vm);
		/* Everything else is gone: the stats fds still read. */
		for (i = 0; i < l.nstats; i++) {
			if (l.stats[i] < 0)
				continue;
			fz_stats_read(t, l.stats[i], "after the VM is gone");
			close(l.stats[i]);
		}
	}
	fz_thread_unregister(t);
	return NULL;
}

static void fz_area_close(void)
{
	struct fz_life_worker w[8] = {};
	struct fz_kicker k = {};
	unsigned int i, n = fz.o.threads < 8 ? fz.o.threads : 8;
	u64 vms = 0, vcpus = 0;

	fz_kicker_start(&k, 5000);
	for (i = 0; i < n; i++) {
		w[i].idx = i;
		pthread_create(&w[i].thr, NULL, fz_life_main, &w[i]);
	}
	for (i = 0; i < n; i++) {
		fz_join(w[i].thr);
		vms += w[i].vms;
		vcpus += w[i].vcpus;
	}
	fz_kicker_stop(&k);
	printf("# close: %u threads, %llu VMs with %llu vCPUs torn down\n", n,
	       (unsigned long long)vms, (unsigned long long)vcpus);
}

#endif /* FUZZ_LIFE_H */
