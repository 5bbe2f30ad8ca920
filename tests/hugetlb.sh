#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# rvkvm-needs: kvm/kvm_page_table_test
#
# tests/hugetlb.sh PAGES CMD [ARG...]: reserve PAGES 2 MiB huge pages,
# run CMD (a path under /rvkvm), and give them back.  The host boots with
# none reserved, so the tests that back guest memory with hugetlbfs ask
# for theirs here.

set -eu
# shellcheck source=scripts/initramfs/lib.sh
. /rvkvm/lib.sh

NR=/proc/sys/vm/nr_hugepages

main() {
	local want=$1 cmd=$2 got rc=0

	shift 2
	echo "$want" > "$NR"
	got=$(cat "$NR")
	[ "$got" -ge "$want" ] || { echo 0 > "$NR"; fail "only $got of $want huge pages"; }
	log "$got huge pages of 2 MiB reserved"
	"$RVKVM_DIR/$cmd" "$@" || rc=$?
	echo 0 > "$NR"
	[ "$rc" -eq 0 ] || fail "$cmd $* exited $rc"
}

main "$@"
