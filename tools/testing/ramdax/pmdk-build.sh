#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PMDK's own unit tests, built from Debian's pmdk source package inside the
# target's chroot, for a guest to run against the driver's persistent memory
# (src/test/RUNTESTS for the shell tests and RUNTESTS.py for the Python ones,
# with a testconfig.sh and testconfig.py naming the guest's DAX mount and
# device-dax devices).  The libpmem* packages carry the libraries only; the
# test programs, their helpers (src/test/tools) and the runner exist only in
# the source tree, and link against the tree's own debug and nondebug builds.
#
# The libraries are built as debian/rules builds them (dpkg-buildflags with
# hardening=+all, NORPATH=1, no examples or benchmarks); the tests with the
# same flags, but without the static builds (BUILD_STATIC=n), which Debian's
# testconfig.sh does not run either (TEST_BUILD="debug nondebug").  Only the
# test programs of the chosen groups are built.  A stamp holding the source
# version, the groups and a hash of this script skips all of it on the next
# run; the package lists are not refreshed then (1-root.sh refreshes the
# root), so a new pmdk upload is built once those lists name it.
#
# usage: pmdk-build.sh TARGET
# env:  RAMDAX_PMDK_GROUPS  test name prefixes to build (default: "pmem2 pmem obj pmempool")
# out:  on stdout, the test directory (src/test) as seen inside the chroot;
#       the build log in /ramdax-build/pmdk/build.log inside the chroot
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

load_target "${1:?usage: $0 TARGET}"
need_root
[ -z "$TARGET_CROSS" ] ||
	die "pmdk: $TARGET_NAME is a foreign-architecture target; PMDK's tests are built in its own root only"
[ -d "$TARGET_ROOT" ] || die "no root for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
groups=${RAMDAX_PMDK_GROUPS:-pmem2 pmem obj pmempool}
dir=$TARGET_BUILD_DIR/pmdk		# inside the chroot
host_dir=$TARGET_ROOT$dir
stamp=$host_dir/.ramdax-pmdk
buildlog=$host_dir/build.log
start=$SECONDS
mkdir -p "$host_dir"

# The candidate source version, from the package lists the root has.
src_version() { { in_root apt-cache showsrc pmdk 2>/dev/null || true; } | sed -n 's/^Version: //p' | sort -V | tail -n 1; }

# elapsed SINCE: seconds since SINCE, for the log.
elapsed() { echo "$((SECONDS - $1))s"; }

# tree_of VERSION: the unpacked source tree, inside the chroot.
tree_of() { local v=${1#*:}; echo "$dir/pmdk-${v%-*}"; }

# What the build depends on besides the source: this script (flags, steps).
recipe=$(hash_inputs "$RAMDAX_TT/pmdk-build.sh")
version=$(src_version)
if [ -n "$version" ] && [ -f "$stamp" ] &&
	[ "$(cat "$stamp")" = "version=$version groups=$groups recipe=$recipe" ] &&
	[ -x "$TARGET_ROOT$(tree_of "$version")/src/test/RUNTESTS" ]; then
	log "pmdk: $version already built for $TARGET_NAME ($groups), $(elapsed $start)"
	echo "$(tree_of "$version")/src/test"
	exit 0
fi

: > "$buildlog"

# Package scripts and the build may read /proc; unmount however we leave.
mounted=
cleanup() { [ -z "$mounted" ] || umount "$TARGET_ROOT/proc" 2>/dev/null || true; }
trap cleanup EXIT
if ! mountpoint -q "$TARGET_ROOT/proc"; then
	mount -t proc proc "$TARGET_ROOT/proc"
	mounted=1
fi

# deb-src for apt-get source: the root's sources name binary packages only.
t=$SECONDS
added=
list=$TARGET_ROOT/etc/apt/sources.list
if [ -f "$list" ] && ! grep -q '^deb-src ' "$list" && grep -q '^deb ' "$list"; then
	src_lines=$(sed -n 's/^deb /deb-src /p' "$list")
	printf '%s\n' "$src_lines" >> "$list"
	added=1
fi
for f in "$TARGET_ROOT"/etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	if grep -q '^Types:[[:space:]]*deb[[:space:]]*$' "$f"; then
		sed -i 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$f"
		added=1
	fi
done
if [ -n "$added" ] || [ -z "$version" ]; then
	log "pmdk: apt-get update (deb-src)"
	in_root apt-get -o Acquire::Check-Valid-Until=false update -qq >> "$buildlog" 2>&1 || {
		cat "$buildlog" >&2
		die "pmdk: apt-get update failed in the $TARGET_NAME root"
	}
	version=$(src_version)
fi
[ -n "$version" ] || die "pmdk: no pmdk source package known to the $TARGET_NAME root"
upstream=${version#*:}
upstream=${upstream%-*}
tree=$(tree_of "$version")
host_tree=$TARGET_ROOT$tree
log "pmdk: source $version, apt set-up $(elapsed $t)"

t=$SECONDS
log "pmdk: apt-get build-dep pmdk"
in_root env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q \
	-o DPkg::Lock::Timeout=600 --no-install-recommends pmdk \
	>> "$buildlog" 2>&1 || {
	tail -n 30 "$buildlog" >&2
	die "pmdk: apt-get build-dep pmdk failed"
}
log "pmdk: build-dep $(elapsed $t)"

# apt-get source unpacks with dpkg-source, which needs the .dsc; a mirror
# or proxy without it still hands over the tarballs, checked against the
# Sources index, and those are unpacked (and the quilt series applied) here.
t=$SECONDS
rm -f "$stamp"
rm -rf "${host_dir:?}"/pmdk-* "${host_dir:?}"/pmdk_*
if ! in_root sh -c "cd '$dir' && apt-get source -q pmdk" >> "$buildlog" 2>&1; then
	orig='' deb=''
	for f in "$host_dir"/pmdk_"$upstream".orig.tar.*; do
		case $f in *.asc) ;; *) [ -f "$f" ] && orig=$f ;; esac
	done
	for f in "$host_dir"/pmdk_"${version#*:}".debian.tar.*; do
		[ -f "$f" ] && deb=$f
	done
	if [ -z "$orig" ] || [ -z "$deb" ]; then
		tail -n 30 "$buildlog" >&2
		die "pmdk: apt-get source pmdk failed"
	fi
	log "pmdk: apt-get source could not unpack (no .dsc?); unpacking the tarballs"
	rm -rf "$host_tree"
	mkdir -p "$host_tree"
	# The root's tar and patch (dpkg-dev's), not the host's.
	in_root tar -xf "$dir/${orig##*/}" -C "$tree" --strip-components=1
	in_root tar -xf "$dir/${deb##*/}" -C "$tree"
	if [ -f "$host_tree/debian/patches/series" ]; then
		sed 's/#.*//; /^[[:space:]]*$/d' "$host_tree/debian/patches/series" |
			while read -r p _; do
				in_root patch -d "$tree" -s -p1 -i "debian/patches/$p" ||
					die "pmdk: debian/patches/$p does not apply"
			done
	fi
fi
[ -f "$host_tree/src/test/RUNTESTS" ] || die "pmdk: no $tree/src/test/RUNTESTS after unpacking"
log "pmdk: source unpacked in $tree, $(elapsed $t)"

# As debian/rules' override_dh_auto_test: its testconfig (a default; the
# guest writes its own), and no obj_pool/TEST34 (a 33 GB fallocate).
cp "$host_tree"/debian/testconfig.sh "$host_tree"/debian/testconfig.py "$host_tree/src/test/"
rm -f "$host_tree/src/test/obj_pool/TEST34"

# The test directories of the groups, as src/test/Makefile knows them.
tests=()
for g in $groups; do
	for d in "$host_tree"/src/test/"${g}"_*/; do
		d=$(basename "$d")
		[ -f "$host_tree/src/test/$d/Makefile" ] || continue
		grep -qE "^[[:space:]]*(PMEM2_TESTS \+= )?$d\\\\?\$" "$host_tree/src/test/Makefile" ||
			continue
		tests+=("$d")
	done
done
[ ${#tests[@]} -gt 0 ] || die "pmdk: no tests found for groups: $groups"

args="prefix=/usr libdir=/usr/lib/$(in_root dpkg-architecture -qDEB_HOST_MULTIARCH) sysconfdir=/etc NORPATH=1 BUILD_EXAMPLES=n BUILD_BENCHMARKS=n BUILD_STATIC=n"
# CMake 4 refuses the bundled miniasync's cmake_minimum_required(3.3).
# shellcheck disable=SC2016 # expanded by the chroot's sh
flags='eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)" &&
	export CMAKE_POLICY_VERSION_MINIMUM=3.5'
# pmdk_make WHAT DIR TARGET...: make -j2 in DIR of the tree, with the flags;
# on failure the compiler's errors from the log, and stop.
pmdk_make()
{
	local what=$1 sub=$2 t=$SECONDS

	shift 2
	log "pmdk: building $what (make -j2)"
	in_root sh -c "$flags && cd '$tree/$sub' && make -j2 $args $*" >> "$buildlog" 2>&1 || {
		grep -E -B2 -A8 'error:|Error [0-9]|CMake Error' "$buildlog" | head -n 60 >&2
		die "pmdk: $what: build failed (see $buildlog)"
	}
	log "pmdk: $what $(elapsed $t)"
}
touch "$host_tree/.skip-doc"
pmdk_make "the libraries and tools" src
pmdk_make "${#tests[@]} test programs ($groups)" src/test "${tests[@]}" envconfig.sh envconfig.py

echo "version=$version groups=$groups recipe=$recipe" > "$stamp"
log "pmdk: $TARGET_NAME done in $(elapsed $start)"
echo "$tree/src/test"
