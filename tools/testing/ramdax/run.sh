#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo (`make demo`): on a Debian 12 machine, as root, install what is
# missing, boot a guest of the default target and walk the documented flow —
# bind ramdax on a memmap= carveout, fsdax + ext4 -o dax, devdax,
# ndctl list — each command shown before its output.
#
# usage: run.sh [--shell]   --shell: then a shell in that guest, everything
#                           loaded and mounted (exit or Ctrl-A x to leave)
# env:   RAMDAX_TARGET=sid-7.2   which target to boot
#        RAMDAX_DRIVER=upstream  the kernel's own ramdax.ko (7.2) instead
set -euo pipefail
tt=$(cd "$(dirname "$0")" && pwd)
. "$tt/lib/common.sh"

shell=0
case ${1:-} in
--shell) shell=1 ;;
"") ;;
*) die "usage: $0 [--shell]" ;;
esac
target=${RAMDAX_TARGET:-sid-7.2}
need_root
need_host_tools
need_disk
lock_cache

log "demo: preparing $target (the first run builds a chroot: a few minutes)"
"$tt/1-root.sh" "$target" >/dev/null
build_opts=
[ "${RAMDAX_DRIVER:-ours}" = ours ] || build_opts=--helpers-only
"$tt/2-build.sh" $build_opts "$target"
"$tt/3-initramfs.sh" "$target" >/dev/null
log "demo: booting $target under QEMU"
RAMDAX_CONSOLE=stdio RAMDAX_SHELL=$shell "$tt/4-boot.sh" "$target" demo

. "$tt/5-results.sh"
results_report "$target" demo | grep -E '^(ok|not ok)'
[ $RESULTS_FAIL = 0 ]
