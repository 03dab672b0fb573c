# SPDX-License-Identifier: GPL-2.0
# KTAP helpers for ramdax guest scenarios (busybox sh), in the manner of
# tools/testing/selftests/kselftest/ktap_helpers.sh.  Source it, then:
#
#   ktap_plan 3                       # optional; printed at ktap_done if not
#   check "fsdax namespace" ndctl create-namespace -m fsdax -s 64M
#   expect_eq "one region" "$(json_len "$(ndctl list -R)")" 1
#   ktap_skip "xfs" "no xfs module"
#   ktap_done                         # exits 0 pass, 1 fail, 4 skip
#
# A scenario's stdout is the result channel: print only KTAP there.  Command
# output goes to stderr (the console log) and, for a failing check, its last
# lines come back as "# " diagnostics.  Lines must not start with "ok"/"not ok"
# except the results themselves.

KTAP_N=${RAMDAX_TESTBASE:-0}
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0
KTAP_PLANNED=

ktap_diag() { printf '# %s\n' "$*"; }

# Prefix every line of stdin with "# ".
ktap_diag_stream() { sed 's/^/# /'; }

ktap_plan()
{
	KTAP_PLANNED=$1
	# A later phase (after reboot-same-ram) continues the first phase's plan.
	[ "${RAMDAX_TESTBASE:-0}" -gt 0 ] || echo "1..$1"
}

ktap_ok()
{
	KTAP_N=$((KTAP_N + 1)) KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $1"
}

# ktap_fail NAME [WHY...]
ktap_fail()
{
	local name=$1

	shift
	KTAP_N=$((KTAP_N + 1)) KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N $name"
	[ $# -eq 0 ] || ktap_diag "$*"
}

# ktap_skip NAME WHY...
ktap_skip()
{
	local name=$1

	shift
	KTAP_N=$((KTAP_N + 1)) KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $name # SKIP $*"
}

# ktap_result NAME RC: ok if RC is 0.
ktap_result()
{
	if [ "$2" = 0 ]; then ktap_ok "$1"; else ktap_fail "$1" "exit $2"; fi
}

# check NAME CMD [ARGS...]: run CMD, ok if it exits 0.  Its output goes to the
# console; on failure the last 20 lines are also diagnostics.  Returns CMD's
# exit status so a scenario can stop early: check ... || ktap_done
check()
{
	local name=$1 rc out

	shift
	out=/tmp/ktap.check.$$
	echo "+ $*" >&2
	"$@" > "$out" 2>&1
	rc=$?
	cat "$out" >&2
	if [ $rc = 0 ]; then
		ktap_ok "$name"
	else
		ktap_fail "$name" "'$*' exited $rc"
		tail -n 20 "$out" | ktap_diag_stream
	fi
	rm -f "$out"
	return $rc
}

# check_fails NAME CMD...: ok if CMD fails (a refusal that must happen).
check_fails()
{
	local name=$1 rc

	shift
	echo "+ ! $*" >&2
	"$@" >&2 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		ktap_ok "$name"
	else
		ktap_fail "$name" "'$*' succeeded, expected a failure"
	fi
	[ $rc != 0 ]
}

# expect_eq NAME GOT WANT
expect_eq()
{
	if [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "got '$2', want '$3'"
		return 1
	fi
}

# expect_ne NAME GOT UNWANTED
expect_ne()
{
	if [ "$2" != "$3" ]; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "got '$2', which it must not be"
		return 1
	fi
}

# ktap_skip_all WHY: the whole scenario does not apply here.
ktap_skip_all()
{
	echo "1..0 # SKIP $*"
	exit 4
}

# ktap_done: close the plan and exit per kselftest (0 pass, 1 fail, 4 skip).
ktap_done()
{
	[ -n "$KTAP_PLANNED" ] || echo "1..$KTAP_N"
	if [ -n "$KTAP_PLANNED" ] && [ "$KTAP_N" != "$KTAP_PLANNED" ]; then
		ktap_diag "planned $KTAP_PLANNED tests, ran $KTAP_N"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
	ktap_diag "Totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	[ $KTAP_FAIL = 0 ] || exit 1
	[ $KTAP_PASS != 0 ] || [ $KTAP_SKIP = 0 ] || exit 4
	exit 0
}

# ktap_reboot_same_ram: end this phase and ask the host to boot the guest
# again on the same RAM file (scenario header "# ramdax-ram-file: yes"); the
# scenario then runs again with RAMDAX_PHASE=2 and its numbering continued.
ktap_reboot_same_ram()
{
	sync
	echo "# ramdax-reboot-same-ram"
	ktap_diag "phase ${RAMDAX_PHASE:-1}: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	[ $KTAP_FAIL = 0 ] || exit 1
	exit 0
}

# JSON (ndctl/daxctl output) through jq.
#   json_get "$(ndctl list -N)" '.[0].blockdev'   -> pmem0
#   json_len "$(ndctl list -R)"                    -> number of elements
# ndctl prints a bare object for one result and an array for several:
# json_array makes both an array.
json_get() { printf '%s\n' "$1" | jq -r "$2"; }
json_array() { printf '%s\n' "${1:-[]}" | jq -c 'if type == "array" then . else [.] end'; }
json_len() { json_array "$1" | jq 'length'; }

# dmesg_mark NAME / dmesg_since NAME: the kernel log written after the mark.
dmesg_mark() { echo "ramdax-test: mark $1" > /dev/kmsg; }
dmesg_since() { dmesg | sed -n "/ramdax-test: mark $1\$/,\$p" | sed 1d; }

# The lines init fails a scenario for, wherever they appear (extended
# regular expressions), except a debug kernel's kmemleak saying it started or
# that it fell back to scanning an object whole (failslab failed its own
# bookkeeping; not a leak).  guest/init fails every scenario on them too.
KTAP_DMESG_BAD='WARNING:|BUG:|Call Trace|KASAN|kmemleak|Oops|general protection'
KTAP_DMESG_OK='kmemleak: (Kernel memory leak detector initialized|Cannot allocate a scan area)'

# dmesg_bad: of the kernel log lines on stdin, those that fail a scenario.
dmesg_bad() { grep -E "$KTAP_DMESG_BAD" | grep -vE "$KTAP_DMESG_OK"; }

# dmesg_clean NAME [MARK]: a test that the kernel log (since MARK) holds none.
dmesg_clean()
{
	local bad

	if [ -n "${2:-}" ]; then
		bad=$(dmesg_since "$2" | dmesg_bad)
	else
		bad=$(dmesg | dmesg_bad)
	fi
	if [ -z "$bad" ]; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "kernel log:"
		printf '%s\n' "$bad" | head -n 20 | ktap_diag_stream
		return 1
	fi
}

# narrate 'COMMAND LINE': echo it as a reader would type it, then run it
# (through eval, so redirections work) with its output on the console.
narrate()
{
	printf '\n$ %s\n' "$*" >&2
	eval "$*" >&2 2>&1
}
