# SPDX-License-Identifier: GPL-2.0
# Device-tree carveouts, for targets that have no memmap= (arm64 on QEMU's
# virt machine): QEMU's own device tree with pmem-region nodes added at the
# top of guest RAM.  Sourced by 4-boot.sh, never executed.
#
# A layout is what a scenario's "# ramdax-dt:" header says: nodes separated
# by spaces, a node's reg entries by commas, sizes as memmap= writes them:
#   512M          one pmem-region node with one reg entry: a bus with a DIMM
#   512M,256M     one node, two reg entries: one bus, two DIMMs
#   512M 256M     two nodes: two buses (two platform devices), a DIMM each
# A node's reg entries may be followed by flags, each after a colon:
#   512M:volatile      the node has the "volatile" property (a volatile
#                      region, as of_pmem makes of it)
#   512M:node1         numa-node-id = <1> (any node number; with
#                      "# ramdax-numa: 2" the carveouts lie in node 1's RAM)
#   256M,256M:volatile:node1   both
# Without that header the "# ramdax-memmap:" sizes make one node with a reg
# entry each, which is what memmap= gives on x86: one e820_pmem device, one
# bus, a DIMM a range.
#
# QEMU (arm_load_dtb) replaces every /memory node of a -dtb with one covering
# all of -m, so the carveouts are kept from the kernel with mem= (arm64 caps
# memblock at that much RAM from its start) rather than by shrinking /memory.

DT_RAM_BASE=$((0x40000000))	# where the virt machine's RAM starts
DT_ALIGN=$((16 << 20))		# a region's default namespace alignment

# dt_layout MEMMAP_HEADER DT_HEADER: the layout in effect.
dt_layout()
{
	local m sizes=

	if [ -n "$2" ]; then
		echo "$2"
		return
	fi
	for m in ${1:-1G!4G}; do sizes=${sizes:+$sizes,}${m%%!*}; done
	echo "$sizes"
}

# dt_build LAYOUT MEM OUT_DTB QEMU_ARGS...: write the guest's device tree
# (and OUT_DTB's .dts beside it, for people) and print the kernel's mem=.
# QEMU_ARGS is the machine as it will boot (-M, -cpu, -smp): the device tree
# dumped from it describes exactly that machine.
dt_build()
{
	local layout=$1 mem=$2 out=$3 node reg size start end top ram_end nodes= first=
	local flags props flag
	shift 3

	ram_end=$((DT_RAM_BASE + $(numfmt --from=iec "$mem")))
	top=0
	for node in $layout; do
		node=${node%%:*}
		for size in ${node//,/ }; do
			top=$((top + ($(numfmt --from=iec "$size") + DT_ALIGN - 1) / DT_ALIGN * DT_ALIGN))
		done
	done
	start=$(((ram_end - top) / DT_ALIGN * DT_ALIGN))
	[ "$start" -gt $((DT_RAM_BASE + (512 << 20))) ] ||
		die "dt layout '$layout' leaves the kernel less than 512 MiB of $mem"
	end=$start
	for node in $layout; do
		reg= props= flags=
		[ "$node" = "${node#*:}" ] || flags=${node#*:}
		node=${node%%:*}
		for flag in ${flags//:/ }; do
			case $flag in
			volatile) props="$props\t\tvolatile;\n" ;;
			node[0-9]*)
				case ${flag#node} in *[!0-9]*)
					die "dt layout '$layout': bad flag '$flag'" ;;
				esac
				props="$props\t\tnuma-node-id = <${flag#node}>;\n" ;;
			*) die "dt layout '$layout': unknown flag '$flag' (volatile, nodeN)" ;;
			esac
		done
		for size in ${node//,/ }; do
			size=$(numfmt --from=iec "$size")
			reg="$reg $(printf '0x%x 0x%x 0x%x 0x%x' $((end >> 32)) $((end & 0xffffffff)) \
				$((size >> 32)) $((size & 0xffffffff)))"
			[ -n "${first:-}" ] || first=$end
			end=$((end + (size + DT_ALIGN - 1) / DT_ALIGN * DT_ALIGN))
		done
		nodes="$nodes$(printf "\tpmem@%x {\n\t\tcompatible = \"pmem-region\";\n\t\treg = <%s>;\n$props\t};\n" \
			"$first" "${reg# }")
"
		first=
	done

	"$@" -machine "dumpdtb=$out.qemu" >/dev/null 2>&1 ||
		die "dt: $* -machine dumpdtb failed"
	{
		dtc -q -I dtb -O dts "$out.qemu"
		printf '\n/ {\n%s};\n' "$nodes"
	} > "${out%.dtb}.dts"
	rm -f "$out.qemu"
	dtc -q -I dts -O dtb -o "$out" "${out%.dtb}.dts" || die "dt: dtc failed on ${out%.dtb}.dts"
	echo "$(((start - DT_RAM_BASE) >> 20))M"
}
