#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 3 (initramfs): the guest's whole user space, taken from the target's
# chroot so that tools and kernel match: busybox, ndctl/daxctl, kmod, mkfs,
# fio, kexec, jq, PMDK's pmempool (and QEMU on a target that nests guests)
# with their libraries (ldd run in the chroot, on the helpers too), the kernel
# modules the scenarios use (decompressed, depmod'ed by the suite's kmod),
# nd_ramdax.ko under updates/, the kernel image as /boot/vmlinuz (for kexec)
# and the nested guests' as /boot/inner-vmlinuz (1-inner-kernel.sh),
# the helpers, guest/init and the scenarios.
# Rebuilt only when an input changed.  A foreign-architecture chroot's ldd,
# depmod and modprobe run through qemu-user (binfmt_misc, see
# need_arch_tools): the same commands, the target's own loader and kmod.
#
# usage: 3-initramfs.sh TARGET      prints the initramfs path
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

# Looked up with the suite's `command -v`; a missing one is left out.
TOOLS="ndctl daxctl kmod mke2fs mkfs.ext4 e2fsck dumpe2fs tune2fs
	mkfs.xfs xfs_repair xfs_io xfs_db fio kexec jq mount umount pmempool"
KMOD_NAMES="modprobe insmod rmmod lsmod depmod modinfo"
# With their dependencies; those a kernel lacks (or has built in) are skipped.
MODULES="libnvdimm nd_pmem nd_btt nd_e820 of_pmem device_dax dax_pmem kmem fsdev_dax
	ext4 xfs ramdax nfit brd 9p 9pnet_virtio overlay"
# A target whose scenarios start a nested guest (TARGET_GUEST_QEMU=yes) gets
# QEMU and the firmware it loads: SeaBIOS and the option ROMs -kernel uses.
QEMU_TOOLS="qemu-system-x86_64"
QEMU_FILES="/usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin
	/usr/share/qemu/kvmvapic.bin /usr/share/qemu/qboot.rom"

load_target "${1:?usage: $0 TARGET}"
need_root
files=
if [ "${TARGET_GUEST_QEMU:-}" = yes ]; then
	TOOLS="$TOOLS $QEMU_TOOLS"
	files=$QEMU_FILES
fi
load_kernel
mkdir -p "$TARGET_WORK"

# The nested guests' own small kernel (1-inner-kernel.sh).
inner=
[ "${TARGET_GUEST_QEMU:-}" != yes ] || inner=$("$RAMDAX_TT/1-inner-kernel.sh" "$TARGET_NAME")

config=$TARGET_BUILD_ROOT$TARGET_KBUILD/.config
if grep -q '^CONFIG_RD_ZSTD=y' "$config" 2>/dev/null; then
	ext=zst compress="zstd -q -T0 -10"
else
	ext=gz compress="gzip -6"
fi
out=$TARGET_WORK/initramfs.cpio.$ext
hash=$(hash_inputs "$0" "$RAMDAX_TT/lib/common.sh" "$TARGET_KSTAMP" \
	"$RAMDAX_TT/guest" "$RAMDAX_TT/scenarios" "$TARGET_WORK/nd_ramdax.ko" \
	"$TARGET_WORK/helpers" $inner)
if [ -f "$out" ] && [ "$(cat "$out.hash" 2>/dev/null)" = "$hash" ]; then
	echo "$out"
	exit 0
fi
log "initramfs: building for $TARGET_NAME ($TARGET_KVER)"
rm -f "$TARGET_WORK"/initramfs.cpio.*

# Staged inside the chroot, so the suite's ldd, depmod and ldconfig see it.
D=/ramdax-build/initramfs
H=$TARGET_ROOT$D
rm -rf "$H"
mkdir -p "$H"/usr/{bin,sbin,lib,lib64} "$H"/{proc,sys,dev,tmp,run,mnt,root,etc,scenarios}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$H/$d"; done

# The helpers first: those linked against a suite library (PMDK) need theirs.
[ ! -d "$TARGET_WORK/helpers" ] || cp "$TARGET_WORK"/helpers/* "$H/usr/bin/" 2>/dev/null || true

# Binaries and every library ldd names (and the loader), at their own paths.
in_root env D="$D" TOOLS="$TOOLS" KMOD_NAMES="$KMOD_NAMES" FILES="$files" sh -eu <<'IN_ROOT'
copy() {
	mkdir -p "$D$(dirname "$1")"
	rm -f "$D$1"
	cp -L "$1" "$D$1"
}
staged=
for t in $TOOLS; do
	p=$(command -v "$t") || { echo "initramfs: no $t in this suite, busybox's if any" >&2; continue; }
	copy "$p"
	staged="$staged $D$p"
done
# One ldd pass over the tools and the helpers.
libs=
for b in $(printf '%s\n' $staged "$D"/usr/bin/* | sort -u); do
	libs="$libs $(ldd "$b" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')"
done
for l in $(printf '%s\n' $libs | sort -u); do copy "$l"; done
for f in $FILES; do copy "$f"; done
[ -z "$FILES" ] || ln -sf ../seabios/bios-256k.bin "$D/usr/share/qemu/bios-256k.bin"
for n in $KMOD_NAMES; do
	rm -f "$D/usr/sbin/$n"
	ln -s ../bin/kmod "$D/usr/sbin/$n"
done
# busybox for everything else, where no real tool was copied.
cp /usr/bin/busybox "$D/usr/bin/busybox"
for a in $(/usr/bin/busybox --list-full); do
	[ -e "$D/$a" ] || [ -L "$D/$a" ] || ln -s /usr/bin/busybox "$D/$a"
done
for f in /etc/ld.so.conf /etc/ld.so.conf.d /etc/mke2fs.conf; do
	[ -e "$f" ] && cp -a "$f" "$D/etc/"
done
ldconfig -r "$D"
IN_ROOT

# Kernel modules: the suite's modprobe resolves dependencies (-C /dev/null:
# no install hooks such as ndctl's load-keys), decompressed on the way in so
# that any insmod loads them.
[ -f "$TARGET_ROOT$TARGET_KMODDIR/modules.dep" ] ||
	in_root depmod -b "$TARGET_KBASE" "$TARGET_KVER" 2>/dev/null
mods=$(for m in $MODULES; do
	in_root modprobe -C /dev/null -d "$TARGET_KBASE" -S "$TARGET_KVER" \
		--show-depends "$m" 2>/dev/null || log "initramfs: module $m: not in $TARGET_KVER, or built in"
done | awk '$1 == "insmod" { print $2 }' | sort -u)
kdir=$H/lib/modules/$TARGET_KVER
for m in $mods; do
	rel=${m#"$TARGET_KMODDIR"/}
	dst=$kdir/${rel%.*}
	mkdir -p "$(dirname "$dst")"
	case $m in
	*.ko.xz) xz -dc "$TARGET_ROOT$m" > "$dst" ;;
	*.ko.zst) zstd -qdc "$TARGET_ROOT$m" > "$dst" ;;
	*.ko.gz) gzip -dc "$TARGET_ROOT$m" > "$dst" ;;
	*) cp "$TARGET_ROOT$m" "$kdir/$rel" ;;
	esac
done
# Sid's split packages ship no modules.builtin/order: empty ones keep depmod quiet.
for f in modules.builtin modules.builtin.modinfo modules.order; do
	if [ -f "$TARGET_ROOT$TARGET_KMODDIR/$f" ]; then
		cp "$TARGET_ROOT$TARGET_KMODDIR/$f" "$kdir/"
	else
		: > "$kdir/$f"
	fi
done
if [ -f "$TARGET_WORK/nd_ramdax.ko" ]; then
	mkdir -p "$kdir/updates"
	cp "$TARGET_WORK/nd_ramdax.ko" "$kdir/updates/"
fi
in_root depmod -b "$D" "$TARGET_KVER"

# The kernel image, for scenarios that kexec into the same kernel.
mkdir -p "$H/boot"
cp "$TARGET_VMLINUZ" "$H/boot/vmlinuz"
[ -z "$inner" ] || cp "$inner" "$H/boot/inner-vmlinuz"

# Ours: init, the helper library, the helpers, the scenarios.
install -m 755 "$RAMDAX_TT/guest/init" "$H/init"
mkdir -p "$H/lib/ramdax"
cp "$RAMDAX_TT"/guest/lib/*.sh "$H/lib/ramdax/"
for s in "$RAMDAX_TT"/scenarios/*; do
	[ -x "$s" ] && cp "$s" "$H/scenarios/"
done

(cd "$H" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | $compress > "$out.tmp"
mv "$out.tmp" "$out"
echo "$hash" > "$out.hash"
log "initramfs: $out, $(du -h "$out" | cut -f1) ($(du -sh "$H" | cut -f1) unpacked, $(echo $mods | wc -w) modules)"
echo "$out"
