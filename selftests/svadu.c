// SPDX-License-Identifier: GPL-2.0
/*
 * svadu: Svade and Svadu (7.x's uapi), and henvcfg.ADUE behind them.  A
 * guest with Svadu and without Svade has its VS-stage A and D bits set
 * by the hart: a load through a leaf entry with A clear and a store
 * through one with D clear succeed, and the entries then have the bits.
 * With Svadu turned off, the same accesses are page faults for the guest
 * to handle (Svade).  Svadu may be turned on only where the host runs
 * with it, and Svade turned off only there.  Skips where the host does
 * not offer Svadu (no Svadu, or firmware that lists Svade as well).
 */
#include "rvkvm_test.h"
#include "processor.h"

#if RVKVM_LINUX_7	/* Svade and Svadu are in 7.x's uapi */

#define PTE_A		PGTBL_PTE_ACCESSED_MASK
#define PTE_D		PGTBL_PTE_DIRTY_MASK

static rvkvm_gva_t load_page, store_page;
static unsigned long causes[2];

static void guest_fault(struct rvkvm_ex_regs *regs)
{
	causes[regs->cause == EXC_STORE_PAGE_FAULT] = regs->cause;
	regs->epc += 4;		/* the accesses below are never compressed */
}

static void guest_code(void)
{
	u64 v = 0;

	asm volatile(".option push\n.option norvc\n"
		     "ld %0, 0(%1)\n"
		     "sd %0, 0(%2)\n"
		     ".option pop"
		     : "+r" (v) : "r" (load_page), "r" (store_page) : "memory");
	GUEST_DONE();
}

#define ISA_REG(id)	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | \
			 KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | (id))

/* One VM: Svadu as @svadu says, A and D cleared; the guest's two accesses. */
static void run_guest(bool svadu, u64 *pte_load, u64 *pte_store)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	struct ucall uc;
	u64 *pl, *ps;

	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(vcpu);
	vm_install_exception_handler(vm, EXC_LOAD_PAGE_FAULT, guest_fault);
	vm_install_exception_handler(vm, EXC_STORE_PAGE_FAULT, guest_fault);
	load_page = rvkvm_alloc_page(vm);
	store_page = rvkvm_alloc_page(vm);
	sync_global_to_guest(vm, load_page);
	sync_global_to_guest(vm, store_page);
	pl = rvkvm_leaf_pte(vm, load_page);
	ps = rvkvm_leaf_pte(vm, store_page);
	*pl &= ~(PTE_A | PTE_D);
	*ps &= ~PTE_D;
	if (!svadu)
		vcpu_set_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SVADU), 0);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE, "no done");
	sync_global_from_guest(vm, causes);
	*pte_load = *pl;
	*pte_store = *ps;
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	u64 pte_load, pte_store;
	unsigned long on;
	struct kvm_vm *vm;
	bool svade;

	ksft_print_header();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	if (__vcpu_get_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SVADU), &on))
		ksft_exit_skip("Svadu is not offered: the host runs without it (errno %d)\n",
			       errno);
	svade = !__vcpu_get_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SVADE), &on);
	ksft_set_plan(4);
	/* Offered Svadu means a host with Svadu on: Svade may go, Svadu stay. */
	ksft_test_result((!svade || !__vcpu_set_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SVADE), 0)) &&
			 !__vcpu_set_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SVADU), 0) &&
			 !__vcpu_set_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SVADU), 1),
			 "Svadu off and on again%s\n", svade ? ", Svade off" : " (no Svade id)");
	kvm_vm_free(vm);

	run_guest(true, &pte_load, &pte_store);
	ksft_test_result(!causes[0] && !causes[1],
			 "Svadu: no fault on A or D clear (causes %lu %lu)\n",
			 causes[0], causes[1]);
	ksft_test_result((pte_load & PTE_A) && (pte_store & PTE_D),
			 "Svadu: the hart set A and D (entries 0x%llx 0x%llx)\n",
			 (unsigned long long)pte_load, (unsigned long long)pte_store);

	run_guest(false, &pte_load, &pte_store);
	ksft_test_result(causes[0] == EXC_LOAD_PAGE_FAULT &&
			 causes[1] == EXC_STORE_PAGE_FAULT,
			 "Svadu off: load and store page faults (causes %lu %lu)\n",
			 causes[0], causes[1]);
	ksft_finished();
}

#else

int main(void)
{
	ksft_print_header();
	ksft_exit_skip("Svade and Svadu are not in this kernel's uapi (7.x's)\n");
}

#endif
