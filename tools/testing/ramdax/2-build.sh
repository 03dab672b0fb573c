#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 2 (build): nd_ramdax.ko from the repo's root sources, built inside the
# target's chroot against its headers with its own gcc, W=1, warnings fatal;
# and the static guest helpers (guest/helpers/*.c).  A foreign-architecture
# target's are cross-built in the suite's host-architecture root (see
# load_target), whose kbuild tools run natively.
#
# usage: 2-build.sh [--sparse] [--helpers-only] TARGET
#   --sparse        also run sparse (C=2); any sparse warning fails
#   --helpers-only  skip the module (RAMDAX_DRIVER=upstream runs need none)
# env:  RAMDAX_SRC    directory holding the driver sources (default: repo root)
# out:  $TARGET_WORK/nd_ramdax.ko, $TARGET_WORK/helpers/, $TARGET_WORK/build.log
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

sparse=0 module=1
while [ $# -gt 1 ]; do
	case $1 in
	--sparse) sparse=1 ;;
	--helpers-only) module=0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
load_target "${1:?usage: $0 [--sparse] [--helpers-only] TARGET}"
need_root
load_kernel
# A kernel built by 1-kernel.sh has nd_ramdax.ko among its own modules.
[ -z "$TARGET_KERNEL_BUILD" ] || module=0
src=${RAMDAX_SRC:-$RAMDAX_TOP}
build=$TARGET_BUILD_ROOT$TARGET_BUILD_DIR
mkdir -p "$TARGET_WORK" "$build"

# objtool reads /proc/self; unmount however we leave.
mounted=
cleanup() { [ -z "$mounted" ] || umount "$TARGET_BUILD_ROOT/proc" 2>/dev/null || true; }
trap cleanup EXIT
if ! mountpoint -q "$TARGET_BUILD_ROOT/proc"; then
	mount -t proc proc "$TARGET_BUILD_ROOT/proc"
	mounted=1
fi

if [ $module = 1 ]; then
	[ -f "$src/ramdax.c" ] ||
		die "driver sources missing: no ramdax.c in $src (set RAMDAX_SRC, or RAMDAX_DRIVER=upstream on sid-7.2)"
	rm -rf "$build/src"
	mkdir -p "$build/src"
	(cd "$src" && cp -- $(ls Kbuild Makefile Kconfig *.c *.h 2>/dev/null) "$build/src/")
	rm -f "$TARGET_WORK/nd_ramdax.ko"
	check=
	[ $sparse = 0 ] || check="C=2 CHECK=sparse"
	log "build: nd_ramdax.ko for $TARGET_KVER${check:+ (sparse)}"
	if ! in_build_root make -C "$TARGET_KBUILD" M="$TARGET_BUILD_DIR/src" W=1 $check modules \
		> "$TARGET_WORK/build.log" 2>&1; then
		cat "$TARGET_WORK/build.log" >&2
		die "build: make failed for $TARGET_NAME"
	fi
	# sparse reports as "file:line:col: warning:" or "error:" too.
	if grep -E 'warning:|error:' "$TARGET_WORK/build.log" >&2; then
		die "build: warnings for $TARGET_NAME (W=1${check:+, sparse} must be clean)"
	fi
	# kbuild skips sparse without a word when scripts/checker-valid.sh is
	# missing (Debian's 7.2 headers; style.sh supplies it).
	if [ $sparse = 1 ] && ! grep -q '^  CHECK ' "$TARGET_WORK/build.log"; then
		die "build: sparse did not run for $TARGET_NAME (scripts/checker-valid.sh missing? see style.sh)"
	fi
	ko=$(ls "$build"/src/*.ko | head -n 1)
	[ -f "$ko" ] || die "build: no .ko produced"
	cp "$ko" "$TARGET_WORK/nd_ramdax.ko"
fi

# Static helpers, so the initramfs needs no libraries for them; those that
# say "ramdax-link: -lLIB" use a library of the suite (PMDK) and are linked
# against it dynamically (3-initramfs.sh copies what ldd names), or left out
# where the root lacks its headers (a cross-built target).
rm -rf "$build/helpers" "$TARGET_WORK/helpers"
mkdir -p "$build/helpers" "$TARGET_WORK/helpers"
cp "$RAMDAX_TT"/guest/helpers/*.h "$build/helpers/"
for c in "$RAMDAX_TT"/guest/helpers/*.c; do
	[ -f "$c" ] || continue
	n=$(basename "$c" .c)
	cp "$c" "$build/helpers/"
	link=(-static)
	libs=$(sed -n 's/^ \* ramdax-link: //p' "$c")
	if [ -n "$libs" ]; then
		hdr=$(sed -n 's/^#include <\(lib[a-z0-9]*\.h\)>$/\1/p' "$c" | head -n 1)
		if [ -n "$TARGET_CROSS" ] || [ ! -f "$TARGET_BUILD_ROOT/usr/include/$hdr" ]; then
			log "build: helper $n left out ($hdr not in the $TARGET_NAME build root)"
			continue
		fi
		read -r -a link <<< "$libs"
	fi
	in_build_root "${TARGET_CROSS}gcc" -O2 -Wall -Werror -o "$TARGET_BUILD_DIR/helpers/$n" \
		"$TARGET_BUILD_DIR/helpers/$n.c" "${link[@]}" >&2 || die "build: helper $n.c failed"
	cp "$build/helpers/$n" "$TARGET_WORK/helpers/"
done
log "build: $TARGET_NAME done"
