#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: ramdax measured beside the kernel's ramdax.ko, nd_e820, QEMU's
# virtual NVDIMM and plain memory, in the same boot wherever the contenders
# can share one, on sid's 7.2 (the kernel that has a ramdax.ko).  The bench-*
# scenarios measure, in guests booted by check.sh (roots, kernels, helpers and
# the initramfs as make check builds them); this script shows their progress
# as they go, then writes under $RAMDAX_CACHE/bench/DATE/:
#   results.json  every measurement, and the run's facts
#   results.md    one table a figure: each value with its ratio to the
#                 figure's reference (ramdax; the floor for labels; anonymous
#                 memory for the data path and PMDK; the same contender at
#                 1 GiB for bind against size)
#   figN.png      one chart a figure (gnuplot, installed here if missing)
#   ktap.txt      the scenarios' KTAP report (a figure whose commands failed
#                 is no figure: the bench fails)
# and links $RAMDAX_CACHE/bench/latest to it.  Not a pass/fail test of
# speed: these machines are shared and TCG is slow, only ratios in one boot
# mean something.
#
# env: RAMDAX_BENCH_FIGURES="1 5"    figures to run (default 1 to 7):
#        1 bind against carveout size   2 bind and unbind with namespaces
#        3 namespace lifecycle          4 label I/O
#        5 data path                    6 run-time carve and release
#        7 PMDK
#      RAMDAX_BENCH_CONTENDERS="ramdax ramdax.ko"  only these (default all:
#        ramdax ramdax.ko nd_e820 qemu-nvdimm anon-thp anon-4k brd anon floor
#        offline-blocks)
#      RAMDAX_BENCH_ITER=5           repetitions a measurement (the median)
#      RAMDAX_BENCH_SMOKE=1          smallest sizes, one carveout size (.ci/run)
#      RAMDAX_BENCH_TARGET=sid-7.2   the target (ramdax.ko exists from 7.2)
#      RAMDAX_BENCH_REPORT=1         boot nothing: report the scenarios' last
#                                    runs again (a new directory)
set -uo pipefail
tt=$(cd "$(dirname "$0")" && pwd)
. "$tt/lib/common.sh"

need_root
host_install gnuplot:gnuplot-nox jq:jq

figures=${RAMDAX_BENCH_FIGURES:-1 2 3 4 5 6 7}
iter=${RAMDAX_BENCH_ITER:-5}
smoke=${RAMDAX_BENCH_SMOKE:-0}
target=${RAMDAX_BENCH_TARGET:-sid-7.2}
contenders=${RAMDAX_BENCH_CONTENDERS:-}

# The scenarios measuring a figure.
figure_scenarios()
{
	case $1 in
	1)
		if [ "$smoke" = 1 ]; then
			echo bench-bind-1g
		else
			echo bench-bind-1g bench-bind-16g bench-bind-64g bench-bind-256g
		fi ;;
	2|3) echo bench-namespaces ;;
	4) echo bench-labels ;;
	5) echo bench-datapath ;;
	6) echo bench-carve ;;
	7) echo bench-pmdk ;;
	*) die "no figure $1 (1 to 7)" ;;
	esac
}
scenarios=$(for f in $figures; do figure_scenarios "$f"; done | awk '!seen[$0]++' | xargs)
[ -n "$scenarios" ] || die "no figure asked for"

load_target "$target"
out=$RAMDAX_CACHE/bench/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
append="ramdax.bench_iter=$iter ramdax.bench_smoke=$smoke"
[ -z "$contenders" ] || append="$append ramdax.bench_contenders=$(echo $contenders | tr ' ' ,)"

# progress: while the guests run, print their progress and result lines as
# they reach the result channel: a result file a boot while it runs, joined
# into result.log when it is over (a run dir's lines counted across both;
# only files written since this bench started).
progress()
{
	local -A seen=()
	local d f n line

	while :; do
		for d in "$TARGET_WORK"/runs/bench-*; do
			n=0
			for f in "$d"/result.log "$d"/result.?.log; do
				[ -f "$f" ] && [ "$f" -nt "$out" ] || continue
				[ "$f" = "$d/result.log" ] || [ ! -f "$d/result.log" ] || continue
				while IFS= read -r line; do
					n=$((n + 1))
					[ "$n" -gt "${seen[$d]:-0}" ] || continue
					case $line in
					'# bench-progress: '*) log "bench: ${line#\# bench-progress: }" ;;
					'# bench: '*) log "bench:   $(printf '%s\n' "${line#\# bench: }" |
						jq -r '"\(.contender) \(.case): \(.metric) \(.value) \(.unit)"' 2>/dev/null)" ;;
					'not ok '*) log "bench:   $line" ;;
					esac
				done < "$f"
				[ "$f" != "$d/result.log" ] || break
			done
			[ "$n" -le "${seen[$d]:-0}" ] || seen[$d]=$n
		done
		sleep 3
	done
}

start=$(date +%s)
if [ "${RAMDAX_BENCH_REPORT:-0}" = 1 ]; then
	log "bench: figures $figures on $target ($scenarios): their last runs, into $out"
	"$tt/5-results.sh" $(for s in $scenarios; do echo "$target/$s"; done) > "$out/ktap.txt" 2>/dev/null
	rc=0
	# What those boots were asked for.
	for s in $scenarios; do
		c=$TARGET_WORK/runs/$s/console.log
		[ -f "$c" ] || continue
		iter=$(grep -o -m1 'ramdax\.bench_iter=[0-9]*' "$c" | cut -d= -f2)
		smoke=$(grep -o -m1 'ramdax\.bench_smoke=[0-9]*' "$c" | cut -d= -f2)
		iter=${iter:-5} smoke=${smoke:-0}
		break
	done
	for s in $scenarios; do
		grep -q '^# ramdax-exit: 0$' "$TARGET_WORK/runs/$s/result.log" 2>/dev/null || rc=1
	done
else
	log "bench: figures $figures on $target ($scenarios), $iter iteration(s)$([ "$smoke" = 0 ] || echo ', smoke'), into $out"
	progress &
	poller=$!
	trap 'kill $poller 2>/dev/null' EXIT
	RAMDAX_TARGETS=$target RAMDAX_SCENARIOS=$scenarios RAMDAX_APPEND="$append ${RAMDAX_APPEND:-}" \
		"$tt/check.sh" > "$out/ktap.txt"
	rc=$?
	sleep 4
	kill $poller 2>/dev/null
	wait $poller 2>/dev/null
fi

# Every result line of every scenario, with its scenario; figure 1's boots
# also say how much of their sparse RAM file the guest wrote.
for s in $scenarios; do
	run=$TARGET_WORK/runs/$s
	sed -n 's/^# bench: //p' "$run/result.log" 2>/dev/null | jq -c --arg s "$s" '. + {scenario: $s}'
	kb=$(sed -n 's/^ram_file_kb=//p' "$run/status" 2>/dev/null)
	case $s in
	bench-bind-*)
		[ -z "$kb" ] || [ "$kb" = 0 ] ||
			jq -nc --arg s "$s" --argjson kb "$kb" '{figure: 1, contender: "(the boot)",
				case: "\($s | ltrimstr("bench-bind-") | rtrimstr("g")) GiB",
				metric: "host RAM written", value: ($kb / 1024 | floor), unit: "MiB", scenario: $s}' ;;
	esac
done | jq -s --argjson figs "[$(echo $figures | tr ' ' ,)]" '[.[] | select(.figure as $f | $figs | index($f))]' \
	> "$out/results.raw.json"

kver=$(load_kernel > /dev/null 2>&1; echo "${TARGET_KVER:-unknown}")
commit=$(git -C "$RAMDAX_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
jq --arg date "$(date -u +%FT%TZ)" --arg commit "$commit" --arg target "$target" \
   --arg kernel "$kver" --argjson iter "$iter" --argjson smoke "$smoke" \
   --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
   --argjson cpus "$(nproc)" --argjson seconds $(($(date +%s) - start)) --argjson rc "$rc" \
   '{date: $date, commit: $commit, target: $target, kernel: $kernel, accel: "tcg",
     iterations: $iter, smoke: ($smoke == 1), host: {cpu: $cpu, cpus: $cpus},
     seconds: $seconds, check_exit: $rc, results: .}' "$out/results.raw.json" > "$out/results.json"
rm -f "$out/results.raw.json"

# The reference a figure's ratios are to.  Figure 1: each contender's own
# bind at 1 GiB (the issue's goal: 256 GiB within 1.2x of 1 GiB).
REFS='{"2": "ramdax", "3": "ramdax", "4": "floor", "5": "anon-thp", "6": "offline-blocks", "7": "anon"}'
TITLES='{"1": "Bind time against carveout size", "2": "Bind until every namespace is enabled; unbind",
	 "3": "Namespace lifecycle (ndctl create/destroy; fill and destroy all)",
	 "4": "Label I/O: the whole 128 KiB area", "5": "Data path",
	 "6": "Run-time carve and release", "7": "PMDK"}'

# ratios: every result with .ratio (to its reference) and .ref.
ratios()
{
	jq --argjson refs "$REFS" '.results as $r | [$r[] | . as $x |
		(if .figure == 1 then
			{ref: "\(.contender) at 1 GiB",
			 v: ([$r[] | select(.figure == 1 and .contender == $x.contender and
				.metric == $x.metric and .case == "1 GiB")][0].value)}
		 else
			# The reference in the same case, else its one case
			# for that metric (anonymous memory is one case).
			[$r[] | select(.figure == $x.figure and .contender == $refs[$x.figure | tostring] and
				.metric == $x.metric)] as $m |
			{ref: $refs[.figure | tostring],
			 v: (([$m[] | select(.case == $x.case)][0].value) //
			     (if ($m | length) == 1 then $m[0].value else null end))}
		 end) as $ref |
		. + {ref: $ref.ref, ratio: (if ($ref.v // 0) > 0 then (.value / $ref.v * 1000 | round / 1000) else null end)}]' \
		"$out/results.json"
}
ratios > "$out/ratios.json"

# The Markdown: a table a figure, rows case x metric, a column a contender.
{
	echo "# ramdax bench, $(jq -r '"\(.date), \(.target) (\(.kernel)), \(.iterations) iteration(s)\(if .smoke then ", smoke" else "" end), commit \(.commit)"' "$out/results.json")"
	echo
	echo "Each cell: the median, and in parentheses its ratio to the figure's reference."
	for f in $(jq -r '[.[].figure] | unique[]' "$out/ratios.json"); do
		jq -r --argjson f "$f" --argjson titles "$TITLES" '
			[.[] | select(.figure == $f)] as $r |
			($r | map(.contender) | unique) as $c |
			"", "## Figure \($f): \($titles[$f | tostring]) (ratio to \($r[0].ref | sub(" at 1 GiB$"; "") | if $f == 1 then "the contender at 1 GiB" else . end))", "",
			"| case | metric | " + ($c | join(" | ")) + " |",
			"|---|---|" + ($c | map("---:") | join("|")) + "|",
			($r | group_by([.case, .metric]) | sort_by(.[0].case | (capture("^(?<n>[0-9]+)") | .n | tonumber) // 0)[] |
				. as $g | "| \($g[0].case) | \($g[0].metric) (\($g[0].unit)) | " +
				([$c[] as $x | ($g | map(select(.contender == $x))[0]) |
					if . == null then "" else
					"\(.value)" + (if .ratio == null then "" else " (\(.ratio)×)" end) end] | join(" | ")) + " |")
		' "$out/ratios.json"
	done
} > "$out/results.md"

# ratio_chart FIG METRIC NAME: clustered bars of the ratios of FIG (of
# METRIC only, if not empty), a cluster a case x metric, into NAME.png.
ratio_chart()
{
	local dat=$out/$3.dat n

	jq -r --argjson f "$1" --arg m "$2" '[.[] | select(.figure == $f and .ratio != null and
			($m == "" or .metric == $m))] as $r |
		($r | map(.contender) | unique) as $c |
		(["case"] + $c | map(gsub(" "; "_")) | join("\t")),
		($r | group_by([.case, .metric])[] | . as $g |
			(["\($g[0].case)\(if $m == "" then ": \($g[0].metric)" else "" end)" | gsub("[ \t]"; "_")] +
			 [$c[] as $x | ($g | map(select(.contender == $x))[0].ratio // "?") | tostring]) | join("\t"))' \
		"$out/ratios.json" > "$dat"
	[ "$(wc -l < "$dat")" -gt 1 ] || return 0
	n=$(head -n 1 "$dat" | awk -F'\t' '{ print NF }')
	gnuplot <<-EOF
		set terminal pngcairo size 1200,600
		set output "$out/$3.png"
		set title "Figure $1: $(jq -r --arg f "$1" '.[$f]' <<< "$TITLES")${2:+, $2}, ratio to $(jq -r --argjson f "$1" '[.[] | select(.figure == $f)][0].ref' "$out/ratios.json") (TCG)" noenhanced
		set style data histograms; set style histogram clustered gap 1
		set style fill solid 0.8 border -1; set boxwidth 0.9
		set datafile missing "?"; set datafile separator "\t"
		set xtics rotate by -35 font ",8" noenhanced; set key outside right noenhanced
		set grid ytics; set yrange [0:*]
		plot for [i=2:$n] "$dat" using i:xtic(1) title columnheader(i)
	EOF
}

# The charts: figure 1 a line a contender (bind time against size, log-log);
# the others clustered bars of the ratios, a cluster a case x metric.
charts()
{
	local f dat n m

	for f in $(jq -r '[.[].figure] | unique[]' "$out/ratios.json"); do
		dat=$out/fig$f.dat
		if [ "$f" = 1 ]; then
			jq -r '[.[] | select(.figure == 1 and .metric == "bind")] as $r |
				($r | map(.contender) | unique) as $c |
				(["GiB"] + $c | map(gsub(" "; "_")) | join("\t")),
				($r | group_by(.case)[] | . as $g |
					([$g[0].case | capture("^(?<n>[0-9]+)").n] +
					 [$c[] as $x | ($g | map(select(.contender == $x))[0].value // "?") | tostring]) | join("\t"))' \
				"$out/ratios.json" | sort -n > "$dat"
			n=$(head -n 1 "$dat" | awk -F'\t' '{ print NF }')
			gnuplot <<-EOF
				set terminal pngcairo size 900,540
				set output "$out/fig1.png"
				set title "Figure 1: bind time against carveout size (TCG)"
				set xlabel "carveout (GiB)"; set ylabel "bind (ms)"
				set logscale xy 2; set key top left noenhanced; set datafile missing "?"
				set grid
				plot for [i=2:$n] "$dat" using 1:i with linespoints title columnheader(i)
			EOF
			continue
		fi
		# The data path: a chart a metric (its fault counts and first
		# touches are hundreds of times anonymous memory's: they would
		# flatten the rest; they are in the table).
		if [ "$f" = 5 ]; then
			for m in seq_write seq_read rand_read; do
				ratio_chart "$f" "$m" "fig$f-$m"
			done
		else
			ratio_chart "$f" "" "fig$f"
		fi
	done
}
charts 2>> "$out/gnuplot.log" || log "bench: a chart failed, see $out/gnuplot.log"

ln -sfn "$(basename "$out")" "$RAMDAX_CACHE/bench/latest"
cat "$out/results.md"
log "bench: $(jq '.results | length' "$out/results.json") results in $(($(date +%s) - start)) s: $out/results.json, results.md, $(cd "$out" && ls fig*.png 2>/dev/null | xargs)"
[ $rc = 0 ] || log "bench: a scenario failed (its KTAP: $out/ktap.txt): no figure of it is to be trusted"
exit $rc
