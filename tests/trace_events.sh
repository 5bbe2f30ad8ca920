#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: selftests/fast_path
#
# tests/trace_events.sh: the kvm:kvm_entry and kvm:kvm_exit tracepoints
# (both modules have them) and ours' kvm:kvm_exit_handled and
# kvm:kvm_sbi_call show a guest's exits: a short selftests/fast_path run
# is traced, and its SBI BASE calls must show up, with ours as handled
# in the fast path.  Whichever module is loaded; Debian's lacks the last
# two events, which is reported and not checked.

set -u
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T || fail "cannot mount tracefs"
kvm_loaded || fail "no kvm loaded"
EVENTS="kvm_entry kvm_exit"
if [ "$(kvm_flavour)" = ours ]; then
	EVENTS="$EVENTS kvm_exit_handled kvm_sbi_call"
else
	log "Debian's module: no kvm_exit_handled, kvm_sbi_call; not checked"
fi

for e in $EVENTS; do
	[ -d "$T/events/kvm/$e" ] || fail "no event kvm:$e"
done
echo 0 > $T/tracing_on
: > $T/trace
echo 4096 > $T/buffer_size_kb
for e in $EVENTS; do echo 1 > "$T/events/kvm/$e"/enable; done
echo 1 > $T/tracing_on
"$RVKVM_DIR/selftests/fast_path" -n 50 > /tmp/fast_path.out 2>&1
st=$?
echo 0 > $T/tracing_on
for e in $EVENTS; do echo 0 > "$T/events/kvm/$e"/enable; done
[ $st = 0 ] || { cat /tmp/fast_path.out; fail "fast_path failed ($st)"; }
cp $T/trace /tmp/trace.txt
: > $T/trace

count() { grep -c "$1" /tmp/trace.txt; }
log "traced: $(count 'kvm_entry:') entries, $(count 'kvm_exit:') exits," \
	"$(count 'kvm_exit_handled:') handled, $(count 'kvm_sbi_call:') SBI calls"
grep -m 3 -E 'kvm_(exit|exit_handled|sbi_call):' /tmp/trace.txt
[ "$(count 'kvm_entry:')" -ge 200 ] || fail "too few kvm_entry events"
[ "$(count 'kvm_exit:')" -ge 200 ] || fail "too few kvm_exit events"
case $EVENTS in
*kvm_sbi_call*)
	# An ecall from VS-mode is scause 10 (0xa).
	[ "$(count 'kvm_exit:.*scause 0xa ')" -ge 100 ] ||
		fail "too few ecall exits"
	# 50 get_spec_version and 50 probes of BASE (eid 0x10), fast.
	[ "$(count 'kvm_sbi_call:.*eid 0x10 fid 0 fast path')" -ge 50 ] ||
		fail "BASE get_spec_version calls not traced as fast"
	[ "$(count 'kvm_exit_handled:.*scause 0xa fast path: resume')" -ge 100 ] ||
		fail "ecalls not traced as handled in the fast path"
	;;
esac
log "trace events ok"
