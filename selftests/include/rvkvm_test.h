/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by rvkvm's own selftests, on top of the kernel's
 * selftest library.
 */
#ifndef RVKVM_TEST_H
#define RVKVM_TEST_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

/*
 * What the kernel's selftest library renamed between 6.12 and 7.x: the
 * guest's trap frame (struct ex_regs, now struct pt_regs), guest virtual
 * addresses (vm_vaddr_t, now gva_t, allocated by vm_alloc*()), the
 * page-table root (now in vm->mmu), and vcpu_get_reg(), which now
 * returns the value.
 */
#if RVKVM_LINUX_7
#define rvkvm_ex_regs			pt_regs
#define rvkvm_gva_t			gva_t
#define rvkvm_alloc_page(vm)		vm_alloc_page(vm)
#define rvkvm_alloc(vm, sz, min)	vm_alloc(vm, sz, min)
#define rvkvm_vm_pgd(vm)		((vm)->mmu.pgd)
#define rvkvm_vm_pt_levels(vm)		((vm)->mmu.pgtable_levels)
#define rvkvm_get_reg(vcpu, id, addr)	(*(addr) = vcpu_get_reg(vcpu, id))
#else
#define rvkvm_ex_regs			ex_regs
#define rvkvm_gva_t			vm_vaddr_t
#define rvkvm_alloc_page(vm)		vm_vaddr_alloc_page(vm)
#define rvkvm_alloc(vm, sz, min)	vm_vaddr_alloc(vm, sz, min)
#define rvkvm_vm_pgd(vm)		((vm)->pgd)
#define rvkvm_vm_pt_levels(vm)		((vm)->pgtable_levels)
#define rvkvm_get_reg(vcpu, id, addr)	vcpu_get_reg(vcpu, id, addr)
#endif

/* `j .`: a guest that spins where it starts, needing no page tables. */
#define RVKVM_INSN_SPIN		0x0000006fu

/* Monotonic time in seconds, for rates and deadlines. */
static inline double rvkvm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Binary stat @name through the stats fd @fd (closed here): whether the
 * module has it, and its first value in *@value.  The same on 6.12 and
 * 7.x, whose selftest libraries name their readers differently.
 */
static inline bool rvkvm_stat(int fd, const char *name, u64 *value)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	bool found = false;
	int i;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc && !found; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, value, 1);
			found = true;
		}
	}
	free(descs);
	close(fd);
	return found;
}

/* A VM's stat @name, if the module has it. */
static inline bool rvkvm_vm_stat(struct kvm_vm *vm, const char *name,
				 u64 *value)
{
	return rvkvm_stat(vm_get_stats_fd(vm), name, value);
}

/* A vCPU's stat @name, which the module must have. */
static inline u64 rvkvm_vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	u64 value = 0;

	TEST_ASSERT(rvkvm_stat(vcpu_get_stats_fd(vcpu), name, &value),
		    "vCPU stat '%s' not found", name);
	return value;
}

/*
 * Is the loaded kvm.ko ours?  Ours is out of tree, so its taint flags
 * have an 'O' (the harness's kvm_flavour does the same).  Checks of
 * where rvkvm is deliberately stricter than the in-tree module use it.
 */
static inline bool rvkvm_module_is_ours(void)
{
	char taint[16] = "";
	FILE *f = fopen("/sys/module/kvm/taint", "r");

	if (f) {
		if (!fgets(taint, sizeof(taint), f))
			taint[0] = 0;
		fclose(f);
	}
	return strchr(taint, 'O');
}

/* Keep thread @tid (0: the caller) on host CPU @cpu. */
static inline void rvkvm_pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(tid, sizeof(set), &set),
		    "sched_setaffinity(%d, CPU %d)", tid, cpu);
}

/*
 * The first two host CPUs this thread may run on, into @cpus: returns
 * how many there are (1 or 2); with one, both entries name it.
 */
static inline int rvkvm_two_host_cpus(int cpus[2])
{
	cpu_set_t set;
	int cpu, nr = 0;

	TEST_ASSERT(!sched_getaffinity(0, sizeof(set), &set), "sched_getaffinity");
	for (cpu = 0; cpu < CPU_SETSIZE && nr < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[nr++] = cpu;
	TEST_ASSERT(nr, "no CPU to run on");
	if (nr == 1)
		cpus[1] = cpus[0];
	return nr;
}

/*
 * vCPU @id of a VM built without the library's vCPU set-up, runnable at
 * once (KVM starts all but the first stopped, as if waiting for SBI HSM),
 * with @id in a0 as SBI HSM's hart_start would give it.
 */
static inline struct kvm_vcpu *rvkvm_vcpu_add_running(struct kvm_vm *vm,
						      u32 id)
{
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, id);

	vcpu_set_reg(vcpu, RISCV_CORE_REG(regs.a0), id);
	vcpu_ioctl(vcpu, KVM_SET_MP_STATE,
		   &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE });
	return vcpu;
}

/* The host address of the leaf entry that maps @gva in the guest's tables. */
static inline u64 *rvkvm_leaf_pte(struct kvm_vm *vm, rvkvm_gva_t gva)
{
	u64 table = rvkvm_vm_pgd(vm), *pte = NULL;
	int level;

	for (level = rvkvm_vm_pt_levels(vm) - 1; level >= 0; level--) {
		pte = (u64 *)addr_gpa2hva(vm, table) +
		      ((gva >> (PGTBL_PAGE_SIZE_SHIFT + 9 * level)) & 0x1ff);
		TEST_ASSERT(*pte & PGTBL_PTE_VALID_MASK, "gva 0x%lx unmapped",
			    (unsigned long)gva);
		table = (*pte & PGTBL_PTE_ADDR_MASK) >> PGTBL_PTE_ADDR_SHIFT <<
			PGTBL_PAGE_SIZE_SHIFT;
	}
	return pte;
}

/*
 * The bytes between the labels @start and @end of a top-level asm block
 * of the calling file (a guest program): their address, and their
 * number in *@len.  The labels are local to the asm, hence lla.
 */
#define rvkvm_asm_range(start, end, len)				\
({									\
	const u8 *__start, *__end;					\
									\
	asm("lla %0, " #start "\n\tlla %1, " #end			\
	    : "=r"(__start), "=r"(__end));				\
	*(len) = __end - __start;					\
	__start;							\
})

/*
 * A VM without vCPUs and with @mem_size bytes of memory at guest-physical
 * 0, where the @len bytes of @code are copied; the code must end before
 * @code_max.  *@mem is the host address of guest-physical 0.
 */
static inline struct kvm_vm *rvkvm_vm_with_code(const u8 *code, size_t len,
						size_t code_max, u64 mem_size,
						u8 **mem)
{
	struct kvm_vm *vm = vm_create_barebones();

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 0, 1,
				    mem_size / vm->page_size, 0);
	*mem = addr_gpa2hva(vm, 0);
	TEST_ASSERT(len <= code_max, "code overlaps data");
	memcpy(*mem, code, len);
	return vm;
}

/*
 * A VM with one vCPU running @code, @extra_pages pages of guest memory
 * beyond the library's default, and the library's trap vectors set up;
 * @irq (NULL: none) handles the guest's interrupts.
 */
static inline struct kvm_vm *rvkvm_vm_with_vectors(struct kvm_vcpu **vcpu,
						   void *code, u64 extra_pages,
						   exception_handler_fn irq)
{
	struct kvm_vm *vm = __vm_create_with_one_vcpu(vcpu, extra_pages, code);

	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(*vcpu);
	if (irq)
		vm_install_interrupt_handler(vm, irq);
	return vm;
}

/*
 * Run @vcpu once and return the ucall it exited with (UCALL_NONE if the
 * exit was no ucall); a failed guest assertion fails the test here.
 */
static inline int rvkvm_run_ucall(struct kvm_vcpu *vcpu)
{
	struct ucall uc;
	int cmd;

	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	return cmd;
}

/*
 * The ucall of @vcpu's last exit, into @uc: UCALL_SYNC or UCALL_DONE.  A
 * failed guest assertion, or any other exit, fails the test here.
 */
static inline u64 rvkvm_sync_or_done(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	u64 cmd = get_ucall(vcpu, uc);

	switch (cmd) {
	case UCALL_SYNC:
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(*uc);
		break;
	default:
		TEST_FAIL("unexpected exit %s",
			  exit_reason_str(vcpu->run->exit_reason));
	}
	return cmd;
}

/* A vCPU run to its GUEST_DONE by a thread of its own, pinned to @cpu. */
struct rvkvm_pinned {
	struct kvm_vcpu *vcpu;
	int cpu;
	pthread_t thr;
};

static inline void *rvkvm_pinned_thread(void *arg)
{
	struct rvkvm_pinned *p = arg;
	struct ucall uc;

	rvkvm_pin(0, p->cpu);
	vcpu_run(p->vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(p->vcpu, &uc) == UCALL_DONE,
		    "vCPU %u: unexpected exit", p->vcpu->id);
	return NULL;
}

static inline void rvkvm_pinned_start(struct rvkvm_pinned *p,
				      struct kvm_vcpu *vcpu, int cpu)
{
	p->vcpu = vcpu;
	p->cpu = cpu;
	pthread_create(&p->thr, NULL, rvkvm_pinned_thread, p);
}

/*
 * Swap the host CPUs of two pinned vCPU threads: each moves to the
 * other's (round *@swaps, counted here).  Their VS-files move with them.
 */
static inline void rvkvm_pinned_swap(struct rvkvm_pinned p[2],
				     unsigned long *swaps)
{
	cpu_set_t set;
	int i;

	for (i = 0; i < 2; i++) {
		CPU_ZERO(&set);
		CPU_SET(p[(i + *swaps + 1) % 2].cpu, &set);
		pthread_setaffinity_np(p[i].thr, sizeof(set), &set);
	}
	(*swaps)++;
}

/* KVM_{GET,SET}_DEVICE_ATTR of the AIA device @fd: 0 or -errno. */
static inline int rvkvm_aia_attr(int fd, bool set, u32 group, u64 attr,
				 void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (u64)(unsigned long)val,
	};

	return ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) ?
	       -errno : 0;
}

/* An irqfd on GSI 100, routed as an MSI of identity @data to @addr. */
static inline int rvkvm_msi_irqfd(struct kvm_vm *vm, u64 addr, u32 data)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r.nr = 1 };
	struct kvm_irqfd irqfd = { .gsi = 100 };
	int efd = eventfd(0, 0);

	rt.e[0].gsi = 100;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = (u32)addr;
	rt.e[0].u.msi.address_hi = addr >> 32;
	rt.e[0].u.msi.data = data;
	TEST_ASSERT(!ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt), "routing: %d", errno);
	irqfd.fd = efd;
	TEST_ASSERT(!ioctl(vm->fd, KVM_IRQFD, &irqfd), "KVM_IRQFD: %d", errno);
	return efd;
}

/* The AIA device's MODE by its name (-m and -M options), or -1. */
static inline int rvkvm_aia_mode(const char *name)
{
	if (!strcmp(name, "emul"))
		return KVM_DEV_RISCV_AIA_MODE_EMUL;
	if (!strcmp(name, "hwaccel"))
		return KVM_DEV_RISCV_AIA_MODE_HWACCEL;
	if (!strcmp(name, "auto"))
		return KVM_DEV_RISCV_AIA_MODE_AUTO;
	return -1;
}

/*
 * A vCPU run by a thread of its own: harts 1 and up of a multi-hart
 * guest whose hart 0 the test's main thread drives.
 */
struct rvkvm_hart {
	struct kvm_vcpu *vcpu;
	pthread_t thr;
	bool stop;
};

/* SIGUSR1 only has to interrupt KVM_RUN. */
static inline void rvkvm_on_sigusr1(int sig)
{
}

/*
 * A hart's thread: KVM_RUN until told to stop.  The hart never exits to
 * us but for a signal; a stopped one sleeps in KVM_RUN.
 */
static inline void *rvkvm_hart_thread(void *arg)
{
	struct rvkvm_hart *h = arg;
	int r;

	while (!READ_ONCE(h->stop)) {
		r = __vcpu_run(h->vcpu);
		TEST_ASSERT(r == 0 || errno == EINTR,
			    "KVM_RUN of hart %u: %d (errno %d)",
			    h->vcpu->id, r, errno);
		TEST_ASSERT(r || h->vcpu->run->exit_reason == KVM_EXIT_INTR,
			    "hart %u exited with %s", h->vcpu->id,
			    exit_reason_str(h->vcpu->run->exit_reason));
	}
	return NULL;
}

/* Start @h's thread; rvkvm_harts_stop()'s SIGUSR1 must not kill us. */
static inline void rvkvm_hart_start(struct rvkvm_hart *h)
{
	struct sigaction sa = { .sa_handler = rvkvm_on_sigusr1 };

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	h->stop = false;
	pthread_create(&h->thr, NULL, rvkvm_hart_thread, h);
}

/*
 * A VM running @code (as rvkvm_vm_with_code() places it) on @nr vCPUs:
 * hart 0 for the caller to run, harts 1 and up on threads of their own,
 * started (a guest keeps them stopped until it starts them).  The data
 * page follows the code at @data; its first word, which the program
 * reads to choose what to do, is @mode.  *@datap is its host address.
 */
static inline struct kvm_vm *rvkvm_harts_vm(const u8 *code, size_t len,
					    size_t data, u64 mem_size,
					    struct rvkvm_hart *harts, int nr,
					    u64 mode, u64 **datap)
{
	struct kvm_vm *vm;
	u8 *mem;
	int i;

	vm = rvkvm_vm_with_code(code, len, data, mem_size, &mem);
	*datap = (u64 *)(mem + data);
	**datap = mode;
	for (i = 0; i < nr; i++)
		harts[i].vcpu = __vm_vcpu_add(vm, i);
	for (i = 1; i < nr; i++)
		rvkvm_hart_start(&harts[i]);
	return vm;
}

/*
 * Stop and join the threads of harts 1 to @nr - 1.  Sleeping in KVM_RUN,
 * a hart holds its vCPU mutex: SIGUSR1 until it has left.
 */
static inline void rvkvm_harts_stop(struct rvkvm_hart *harts, int nr)
{
	int i;

	for (i = 1; i < nr; i++)
		WRITE_ONCE(harts[i].stop, true);
	for (i = 1; i < nr; i++) {
		do {
			pthread_kill(harts[i].thr, SIGUSR1);
			usleep(1000);
		} while (pthread_tryjoin_np(harts[i].thr, NULL));
	}
}

#endif /* RVKVM_TEST_H */
