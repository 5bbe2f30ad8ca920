#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# tests/guest_unload.sh: after the guests of tests/vmm.list are gone, kvm
# has no users left and unloads, and loads again.  The runner checks the
# kernel log of every test; modcycle.sh measures per-VM leaks.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

orig=$(kvm_flavour)
[ "$orig" != none ] || fail "no kvm loaded"
refs=$(cat /sys/module/kvm/refcnt)
[ "$refs" = 0 ] || fail "kvm still has $refs users after the guests"
rmmod kvm || fail "rmmod kvm failed"
kvm_loaded && fail "kvm still loaded after rmmod"
kvm_restore "$orig" || fail "reloading $orig failed"
echo "# kvm ($orig): no users after the guests, unloaded and loaded again"
