// SPDX-License-Identifier: GPL-2.0
/*
 * onereg_errno: the ONE_REG and GET_REG_LIST contract of a fresh vCPU.
 *
 * Errnos as 6.12 returns them (wrong size EINVAL, unknown id ENOENT, bad
 * user address EFAULT, GET_REG_LIST E2BIG with n written back) and value
 * round trips of the CORE, CSR, CONFIG, ISA_EXT and SBI_EXT registers.
 * The same binary runs against Debian's kvm.ko as the reference; the
 * few checks where rvkvm is deliberately stricter are skipped there.
 *
 * Last, the vCPU runs once (a forwarded SBI call), and changes to CONFIG
 * isa and mvendorid, ISA_EXT and SBI_EXT must then answer EBUSY, while
 * writing the current isa back still succeeds.
 */
#include <stdio.h>
#include <string.h>
#include "kvm_util.h"
#include "rvkvm_test.h"
#include "processor.h"

#define CORE_NR		(sizeof(struct kvm_riscv_core) / sizeof(unsigned long))
#define CSR_NR		(sizeof(struct kvm_riscv_csr) / sizeof(unsigned long))
#define CONFIG_NR	(sizeof(struct kvm_riscv_config) / sizeof(unsigned long))

#define SIP_SSIP	BIT(1)
#define SIP_STIP	BIT(5)
#define SIP_SEIP	BIT(9)

static struct kvm_vcpu *vcpu;
static bool intree;

static u64 with_size(u64 id, u64 size)
{
	return (id & ~KVM_REG_SIZE_MASK) | size;
}

/* -errno of a GET (0 on success), leaving the value in *val. */
static int get(u64 id, unsigned long *val)
{
	return __vcpu_get_reg(vcpu, id, val) ? -errno : 0;
}

static int set(u64 id, unsigned long val)
{
	return __vcpu_set_reg(vcpu, id, val) ? -errno : 0;
}

static unsigned long must_get(u64 id)
{
	unsigned long v;

	TEST_ASSERT(!get(id, &v), "GET 0x%llx: %s", (unsigned long long)id,
		    strerror(errno));
	return v;
}

static void expect(bool ok, const char *what, int got, int want)
{
	if (ok)
		ksft_test_result_pass("%s\n", what);
	else
		ksft_test_result_fail("%s: got %d (%s), want %d (%s)\n", what,
				      got, strerror(-got), want, strerror(-want));
}

static void expect_err(const char *what, int got, int want)
{
	expect(got == want, what, got, want);
}

static void test_sizes(void)
{
	u64 pc = RISCV_CORE_REG(regs.pc);
	unsigned long v[4] = {};
	struct kvm_one_reg wide = {
		.id = with_size(pc, KVM_REG_SIZE_U128),
		.addr = (u64)v,
	};

	expect_err("GET core pc as u32: EINVAL",
		   get(with_size(pc, KVM_REG_SIZE_U32), v), -EINVAL);
	expect_err("SET core pc as u128: EINVAL",
		   __vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &wide) ? -errno : 0,
		   -EINVAL);
	expect_err("GET config isa as u32: EINVAL",
		   get(with_size(RISCV_CONFIG_REG(isa), KVM_REG_SIZE_U32), v),
		   -EINVAL);
	expect_err("SET general CSR sip as u16: EINVAL",
		   set(with_size(RISCV_GENERAL_CSR_REG(sip), KVM_REG_SIZE_U16), 0),
		   -EINVAL);
}

static void test_unknown(void)
{
	u64 ul = KVM_REG_RISCV | KVM_REG_SIZE_ULONG;
	unsigned long v;

	expect_err("GET core index past mode: ENOENT",
		   get(ul | KVM_REG_RISCV_CORE | CORE_NR, &v), -ENOENT);
	expect_err("SET core index past mode: ENOENT",
		   set(ul | KVM_REG_RISCV_CORE | CORE_NR, 0), -ENOENT);
	expect_err("GET config index past satp_mode: ENOENT",
		   get(ul | KVM_REG_RISCV_CONFIG | CONFIG_NR, &v), -ENOENT);
	expect_err("GET general CSR index past senvcfg: ENOENT",
		   get(ul | KVM_REG_RISCV_CSR | CSR_NR, &v), -ENOENT);
	expect_err("GET CSR subtype 0xff: ENOENT",
		   get(ul | KVM_REG_RISCV_CSR | (0xffULL << KVM_REG_RISCV_SUBTYPE_SHIFT),
		       &v), -ENOENT);
	expect_err("GET type 0x7f: ENOENT",
		   get(ul | (0x7fULL << KVM_REG_RISCV_TYPE_SHIFT), &v), -ENOENT);
	expect_err("GET ISA_EXT past the last id: ENOENT",
		   get(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_MAX), &v), -ENOENT);
	expect_err("GET ISA_EXT subtype 3: ENOENT",
		   get(ul | KVM_REG_RISCV_ISA_EXT | (3ULL << KVM_REG_RISCV_SUBTYPE_SHIFT),
		       &v), -ENOENT);
	expect_err("GET ISA_EXT multi past the last register: ENOENT",
		   get(ul | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_EN |
		       (KVM_REG_RISCV_ISA_MULTI_REG_LAST + 1), &v), -ENOENT);
	expect_err("GET SBI_EXT past the last id: ENOENT",
		   get(RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_MAX), &v), -ENOENT);
}

static void test_fault(void)
{
	struct kvm_one_reg bad = { .id = RISCV_CORE_REG(regs.pc), .addr = 8 };

	expect_err("GET to an unmapped address: EFAULT",
		   __vcpu_ioctl(vcpu, KVM_GET_ONE_REG, &bad) ? -errno : 0, -EFAULT);
	expect_err("SET from an unmapped address: EFAULT",
		   __vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &bad) ? -errno : 0, -EFAULT);
}

static bool list_is_sound(struct kvm_reg_list *l)
{
	unsigned long v[32];
	u64 i, j;
	bool pc = false;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < i; j++)
			if (l->reg[j] == l->reg[i])
				return false;
		if (__vcpu_get_reg(vcpu, l->reg[i], v))
			return false;
		pc |= l->reg[i] == RISCV_CORE_REG(regs.pc);
	}
	return pc;
}

static void test_reg_list(void)
{
	struct kvm_reg_list probe = { .n = 0 }, *l;
	u64 n;
	int r;

	r = __vcpu_ioctl(vcpu, KVM_GET_REG_LIST, &probe) ? -errno : 0;
	n = probe.n;
	expect(r == -E2BIG && n > 0, "GET_REG_LIST n=0: E2BIG, n written back",
	       r, -E2BIG);

	l = calloc(1, sizeof(*l) + n * sizeof(l->reg[0]));
	l->n = n - 1;
	r = __vcpu_ioctl(vcpu, KVM_GET_REG_LIST, l) ? -errno : 0;
	expect(r == -E2BIG && l->n == n, "GET_REG_LIST one short: E2BIG, n kept",
	       r, -E2BIG);

	l->n = n;
	r = __vcpu_ioctl(vcpu, KVM_GET_REG_LIST, l) ? -errno : 0;
	expect(!r && l->n == n, "GET_REG_LIST with room: 0, same n", r, 0);
	ksft_test_result(!r && list_is_sound(l),
			 "listed ids are unique, all readable, pc among them\n");
	free(l);
}

static void test_core(void)
{
	unsigned long i, v;
	bool ok = true;

	for (i = 0; i < CORE_NR - 1; i++)
		ok &= !set(RISCV_CORE_REG(regs.pc) + i, 0x1000 * i + 0xa5);
	for (i = 0; i < CORE_NR - 1; i++)
		ok &= !get(RISCV_CORE_REG(regs.pc) + i, &v) && v == 0x1000 * i + 0xa5;
	ksft_test_result(ok, "core pc and x1..x31 round-trip\n");

	ok = !set(RISCV_CORE_REG(mode), KVM_RISCV_MODE_S) &&
	     must_get(RISCV_CORE_REG(mode)) == KVM_RISCV_MODE_S &&
	     !set(RISCV_CORE_REG(mode), KVM_RISCV_MODE_U) &&
	     must_get(RISCV_CORE_REG(mode)) == KVM_RISCV_MODE_U;
	ksft_test_result(ok, "core mode S and U round-trip\n");
}

static void test_csr(void)
{
	unsigned long i, v;
	bool ok = true;

	for (i = 0; i < CSR_NR; i++) {
		if (i == KVM_REG_RISCV_CSR_REG(sip))
			continue;
		ok &= !set(RISCV_GENERAL_CSR_REG(sstatus) + i, 0x100 + i);
	}
	for (i = 0; i < CSR_NR; i++) {
		if (i == KVM_REG_RISCV_CSR_REG(sip))
			continue;
		ok &= !get(RISCV_GENERAL_CSR_REG(sstatus) + i, &v) && v == 0x100 + i;
	}
	ksft_test_result(ok, "general CSRs other than sip round-trip\n");

	v = SIP_SSIP | SIP_STIP | SIP_SEIP;
	ok = !set(RISCV_GENERAL_CSR_REG(sip), v) &&
	     must_get(RISCV_GENERAL_CSR_REG(sip)) == v &&
	     !set(RISCV_GENERAL_CSR_REG(sip), SIP_STIP) &&
	     must_get(RISCV_GENERAL_CSR_REG(sip)) == SIP_STIP &&
	     !set(RISCV_GENERAL_CSR_REG(sip), 0) &&
	     must_get(RISCV_GENERAL_CSR_REG(sip)) == 0;
	ksft_test_result(ok, "sip SSIP/STIP/SEIP round-trip\n");

	ok = !set(RISCV_GENERAL_CSR_REG(sip), BIT(0) | BIT(3)) &&
	     must_get(RISCV_GENERAL_CSR_REG(sip)) == 0;
	ksft_test_result(ok, "sip drops bits that are not VS interrupt lines\n");
}

static bool isa_offered(unsigned long kvm_id, unsigned long *on)
{
	return !get(RISCV_ISA_EXT_REG(kvm_id), on);
}

static void test_config(void)
{
	unsigned long isa = must_get(RISCV_CONFIG_REG(isa));
	unsigned long satp = must_get(RISCV_CONFIG_REG(satp_mode));
	unsigned long v, on;
	int r;

	expect_err("config isa written back unchanged: 0",
		   set(RISCV_CONFIG_REG(isa), isa), 0);
	expect_err("config isa with bit 25 ('z'): EINVAL",
		   set(RISCV_CONFIG_REG(isa), isa | BIT(25)), -EINVAL);
	if (intree)
		ksft_test_result_skip("config isa with bit 40: rvkvm only\n");
	else
		expect_err("config isa with bit 40: EINVAL",
			   set(RISCV_CONFIG_REG(isa), isa | BIT(40)), -EINVAL);

	expect_err("config mvendorid before the first run: 0",
		   set(RISCV_CONFIG_REG(mvendorid), 0x1234), 0);
	ksft_test_result(must_get(RISCV_CONFIG_REG(mvendorid)) == 0x1234,
			 "config mvendorid reads back\n");

	expect_err("config satp_mode unchanged: 0",
		   set(RISCV_CONFIG_REG(satp_mode), satp), 0);
	expect_err("config satp_mode changed: EINVAL",
		   set(RISCV_CONFIG_REG(satp_mode), satp + 1), -EINVAL);

	r = get(RISCV_CONFIG_REG(zicbom_block_size), &v);
	if (isa_offered(KVM_RISCV_ISA_EXT_ZICBOM, &on) && on)
		expect_err("config zicbom_block_size changed: EINVAL",
			   r ? r : set(RISCV_CONFIG_REG(zicbom_block_size), v + 1),
			   -EINVAL);
	else
		expect_err("config zicbom_block_size without Zicbom: ENOENT",
			   r, -ENOENT);
}

static void test_isa_ext(void)
{
	u64 ul = KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_ISA_EXT;
	unsigned long id, on, en, dis;
	bool ok = true;

	if (isa_offered(KVM_RISCV_ISA_EXT_A, &on))
		expect_err("ISA_EXT A cannot be disabled: EINVAL",
			   set(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_A), 0), -EINVAL);
	else
		ksft_test_result_skip("ISA_EXT A: host has no A\n");

	if (isa_offered(KVM_RISCV_ISA_EXT_H, &on))
		expect_err("ISA_EXT H cannot be enabled: EINVAL",
			   set(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_H), 1), -EINVAL);
	else
		ksft_test_result_skip("ISA_EXT H: not offered\n");

	expect_err("ISA_EXT value 2: EINVAL",
		   set(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F), 2),
		   isa_offered(KVM_RISCV_ISA_EXT_F, &on) ? -EINVAL : -ENOENT);

	en = must_get(ul | KVM_REG_RISCV_ISA_MULTI_EN);
	dis = must_get(ul | KVM_REG_RISCV_ISA_MULTI_DIS);
	for (id = 0; id < KVM_RISCV_ISA_EXT_MAX && id < 64; id++)
		ok &= !!(en & BIT(id)) == (isa_offered(id, &on) && on);
	ksft_test_result(ok && dis == ~en,
			 "ISA_EXT multi registers agree with the single ones\n");

	if (!isa_offered(KVM_RISCV_ISA_EXT_F, &on) || !on) {
		ksft_test_result_skip("ISA_EXT F toggling: F not enabled\n");
		return;
	}
	ok = !set(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F), 0) &&
	     !(must_get(RISCV_CONFIG_REG(isa)) & BIT('f' - 'a')) &&
	     !set(ul | KVM_REG_RISCV_ISA_MULTI_EN, BIT(KVM_RISCV_ISA_EXT_F)) &&
	     must_get(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F)) == 1;
	ksft_test_result(ok, "ISA_EXT F off (config isa follows) and on via multi\n");
}

static void test_sbi_ext(void)
{
	u64 ul = KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_SBI_EXT;
	u64 srst = RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_SRST);
	unsigned long on;
	bool ok;

	if (get(srst, &on)) {
		ksft_test_result_skip("SBI_EXT SRST not offered\n");
		ksft_test_result_skip("SBI_EXT SRST not offered\n");
		return;
	}
	expect_err("SBI_EXT value 2: EINVAL", set(srst, 2), -EINVAL);
	ok = !set(srst, 0) && must_get(srst) == 0 &&
	     !(must_get(ul | KVM_REG_RISCV_SBI_MULTI_EN) & BIT(KVM_RISCV_SBI_EXT_SRST)) &&
	     (must_get(ul | KVM_REG_RISCV_SBI_MULTI_DIS) & BIT(KVM_RISCV_SBI_EXT_SRST)) &&
	     !set(ul | KVM_REG_RISCV_SBI_MULTI_EN, BIT(KVM_RISCV_SBI_EXT_SRST)) &&
	     must_get(srst) == 1;
	ksft_test_result(ok, "SBI_EXT SRST off and on, single and multi agree\n");
}

/* Ids 6.12 accepts by ignoring their bits, and rvkvm refuses. */
static void test_strict(void)
{
	u64 arm = (RISCV_CORE_REG(regs.pc) & ~KVM_REG_ARCH_MASK) | KVM_REG_ARM64;
	unsigned long v;

	if (intree) {
		ksft_test_result_skip("id with another arch: rvkvm only\n");
		return;
	}
	expect_err("id with another arch: ENOENT", get(arm, &v), -ENOENT);
}

/* lui a7, 0x08000; addi a7, a7, 0x42; ecall: a call userspace handles. */
static const u32 first_run_code[] = { 0x080008b7, 0x04288893, 0x00000073 };

/* A fresh vCPU: the tests above left its CSRs (satp, stvec) scrambled. */
static void test_after_first_run(void)
{
	u64 srst = RISCV_SBI_EXT_REG(KVM_RISCV_SBI_EXT_SRST);
	struct kvm_vm *vm = vm_create_barebones();
	unsigned long isa, on, srst_on;

	vcpu = __vm_vcpu_add(vm, 0);
	isa = must_get(RISCV_CONFIG_REG(isa));
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 0, 1, 1, 0);
	memcpy(addr_gpa2hva(vm, 0), first_run_code, sizeof(first_run_code));
	TEST_ASSERT(!set(RISCV_CORE_REG(regs.pc), 0), "cannot set pc");
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    vcpu->run->riscv_sbi.extension_id == 0x08000042,
		    "first run ended with %s",
		    exit_reason_str(vcpu->run->exit_reason));

	expect_err("after the first run: config isa unchanged: 0",
		   set(RISCV_CONFIG_REG(isa), isa), 0);
	expect_err("after the first run: config mvendorid changed: EBUSY",
		   set(RISCV_CONFIG_REG(mvendorid), 0x4321), -EBUSY);
	if (isa_offered(KVM_RISCV_ISA_EXT_F, &on))
		expect_err("after the first run: ISA_EXT F changed: EBUSY",
			   set(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_F), !on),
			   -EBUSY);
	else
		ksft_test_result_skip("ISA_EXT F: host has no F\n");
	if (!get(srst, &srst_on))
		expect_err("after the first run: SBI_EXT SRST changed: EBUSY",
			   set(srst, !srst_on), -EBUSY);
	else
		ksft_test_result_skip("SBI_EXT SRST not offered\n");
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(45);
	intree = !rvkvm_module_is_ours();

	vm = vm_create_barebones();
	vcpu = __vm_vcpu_add(vm, 0);

	test_sizes();
	test_unknown();
	test_fault();
	test_reg_list();
	test_core();
	test_csr();
	test_config();
	test_isa_ext();
	test_sbi_ext();
	test_strict();
	kvm_vm_free(vm);
	test_after_first_run();

	ksft_finished();
}
