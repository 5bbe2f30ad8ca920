#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/timer_parked
#
# tests/timer_parked.sh: selftests/timer_parked, with kvm_csrpeek.ko (it
# shows every hart's vstimecmp and hip) loaded around it.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

[ -f "$RVKVM_CSRPEEK_PATH" ] || fail "kvm_csrpeek.ko was not packed"
insmod "$RVKVM_CSRPEEK_PATH" || fail "cannot load kvm_csrpeek.ko"
"$RVKVM_DIR/selftests/timer_parked"
st=$?
rmmod kvm_csrpeek || fail "cannot unload kvm_csrpeek.ko"
exit $st
