# SPDX-License-Identifier: GPL-2.0
# ramdax helpers for guest scenarios (busybox sh).  Source after ktap.sh.
#
#   ramdax_load            load the driver under test and the libnvdimm
#                          personalities (nothing autoloads: there is no udev)
#   ramdax_bind [DEV...]   bind ramdax to the e820_pmem device(s)
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

# The carveouts memmap=nn!ss made: one e820_pmem platform device.
ramdax_devices()
{
	local d

	for d in "$RAMDAX_SYSDEV"/e820_pmem*; do
		[ -e "$d" ] && basename "$d"
	done
}

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

	[ -n "$devs" ] || { echo "ramdax_bind: no e820_pmem device (memmap=nn!ss?)" >&2; return 1; }
	for d in $devs; do
		echo ramdax > "$RAMDAX_SYSDEV/$d/driver_override" || return 1
		# nd_e820 may hold it (if someone loaded it): let go first.
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
