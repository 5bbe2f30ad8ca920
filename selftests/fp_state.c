// SPDX-License-Identifier: GPL-2.0
/*
 * fp_state: the guest's F/D registers survive its exits to the host
 * while the host thread migrates between CPUs and another host thread
 * keeps the FPUs of both CPUs busy; ONE_REG FP_D sees what the guest
 * holds at every exit, and a value set through it reaches the guest; the
 * VMM thread's own FP registers come back from KVM_RUN unchanged.
 *
 * With V in the guest ISA, v0-v31 (and vl, vtype) go through the same,
 * checked through ONE_REG VECTOR too.
 *
 * The guest reloads its registers every other exit, so both ways out of
 * a run are covered: a Dirty FPU that must be written back, and a Clean
 * one that must only be reloaded.  In between it changes fcsr (and vcsr)
 * by CSR writes alone, which must be written back too: QEMU marks only
 * the guest's vsstatus Dirty for those, not the HS-level sstatus.
 *
 * The guest code touches FP registers only through the asm helpers
 * below, which deliberately declare no clobbers: they are the guest's
 * long-lived state, and the compiler must not save and restore them
 * around the helpers.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define NR_SYNCS	600
#define GUEST_FRM	0x80		/* frm RMM; fflags vary by sync */
#define HOST_FCSR	0x61		/* frm RUP, fflags NX */
#define FCSR_SLOT	32		/* fcsr after f0..f31 in the arrays */
#define SR_FS_ON	BIT(13)		/* sstatus.FS = Initial */
#define SR_VS_ON	BIT(9)		/* sstatus.VS = Initial */
#define VLENB_MAX	64		/* the vector file the test has room for */
#define VTYPE_E8M8	0xc3		/* vma, vta, e8, m8 */
#define VCSR		"0x00f"		/* vcsr, named for any assembler */

#define FREGS "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, " \
	      "17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31"
#define FP_LOAD(base)	".irp n, " FREGS "\n fld f\\n, \\n * 8(" base ")\n .endr\n"
#define FP_STORE(base)	".irp n, " FREGS "\n fsd f\\n, \\n * 8(" base ")\n .endr\n"
#define FP_CLOBBERS	"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", \
	"f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", \
	"f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27", "f28", \
	"f29", "f30", "f31"

/* What the guest loads in round @gen: distinct per register and round. */
static u64 guest_word(unsigned int gen, unsigned int reg)
{
	return 0x6a09e667f3bcc908ull ^ ((u64)gen << 32) ^ ((u64)reg << 8) ^ reg;
}

/* What the host writes into f31 through ONE_REG at sync @i. */
static u64 host_word(unsigned int i)
{
	return 0xbb67ae8584caa73bull ^ i;
}

/* Last round the guest reloaded in, and f31, as seen at sync @i. */
static unsigned int gen_at(unsigned int i)
{
	return (i - 1) & ~1u;
}

static u64 f31_at(unsigned int i)
{
	return (i - 1) % 2 ? host_word(i - 1) : guest_word(gen_at(i), 31);
}

/*
 * fcsr and vcsr as the guest sets them before sync @i.  The guest changes
 * them by CSR writes alone after odd syncs (no FP or vector instruction
 * until the next sync), which must reach the saved state as surely as a
 * register load does.
 */
static u32 fcsr_at(unsigned int i)
{
	return GUEST_FRM | (i & 0x1f);
}

static unsigned long vcsr_at(unsigned int i)
{
	return i & 7;			/* vxrm, vxsat */
}

static u64 guest_buf[33];

/* Set by the host before the first run; 0 without V in the guest. */
static unsigned long vlenb;
static u8 vbuf[32 * VLENB_MAX];

/* Byte @i of the vector register file the guest loads in round @gen. */
static u8 v_byte(unsigned int gen, unsigned int i)
{
	return i * 11 + gen * 5 + 1;
}

/* All 32 registers as four groups of eight, bytes in order. */
#define V_GROUPS(op)	"vsetvli %0, x0, e8, m8, ta, ma\n"			\
			".irp n, 0, 8, 16, 24\n " op " v\\n, (%1)\n"		\
			" add %1, %1, %0\n .endr\n"

static void guest_v_load(const u8 *p)
{
	unsigned long vl;

	asm volatile(".option push\n .option arch, +v\n" V_GROUPS("vle8.v")
		     ".option pop\n" : "=&r"(vl), "+r"(p) :: "memory");
}

static void guest_v_store(u8 *p)
{
	unsigned long vl;

	asm volatile(".option push\n .option arch, +v\n" V_GROUPS("vse8.v")
		     ".option pop\n" : "=&r"(vl), "+r"(p) :: "memory");
}

static void guest_fp_load(const u64 *v)
{
	asm volatile(FP_LOAD("%0") :: "r"(v) : "memory");
}

static void guest_fp_store(u64 *v)
{
	asm volatile(FP_STORE("%0") :: "r"(v) : "memory");
}

static void guest_load_gen(unsigned int gen)
{
	unsigned int r;

	for (r = 0; r < 32; r++)
		guest_buf[r] = guest_word(gen, r);
	guest_fp_load(guest_buf);
	if (!vlenb)
		return;
	for (r = 0; r < 32 * vlenb; r++)
		vbuf[r] = v_byte(gen, r);
	guest_v_load(vbuf);
}

static void guest_v_check(unsigned int i)
{
	unsigned long vl, vtype, vcsr;
	unsigned int b;

	asm volatile("csrr %0, vl\n csrr %1, vtype\n csrr %2, " VCSR
		     : "=r"(vl), "=r"(vtype), "=r"(vcsr));
	GUEST_ASSERT_EQ(vl, 8 * vlenb);
	GUEST_ASSERT_EQ(vtype, VTYPE_E8M8);
	GUEST_ASSERT_EQ(vcsr, vcsr_at(i));
	guest_v_store(vbuf);
	for (b = 0; b < 32 * vlenb; b++)
		GUEST_ASSERT_EQ(vbuf[b], v_byte(gen_at(i), b));
}

static void guest_set_csrs(unsigned int i)
{
	asm volatile("fscsr %0" :: "r"(fcsr_at(i)));
	if (vlenb)
		asm volatile("csrw " VCSR ", %0" :: "r"(vcsr_at(i)));
}

static void guest_code(void)
{
	unsigned long fcsr;
	unsigned int i, r;

	csr_set(CSR_SSTATUS, SR_FS_ON);
	if (vlenb) {
		csr_set(CSR_SSTATUS, SR_VS_ON);
		asm volatile("csrr %0, vlenb" : "=r"(fcsr));
		GUEST_ASSERT_EQ(fcsr, vlenb);
	}
	guest_load_gen(0);
	guest_set_csrs(1);
	for (i = 1; i <= NR_SYNCS; i++) {
		GUEST_SYNC(i);
		guest_fp_store(guest_buf);
		asm volatile("frcsr %0" : "=r"(fcsr));
		for (r = 0; r < 31; r++)
			GUEST_ASSERT_EQ(guest_buf[r], guest_word(gen_at(i), r));
		GUEST_ASSERT_EQ(guest_buf[31], host_word(i));
		GUEST_ASSERT_EQ(fcsr, fcsr_at(i));
		if (vlenb)
			guest_v_check(i);
		if (i % 2 == 0)
			guest_load_gen(i);
		guest_set_csrs(i + 1);
	}
	GUEST_DONE();
}

/*
 * A system call with every FP register and fcsr holding @in, which
 * comes back in @out: the kernel must give a thread its FP state back.
 */
static long __fp_syscall(long nr, long arg0, long arg1, const u64 *in, u64 *out)
{
	register long a0 asm("a0") = arg0;
	register long a1 asm("a1") = arg1;
	register long a2 asm("a2") = 0;
	register long a7 asm("a7") = nr;

	asm volatile("lw t0, 256(%[in])\n fscsr t0\n"
		     FP_LOAD("%[in]")
		     "ecall\n"
		     FP_STORE("%[out]")
		     "frcsr t0\n sw t0, 256(%[out])\n"
		     : "+r"(a0)
		     : "r"(a1), "r"(a2), "r"(a7), [in] "r"(in), [out] "r"(out)
		     : "memory", "t0", FP_CLOBBERS);
	return a0;
}

/* fcsr is stored as 32 bits: the rest of its slot must be zero already. */
static long fp_syscall(long nr, long arg0, long arg1, const u64 *in, u64 *out)
{
	memset(out, 0, 33 * sizeof(*out));
	return __fp_syscall(nr, arg0, arg1, in, out);
}

static void fill(u64 *v, u64 seed, u64 fcsr)
{
	unsigned int r;

	for (r = 0; r < 32; r++)
		v[r] = seed * (r + 1) ^ 0x3c6ef372fe94f82bull;
	v[FCSR_SLOT] = fcsr;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int nr_cpus;
static bool stop;
static unsigned long busy_rounds, busy_bad;

/* Another thread with live FP state on both CPUs, yielding all the time. */
static void *fp_busy(void *arg)
{
	u64 in[33], out[33];
	unsigned long n;

	for (n = 0; !READ_ONCE(stop); n++) {
		if (n % 16 == 0)
			pin((n / 16) % nr_cpus);
		fill(in, n + 0x1000, n & 0xff);
		fp_syscall(__NR_sched_yield, 0, 0, in, out);
		if (memcmp(in, out, sizeof(in)))
			busy_bad++;
	}
	busy_rounds = n;
	return NULL;
}

static bool host_fp_intact(long r, const u64 *in, const u64 *out)
{
	return !r && !memcmp(in, out, 33 * sizeof(*in));
}

static u64 fp_d_id(unsigned int index, u64 size)
{
	return KVM_REG_RISCV | size | KVM_REG_RISCV_FP_D | index;
}

/* Compare the guest's registers through ONE_REG FP_D at sync @i. */
static bool onereg_matches(struct kvm_vcpu *vcpu, unsigned int i)
{
	u64 v, want;
	u32 fcsr;
	unsigned int r;

	for (r = 0; r < 32; r++) {
		rvkvm_get_reg(vcpu, fp_d_id(r, KVM_REG_SIZE_U64), &v);
		want = r == 31 ? f31_at(i) : guest_word(gen_at(i), r);
		if (v != want) {
			ksft_print_msg("sync %u: FP_D f%u = %#lx, want %#lx\n",
				       i, r, v, want);
			return false;
		}
	}
	rvkvm_get_reg(vcpu, fp_d_id(32, KVM_REG_SIZE_U32), &fcsr);
	if (fcsr != fcsr_at(i)) {
		ksft_print_msg("sync %u: FP_D fcsr = %#x, want %#x\n", i, fcsr,
			       fcsr_at(i));
		return false;
	}
	return true;
}

static u64 v_id(unsigned int index, unsigned long size)
{
	return KVM_REG_RISCV | KVM_REG_RISCV_VECTOR | index |
	       ((u64)__builtin_ctzl(size) << KVM_REG_SIZE_SHIFT);
}

/* v0-v31 through ONE_REG VECTOR at sync @i. */
static bool onereg_v_matches(struct kvm_vcpu *vcpu, unsigned int i)
{
	unsigned long vcsr;
	u8 v[VLENB_MAX];
	unsigned int r, b;

	rvkvm_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_CSR_REG(vcsr),
				 sizeof(vcsr)), &vcsr);
	if (vcsr != vcsr_at(i)) {
		ksft_print_msg("sync %u: VECTOR vcsr = %#lx, want %#lx\n", i,
			       vcsr, vcsr_at(i));
		return false;
	}

	for (r = 0; r < 32; r++) {
		rvkvm_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_REG(r), vlenb), v);
		for (b = 0; b < vlenb; b++) {
			if (v[b] == v_byte(gen_at(i), r * vlenb + b))
				continue;
			ksft_print_msg("sync %u: VECTOR v%u byte %u = %#x\n",
				       i, r, b, v[b]);
			return false;
		}
	}
	return true;
}

/* VECTOR: vlenb read-only, datap no register, sizes, the listing. */
static void check_v_abi(struct kvm_vcpu *vcpu)
{
	u64 ul = sizeof(unsigned long), other = vlenb + 1, v = 0;
	struct kvm_reg_list *list = vcpu_get_reg_list(vcpu);
	u64 vlenb_id = v_id(KVM_REG_RISCV_VECTOR_CSR_REG(vlenb), ul);
	unsigned int n, nv = 0, nbig = 0;
	bool ok;

	ok = !__vcpu_set_reg(vcpu, vlenb_id, vlenb) &&
	     __vcpu_set_reg(vcpu, vlenb_id, other) == -1 && errno == EINVAL;
	ok = ok && __vcpu_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_CSR_REG(datap), ul),
				  &v) == -1 && errno == ENOENT;
	ok = ok && __vcpu_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_CSR_REG(datap), 4),
				  &v) == -1 && errno == EINVAL;
	ok = ok && __vcpu_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_REG(0), vlenb * 2),
				  &v) == -1 && errno == EINVAL;
	ok = ok && __vcpu_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_REG(32), vlenb),
				  &v) == -1 && errno == ENOENT;
	for (n = 0; n < list->n; n++) {
		if ((list->reg[n] & KVM_REG_RISCV_TYPE_MASK) != KVM_REG_RISCV_VECTOR)
			continue;
		nv++;
		nbig += KVM_REG_SIZE(list->reg[n]) == vlenb &&
			(list->reg[n] & 0xffff) >= KVM_REG_RISCV_VECTOR_REG(0);
	}
	free(list);
	ksft_print_msg("vlenb %lu; %u VECTOR ids listed, %u of vlenb bytes\n",
		       vlenb, nv, nbig);
	ksft_test_result(ok && nv == 37 && nbig == 32,
			 "VECTOR: vlenb read-only, sizes and ids as 6.12, 37 listed\n");
}

static void check_sizes(struct kvm_vcpu *vcpu)
{
	u64 v = 0, d0;
	u32 f0 = 0;
	bool ok;

	ok = __vcpu_get_reg(vcpu, fp_d_id(0, KVM_REG_SIZE_U32), &v) == -1 &&
	     errno == EINVAL;
	ok = ok && __vcpu_get_reg(vcpu, fp_d_id(32, KVM_REG_SIZE_U64), &v) == -1 &&
	     errno == EINVAL;
	ok = ok && __vcpu_get_reg(vcpu, fp_d_id(33, KVM_REG_SIZE_U64), &v) == -1 &&
	     errno == ENOENT;
	ksft_test_result(ok, "FP_D: wrong sizes EINVAL, index past fcsr ENOENT\n");

	rvkvm_get_reg(vcpu, fp_d_id(0, KVM_REG_SIZE_U64), &d0);
	rvkvm_get_reg(vcpu, KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_F, &f0);
	ksft_test_result(f0 == (u32)d0, "FP_F f0 is the low half of FP_D f0\n");
}

int main(void)
{
	unsigned int i, syncs = 0, onereg_bad = 0, onereg_v_bad = 0, host_bad = 0;
	u64 hin[33], hout[33], isa_v = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t busy;
	struct ucall uc;
	bool done = false;
	long r;

	ksft_print_header();
	ksft_set_plan(8);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	if (!__vcpu_has_ext(vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_D)))
		ksft_exit_skip("the guest has no D\n");
	if (!__vcpu_get_reg(vcpu, RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_V), &isa_v) &&
	    isa_v) {
		rvkvm_get_reg(vcpu, v_id(KVM_REG_RISCV_VECTOR_CSR_REG(vlenb),
					 sizeof(unsigned long)), &vlenb);
		TEST_ASSERT(vlenb <= VLENB_MAX, "vlenb %lu: no room", vlenb);
		sync_global_to_guest(vm, vlenb);
	}

	nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_create(&busy, NULL, fp_busy, NULL);
	for (i = 1; i <= NR_SYNCS + 1 && !done; i++) {
		pin(i % nr_cpus);
		fill(hin, i, HOST_FCSR);
		r = fp_syscall(__NR_ioctl, vcpu->fd, KVM_RUN, hin, hout);
		if (!host_fp_intact(r, hin, hout) && !host_bad++)
			ksft_print_msg("KVM_RUN %u: %ld, f0 %#lx -> %#lx, fcsr %#lx -> %#lx\n",
				       i, r, hin[0], hout[0], hin[FCSR_SLOT], hout[FCSR_SLOT]);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			syncs++;
			if (uc.args[1] != i || !onereg_matches(vcpu, i))
				onereg_bad++;
			if (vlenb && !onereg_v_matches(vcpu, i))
				onereg_v_bad++;
			vcpu_set_reg(vcpu, fp_d_id(31, KVM_REG_SIZE_U64),
				     host_word(i));
			break;
		case UCALL_DONE:
			done = true;
			break;
		case UCALL_ABORT:
			WRITE_ONCE(stop, true);
			pthread_join(busy, NULL);
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
	WRITE_ONCE(stop, true);
	pthread_join(busy, NULL);

	ksft_print_msg("%u syncs on %d CPUs; the busy thread did %lu rounds\n",
		       syncs, nr_cpus, busy_rounds);
	ksft_test_result(done && syncs == NR_SYNCS,
			 "the guest's f0-f31 and fcsr survived %u exits, f31 set by ONE_REG\n",
			 syncs);
	ksft_test_result(syncs && !onereg_bad,
			 "ONE_REG FP_D showed the guest's registers at every exit\n");
	ksft_test_result(!host_bad, "the VMM thread's FP state survived KVM_RUN (%u bad)\n",
			 host_bad);
	ksft_test_result(busy_rounds && !busy_bad,
			 "the busy thread's FP state survived (%lu bad)\n", busy_bad);
	check_sizes(vcpu);

	if (vlenb) {
		ksft_test_result(done && syncs && !onereg_v_bad,
				 "v0-v31, vl and vtype survived; ONE_REG VECTOR matched\n");
		check_v_abi(vcpu);
	} else {
		ksft_test_result_skip("the guest ISA has no V\n");
		ksft_test_result_skip("the guest ISA has no V\n");
	}
	kvm_vm_free(vm);
	ksft_finished();
}
