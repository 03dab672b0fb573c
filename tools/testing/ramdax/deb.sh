#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package ramdax-dkms, built the way a Debian developer builds it:
# dpkg-buildpackage -us -uc in the target suite's chroot (debhelper and
# dh-dkms from that suite), from a copy of the repository's tracked files.
# Rebuilt only when an input changed.
#
# usage: deb.sh TARGET      prints the .deb's path
# out:   $TARGET_WORK/debs/ramdax-dkms_*.deb, $TARGET_WORK/debs/build.log
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

BUILD_DEPS="build-essential dpkg-dev debhelper dh-dkms fakeroot"

load_target "${1:?usage: $0 TARGET}"
need_root
out=$TARGET_WORK/debs
# The package's files: what git tracks, or the tree when it is no clone.
files=$(cd "$RAMDAX_TOP" && { git ls-files 2>/dev/null || find . -path ./.git -prune -o -type f -print; } |
	grep -v -e '^tools/' -e '^\.ci/' -e '^\./tools/' -e '^\./\.ci/' | sort)
hash=$( (cd "$RAMDAX_TOP" && echo "$files" | xargs sha256sum; sha256sum "$0") | sha256sum | cut -d' ' -f1)
deb=$(ls "$out"/ramdax-dkms_*.deb 2>/dev/null | head -n 1 || true)
if [ -n "$deb" ] && [ "$(cat "$out/.hash" 2>/dev/null)" = "$hash" ]; then
	echo "$deb"
	exit 0
fi

# shellcheck disable=SC2086
if ! in_build_root dpkg -s $BUILD_DEPS > /dev/null 2>&1; then
	log "deb: installing $BUILD_DEPS in the $TARGET_SUITE root"
	in_build_root apt-get update -qq -o Acquire::Check-Valid-Until=false > /dev/null 2>&1 || true
	# shellcheck disable=SC2086
	in_build_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o Acquire::Check-Valid-Until=false --no-install-recommends $BUILD_DEPS > /dev/null 2>&1 ||
		die "deb: cannot install $BUILD_DEPS in $TARGET_BUILD_ROOT"
fi

# dpkg-buildpackage writes next to the source directory.
top=/ramdax-deb
rm -rf "$TARGET_BUILD_ROOT$top"
mkdir -p "$TARGET_BUILD_ROOT$top/src"
(cd "$RAMDAX_TOP" && echo "$files" | cpio -pdm --quiet "$TARGET_BUILD_ROOT$top/src")
mkdir -p "$out"
rm -f "$out"/*.deb "$out/.hash"
start=$(date +%s)
if ! in_build_root sh -c "cd $top/src && dpkg-buildpackage -us -uc" > "$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	die "deb: dpkg-buildpackage failed for $TARGET_SUITE (log: $out/build.log)"
fi
cp "$TARGET_BUILD_ROOT$top"/ramdax-dkms_*.deb "$out/"
# The source package too: lintian reads the .changes.
cp "$TARGET_BUILD_ROOT$top"/ramdax_*.{dsc,tar.*,changes,buildinfo} "$out/" 2>/dev/null || true
rm -rf "$TARGET_BUILD_ROOT$top"
echo "$hash" > "$out/.hash"
log "deb: $(basename "$out"/ramdax-dkms_*.deb) for $TARGET_SUITE in $(($(date +%s) - start)) s"
ls "$out"/ramdax-dkms_*.deb
