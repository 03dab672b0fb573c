#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The style gate (run by .ci/run and `make style`): checkpatch.pl --strict on
# the driver, then for every target a W=1 build with sparse (C=2) inside the
# target's chroot.  Any finding fails.
#
# checkpatch and sparse's checker-valid.sh come from the newest target's
# linux-source package, unpacked once into $RAMDAX_CACHE/src.
#
# env: RAMDAX_TARGETS  targets to build with sparse (default: all)
set -euo pipefail
tt=$(cd "$(dirname "$0")" && pwd)
. "$tt/lib/common.sh"

DRIVER_FILES="ramdax.c ramdax_label.c ramdax_carve.c ramdax.h ramdax_compat.h ramdax_label_test.c"

need_root
# The source package of the newest kernel: its checkpatch knows the newest API.
newest=$(all_targets | sort -t- -k2 -V | tail -n 1)

# Prints the directory holding checkpatch.pl and checker-valid.sh.
kernel_scripts()
{
	local ver dir deb

	load_target "$newest"
	"$tt/1-root.sh" "$newest" > /dev/null
	load_kernel
	ver=$(echo "$TARGET_KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
	dir=$RAMDAX_CACHE/src/linux-source-$ver/scripts
	if [ ! -f "$dir/checkpatch.pl" ] || [ ! -f "$dir/checker-valid.sh" ]; then
		log "style: unpacking checkpatch from linux-source-$ver (once)"
		in_root sh -c "cd /tmp && rm -f linux-source-${ver}_*.deb &&
			apt-get download -o APT::Sandbox::User=root -qq linux-source-$ver" >&2 ||
			die "style: cannot download linux-source-$ver"
		deb=$(ls "$TARGET_ROOT"/tmp/linux-source-"$ver"_*.deb)
		mkdir -p "$RAMDAX_CACHE/src/deb"
		dpkg -x "$deb" "$RAMDAX_CACHE/src/deb"
		rm -f "$deb"
		tar -C "$RAMDAX_CACHE/src" -xJf "$RAMDAX_CACHE/src/deb/usr/src/linux-source-$ver.tar.xz" \
			"linux-source-$ver/scripts/checkpatch.pl" \
			"linux-source-$ver/scripts/spelling.txt" \
			"linux-source-$ver/scripts/const_structs.checkpatch" \
			"linux-source-$ver/scripts/checker-valid.sh"
		rm -rf "$RAMDAX_CACHE/src/deb"
	fi
	echo "$dir"
}

scripts=$(kernel_scripts)
rc=0

echo "# style: checkpatch --strict ($DRIVER_FILES)"
if ! (cd "$RAMDAX_TOP" && perl "$scripts/checkpatch.pl" --strict --no-tree \
	--quiet --file $DRIVER_FILES); then
	echo "not ok checkpatch --strict"
	rc=1
else
	echo "ok checkpatch --strict"
fi

for t in ${RAMDAX_TARGETS:-$(all_targets)}; do
	load_target "$t"
	"$tt/1-root.sh" "$t" > /dev/null
	load_kernel
	# Some header packages (Debian's 7.2) lack the script kbuild uses to
	# decide whether sparse works; without it C=2 silently checks nothing.
	srctree=$(sed -n 's|^include \(.*\)/Makefile$|\1|p' "$TARGET_ROOT$TARGET_KBUILD/Makefile")
	valid=$TARGET_ROOT${srctree:-$TARGET_KBUILD}/scripts/checker-valid.sh
	if grep -q checker-valid.sh "$TARGET_ROOT${srctree:-$TARGET_KBUILD}/Makefile" &&
	   [ ! -f "$valid" ]; then
		install -m 755 "$scripts/checker-valid.sh" "$valid"
	fi
	if "$tt/2-build.sh" --sparse "$t" 2> "$TARGET_WORK/style.log" &&
	   ! grep -q 'specified, but' "$TARGET_WORK/build.log" &&
	   grep -q 'CHECK' "$TARGET_WORK/build.log"; then
		echo "ok $t: W=1 and sparse clean"
	else
		echo "not ok $t: W=1 or sparse (or sparse did not run)"
		sed 's/^/# /' "$TARGET_WORK/style.log" "$TARGET_WORK/build.log" | tail -n 30
		rc=1
	fi
done
exit $rc
