#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 1, second half (root): the kernel of a target that builds its own
# (TARGET_KERNEL_BUILD=linux-source-X.Y in its targets/ file) instead of
# unpacking Debian's.  That source package, unpacked inside the suite's
# chroot, gets the driver grafted in tree (graft.sh) and is configured from
# allnoconfig plus configs/$TARGET_KERNEL_CONFIG (every line of which must
# survive olddefconfig), then built by the suite's gcc through ccache, at
# nice 19.  drivers/nvdimm/ramdax/ is first built alone with W=1 and sparse.
# Rebuilt only when an input changed; the ccache directory,
# $RAMDAX_CACHE/ccache, outlives the chroot.
#
# usage: 1-kernel.sh TARGET      (run by 1-root.sh TARGET) prints the release
# env:   RAMDAX_SRC   directory holding the driver sources (default: repo root)
# out:   $TARGET_ROOT/ramdax-kernels/$TARGET_NAME/: install/boot/vmlinuz-*,
#        install/lib/modules/*, build/ (O= tree, its .config), .ramdax-kernel
#        (the stamp load_kernel reads); $TARGET_WORK/kernel.log
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kbuild.sh"

load_target "${1:?usage: $0 TARGET}"
need_root
[ -n "$TARGET_KERNEL_BUILD" ] || die "target $TARGET_NAME uses Debian's kernel: nothing to build"
[ -f "$TARGET_ROOT/.ramdax-root" ] || die "no root for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
fragment=$RAMDAX_TT/configs/${TARGET_KERNEL_CONFIG:?no TARGET_KERNEL_CONFIG in targets/$TARGET_NAME}
[ -f "$fragment" ] || die "no config fragment $fragment"

KB_DIR=/ramdax-kernels/$TARGET_NAME	# inside the chroot
kdir=$TARGET_ROOT$KB_DIR
stamp=$kdir/.ramdax-kernel
mkdir -p "$kdir" "$TARGET_WORK"

# The driver as graft.sh takes it (RAMDAX_SRC, as for 2-build.sh).
hash=$(cd "${RAMDAX_SRC:-$RAMDAX_TOP}" && hash_inputs "$0" "$RAMDAX_TT/graft.sh" "$RAMDAX_TT/lib/common.sh" \
	"$RAMDAX_TT/lib/kbuild.sh" "$fragment" "$TARGET_ROOT/.ramdax-root" $(ls Kbuild Makefile Kconfig *.c *.h))
if [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$TARGET_KERNEL_BUILD $hash" ]; then
	sed -n 's/^kernel=//p' "$stamp"
	exit 0
fi
rm -f "$stamp"
start=$(date +%s)

kb_need_ccache
# The source package, unpacked once per chroot.
kb_unpack "$TARGET_KERNEL_BUILD"
"$RAMDAX_TT/graft.sh" "$kdir/src"
kb_mount proc

log=$TARGET_WORK/kernel.log
: > "$log"
log "kernel: configuring (allnoconfig + $(basename "$fragment"))"
kb_configure "$fragment" "$log"

log "kernel: W=1 and sparse on drivers/nvdimm/ramdax/"
kmake W=1 C=2 CHECK=sparse drivers/nvdimm/ramdax/ > "$kdir/ramdax-w1.log" 2>&1 ||
	{ cat "$kdir/ramdax-w1.log" >&2; die "kernel: drivers/nvdimm/ramdax/ does not build in tree"; }
cat "$kdir/ramdax-w1.log" >> "$log"
if grep -E 'drivers/nvdimm/ramdax/.*(warning|error):' "$kdir/ramdax-w1.log" >&2; then
	die "kernel: W=1 or sparse warnings in drivers/nvdimm/ramdax/"
fi
grep -q 'CHECK .*drivers/nvdimm/ramdax/ramdax.c' "$kdir/ramdax-w1.log" ||
	die "kernel: sparse did not run on drivers/nvdimm/ramdax/"

log "kernel: building $TARGET_KERNEL_BUILD with ccache (nice 19, $(nproc) jobs; cold: about half an hour)"
kmake bzImage modules >> "$log" 2>&1 ||
	{ grep -E 'error|Error' "$log" | tail -n 30 >&2; die "kernel: build failed (see $log)"; }
kver=$(kmake -s kernelrelease 2>/dev/null | tail -n 1)
[ -n "$kver" ] || die "kernel: no kernelrelease"
rm -rf "$kdir/install"
mkdir -p "$kdir/install/boot"
kmake INSTALL_MOD_PATH="$KB_DIR/install" modules_install >> "$log" 2>&1 ||
	die "kernel: modules_install failed"
cp "$kdir/build/arch/x86/boot/bzImage" "$kdir/install/boot/vmlinuz-$kver"
ko=$(find "$kdir/install/lib/modules/$kver" -name nd_ramdax.ko | head -n 1)
[ -n "$ko" ] || die "kernel: no nd_ramdax.ko among the modules (not grafted?)"
{ echo "$TARGET_KERNEL_BUILD $hash"; echo "kernel=$kver"; } > "$stamp"
# CPU seconds of every make above (children's utime + stime): what the
# build costs on a machine nobody else is using.
read -r -a st < "/proc/$$/stat"
cpu=$(((st[15] + st[16]) / $(getconf CLK_TCK)))
stats=$(in_root env CCACHE_DIR=/ramdax-ccache ccache --print-stats 2>/dev/null |
	awk -F'\t' '$1 ~ /^(direct_cache_hit|preprocessed_cache_hit|cache_miss)$/ { printf "%s=%s ", $1, $2 }')
log "kernel: $kver built in $(($(date +%s) - start)) s, $cpu CPU s; ccache: ${stats:-n/a}"
echo "$kver"
