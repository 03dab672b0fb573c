# SPDX-License-Identifier: GPL-2.0
# ramdax helpers for guest scenarios (busybox sh).  Source after ktap.sh.
#
#   ramdax_load            load the driver under test and the libnvdimm
#                          personalities (nothing autoloads: there is no udev)
#   ramdax_bind [DEV...]   bind ramdax to the e820_pmem and pmem-region
#                          device(s)
#   ramdax_unbind [DEV...] unbind them again
#   ramdax_unload          remove the driver module
#   settle [SECONDS]       wait until every nd/dax device has its /dev node
#   wait_for PATH [SECS]   wait until PATH exists
#
# RAMDAX_DRIVER=upstream (kernel command line ramdax.driver=upstream) tests
# the kernel's own ramdax.ko (7.2+) instead of our nd_ramdax.ko: the same
# platform driver name, the same sysfs flow.

RAMDAX_SYSDRV=/sys/bus/platform/drivers/ramdax
RAMDAX_SYSDEV=/sys/bus/platform/devices

# The module under test: nd_ramdax (ours) or ramdax (upstream).
ramdax_module()
{
	case ${RAMDAX_DRIVER:-ours} in
	upstream) echo ramdax ;;
	*) echo nd_ramdax ;;
	esac
}

# The carveouts memmap=nn!ss made: one e820_pmem platform device; and
# device-tree pmem-region nodes: a platform device each, named ADDR.pmem.
ramdax_devices()
{
	local d

	for d in "$RAMDAX_SYSDEV"/e820_pmem*; do
		[ -e "$d" ] && basename "$d"
	done
	ramdax_of_devices
}

# One grep for all: a scenario calls this in timed paths, and a process per
# device costs seconds under TCG (virt has dozens of OF platform devices).
ramdax_of_devices()
{
	local f

	for f in $(grep -l pmem-region "$RAMDAX_SYSDEV"/*/of_node/compatible 2>/dev/null); do
		f=${f%/of_node/compatible}
		echo "${f##*/}"
	done
}

# The driver holding a platform device (ramdax, e820_pmem, of_pmem), or
# nothing.
holder() { basename "$(readlink "$RAMDAX_SYSDEV/$1/driver" 2>/dev/null)" 2>/dev/null; }

ramdax_load()
{
	local m

	m=$(ramdax_module)
	if ! modprobe "$m" >&2 2>&1; then
		if [ "$m" = nd_ramdax ] && [ -f "/lib/modules/$(uname -r)/updates/nd_ramdax.ko" ]; then
			modprobe libnvdimm && insmod "/lib/modules/$(uname -r)/updates/nd_ramdax.ko" || return 1
		else
			echo "ramdax_load: cannot load $m" >&2
			return 1
		fi
	fi
	# What udev would have loaded on the first namespace.
	for m in nd_pmem nd_btt dax_pmem device_dax; do
		modprobe "$m" >&2 2>&1 || echo "ramdax_load: no $m" >&2
	done
	[ -d "$RAMDAX_SYSDRV" ] || { echo "ramdax_load: $RAMDAX_SYSDRV missing" >&2; return 1; }
}

ramdax_unload()
{
	modprobe -r "$(ramdax_module)" >&2 2>&1
}

ramdax_bind()
{
	local d devs=${*:-$(ramdax_devices)}

	[ -n "$devs" ] ||
		{ echo "ramdax_bind: no e820_pmem or pmem-region device (memmap=nn!ss?)" >&2; return 1; }
	for d in $devs; do
		echo ramdax > "$RAMDAX_SYSDEV/$d/driver_override" || return 1
		# nd_e820 or of_pmem may hold it (if someone loaded it): let go first.
		if [ -e "$RAMDAX_SYSDEV/$d/driver" ]; then
			echo "$d" > "$RAMDAX_SYSDEV/$d/driver/unbind" || return 1
		fi
		echo "$d" > "$RAMDAX_SYSDRV/bind" || return 1
	done
	settle
}

ramdax_unbind()
{
	local d devs=${*:-$(ramdax_devices)}

	for d in $devs; do
		[ -e "$RAMDAX_SYSDRV/$d" ] || continue
		echo "$d" > "$RAMDAX_SYSDRV/unbind" || return 1
		echo > "$RAMDAX_SYSDEV/$d/driver_override"
	done
}

# wait_for PATH [SECONDS]
wait_for()
{
	local i=0 n=$((${2:-10} * 10))

	while [ ! -e "$1" ]; do
		[ $i -lt $n ] || { echo "wait_for: $1 did not appear" >&2; return 1; }
		i=$((i + 1))
		sleep 0.1
	done
}

# settle [SECONDS]: no udev here; devtmpfs makes nodes as devices appear, so
# wait until each pmem block device and dax char device has one.
settle()
{
	local s d t=${1:-10}

	for s in /sys/class/block/pmem* /sys/bus/dax/devices/dax*; do
		[ -e "$s" ] || continue
		d=/dev/$(basename "$s")
		wait_for "$d" "$t" || return 1
	done
}

# The ramdax regions as JSON (ndctl list -R of every bus).
ramdax_regions() { json_array "$(ndctl list -R 2>/dev/null)"; }

# uptime_cs: seconds since boot in hundredths (for timings in diagnostics).
uptime_cs()
{
	local u

	read -r u _ < /proc/uptime
	echo "${u%.*}${u#*.}"
}

# ns_sysfs_create REGION SIZE: a raw namespace made the way ndctl makes one
# (uuid, then size on the region's namespace seed: the kernel writes the
# labels; force_raw, so that no struct pages are mapped for it; then nd_pmem
# bound, which advances the seed), without ndctl's rescan of every namespace
# per call.  Builtins only, no fork: 509 in a loop cost seconds where ndctl
# costs minutes.  Sets NS_CREATED to its name.
ns_sysfs_create()
{
	local ns u

	NS_CREATED=
	read -r ns < "/sys/bus/nd/devices/$1/namespace_seed" || return 1
	read -r u < /proc/sys/kernel/random/uuid || return 1
	echo "$u" > "/sys/bus/nd/devices/$ns/uuid" || return 1
	echo "$2" > "/sys/bus/nd/devices/$ns/size" || return 1
	echo 1 > "/sys/bus/nd/devices/$ns/force_raw" || return 1
	echo "$ns" > /sys/bus/nd/drivers/nd_pmem/bind || return 1
	# The next seed registers asynchronously: as ndctl does, wait for it.
	read -r _ < "/sys/bus/nd/devices/$1/../wait_probe" || return 1
	NS_CREATED=$ns
}

# ns_sysfs_destroy NAMESPACE: what ndctl destroy-namespace -f does: unbind
# it, then size 0 (the kernel deletes its labels).
ns_sysfs_destroy()
{
	local d=/sys/bus/nd/devices/$1

	if [ -e "$d/driver" ]; then
		echo "$1" > "$d/driver/unbind" || return 1
	fi
	echo 0 > "$d/size"
}

# --- Namespaces that must survive a rebind, a module reload, a kexec or a
# --- switch of driver: their identity and their data.
#
#   ramdax_use ours|upstream  later ramdax_load/_unload act on that driver
#   ramdax_rmmod              remove the driver module (unbound), check it
#   ramdax_switch ours|upstream  unbind, unload, load the other, bind
#   ns_identity               one line per namespace: uuid mode size sector align
#   nd_wait_probe             wait for the buses' asynchronous probes
#   ns_sysfs_identity         the same from sysfs, with shell builtins only
#   ns_dev UUID               its /dev node (pmemN, pmemNs or daxN.M)
#   ns_sum UUID               checksum of its first MiB (block namespaces)
#   ns_create_data MODE SIZE [fs|xfs|raw]  create a namespace, put data on
#                             it (fsdax: a file on ext4 or xfs mounted -o dax,
#                             or raw); prints its uuid
#   ns_verify_data UUID       the data ns_create_data put there is intact
#   mem_sample                "slab_objs slab_kb vmalloc_kb vmap_kb" now

ramdax_use() { RAMDAX_DRIVER=$1; }

ns_identity()
{
	ndctl list -N 2>/dev/null | jq -r 'if type == "array" then . else [.] end |
		sort_by(.uuid)[] |
		"\(.uuid) \(.mode) \(.size) \(.sector_size // "-") \(.align // "-")"'
}

# nd_wait_probe: wait for every nvdimm bus's asynchronous device probes
# (what libndctl does before it lists anything; settle alone does not: a
# namespace registered asynchronously after bind has no sysfs entry yet).
nd_wait_probe()
{
	local b x

	for b in /sys/bus/nd/devices/ndbus*/wait_probe; do
		[ -r "$b" ] && read -r x < "$b"
	done
	return 0
}

# ns_sysfs_identity: "uuid size mode holder-kind" of every namespace with a size,
# as the kernel holds them (no process started: cheap enough for every cycle
# of a loop under TCG).  The size is the namespace's, not its personality's.
ns_sysfs_identity()
{
	local d u s m h

	nd_wait_probe
	for d in /sys/bus/nd/devices/namespace*; do
		[ -r "$d/size" ] || continue
		read -r s < "$d/size" || continue
		[ "$s" != 0 ] || continue
		read -r u < "$d/uuid"
		read -r m < "$d/mode"
		read -r h < "$d/holder"
		# The personality's kind, not its name (pfn0.0 may come back pfn0.1).
		echo "$u $s $m ${h%%[0-9]*}"
	done
}

ns_dev()
{
	local d

	d=$(ndctl list -N 2>/dev/null | jq -r --arg u "$1" 'if type == "array" then . else [.] end |
		map(select(.uuid == $u))[0] |
		(.blockdev // .chardev // .daxregion.devices[0].chardev // empty)')
	[ -n "$d" ] && echo "/dev/$d"
}

ns_sum()
{
	local d

	d=$(ns_dev "$1") || return 1
	blksum 1M "$d" | cut -d' ' -f1
}

# Where ns_create_data keeps what it wrote: /tmp survives rebinds and module
# reloads; a kexec or restart scenario carries it in the label-independent
# place it chooses (see kexec-keeps-namespaces).
NS_STATE=${NS_STATE:-/tmp/ns-state}

# ns_create_data MODE SIZE [fs|xfs|raw], on region $NS_REGION if set: fsdax
# gets ext4 (or xfs: 300 MB at least) and a 1 MiB file (or, with "raw",
# 1 MiB of random data on the block device itself), devdax a daxio pattern
# over its first 2 MiB, sector and raw 1 MiB of random data.  A filesystem
# must mount with DAX in effect.
ns_create_data()
{
	local mode=$1 size=$2 kind=${3:-fs} ns uuid dev

	mkdir -p "$NS_STATE"
	ns=$(ndctl create-namespace ${NS_REGION:+-r "$NS_REGION"} -m "$mode" -s "$size" 2>/dev/console) || return 1
	echo "$ns" >&2
	uuid=$(json_get "$ns" '.uuid')
	[ -n "$uuid" ] && [ "$uuid" != null ] || return 1
	settle
	dev=$(ns_dev "$uuid") || return 1
	[ "$mode" = fsdax ] || kind=raw
	[ "$mode" != devdax ] || kind=dax
	case $kind in
	fs|xfs)
		if [ $kind = fs ]; then
			mkfs.ext4 -q -F -b 4096 "$dev" >&2 || return 1
		else
			mkfs.xfs -q -f -m reflink=0 "$dev" >&2 || return 1
		fi
		ns_mount "$kind" "$dev" || return 1
		dd if=/dev/urandom of=/mnt/data bs=1M count=1 2>/dev/null &&
			(cd /mnt && sha256sum data > "$NS_STATE/$uuid.fs")
		umount /mnt || return 1 ;;
	dax)
		daxio write "$dev" 0 2M "$(ns_seed "$uuid")" >&2 || return 1 ;;
	raw)
		dd if=/dev/urandom of="$dev" bs=1M count=1 oflag=direct 2>/dev/null || return 1
		ns_sum "$uuid" > "$NS_STATE/$uuid.raw" ;;
	esac
	echo "$kind" > "$NS_STATE/$uuid.kind"
	echo "$uuid"
}

# ns_mount fs|xfs DEV: mount DEV on /mnt -o dax, and fail unless DAX is in
# effect (ext4 drops the option with a message where the device has no DAX).
ns_mount()
{
	local t=ext4

	[ "$1" = fs ] || t=$1
	mount -t $t -o dax "$2" /mnt || return 1
	grep -q "^$2 /mnt $t .*dax" /proc/mounts && return 0
	echo "ns_mount: $2 mounted without dax" >&2
	umount /mnt
	return 1
}

# The daxio seed of a namespace: from its uuid, so that data cannot pass
# for another namespace's.
ns_seed() { echo "$((0x$(echo "$1" | cut -c1-6)))"; }

ns_verify_data()
{
	local uuid=$1 dev kind rc

	dev=$(ns_dev "$uuid") || { echo "ns_verify_data: no namespace $uuid" >&2; return 1; }
	kind=$(cat "$NS_STATE/$uuid.kind") || return 1
	case $kind in
	fs|xfs)
		ns_mount "$kind" "$dev" || return 1
		(cd /mnt && sha256sum -c "$NS_STATE/$uuid.fs") >&2
		rc=$?
		umount /mnt || return 1
		return $rc ;;
	dax)
		daxio verify "$dev" 0 2M "$(ns_seed "$uuid")" >&2 ;;
	raw)
		[ "$(ns_sum "$uuid")" = "$(cat "$NS_STATE/$uuid.raw")" ] ||
			{ echo "ns_verify_data: $dev checksum differs" >&2; return 1; } ;;
	esac
}

# mem_sample: after dropping caches, print
# "SLAB_OBJS SLAB_KB VMALLOC_KB VMAP_KB": active objects summed over
# /proc/slabinfo (0 without it) less the vmap_areas of lazily freed areas,
# Slab and VmallocUsed from /proc/meminfo, and the KiB of every live
# /proc/vmallocinfo area (VmallocUsed counts only vmalloc's own pages:
# ioremap/memremap areas show only in vmallocinfo).
mem_sample()
{
	local objs=0

	sync
	echo 3 > /proc/sys/vm/drop_caches
	# What exited processes and removed devices free after an RCU grace
	# period (pids, signal structs, ...): slow under TCG.  (Shrinking every
	# cache through /sys/kernel/slab/*/shrink would not make slabinfo exact
	# and leaves hundreds of kfree_rcu'd kernfs open nodes behind.)
	sleep 2
	[ ! -r /proc/slabinfo ] ||
		objs=$(awk 'NR > 2 { n += $2 } END { print n + 0 }' /proc/slabinfo)
	# A lazily freed area ("unpurged vm_area") is gone but for its
	# vmap_area, until vmalloc purges a batch (64 MiB with 2 CPUs).
	[ ! -r /proc/vmallocinfo ] ||
		set -- $(awk '$3 == "unpurged" { u++; next } { n += $2 }
			END { print int(n / 1024), u + 0 }' /proc/vmallocinfo)
	echo "$((objs - ${2:-0})) $(awk '$1 == "Slab:" { s = $2 } $1 == "VmallocUsed:" { v = $2 }
		END { print s + 0, v + 0 }' /proc/meminfo) ${1:-0}"
}

# slab_snapshot FILE: "cache active_objs objsize" per cache, for a diff.
slab_snapshot() { awk 'NR > 2 { print $1, $2, $4 }' /proc/slabinfo > "$1" 2>/dev/null; }

# slab_growth OLD NEW [N]: the N caches whose active objects grew most.
slab_growth()
{
	awk 'NR == FNR { old[$1] = $2; next }
	     { d = $2 - old[$1]; if (d != 0) print d, $1, $3 }' "$1" "$2" |
		sort -rn | head -n "${3:-8}"
}

# ramdax_rmmod: remove the driver module and check it is gone.  (kmod's
# modprobe -r, which ramdax_unload uses, exits 1 after removing it when it
# cannot also remove libnvdimm, which the personalities hold.)
ramdax_rmmod()
{
	rmmod "$(ramdax_module)" >&2 2>&1
	[ ! -d "/sys/module/$(ramdax_module)" ]
}

# ramdax_switch ours|upstream: hand the carveouts from the driver in use to
# the other one (one platform driver name, so one module at a time): unbind,
# unload, load the other, bind, wait for its namespaces.
ramdax_switch()
{
	ramdax_unbind || return 1
	ramdax_rmmod || return 1
	[ ! -d "$RAMDAX_SYSDRV" ] || { echo "ramdax_switch: $(ramdax_module) still registered" >&2; return 1; }
	ramdax_use "$1"
	ramdax_load && ramdax_bind && nd_wait_probe && settle
}

# slab_sites FILE: "SITE COUNT" per allocation call site, the objects each
# holds now, over every cache that tracks its allocations (boot with
# slub_debug=U[,caches]; /sys/kernel/debug/slab/*/alloc_traces).  Unlike
# slabinfo's active objects, exact: it walks the objects themselves.
# Returns 1 if no cache tracks allocations.
slab_sites()
{
	local f n=0

	for f in /sys/kernel/debug/slab/*/alloc_traces; do
		[ -r "$f" ] || continue
		n=$((n + 1))
		cat "$f"
	done | awk '$1 ~ /^[0-9]+$/ && NF >= 2 { n[$2] += $1 }
		END { for (s in n) print s, n[s] }' | sort > "$1"
	[ -s "$1" ]
}

# slab_sites_growth OLD NEW: "GROWTH SITE" for every site whose count
# changed, largest growth first.
slab_sites_growth()
{
	awk 'NR == FNR { old[$1] = $2; next }
	     { d = $2 - old[$1]; delete old[$1]; if (d) print d, $1 }
	     END { for (s in old) if (old[s]) print -old[s], s }' "$1" "$2" | sort -rn
}

# ramdax_of_ranges DEV: the ranges a pmem-region device's reg property names,
# one "start-end" (hex, the form of a DIMM's ramdax/id) per entry; two
# address and two size cells, as on QEMU's virt machine.
ramdax_of_ranges()
{
	local hex s l

	hex=$(od -An -v -tx1 "$RAMDAX_SYSDEV/$1/of_node/reg" | tr -d ' \n')
	while [ ${#hex} -ge 32 ]; do
		s=$((0x$(echo "$hex" | cut -c1-16)))
		l=$((0x$(echo "$hex" | cut -c17-32)))
		printf '%x-%x\n' "$s" $((s + l - 1))
		hex=$(echo "$hex" | cut -c33-)
	done
}

# ramdax_bus_of DEV: the nvdimm bus (ndbusN) ramdax registered for DEV.
ramdax_bus_of()
{
	local b

	for b in "$RAMDAX_SYSDEV/$1"/ndbus*; do
		[ -e "$b" ] && basename "$b"
	done
}

# Run-time carveouts (the driver's carve, release and memmap attributes).
#   carve SPEC          echo SPEC > carve (SIZE or SIZE@START)
#   carve_release NAME  echo NAME > release
#   carveouts           the run-time carveout devices, one name a line
#   carve_iomem NAME    "start-end" (hex) of NAME in /proc/iomem
#   blocks_state        "memoryN state zone" for every memory block
#   memtotal_kb         MemTotal in KiB
carve() { echo "$1" > "$RAMDAX_SYSDRV/carve"; }
carve_release() { echo "$1" > "$RAMDAX_SYSDRV/release"; }
carveouts()
{
	local d

	for d in "$RAMDAX_SYSDEV"/ramdax-carveout.*; do
		[ -e "$d" ] && basename "$d"
	done
}
carve_iomem() { sed -n "s/^ *\([0-9a-f]*-[0-9a-f]*\) : $1\$/\1/p" /proc/iomem; }
blocks_state()
{
	local b st z

	# Builtins only: a failslab sweep calls this hundreds of times.
	for b in /sys/devices/system/memory/memory*; do
		read -r st < "$b/state"
		read -r z _ < "$b/valid_zones"
		echo "${b##*/} $st $z"
	done
}
memtotal_kb() { awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo; }

# memhog_start SIZE SECONDS: memhog keeping SIZE dirty in the background
# (its pid in MEMHOG_PID); fails unless every page is touched within SECONDS.
memhog_start()
{
	local i=0

	memhog "$1" > /tmp/memhog.out &
	MEMHOG_PID=$!
	while ! grep -q hogging /tmp/memhog.out; do
		[ $i -lt $(($2 * 10)) ] || return 1
		i=$((i + 1))
		sleep 0.1
	done
}

# kexec_initrd PATH...: the initrd a kexec boots into /tmp/initrd: the one
# this boot came from (retain_initrd keeps it as /sys/firmware/initrd, 5.16+)
# with PATH... (relative to /) added, else this root file system packed
# again.  Prints how.  The added archive goes first: the kernel unpacks an
# uncompressed archive and then a compressed one, not the reverse.
kexec_initrd()
{
	if [ -r /sys/firmware/initrd ]; then
		# Parent directories first: the kernel makes none itself.
		(cd / && {
			for p in "$@"; do
				while [ "${p%/*}" != "$p" ]; do p=${p%/*}; echo "$p"; done
			done | sort -u
			for p in "$@"; do find "$p"; done
		} | cpio -o -H newc) > /tmp/state.cpio 2>/dev/null
		cat /tmp/state.cpio /sys/firmware/initrd > /tmp/initrd
		echo "retained initrd + $*"
	else
		(cd / && find . -xdev | cpio -o -H newc) > /tmp/initrd 2>/dev/null
		echo "root file system packed again"
	fi
}
