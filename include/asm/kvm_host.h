/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvkvm's arch half of struct kvm and struct kvm_vcpu.
 *
 * This header replaces the host kernel's asm/kvm_host.h for everything
 * compiled into kvm.ko, the generic core included.  On 6.12 two rules
 * follow from the host's built-in code writing into struct kvm_vcpu
 * (RVKVM_HOST_WRITES_VCPU, layout.c):
 *  - struct kvm_vcpu_arch has exactly the host's size and alignment;
 *  - struct kvm_vcpu_stat keeps the host's order up to signal_exits.
 */
#ifndef __RVKVM_ASM_KVM_HOST_H
#define __RVKVM_ASM_KVM_HOST_H

#include <linux/types.h>
#include <linux/kvm.h>
#include <linux/kvm_types.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>
#include <linux/xarray.h>
#include <asm/csr.h>
#include <asm/hwcap.h>
#include <rvkvm/host_layout.h>

/*
 * compat: 6.12's built-in kernel/entry/kvm.c takes the vCPU and writes
 * into it at the host's offsets; 7.x's kernel/entry/virt.c does not.
 */
#ifdef CONFIG_KVM_XFER_TO_GUEST_WORK
#define RVKVM_HOST_WRITES_VCPU		1
#define RVKVM_ARCH_SIZE			RVKVM_HOST_ARCH_SIZE
#define RVKVM_ARCH_ALIGN		RVKVM_HOST_ARCH_ALIGN
#else
#define RVKVM_ARCH_SIZE			1
#define RVKVM_ARCH_ALIGN		__alignof__(u64)
#endif

/* Limits the generic core sizes things by; userspace sees MAX_VCPUS. */
#define KVM_MAX_VCPUS			1024
#define KVM_IRQCHIP_NUM_PINS		1024
#define KVM_HALT_POLL_NS_DEFAULT	500000

/*
 * Arch requests, numbered after the generic ones.  Those other vCPUs
 * must have acted on before the requester goes on WAIT, and need not
 * wake a sleeping vCPU (NO_WAKEUP): it acts on them before it runs.
 */
#define RVKVM_REQ_SYNC		(KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP)
#define KVM_REQ_UPDATE_HGATP		KVM_ARCH_REQ(0)
#define KVM_REQ_VCPU_RESET		KVM_ARCH_REQ(1)
#define KVM_REQ_SLEEP			KVM_ARCH_REQ_FLAGS(2, RVKVM_REQ_SYNC)
#define KVM_REQ_FENCE_I			KVM_ARCH_REQ_FLAGS(3, RVKVM_REQ_SYNC)
#define KVM_REQ_HFENCE_VVMA_ALL		KVM_ARCH_REQ_FLAGS(4, RVKVM_REQ_SYNC)
/* Made by the vCPU itself at vcpu_load: report stolen time (SBI STA). */
#define KVM_REQ_STEAL_UPDATE		KVM_ARCH_REQ(5)
/* VS-stage fences queued in vcpu->arch.vvma by other harts (tlb.c). */
#define KVM_REQ_HFENCE_VVMA_RANGE	KVM_ARCH_REQ_FLAGS(6, RVKVM_REQ_SYNC)
/* A full G-stage flush of the VM's VMID is the generic TLB flush. */
#define KVM_REQ_HFENCE_GVMA_VMID_ALL	KVM_REQ_TLB_FLUSH

struct kvm_vm_stat {
	struct kvm_vm_stat_generic generic;
	/* In-kernel AIA: MSIs into VS-files and software files, or lost */
	u64 aia_msi_hw, aia_msi_sw, aia_msi_dropped;
	/* Files moved into a VS-file; falls back to software for want of one */
	u64 aia_vsfile_moves, aia_vsfile_fallbacks;
	/* G-stage table pages, root included (changed under mmu_lock) */
	u64 gstage_table_pages;
};

/*
 * The arch vCPU counters.  Their order is ABI twice over: binary stats
 * names them in this order (vcpu.c), and the host's entry code increments
 * signal_exits at the host's offset (layout.c).
 */
struct kvm_vcpu_stat {
	struct kvm_vcpu_stat_generic generic;
	/* Exits by kind: SBI calls, WFI, WRS */
	u64 ecall_exit_stat, wfi_exit_stat, wrs_exit_stat;
	/* Device accesses: to userspace, or absorbed by the kernel */
	u64 mmio_exit_user, mmio_exit_kernel;
	/* CSR accesses that trapped, the same two ways */
	u64 csr_exit_user, csr_exit_kernel;
	/* Written by the host kernel itself on a signal */
	u64 signal_exits;
	/* Every exit */
	u64 exits;
	/* Exits handled in the fast path, with interrupts off */
	u64 fast_exits;
	/* VS-stage fences other harts asked for: by range, or everything */
	u64 vvma_fence_range, vvma_fence_all;
};

struct kvm_arch_memory_slot {
};

/* A VM's G-stage VMID, valid while @version matches the allocator's. */
struct rvkvm_vmid {
	unsigned long version;
	unsigned long vmid;
};

struct rvkvm_aplic;
struct rvkvm_imsic;

/* The VM's in-kernel AIA (rvkvm/aia.h); its lock is kvm->lock. */
struct rvkvm_aia {
	bool created;			/* KVM_CREATE_DEVICE done */
	bool ready;			/* CTRL_INIT done: read without kvm->lock */
	/* CONFIG, in the uapi's attribute order (aia_device.c's table). */
	u32 config[KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS + 1];
	u64 aplic_addr;
	struct rvkvm_aplic *aplic;	/* NULL without wired sources */
	/* The vCPU behind each IMSIC page (page number), from CTRL_INIT on. */
	struct xarray files;
};

/* A vCPU's part of it. */
struct rvkvm_vcpu_aia {
	u64 imsic_addr;			/* its IMSIC page, set through ADDR */
	struct rvkvm_imsic *imsic;	/* from CTRL_INIT on */
};

struct kvm_arch {
	struct rvkvm_vmid vmid;
	pgd_t *pgd;		/* G-stage root, 16 KiB for the x4 modes */
	phys_addr_t pgd_phys;
	/* The G-stage mode's page-table levels: 3, 4, 5 (Sv39x4..Sv57x4). */
	unsigned int gstage_levels;
	/* KVM_SET_MP_STATE(INIT_RECEIVED) resets the vCPU (7.x's cap). */
	bool mp_state_reset;
	/* Guest time is host time plus this (htimedelta), for every vCPU. */
	u64 time_delta;
	struct rvkvm_aia aia;
};

/*
 * Register file of one side of the world switch.  Slot 0 holds the pc
 * (sepc) and slots 1..31 hold x1..x31: the order of the uapi's struct
 * user_regs_struct, so ONE_REG CORE indices need no translation.
 */
struct rvkvm_regs {
	unsigned long gpr[32];
	unsigned long sstatus;
	unsigned long hstatus;
	unsigned long scounteren;
};

#define RVKVM_PC	0	/* gpr[] slot of the pc */

/* The trap that ended the last guest run, read once by the switch. */
struct rvkvm_trap {
	unsigned long scause;
	unsigned long stval;
	unsigned long htval;
	unsigned long htinst;
};

/*
 * Guest supervisor CSRs that live in VS CSRs (or, for senvcfg, in the
 * real one) while the vCPU is loaded: switched at vcpu_load/put only.
 * ONE_REG CSR reads and writes these; sip is hvip shifted.
 */
struct rvkvm_vs_csrs {
	/* Interrupt state: status, enables, and what is pending (hvip) */
	unsigned long vsstatus, vsie, hvip;
	/* The guest's own trap handling */
	unsigned long vstvec, vsscratch, vsepc, vscause, vstval;
	/* Translation and environment */
	unsigned long vsatp, senvcfg;
};

/*
 * The guest's AIA CSRs, in the order of the uapi's struct
 * kvm_riscv_aia_csr (ONE_REG CSR_AIA).  With a host that has Ssaia the
 * first three live in vsiselect, hviprio1 and hviprio2 while the vCPU is
 * loaded (vcpu_aia.c); the upper halves exist in hardware on rv32 only
 * and are just kept here for userspace, as 6.12 keeps them.
 */
struct rvkvm_aia_csrs {
	unsigned long vsiselect, hviprio1, hviprio2;
	unsigned long vsieh, hviph, hviprio1h, hviprio2h;
};

/*
 * The F/D register file as it sits in memory while not in the hardware:
 * always 64-bit registers, since the host has D whenever it has F.
 */
struct rvkvm_fp {
	u64 f[32];
	u32 fcsr;
};

/* What userspace fixes before the first KVM_RUN (ONE_REG CONFIG). */
struct rvkvm_vcpu_config {
	DECLARE_BITMAP(isa, RISCV_ISA_EXT_MAX);	/* host RISCV_ISA_EXT_* ids */
	unsigned long mvendorid;
	unsigned long marchid;
	unsigned long mimpid;
	unsigned long hedeleg;		/* hedeleg while this vCPU runs */
	u64 henvcfg;			/* derived from isa at first run */
	u64 hstateen0;			/* likewise, with Smstateen hosts */
};

/* A guest load or store that exits to be emulated (vcpu_insn.c). */
struct rvkvm_mmio {
	unsigned long rd;		/* destination GPR of a load */
	u8 len;				/* access size in bytes */
	u8 insn_len;			/* 2 or 4: how far to step the pc */
	u8 sext_shift;			/* left-then-arithmetic-right shift */
	bool load;
};

/*
 * The guest's supervisor timer (vcpu_timer.c).  With Sstc the comparator
 * lives in vstimecmp while the vCPU is loaded and @compare holds it
 * otherwise; the hrtimer then only wakes a blocked vCPU.  Without Sstc
 * the hrtimer is the comparator and raises VSTIP in hvip.
 */
struct rvkvm_timer {
	struct hrtimer hrt;
	u64 compare;			/* in guest time; U64_MAX: never */
	bool armed;			/* without Sstc: the hrtimer runs */
};

/*
 * SBI STA: the guest's steal-time record of this vCPU (vcpu_sbi_sta.c).
 * @run_delay is the thread's sched_info run_delay the record last
 * accounted for; @rebase: take it afresh at the next update, adding
 * nothing (after a restore through ONE_REG, from another thread).
 */
struct rvkvm_sta {
	gpa_t shmem;			/* INVALID_GPA: not reporting */
	u64 run_delay;
	bool rebase;
	struct gfn_to_hva_cache ghc;	/* keyed by shmem */
};

struct rvkvm_pmu;

/*
 * A VS-stage fence another hart asked of a vCPU (SBI RFENCE): the guest
 * pages from @start, or the whole address space if @pages is 0, for
 * @asid or, with RVKVM_ASID_ANY, for every ASID.
 */
struct rvkvm_vvma_fence {
	unsigned long start;
	unsigned long pages;
	unsigned long asid;
};

#define RVKVM_ASID_ANY		ULONG_MAX
#define RVKVM_VVMA_QUEUE_LEN	16

/* The fences a vCPU owes, carried out before it next enters the guest. */
struct rvkvm_vvma_queue {
	spinlock_t lock;		/* senders against the vCPU */
	unsigned int len;
	bool overflow;			/* more came than fit: flush it all */
	struct rvkvm_vvma_fence fence[RVKVM_VVMA_QUEUE_LEN];
};

/* What a pending userspace exit must complete at the next KVM_RUN. */
enum rvkvm_pending_exit {
	RVKVM_PENDING_NONE,
	RVKVM_PENDING_MMIO,
	RVKVM_PENDING_SBI,
	RVKVM_PENDING_SBI_V01,		/* a legacy call: it returns a0 only */
	RVKVM_PENDING_CSR,
};

struct kvm_vcpu_arch {
	union {
		struct {
			/* Hot: touched on every exit. */
			struct rvkvm_regs guest;
			struct rvkvm_trap trap;
			struct rvkvm_regs host;
			unsigned long host_sscratch;
			unsigned long host_stvec;

			/* VS interrupt lines and their change marks (vcpu_irq.c). */
			atomic_long_t irqs;

			struct rvkvm_vs_csrs csr;
			struct rvkvm_vcpu_config cfg;
			unsigned long host_senvcfg;

			/* AIA and Smstateen: switched at vcpu_load/put only. */
			struct rvkvm_aia_csrs aia;
			struct rvkvm_vcpu_aia vaia;
			unsigned long sstateen0;
			unsigned long host_sstateen0;

			enum rvkvm_pending_exit pending;
			struct rvkvm_mmio mmio;
			/* Destination GPR of a CSR access userspace emulates. */
			unsigned long csr_rd;

			/* F/D: switched at vcpu_load/put only (vcpu_fp.c). */
			struct rvkvm_fp guest_fp;
			struct rvkvm_fp host_fp;
			/* V: likewise; the registers are out of line (datap). */
			struct __riscv_v_ext_state guest_v;
			struct __riscv_v_ext_state host_v;

			/* SBI extensions userspace disabled (KVM_RISCV_SBI_EXT_*). */
			DECLARE_BITMAP(sbi_disabled, KVM_RISCV_SBI_EXT_MAX);
#if RVKVM_LINUX_7	/* compat: SBI FWFT is 7.x's uapi */
			/* FWFT features by table row: hidden by userspace, locked. */
			unsigned long fwft_hidden, fwft_locked;
#endif

			/* Page-table pages for G-stage faults, filled unlocked. */
			struct kvm_mmu_memory_cache mmu_cache;

			struct rvkvm_vvma_queue vvma;

			/* VMID this vCPU last ran with, to spot a stale TLB. */
			unsigned long last_vmid_version;
			int last_cpu;		/* hart this vCPU last ran on */
			/*
			 * The hart whose VS CSRs still equal csr and cfg since
			 * this vCPU's last put there, or -1 (vcpu.c, "Lean
			 * load").
			 */
			int csrs_cpu;

			/* Set once KVM_RUN has entered the guest. */
			bool ran_once;
			/*
			 * Stopped by userspace (MP_STATE) or by SBI HSM; mp_lock
			 * orders a start against a stop.  A start leaves where
			 * to begin in boot, for the reset it requests.
			 */
			bool power_off;
			spinlock_t mp_lock;	/* start vs stop, boot */
			struct {
				unsigned long pc;
				unsigned long a1;
				bool pending;
			} boot;

			struct rvkvm_timer timer;
			struct rvkvm_sta sta;
			/* SBI PMU counters, NULL without (vcpu_pmu.c). */
			struct rvkvm_pmu *pmu;
		};
		/* Pads us to the host's size where needed: see layout.c. */
		u8 __host_size[RVKVM_ARCH_SIZE];
	};
} __aligned(RVKVM_ARCH_ALIGN);

/*
 * compat: 7.x's riscv offers INITIALLY_SET with manual dirty-log
 * protection (mmu.c honours it on both); 6.12's offers ENABLE only.
 */
#if RVKVM_LINUX_7
#define KVM_DIRTY_LOG_MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVM_DIRTY_LOG_INITIALLY_SET)
#endif

/* compat: called by 6.12's generic core only. */
#if !RVKVM_LINUX_7
static inline void kvm_arch_sync_events(struct kvm *kvm) {}
#endif

/* PMU interrupts are taken in the host; one with a vCPU loaded was its. */
#define kvm_arch_pmi_in_guest(vcpu)	(IS_ENABLED(CONFIG_GUEST_PERF_EVENTS) && !!(vcpu))

#endif /* __RVKVM_ASM_KVM_HOST_H */
