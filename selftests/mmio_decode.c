// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_decode: every integer load and store width, signed and unsigned,
 * 32-bit and compressed, to a guest-physical page with no memslot.  Each
 * access must exit as KVM_EXIT_MMIO with the right address, length,
 * direction and data, and a load must come back sign- or zero-extended
 * into the right register.  x0 as a store source reads 0 and as a load
 * destination is left alone.
 *
 * The pass runs twice: as the hart reports the instruction (htinst, when
 * the hart provides it), and with kvm.ko's ignore_htinst parameter set,
 * which makes the module read the instruction from guest memory (HLVX).
 */
#include <stdio.h>
#include <unistd.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define MMIO_GPA	0x20000000UL
#define MMIO_GVA	MMIO_GPA
#define LOAD_DATA	0x8182838485868788UL
#define IGNORE_HTINST	"/sys/module/kvm/parameters/ignore_htinst"

struct mmio_case {
	const char *name;
	bool store;
	u8 len;
	u64 data;	/* what a store writes, or what a load gets back */
};

/* Loads return LOAD_DATA's low bytes; 'data' is the extended result. */
static const struct mmio_case cases[] = {
	{ "sb", true, 1, 0xa5 },
	{ "sh", true, 2, 0xa55a },
	{ "sw", true, 4, 0x87654321 },
	{ "sd", true, 8, 0x8877665544332211UL },
	{ "sw x0", true, 4, 0 },
	{ "lb", false, 1, 0xffffffffffffff88UL },
	{ "lbu", false, 1, 0x88 },
	{ "lh", false, 2, 0xffffffffffff8788UL },
	{ "lhu", false, 2, 0x8788 },
	{ "lw", false, 4, 0xffffffff85868788UL },
	{ "lwu", false, 4, 0x85868788 },
	{ "ld", false, 8, LOAD_DATA },
	{ "lw x0", false, 4, 0 },
	{ "c.sw", true, 4, 0x87654321 },
	{ "c.sd", true, 8, 0x8877665544332211UL },
	{ "c.lw", false, 4, 0xffffffff85868788UL },
	{ "c.ld", false, 8, LOAD_DATA },
	{ "c.swsp", true, 4, 0x87654321 },
	{ "c.sdsp", true, 8, 0x8877665544332211UL },
	{ "c.lwsp", false, 4, 0xffffffff85868788UL },
	{ "c.ldsp", false, 8, LOAD_DATA },
};

#define RVC(insn)	".option push\n.option rvc\n" insn "\n.option pop\n"

static u64 guest_access(int i, u64 v)
{
	register u64 a0 asm("a0") = v;
	register u64 a1 asm("a1") = MMIO_GVA;
	u64 r = 0;

	switch (i) {
	case 0:
		asm volatile("sb %0, 0(%1)" : : "r"(v), "r"(a1) : "memory");
		break;
	case 1:
		asm volatile("sh %0, 0(%1)" : : "r"(v), "r"(a1) : "memory");
		break;
	case 2:
		asm volatile("sw %0, 0(%1)" : : "r"(v), "r"(a1) : "memory");
		break;
	case 3:
		asm volatile("sd %0, 0(%1)" : : "r"(v), "r"(a1) : "memory");
		break;
	case 4:
		asm volatile("sw zero, 0(%0)" : : "r"(a1) : "memory");
		break;
	case 5:
		asm volatile("lb %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 6:
		asm volatile("lbu %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 7:
		asm volatile("lh %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 8:
		asm volatile("lhu %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 9:
		asm volatile("lw %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 10:
		asm volatile("lwu %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 11:
		asm volatile("ld %0, 0(%1)" : "=r"(r) : "r"(a1) : "memory");
		break;
	case 12:
		asm volatile("lw zero, 0(%0)" : : "r"(a1) : "memory");
		break;
	case 13:
		asm volatile(RVC("c.sw a0, 0(a1)") : : "r"(a0), "r"(a1) : "memory");
		break;
	case 14:
		asm volatile(RVC("c.sd a0, 0(a1)") : : "r"(a0), "r"(a1) : "memory");
		break;
	case 15:
		asm volatile(RVC("c.lw a0, 0(a1)") : "+r"(a0) : "r"(a1) : "memory");
		r = a0;
		break;
	case 16:
		asm volatile(RVC("c.ld a0, 0(a1)") : "+r"(a0) : "r"(a1) : "memory");
		r = a0;
		break;
	/* sp-relative forms: borrow sp for one instruction. */
	case 17:
		asm volatile("mv t0, sp\nmv sp, a1\n" RVC("c.swsp a0, 0(sp)") "mv sp, t0"
			: : "r"(a0), "r"(a1) : "t0", "memory");
		break;
	case 18:
		asm volatile("mv t0, sp\nmv sp, a1\n" RVC("c.sdsp a0, 0(sp)") "mv sp, t0"
			: : "r"(a0), "r"(a1) : "t0", "memory");
		break;
	case 19:
		asm volatile("mv t0, sp\nmv sp, a1\n" RVC("c.lwsp a0, 0(sp)") "mv sp, t0"
			: "+r"(a0) : "r"(a1) : "t0", "memory");
		r = a0;
		break;
	case 20:
		asm volatile("mv t0, sp\nmv sp, a1\n" RVC("c.ldsp a0, 0(sp)") "mv sp, t0"
			: "+r"(a0) : "r"(a1) : "t0", "memory");
		r = a0;
		break;
	}
	return r;
}

static void guest_code(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 r = guest_access(i, cases[i].data);

		if (!cases[i].store)
			GUEST_ASSERT_EQ(r, cases[i].data);
	}
	GUEST_DONE();
}

/* Run the guest through all cases; each MMIO exit is checked here. */
static void run_pass(const char *how)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int i = 0;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	virt_map(vm, MMIO_GVA, MMIO_GPA, 1);

	for (;;) {
		struct kvm_run *run = vcpu->run;

		vcpu_run(vcpu);
		if (run->exit_reason != KVM_EXIT_MMIO)
			break;
		TEST_ASSERT(i < ARRAY_SIZE(cases), "more MMIO exits than cases");
		ksft_test_result(run->mmio.phys_addr == MMIO_GPA &&
				 run->mmio.len == cases[i].len &&
				 run->mmio.is_write == cases[i].store &&
				 (!cases[i].store ||
				  !memcmp(run->mmio.data, &cases[i].data, cases[i].len)),
				 "%s: %s exits with addr %llx len %u write %u\n",
				 how, cases[i].name, run->mmio.phys_addr,
				 run->mmio.len, run->mmio.is_write);
		if (!cases[i].store) {
			u64 d = LOAD_DATA;

			memcpy(run->mmio.data, &d, sizeof(d));
		}
		i++;
	}
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE,
		    "unexpected exit %s",
		    exit_reason_str(vcpu->run->exit_reason));
	ksft_test_result(i == ARRAY_SIZE(cases),
			 "%s: %d accesses exited, loads extended as the guest expects\n",
			 how, i);
	kvm_vm_free(vm);
}

static bool set_ignore_htinst(const char *v)
{
	FILE *f = fopen(IGNORE_HTINST, "w");

	if (!f)
		return false;
	fputs(v, f);
	return !fclose(f);
}

int main(void)
{
	int per_pass = ARRAY_SIZE(cases) + 1;
	bool hlvx = !access(IGNORE_HTINST, W_OK);

	ksft_print_header();
	ksft_set_plan(per_pass + (hlvx ? per_pass : 1));

	run_pass("as reported");
	if (!hlvx) {
		ksft_test_result_skip("HLVX pass: no %s (not rvkvm's kvm.ko)\n",
				      IGNORE_HTINST);
		ksft_finished();
	}
	TEST_ASSERT(set_ignore_htinst("1"), "cannot set %s", IGNORE_HTINST);
	run_pass("read by HLVX");
	set_ignore_htinst("0");
	ksft_finished();
}
