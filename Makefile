# SPDX-License-Identifier: GPL-2.0
#
# rvkvm: out-of-tree RISC-V KVM (kvm.ko).
#
#   make            fetch what is missing, build kvm.ko for the reference kernel
#   make RVKVM_SUITE=sid
#                   the same for Debian sid's kernel (7.2), in build/sid
#   make run        boot the emulated host, load kvm.ko, boot a guest in it
#                   with QEMU -accel kvm; GUEST_SMP=N GUEST_MEM=512M|1G
#                   GUEST_KERNEL=Image GUEST_INITRD=cpio.gz GUEST_SHELL=1
#   make check      lint, build, test make install, and run the tests in
#                   the emulated host
#   make bench      figures, ours against Debian's kvm.ko in one host boot:
#                   exit micro-benchmarks, memory figures and the guest's
#                   boot time (a table; CSV in build/bench.csv)
#   make check-debug
#                   the test lists again on a debug host kernel (KASAN,
#                   lockdep, kmemleak, UBSAN, debug objects), built from
#                   linux-source and cached; kvm.ko for it in build/debug
#   make check-linux7
#                   build for Debian sid's 7.2 (build/sid), lint that build,
#                   and run LINUX7_LISTS on a 7.2 host
#   make check-aia  tests/vmm.list and caps_match on the AIA host (QEMU 10,
#                   -M virt,aia=aplic-imsic,aia-guests=7)
#   make check-distro
#                   the distro host: a trixie riscv64 system (systemd,
#                   dkms, libvirt; scripts/distro-image, cached) installs
#                   rvkvm-dkms, runs guests with virsh (saved and
#                   restored with sid's QEMU), and removes it again
#   make check-all  check, the CHECK_ALL_LISTS (stress), check-aia,
#                   check-linux7, check-distro, then check-debug
#   make KDIR=/lib/modules/$(uname -r)/build KSRC=/usr/src/linux-source-X
#                   native build on a RISC-V host (no cache, no build root)
#   make KDIR=... KSRC=... TROOT=1 [MODDIR=build/DIR]
#                   cross build in the trixie build root against another
#                   kernel build dir (KDIR and KSRC under the cache or the
#                   repo); MODDIR puts the objects and kvm.ko there
#
#   make install [INSTALL_MOD_PATH=DIR] [DESTDIR=DIR]
#   make uninstall  kvm.ko into (out of) /lib/modules/KVER/updates, and
#                   depmod; KVER is KDIR's kernel release
#   make deb        build/deb/rvkvm-dkms_VERSION_all.deb, and lintian
#
# KVM_MODULE=intree runs run/check with Debian's own kvm.ko as a baseline.

RVKVM_CACHE ?= $(HOME)/.cache/rvkvm
export RVKVM_CACHE
# The Debian suite whose kernel is the target (scripts/lib.sh): trixie
# (Linux 6.12, the reference) or sid (Linux 7.2, built into build/sid).
RVKVM_SUITE ?= trixie
export RVKVM_SUITE
ifeq ($(RVKVM_SUITE),trixie)
SUITE_ENV := current.env
SUITE_SFX :=
else
SUITE_ENV := $(RVKVM_SUITE).env
SUITE_SFX := -$(RVKVM_SUITE)
MODDIR ?= build/$(RVKVM_SUITE)
endif
KVM_MODULE ?= ours
export KVM_MODULE
CHECK_LISTS ?= tests/foundation.list tests/vcpu.list tests/platform.list \
	tests/correctness.list tests/fuzz.list tests/vmm.list
# Lists only check-all runs (after check, on Debian's kernel): stress.
CHECK_ALL_LISTS ?= tests/stress.list
# check-aia (check-all): these lists again on the AIA host, AIA_HOST's
# settings filling in what their own [host] headers leave unset.
AIA_LISTS ?= tests/vmm.list
AIA_HOST ?= qemu=trixie machine=aia=aplic-imsic,aia-guests=7 mem=3G
# check-linux7: the lists run on Debian sid's 7.2 host (RVKVM_SUITE=sid).
LINUX7_LISTS ?= tests/linux7.list tests/vmm.list
# check-debug: none|auto|all runs under the debug kernel's own kvm.ko
# too (auto: only the tests that failed or were flagged under ours).
DEBUG_BASELINE ?= auto
# check-debug: timeouts are multiplied by this on the slower debug kernel.
DEBUG_TIMEOUT_SCALE ?= 4

ifeq ($(origin KDIR),undefined)
# Reference build: Debian's headers and kbuild inside the suite's build root.
-include $(RVKVM_CACHE)/$(SUITE_ENV)
KDIR := /usr/src/linux-headers-$(KV)
KSRC ?= $(RVKVM_CACHE)/$(KV)/src
IN_TROOT := scripts/troot
KBUILD_ARCH := ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
DEPS := deps
KDIR_SEEN := $(RVKVM_CACHE)/troot$(SUITE_SFX)$(KDIR)
else
KSRC ?= $(error set KSRC to the kernel source matching $(KDIR))
KDIR_SEEN := $(KDIR)
ifeq ($(TROOT),1)
# Another kernel build dir (the debug kernel), from inside the build root:
# only the cache and the repo are seen there at their own paths.
IN_TROOT := scripts/troot
KBUILD_ARCH := ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
endif
endif

# Where kbuild writes the objects and kvm.ko: the repo itself, or a mirror
# of it under build/ (scripts/mirror-tree).
MODDIR ?= $(CURDIR)
override MODDIR := $(abspath $(MODDIR))
KBUILD_NOM := $(IN_TROOT) $(MAKE) -C $(KDIR) $(KBUILD_ARCH)
KBUILD := $(KBUILD_NOM) M=$(MODDIR)
OUR_SOURCES = $(shell git ls-files -- '*.c' '*.h' '*.S' 2>/dev/null)

.PHONY: all deps modules core clean lint checkpatch kbuild-lint selftests \
	check run bench layout-guard-test debug-kernel debug-modules \
	check-debug check-aia check-linux7 check-all install uninstall \
	install-test dkms deb check-distro

all: $(DEPS)
	$(MAKE) modules

deps:
	scripts/deps

# The generic core is compiled from KSRC, never copied: symlink it in.
core:
	@test -f $(KSRC)/virt/kvm/kvm_main.c || \
		{ echo "rvkvm: no virt/kvm in KSRC=$(KSRC)" >&2; exit 1; }
	@scripts/check-ksrc $(KSRC) $(KDIR_SEEN)
ifneq ($(MODDIR),$(CURDIR))
	@scripts/mirror-tree $(MODDIR)
endif
	@mkdir -p $(MODDIR)/build/core/virt/kvm $(MODDIR)/build/gen/rvkvm
	@ln -sfn $(KSRC)/virt/kvm/*.[ch] $(KSRC)/virt/kvm/Makefile.kvm \
		$(MODDIR)/build/core/virt/kvm/

modules: core
	$(KBUILD) modules

clean:
	-$(KBUILD) clean
	rm -rf build

# Style and static checks on our files: checkpatch --strict, and a W=1
# plus sparse (C=2) build whose diagnostics on our files fail the lint.
lint: checkpatch kbuild-lint

# MODIFIED_INCLUDE_ASM guards the kernel tree's include/asm; our
# include/asm/kvm_host.h is meant to override the host's.
checkpatch: core
	$(KSRC)/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore MODIFIED_INCLUDE_ASM -f $(OUR_SOURCES)

kbuild-lint: core
	scripts/kbuild-lint $(KBUILD) W=1 C=2 modules

# Prove the layout guard fires: a build with a skewed host offset must fail.
layout-guard-test: core
	scripts/layout/guard-test $(KBUILD_NOM)

selftests: $(DEPS)
	scripts/build-selftests

check: all selftests
	$(MAKE) lint
	$(MAKE) layout-guard-test
	$(MAKE) install-test
	scripts/hostrun $(foreach l,$(CHECK_LISTS),--list $(l))

run: all selftests
	VMM_SMP=$(GUEST_SMP) VMM_MEM=$(GUEST_MEM) VMM_KERNEL=$(GUEST_KERNEL) \
	VMM_INITRD=$(GUEST_INITRD) VMM_TASK=$(if $(GUEST_SHELL),shell) \
	scripts/hostrun $(if $(GUEST_SHELL),--shell) --list tests/run.list

# The table's CSV lines (tests/bench.sh) go to build/bench.csv.
bench: all selftests
	scripts/hostrun --list tests/bench.list
	sed -n 's/^.*BENCH-CSV,//p' build/hostrun-bench-$(KVM_MODULE).log \
		> build/bench.csv
	@echo "rvkvm: figures in build/bench.csv"

# --- Installing: make install/uninstall, DKMS, the Debian package -------
# KVER: the release of the kernel kvm.ko was built against (KDIR's).
KVER ?= $(shell cat $(KDIR_SEEN)/include/config/kernel.release 2>/dev/null)

# Into $(DESTDIR)$(INSTALL_MOD_PATH)/lib/modules/$(KVER)/updates, where it
# wins over the kernel's own kvm.ko; depmod runs unless DESTDIR is set.
install uninstall:
	scripts/install-module $@ $(MODDIR)/kvm.ko "$(KVER)" \
		"$(DESTDIR)$(INSTALL_MOD_PATH)" "$(DESTDIR)"

# DKMS's build (dkms.conf): KSRC unpacked from the linux-source package.
dkms:
	$(MAKE) KDIR=$(KDIR) KSRC=$$(scripts/find-ksrc $(KDIR_SEEN)) modules

# make install/uninstall and DKMS's build, in a scratch root.
install-test: all
	scripts/install-test

# rvkvm-dkms_VERSION_all.deb (debhelper, dh-dkms) and its lintian report.
deb:
	scripts/make-deb

# The user's path on a booted trixie system (scripts/check-distro): the
# package installed with apt, DKMS building natively, autoload, libvirt.
check-distro: $(DEPS)
	scripts/check-distro

# --- The debug host (scripts/debug-kernel, scripts/check-debug) ----------
DEBUG_MODDIR := build/debug

debug-kernel: $(DEPS)
	scripts/debug-kernel

# kvm.ko (and the test-only modules) for the debug kernel, in build/debug.
debug-modules: debug-kernel
	$(MAKE) KDIR=$$(scripts/debug-kernel --dir) KSRC=$(KSRC) TROOT=1 \
		MODDIR=$(DEBUG_MODDIR) modules

check-debug: selftests debug-modules
	DEBUG_BASELINE=$(DEBUG_BASELINE) \
	DEBUG_TIMEOUT_SCALE=$(DEBUG_TIMEOUT_SCALE) \
	scripts/check-debug $(DEBUG_MODDIR) $(CHECK_LISTS)

# --- Lists on the AIA host ------------------------------------------------
check-aia: all selftests
	scripts/hostrun --host "$(AIA_HOST)" $(foreach l,$(AIA_LISTS),--list $(l)) \
		caps_match

# --- Linux 7.2 (Debian sid) from the same tree --------------------------
check-linux7:
	$(MAKE) RVKVM_SUITE=sid all selftests
	$(MAKE) RVKVM_SUITE=sid kbuild-lint
	RVKVM_SUITE=sid scripts/hostrun $(foreach l,$(LINUX7_LISTS),--list $(l))

check-all: check
ifneq ($(strip $(CHECK_ALL_LISTS)),)
	scripts/hostrun $(foreach l,$(CHECK_ALL_LISTS),--list $(l))
endif
	$(MAKE) check-aia
	$(MAKE) check-linux7
	$(MAKE) check-distro
	$(MAKE) check-debug
