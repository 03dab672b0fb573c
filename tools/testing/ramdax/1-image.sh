#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 1 (image), for targets with TARGET_IMAGE=yes: a bootable Debian
# system as a raw ext4 disk image, booted by 4-boot.sh with its own kernel
# and initramfs (extracted from the image before each start): systemd, udev,
# the suite's kernel and headers installed the Debian way (initramfs-tools
# built /boot/initrd.img-KVER), DKMS and its compiler, ndctl/daxctl, mkfs,
# kexec-tools.  apt works offline in the guest: the lists are kept, and the
# suite's rt kernel flavour (a kernel upgrade scenarios can install) waits
# in /var/cache/apt/archives.
#
# Baked in: ramdax-test.service, which mounts the test disk (LABEL=ramdaxtest,
# made per run by 4-boot.sh) at /ramdax-test and runs its "run" (the runner,
# guest/image-run): harness changes need no image rebuild.
#
# Cached in $RAMDAX_CACHE/images/TARGET/: root/ (the tree) and base.img,
# rebuilt when this script, the target file or a baked file changes.
#
# usage: 1-image.sh TARGET                  prints base.img's path
#        1-image.sh --installed TARGET DEB  base.img with DEB installed
#                                           (cached per DEB); prints its path
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

IMAGE_PACKAGES="systemd systemd-sysv udev dbus mount initramfs-tools zstd busybox
	linux-image-amd64 linux-headers-amd64 dkms gcc make libc6-dev
	ndctl daxctl e2fsprogs xfsprogs kexec-tools jq util-linux procps kmod fio file"
# What a "kernel upgrade" scenario installs from the guest's apt cache.
IMAGE_LATER="linux-image-rt-amd64 linux-headers-rt-amd64"
IMAGE_SIZE=5G
# Units a test guest has no use for and that only slow its boot or wake up
# during a test.
IMAGE_MASK="systemd-networkd-wait-online.service apt-daily.timer
	apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service
	fstrim.timer dpkg-db-backup.timer man-db.timer systemd-firstboot.service
	systemd-tmpfiles-clean.timer xfs_healer_start.service modprobe@drm.service"

installed=
if [ "${1:-}" = --installed ]; then
	installed=${3:?usage: $0 --installed TARGET DEB}
	shift
fi
load_target "${1:?usage: $0 TARGET}"
[ "${TARGET_IMAGE:-}" = yes ] || die "$TARGET_NAME is no image target (TARGET_IMAGE=yes)"
need_root
need_disk

images=$RAMDAX_CACHE/images/$TARGET_NAME
root=$images/root
baked=$RAMDAX_TT/guest/image
inputs=$(hash_inputs "$0" "$RAMDAX_TT/targets/$TARGET_NAME" "$baked")
# 4-boot.sh builds the installed variant: guests booted in parallel wait.
mkdir -p "$images"
exec {lock}> "$images/.lock"
flock "$lock"

# in_image DIR CMD...: CMD in the image tree DIR, /proc mounted.
in_image()
{
	local dir=$1 rc=0

	shift
	mount -t proc proc "$dir/proc"
	chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
	umount "$dir/proc"
	return $rc
}

# make_fs DIR IMG: a sparse ext4 image of DIR.
make_fs()
{
	rm -f "$2" "$2.tmp"
	truncate -s "$IMAGE_SIZE" "$2.tmp"
	mkfs.ext4 -q -F -L ramdaxroot -d "$1" "$2.tmp" >&2 || die "mkfs.ext4 -d $1 failed"
	mv "$2.tmp" "$2"
}

# unmount_all DIR: what an interrupted build left mounted under DIR.
unmount_all()
{
	local m

	for m in $(findmnt -rno TARGET | grep "^$1/" | sort -r); do
		umount -l "$m" || die "cannot unmount $m"
	done
}

build_base()
{
	local mirror start m

	mirror=$(ramdax_mirror)
	need_mirror "$TARGET_SUITE"
	start=$(date +%s)
	log "image: building $TARGET_NAME (once; cached in $images)"
	unmount_all "$images"
	rm -rf --one-file-system "$root" "$root.tmp" "$images/base.img"
	mkdir -p "$images"
	# Lists and the apt cache stay: the guest has no network.  No
	# Recommends, in mmdebstrap as later in the guest.
	mmdebstrap --quiet --variant=apt --arch="$TARGET_ARCH" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Install-Recommends "false"' \
		--include="$(echo $IMAGE_PACKAGES | tr ' ' ',')" \
		--skip=cleanup/apt/lists,cleanup/apt/cache \
		--customize-hook='chroot "$1" apt-get clean' \
		--customize-hook="chroot \"\$1\" apt-get install --download-only -y -qq $IMAGE_LATER" \
		"$TARGET_SUITE" "$root.tmp" "$mirror" >&2 ||
		die "mmdebstrap $TARGET_SUITE from $mirror failed"

	# A fixed machine-id: no first-boot setup, and one journal across boots.
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$root.tmp/etc/machine-id"
	echo >> "$root.tmp/etc/machine-id"
	# Not "ramdax": journal lines carry the host name, and a grep for the
	# driver would match them all.
	echo vmhost > "$root.tmp/etc/hostname"
	printf '127.0.1.1\tvmhost\n' >> "$root.tmp/etc/hosts"
	echo '/dev/vda / ext4 errors=remount-ro 0 1' > "$root.tmp/etc/fstab"
	# Persistent journal: a scenario reads the previous boot's (-b -1).
	mkdir -p "$root.tmp/var/log/journal"
	# Root logs in on the console without a password (RAMDAX_CONSOLE=stdio).
	sed -i 's/^root:[^:]*:/root::/' "$root.tmp/etc/shadow"
	# Reboots are reboots: kexec happens only when a scenario asks for it.
	echo 'LOAD_KEXEC=false' > "$root.tmp/etc/default/kexec"
	for m in $IMAGE_MASK; do
		ln -sf /dev/null "$root.tmp/etc/systemd/system/$m"
	done
	install -D -m 644 "$baked/ramdax-test.service" \
		"$root.tmp/etc/systemd/system/ramdax-test.service"
	install -D -m 755 "$baked/ramdax-test-start" "$root.tmp/usr/local/sbin/ramdax-test-start"
	mkdir -p "$root.tmp/etc/systemd/system/multi-user.target.wants" "$root.tmp/ramdax-test"
	ln -sf ../ramdax-test.service "$root.tmp/etc/systemd/system/multi-user.target.wants/"

	for m in vmlinuz initrd.img; do
		[ -e "$root.tmp/$m" ] || die "no /$m in the image (kernel not installed the Debian way?)"
	done
	ls "$root.tmp"/var/cache/apt/archives/linux-image-*.deb > /dev/null ||
		die "no $IMAGE_LATER in the image's apt cache"
	mv "$root.tmp" "$root"
	make_fs "$root" "$images/base.img"
	{
		echo "$inputs"
		echo "kernel=$(basename "$(readlink "$root/vmlinuz")" | sed 's/^vmlinuz-//')"
		echo "seconds=$(($(date +%s) - start))"
	} > "$images/base.stamp"
	log "image: $TARGET_NAME built in $(($(date +%s) - start)) s ($(du -sh --apparent-size "$root" | cut -f1) tree)"
}

# build_installed DEB: the base tree with DEB installed (DKMS builds the
# module in the image, for its kernel), as installed.img.
build_installed()
{
	local deb=$1 key tree=$images/installed start kvers

	key="$inputs $(sha256sum < "$deb" | cut -d' ' -f1)"
	if [ -f "$images/installed.img" ] &&
	   [ "$(head -n 1 "$images/installed.stamp" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	start=$(date +%s)
	log "image: $TARGET_NAME with $(basename "$deb") installed"
	unmount_all "$images"
	rm -rf --one-file-system "$tree" "$images/installed.img"
	rsync -ax "$root/" "$tree/"
	mkdir -p "$tree/tmp/ramdax-debs"
	cp "$deb" "$tree/tmp/ramdax-debs/"
	in_image "$tree" apt-get install -y -qq "/tmp/ramdax-debs/$(basename "$deb")" >&2 ||
		die "apt-get install $(basename "$deb") failed in the $TARGET_NAME image"
	rm -rf "$tree/tmp/ramdax-debs"
	# The postinst may or may not have: the initramfs must hold what the
	# package put in place (modules, modprobe.d) for every kernel.
	in_image "$tree" update-initramfs -u -k all >&2 ||
		die "update-initramfs failed in the $TARGET_NAME image"
	kvers=$(ls "$tree/lib/modules")
	log "image: dkms status: $(in_image "$tree" dkms status 2>&1 | xargs)"
	make_fs "$tree" "$images/installed.img"
	rm -rf --one-file-system "$tree"
	{ echo "$key"; echo "kernels=$(echo "$kvers" | xargs)"; echo "seconds=$(($(date +%s) - start))"; } \
		> "$images/installed.stamp"
	log "image: $TARGET_NAME installed variant built in $(($(date +%s) - start)) s"
}

if [ ! -f "$images/base.img" ] || [ ! -d "$root" ] ||
   [ "$(head -n 1 "$images/base.stamp" 2>/dev/null)" != "$inputs" ]; then
	build_base
fi
if [ -n "$installed" ]; then
	[ -f "$installed" ] || die "no package $installed"
	build_installed "$installed"
	echo "$images/installed.img"
else
	echo "$images/base.img"
fi
