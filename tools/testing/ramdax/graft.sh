#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Put the driver into a kernel source tree at drivers/nvdimm/ramdax/, wired
# into drivers/nvdimm/Kconfig and Makefile the way an upstream patch would
# be.  A tree that carries the kernel's own ramdax (drivers/nvdimm/ramdax.c,
# Linux 6.19+) loses it: both are CONFIG_RAMDAX and a platform driver named
# "ramdax".  The tree's make then builds nd_ramdax.ko from our Kconfig and
# Kbuild.  Idempotent: run it again after changing the driver.
#
# usage: graft.sh SRC_TREE
# env:   RAMDAX_SRC   directory holding the driver sources (default: repo root)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

tree=${1:?usage: $0 SRC_TREE}
src=${RAMDAX_SRC:-$RAMDAX_TOP}
nv=$tree/drivers/nvdimm
[ -f "$nv/Kconfig" ] && [ -f "$nv/Makefile" ] || die "graft: $tree is not a kernel tree with drivers/nvdimm"
[ -f "$src/ramdax.c" ] || die "graft: no ramdax.c in $src"

# The kernel's own driver: its file, its Kconfig entry, its Makefile line.
rm -f "$nv/ramdax.c"
awk '
	/^config RAMDAX$/ { skip = 1; next }
	skip && /^(config|menuconfig|menu|endmenu|if|endif|source|comment|choice)([ \t]|$)/ { skip = 0 }
	!skip
' "$nv/Kconfig" > "$nv/Kconfig.tmp"
mv "$nv/Kconfig.tmp" "$nv/Kconfig"
sed -i '/^obj-\$(CONFIG_RAMDAX)[[:space:]]*+=[[:space:]]*ramdax\.o$/d' "$nv/Makefile"

# Ours: the same files 2-build.sh builds out of tree (Kbuild wins over the
# Makefile wrapper in a kernel tree).
rm -rf "$nv/ramdax"
mkdir "$nv/ramdax"
(cd "$src" && cp -- $(ls Kbuild Makefile Kconfig *.c *.h) "$nv/ramdax/")

# Inside drivers/nvdimm's "if LIBNVDIMM" block, before its last endif.
if ! grep -qx 'source "drivers/nvdimm/ramdax/Kconfig"' "$nv/Kconfig"; then
	last=$(grep -n '^endif' "$nv/Kconfig" | tail -n 1 | cut -d: -f1)
	[ -n "$last" ] || die "graft: no endif in $nv/Kconfig"
	sed -i "${last}i source \"drivers/nvdimm/ramdax/Kconfig\"\\n" "$nv/Kconfig"
fi
# Before nd_e820 and of_pmem: built in, ramdax's initcall then runs first
# and nd_ramdax.claim=1 takes the carveouts before they can.
sed -i '/^obj-\$(CONFIG_RAMDAX) += ramdax\/$/d' "$nv/Makefile"
sed -i '/^obj-\$(CONFIG_X86_PMEM_LEGACY)/i obj-$(CONFIG_RAMDAX) += ramdax/' "$nv/Makefile"
grep -qx 'obj-$(CONFIG_RAMDAX) += ramdax/' "$nv/Makefile" ||
	die "graft: could not wire ramdax/ into $nv/Makefile"
log "graft: $(ls "$nv/ramdax" | xargs) in $nv/ramdax"
