// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: what the exits a guest makes most often cost, one figure
 * per kind, for `make bench` (tests/bench.sh runs it under our module
 * and Debian's in turn).  Each figure is a guest loop of N operations in
 * a fresh VM: the host thread times it from the first KVM_RUN to the
 * guest's report, and the guest times its own loop with rdtime.  One
 * line per figure, in microseconds per operation:
 *
 *   FIGURE name host_us guest_us n exits
 *
 * guest_us is "-" where the guest does not see the whole operation;
 * exits is what the vCPU's "exits" stat counted per operation.
 * block_wake is the exception: its guest_us is how late the guest woke
 * past its timer, its host_us includes the WAKE_US it slept.  A
 * benchmark: it fails only where an operation did not do its job (an IPI
 * not acknowledged, a written page missing from the dirty log).
 *
 *   exit_bench [-s SCALE] [-f NAME[,NAME...]]
 *
 * -s multiplies every N; -f runs only the named figures (a prefix
 * names a group: -f dirty).
 */
#include <stdlib.h>
#include <sys/mman.h>
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define MMIO_GPA	0x30000000UL
#define DATA_GPA	0x40000000UL
#define DATA_SIZE	(64UL << 20)
#define DATA_PAGES	(DATA_SIZE / 4096)
#define DATA_SLOT	1
/* Guest page-table pages for the data slot, with room to spare. */
#define EXTRA_PAGES	(DATA_PAGES / 512 + 64)

#define SBI_EXT_IPI_ID	0x735049UL	/* "sPI" */
#define SBI_EXT_TIME_ID	0x54494D45UL	/* "TIME" */
/* block_wake: how long the guest sleeps each time, in us. */
#define WAKE_US		200
#define EXC_ILLEGAL	2

static double scale = 1.0;
static const char *only;
static u64 timer_hz;

/* The guest's side ----------------------------------------------------- */

static inline u64 guest_time(void)
{
	return csr_read(CSR_TIME);
}

/* Report @ticks of guest time; the host answers by running us again. */
static void guest_report(u64 ticks)
{
	ucall(UCALL_SYNC, 1, ticks);
}

static void guest_sbi(u64 n)
{
	u64 t0 = guest_time(), i;

	for (i = 0; i < n; i++)
		sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_SPEC_VERSION,
			  0, 0, 0, 0, 0, 0);
	guest_report(guest_time() - t0);
	GUEST_DONE();
}

static void guest_mmio(u64 n)
{
	u64 t0 = guest_time(), i;

	for (i = 0; i < n; i++)
		WRITE_ONCE(*(u64 *)MMIO_GPA, i);
	guest_report(guest_time() - t0);
	GUEST_DONE();
}

/*
 * cycle traps (hcounteren has only TM), and both modules read it once
 * the SBI PMU has it counting: configure it first.
 */
static void guest_csr(u64 n)
{
	struct sbiret r;
	u64 t0, i;

	r = sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_CFG_MATCH, 0, 1,
		      SBI_PMU_CFG_FLAG_AUTO_START, SBI_PMU_HW_CPU_CYCLES, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	t0 = guest_time();
	for (i = 0; i < n; i++)
		csr_read(CSR_CYCLE);
	guest_report(guest_time() - t0);
	GUEST_DONE();
}

static void guest_skip_insn(struct rvkvm_ex_regs *regs)
{
	regs->epc += 4;
}

/* hstatus is no VS-mode CSR: KVM turns the trap into an illegal one. */
static void guest_illegal(u64 n)
{
	u64 t0 = guest_time(), i;

	for (i = 0; i < n; i++)
		csr_read(CSR_HSTATUS);
	guest_report(guest_time() - t0);
	GUEST_DONE();
}

static u64 ipi_acks;
static bool ipi_done;

static void guest_ipi_handler(struct rvkvm_ex_regs *regs)
{
	csr_clear(CSR_SIP, BIT(IRQ_S_SOFT));
	WRITE_ONCE(ipi_acks, ipi_acks + 1);
}

static void guest_send_ipi(unsigned long hart)
{
	struct sbiret r = sbi_ecall(SBI_EXT_IPI_ID, 0, BIT(hart), 0,
				    0, 0, 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
}

/* Hart 0 sends, hart 1 waits in WFI and acknowledges in memory. */
static void guest_ipi(u64 n)
{
	u64 t0, i, seen;

	if (guest_get_vcpuid() == 1) {
		csr_set(CSR_SIE, BIT(IRQ_S_SOFT));
		local_irq_enable();
		while (!READ_ONCE(ipi_done))
			asm volatile("wfi");
		GUEST_DONE();
	}
	t0 = guest_time();
	for (i = 0; i < n; i++) {
		seen = READ_ONCE(ipi_acks);
		guest_send_ipi(1);
		while (READ_ONCE(ipi_acks) == seen)
			asm volatile("nop");
	}
	guest_report(guest_time() - t0);
	WRITE_ONCE(ipi_done, true);
	guest_send_ipi(1);
	GUEST_DONE();
}

/*
 * Sleep in WFI until the timer, set @ahead ticks on, fires: with halt
 * polling off the vCPU thread blocks and wakes, a put and a load, every
 * time.  Reports how late the guest woke past its deadlines, in sum.
 */
static u64 wakes;

static void guest_timer_handler(struct rvkvm_ex_regs *regs)
{
	sbi_ecall(SBI_EXT_TIME_ID, 0, -1UL, 0, 0, 0, 0, 0);
	WRITE_ONCE(wakes, wakes + 1);
}

static void guest_wake(u64 n, u64 ahead)
{
	u64 i, due, late = 0;

	csr_set(CSR_SIE, BIT(IRQ_S_TIMER));
	for (i = 0; i < n; i++) {
		due = guest_time() + ahead;
		sbi_ecall(SBI_EXT_TIME_ID, 0, due, 0, 0, 0, 0, 0);
		/* WFI wakes on the pending timer; SIE then takes it. */
		while (READ_ONCE(wakes) == i) {
			asm volatile("wfi");
			local_irq_enable();
			local_irq_disable();
		}
		late += guest_time() - due;
	}
	guest_report(late);
	GUEST_DONE();
}

/* Write one word per page of the data slot, @passes times. */
static void guest_touch(u64 passes)
{
	u64 t0, p, i;

	for (p = 0; p < passes; p++) {
		t0 = guest_time();
		for (i = 0; i < DATA_PAGES; i++)
			WRITE_ONCE(*(u64 *)(DATA_GPA + i * 4096), p);
		guest_report(guest_time() - t0);
	}
	GUEST_DONE();
}

/*
 * MSIs from an irqfd: the guest's IMSIC file takes identity 1, the
 * guest waits in WFI and acknowledges each claim (stopei) in memory.
 */
static u64 msi_acks;
static bool msi_done;

static void guest_msi_handler(struct rvkvm_ex_regs *regs)
{
	unsigned long top;

	asm volatile("csrrw %0, 0x15c, zero" : "=r" (top));	/* stopei */
	if (top >> 16)
		WRITE_ONCE(msi_acks, msi_acks + 1);
}

static void guest_isel_write(unsigned long isel, unsigned long val)
{
	csr_write(CSR_SISELECT, isel);
	csr_write(CSR_SIREG, val);
}

static void guest_msi(u64 n)
{
	guest_isel_write(0x70, 1);	/* eidelivery */
	guest_isel_write(0x72, 0);	/* eithreshold */
	guest_isel_write(0xc0, 2);	/* eie0: identity 1 */
	csr_set(CSR_SIE, IE_EIE);
	local_irq_enable();
	guest_report(0);
	while (!READ_ONCE(msi_done))
		asm volatile("wfi");
	GUEST_DONE();
}

/* The host's side ------------------------------------------------------ */

static bool wanted(const char *name)
{
	const char *p = only;
	size_t len;

	if (!only)
		return true;
	while (*p) {
		len = strcspn(p, ",");
		if (!strncmp(name, p, len))
			return true;
		p += len + !!p[len];
	}
	return false;
}

static void report(const char *name, double host_s, u64 ticks, u64 n,
		   u64 exits)
{
	char guest[32] = "-";

	if (ticks)
		snprintf(guest, sizeof(guest), "%.3f",
			 ticks * 1e6 / timer_hz / n);
	printf("FIGURE %s %.3f %s %lu %.2f\n", name, host_s * 1e6 / n, guest,
	       n, (double)exits / n);
	fflush(stdout);
}

/* Both modules count every exit in this vCPU stat. */
static u64 exits_of(struct kvm_vcpu *vcpu)
{
	return rvkvm_vcpu_stat(vcpu, "exits");
}

static struct kvm_vm *bench_vm(struct kvm_vcpu **vcpu, void *code, u64 n)
{
	struct kvm_vm *vm = rvkvm_vm_with_vectors(vcpu, code, EXTRA_PAGES, NULL);

	vcpu_args_set(*vcpu, 1, n);
	rvkvm_get_reg(*vcpu, RISCV_TIMER_REG(frequency), &timer_hz);
	return vm;
}

/*
 * Run @vcpu to the guest's next report and return its ticks; MMIO exits
 * on the way are answered (a store needs nothing) and counted.
 */
static u64 run_to_report(struct kvm_vcpu *vcpu, u64 *mmio)
{
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO && mmio) {
			(*mmio)++;
			continue;
		}
		TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC,
			    "the guest finished without its report");
		return uc.args[0];
	}
}

static void run_to_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE,
		    "the guest did not finish");
}

/* A guest loop of @n operations with nothing to do on the host's side. */
static void fig_loop(const char *name, void *code, u64 n, bool mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = bench_vm(&vcpu, code, n);
	u64 ticks, mmios = 0, exits;
	double t;

	vm_install_exception_handler(vm, EXC_ILLEGAL, guest_skip_insn);
	if (mmio)
		virt_map(vm, MMIO_GPA, MMIO_GPA, 1);
	exits = exits_of(vcpu);
	t = rvkvm_now();
	ticks = run_to_report(vcpu, mmio ? &mmios : NULL);
	t = rvkvm_now() - t;
	exits = exits_of(vcpu) - exits;
	TEST_ASSERT(!mmio || mmios == n, "%lu MMIO exits, not %lu", mmios, n);
	run_to_done(vcpu);
	report(name, t, ticks, n, exits);
	kvm_vm_free(vm);
}

static void fig_sbi(const char *name, u64 n)
{
	fig_loop(name, guest_sbi, n, false);
}

static void fig_mmio(const char *name, u64 n)
{
	fig_loop(name, guest_mmio, n, true);
}

static void fig_csr(const char *name, u64 n)
{
	fig_loop(name, guest_csr, n, false);
}

static void fig_illegal(const char *name, u64 n)
{
	fig_loop(name, guest_illegal, n, false);
}

/*
 * A vCPU thread that blocks and wakes: the host figure includes the
 * WAKE_US the guest sleeps each time, the guest's is how late it woke.
 */
static void fig_wake(const char *name, u64 n)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 ticks, exits;
	double t;

	vm = rvkvm_vm_with_vectors(&vcpu, guest_wake, 0, guest_timer_handler);
	rvkvm_get_reg(vcpu, RISCV_TIMER_REG(frequency), &timer_hz);
	vcpu_args_set(vcpu, 2, n, timer_hz * WAKE_US / 1000000);
	/* No polling: every wait is a block, a put and a load. */
	vm_enable_cap(vm, KVM_CAP_HALT_POLL, 0);
	exits = exits_of(vcpu);
	t = rvkvm_now();
	ticks = run_to_report(vcpu, NULL);
	t = rvkvm_now() - t;
	exits = exits_of(vcpu) - exits;
	run_to_done(vcpu);
	report(name, t, ticks, n, exits);
	kvm_vm_free(vm);
}

static void fig_ipi(const char *name, u64 n)
{
	struct kvm_vcpu *vcpus[2];
	struct rvkvm_pinned hart1;
	struct kvm_vm *vm;
	int cpus[2], i;
	u64 ticks, exits;
	double t;

	vm = vm_create_with_vcpus(2, guest_ipi, vcpus);
	vm_init_vector_tables(vm);
	vm_install_interrupt_handler(vm, guest_ipi_handler);
	for (i = 0; i < 2; i++) {
		vcpu_init_vector_tables(vcpus[i]);
		vcpu_args_set(vcpus[i], 1, n);
	}
	rvkvm_get_reg(vcpus[0], RISCV_TIMER_REG(frequency), &timer_hz);
	rvkvm_two_host_cpus(cpus);
	rvkvm_pin(0, cpus[0]);
	exits = exits_of(vcpus[1]);
	rvkvm_pinned_start(&hart1, vcpus[1], cpus[1]);
	t = rvkvm_now();
	ticks = run_to_report(vcpus[0], NULL);
	t = rvkvm_now() - t;
	run_to_done(vcpus[0]);
	pthread_join(hart1.thr, NULL);
	/* The receiver's: it blocks in WFI and wakes for each IPI. */
	report(name, t, ticks, n, exits_of(vcpus[1]) - exits);
	kvm_vm_free(vm);
}

#define AIA_APLIC_GPA	0x0d000000UL
#define AIA_IMSIC_GPA	0x28000000UL

static void aia_attr_set(int fd, u32 group, u64 attr, void *val)
{
	TEST_ASSERT(!rvkvm_aia_attr(fd, true, group, attr, val),
		    "AIA attribute %u/%lu: errno %d", group, (unsigned long)attr,
		    errno);
}

/* The in-kernel AIA, one IMSIC file, and an irqfd for identity 1. */
static int msi_chip(struct kvm_vm *vm)
{
	int fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA);
	u64 aplic = AIA_APLIC_GPA, imsic = AIA_IMSIC_GPA;
	u32 ids = 63;

	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): %d", fd);
	aia_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
		     KVM_DEV_RISCV_AIA_CONFIG_IDS, &ids);
	aia_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
		     KVM_DEV_RISCV_AIA_ADDR_APLIC, &aplic);
	aia_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
		     KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), &imsic);
	aia_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
		     KVM_DEV_RISCV_AIA_CTRL_INIT, NULL);
	return rvkvm_msi_irqfd(vm, AIA_IMSIC_GPA, 1);
}

/*
 * MSI latency: the host thread signals an irqfd routed to the guest's
 * IMSIC file and waits for the guest's acknowledgment in memory, while
 * the vCPU's thread (on the other CPU) sleeps in WFI between MSIs.
 * Only with the in-kernel AIA (KVM_CAP_IRQCHIP).
 */
static void fig_msi(const char *name, u64 n)
{
	struct rvkvm_pinned vthr;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *acks, seen, i, exits;
	int cpus[2], efd;
	double t;

	if (!kvm_check_cap(KVM_CAP_IRQCHIP)) {
		printf("# %s: KVM_CAP_IRQCHIP is 0, no in-kernel AIA here\n", name);
		return;
	}
	vm = bench_vm(&vcpu, guest_msi, n);
	vm_install_interrupt_handler(vm, guest_msi_handler);
	efd = msi_chip(vm);
	acks = addr_gva2hva(vm, (unsigned long)&msi_acks);
	run_to_report(vcpu, NULL);
	rvkvm_two_host_cpus(cpus);
	rvkvm_pin(0, cpus[0]);
	exits = exits_of(vcpu);
	rvkvm_pinned_start(&vthr, vcpu, cpus[1]);
	t = rvkvm_now();
	for (i = 0; i < n; i++) {
		seen = READ_ONCE(*acks);
		TEST_ASSERT(!eventfd_write(efd, 1), "eventfd_write");
		while (READ_ONCE(*acks) == seen)
			;
	}
	t = rvkvm_now() - t;
	WRITE_ONCE(*(bool *)addr_gva2hva(vm, (unsigned long)&msi_done), true);
	TEST_ASSERT(!eventfd_write(efd, 1), "eventfd_write");
	pthread_join(vthr.thr, NULL);
	report(name, t, 0, n, exits_of(vcpu) - exits);
	close(efd);
	kvm_vm_free(vm);
}

/* A VM whose guest writes the 64 MiB data slot (@flags) @passes times. */
static struct kvm_vm *touch_vm(struct kvm_vcpu **vcpu, u64 passes,
			       u32 flags, bool manual)
{
	struct kvm_vm *vm = bench_vm(vcpu, guest_touch, passes);

	if (manual)
		vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA,
				    DATA_SLOT, DATA_PAGES, flags);
	virt_map(vm, DATA_GPA, DATA_GPA, DATA_PAGES);
	return vm;
}

/*
 * First touch of a fresh 64 MiB slot, one page at a time, then a pass
 * over the same pages mapped; MADV_DONTNEED makes them fresh again.
 * n counts rounds; the figures are per page.
 */
static void fig_fault(const char *name, u64 n)
{
	double t, first = 0, mapped = 0;
	u64 r, tf = 0, tm = 0, ef = 0, em = 0, e;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = touch_vm(&vcpu, 2 * n, 0, false);
	void *hva = addr_gpa2hva(vm, DATA_GPA);
	char buf[64];

	for (r = 0; r < n; r++) {
		TEST_ASSERT(!madvise(hva, DATA_SIZE, MADV_DONTNEED),
			    "madvise(MADV_DONTNEED)");
		e = exits_of(vcpu);
		t = rvkvm_now();
		tf += run_to_report(vcpu, NULL);
		first += rvkvm_now() - t;
		ef += exits_of(vcpu) - e;
		e = exits_of(vcpu);
		t = rvkvm_now();
		tm += run_to_report(vcpu, NULL);
		mapped += rvkvm_now() - t;
		em += exits_of(vcpu) - e;
	}
	run_to_done(vcpu);
	snprintf(buf, sizeof(buf), "%s_first", name);
	report(buf, first, tf, n * DATA_PAGES, ef);
	snprintf(buf, sizeof(buf), "%s_mapped", name);
	report(buf, mapped, tm, n * DATA_PAGES, em);
	kvm_vm_free(vm);
}

static u64 bitmap_weight(const u64 *map, u64 bits)
{
	u64 i, w = 0;

	for (i = 0; i < bits / 64; i++)
		w += __builtin_popcountll(map[i]);
	return w;
}

/* Collect the slot's log, every page of which the guest just wrote. */
static void dirty_collect(struct kvm_vm *vm, u64 *map, bool manual, u64 r)
{
	kvm_vm_get_dirty_log(vm, DATA_SLOT, map);
	TEST_ASSERT(bitmap_weight(map, DATA_PAGES) == DATA_PAGES,
		    "round %lu: %lu of %lu written pages logged", r,
		    bitmap_weight(map, DATA_PAGES), DATA_PAGES);
	if (manual)
		kvm_vm_clear_dirty_log(vm, DATA_SLOT, map, 0, DATA_PAGES);
}

/*
 * Dirty-log rounds over the 64 MiB slot: the guest writes every page,
 * the host collects the log (and clears it, with manual protection),
 * which write-protects the pages again.  n counts rounds after a first
 * one that faults the slot in; the figure is per round, and the guest's
 * time is its pass of write faults.
 */
static void dirty_rounds(const char *name, u64 n, bool manual)
{
	u64 *map = calloc(DATA_PAGES / 64, sizeof(u64));
	double t, t1, round = 0, ioctls = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 r, ticks = 0, exits;
	char buf[64];

	TEST_ASSERT(map, "calloc");
	vm = touch_vm(&vcpu, n + 1, KVM_MEM_LOG_DIRTY_PAGES, manual);
	run_to_report(vcpu, NULL);
	dirty_collect(vm, map, manual, 0);
	exits = exits_of(vcpu);
	for (r = 1; r <= n; r++) {
		t = rvkvm_now();
		ticks += run_to_report(vcpu, NULL);
		t1 = rvkvm_now();
		dirty_collect(vm, map, manual, r);
		ioctls += rvkvm_now() - t1;
		round += rvkvm_now() - t;
	}
	exits = exits_of(vcpu) - exits;
	run_to_done(vcpu);
	report(name, round, ticks, n, exits);
	snprintf(buf, sizeof(buf), "%s_ioctl", name);
	report(buf, ioctls, 0, n, 0);
	kvm_vm_free(vm);
	free(map);
}

static void fig_dirty_get(const char *name, u64 n)
{
	dirty_rounds(name, n, false);
}

static void fig_dirty_clear(const char *name, u64 n)
{
	if (!kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)) {
		printf("# %s: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 not offered\n",
		       name);
		return;
	}
	dirty_rounds(name, n, true);
}

/*
 * The figures, N chosen for 2-10 s each under emulation (a nested
 * guest: QEMU TCG host, KVM guest).
 */
static const struct figure {
	const char *name;
	u64 n;
	void (*run)(const char *name, u64 n);
} figures[] = {
	{ "sbi_base", 100000, fig_sbi },
	{ "mmio_user", 30000, fig_mmio },
	{ "csr_kvm", 100000, fig_csr },
	{ "illegal_redirect", 100000, fig_illegal },
	{ "ipi_wfi", 10000, fig_ipi },
	{ "block_wake", 10000, fig_wake },
	{ "fault", 3, fig_fault },
	{ "dirty_get", 4, fig_dirty_get },
	{ "dirty_clear", 4, fig_dirty_clear },
	{ "msi_irqfd", 10000, fig_msi },
};

int main(int argc, char **argv)
{
	const struct figure *f;
	int opt;
	u64 n;

	while ((opt = getopt(argc, argv, "s:f:")) != -1) {
		switch (opt) {
		case 's':
			scale = atof(optarg);
			break;
		case 'f':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SCALE] [-f NAME,...]\n",
				argv[0]);
			return 1;
		}
	}
	TEST_ASSERT(scale > 0, "-s needs a positive scale");

	for (f = figures; f < figures + ARRAY_SIZE(figures); f++) {
		if (!wanted(f->name))
			continue;
		n = f->n * scale;
		f->run(f->name, n ? n : 1);
	}
	return 0;
}
