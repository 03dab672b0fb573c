# SPDX-License-Identifier: GPL-2.0
# Benchmark helpers for the "bench-*" scenarios (make bench; busybox sh).
# Source after ktap.sh and ramdax.sh.  A figure is a few KTAP tests (that
# what was measured worked: a benchmark of a failed command is no figure)
# plus one result line per measurement on the result channel:
#
#   # bench: {"figure":5,"contender":"ramdax","case":"devdax 2M",
#             "metric":"seq_write","value":812.5,"unit":"MiB/s"}
#
# which tools/testing/ramdax/bench.sh turns into JSON, Markdown and charts.
# Ratios are made there, between contenders of one boot.
#
# Kernel command line (bench.sh sets it from its environment):
#   ramdax.bench_iter=N          repetitions per measurement (default 5)
#   ramdax.bench_smoke=1         smallest sizes, one of everything (.ci/run)
#   ramdax.bench_contenders=a,b  only these contenders (default all)
#
#   bench_cmdline NAME       the value of ramdax.NAME= on the command line
#   bench_want CONTENDER     true if CONTENDER is to be measured
#   bench_result FIG CONTENDER CASE METRIC VALUE UNIT
#   bench_progress TEXT      a progress line (bench.sh shows it as it comes)
#   now_us                   a monotonic clock in microseconds
#   bench_time VAR CMD...    run CMD, VAR=its wall time in ms (3 decimals);
#                            returns CMD's status

bench_cmdline() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^ramdax\.$1=//p" | tail -n 1; }

BENCH_ITER=$(bench_cmdline bench_iter)
BENCH_ITER=${BENCH_ITER:-5}
BENCH_SMOKE=$(bench_cmdline bench_smoke)
BENCH_SMOKE=${BENCH_SMOKE:-0}
BENCH_CONTENDERS=$(bench_cmdline bench_contenders | tr ',' ' ')

bench_want()
{
	[ -z "$BENCH_CONTENDERS" ] && return 0
	printf '%s\n' $BENCH_CONTENDERS | grep -qx "$1"
}

bench_result()
{
	printf '# bench: {"figure":%s,"contender":"%s","case":"%s","metric":"%s","value":%s,"unit":"%s"}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6"
}

bench_progress() { printf '# bench-progress: %s\n' "$*"; }

# busybox date has no %N, /proc/uptime counts hundredths: a helper's
# monotonic clock (a fork: about a millisecond under TCG, the same for every
# contender).
now_us() { monous; }

bench_time()
{
	local var=$1 a b rc=0

	shift
	a=$(now_us)
	"$@" || rc=$?
	b=$(now_us)
	eval "$var=$(((b - a) / 1000)).$(printf '%03d' $(((b - a) % 1000)))"
	return $rc
}

# bench_median V...: the median of the values (the lower middle one for an
# even count): one slow repetition on a shared host moves no figure.
bench_median()
{
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The kernel's own ramdax.ko, if it ships one (nd_ramdax's alias "ramdax"
# would satisfy modprobe and modinfo: look for the file).
upstream_ko() { find "/lib/modules/$(uname -r)/kernel" -name 'ramdax.ko*' | grep -q .; }

# bench_series FIG CONTENDER CASE METRIC SETUP CMD...: run SETUP, then time
# CMD, BENCH_ITER times; the median as the result.  Fails on the first
# failure of either.
bench_series()
{
	local fig=$1 who=$2 case=$3 metric=$4 setup=$5 i=0 t all=

	shift 5
	while [ $i -lt "$BENCH_ITER" ]; do
		$setup || return 1
		bench_time t "$@" || return 1
		all="$all $t"
		i=$((i + 1))
	done
	bench_result "$fig" "$who" "$case" "$metric" "$(bench_median $all)" ms
}

# --- Figure 1: bind time against carveout size.  One boot a size (the
# --- carveout is memmap=SIZE!4G in a sparse RAM file: the host pays only what
# --- the guest touches, which 4-boot.sh reports), every contender in it.
# ramdax_bind_probed: ramdax_bind without its settle, which forks for every
# pmem device (seconds with 509 of them under TCG: it would time the shell).
# Done when the driver's bind and the buses' asynchronous probes are.
ramdax_bind_probed()
{
	local d

	for d in ${RAMDAX_DEVS:=$(ramdax_devices)}; do
		echo ramdax > "$RAMDAX_SYSDEV/$d/driver_override" || return 1
		echo "$d" > "$RAMDAX_SYSDRV/bind" || return 1
	done
	nd_wait_probe
}
e820_sysdrv=/sys/bus/platform/drivers/e820_pmem
e820_bind() { echo e820_pmem > "$e820_sysdrv/bind" && nd_wait_probe; }
e820_unbind() { echo e820_pmem > "$e820_sysdrv/unbind"; }
# nfit_find: load nfit, set nfit_sysdrv to its driver directory (an ACPI
# driver in older kernels, a platform driver in newer ones) and NFIT_DEV to
# the NFIT device it holds; fails if there is none.
nfit_find()
{
	modprobe nfit >&2 2>&1
	nd_wait_probe
	nfit_sysdrv=$(ls -d /sys/bus/acpi/drivers/nfit /sys/bus/platform/drivers/acpi-nfit 2>/dev/null | head -n 1)
	NFIT_DEV=
	[ -n "$nfit_sysdrv" ] || return 1
	NFIT_DEV=$(basename "$(ls -d "$nfit_sysdrv"/ACPI0012:* 2>/dev/null | head -n 1)")
	[ "$NFIT_DEV" != . ] && [ -n "$NFIT_DEV" ]
}
nfit_bind() { echo "$NFIT_DEV" > "$nfit_sysdrv/bind" && nd_wait_probe; }
nfit_unbind() { echo "$NFIT_DEV" > "$nfit_sysdrv/unbind"; }

# bench_bind_figure SIZE: the figure's tests and results for this boot
# (SIZE as in memmap=, e.g. 256G).  Each contender binds the same carveout
# with nothing on it; nd_e820's bind includes the raw namespace it always
# makes (label-less) and that namespace's pmem block device.
bench_bind_figure()
{
	local size=$1 case="${1%G} GiB" rc

	bench_progress "figure 1: $case: nd_ramdax"
	check "load $(ramdax_module)" ramdax_load || ktap_done
	check "bind" ramdax_bind_probed || ktap_done
	expect_eq "one region: the carveout less its labels" \
		"$(json_get "$(ramdax_regions)" '.[0].size')" "$(((${size%G} << 30) - 131072))"
	if bench_want ramdax; then
		bench_series 1 ramdax "$case" bind ramdax_unbind ramdax_bind_probed
		ktap_result "ramdax: unbind and bind x$BENCH_ITER" $?
	else
		ktap_skip "ramdax: unbind and bind" "not in ramdax.bench_contenders"
	fi
	if bench_want ramdax.ko && upstream_ko; then
		bench_progress "figure 1: $case: the kernel's ramdax.ko"
		check "switch to the kernel's ramdax.ko" ramdax_switch upstream || ktap_done
		bench_series 1 ramdax.ko "$case" bind ramdax_unbind ramdax_bind_probed
		ktap_result "ramdax.ko: unbind and bind x$BENCH_ITER" $?
	else
		ktap_skip "switch to the kernel's ramdax.ko" "not asked for, or no in-kernel ramdax.ko on $(uname -r)"
		ktap_skip "ramdax.ko: unbind and bind" "not asked for, or no in-kernel ramdax.ko"
	fi
	if bench_want nd_e820; then
		bench_progress "figure 1: $case: nd_e820"
		ramdax_unbind && ramdax_rmmod
		check "nd_e820 binds the carveout" sh -c \
			'modprobe nd_e820 && . /lib/ramdax/ramdax.sh && nd_wait_probe && settle && test -b /dev/pmem0'
		bench_series 1 nd_e820 "$case" bind e820_unbind e820_bind
		ktap_result "nd_e820: unbind and bind x$BENCH_ITER" $?
		# Its page map back to System RAM before nfit makes one.
		e820_unbind
	else
		ktap_skip "nd_e820 binds the carveout" "not in ramdax.bench_contenders"
		ktap_skip "nd_e820: unbind and bind" "not in ramdax.bench_contenders"
	fi
	if bench_want qemu-nvdimm; then
		bench_progress "figure 1: $case: QEMU's NVDIMM (nfit)"
		nfit_find
		if check "nfit binds QEMU's NVDIMM ($NFIT_DEV)" test -n "$NFIT_DEV"; then
			bench_series 1 qemu-nvdimm "$case" bind nfit_unbind nfit_bind
			ktap_result "qemu-nvdimm: unbind and bind x$BENCH_ITER" $?
		else
			ktap_skip "qemu-nvdimm: unbind and bind" "no NFIT device"
		fi
	else
		ktap_skip "nfit binds QEMU's NVDIMM" "not in ramdax.bench_contenders"
		ktap_skip "qemu-nvdimm: unbind and bind" "not in ramdax.bench_contenders"
	fi
	dmesg_clean "no kernel warnings"
	ktap_done
}
