#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 1 (root): one Debian chroot per suite with the suite's compiler, kernel
# headers, kernel image and modules, and the user space the guests run
# (ndctl, daxctl, mkfs, fio, kexec).  Built once into $RAMDAX_CACHE, reused.
#
# A target with TARGET_KERNEL_BUILD gets its kernel from 1-kernel.sh instead,
# built in the same chroot, which this stage then runs.
#
# A target of another architecture (arm64) gets a root of that architecture
# for its kernel and user space only, run through qemu-user; its module is
# cross-built in the suite's host-architecture root (the native target of
# the same suite), to which its headers and cross compiler are added.
#
# usage: 1-root.sh TARGET      prints the chroot's path
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

BUILD_PACKAGES="gcc make libc6-dev bc kmod libelf-dev bison flex sparse"
GUEST_PACKAGES="ndctl daxctl e2fsprogs xfsprogs fio kexec-tools busybox-static jq
	util-linux procps file"

# Added to a root once it is built, under a stamp of their own, so that one
# more never rebuilds a root: PMDK (its tools, and the libraries and headers
# the pmdk helpers link against), and QEMU where a target's scenarios start a
# nested guest (TARGET_GUEST_QEMU=yes).  Not in a foreign-architecture root:
# apt under qemu-user takes minutes, and no arm64 scenario uses them.
EXTRA_PACKAGES="pmdk-tools libpmemobj-dev libpmem2-dev"

load_target "${1:?usage: $0 TARGET}"
need_root
need_host_tools
need_arch_tools "$TARGET_ARCH"
need_disk

# cross_root: the suite's host-architecture root (the native target of the
# same suite), which builds this target's module and fetches its packages.
cross_root()
{
	local native= t suite=$TARGET_SUITE host

	host=$(dpkg --print-architecture)
	for t in $(ls "$RAMDAX_TT/targets"); do
		if (TARGET_KERNEL_BUILD= && . "$RAMDAX_TT/targets/$t" &&
		    [ "$TARGET_SUITE" = "$suite" ] && [ "$TARGET_ARCH" = "$host" ] &&
		    [ -z "$TARGET_KERNEL_BUILD" ]); then
			native=$t
			break
		fi
	done
	[ -n "$native" ] ||
		die "$TARGET_NAME is cross-built in a $TARGET_SUITE/$host root: no target describes one"
	"$0" "$native" > /dev/null
	in_build_root dpkg --print-foreign-architectures | grep -qx "$TARGET_ARCH" && return 0
	in_build_root dpkg --add-architecture "$TARGET_ARCH"
	in_build_root apt-get update -qq -o Acquire::Check-Valid-Until=false >&2
}

# cross_tools KVER: the target's headers (with the host's kbuild tools: Debian's
# linux-kbuild is Multi-Arch: foreign), cross gcc and libc in the build root.
cross_tools()
{
	local pkgs stamp=$TARGET_BUILD_ROOT/.ramdax-cross-$TARGET_ARCH

	cross_root
	pkgs="linux-headers-$1:$TARGET_ARCH gcc-${TARGET_CROSS%-} libc6-dev-$TARGET_ARCH-cross"
	[ "$(cat "$stamp" 2>/dev/null)" != "$pkgs" ] || return 0
	log "root: adding $pkgs to the $TARGET_SUITE build root"
	# shellcheck disable=SC2086
	in_build_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o Acquire::Check-Valid-Until=false $pkgs > /dev/null ||
		die "cannot install $pkgs in $TARGET_BUILD_ROOT"
	echo "$pkgs" > "$stamp"
}

if [ -n "$TARGET_CROSS" ]; then
	want="kmod $GUEST_PACKAGES $TARGET_KERNEL_META"
	include="kmod $GUEST_PACKAGES"
else
	want="$BUILD_PACKAGES $GUEST_PACKAGES $TARGET_HEADERS_META $TARGET_KERNEL_META"
	include="$BUILD_PACKAGES $GUEST_PACKAGES $TARGET_HEADERS_META"
fi
stamp="$TARGET_ROOT/.ramdax-root"
extra_packages()
{
	local pkgs=$EXTRA_PACKAGES stamp=$TARGET_ROOT/.ramdax-extra-$TARGET_NAME

	[ -z "$TARGET_CROSS" ] || return 0
	[ "${TARGET_GUEST_QEMU:-}" != yes ] || pkgs="$pkgs qemu-system-x86"
	[ "$(cat "$stamp" 2>/dev/null)" != "$pkgs" ] || return 0
	log "root: adding $pkgs to the $TARGET_SUITE root"
	# shellcheck disable=SC2086
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Acquire::Check-Valid-Until=false $pkgs > /dev/null ||
		die "cannot install $pkgs in $TARGET_ROOT"
	echo "$pkgs" > "$stamp"
}
own_kernel()
{
	[ -z "$TARGET_KERNEL_BUILD" ] || "$(dirname "$0")/1-kernel.sh" "$TARGET_NAME" > /dev/null
}
if [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$(echo $want)" ]; then
	[ -z "$TARGET_CROSS" ] || cross_tools "$(sed -n 's/^kernel=//p' "$stamp")"
	extra_packages
	own_kernel
	echo "$TARGET_ROOT"
	exit 0
fi

mirror=$(ramdax_mirror)
need_mirror "$TARGET_SUITE"
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
	--include="$(echo $include | tr ' ' ',')" \
	"$TARGET_SUITE" "$TARGET_ROOT.tmp" "$mirror" >&2 ||
	die "mmdebstrap $TARGET_SUITE from $mirror failed"
mv "$TARGET_ROOT.tmp" "$TARGET_ROOT"

# The kernel is unpacked, not installed: installing it would run an initramfs
# generator for nothing.  Sid splits it into image, binary and modules packages.
# A foreign-architecture kernel is fetched, unpacked and depmod'ed in the build
# root, natively (under qemu-user apt, dpkg and depmod take minutes), then
# moved into the target's root.
if [ -n "$TARGET_CROSS" ]; then
	cross_root
	kin=in_build_root kroot=$TARGET_BUILD_ROOT kdir=/ramdax-kernel-$TARGET_ARCH
	meta=$TARGET_KERNEL_META:$TARGET_ARCH
else
	in_root apt-get update -qq -o Acquire::Check-Valid-Until=false >&2
	kin=in_root kroot=$TARGET_ROOT kdir=/ramdax-kernel meta=$TARGET_KERNEL_META
fi
pkgs=$($kin apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "$meta" |
	grep -E '^linux-(image|binary|modules)-[0-9]' | sort -u)
[ -n "$pkgs" ] || die "no kernel packages behind $TARGET_KERNEL_META in $TARGET_SUITE"
rm -rf "$kroot$kdir"
mkdir -p "$kroot$kdir/debs"
# shellcheck disable=SC2086
$kin sh -c "cd $kdir/debs && apt-get download -o APT::Sandbox::User=root -qq $(echo $pkgs)" >&2
for deb in "$kroot$kdir"/debs/*.deb; do
	$kin dpkg -x "$kdir/debs/$(basename "$deb")" "$kdir/"
done
rm -rf "$kroot$kdir/debs"

kver=$(basename "$(ls -d "$kroot$kdir"/{usr/,}lib/modules/*/ 2>/dev/null | head -n 1)")
[ -n "$kver" ] || die "no modules in the $TARGET_SUITE kernel packages"
if [ -n "$TARGET_CROSS" ]; then
	[ -e "$kroot$kdir/lib" ] || ln -s usr/lib "$kroot$kdir/lib"
	in_build_root depmod -b "$kdir" "$kver" 2>/dev/null
	mv "$kroot$kdir" "$TARGET_ROOT/ramdax-kernel"
fi
[ -z "$TARGET_CROSS" ] || cross_tools "$kver"
[ -d "$TARGET_BUILD_ROOT/usr/src/linux-headers-$kver" ] ||
	die "headers for $kver missing in $TARGET_SUITE (image and headers out of step on the mirror?)"
{ echo $want; echo "kernel=$kver"; echo "packages=$(echo $pkgs)"; } > "$stamp"
log "root: $TARGET_SUITE kernel $kver, ndctl $(in_root ndctl --version)"
extra_packages
own_kernel
echo "$TARGET_ROOT"
