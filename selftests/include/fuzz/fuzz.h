/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl_fuzz core: options, seeded randomness, named checks, worker
 * threads with a hang watchdog, raw VM and vCPU helpers, bad user
 * pointers, signal kicks and the leak baseline.  Included once, by
 * ioctl_fuzz.c; the areas (fuzz_*.h) build on it.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kvm.h>
#include "kvm_util.h"
#include "rvkvm_test.h"

#define FZ_PAGE			4096UL
#define FZ_MAX_THREADS		64
#define FZ_MAX_VCPUS		16
#define FZ_MAX_CHECKS		160
#define FZ_PRINT_PER_CHECK	3

/* Areas: one per round, each with its own VMs and threads. */
enum fz_area {
	FZ_A_ONEREG,	/* ONE_REG, REG_LIST, ISA/SBI toggles, first run */
	FZ_A_VCPU,	/* sparse ids, MP_STATE, INTERRUPT, debug, caps vs HSM */
	FZ_A_MEMSLOT,	/* memslots and dirty logs under a faulting guest */
	FZ_A_RUN,	/* exits, garbage in kvm_run, immediate_exit, signals */
	FZ_A_CLOSE,	/* fds closed in odd orders, leaks */
	FZ_A_NR,
};

static const char *const fz_area_name[FZ_A_NR] = {
	"onereg", "vcpu", "memslot", "run", "close",
};

struct fz_opts {
	u64 seed;
	double secs;		/* total run time */
	u64 rounds;		/* at most this many rounds; 0: no limit */
	u64 first;		/* the first round's number (replays) */
	unsigned int slice_ms;	/* one round's fuzzing time */
	unsigned int threads;	/* fuzzing threads per area */
	unsigned int hang_s;	/* an op this old is a hang */
	u32 areas;		/* bit per enum fz_area */
	bool hazards;		/* munmap/mprotect guest memory under slots */
	bool raw_csrs;		/* write sstatus/satp values QEMU 7.2 dies of */
	u32 guest_off;		/* guest actions turned off (a diagnosis aid) */
	bool stop_on_fail;
	bool verbose;
};

/* --- Randomness --------------------------------------------------------- */

struct fz_rng {
	u64 s;
};

/* splitmix64: every thread gets its own stream from (seed, round, id). */
static inline u64 fz_next(struct fz_rng *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void fz_seed(struct fz_rng *r, u64 a, u64 b, u64 c)
{
	r->s = a * 0x100000001b3ULL ^ (b << 20) ^ (c << 44) ^ c;
	fz_next(r);
}

static inline u64 fz_below(struct fz_rng *r, u64 n)
{
	return n ? fz_next(r) % n : 0;
}

/* true with probability num/den */
static inline bool fz_chance(struct fz_rng *r, u64 num, u64 den)
{
	return fz_below(r, den) < num;
}

/* Values that tend to find edges: 0, ~0, small, powers of two, random. */
static inline u64 fz_value(struct fz_rng *r)
{
	switch (fz_below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return fz_below(r, 8);
	case 3:
		return 1ULL << fz_below(r, 64);
	case 4:
		return (1ULL << fz_below(r, 64)) - 1;
	default:
		return fz_next(r);
	}
}

/* --- Time ---------------------------------------------------------------- */

static inline u64 fz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void fz_sleep_us(u64 us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --- Global state --------------------------------------------------------- */

struct fz_check {
	const char *name;
	u64 pass, fail;
	bool xfail;		/* -k NAME: failures expected, not fatal */
};

struct fz_thread;

static struct fz_state {
	struct fz_opts o;
	bool ours;		/* our kvm.ko, not Debian's */
	long page;
	int kvm_fd;		/* kept open for the whole run */
	size_t run_size;	/* KVM_GET_VCPU_MMAP_SIZE */
	u64 round;
	enum fz_area area;
	u64 end_ns, round_end_ns;
	pthread_mutex_t lock;
	struct fz_check checks[FZ_MAX_CHECKS];
	int nr_checks;
	const char *xfail[16];
	int nr_xfail;
	u64 fails, area_fails[FZ_A_NR];
	u64 ioctls;
	/* Debian's module after a garbled kvm_run: exits finished or not. */
	u64 garbled_done, garbled_skipped;
	struct fz_thread *threads[FZ_MAX_THREADS];
	/* Bad user pointers: [RW page][PROT_NONE page][read-only page]. */
	u8 *guard;
	/* A big, writable buffer for any register size (up to 32 KiB). */
	u8 *buf;
	int devnull;
} fz = { .lock = PTHREAD_MUTEX_INITIALIZER, .kvm_fd = -1 };

#define FZ_BUF_SIZE	(64 * 1024)

/* --- Threads and the hang watchdog ---------------------------------------- */

/*
 * A fuzzing thread: its random stream and what it is doing now, for the
 * watchdog.  @op is a string literal; @since is when it started.
 */
struct fz_thread {
	char name[24];
	pid_t tid;
	struct fz_rng rng;
	const char *op;		/* READ_ONCE/WRITE_ONCE: the watchdog reads */
	u64 since;
	bool kickable;		/* the kicker may SIGUSR1 it */
	u64 ops;
	/*
	 * The end of a writable page of its own, PROT_NONE after it: what
	 * the kernel reads back there is what this thread wrote, not what
	 * another thread's ioctl wrote meanwhile.
	 */
	u8 *edge;
};

static inline pid_t fz_gettid(void)
{
	return syscall(SYS_gettid);
}

static void fz_thread_register(struct fz_thread *t, const char *name, u64 id)
{
	int i;

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->tid = fz_gettid();
	fz_seed(&t->rng, fz.o.seed, fz.round, id);
	t->op = NULL;
	t->edge = mmap(NULL, 2 * FZ_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(t->edge != MAP_FAILED, "mmap a thread's edge page");
	t->edge += FZ_PAGE;
	TEST_ASSERT(!mprotect(t->edge, FZ_PAGE, PROT_NONE), "mprotect edge");
	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FZ_MAX_THREADS; i++) {
		if (!fz.threads[i]) {
			fz.threads[i] = t;
			break;
		}
	}
	pthread_mutex_unlock(&fz.lock);
	TEST_ASSERT(i < FZ_MAX_THREADS, "too many fuzzing threads");
}

static void fz_thread_unregister(struct fz_thread *t)
{
	int i;

	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FZ_MAX_THREADS; i++)
		if (fz.threads[i] == t)
			fz.threads[i] = NULL;
	pthread_mutex_unlock(&fz.lock);
	munmap(t->edge - FZ_PAGE, 2 * FZ_PAGE);
}

static inline void fz_op(struct fz_thread *t, const char *op)
{
	WRITE_ONCE(t->since, fz_now_ns());
	WRITE_ONCE(t->op, op);
	t->ops++;
	__atomic_fetch_add(&fz.ioctls, 1, __ATOMIC_RELAXED);
}

static inline void fz_op_done(struct fz_thread *t)
{
	WRITE_ONCE(t->op, NULL);
}

static void fz_dump_stack(pid_t tid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("#     %s", line);
	fclose(f);
}

/*
 * Called from the round's main thread while workers run: an ioctl that
 * has not returned for hang_s seconds is a hang; report it with the
 * thread's kernel stack and give up (the harness then dumps tasks).
 */
static void fz_watchdog(void)
{
	u64 now = fz_now_ns(), limit = fz.o.hang_s * 1000000000ULL, since;
	struct fz_thread *t;
	const char *op;
	int i;

	pthread_mutex_lock(&fz.lock);
	for (i = 0; i < FZ_MAX_THREADS; i++) {
		t = fz.threads[i];
		op = t ? READ_ONCE(t->op) : NULL;
		since = t ? READ_ONCE(t->since) : 0;
		if (!op || since > now || now - since < limit)
			continue;
		printf("# HANG: thread %s (tid %d) in %s for %.1f s, ", t->name,
		       t->tid, op, (now - since) / 1e9);
		printf("round %llu area %s seed %llu\n", (unsigned long long)fz.round,
		       fz_area_name[fz.area], (unsigned long long)fz.o.seed);
		fz_dump_stack(t->tid);
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	pthread_mutex_unlock(&fz.lock);
}

/* --- Named checks --------------------------------------------------------- */

static struct fz_check *fz_check_get(const char *name)
{
	struct fz_check *c;
	int i;

	for (i = 0; i < fz.nr_checks; i++)
		if (fz.checks[i].name == name || !strcmp(fz.checks[i].name, name))
			return &fz.checks[i];
	TEST_ASSERT(fz.nr_checks < FZ_MAX_CHECKS, "too many checks");
	c = &fz.checks[fz.nr_checks++];
	c->name = name;
	for (i = 0; i < fz.nr_xfail; i++)
		if (!strcmp(fz.xfail[i], name))
			c->xfail = true;
	return c;
}

/*
 * Record the outcome of check @name; on failure print why (the first
 * few times), with what replays it.  Returns @ok.
 */
static __printf(3, 4) bool fz_check(bool ok, const char *name,
				    const char *fmt, ...)
{
	struct fz_check *c;
	bool print, fatal;
	va_list ap;

	pthread_mutex_lock(&fz.lock);
	c = fz_check_get(name);
	if (ok) {
		c->pass++;
		pthread_mutex_unlock(&fz.lock);
		return true;
	}
	c->fail++;
	print = c->fail <= FZ_PRINT_PER_CHECK || fz.o.verbose;
	fatal = !c->xfail;
	if (fatal) {
		fz.fails++;
		fz.area_fails[fz.area]++;
	}
	if (print) {
		printf("# %s %s [round %llu area %s seed %llu]: ",
		       c->xfail ? "XFAIL" : "FAIL", name,
		       (unsigned long long)fz.round, fz_area_name[fz.area],
		       (unsigned long long)fz.o.seed);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		fflush(stdout);
	}
	pthread_mutex_unlock(&fz.lock);
	if (fatal && fz.o.stop_on_fail) {
		printf("# stopping at the first failure (-1)\n");
		_exit(KSFT_FAIL);
	}
	return false;
}

/*
 * Outcomes as bit masks: FZ_OK for success, fz_e(errno) for an errno.
 * A result is the ioctl's return value made 0 or -errno.  Bit 63 stands
 * for EOPNOTSUPP, the one errno above 62 that KVM_RUN may give.
 */
#define FZ_OK		1ULL

static inline u64 fz_e(int e)
{
	return 1ULL << (e < 63 ? e : 63);
}

static inline bool fz_allowed(u64 mask, int r)
{
	if (!r)
		return mask & FZ_OK;
	if (-r >= 63)
		return -r == EOPNOTSUPP && (mask & fz_e(63));
	return -r > 0 && (mask & fz_e(-r));
}

/* Print a mask as "0|ENOENT|EINVAL" into @s. */
static const char *fz_mask_str(u64 mask, char *s, size_t len)
{
	size_t n = 0;
	int e;

	s[0] = 0;
	for (e = 0; e < 64 && n < len; e++) {
		if (!(mask & (1ULL << e)))
			continue;
		n += snprintf(s + n, len - n, "%s%s", n ? "|" : "",
			      e == 63 ? "EOPNOTSUPP" :
			      e ? strerrorname_np(e) : "0");
	}
	return s;
}

static inline const char *fz_err_str(int r)
{
	return r ? strerrorname_np(-r) : "0";
}

/* Check that result @r is one of @mask; @what says which call it was. */
static __printf(4, 5) bool fz_expect(const char *name, u64 mask, int r,
				     const char *fmt, ...)
{
	char what[256], want[96];
	va_list ap;

	if (fz_allowed(mask, r))
		return fz_check(true, name, " ");
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fz_check(false, name, "%s: got %s, want %s", what,
			fz_err_str(r), fz_mask_str(mask, want, sizeof(want)));
}

/* An ioctl as 0 (or its non-negative result) or -errno. */
static inline int fz_ioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* The same, counted and watched as @t's current operation. */
static inline int fz_tioctl(struct fz_thread *t, const char *op, int fd,
			    unsigned long cmd, void *arg)
{
	int r;

	fz_op(t, op);
	r = fz_ioctl(fd, cmd, arg);
	fz_op_done(t);
	return r;
}

/* --- Bad user pointers ------------------------------------------------------ */

enum fz_ptr {
	FZ_P_GOOD,
	FZ_P_NULL,
	FZ_P_LOW,	/* below mmap_min_addr */
	FZ_P_NONE,	/* a PROT_NONE page */
	FZ_P_KERNEL,	/* a kernel address: access_ok() fails */
	FZ_P_STRADDLE,	/* 4 good bytes, then PROT_NONE */
	FZ_P_RO,	/* read-only: bad for the kernel to write */
	FZ_P_NR,
};

static void fz_guard_init(void)
{
	fz.guard = mmap(NULL, 3 * FZ_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(fz.guard != MAP_FAILED, "mmap guard");
	memset(fz.guard, 0x5a, 3 * FZ_PAGE);
	TEST_ASSERT(!mprotect(fz.guard + FZ_PAGE, FZ_PAGE, PROT_NONE) &&
		    !mprotect(fz.guard + 2 * FZ_PAGE, FZ_PAGE, PROT_READ),
		    "mprotect guard");
	fz.buf = mmap(NULL, FZ_BUF_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(fz.buf != MAP_FAILED, "mmap buf");
}

/* A user address of kind @p, for @good when it is FZ_P_GOOD. */
static inline void *fz_ptr(enum fz_ptr p, void *good)
{
	switch (p) {
	case FZ_P_NULL:
		return NULL;
	case FZ_P_LOW:
		return (void *)16;
	case FZ_P_NONE:
		return fz.guard + FZ_PAGE;
	case FZ_P_KERNEL:
		return (void *)0xffffffd800001000UL;
	case FZ_P_STRADDLE:
		return fz.guard + FZ_PAGE - 4;
	case FZ_P_RO:
		return fz.guard + 2 * FZ_PAGE;
	default:
		return good;
	}
}

/* Would the kernel fault copying @len bytes @to (or from) user pointer @p? */
static inline bool fz_ptr_faults(enum fz_ptr p, size_t len, bool to_user)
{
	switch (p) {
	case FZ_P_GOOD:
		return false;
	case FZ_P_STRADDLE:
		return len > 4;
	case FZ_P_RO:
		return to_user && len;
	default:
		return len;
	}
}

static inline enum fz_ptr fz_random_ptr(struct fz_rng *r, u64 good_in)
{
	return fz_chance(r, good_in - 1, good_in) ? FZ_P_GOOD :
	       1 + fz_below(r, FZ_P_NR - 1);
}

/* --- Raw VMs and vCPUs ------------------------------------------------------ */

/*
 * Guest-physical layout of the fuzz guest (fuzz_guest.h): code at 0,
 * the control page, the harts' records, scratch memory from 0x2000 up;
 * nothing at FZ_G_MMIO.
 */
#define FZ_G_CTL		0x1000UL
#define FZ_G_HARTS		0x1100UL
#define FZ_G_HART_SIZE		0x80UL
#define FZ_G_NR_SLOTS		30
#define FZ_G_MEM_SIZE		0x10000UL
#define FZ_G_MMIO		0x10000000UL

struct fz_vm;
struct fz_runcfg;

struct fz_vcpu {
	struct fz_vm *vm;
	int fd;
	u32 id;
	struct kvm_run *run;
	/* The runner thread driving it, if any (fuzz_guest.h). */
	pthread_t thr;
	bool has_thread;
	int busy;		/* a fuzzing thread runs it (no runner) */
	bool stop;		/* READ_ONCE/WRITE_ONCE */
	struct fz_thread t;
	u64 epoch;
	/* Statistics of its runs. */
	u64 runs, exits[64], eintr, efault;
};

struct fz_vm {
	int kvm_fd, vm_fd;
	u8 *mem;		/* guest-physical 0, FZ_G_MEM_SIZE bytes */
	int nr;
	struct fz_vcpu vcpus[FZ_MAX_VCPUS];
	/* Bumped when SRST stopped every vCPU: runners restart theirs. */
	u64 restart_epoch;
	bool mem_gone;		/* its memory was unmapped under it */
	struct fz_runcfg *cfg;	/* how its runners behave */
};

static inline u8 *fz_gpa(struct fz_vm *vm, u64 gpa)
{
	return vm->mem + gpa;
}

static inline u64 *fz_ctl(struct fz_vm *vm, u64 off)
{
	return (u64 *)fz_gpa(vm, FZ_G_CTL + off);
}

static inline u64 *fz_hart_rec(struct fz_vm *vm, u64 hartid)
{
	return (u64 *)fz_gpa(vm, FZ_G_HARTS +
			     (hartid % FZ_G_NR_SLOTS) * FZ_G_HART_SIZE);
}

static inline int fz_one_reg(int fd, bool set, u64 id, void *addr)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)addr };

	return fz_ioctl(fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &reg);
}

#define FZ_REG_UL	(KVM_REG_RISCV | KVM_REG_SIZE_U64)
#define FZ_CORE(i)	(FZ_REG_UL | KVM_REG_RISCV_CORE | (i))
#define FZ_CORE_PC	FZ_CORE(KVM_REG_RISCV_CORE_REG(regs.pc))
#define FZ_CORE_X(n)	FZ_CORE(n)	/* x1..x31 follow pc */

static inline int fz_get_ul(int fd, u64 id, u64 *v)
{
	return fz_one_reg(fd, false, id, v);
}

static inline int fz_set_ul(int fd, u64 id, u64 v)
{
	return fz_one_reg(fd, true, id, &v);
}

/* A VM with the guest's 64 KiB at 0 (slot 0), holding @code; no vCPUs. */
static struct fz_vm *fz_vm_create(const u8 *code, size_t len)
{
	struct kvm_userspace_memory_region mr = {
		.slot = 0, .memory_size = FZ_G_MEM_SIZE,
	};
	struct fz_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "calloc");
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(vm->kvm_fd >= 0, "open /dev/kvm");
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	TEST_ASSERT(vm->vm_fd >= 0, "KVM_CREATE_VM: %s", strerror(errno));
	vm->mem = mmap(NULL, FZ_G_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(vm->mem != MAP_FAILED, "mmap guest memory");
	TEST_ASSERT(len <= FZ_G_CTL, "guest code too big");
	memcpy(vm->mem, code, len);
	mr.userspace_addr = (u64)vm->mem;
	TEST_ASSERT(!ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr),
		    "slot 0: %s", strerror(errno));
	return vm;
}

/* KVM_CREATE_VCPU @id: 0 or -errno; on success the vCPU is vm->vcpus[n]. */
static int fz_vcpu_create(struct fz_vm *vm, u64 id, struct fz_vcpu **out)
{
	struct fz_vcpu *v;
	int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);

	if (fd < 0)
		return -errno;
	TEST_ASSERT(vm->nr < FZ_MAX_VCPUS, "too many vCPUs");
	v = &vm->vcpus[vm->nr++];
	v->vm = vm;
	v->fd = fd;
	v->id = id;
	v->run = mmap(NULL, fz.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	TEST_ASSERT(v->run != MAP_FAILED, "mmap kvm_run");
	if (out)
		*out = v;
	return 0;
}

/* Point @v at the fuzz guest's entry: pc 0, a0 = hart id, a1 = 0. */
static void fz_vcpu_boot(struct fz_vcpu *v)
{
	TEST_ASSERT(!fz_set_ul(v->fd, FZ_CORE_PC, 0) &&
		    !fz_set_ul(v->fd, FZ_CORE_X(10), v->id) &&
		    !fz_set_ul(v->fd, FZ_CORE_X(11), 0),
		    "boot registers of vCPU %u", v->id);
}

static void fz_vm_destroy(struct fz_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, fz.run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
		vm->vcpus[i].fd = -1;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->mem)
		munmap(vm->mem, FZ_G_MEM_SIZE);
	free(vm);
}

static inline long fz_vm_cap(int fd, long cap)
{
	return ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

/* --- Signals: kicks out of KVM_RUN ------------------------------------------ */

static void fz_on_sigusr1(int sig)
{
}

static void fz_signals_init(void)
{
	struct sigaction sa = { .sa_handler = fz_on_sigusr1 };

	/* No SA_RESTART: a kick must end KVM_RUN with EINTR. */
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
}

/*
 * A per-thread one-shot timer that sends SIGUSR1 to the calling thread:
 * bounds a KVM_RUN whose guest may never exit on its own.
 */
struct fz_timer {
	timer_t id;
	bool made;
};

static void fz_timer_arm(struct fz_timer *tm, u64 us)
{
	/* Periodic: a signal that lands just before KVM_RUN is not the last. */
	struct itimerspec its = {
		.it_value = { us / 1000000, (us % 1000000) * 1000 },
		.it_interval = { us / 1000000, (us % 1000000) * 1000 },
	};
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};

	if (!tm->made) {
		sev._sigev_un._tid = fz_gettid();
		TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &tm->id),
			    "timer_create");
		tm->made = true;
	}
	TEST_ASSERT(!timer_settime(tm->id, 0, &its, NULL), "timer_settime");
}

static void fz_timer_disarm(struct fz_timer *tm)
{
	struct itimerspec its = {};

	if (tm->made)
		timer_settime(tm->id, 0, &its, NULL);
}

static void fz_timer_delete(struct fz_timer *tm)
{
	if (tm->made)
		timer_delete(tm->id);
	tm->made = false;
}

/*
 * The kicker: SIGUSR1 to a random kickable thread every 0..@max_gap_us,
 * until told to stop.
 */
struct fz_kicker {
	pthread_t thr;
	bool stop;
	unsigned int max_gap_us;
	struct fz_thread t;
	u64 kicks;
};

static void *fz_kicker_main(void *arg)
{
	struct fz_kicker *k = arg;
	struct fz_thread *cand[FZ_MAX_THREADS];
	int i, n;

	fz_thread_register(&k->t, "kicker", 999);
	while (!READ_ONCE(k->stop)) {
		fz_sleep_us(fz_below(&k->t.rng, k->max_gap_us + 1));
		n = 0;
		pthread_mutex_lock(&fz.lock);
		for (i = 0; i < FZ_MAX_THREADS; i++)
			if (fz.threads[i] && READ_ONCE(fz.threads[i]->kickable))
				cand[n++] = fz.threads[i];
		if (n) {
			syscall(SYS_tgkill, getpid(),
				cand[fz_below(&k->t.rng, n)]->tid, SIGUSR1);
			k->kicks++;
		}
		pthread_mutex_unlock(&fz.lock);
	}
	fz_thread_unregister(&k->t);
	return NULL;
}

static void fz_kicker_start(struct fz_kicker *k, unsigned int max_gap_us)
{
	k->stop = false;
	k->max_gap_us = max_gap_us;
	pthread_create(&k->thr, NULL, fz_kicker_main, k);
}

static void fz_kicker_stop(struct fz_kicker *k)
{
	WRITE_ONCE(k->stop, true);
	pthread_join(k->thr, NULL);
}

/* --- Rounds ----------------------------------------------------------------- */

static inline bool fz_round_over(void)
{
	return fz_now_ns() >= fz.round_end_ns;
}

/*
 * Wait for the round's slice to pass, watching for hangs; @poll, if
 * given, is called every 50 ms and may end the wait early by returning
 * true.
 */
static void fz_round_wait(bool (*poll)(void *), void *arg)
{
	while (!fz_round_over()) {
		fz_sleep_us(50000);
		fz_watchdog();
		if (poll && poll(arg))
			break;
	}
}

/* Wait for @thr, watching for hangs meanwhile. */
static void fz_join(pthread_t thr)
{
	while (pthread_tryjoin_np(thr, NULL)) {
		fz_sleep_us(10000);
		fz_watchdog();
	}
}

/* --- Leaks ------------------------------------------------------------------ */

/* kvm.ko's reference count: every open /dev/kvm, VM and vCPU holds one. */
static long fz_kvm_refcnt(void)
{
	long n = -1;
	FILE *f = fopen("/sys/module/kvm/refcnt", "r");

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * Active objects of the kvm_vcpu slab cache, and how many fit in one
 * slab (*per), or -1.  SLUB counts the free objects of per-CPU slabs as
 * active, so only growth by more than a few slabs means anything.  The
 * cache is shrunk first where SLUB's sysfs allows: that also empties
 * KASAN's quarantine of it, which on a debug kernel holds freed vCPUs.
 */
static long fz_vcpu_objs(long *per)
{
	char line[512], name[64];
	long active = -1, num, size, n;
	FILE *f = fopen("/sys/kernel/slab/kvm_vcpu/shrink", "w");

	if (f) {
		fputs("1", f);
		fclose(f);
	}
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld %ld %ld %ld", name, &n, &num, &size,
			   per) == 5 && !strcmp(name, "kvm_vcpu"))
			active = n;
	}
	fclose(f);
	return active;
}

/*
 * Everything a round made is closed: the module's references must be
 * back where they were (every VM, vCPU and open /dev/kvm holds one).
 * Releases can lag a little (deferred fput), so poll for up to 5 s.
 */
static void fz_leak_check(long base)
{
	long now = -1;
	int i;

	for (i = 0; i < 100; i++) {
		now = fz_kvm_refcnt();
		if (now == base)
			break;
		fz_sleep_us(50000);
	}
	fz_check(now == base, "leak_module_refs",
		 "kvm refcnt %ld after the round, %ld before", now, base);
}

#endif /* FUZZ_FUZZ_H */
