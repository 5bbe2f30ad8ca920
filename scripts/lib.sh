# SPDX-License-Identifier: GPL-2.0
# Shared settings for the rvkvm scripts; sourced, never run.
#
# Everything downloaded or built outside the repo lives under $RVKVM_CACHE.
# RVKVM_SUITE picks the Debian suite whose kernel is the target: trixie
# (the default, Linux 6.12) or sid (Linux 7.2).  Trixie keeps the names it
# had first; another suite's state carries its name:
#   apt/, apt-SUITE/        private apt state (lists, .debs)
#   troot/, troot-SUITE/    build root (mmdebstrap): the suite's cross gcc,
#                           kbuild, sparse
#   <KV>/                   everything keyed by the resolved kernel version
#   current.env, SUITE.env  which <KV> the last `scripts/deps` resolved
# What is built for the suite's kernel lives under SUITE_OUT: the repo for
# trixie, build/SUITE otherwise (kvm.ko, selftests/*/*.ko, build/selftests).

RVKVM_CACHE=${RVKVM_CACHE:-$HOME/.cache/rvkvm}
RVKVM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RVKVM_SUITE=${RVKVM_SUITE:-trixie}
case $RVKVM_SUITE in
trixie)	SUITE_SFX= SUITE_ENV=$RVKVM_CACHE/current.env SUITE_OUT=$RVKVM_TOP ;;
sid)	SUITE_SFX=-sid SUITE_ENV=$RVKVM_CACHE/sid.env
	SUITE_OUT=$RVKVM_TOP/build/sid ;;
*)	echo "rvkvm: error: RVKVM_SUITE=$RVKVM_SUITE: trixie or sid" >&2
	exit 1 ;;
esac
TROOT=$RVKVM_CACHE/troot$SUITE_SFX

die() { echo "rvkvm: error: $*" >&2; exit 1; }
say() { echo "rvkvm: $*" >&2; }

# Install the host (bookworm) packages among $@ that are missing, from the
# system's own apt.
need_host_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	say "installing host packages: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# The Debian mirror the system already uses (never a name in the repo).
mirror_uri() {
	local u
	u=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources |
		awk '{print $2}' | grep -v -- '-security' | head -n1)
	[ -n "$u" ] || u=$(grep -hs '^deb ' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list | awk '$2 !~ /security/ {print $2}' |
		head -n1)
	[ -n "$u" ] || die "no Debian mirror found in the apt configuration"
	echo "${u%/}/"
}

# The suite's private apt state: never the system's sources.
APTD=$RVKVM_CACHE/apt$SUITE_SFX
APT_OPTS=(-o "Dir::Etc::sourcelist=$APTD/$RVKVM_SUITE.sources"
	-o Dir::Etc::sourceparts=/dev/null
	-o "Dir::State::Lists=$APTD/lists" -o "Dir::Cache=$APTD/cache"
	-o "Dir::State::status=$APTD/empty-status"
	-o APT::Architectures=amd64,riscv64 -o Debug::NoLocking=1
	-o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false)
# sid's Release expires within days; the mirror may serve an older one.

apt_update() {
	mkdir -p "$APTD/lists/partial" "$APTD/cache/archives/partial"
	: > "$APTD/empty-status"
	cat > "$APTD/$RVKVM_SUITE.sources" <<-EOF
	Types: deb
	URIs: $(mirror_uri)
	Suites: $RVKVM_SUITE
	Components: main
	Architectures: amd64 riscv64
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	# Fresh lists are reused for a day; RVKVM_REFRESH=1 forces an update.
	if [ -n "${RVKVM_REFRESH:-}" ] ||
	   [ -z "$(find "$APTD/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
		say "updating the private $RVKVM_SUITE package lists"
		apt-get "${APT_OPTS[@]}" update -qq
	fi
}

# fetch_qemu_closure DIR: the suite's riscv64 qemu-system-riscv and every
# package it needs, downloaded into DIR/debs and unpacked at DIR/root, to
# run inside an emulated host through its own ld.so.  Once per DIR.
fetch_qemu_closure() {
	local q=$1 f
	[ -f "$q/.done" ] && return
	say "downloading $RVKVM_SUITE's riscv64 closure of qemu-system-riscv"
	mkdir -p "$q/debs/partial"
	apt-get "${APT_OPTS[@]}" -o APT::Architecture=riscv64 \
		-o "Dir::Cache::archives=$q/debs" install -qq --download-only \
		--no-install-recommends -y qemu-system-riscv:riscv64 >/dev/null
	rm -rf "$q/root"
	for f in "$q"/debs/*.deb; do
		dpkg-deb -x "$f" "$q/root"
	done
	touch "$q/.done"
}

# qemu_sid DIR: sid's riscv64 QEMU (11) closure, fetched with sid's
# private apt state into DIR/qemu-rv64-sid-VERSION (fetch_qemu_closure;
# older versions there are removed), whatever suite this is.  Prints the
# closure's root.  Trixie's QEMU 10.0 migrates neither a RISC-V vCPU's MP
# state nor its privilege mode; sid's does (scripts/check-distro's
# restores, scripts/vmm-pack's /vmm/qemu-sid for tests/guest_migrate.sh).
qemu_sid() {
	(
		# sid's settings (this file again), in this subshell only.
		RVKVM_SUITE=sid
		# shellcheck source=/dev/null
		. "$RVKVM_TOP/scripts/lib.sh"
		apt_update
		v=$(apt-cache "${APT_OPTS[@]}" policy qemu-system-riscv:riscv64 |
			sed -n 's/^ *Candidate: //p')
		[ -n "$v" ] || die "sid has no qemu-system-riscv for riscv64"
		q=$1/qemu-rv64-sid-${v//[:~]/_}
		fetch_qemu_closure "$q"
		for d in "$1"/qemu-rv64-sid-*; do
			[ "$d" = "$q" ] || rm -rf "$d"
		done
		echo "$q/root"
	)
}

# Load the resolved versions (KV, KPKGVER, KBASE, KMM) if deps ran.
load_current() {
	[ -f "$SUITE_ENV" ] ||
		die "no $RVKVM_SUITE kernel resolved yet; run RVKVM_SUITE=$RVKVM_SUITE scripts/deps"
	# shellcheck disable=SC1090
	. "$SUITE_ENV"
	KC=$RVKVM_CACHE/$KV
}

# Run a command inside the suite's build root, with the repo and the cache
# bind-mounted at their own paths in a private mount namespace, so paths
# are the same inside and out and no mount outlives the command.
troot_run() {
	local dir=$PWD
	unshare -m --propagation private -- /bin/bash -c '
		set -e
		r=$1; shift; d=$1; shift
		for p in "$RVKVM_CACHE" "$RVKVM_TOP"; do
			mkdir -p "$r$p"
			mount --bind "$p" "$r$p"
		done
		for p in /proc /dev /sys /tmp; do
			mount --rbind "$p" "$r$p"
		done
		exec chroot "$r" /usr/bin/env -C "$d" HOME=/root \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' troot "$TROOT" "$dir" "$@"
}
export RVKVM_CACHE RVKVM_TOP RVKVM_SUITE
