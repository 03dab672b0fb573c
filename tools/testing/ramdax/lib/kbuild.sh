# SPDX-License-Identifier: GPL-2.0
# Building a kernel from a Debian linux-source-X.Y package inside a target's
# chroot, through ccache: what 1-kernel.sh (the debug kernel) and
# 1-inner-kernel.sh (the nested guests' kernel) share.  Sourced after
# lib/common.sh and load_target.  KB_DIR: the kernel's directory inside the
# chroot (source in src/, O= tree in build/).

# kb_unpack PACKAGE: the source package's tarball, unpacked once per chroot
# into $KB_DIR/src.
kb_unpack()
{
	local kdir=$TARGET_ROOT$KB_DIR

	[ ! -f "$kdir/src/Makefile" ] || return 0
	log "kernel: unpacking $1 into $KB_DIR (once)"
	rm -rf "$kdir/src" "$kdir/deb" "$kdir"/*.deb
	in_root sh -c "cd $KB_DIR && apt-get download -o APT::Sandbox::User=root -qq $1" >&2 ||
		die "kernel: cannot download $1"
	in_root sh -c "dpkg -x $KB_DIR/${1}_*.deb $KB_DIR/deb"
	mkdir "$kdir/src"
	tar -C "$kdir/src" --strip-components=1 -xaf "$(ls "$kdir"/deb/usr/src/"$1".tar.*)"
	rm -rf "$kdir/deb" "$kdir"/*.deb
}

# kb_need_ccache: ccache in the chroot (its cache, $RAMDAX_CACHE/ccache,
# outlives the chroot).
kb_need_ccache()
{
	in_root sh -c 'command -v ccache' > /dev/null && return 0
	log "kernel: installing ccache in the $TARGET_SUITE chroot"
	in_root apt-get update -qq -o Acquire::Check-Valid-Until=false >&2
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ccache \
		> "$TARGET_WORK/ccache-install.log" 2>&1 || {
		cat "$TARGET_WORK/ccache-install.log" >&2
		die "kernel: cannot install ccache in $TARGET_ROOT"
	}
}

# kb_mount [proc]: the ccache directory (and /proc: objtool reads
# /proc/self) mounted in the chroot, unmounted however the script leaves,
# so that 1-root.sh never deletes through a mount.  Sets the EXIT trap.
KB_MOUNTS=()
kb_cleanup()
{
	local m

	# Lazily if a killed make still holds it: out of the tree either way.
	for m in "${KB_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}
kb_mount()
{
	trap kb_cleanup EXIT
	trap 'exit 1' HUP INT TERM
	if [ "${1:-}" = proc ] && ! mountpoint -q "$TARGET_ROOT/proc"; then
		mount -t proc proc "$TARGET_ROOT/proc"
		KB_MOUNTS+=("$TARGET_ROOT/proc")
	fi
	mkdir -p "$RAMDAX_CACHE/ccache" "$TARGET_ROOT/ramdax-ccache"
	if ! mountpoint -q "$TARGET_ROOT/ramdax-ccache"; then
		mount --bind "$RAMDAX_CACHE/ccache" "$TARGET_ROOT/ramdax-ccache"
		KB_MOUNTS=("$TARGET_ROOT/ramdax-ccache" "${KB_MOUNTS[@]}")
	fi
}

# kmake ARGS: make in the chroot's source tree, O=build, reproducible,
# through ccache, at nice 19, one job a CPU.
kmake()
{
	in_root env CCACHE_DIR=/ramdax-ccache CCACHE_MAXSIZE=5G \
		KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=ramdax KBUILD_BUILD_HOST=ramdax \
		nice -n 19 make -C "$KB_DIR/src" O="$KB_DIR/build" ARCH=x86_64 CC="ccache gcc" \
		-j"$(nproc)" "$@"
}

# kb_configure FRAGMENT LOG: allnoconfig with FRAGMENT's lines, every one of
# which must survive (a line lost means a dependency missing from it).
kb_configure()
{
	local lost line sym

	cp "$1" "$TARGET_ROOT$KB_DIR/fragment.config"
	kmake KCONFIG_ALLCONFIG="$KB_DIR/fragment.config" allnoconfig >> "$2" 2>&1 ||
		{ tail -n 30 "$2" >&2; die "kernel: allnoconfig failed"; }
	lost=$(grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$1" | while read -r line; do
		case $line in
		"# CONFIG_"*)
			sym=${line#\# }
			sym=${sym%% *}
			! grep -qE "^$sym=" "$TARGET_ROOT$KB_DIR/build/.config" || echo "$line"
			;;
		*) grep -qxF -- "$line" "$TARGET_ROOT$KB_DIR/build/.config" || echo "$line" ;;
		esac
	done)
	[ -z "$lost" ] ||
		die "kernel: the config lost $(echo $lost) (a dependency missing from $(basename "$1")?)"
}
