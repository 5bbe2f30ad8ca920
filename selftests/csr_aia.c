// SPDX-License-Identifier: GPL-2.0
/*
 * csr_aia: ONE_REG CSR_AIA and CSR_SMSTATEEN, and what the guest sees.
 *
 * Registers: listed exactly when the guest's ISA has Ssaia (Smstateen),
 * round trips, EINVAL for a wrong size, ENOENT past the last index and,
 * with rvkvm, for a register the guest's ISA lacks (6.12 lets AIA ids
 * through then, and answers EINVAL for sstateen0: skipped in-tree).
 *
 * Guest: a value set in siselect through ONE_REG is what the guest reads
 * with csrr, and what the guest writes is what ONE_REG reads after the
 * exit (vsiselect really switched); iprio1/2 lose no more than WARL
 * bits across a run.  With a host Smstateen the guest
 * reaches siselect and sstateen0 only while its ISA has Ssaia and
 * Smstateen (hstateen0); otherwise it takes an illegal instruction.
 * The guest reports through a forwarded SBI call (a7 in the experimental
 * range), a2 holding scause if it trapped.
 */
#include <stdio.h>
#include <string.h>
#include "kvm_util.h"
#include "rvkvm_test.h"
#include "processor.h"

#define AIA_NR		(sizeof(struct kvm_riscv_aia_csr) / sizeof(unsigned long))

#define AIA_REG(name)	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_CSR | \
			 KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CSR_AIA_REG(name))
#define STATEEN_REG(name) (KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_CSR | \
			   KVM_REG_RISCV_CSR_SMSTATEEN | \
			   KVM_REG_RISCV_CSR_SMSTATEEN_REG(name))

/* Guest code, at guest physical (and virtual: satp is bare) 0. */
#define INSN_CSRR_A0_SISELECT	0x15002573u	/* csrr a0, siselect */
#define INSN_CSRW_SISELECT_A1	0x15059073u	/* csrw siselect, a1 */
#define INSN_CSRR_A0_SSTATEEN0	0x10c02573u	/* csrr a0, sstateen0 */
#define INSN_CSRR_A2_SCAUSE	0x14202673u	/* csrr a2, scause */
#define INSN_ECALL		0x00000073u
#define GUEST_SISELECT		0x00	/* read siselect, write a1 to it */
#define GUEST_SSTATEEN0		0x40	/* read sstateen0 */
#define GUEST_HANDLER		0x80	/* stvec: report scause in a2 */

#define SBI_EXPERIMENTAL	0x08000042ul
#define NO_TRAP			0xdeadul
#define CAUSE_ILLEGAL		2

static struct kvm_vcpu *vcpu;
static bool intree;

static int get(u64 id, unsigned long *val)
{
	return __vcpu_get_reg(vcpu, id, val) ? -errno : 0;
}

static int set(u64 id, unsigned long val)
{
	return __vcpu_set_reg(vcpu, id, val) ? -errno : 0;
}

static u64 with_size(u64 id, u64 size)
{
	return (id & ~KVM_REG_SIZE_MASK) | size;
}

static void expect_err(const char *what, int got, int want)
{
	if (got == want)
		ksft_test_result_pass("%s\n", what);
	else
		ksft_test_result_fail("%s: got %d (%s), want %d (%s)\n", what,
				      got, strerror(-got), want, strerror(-want));
}

/* Does the host offer the extension, and is it on for this vCPU? */
static bool isa_offered(unsigned long kvm_id, unsigned long *on)
{
	return !get(RISCV_ISA_EXT_REG(kvm_id), on);
}

static bool listed(u64 id)
{
	struct kvm_reg_list *list = vcpu_get_reg_list(vcpu);
	bool found = false;
	u64 i;

	for (i = 0; i < list->n; i++)
		found |= list->reg[i] == id;
	free(list);
	return found;
}

/* Listing, errnos and round trips of a block, with the guest ISA as is. */
static void test_block(const char *name, u64 first, unsigned long nr,
		       bool present)
{
	unsigned long i, v;
	bool ok = true;
	char what[96];

	for (i = 0; i < nr; i++)
		ok &= listed(first + i) == present;
	ksft_test_result(ok, "%s: %slisted\n", name, present ? "" : "not ");

	snprintf(what, sizeof(what), "%s: GET as u32: EINVAL", name);
	expect_err(what, get(with_size(first, KVM_REG_SIZE_U32), &v), -EINVAL);
	snprintf(what, sizeof(what), "%s: SET as u16: EINVAL", name);
	expect_err(what, set(with_size(first, KVM_REG_SIZE_U16), 0), -EINVAL);

	if (present) {
		ok = true;
		for (i = 0; i < nr; i++)
			ok &= !set(first + i, 0x1000 + i);
		for (i = 0; i < nr; i++)
			ok &= !get(first + i, &v) && v == 0x1000 + i;
		ksft_test_result(ok, "%s: every register round-trips\n", name);
		for (i = 0; i < nr; i++)
			set(first + i, 0);
	} else if (intree) {
		ksft_test_result_skip("%s: absent is ENOENT: rvkvm only\n", name);
	} else {
		snprintf(what, sizeof(what), "%s: absent: GET ENOENT", name);
		expect_err(what, get(first, &v), -ENOENT);
	}

	if (intree && first == STATEEN_REG(sstateen0)) {
		ksft_test_result_skip("%s: past the last: rvkvm only\n", name);
	} else {
		snprintf(what, sizeof(what), "%s: index past the last: ENOENT",
			 name);
		expect_err(what, get(first + nr, &v), -ENOENT);
	}
}

static void test_registers(bool ssaia, bool smstateen)
{
	unsigned long on;

	test_block("AIA", AIA_REG(siselect), AIA_NR, ssaia);
	test_block("Smstateen", STATEEN_REG(sstateen0), 1, smstateen);

	/* With Smstateen on the host, Ssaia can be taken from the guest. */
	if (!ssaia || !isa_offered(KVM_RISCV_ISA_EXT_SMSTATEEN, &on)) {
		ksft_test_result_skip("AIA unlisted without Ssaia: no host Smstateen\n");
		return;
	}
	TEST_ASSERT(!set(RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SSAIA), 0),
		    "cannot disable Ssaia");
	ksft_test_result(!listed(AIA_REG(siselect)) &&
			 !listed(AIA_REG(iprio2h)),
			 "AIA: not listed once Ssaia is disabled\n");
}

/* A vCPU at @pc with the guest program and its trap handler in place. */
static struct kvm_vm *guest_create(unsigned long pc, unsigned long a1)
{
	static const u32 code[] = {
		[GUEST_SISELECT / 4] = INSN_CSRR_A0_SISELECT,
		INSN_CSRW_SISELECT_A1, INSN_ECALL,
		[GUEST_SSTATEEN0 / 4] = INSN_CSRR_A0_SSTATEEN0, INSN_ECALL,
		[GUEST_HANDLER / 4] = INSN_CSRR_A2_SCAUSE, INSN_ECALL,
	};
	struct kvm_vm *vm = vm_create_barebones();

	vcpu = __vm_vcpu_add(vm, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 0, 1, 1, 0);
	memcpy(addr_gpa2hva(vm, 0), code, sizeof(code));
	TEST_ASSERT(!set(RISCV_CORE_REG(regs.pc), pc) &&
		    !set(RISCV_CORE_REG(regs.a1), a1) &&
		    !set(RISCV_CORE_REG(regs.a2), NO_TRAP) &&
		    !set(RISCV_CORE_REG(regs.a7), SBI_EXPERIMENTAL) &&
		    !set(RISCV_GENERAL_CSR_REG(stvec), GUEST_HANDLER),
		    "cannot set up the guest");
	return vm;
}

/* Run to the guest's report; returns its a2 (NO_TRAP or scause). */
static unsigned long guest_run(unsigned long *a0)
{
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    vcpu->run->riscv_sbi.extension_id == SBI_EXPERIMENTAL,
		    "guest ended with %s",
		    exit_reason_str(vcpu->run->exit_reason));
	*a0 = vcpu->run->riscv_sbi.args[0];
	return vcpu->run->riscv_sbi.args[2];
}

/* Byte fields of iprio1/2: hardware may make any of them read-only zero. */
#define IPRIO1_VAL	0x0807060504030201ul
#define IPRIO2_VAL	0x100f0e0d0c0b0a09ul

/*
 * Across a run the iprio values may lose bits (WARL), never gain any;
 * the rv32 halves have no hardware on rv64 and come back as set.
 */
static void check_aia_after_run(void)
{
	unsigned long p1 = 0, p2 = 0, v;
	bool halves = true;
	u64 i;

	TEST_ASSERT(!get(AIA_REG(iprio1), &p1) && !get(AIA_REG(iprio2), &p2),
		    "cannot read iprio1/2");
	ksft_print_msg("iprio1 0x%lx, iprio2 0x%lx after the run\n", p1, p2);
	for (i = AIA_REG(sieh); i <= AIA_REG(iprio2h); i++)
		halves &= !get(i, &v) && v == 0x500 + (i & 0xff);
	ksft_test_result(!(p1 & ~IPRIO1_VAL) && !(p2 & ~IPRIO2_VAL) && halves,
			 "iprio1/2 and the rv32 halves survive a run\n");
}

static void test_guest_siselect(void)
{
	struct kvm_vm *vm = guest_create(GUEST_SISELECT, 0x3a);
	unsigned long a0, v;
	bool ok = true;
	u64 i;

	for (i = AIA_REG(sieh); i <= AIA_REG(iprio2h); i++)
		ok &= !set(i, 0x500 + (i & 0xff));
	TEST_ASSERT(ok && !set(AIA_REG(siselect), 0x35) &&
		    !set(AIA_REG(iprio1), IPRIO1_VAL) &&
		    !set(AIA_REG(iprio2), IPRIO2_VAL), "cannot set AIA CSRs");
	ok = guest_run(&a0) == NO_TRAP;
	ksft_test_result(ok && a0 == 0x35,
			 "guest reads the siselect ONE_REG set (0x%lx)\n", a0);
	ksft_test_result(ok && !get(AIA_REG(siselect), &v) && v == 0x3a,
			 "ONE_REG reads the siselect the guest wrote (0x%lx)\n",
			 v);
	check_aia_after_run();
	kvm_vm_free(vm);
}

/* Guest access to a CSR of an extension its ISA has (or not). */
static void test_guest_gated(const char *csr, unsigned long pc,
			     unsigned long kvm_id, bool on)
{
	struct kvm_vm *vm = guest_create(pc, 0x30);
	unsigned long a0, a2;

	TEST_ASSERT(!set(RISCV_ISA_EXT_REG(kvm_id), on),
		    "cannot %s extension %lu", on ? "enable" : "disable",
		    kvm_id);
	a2 = guest_run(&a0);
	if (on)
		ksft_test_result(a2 == NO_TRAP, "guest with the extension reads %s\n",
				 csr);
	else
		ksft_test_result(a2 == CAUSE_ILLEGAL,
				 "guest without the extension: %s is illegal (scause %lu)\n",
				 csr, a2);
	kvm_vm_free(vm);
}

static void test_guest(bool ssaia, bool smstateen_host)
{
	if (ssaia) {
		test_guest_siselect();
	} else {
		ksft_test_result_skip("guest siselect: host has no Ssaia\n");
		ksft_test_result_skip("guest siselect written back: host has no Ssaia\n");
		ksft_test_result_skip("iprio after a run: host has no Ssaia\n");
	}

	if (!smstateen_host) {
		ksft_test_result_skip("hstateen0 gating: host has no Smstateen\n");
		ksft_test_result_skip("hstateen0 gating: host has no Smstateen\n");
		ksft_test_result_skip("hstateen0 gating: host has no Smstateen\n");
		ksft_test_result_skip("hstateen0 gating: host has no Smstateen\n");
		return;
	}
	test_guest_gated("sstateen0", GUEST_SSTATEEN0,
			 KVM_RISCV_ISA_EXT_SMSTATEEN, true);
	test_guest_gated("sstateen0", GUEST_SSTATEEN0,
			 KVM_RISCV_ISA_EXT_SMSTATEEN, false);
	if (ssaia) {
		test_guest_gated("siselect", GUEST_SISELECT,
				 KVM_RISCV_ISA_EXT_SSAIA, true);
		test_guest_gated("siselect", GUEST_SISELECT,
				 KVM_RISCV_ISA_EXT_SSAIA, false);
	} else {
		ksft_test_result_skip("siselect gating: host has no Ssaia\n");
		ksft_test_result_skip("siselect gating: host has no Ssaia\n");
	}
}

int main(void)
{
	unsigned long ssaia = 0, smstateen = 0;
	bool has_smstateen;
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(18);
	intree = !rvkvm_module_is_ours();

	vm = vm_create_barebones();
	vcpu = __vm_vcpu_add(vm, 0);
	isa_offered(KVM_RISCV_ISA_EXT_SSAIA, &ssaia);
	has_smstateen = isa_offered(KVM_RISCV_ISA_EXT_SMSTATEEN, &smstateen);
	ksft_print_msg("host: Ssaia %s, Smstateen %s\n",
		       ssaia ? "yes" : "no", has_smstateen ? "yes" : "no");
	test_registers(ssaia, smstateen);
	kvm_vm_free(vm);

	test_guest(ssaia, has_smstateen);
	ksft_finished();
}
