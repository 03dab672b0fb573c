#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The install paths a user takes, run for real inside each Debian target's
# chroot against that target's kernel headers: `make install` (updates/,
# depmod, the modprobe.d alias), `make dkms`, and the Debian package
# ramdax-dkms (deb.sh) installed and purged with apt, lintian on sid.
# Everything installed is removed again.  Prints KTAP; exits non-zero on any failure.
#
# env: RAMDAX_TARGETS  targets (default: those that run Debian's kernel
#                      packages, not a kernel of our own build, and not
#                      one run only when named: sid-7.2-arm64's chroot has
#                      no compiler, its module is cross-built)
set -uo pipefail
tt=$(cd "$(dirname "$0")" && pwd)
. "$tt/lib/common.sh"

need_root
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)) fail=$((fail + 1)); echo "not ok $n $*"; }
# t NAME CMD...: run CMD in the current target's chroot.
t()
{
	local name=$1 out

	shift
	if out=$(in_root "$@" 2>&1); then
		ok "$TARGET_NAME: $name"
	else
		not_ok "$TARGET_NAME: $name"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/# /'
	fi
}

targets=${RAMDAX_TARGETS:-$(cd "$tt/targets" && grep -L -e '^TARGET_KERNEL_BUILD=' -e '^TARGET_CHECK=named' *)}
echo "TAP version 13"
for target in $targets; do
	load_target "$target"
	"$tt/1-root.sh" "$target" > /dev/null || { not_ok "$target: root"; continue; }
	load_kernel
	if ! in_root sh -c 'command -v dkms' > /dev/null; then
		in_root apt-get update -qq -o Acquire::Check-Valid-Until=false > /dev/null 2>&1
		in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o Acquire::Check-Valid-Until=false dkms > /dev/null 2>&1 ||
			{ not_ok "$target: apt-get install dkms"; continue; }
	fi
	src=/ramdax-pkg/src
	rm -rf "$TARGET_ROOT/ramdax-pkg"
	mkdir -p "$TARGET_ROOT$src"
	(cd "$RAMDAX_TOP" && cp Kbuild Makefile Kconfig dkms.conf ./*.c ./*.h "$TARGET_ROOT$src/")
	kdir=/lib/modules/$TARGET_KVER/build
	mounted=
	mountpoint -q "$TARGET_ROOT/proc" || { mount -t proc proc "$TARGET_ROOT/proc" && mounted=1; }

	t "make install" make -C "$src" install KDIR="$kdir"
	# Kernels built with CONFIG_MODULE_COMPRESS_* install .ko.xz/.ko.zst.
	t "module in /lib/modules/$TARGET_KVER/updates" sh -c "ls /lib/modules/$TARGET_KVER/updates/nd_ramdax.ko*"
	t "depmod indexed it" grep -q 'updates/nd_ramdax.ko[.a-z]*:' "/lib/modules/$TARGET_KVER/modules.dep"
	t "modprobe.d alias" grep -qx 'alias ramdax nd_ramdax' /etc/modprobe.d/nd_ramdax.conf
	in_root sh -c "rm -f /lib/modules/$TARGET_KVER/updates/nd_ramdax.ko* /etc/modprobe.d/nd_ramdax.conf"

	t "make dkms" make -C "$src" dkms KDIR="$kdir"
	t "dkms status: installed" sh -c "dkms status -m ramdax -k $TARGET_KVER | grep -q installed"
	t "dkms module in place" sh -c "ls /lib/modules/$TARGET_KVER/updates/dkms/nd_ramdax.ko*"
	in_root dkms remove -m ramdax --all > /dev/null 2>&1
	in_root rm -rf /usr/src/ramdax-* /etc/modprobe.d/nd_ramdax.conf

	# The Debian package, as an admin installs and purges it.
	if ! deb=$("$tt/deb.sh" "$target" 2> "$TARGET_WORK/deb.log"); then
		not_ok "$target: dpkg-buildpackage ramdax-dkms"
		tail -n 15 "$TARGET_WORK/deb.log" | sed 's/^/# /'
	else
		ok "$target: dpkg-buildpackage ramdax-dkms"
		mkdir -p "$TARGET_ROOT/ramdax-pkg"
		cp "$deb" "$TARGET_ROOT/ramdax-pkg/"
		pkg=/ramdax-pkg/$(basename "$deb")
		t "apt install ./$(basename "$deb")" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q -o Acquire::Check-Valid-Until=false "$pkg"
		t "dkms status: installed for $TARGET_KVER" sh -c "dkms status -m ramdax -k $TARGET_KVER | grep -q installed"
		# (A chroot's kernel is unpacked elsewhere: no modules.dep to ask.)
		t "the DKMS module is in place" sh -c "ls /lib/modules/$TARGET_KVER/updates/dkms/nd_ramdax.ko*"
		t "modprobe ramdax is nd_ramdax" sh -c "modprobe -c | grep -qx 'alias ramdax nd_ramdax'"
		t "udev rules and align helper" test -f /usr/lib/udev/rules.d/60-ramdax.rules -a \
			-x /usr/libexec/ramdax/ramdax-align -a -x /usr/share/initramfs-tools/hooks/ramdax
		t "apt purge ramdax-dkms" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ramdax-dkms
		# 7.2's own driver is kernel/drivers/nvdimm/ramdax.ko: not ours.
		t "nothing of ramdax is left" sh -c "! dpkg -l ramdax-dkms 2>/dev/null | grep -q '^[ir]' &&
			left=\$(find /etc /lib/modules /usr/src /usr/lib/udev /usr/lib/modprobe.d /usr/libexec \
				/usr/share/initramfs-tools /usr/lib/systemd /var/lib -name '*ramdax*' \
				-not -path '*/kernel/drivers/nvdimm/ramdax.ko*' 2>/dev/null) &&
			echo \"\$left\" && [ -z \"\$left\" ]"
		if [ "$TARGET_SUITE" = sid ]; then
			in_root sh -c 'command -v lintian' > /dev/null ||
				in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
					--no-install-recommends lintian > /dev/null 2>&1
			cp "$(dirname "$deb")"/ramdax_* "$TARGET_ROOT/ramdax-pkg/"
			t "lintian: no error or warning" sh -c "cd /ramdax-pkg &&
				lintian --fail-on error,warning ramdax_*.changes"
			in_root sh -c 'command -v udevadm' > /dev/null ||
				in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
					--no-install-recommends udev > /dev/null 2>&1
			cp "$RAMDAX_TOP"/debian/extra/*.rules "$TARGET_ROOT/ramdax-pkg/"
			t "udevadm verify: the rules parse" sh -c "udevadm verify /ramdax-pkg/*.rules"
		fi
	fi
	rm -rf "$TARGET_ROOT/ramdax-pkg"
	[ -z "$mounted" ] || umount "$TARGET_ROOT/proc"
done
echo "1..$n"
echo "# packaging: $((n - fail)) passed, $fail failed"
[ $fail = 0 ]
