/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm's arch half of struct kvm and struct kvm_vcpu.
 *
 * This header replaces the host kernel's asm/kvm_host.h for everything
 * compiled into kvm.ko, the generic core included.  Two rules follow from
 * the host's built-in code writing into struct kvm_vcpu (layout.c):
 *  - struct kvm_vcpu_arch has exactly the host's size and alignment;
 *  - struct kvm_vcpu_stat keeps the host's order up to signal_exits.
 */
#ifndef __RVKVM_ASM_KVM_HOST_H
#define __RVKVM_ASM_KVM_HOST_H

#include <linux/types.h>
#include <linux/kvm.h>
#include <linux/kvm_types.h>
#include <linux/spinlock.h>
#include <asm/csr.h>
#include <rvkvm/host_layout.h>

#define KVM_MAX_VCPUS			1024
#define KVM_HALT_POLL_NS_DEFAULT	500000
#define KVM_VCPU_MAX_FEATURES		0
#define KVM_IRQCHIP_NUM_PINS		1024

/* Arch requests; the generic ones occupy the low bits. */
#define KVM_REQ_SLEEP \
	KVM_ARCH_REQ_FLAGS(0, KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP)
#define KVM_REQ_VCPU_RESET		KVM_ARCH_REQ(1)
#define KVM_REQ_UPDATE_HGATP		KVM_ARCH_REQ(2)

struct kvm_vm_stat {
	struct kvm_vm_stat_generic generic;
};

/* Order is ABI twice over: binary stats, and signal_exits (see above). */
struct kvm_vcpu_stat {
	struct kvm_vcpu_stat_generic generic;
	u64 ecall_exit_stat;
	u64 wfi_exit_stat;
	u64 wrs_exit_stat;
	u64 mmio_exit_user;
	u64 mmio_exit_kernel;
	u64 csr_exit_user;
	u64 csr_exit_kernel;
	u64 signal_exits;
	u64 exits;
};

struct kvm_arch_memory_slot {
};

/* A VM's G-stage VMID, valid while @version matches the allocator's. */
struct rvkvm_vmid {
	unsigned long version;
	unsigned long vmid;
};

struct kvm_arch {
	struct rvkvm_vmid vmid;
	pgd_t *pgd;		/* G-stage root, 16 KiB for the x4 modes */
	phys_addr_t pgd_phys;
};

/*
 * Register file of one side of the world switch.  The GPRs come first and
 * in x1..x31 order so vcpu_switch.S can address them by number.
 */
struct rvkvm_regs {
	unsigned long gpr[32];		/* gpr[0] is never read */
	unsigned long sepc;
	unsigned long sstatus;
	unsigned long hstatus;
};

/* Guest VS-level CSRs, switched at vcpu_load/put only. */
struct rvkvm_vs_csrs {
	unsigned long vsstatus;
	unsigned long vsie;
	unsigned long vstvec;
	unsigned long vsscratch;
	unsigned long vsepc;
	unsigned long vscause;
	unsigned long vstval;
	unsigned long hvip;
	unsigned long vsatp;
	unsigned long scounteren;
};

struct kvm_vcpu_arch {
	union {
		struct {
			struct rvkvm_regs guest;
			struct rvkvm_regs host;
			struct rvkvm_vs_csrs csr;
			unsigned long host_sscratch;
			unsigned long host_stvec;
			unsigned long host_scounteren;

			/* Set once KVM_RUN has entered the guest. */
			bool ran_once;
			/* Stopped by userspace (MP_STATE) or by SBI HSM. */
			bool power_off;
		};
		/* Pads us to the host's size: see layout.c. */
		u8 __host_size[RVKVM_HOST_ARCH_SIZE];
	};
} __aligned(RVKVM_HOST_ARCH_ALIGN);

static inline void kvm_arch_sync_events(struct kvm *kvm) {}
static inline void kvm_arch_sched_in(struct kvm_vcpu *vcpu, int cpu) {}

#endif /* __RVKVM_ASM_KVM_HOST_H */
