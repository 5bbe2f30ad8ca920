# SPDX-License-Identifier: GPL-2.0
# Shared settings for the rvkvm scripts; sourced, never run.
#
# Everything downloaded or built outside the repo lives under $RVKVM_CACHE:
#   apt/            private apt state for Debian trixie (lists, .debs)
#   troot/          trixie build root (mmdebstrap): gcc 14, kbuild, sparse
#   <KV>/           everything keyed by the resolved kernel version
#   current.env     which <KV> the last `scripts/deps` resolved

RVKVM_CACHE=${RVKVM_CACHE:-$HOME/.cache/rvkvm}
RVKVM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TROOT=$RVKVM_CACHE/troot

die() { echo "rvkvm: error: $*" >&2; exit 1; }
say() { echo "rvkvm: $*" >&2; }

# Load the resolved versions (KV, KPKGVER, KBASE, KMM) if deps ran.
load_current() {
	[ -f "$RVKVM_CACHE/current.env" ] || die "no kernel resolved yet; run scripts/deps"
	# shellcheck disable=SC1091
	. "$RVKVM_CACHE/current.env"
	KC=$RVKVM_CACHE/$KV
}

# Run a command inside the trixie build root, with the repo and the cache
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
export RVKVM_CACHE RVKVM_TOP
