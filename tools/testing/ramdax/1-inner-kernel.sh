#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 1, for a target whose guests start guests (TARGET_GUEST_QEMU=yes):
# the inner guests' kernel, a small one built from the suite's Linux source
# package (TARGET_INNER_KERNEL, e.g. linux-source-7.2) in the target's
# chroot: allnoconfig plus configs/inner.config, every line of which must
# survive, through ccache.  Debian's own kernel takes minutes to boot under
# TCG inside a TCG guest; this one boots in seconds there.
# Rebuilt only when the fragment or the root changed.
#
# usage: 1-inner-kernel.sh TARGET      prints the bzImage's path (host side)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kbuild.sh"

load_target "${1:?usage: $0 TARGET}"
need_root
[ -n "${TARGET_INNER_KERNEL:-}" ] || die "target $TARGET_NAME names no TARGET_INNER_KERNEL"
[ -f "$TARGET_ROOT/.ramdax-root" ] || die "no root for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
fragment=$RAMDAX_TT/configs/inner.config

KB_DIR=/ramdax-kernels/inner		# inside the chroot
kdir=$TARGET_ROOT$KB_DIR
out=$kdir/build/arch/x86/boot/bzImage
stamp=$kdir/.ramdax-inner
hash=$(hash_inputs "$0" "$RAMDAX_TT/lib/kbuild.sh" "$fragment" "$TARGET_ROOT/.ramdax-root")
if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$TARGET_INNER_KERNEL $hash" ]; then
	echo "$out"
	exit 0
fi
rm -f "$stamp"
start=$(date +%s)
mkdir -p "$kdir" "$TARGET_WORK"

kb_need_ccache
kb_unpack "$TARGET_INNER_KERNEL"
kb_mount
log=$TARGET_WORK/inner-kernel.log
: > "$log"
log "inner kernel: allnoconfig + $(basename "$fragment"), then bzImage"
kb_configure "$fragment" "$log"
kmake bzImage >> "$log" 2>&1 ||
	{ grep -E 'error|Error' "$log" | tail -n 30 >&2; die "inner kernel: build failed (see $log)"; }
echo "$TARGET_INNER_KERNEL $hash" > "$stamp"
log "inner kernel: $(du -h "$out" | cut -f1) bzImage in $(($(date +%s) - start)) s"
echo "$out"
