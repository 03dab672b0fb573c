# SPDX-License-Identifier: GPL-2.0
# Shared by every stage of the ramdax test harness: paths, logging, mirror.
# Sourced, never executed.

RAMDAX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
RAMDAX_TT="$RAMDAX_TOP/tools/testing/ramdax"
# Everything downloaded or built lives here, outside the clone, reused across runs.
RAMDAX_CACHE=${RAMDAX_CACHE:-/var/cache/ramdax-test}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'ramdax-test: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this machine's apt already uses; RAMDAX_MIRROR overrides.
ramdax_mirror()
{
	local uri

	if [ -n "${RAMDAX_MIRROR:-}" ]; then
		echo "$RAMDAX_MIRROR"
		return
	fi
	uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v -- '-security' | head -n 1)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null)
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt (set RAMDAX_MIRROR)"
	echo "$uri"
}

# need_mirror SUITE: the mirror serves SUITE.  Checked before a root is built,
# so that an unreachable or wrong mirror is one line, not a failed stage per
# scenario.  apt-helper comes with apt: no curl or wget needed.
need_mirror()
{
	local uri tmp rc=0

	uri=$(ramdax_mirror)
	tmp=$(mktemp)
	/usr/lib/apt/apt-helper -o Acquire::http::Timeout=20 -o Acquire::Retries=0 \
		download-file "$uri/dists/$1/InRelease" "$tmp" > /dev/null 2>&1 || rc=$?
	rm -f "$tmp"
	[ $rc = 0 ] || die "cannot fetch dists/$1/InRelease from the Debian mirror $uri (set RAMDAX_MIRROR to one that has $1)"
}

need_root()
{
	[ "$(id -u)" = 0 ] || die "must run as root (chroots, loop of QEMU guests); try: sudo $0"
}

need_disk()
{
	local avail_kb

	mkdir -p "$RAMDAX_CACHE" || die "cannot create cache directory $RAMDAX_CACHE"
	avail_kb=$(df -Pk "$RAMDAX_CACHE" | awk 'NR == 2 { print $4 }')
	[ "${avail_kb:-0}" -ge $((4 * 1024 * 1024)) ] ||
		die "need 4 GiB free under $RAMDAX_CACHE (RAMDAX_CACHE), have $((avail_kb / 1024)) MiB"
}

# Install host packages the harness needs, once.
need_host_tools()
{
	host_install mmdebstrap:mmdebstrap qemu-system-x86_64:qemu-system-x86 \
		cpio:cpio xz:xz-utils zstd:zstd
}

# host_install COMMAND:PACKAGE...: install the packages whose command is missing.
host_install()
{
	local missing=() p

	for p in "$@"; do
		command -v "${p%%:*}" >/dev/null 2>&1 || missing+=("${p#*:}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing host packages: ${missing[*]}"
	apt-get update -qq >/dev/null 2>&1 ||
		die "apt-get update failed: no reachable Debian mirror"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# Load one target's description: TARGET_NAME, TARGET_SUITE, TARGET_ARCH, ...
# A target of another architecture than the host's (arm64 on amd64) boots its
# own root's user space and kernel, but its module and helpers are
# cross-built in the suite's host-architecture root: TARGET_BUILD_ROOT,
# TARGET_BUILD_DIR (inside it) and TARGET_CROSS (the tool prefix, empty when
# native) say where and how.
load_target()
{
	local f="$RAMDAX_TT/targets/$1" host

	[ -f "$f" ] || die "unknown target '$1' (see $RAMDAX_TT/targets/)"
	TARGET_NAME=$1
	# Optional: a target that builds its kernel (1-kernel.sh) names the
	# source package and the config fragment under configs/.
	TARGET_KERNEL_BUILD= TARGET_KERNEL_CONFIG=
	# Optional: scenarios the target leaves out (4-boot.sh), and why.
	TARGET_SKIP= TARGET_SKIP_WHY=
	# Optional: yes for a system-image target (1-image.sh, 4-boot-image.sh).
	TARGET_IMAGE=
	# Optional: yes to give the guest QEMU (1-root.sh, 3-initramfs.sh), for
	# scenarios that start a nested guest.
	TARGET_GUEST_QEMU=
	# With it: the Linux source package of the nested guests' own small
	# kernel (1-inner-kernel.sh).
	TARGET_INNER_KERNEL=
	# shellcheck source=/dev/null
	. "$f"
	TARGET_ROOT="$RAMDAX_CACHE/roots/$TARGET_SUITE-$TARGET_ARCH"
	TARGET_WORK="$RAMDAX_CACHE/work/$TARGET_NAME"
	host=$(dpkg --print-architecture)
	TARGET_BUILD_ROOT="$RAMDAX_CACHE/roots/$TARGET_SUITE-$host"
	TARGET_BUILD_DIR=/ramdax-build TARGET_CROSS=
	if [ "$TARGET_ARCH" != "$host" ]; then
		TARGET_BUILD_DIR=/ramdax-build-$TARGET_ARCH
		TARGET_CROSS=$(arch_gnu_type "$TARGET_ARCH")-
	fi
}

# Debian architecture -> GNU triplet (cross tools) and QEMU's name for it.
arch_gnu_type()
{
	case $1 in
	amd64) echo x86_64-linux-gnu ;;
	arm64) echo aarch64-linux-gnu ;;
	*) die "architecture $1 is not supported (amd64, arm64)" ;;
	esac
}
arch_qemu() { arch_gnu_type "$1" | cut -d- -f1; }

# What running a foreign-architecture target needs on the host: its QEMU, dtc
# for its device tree, and binfmt_misc running its chroot's binaries through
# qemu-user (mmdebstrap's maintainer scripts; ldd, depmod and modprobe in
# 3-initramfs.sh).  Registered here if missing: CI starts on a fresh machine.
need_arch_tools()
{
	local q bm=/proc/sys/fs/binfmt_misc

	[ "$1" != "$(dpkg --print-architecture)" ] || return 0
	q=$(arch_qemu "$1")
	host_install "qemu-system-$q:qemu-system-arm" dtc:device-tree-compiler \
		"qemu-$q-static:qemu-user-static" update-binfmts:binfmt-support
	mountpoint -q "$bm" || mount -t binfmt_misc binfmt_misc "$bm" ||
		die "cannot mount binfmt_misc on $bm (needed to run $1 binaries)"
	if [ ! -e "$bm/qemu-$q" ]; then
		update-binfmts --enable "qemu-$q" >/dev/null 2>&1 ||
			update-binfmts --import "qemu-$q" >/dev/null 2>&1 || true
	elif [ "$(head -n 1 "$bm/qemu-$q")" != enabled ]; then
		echo 1 > "$bm/qemu-$q"
	fi
	[ "$(head -n 1 "$bm/qemu-$q" 2>/dev/null)" = enabled ] ||
		die "binfmt_misc has no qemu-$q: $1 binaries cannot run (update-binfmts --enable qemu-$q)"
	# F: the interpreter is opened now, so it also works inside a chroot.
	grep -q '^flags:.*F' "$bm/qemu-$q" ||
		die "qemu-$q is registered without the F flag: it cannot run inside a chroot"
}

# The targets a bare `make check` (and `make style`) runs.  One whose file says
# TARGET_CHECK=named runs only when named in RAMDAX_TARGETS: .ci/run runs it
# as a command of its own.
all_targets()
{
	local t

	for t in $(ls "$RAMDAX_TT/targets"); do
		grep -q '^TARGET_CHECK=named' "$RAMDAX_TT/targets/$t" || echo "$t"
	done
}

in_root()
{
	chroot "$TARGET_ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
}

# The root that builds the target's module: its own, or for a foreign
# architecture the suite's host-architecture root.
in_build_root()
{
	chroot "$TARGET_BUILD_ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
}

# The target's kernel, as unpacked by 1-root.sh or built by 1-kernel.sh:
# TARGET_KVER, TARGET_KBASE (the directory holding lib/modules, inside the
# chroot), TARGET_KMODDIR (modules, inside the chroot), TARGET_KBUILD
# (headers or build tree, inside the build root), TARGET_VMLINUZ (host path)
# and TARGET_KSTAMP (host path of the file that changes when the kernel does).
load_kernel()
{
	local k

	TARGET_KSTAMP=$TARGET_ROOT/.ramdax-root TARGET_KBASE=/ramdax-kernel
	if [ -n "$TARGET_KERNEL_BUILD" ]; then
		TARGET_KSTAMP=$TARGET_ROOT/ramdax-kernels/$TARGET_NAME/.ramdax-kernel
		TARGET_KBASE=/ramdax-kernels/$TARGET_NAME/install
		[ -f "$TARGET_KSTAMP" ] ||
			die "no kernel built for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
	fi
	[ -f "$TARGET_KSTAMP" ] || die "no root for $TARGET_NAME: run 1-root.sh $TARGET_NAME first"
	TARGET_KVER=$(sed -n 's/^kernel=//p' "$TARGET_KSTAMP")
	[ -n "$TARGET_KVER" ] || die "$TARGET_KSTAMP names no kernel"
	k=$TARGET_ROOT$TARGET_KBASE
	# Newer kernels ship modules and image under /usr/lib/modules only, which
	# older depmod/modprobe -b/-d do not search: give them /lib too.
	[ -e "$k/lib" ] || ln -s usr/lib "$k/lib"
	TARGET_KMODDIR=$TARGET_KBASE/lib/modules/$TARGET_KVER
	TARGET_KBUILD=/usr/src/linux-headers-$TARGET_KVER
	[ -z "$TARGET_KERNEL_BUILD" ] || TARGET_KBUILD=/ramdax-kernels/$TARGET_NAME/build
	TARGET_VMLINUZ=$k/boot/vmlinuz-$TARGET_KVER
	[ -f "$TARGET_VMLINUZ" ] || TARGET_VMLINUZ=$k/lib/modules/$TARGET_KVER/vmlinuz
	[ -f "$TARGET_VMLINUZ" ] || die "no kernel image for $TARGET_KVER under $k"
}

# Read one "# ramdax-KEY: value" header line from a scenario file.
scenario_header()
{
	sed -n "s/^#[[:space:]]*ramdax-$2:[[:space:]]*//p" "$1" | head -n 1
}

# Content hash of files and directories (names and bytes), for rebuild checks.
hash_inputs()
{
	local p

	for p in "$@"; do
		if [ -d "$p" ]; then
			find "$p" -type f -print0 | sort -z | xargs -0r sha256sum
		elif [ -e "$p" ]; then
			sha256sum "$p"
		else
			echo "missing $p"
		fi
	done | sed "s|$RAMDAX_CACHE||; s|$RAMDAX_TOP||" | sha256sum | cut -d' ' -f1
}

# One run at a time per cache: they share chroots and build directories.
lock_cache()
{
	mkdir -p "$RAMDAX_CACHE"
	exec {RAMDAX_LOCK_FD}> "$RAMDAX_CACHE/.lock"
	if ! flock -n "$RAMDAX_LOCK_FD"; then
		log "waiting for another ramdax test run using $RAMDAX_CACHE"
		flock -w 3600 "$RAMDAX_LOCK_FD" || die "$RAMDAX_CACHE still busy after an hour"
	fi
}
