// SPDX-License-Identifier: GPL-2.0
/*
 * memslot_churn: a memslot created, moved and deleted at guest-physical
 * addresses spread over the whole G-stage, round after round, while a
 * second vCPU hammers the slot.  The VM's G-stage table memory must stay
 * bounded, and the guest must never see through a stale translation.
 *
 * Each round r puts the slot at a new address: an even round creates it
 * (host page A or B in turn), an odd round moves it (same host page) and
 * then deletes it.  Before running the guest, the host writes a fresh
 * marker into the page; vCPU 0 then
 *  - loads from where the previous round's target was: no slot is there
 *    any more, so this must exit as KVM_EXIT_MMIO at that address (a
 *    stale G-stage leaf or a table freed too late would answer instead);
 *  - loads its target (must read this round's marker: a stale mapping to
 *    the other host page would not), stores the marker's complement, and
 *    reports the value read through SBI.
 * vCPU 1 loads the current target in a loop all the while: a hart in the
 * guest walking the G-stage as its tables are unlinked and freed.
 *
 * Boundedness is checked in two ways: the VM stat gstage_table_pages
 * (rvkvm's; it must come back to its value after the first delete, at
 * every delete), and the memory charged to the test's own cgroup, which
 * must not grow by more than CHURN_MEM_SLACK over the run (for any
 * module; Debian's 6.12 never frees G-stage tables below the root).
 *
 *   memslot_churn [rounds [bits]]
 *	rounds	default 10000
 *	bits	spread the slot over no more guest-physical bits than this
 *		(default: all the VM has).  Run on QEMU 10: under QEMU 7.2,
 *		a guest access above 2^56 (its physical address width)
 *		faults again for ever, with Debian's module as with ours.
 *	hammer	1 (default) or 0: without vCPU 1, for a module whose
 *		KVM_RUN fails when a vCPU races a slot change (Debian's
 *		6.12 returns EFAULT then), to still measure its tables.
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "rvkvm_test.h"

#define CHURN_PAGE		4096UL
#define CHURN_SLOT		2
#define MBOX_GPA		0x400	/* old target, new target, new value */
#define REPORT_EID		0x08000042
#define CODE_MAX		MBOX_GPA
/* Slots go at or above this, clear of the code slot at 0. */
#define CHURN_MIN_GPA		(2ULL << 20)
#define CHURN_MEM_SLACK	(2 << 20)
#define CGROUP_ROOT		"/sys/fs/cgroup"
#define CGROUP_DIR		CGROUP_ROOT "/memslot_churn"

asm(".pushsection .rodata.memslot_churn, \"a\"\n"
"	.option push\n	.option norvc\n"
"churn_code:\n"
"1:	ld	a1, 0x400(zero)\n"
"	beqz	a1, 2f\n"
"	ld	a3, 0(a1)\n"
"2:	ld	a1, 0x408(zero)\n"
"	ld	a0, 0(a1)\n"
"	ld	a2, 0x410(zero)\n"
"	sd	a2, 0(a1)\n"
"	li	a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	1b\n"
"churn_hammer:\n"
"3:	ld	a1, 0x408(zero)\n"
"	ld	a0, 0(a1)\n"
"	j	3b\n"
"churn_code_end:\n"
"	.option pop\n	.popsection\n");

struct churn {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu, *hammer;
	u64 *mbox;
	u8 *page[2];
	unsigned int gpa_bits;
	atomic_bool stop;
	unsigned long hammer_exits;
};

/* A page-aligned address in [CHURN_MIN_GPA, 2^gpa_bits) for round @r. */
static u64 churn_gpa(const struct churn *c, u64 r)
{
	u64 h = (r + 1) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	h &= (BIT_ULL(c->gpa_bits) - 1) & ~(u64)(CHURN_PAGE - 1);
	return h < CHURN_MIN_GPA ? h + CHURN_MIN_GPA : h;
}

static void churn_slot(struct churn *c, u64 gpa, u64 size, void *hva)
{
	vm_set_user_memory_region(c->vm, CHURN_SLOT, 0, gpa, size, hva);
}

/* vCPU 1: any exit but an MMIO load (no slot at the target) is wrong. */
static void *churn_hammer_thread(void *arg)
{
	struct churn *c = arg;
	struct kvm_run *run = c->hammer->run;

	while (!atomic_load(&c->stop)) {
		vcpu_run(c->hammer);
		TEST_ASSERT(run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write,
			    "hammer vCPU: exit %u", run->exit_reason);
		c->hammer_exits++;
	}
	return NULL;
}

/*
 * Run round @r's guest step.  @old is the target of the previous round,
 * which now has no slot (0: none).  Returns the value the guest read.
 */
static u64 churn_run(struct churn *c, u64 old, u64 target, u64 value)
{
	struct kvm_run *run = c->vcpu->run;

	c->mbox[0] = old;
	c->mbox[1] = target;
	c->mbox[2] = value;
	vcpu_run(c->vcpu);
	if (old) {
		TEST_ASSERT(run->exit_reason == KVM_EXIT_MMIO &&
			    run->mmio.phys_addr == old && !run->mmio.is_write &&
			    run->mmio.len == 8,
			    "a load at 0x%llx, where no slot is any more: exit %u at 0x%llx",
			    (unsigned long long)old, run->exit_reason,
			    (unsigned long long)run->mmio.phys_addr);
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		vcpu_run(c->vcpu);
	}
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == REPORT_EID,
		    "vCPU 0: exit %u, not its report", run->exit_reason);
	return run->riscv_sbi.args[0];
}

/* Write @val into the cgroup file @name; false if that failed. */
static bool cg_write(const char *name, const char *val)
{
	FILE *f = fopen(name, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return !fclose(f) && ok;
}

/* Move this process into a memory cgroup of its own; false if none. */
static bool cg_enter(void)
{
	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
		return false;
	if (mkdir(CGROUP_DIR, 0755) && errno != EEXIST)
		return false;
	return cg_write(CGROUP_ROOT "/cgroup.subtree_control", "+memory") &&
	       cg_write(CGROUP_DIR "/cgroup.procs", "0");
}

static void cg_leave(void)
{
	cg_write(CGROUP_ROOT "/cgroup.procs", "0");
	rmdir(CGROUP_DIR);
}

/*
 * The cgroup's memory in bytes: its page counter, exact but for the
 * charges each CPU keeps in stock (memory.stat is flushed lazily).
 */
static long long cg_memory(void)
{
	FILE *f = fopen(CGROUP_DIR "/memory.current", "r");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static struct churn *churn_setup(void)
{
	struct churn *c = calloc(1, sizeof(*c));
	size_t len, tail;
	const u8 *code = rvkvm_asm_range(churn_code, churn_code_end, &len);
	const u8 *hammer = rvkvm_asm_range(churn_hammer, churn_code_end, &tail);
	u8 *mem;
	int i;

	TEST_ASSERT(c, "calloc");
	c->vm = rvkvm_vm_with_code(code, len, CODE_MAX, 2 * CHURN_PAGE, &mem);
	c->mbox = (u64 *)(mem + MBOX_GPA);
	c->gpa_bits = kvm_check_cap(KVM_CAP_VM_GPA_BITS);
	for (i = 0; i < 2; i++) {
		c->page[i] = mmap(NULL, CHURN_PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(c->page[i] != MAP_FAILED, "mmap");
	}
	c->vcpu = __vm_vcpu_add(c->vm, 0);
	c->hammer = rvkvm_vcpu_add_running(c->vm, 1);
	vcpu_set_reg(c->hammer, RISCV_CORE_REG(regs.pc), hammer - code);
	return c;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
	unsigned int max_bits = argc > 2 ? strtoul(argv[2], NULL, 0) : 64;
	bool hammer = argc > 3 ? strtoul(argv[3], NULL, 0) : true;
	u64 stat0 = 0, stat = 0, old = 0, gpa = 0, marker;
	bool has_stat = false, stat_ok = true, memcg;
	long long mem0 = -1, mem1;
	unsigned long r, bad = 0;
	struct churn *c;
	pthread_t thr;
	double t0;

	ksft_print_header();
	ksft_set_plan(3);
	memcg = cg_enter();
	c = churn_setup();
	c->gpa_bits = min(c->gpa_bits, max_bits);
	ksft_print_msg("%lu rounds over %u guest-physical bits, memcg %s\n",
		       rounds, c->gpa_bits, memcg ? "on" : "unavailable");
	if (hammer)
		pthread_create(&thr, NULL, churn_hammer_thread, c);

	t0 = rvkvm_now();
	for (r = 0; r < rounds * 2; r++) {
		u8 *page = c->page[(r / 2) & 1];
		u64 off = (r * 8) & (CHURN_PAGE - 8);

		gpa = churn_gpa(c, r);
		churn_slot(c, gpa, CHURN_PAGE, page);
		marker = 0x5a00000000000000ULL | r;
		*(u64 *)(page + off) = marker;
		if (churn_run(c, old, gpa + off, ~marker) != marker ||
		    *(u64 *)(page + off) != ~marker) {
			if (bad++ < 5)
				ksft_print_msg("round %lu at 0x%llx: a stale value\n",
					       r / 2, (unsigned long long)gpa);
		}
		old = gpa + off;
		if (!(r & 1))
			continue;
		churn_slot(c, gpa, 0, page);
		has_stat = rvkvm_vm_stat(c->vm, "gstage_table_pages", &stat);
		if (r == 1) {
			stat0 = stat;
			mem0 = cg_memory();
		} else if (has_stat && stat != stat0 && stat_ok) {
			ksft_print_msg("round %lu: %llu table pages, %llu after the first delete\n",
				       r / 2, (unsigned long long)stat,
				       (unsigned long long)stat0);
			stat_ok = false;
		}
		if (!((r / 2 + 1) % 1000))
			ksft_print_msg("%lu rounds, %.1f s\n", r / 2 + 1,
				       rvkvm_now() - t0);
	}
	mem1 = cg_memory();
	atomic_store(&c->stop, true);
	if (hammer)
		pthread_join(thr, NULL);

	ksft_print_msg("%lu rounds in %.1f s; hammer vCPU: %lu MMIO exits\n",
		       rounds, rvkvm_now() - t0, c->hammer_exits);
	ksft_test_result(!bad, "%s (%lu bad)\n",
			 "fresh markers read, MMIO exits where the slot left", bad);
	if (has_stat)
		ksft_test_result(stat_ok, "gstage_table_pages back to %llu at every delete\n",
				 (unsigned long long)stat0);
	else
		ksft_test_result_skip("the module has no gstage_table_pages stat\n");
	if (mem0 >= 0 && mem1 >= 0) {
		ksft_print_msg("memcg: %lld KiB after the first delete, %lld KiB at the end\n",
			       mem0 >> 10, mem1 >> 10);
		ksft_test_result(mem1 - mem0 < CHURN_MEM_SLACK,
				 "the cgroup's memory grew by %lld KiB (limit %d KiB)\n",
				 (mem1 - mem0) >> 10, CHURN_MEM_SLACK >> 10);
	} else {
		ksft_test_result_skip("no memory cgroup to read memory.current from\n");
	}
	kvm_vm_free(c->vm);
	if (memcg)
		cg_leave();
	ksft_finished();
}
