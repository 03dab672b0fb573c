#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 5 (results): each boot's result channel and status, as one KTAP line
# per target/scenario with the scenario's own tests as indented subtests.
# Decided from the result channel and the status 4-boot.sh wrote, never by
# grepping the console; the console's tail is shown on failure.
#
# usage: 5-results.sh [TARGET/SCENARIO...]   report runs already booted
#                                            (default: every run in the cache)
# Sourced by check.sh for results_start, results_report, results_end.

[ -n "${RAMDAX_TT:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

RESULTS_N=0 RESULTS_PASS=0 RESULTS_FAIL=0 RESULTS_SKIP=0

results_start()
{
	echo "TAP version 13"
	echo "1..$1"
}

# results_line VERDICT NAME [WHY]: VERDICT is ok, fail or skip.
results_line()
{
	RESULTS_N=$((RESULTS_N + 1))
	case $1 in
	ok) RESULTS_PASS=$((RESULTS_PASS + 1)); echo "ok $RESULTS_N $2" ;;
	skip) RESULTS_SKIP=$((RESULTS_SKIP + 1)); echo "ok $RESULTS_N $2 # SKIP ${3:-}" ;;
	*) RESULTS_FAIL=$((RESULTS_FAIL + 1)); echo "not ok $RESULTS_N $2${3:+ # $3}" ;;
	esac
}

# results_fail NAME WHY [LOG]: a target/scenario that never booted (root,
# build or initramfs failed), with LOG's tail as diagnostics.
results_fail()
{
	[ -z "${3:-}" ] || [ ! -f "$3" ] || tail -n 60 "$3" | sed 's/^/# /'
	results_line fail "$1" "$2"
}

# results_report TARGET SCENARIO: the verdict of the run 4-boot.sh left.
results_report()
{
	local run=$RAMDAX_CACHE/work/$1/runs/$2 name=$1/$2 why= verdict=fail rc
	local outcome= last_seconds= retried=0 retry_reason= seconds= timeout= skip= phases=1 qemu_rc= accel= reason=

	if [ ! -f "$run/status" ]; then
		results_line fail "$name" "not booted"
		return
	fi
	. "$run/status"
	if [ -n "$skip" ]; then
		results_line skip "$name" "$skip"
		return
	fi
	echo "    # Subtest: $name"
	[ ! -f "$run/result.log" ] ||
		grep -vE '^TAP version|^# ramdax-(exit|reboot-same-ram|kexec)' "$run/result.log" | sed 's/^/    /'
	rc=$(sed -n 's/^# ramdax-exit: //p' "$run/result.log" 2>/dev/null | tail -n 1)
	case $outcome in
	timeout) why="timed out after ${timeout}s (hard timeout; guest hung)" ;;
	no-tap) why="guest never reached the scenario, twice (early boot failure)" ;;
	died) why="guest died during the scenario: $(grep -m1 -E 'Kernel panic|BUG:|Oops:' "$run/console.log" || echo "qemu exit $qemu_rc")" ;;
	bad-reboot) why="scenario asked for reboot-same-ram without '# ramdax-ram-file: yes'" ;;
	bad-kexec) why="guest asked for a kexec, then QEMU exited: the kexec'd kernel never came up" ;;
	too-many-boots) why="still asking for a restart after 16 QEMU starts" ;;
	setup) why=$reason ;;
	exited)
		case $rc in
		0) verdict=ok ;;
		4) verdict=skip
		   why=$(sed -n 's/^1\.\.0 # SKIP //p' "$run/result.log" | head -n 1)
		   why=${why:-all tests skipped} ;;
		*) why="exit $rc" ;;
		esac ;;
	*) why="unknown outcome '$outcome'" ;;
	esac
	[ "$retried" = 0 ] || echo "# $name: retried once: $retry_reason"
	[ "$phases" -le 1 ] || echo "# $name: $phases boots on the same RAM"
	if [ $verdict = fail ] && [ -f "$run/console.log" ]; then
		echo "# $name: console tail ($run/console.log):"
		tail -n 60 "$run/console.log" | sed 's/^/# | /'
	fi
	results_line $verdict "$name ($seconds s)" "$why"
}

# results_end: totals, then the plain last line; returns 1 on any failure.
results_end()
{
	local line="$RESULTS_PASS passed, $RESULTS_FAIL failed"

	echo "# Totals: pass:$RESULTS_PASS fail:$RESULTS_FAIL skip:$RESULTS_SKIP"
	[ $RESULTS_SKIP = 0 ] || line="$line, $RESULTS_SKIP skipped"
	echo "$line"
	[ $RESULTS_FAIL = 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	if [ $# = 0 ]; then
		set -- $(cd "$RAMDAX_CACHE/work" 2>/dev/null && ls -d */runs/* 2>/dev/null | sed 's|/runs/|/|')
	fi
	results_start $#
	for r in "$@"; do
		results_report "${r%%/*}" "${r#*/}"
	done
	results_end
fi
