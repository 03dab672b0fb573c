#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The ramdax test suite (`make check`): for every target, stages 1-4
# (root, build, initramfs, boot each scenario), then stage 5's KTAP report on
# stdout; progress on stderr.  Exits non-zero on any failure.
#
# env: RAMDAX_TARGETS="sid-7.2"            targets to run (default: all)
#      RAMDAX_SCENARIOS="documented-flow"  scenarios to run (default: all
#                                          but "ramdax-check: long" ones)
#      RAMDAX_LONG=1                       the "ramdax-check: long" ones instead
#                                          (make check-long)
#      RAMDAX_IMAGE=1                      the "ramdax-check: image" ones instead,
#                                          for system-image targets (make
#                                          check-image); they run only these
#      RAMDAX_PMDK=1                       the "ramdax-check: pmdk" ones instead
#                                          (make check-pmdk: PMDK's own tests,
#                                          built first by pmdk-build.sh); with
#                                          RAMDAX_LONG=1, both kinds in one run
#      RAMDAX_SKIP="trixie-6.12/bind-cycles" TARGET/SCENARIO pairs left out,
#                                          reported as SKIP with RAMDAX_SKIP_WHY
#                                          (.ci/run: CI's time budget)
#      RAMDAX_DRIVER=upstream              test the kernel's ramdax.ko instead
#      RAMDAX_CACHE=/var/cache/ramdax-test where roots and builds are kept
#      RAMDAX_JOBS=2                       guests booted at once (default: nproc;
#                                          with more than one, each gets 1 vCPU)
set -uo pipefail
tt=$(cd "$(dirname "$0")" && pwd)
. "$tt/lib/common.sh"
. "$tt/5-results.sh"

need_root
need_host_tools
need_disk
lock_cache
ramdax_mirror >/dev/null

targets=${RAMDAX_TARGETS:-$(all_targets)}
if [ -n "${RAMDAX_SCENARIOS:-}" ]; then
	scenarios=$RAMDAX_SCENARIOS
else
	# "no": a demo or benchmark; "long": too long for a bare make check.
	want=
	[ "${RAMDAX_LONG:-0}" = 0 ] || want="$want long"
	[ "${RAMDAX_IMAGE:-0}" = 0 ] || want="$want image"
	[ "${RAMDAX_PMDK:-0}" = 0 ] || want="$want pmdk"
	scenarios=$(cd "$tt/scenarios" && for s in *; do
		c=$(scenario_header "$s" check)
		[ -x "$s" ] && printf '%s\n' ${want:-yes} | grep -qx "${c:-yes}" && echo "$s"
	done)
fi
for t in $targets; do [ -f "$tt/targets/$t" ] || die "unknown target $t (have: $(all_targets | xargs))"; done
for s in $scenarios; do [ -x "$tt/scenarios/$s" ] || die "unknown scenario $s"; done
# A root still to build needs the mirror: say so once, before any stage.
for t in $targets; do
	load_target "$t"
	[ -f "$TARGET_ROOT/.ramdax-root" ] || need_mirror "$TARGET_SUITE"
	[ "$TARGET_IMAGE" != yes ] || [ -f "$RAMDAX_CACHE/images/$t/base.img" ] ||
		need_mirror "$TARGET_SUITE"
done
build_opts=
[ "${RAMDAX_DRIVER:-ours}" = ours ] || build_opts=--helpers-only

jobs=${RAMDAX_JOBS:-$(nproc)}
[ "$jobs" -gt 1 ] && export RAMDAX_SMP=${RAMDAX_SMP:-1}

# needs_pmdk TARGET: a "ramdax-check: pmdk" scenario is to run there.
needs_pmdk()
{
	local s only

	for s in $scenarios; do
		[ "$(scenario_header "$tt/scenarios/$s" check)" = pmdk ] || continue
		only=$(scenario_header "$tt/scenarios/$s" targets)
		[ -z "$only" ] || printf '%s\n' $only | grep -qx "$1" || continue
		return 0
	done
	return 1
}

start=$(date +%s)
# Stages 1-3 per target, in turn; a target whose stage failed fails each of
# its scenarios with that stage's log.
declare -A failed
for t in $targets; do
	load_target "$t"
	mkdir -p "$TARGET_WORK"
	stage_log=$TARGET_WORK/stages.log
	if ! "$tt/1-root.sh" "$t" > /dev/null 2> "$stage_log"; then
		failed[$t]="root (chroot) failed"
	elif [ "$TARGET_IMAGE" = yes ]; then
		# A system image boots its own kernel: no module build or
		# initramfs here.  The package (deb.sh) goes onto the test disk
		# and into "ramdax-image: installed" images; without it, the
		# scenarios that need it fail, saying so, and the others run.
		if [ -x "$tt/deb.sh" ] && ! "$tt/deb.sh" "$t" > /dev/null 2>> "$stage_log"; then
			log "check: $t: deb.sh failed (its log: $stage_log): no package for its scenarios"
		fi
		if ! "$tt/2-build.sh" --helpers-only "$t" 2>> "$stage_log"; then
			failed[$t]="helpers build failed"
		elif ! "$tt/1-image.sh" "$t" > /dev/null 2>> "$stage_log"; then
			failed[$t]="system image (1-image.sh) failed"
		fi
	elif ! "$tt/2-build.sh" $build_opts "$t" 2>> "$stage_log"; then
		failed[$t]="module build failed"
	elif ! "$tt/3-initramfs.sh" "$t" > /dev/null 2>> "$stage_log"; then
		failed[$t]="initramfs failed"
	elif needs_pmdk "$t" && ! "$tt/pmdk-build.sh" "$t" > /dev/null 2>> "$stage_log"; then
		failed[$t]="PMDK test build (pmdk-build.sh) failed"
	fi
	cat "$stage_log" >&2
done

# Stage 4: every scenario of every target in its own guest, $jobs at a time,
# the longest first (by the guest time its last run took; one never run yet
# counts as longest), so that the run does not end with one guest still
# booting while the other cores idle.  The order changes no result.
running=0
order=$(for t in $targets; do
	[ -z "${failed[$t]:-}" ] || continue
	for s in $scenarios; do
		status=$RAMDAX_CACHE/work/$t/runs/$s/status
		secs=$(sed -n 's/^seconds=//p' "$status" 2>/dev/null)
		# A pair RAMDAX_SKIP left out last time: the time of its last run.
		! grep -qs '^skip=' "$status" || secs=$(sed -n 's/^last_seconds=//p' "$status" | grep . || echo 0)
		echo "${secs:-999999} $t $s"
	done
done | sort -s -k1,1nr)
while read -r secs t s <&3; do
	[ -n "$s" ] || continue
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	{ "$tt/4-boot.sh" "$t" "$s" < /dev/null || log "check: 4-boot.sh $t $s failed"; } &
	running=$((running + 1))
done 3<<< "$order"
wait

# Stage 5, in a fixed order whatever order the guests finished in.
results_start $(($(echo $targets | wc -w) * $(echo $scenarios | wc -w)))
for t in $targets; do
	load_target "$t"
	for s in $scenarios; do
		if [ -n "${failed[$t]:-}" ]; then
			results_fail "$t/$s" "${failed[$t]}" "$TARGET_WORK/stages.log"
		else
			results_report "$t" "$s"
		fi
	done
done
echo "# $(($(date +%s) - start)) s"
results_end
