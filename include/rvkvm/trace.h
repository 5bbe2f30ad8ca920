/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the RISC-V side, in the "kvm" system beside the generic
 * core's: guest entry and exit, how and where each exit ended (an
 * error shows as its hex value), and the SBI calls handlers ran.
 * Static keys: they cost a no-op branch while off (trace.c defines them).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

#if !defined(__RVKVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define __RVKVM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvm_entry,
	    TP_PROTO(struct kvm_vcpu *vcpu),
	    TP_ARGS(vcpu),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(unsigned long, pc)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __entry->pc = vcpu->arch.guest.gpr[0];),
	    TP_printk("vcpu %u pc 0x%016lx", __entry->vcpu_id, __entry->pc)
);

TRACE_EVENT(kvm_exit,
	    TP_PROTO(struct kvm_vcpu *vcpu),
	    TP_ARGS(vcpu),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(unsigned long, pc)
			     __field(unsigned long, scause)
			     __field(unsigned long, stval)
			     __field(unsigned long, htval)
			     __field(unsigned long, htinst)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __entry->pc = vcpu->arch.guest.gpr[0];
			   __entry->scause = vcpu->arch.trap.scause;
			   __entry->stval = vcpu->arch.trap.stval;
			   __entry->htval = vcpu->arch.trap.htval;
			   __entry->htinst = vcpu->arch.trap.htinst;),
	    TP_printk("vcpu %u pc 0x%016lx scause 0x%lx stval 0x%lx htval 0x%lx htinst 0x%lx",
		      __entry->vcpu_id, __entry->pc, __entry->scause,
		      __entry->stval, __entry->htval, __entry->htinst)
);

/* Where an exit ended: the fast path (interrupts off) or the full one. */
TRACE_EVENT(kvm_exit_handled,
	    TP_PROTO(struct kvm_vcpu *vcpu, bool fast, int r),
	    TP_ARGS(vcpu, fast, r),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(unsigned long, scause)
			     __field(bool, fast)
			     __field(int, r)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __entry->scause = vcpu->arch.trap.scause;
			   __entry->fast = fast;
			   __entry->r = r;),
	    TP_printk("vcpu %u scause 0x%lx %s path: %s", __entry->vcpu_id,
		      __entry->scause, __entry->fast ? "fast" : "full",
		      __print_symbolic(__entry->r, { RVKVM_RESUME, "resume" },
				       { RVKVM_TO_USER, "user" },
				       { RVKVM_SLOW, "slow" }))
);

/* An SBI call a handler ran, in the fast path or the full one. */
TRACE_EVENT(kvm_sbi_call,
	    TP_PROTO(struct kvm_vcpu *vcpu, unsigned long eid,
		     unsigned long fid, bool fast),
	    TP_ARGS(vcpu, eid, fid, fast),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(unsigned long, eid)
			     __field(unsigned long, fid)
			     __field(bool, fast)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __entry->eid = eid;
			   __entry->fid = fid;
			   __entry->fast = fast;),
	    TP_printk("vcpu %u eid 0x%lx fid %lu %s path", __entry->vcpu_id,
		      __entry->eid, __entry->fid,
		      __entry->fast ? "fast" : "full")
);

#endif /* __RVKVM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH rvkvm
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace

#include <trace/define_trace.h>
