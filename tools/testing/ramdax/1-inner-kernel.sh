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

load_target "${1:?usage: $0 TARGET}"
need_root
[ -n "${TARGET_INNER_KERNEL:-}" ] || die "target $TARGET_NAME names no TARGET_INNER_KERNEL"
[ -f "$TARGET_ROOT/.ramdax-root" ] || die "no root for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
fragment=$RAMDAX_TT/configs/inner.config

K=/ramdax-kernels/inner			# inside the chroot
kdir=$TARGET_ROOT$K
out=$kdir/build/arch/x86/boot/bzImage
stamp=$kdir/.ramdax-inner
hash=$(hash_inputs "$0" "$fragment" "$TARGET_ROOT/.ramdax-root")
if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$TARGET_INNER_KERNEL $hash" ]; then
	echo "$out"
	exit 0
fi
rm -f "$stamp"
start=$(date +%s)
mkdir -p "$kdir" "$RAMDAX_CACHE/ccache" "$TARGET_WORK"

in_root sh -c 'command -v ccache' > /dev/null ||
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ccache > /dev/null ||
	die "inner kernel: cannot install ccache in $TARGET_ROOT"
if [ ! -f "$kdir/src/Makefile" ]; then
	log "inner kernel: unpacking $TARGET_INNER_KERNEL (once)"
	rm -rf "$kdir/src" "$kdir/deb" "$kdir"/*.deb
	in_root sh -c "cd $K && apt-get download -o APT::Sandbox::User=root -qq $TARGET_INNER_KERNEL" >&2 ||
		die "inner kernel: cannot download $TARGET_INNER_KERNEL"
	in_root sh -c "dpkg -x $K/${TARGET_INNER_KERNEL}_*.deb $K/deb"
	mkdir "$kdir/src"
	tar -C "$kdir/src" --strip-components=1 -xaf "$(ls "$kdir"/deb/usr/src/"$TARGET_INNER_KERNEL".tar.*)"
	rm -rf "$kdir/deb" "$kdir"/*.deb
fi

mounts=()
cleanup()
{
	local m

	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$TARGET_ROOT/ramdax-ccache"
if ! mountpoint -q "$TARGET_ROOT/ramdax-ccache"; then
	mount --bind "$RAMDAX_CACHE/ccache" "$TARGET_ROOT/ramdax-ccache"
	mounts+=("$TARGET_ROOT/ramdax-ccache")
fi
cp "$fragment" "$kdir/fragment.config"
kmake()
{
	in_root env CCACHE_DIR=/ramdax-ccache CCACHE_MAXSIZE=5G \
		KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=ramdax KBUILD_BUILD_HOST=ramdax \
		nice -n 19 make -C "$K/src" O="$K/build" ARCH=x86_64 CC="ccache gcc" \
		-j"$(nproc)" "$@"
}
log=$TARGET_WORK/inner-kernel.log
log "inner kernel: allnoconfig + $(basename "$fragment"), then bzImage"
kmake KCONFIG_ALLCONFIG="$K/fragment.config" allnoconfig > "$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "inner kernel: allnoconfig failed"; }
lost=$(grep -E '^CONFIG_' "$fragment" | while read -r line; do
	grep -qxF -- "$line" "$kdir/build/.config" || echo "$line"
done)
[ -z "$lost" ] || die "inner kernel: the config lost $(echo $lost)"
kmake bzImage >> "$log" 2>&1 ||
	{ grep -E 'error|Error' "$log" | tail -n 30 >&2; die "inner kernel: build failed (see $log)"; }
echo "$TARGET_INNER_KERNEL $hash" > "$stamp"
log "inner kernel: $(du -h "$out" | cut -f1) bzImage in $(($(date +%s) - start)) s"
echo "$out"
