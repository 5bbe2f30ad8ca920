// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz: a seeded, bounded, multi-threaded fuzzer of what userspace
 * can do to /dev/kvm, a VM and its vCPUs, looking for host crashes,
 * hangs, leaks, WARNs and wrong errnos.
 *
 * The run is a sequence of rounds; each round takes one area, builds its
 * VMs and threads, fuzzes for a time slice, tears everything down and
 * checks that kvm.ko's reference count is back where it was:
 *
 *   onereg   ONE_REG over the whole id space, KVM_GET_REG_LIST, ISA and
 *            SBI extension toggles, before and after the first run
 *            (include/fuzz/fuzz_onereg.h)
 *   vcpu     sparse and duplicate vCPU ids; MP_STATE, INTERRUPT, guest
 *            debug, ENABLE_CAP and more against harts doing SBI HSM
 *            (fuzz_vcpu.h)
 *   memslot  memslots and dirty logs changing under a faulting guest
 *            (fuzz_memslot.h)
 *   run      every exit kind, garbage in kvm_run, immediate_exit,
 *            signals (fuzz_life.h)
 *   close    fds closed in odd orders while vCPUs run (fuzz_life.h)
 *
 * Every errno the contract fixes is asserted (api.rst, the riscv uapi,
 * 6.12's behaviour, and Documentation/design.rst where our module
 * differs on purpose).  A failed check prints what replays it (seed,
 * round, area); the run goes on and fails at the end.  A hang (an ioctl
 * that has not returned for -w seconds) ends the run at once.
 *
 * The first line is "seed N".  Each thread draws from its own stream of
 * (seed, round, thread); the interleaving of threads is the host's, so a
 * seed replays the same operations, not necessarily the same race.
 *
 *   ioctl_fuzz [-s SEED] [-t SECONDS] [-n ROUNDS] [-r ROUND] [-T SLICE_MS]
 *              [-j THREADS] [-a AREA,...] [-x AREA,...] [-k CHECK]... [-w HANG_S]
 *              [-g MASK] [-S] [-H] [-Q] [-1] [-v]
 *
 *   -t  total time (default 40 s, about a minute in the emulated host)
 *   -n  at most this many rounds (default: as many as fit in -t)
 *   -r  start at round R (replay: the areas and seeds of rounds R, R+1..)
 *   -T  length of a round (default 4000 ms)
 *   -j  fuzzing threads per area (default 2)
 *   -a  only these areas; -x  skip these areas
 *   -k  failures of check CHECK are expected (reported as XFAIL)
 *   -S  soak: 10 minutes, 10 s rounds, 3 threads (later options win)
 *   -H  no hazards (guest memory pulled or made read-only under slots)
 *   -g  MASK: bit N set turns guest action N off in every mode's table
 *       (fuzz_guest.h), to find which one a failure needs
 *   -Q  write any sstatus and satp through ONE_REG, also values that
 *       crash QEMU 7.2 (fuzz_onereg.h); for hardware or a fixed QEMU
 *   -1  stop at the first failed check
 *   -w  an ioctl this old is a hang (default 30 s)
 */
#include <getopt.h>
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_guest.h"
#include "fuzz/fuzz_onereg.h"
#include "fuzz/fuzz_vcpu.h"
#include "fuzz/fuzz_memslot.h"
#include "fuzz/fuzz_life.h"

static void (*const fz_area_fn[FZ_A_NR])(void) = {
	[FZ_A_ONEREG] = fz_area_onereg,
	[FZ_A_VCPU] = fz_area_vcpu,
	[FZ_A_MEMSLOT] = fz_area_memslot,
	[FZ_A_RUN] = fz_area_run,
	[FZ_A_CLOSE] = fz_area_close,
};

static u32 fz_parse_areas(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;
	u32 mask = 0;
	int a;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (a = 0; a < FZ_A_NR; a++)
			if (!strcmp(tok, fz_area_name[a]))
				break;
		TEST_ASSERT(a < FZ_A_NR, "unknown area '%s'", tok);
		mask |= 1U << a;
	}
	free(copy);
	return mask;
}

static void fz_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-t SECONDS] [-n ROUNDS] [-r ROUND] [-T SLICE_MS] [-j THREADS]\n"
		"       [-a AREA,...] [-x AREA,...] [-k CHECK]... [-w HANG_S] [-g MASK]\n"
		"       [-S] [-H] [-Q] [-1] [-v]\n"
		"areas: onereg vcpu memslot run close\n", prog);
	exit(KSFT_FAIL);
}

static void fz_parse(int argc, char **argv)
{
	int c;

	fz.o = (struct fz_opts){
		.seed = fz_now_ns() ^ getpid(), .secs = 40, .slice_ms = 4000,
		.threads = 2, .hang_s = 30, .areas = (1U << FZ_A_NR) - 1,
		.hazards = true,
	};
	while ((c = getopt(argc, argv, "s:t:n:r:T:j:a:x:k:w:g:SHQ1vh")) != -1) {
		switch (c) {
		case 's':
			fz.o.seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			fz.o.secs = atof(optarg);
			break;
		case 'n':
			fz.o.rounds = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			fz.o.first = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			fz.o.slice_ms = atoi(optarg);
			break;
		case 'j':
			fz.o.threads = atoi(optarg) > 0 ? atoi(optarg) : 1;
			break;
		case 'a':
			fz.o.areas = fz_parse_areas(optarg);
			break;
		case 'x':
			fz.o.areas &= ~fz_parse_areas(optarg);
			break;
		case 'k':
			TEST_ASSERT(fz.nr_xfail < (int)ARRAY_SIZE(fz.xfail), "too many -k");
			fz.xfail[fz.nr_xfail++] = optarg;
			break;
		case 'w':
			fz.o.hang_s = atoi(optarg);
			break;
		case 'S':
			fz.o.secs = 600;
			fz.o.slice_ms = 10000;
			fz.o.threads = 3;
			break;
		case 'H':
			fz.o.hazards = false;
			break;
		case 'Q':
			fz.o.raw_csrs = true;
			break;
		case 'g':
			fz.o.guest_off = strtoul(optarg, NULL, 0);
			break;
		case '1':
			fz.o.stop_on_fail = true;
			break;
		case 'v':
			fz.o.verbose = true;
			break;
		default:
			fz_usage(argv[0]);
		}
	}
}

static void fz_init(void)
{
	fz.ours = rvkvm_module_is_ours();
	fz.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fz.kvm_fd < 0)
		ksft_exit_skip("/dev/kvm: %s\n", strerror(errno));
	fz.run_size = ioctl(fz.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(fz.run_size >= sizeof(struct kvm_run), "KVM_GET_VCPU_MMAP_SIZE");
	fz.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(fz.devnull >= 0, "/dev/null");
	fz_guard_init();
	fz_signals_init();
}

/* Areas in a seeded order, each once before any comes again. */
static int fz_next_area(struct fz_rng *rng, int *order, int *left)
{
	int n = 0, a, i, tmp;

	if (!*left) {
		for (a = 0; a < FZ_A_NR; a++)
			if (fz.o.areas & (1U << a))
				order[n++] = a;
		for (i = n - 1; i > 0; i--) {
			a = fz_below(rng, i + 1);
			tmp = order[i];
			order[i] = order[a];
			order[a] = tmp;
		}
		*left = n;
	}
	return order[--*left];
}

static void fz_summary(u64 rounds, u64 *area_rounds, double secs)
{
	struct fz_check *c;
	u64 pass = 0;
	int i;

	for (i = 0; i < fz.nr_checks; i++) {
		c = &fz.checks[i];
		pass += c->pass;
		if (c->fail)
			printf("# check %-28s %s: %llu failed, %llu passed\n", c->name,
			       c->xfail ? "XFAIL" : "FAIL", (unsigned long long)c->fail,
			       (unsigned long long)c->pass);
	}
	printf("# %llu rounds in %.1f s (", (unsigned long long)rounds, secs);
	for (i = 0; i < FZ_A_NR; i++)
		printf("%s%s %llu", i ? ", " : "", fz_area_name[i],
		       (unsigned long long)area_rounds[i]);
	printf("), %llu ioctls, %llu checks passed, %d kinds of check\n",
	       (unsigned long long)fz.ioctls, (unsigned long long)pass, fz.nr_checks);
	printf("# module: %s; guest debug control bits beyond ENABLE: %llu taken, %llu EINVAL\n",
	       fz.ours ? "rvkvm" : "in-tree", (unsigned long long)fz_debug_bits_ok,
	       (unsigned long long)fz_debug_bits_einval);
	printf("# ONE_REG changes after KVM_RUN with immediate_exit or EINTR only: ");
	printf("%llu taken, %llu EBUSY\n", (unsigned long long)fz_maybe_ok,
	       (unsigned long long)fz_maybe_busy);
	printf("# KVM_CREATE_VM of a machine type other than 0: %llu taken, %llu EINVAL\n",
	       (unsigned long long)fz_vmtype_ok, (unsigned long long)fz_vmtype_einval);
	if (!fz.ours)
		printf("# in-tree, exits after kvm_run was garbled: %llu completed, %llu not\n",
		       (unsigned long long)fz.garbled_done,
		       (unsigned long long)fz.garbled_skipped);
}

int main(int argc, char **argv)
{
	u64 start, rounds = 0, area_rounds[FZ_A_NR] = {}, fails_before;
	long base_refs, objs0, objs1, per = 0;
	int order[FZ_A_NR], left = 0, a;
	struct fz_rng rng;

	fz_parse(argc, argv);
	printf("seed %llu\n", (unsigned long long)fz.o.seed);
	fflush(stdout);
	ksft_print_header();
	ksft_set_plan(FZ_A_NR);
	fz_init();
	ksft_print_msg("module %s, %.0f s, rounds of %u ms, %u threads per area, hazards %s\n",
		       fz.ours ? "rvkvm" : "in-tree", fz.o.secs, fz.o.slice_ms,
		       fz.o.threads, fz.o.hazards ? "on" : "off");

	fz_seed(&rng, fz.o.seed, ~0ULL, 0);
	base_refs = fz_kvm_refcnt();
	objs0 = fz_vcpu_objs(&per);
	/* A replay from round R takes the same areas in the same order. */
	for (rounds = 0; rounds < fz.o.first && fz.o.areas; rounds++)
		fz_next_area(&rng, order, &left);
	start = fz_now_ns();
	fz.end_ns = start + fz.o.secs * 1e9;
	while (fz.o.areas && fz_now_ns() < fz.end_ns &&
	       (!fz.o.rounds || rounds < fz.o.first + fz.o.rounds)) {
		a = fz_next_area(&rng, order, &left);
		fz.round = rounds;
		fz.area = a;
		fz.round_end_ns = fz_now_ns() + fz.o.slice_ms * 1000000ULL;
		if (fz.round_end_ns > fz.end_ns)
			fz.round_end_ns = fz.end_ns;
		fails_before = fz.fails;
		printf("# round %llu: %s\n", (unsigned long long)rounds, fz_area_name[a]);
		fflush(stdout);
		fz_area_fn[a]();
		fz_leak_check(base_refs);
		printf("# round %llu: %s done, %llu failures\n", (unsigned long long)rounds,
		       fz_area_name[a], (unsigned long long)(fz.fails - fails_before));
		fflush(stdout);
		area_rounds[a]++;
		rounds++;
	}
	/* SLUB counts per-CPU slabs' free objects as active: allow a few slabs. */
	objs1 = fz_vcpu_objs(&per);
	if (objs0 >= 0 && objs1 >= 0)
		fz_check(objs1 <= objs0 + 4 * per, "leak_vcpu_objects",
			 "kvm_vcpu slab: %ld active objects after the run, %ld before (%ld per slab)",
			 objs1, objs0, per);

	fz_summary(rounds, area_rounds, (fz_now_ns() - start) / 1e9);
	for (a = 0; a < FZ_A_NR; a++) {
		if (!area_rounds[a])
			ksft_test_result_skip("%s: not run\n", fz_area_name[a]);
		else
			ksft_test_result(!fz.area_fails[a], "%s: %llu rounds\n",
					 fz_area_name[a], (unsigned long long)area_rounds[a]);
	}
	printf("# seed %llu: %s\n", (unsigned long long)fz.o.seed,
	       fz.fails ? "FAILED" : "passed");
	ksft_finished();
}
