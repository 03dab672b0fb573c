# SPDX-License-Identifier: GPL-2.0
# Debug-kernel helpers for guest scenarios (busybox sh): kmemleak scanned on
# demand, lockdep's state, failslab through fail-nth.  Source after ktap.sh.
#
#   kmemleak_ready          kmemleak is on (scans when asked)
#   kmemleak_clear          forget every object suspected so far (boot's)
#   kmemleak_check NAME     a test: after two scans kmemleak reports nothing;
#                           else its report, as diagnostics and on the console
#   lockdep_on              lockdep still checks (a splat switches it off)
#   failslab_ready          fail-nth can fail GFP_KERNEL slab allocations;
#                           makes failslab say so in one line, no stack dump
#   fail_nth N FILE STRING  write STRING to FILE from a subshell whose Nth
#                           fault-injection point fails; prints "RC LEFT":
#                           the write's status and what fail-nth had left
#                           (0: a failure was injected, more: never reached);
#                           the shell's error message in $KDEBUG_FAIL_ERR
#   nr_paths GLOB           NR_PATHS=how many paths GLOB matches, no process

KDEBUG_KMEMLEAK=/sys/kernel/debug/kmemleak
KDEBUG_FAILSLAB=/sys/kernel/debug/failslab
KDEBUG_FAIL_ERR=/tmp/fail_nth.err

kmemleak_ready() { [ -w "$KDEBUG_KMEMLEAK" ] && cat "$KDEBUG_KMEMLEAK" > /dev/null 2>&1; }

kmemleak_clear() { echo clear > "$KDEBUG_KMEMLEAK"; }

kmemleak_check()
{
	local out=/tmp/kmemleak.$$ n

	# kmemleak never reports an object younger than 5 s; a second scan
	# catches what the first saw referenced only from a stale stack.
	sleep 6
	if ! { echo scan > "$KDEBUG_KMEMLEAK" && echo scan > "$KDEBUG_KMEMLEAK"; }; then
		ktap_fail "$1" "cannot scan: kmemleak off?"
		return 1
	fi
	cat "$KDEBUG_KMEMLEAK" > "$out"
	if [ -s "$out" ]; then
		n=$(grep -c '^unreferenced object' "$out")
		ktap_fail "$1" "kmemleak: $n unreferenced objects"
		head -n 80 "$out" | ktap_diag_stream
		cat "$out" >&2
		rm -f "$out"
		return 1
	fi
	rm -f "$out"
	ktap_ok "$1"
}

lockdep_on() { [ "$(awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats 2>/dev/null)" = 1 ]; }

failslab_ready()
{
	[ -w /proc/thread-self/fail-nth ] && [ -d "$KDEBUG_FAILSLAB" ] || return 1
	# GFP_KERNEL allocations are exactly the ones a probe makes.
	echo N > "$KDEBUG_FAILSLAB/ignore-gfp-wait" &&
	echo 1 > "$KDEBUG_FAILSLAB/verbose"
}

fail_nth()
{
	(
		exec 5<> /proc/thread-self/fail-nth || exit 1
		echo "$1" >&5
		echo "$3" > "$2"
		rc=$?
		read -r left <&5
		echo 0 >&5
		echo "$rc ${left:-?}"
	) 2> "$KDEBUG_FAIL_ERR"
	cat "$KDEBUG_FAIL_ERR" >&2
}

nr_paths() { if [ -e "$1" ]; then NR_PATHS=$#; else NR_PATHS=0; fi; }
