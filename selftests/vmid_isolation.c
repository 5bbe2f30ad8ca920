// SPDX-License-Identifier: GPL-2.0
/*
 * vmid_isolation: VMs running at once on both harts must each see only
 * their own memory, through the guest's accesses and through the host's
 * reads on its behalf (HLVX for MMIO decode, HLV for SBI v0.1 masks).
 *
 * Every VM has the same layout, so the same guest-virtual and
 * guest-physical addresses everywhere, with different contents:
 *  - a data page filled with the VM's own signature, which the guest
 *    checks word by word;
 *  - a code page holding one MMIO access that differs per VM (width,
 *    direction, signedness), which the guest calls on a page without a
 *    memslot; the host reads the instruction through the guest's
 *    translation (the test turns kvm.ignore_htinst on where it can) and
 *    the VM's thread checks the exit it gets: another VM's instruction
 *    means another width or direction;
 *  - a page of SBI v0.1 hart masks, one slot per VM: the VM's own slot
 *    names hart 0, every other slot names hart 63, which no VM has, so
 *    a mask read from another VM's page makes the call fail.
 * The VMs' threads are spread over both host CPUs, several per CPU, and
 * a real-time thread on each CPU wakes every PREEMPT_US to preempt
 * whatever runs there, so that on a preemptible host kernel vCPUs of
 * different VMs keep interrupting each other between an exit and the
 * host's read of guest memory.  (Debian's kernel is built with
 * PREEMPT_VOLUNTARY: no kernel preemption there, the window is shut.)
 *
 * Load kvm.ko with vmid_bits=0 (no VMIDs) or vmid_bits=1 (a rollover at
 * nearly every entry) to run with fewer VMIDs than VMs:
 * tests/vmid_isolation.sh does.
 *
 *   vmid_isolation [-v VMS] [-i ITERATIONS]
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <stdlib.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define MMIO_GPA	0x20000000UL
#define MAX_VMS		16
#define PAGE_WORDS	(4096 / 8)
#define SBI_V01_FENCE_I	5
#define BAD_MASK	BIT(63)
#define LOAD_MAGIC	0x8182838485868788UL
#define IGNORE_HTINST	"/sys/module/kvm/parameters/ignore_htinst"
#define PREEMPT_US	50

/* The MMIO access of VM k: variant k % NR_VARIANTS. */
struct variant {
	u32 insn;	/* a0 = MMIO address; loads into a0, stores a1 */
	u8 len;
	bool store;
	bool sign;
};

#define LOAD(f3)	(0x00050503u | ((f3) << 12))	/* lX a0, 0(a0) */
#define STORE(f3)	(0x00b50023u | ((f3) << 12))	/* sX a1, 0(a0) */
#define INSN_RET	0x00008067u			/* ret */

static const struct variant variants[] = {
	{ LOAD(0), 1, false, true }, { LOAD(1), 2, false, true },
	{ LOAD(2), 4, false, true }, { LOAD(3), 8, false, false },
	{ LOAD(4), 1, false, false }, { LOAD(5), 2, false, false },
	{ LOAD(6), 4, false, false }, { STORE(0), 1, true, false },
	{ STORE(1), 2, true, false }, { STORE(2), 4, true, false },
	{ STORE(3), 8, true, false },
};

#define NR_VARIANTS	ARRAY_SIZE(variants)

/* Shared with the guest: per-VM values, copied into each VM. */
static u64 me;			/* this VM's number */
static u64 signature;
static u64 iterations;
static rvkvm_gva_t data_gva, code_gva, masks_gva;
static u64 load_expect;		/* what the MMIO load leaves in a0 */

/* Guest-side results, read back by the host. */
static u64 bad_words, bad_loads, bad_masks, v01_unsupported;

static void guest_code(void)
{
	u64 (*access)(u64 addr, u64 val) = (void *)code_gva;
	u64 *data = (u64 *)data_gva;
	u64 i, w, v;
	struct sbiret r;

	for (i = 0; i < iterations; i++) {
		for (w = 0; w < PAGE_WORDS; w++)
			if (READ_ONCE(data[w]) != signature)
				bad_words++;
		v = access(MMIO_GPA, signature);
		if (!variants[me % NR_VARIANTS].store && v != load_expect)
			bad_loads++;
		r = sbi_ecall(SBI_V01_FENCE_I, 0, masks_gva + 8 * me,
			      0, 0, 0, 0, 0);
		if (r.error == SBI_ERR_NOT_SUPPORTED)
			v01_unsupported++;
		else if (r.error)
			bad_masks++;
	}
	GUEST_DONE();
}

struct vm_run {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	u64 k;
	int cpu;
	pthread_t thr;
	u64 mmio_exits, bad_exits;
};

/*
 * The value a load of @v's width leaves in a 64-bit register.  Debian's
 * 6.12 zero-extends signed MMIO loads (Documentation/testing.rst): this
 * test is about whose memory is read, so it expects that there.
 */
static u64 extended(const struct variant *v, u64 raw)
{
	unsigned int shift = 64 - 8 * v->len;

	if (v->len == 8)
		return raw;
	if (v->sign && rvkvm_module_is_ours())
		return (u64)((s64)(raw << shift) >> shift);
	return raw & ((1UL << (8 * v->len)) - 1);
}

/* Check an MMIO exit against this VM's own access; answer a load. */
static void handle_mmio(struct vm_run *r)
{
	const struct variant *v = &variants[r->k % NR_VARIANTS];
	struct kvm_run *run = r->vcpu->run;
	u64 data = 0;

	r->mmio_exits++;
	memcpy(&data, run->mmio.data, sizeof(data));
	if (run->mmio.phys_addr != MMIO_GPA || run->mmio.len != v->len ||
	    run->mmio.is_write != v->store ||
	    (v->store && memcmp(run->mmio.data, &(u64){ 0x5100 + r->k },
				v->len))) {
		r->bad_exits++;
		return;
	}
	if (!v->store)
		memcpy(run->mmio.data, &(u64){ LOAD_MAGIC }, v->len);
}

static void *vm_thread(void *arg)
{
	struct vm_run *r = arg;
	struct ucall uc;

	rvkvm_pin(0, r->cpu);
	for (;;) {
		vcpu_run(r->vcpu);
		if (r->vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			handle_mmio(r);
			continue;
		}
		if (rvkvm_sync_or_done(r->vcpu, &uc) == UCALL_DONE)
			return NULL;
	}
}

static void make_vm(struct vm_run *r, u64 k, u64 iters)
{
	const struct variant *v = &variants[k % NR_VARIANTS];
	u64 *data, *masks;
	u32 *code;
	int i;

	r->vm = vm_create_with_one_vcpu(&r->vcpu, guest_code);
	r->k = k;
	virt_map(r->vm, MMIO_GPA, MMIO_GPA, 1);
	/* Allocated in the same order in every VM: the same addresses. */
	data_gva = rvkvm_alloc_page(r->vm);
	code_gva = rvkvm_alloc_page(r->vm);
	masks_gva = rvkvm_alloc_page(r->vm);

	me = k;
	signature = 0x5100 + k;
	iterations = iters;
	load_expect = extended(v, LOAD_MAGIC);
	data = addr_gva2hva(r->vm, data_gva);
	for (i = 0; i < PAGE_WORDS; i++)
		data[i] = signature;
	code = addr_gva2hva(r->vm, code_gva);
	code[0] = v->insn;
	code[1] = INSN_RET;
	masks = addr_gva2hva(r->vm, masks_gva);
	for (i = 0; i < PAGE_WORDS; i++)
		masks[i] = i == k ? 1 : BAD_MASK;
	sync_global_to_guest(r->vm, me);
	sync_global_to_guest(r->vm, signature);
	sync_global_to_guest(r->vm, iterations);
	sync_global_to_guest(r->vm, data_gva);
	sync_global_to_guest(r->vm, code_gva);
	sync_global_to_guest(r->vm, masks_gva);
	sync_global_to_guest(r->vm, load_expect);
}

static bool preempting = true;

/* SCHED_FIFO: each wake-up preempts the vCPU thread running here. */
static void *preempter(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec ts = { .tv_nsec = PREEMPT_US * 1000 };

	rvkvm_pin(0, *(int *)arg);
	TEST_ASSERT(!pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp),
		    "SCHED_FIFO");
	while (READ_ONCE(preempting))
		nanosleep(&ts, NULL);
	return NULL;
}

static u64 guest_u64(struct vm_run *r, u64 *var)
{
	return *(u64 *)addr_gva2hva(r->vm, (rvkvm_gva_t)var);
}

/* Reads of the instruction from guest memory, where the module allows. */
static void set_ignore_htinst(const char *v)
{
	FILE *f = fopen(IGNORE_HTINST, "w");

	if (!f)
		return;
	fputs(v, f);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct vm_run runs[MAX_VMS] = { };
	pthread_t preempters[2];
	u64 iters = 2000, words = 0, loads = 0, masks = 0, unsup = 0;
	u64 exits = 0, bad_exits = 0;
	int nr_vms = 8, cpus[2], opt, k;

	while ((opt = getopt(argc, argv, "v:i:")) != -1) {
		switch (opt) {
		case 'v':
			nr_vms = atoi(optarg);
			break;
		case 'i':
			iters = strtoull(optarg, NULL, 0);
			break;
		default:
			TEST_FAIL("usage: vmid_isolation [-v VMS] [-i ITERATIONS]");
		}
	}
	TEST_ASSERT(nr_vms > 1 && nr_vms <= MAX_VMS, "1 < VMS <= %d", MAX_VMS);
	ksft_print_header();
	ksft_set_plan(1);
	rvkvm_two_host_cpus(cpus);
	set_ignore_htinst("1");

	for (k = 0; k < nr_vms; k++) {
		make_vm(&runs[k], k, iters);
		runs[k].cpu = cpus[k & 1];
	}
	for (k = 0; k < 2; k++)
		pthread_create(&preempters[k], NULL, preempter, &cpus[k]);
	for (k = 0; k < nr_vms; k++)
		pthread_create(&runs[k].thr, NULL, vm_thread, &runs[k]);
	for (k = 0; k < nr_vms; k++) {
		pthread_join(runs[k].thr, NULL);
		words += guest_u64(&runs[k], &bad_words);
		loads += guest_u64(&runs[k], &bad_loads);
		masks += guest_u64(&runs[k], &bad_masks);
		unsup += guest_u64(&runs[k], &v01_unsupported);
		exits += runs[k].mmio_exits;
		bad_exits += runs[k].bad_exits;
	}
	WRITE_ONCE(preempting, false);
	for (k = 0; k < 2; k++)
		pthread_join(preempters[k], NULL);
	set_ignore_htinst("0");

	ksft_print_msg("%d VMs x %lu iterations: %lu MMIO exits\n",
		       nr_vms, iters, exits);
	ksft_print_msg("of another VM: %lu MMIO accesses, %lu loads, %lu words, %lu v0.1 masks\n",
		       bad_exits, loads, words, masks);
	ksft_print_msg("v0.1 calls the module does not serve: %lu\n", unsup);
	ksft_test_result(!words && !loads && !masks && !bad_exits &&
			 exits == nr_vms * iters,
			 "each VM saw only its own memory\n");
	for (k = 0; k < nr_vms; k++)
		kvm_vm_free(runs[k].vm);
	ksft_finished();
}
