#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 1 (root): one Debian chroot per suite with the suite's compiler, kernel
# headers, kernel image and modules, and the user space the guests run
# (ndctl, daxctl, mkfs, fio, kexec).  Built once into $RAMDAX_CACHE, reused.
#
# A target with TARGET_KERNEL_BUILD gets its kernel from 1-kernel.sh instead,
# built in the same chroot, which this stage then runs.
#
# usage: 1-root.sh TARGET      prints the chroot's path
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

PACKAGES="gcc make libc6-dev bc kmod libelf-dev bison flex sparse
	ndctl daxctl e2fsprogs xfsprogs fio kexec-tools busybox-static jq
	util-linux procps file"

load_target "${1:?usage: $0 TARGET}"
need_root
need_host_tools
need_disk

want="$PACKAGES $TARGET_HEADERS_META $TARGET_KERNEL_META"
stamp="$TARGET_ROOT/.ramdax-root"
own_kernel()
{
	[ -z "$TARGET_KERNEL_BUILD" ] || "$(dirname "$0")/1-kernel.sh" "$TARGET_NAME" > /dev/null
}
if [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$(echo $want)" ]; then
	own_kernel
	echo "$TARGET_ROOT"
	exit 0
fi

mirror=$(ramdax_mirror)
log "root: building $TARGET_SUITE/$TARGET_ARCH chroot (once; cached in $TARGET_ROOT)"
# Never rm -rf through a /proc (or 1-kernel.sh's ccache) left mounted by an
# interrupted build.
for m in "$TARGET_ROOT"{,.tmp}/{proc,ramdax-ccache}; do
	! mountpoint -q "$m" || umount "$m" || die "cannot unmount $m"
done
rm -rf --one-file-system "$TARGET_ROOT" "$TARGET_ROOT.tmp"
mkdir -p "$(dirname "$TARGET_ROOT")"
# sid's Release file on a mirror snapshot may be past Valid-Until.
mmdebstrap --quiet --variant=apt --arch="$TARGET_ARCH" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--include="$(echo $PACKAGES $TARGET_HEADERS_META | tr ' ' ',')" \
	"$TARGET_SUITE" "$TARGET_ROOT.tmp" "$mirror" >&2 ||
	die "mmdebstrap $TARGET_SUITE from $mirror failed"
mv "$TARGET_ROOT.tmp" "$TARGET_ROOT"

# The kernel is unpacked, not installed: installing it would run an initramfs
# generator for nothing.  Sid splits it into image, binary and modules packages.
in_root apt-get update -qq -o Acquire::Check-Valid-Until=false >&2
pkgs=$(in_root apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "$TARGET_KERNEL_META" |
	grep -E '^linux-(image|binary|modules)-[0-9]' | sort -u)
[ -n "$pkgs" ] || die "no kernel packages behind $TARGET_KERNEL_META in $TARGET_SUITE"
mkdir -p "$TARGET_ROOT/ramdax-kernel/debs"
# shellcheck disable=SC2086
in_root sh -c "cd /ramdax-kernel/debs && apt-get download -o APT::Sandbox::User=root -qq $(echo $pkgs)" >&2
for deb in "$TARGET_ROOT"/ramdax-kernel/debs/*.deb; do
	in_root dpkg -x "/ramdax-kernel/debs/$(basename "$deb")" /ramdax-kernel/
done
rm -rf "$TARGET_ROOT/ramdax-kernel/debs"

kver=$(basename "$(ls -d "$TARGET_ROOT"/ramdax-kernel/{usr/,}lib/modules/*/ 2>/dev/null | head -n 1)")
[ -n "$kver" ] || die "no modules in the $TARGET_SUITE kernel packages"
[ -d "$TARGET_ROOT/usr/src/linux-headers-$kver" ] ||
	die "headers for $kver missing in $TARGET_SUITE (image and headers out of step on the mirror?)"
{ echo $want; echo "kernel=$kver"; echo "packages=$(echo $pkgs)"; } > "$stamp"
log "root: $TARGET_SUITE kernel $kver, ndctl $(in_root ndctl --version)"
own_kernel
echo "$TARGET_ROOT"
