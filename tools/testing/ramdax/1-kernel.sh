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

load_target "${1:?usage: $0 TARGET}"
need_root
[ -n "$TARGET_KERNEL_BUILD" ] || die "target $TARGET_NAME uses Debian's kernel: nothing to build"
[ -f "$TARGET_ROOT/.ramdax-root" ] || die "no root for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
fragment=$RAMDAX_TT/configs/${TARGET_KERNEL_CONFIG:?no TARGET_KERNEL_CONFIG in targets/$TARGET_NAME}
[ -f "$fragment" ] || die "no config fragment $fragment"

K=/ramdax-kernels/$TARGET_NAME		# inside the chroot
kdir=$TARGET_ROOT$K
stamp=$kdir/.ramdax-kernel
ccache=$RAMDAX_CACHE/ccache
mkdir -p "$kdir" "$TARGET_WORK" "$ccache"

# The driver as graft.sh takes it (RAMDAX_SRC, as for 2-build.sh).
hash=$(cd "${RAMDAX_SRC:-$RAMDAX_TOP}" && hash_inputs "$0" "$RAMDAX_TT/graft.sh" "$RAMDAX_TT/lib/common.sh" \
	"$fragment" "$TARGET_ROOT/.ramdax-root" $(ls Kbuild Makefile Kconfig *.c *.h))
if [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$TARGET_KERNEL_BUILD $hash" ]; then
	sed -n 's/^kernel=//p' "$stamp"
	exit 0
fi
rm -f "$stamp"
start=$(date +%s)

if ! in_root sh -c 'command -v ccache' >/dev/null; then
	log "kernel: installing ccache in the $TARGET_SUITE chroot"
	in_root apt-get update -qq -o Acquire::Check-Valid-Until=false >&2
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ccache \
		> "$TARGET_WORK/kernel.log" 2>&1 ||
		{ cat "$TARGET_WORK/kernel.log" >&2; die "kernel: cannot install ccache in $TARGET_ROOT"; }
fi

# The source package, unpacked once per chroot.
if [ ! -f "$kdir/src/Makefile" ]; then
	log "kernel: unpacking $TARGET_KERNEL_BUILD (once)"
	rm -rf "$kdir/src" "$kdir/deb" "$kdir"/*.deb
	in_root sh -c "cd $K && apt-get download -o APT::Sandbox::User=root -qq $TARGET_KERNEL_BUILD" >&2 ||
		die "kernel: cannot download $TARGET_KERNEL_BUILD"
	in_root sh -c "dpkg -x $K/${TARGET_KERNEL_BUILD}_*.deb $K/deb"
	mkdir "$kdir/src"
	tar -C "$kdir/src" --strip-components=1 -xaf "$(ls "$kdir"/deb/usr/src/"$TARGET_KERNEL_BUILD".tar.*)"
	rm -rf "$kdir/deb" "$kdir"/*.deb
fi
"$RAMDAX_TT/graft.sh" "$kdir/src"

# objtool reads /proc/self; ccache writes outside the chroot.  Unmount
# however we leave, so that 1-root.sh never deletes through a mount.
mounts=()
cleanup()
{
	local m

	# Lazily if a killed make still holds it: out of the tree either way.
	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
if ! mountpoint -q "$TARGET_ROOT/proc"; then
	mount -t proc proc "$TARGET_ROOT/proc"
	mounts+=("$TARGET_ROOT/proc")
fi
mkdir -p "$TARGET_ROOT/ramdax-ccache"
if ! mountpoint -q "$TARGET_ROOT/ramdax-ccache"; then
	mount --bind "$ccache" "$TARGET_ROOT/ramdax-ccache"
	mounts=("$TARGET_ROOT/ramdax-ccache" "${mounts[@]}")
fi

cp "$fragment" "$kdir/fragment.config"
kmake()
{
	in_root env CCACHE_DIR=/ramdax-ccache CCACHE_MAXSIZE=5G \
		KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=ramdax KBUILD_BUILD_HOST=ramdax \
		nice -n 19 make -C "$K/src" O="$K/build" ARCH=x86_64 CC="ccache gcc" \
		-j"$(nproc)" "$@"
}
log=$TARGET_WORK/kernel.log
: > "$log"
log "kernel: configuring (allnoconfig + $(basename "$fragment"))"
kmake KCONFIG_ALLCONFIG="$K/fragment.config" allnoconfig >> "$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "kernel: allnoconfig failed"; }
missing=$(grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$fragment" | while read -r line; do
	case $line in
	"# CONFIG_"*)
		sym=${line#\# }
		sym=${sym%% *}
		! grep -qE "^$sym=" "$kdir/build/.config" || echo "$line"
		;;
	*) grep -qxF -- "$line" "$kdir/build/.config" || echo "$line" ;;
	esac
done)
[ -z "$missing" ] || die "kernel: the config lost $(echo $missing) (a dependency missing from $(basename "$fragment")?)"

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
kmake INSTALL_MOD_PATH="$K/install" modules_install >> "$log" 2>&1 ||
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
