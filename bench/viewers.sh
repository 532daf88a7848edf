#!/bin/bash
# Video fan-out benchmark (see bench/README): the largest number of
# concurrent 30 fps viewers with under 1% of frames late or missing, for
# 720p and 1440p, all on one stream and spread over three, with shared
# players and with --no-shared-players (every viewer decodes alone).
# Prints a markdown table and the ratio shared / per-viewer.
#
# usage: bench/viewers.sh [build-dir]      (or BUILD=dir)
# Knobs (environment): QUALITIES="720p 1440p", STREAMS="1 3",
# MODES="per-viewer shared", SIZE_720p=640x360, SIZE_1440p=1280x720,
# COARSE="1 2 5 10 20 40 60 80 120 160", TIME_LIMIT=840 (seconds for all
# the searches), WINDOW=8, WARMUP=1, SPREAD=1, LATE_MS=100, LIMIT_PCT=1,
# CLIP_SECONDS=20, SOURCE=mandelbrot|testsrc2, SERVER_CPU=0,
# LOADGEN_CPU=1, KEEP=1 (keep the logs).
#
# Figures never decide the exit status: it is 0 unless something broke
# (no build, no clip, the server would not start or died, the generator
# failed), then 1.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$top/build-bench}}
QUALITIES=${QUALITIES:-"720p 1440p"}
STREAMS=${STREAMS:-"1 3"}
MODES=${MODES:-"per-viewer shared"}
SIZE_240p=${SIZE_240p:-320x180}
SIZE_720p=${SIZE_720p:-640x360}
SIZE_1440p=${SIZE_1440p:-1280x720}
COARSE=${COARSE:-"1 2 5 10 20 40 60 80 120 160"}
TIME_LIMIT=${TIME_LIMIT:-840}
WINDOW=${WINDOW:-8}
WARMUP=${WARMUP:-1}
SPREAD=${SPREAD:-1}
LATE_MS=${LATE_MS:-100}
LIMIT_PCT=${LIMIT_PCT:-1}
CLIP_SECONDS=${CLIP_SECONDS:-20}
SOURCE=${SOURCE:-mandelbrot}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}

. "$top/bench/lib.sh"
bench_init viewers tvchat-viewers
SERVER_PID=""
NRUN=0

# dims QUALITY: the source clip's size for a quality.
dims() {
	case $1 in
	240p)	echo 426x240 ;;
	720p)	echo 1280x720 ;;
	1440p)	echo 2560x1440 ;;
	*)	die "unknown quality $1" ;;
	esac
}

# Make (once, cached in $BUILD) a CLIP_SECONDS 30 fps clip per quality,
# encoded as videos/make-samples.sh does, then a library of three titles
# (bench-a, bench-b, bench-c: links to the same clips) in $WORK/videos.
make_clips() {
	local q size file src
	command -v ffmpeg >/dev/null || die "ffmpeg is needed to make clips"
	mkdir -p "$BUILD/viewers-clips" "$WORK/videos" ||
	    die "cannot create the clip directories"
	for q in $QUALITIES; do
		size=$(dims "$q")
		file=$BUILD/viewers-clips/$SOURCE-${CLIP_SECONDS}s_$q.mp4
		if [ ! -s "$file" ]; then
			echo "making $file ..." >&2
			# Mandelbrot is drawn at most 720 lines tall (it is
			# slow), then scaled up, as make-samples.sh does.
			case $SOURCE in
			mandelbrot)
				src="mandelbrot=s=1280x720:r=30,scale=${size%x*}:${size#*x}:flags=bicubic" ;;
			*)
				src="$SOURCE=s=$size:r=30" ;;
			esac
			ffmpeg -nostdin -v error -y -f lavfi -i "$src" \
			    -t "$CLIP_SECONDS" -c:v libx264 -preset ultrafast \
			    -crf 28 -pix_fmt yuv420p -an -movflags +faststart \
			    -f mp4 "$file.tmp" 2>"$WORK/ffmpeg.log" &&
			    mv -f "$file.tmp" "$file" ||
			    { cat "$WORK/ffmpeg.log" >&2; rm -f "$file.tmp"
			      die "cannot make $file"; }
		fi
		# tvchatd serves no symlink that leads out of its library:
		# hard links (copies across file systems) name the clips.
		for t in a b c; do
			ln -f "$file" "$WORK/videos/bench-${t}_$q.mp4" 2>/dev/null ||
			    cp -f "$file" "$WORK/videos/bench-${t}_$q.mp4" ||
			    die "cannot put $file in the library"
		done
	done
}

# Start tvchatd on a free port with extra options: sets PORT, SERVER_PID,
# SERVER_LOG; returns 1 if it would not start.
start_server() {
	local max
	max=$(echo "$COARSE" | tr ' ' '\n' | sort -n | tail -1)
	SERVER_LOG=$WORK/server.$NRUN.log
	START_TRIES=200 start_tvchatd "$SERVER_LOG" "$SERVER_CPU" \
	    -v "$WORK/videos" -m $((max + 50)) "$@" || return 1
	SERVER_PID=$TVCHATD_PID
}

# Stop the server: TERM, then KILL if it lingers.
stop_server() {
	stop_pid "$SERVER_PID"
	SERVER_PID=""
}

# Print the value of key in a key=value line.
val() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# run MODE QUALITY STREAMS N: one fresh server, one generator run. Appends
# "mode quality streams n pass key=value..." to $WORK/runs; returns 0 if
# the run passed (under LIMIT_PCT late or missing, nothing broke).
run() {
	local mode=$1 q=$2 streams=$3 n=$4 titles size line rc ok why warn i
	local opts=()
	NRUN=$((NRUN + 1))
	[ "$mode" = per-viewer ] && opts=(--no-shared-players)
	titles=bench-a
	[ "$streams" -ge 2 ] && titles=bench-a,bench-b
	[ "$streams" -ge 3 ] && titles=bench-a,bench-b,bench-c
	eval "size=\${SIZE_$q}"
	if ! start_server "${opts[@]}"; then
		echo "!! $mode $q x$streams n=$n: could not start tvchatd" >&2
		FAILED=1
		return 1
	fi
	run_generator "$VIEWERS" viewers gen "$NRUN" "$LOADGEN_CPU" \
	    -p "$PORT" -n "$n" -t "$titles" -q "$q" -s "$size" -S "$SPREAD" \
	    -W "$WARMUP" -d "$WINDOW" -l "$LATE_MS" -k "$BUILD/viewers.key" \
	    -c "${SERVER_CPU%%[,-]*}"
	rc=$LOADGEN_RC
	line=$LINE
	why=""
	# The viewers said quit: give their sessions a moment to finish,
	# so that a session still busy after 3 s stands out in the log.
	for i in $(seq 60); do
		[ "$(grep -c ': left (' "$SERVER_LOG")" -ge "$n" ] && break
		sleep 0.05
	done
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "!! $mode $q x$streams n=$n: the server died" >&2
		tail -20 "$SERVER_LOG" >&2
		FAILED=1
		why="server died"
	fi
	stop_server
	# Server-side trouble worth knowing about whatever the figures.
	warn=$(grep -vE ": (session [0-9]+ for|player [0-9]+ started|.*broker link up|.*joined from|.*left \(quit\)|player: bench-.* from|stream [0-9]+ \(bench-.*\) ended: stopped; [0-9]+ sent, [0-9]+ dropped|[0-9]+ videos in|listening on|broker started|started|shutting down|stopped)" \
	    "$SERVER_LOG" | sed 's/^tvchatd: //; s/^v[0-9]*: //' |
	    sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -5)
	if [ -n "$warn" ]; then
		echo "!! $mode $q x$streams n=$n: server log says:" >&2
		echo "$warn" | sed 's/^/     /' >&2
		echo "$mode $q $streams $n" >>"$WORK/server-warnings"
		echo "$warn" >>"$WORK/server-warnings"
	fi
	if [ -z "$line" ]; then
		echo "!! $mode $q x$streams n=$n: the generator failed" \
		    "(exit $rc)" >&2
		tail -5 "$WORK/gen.$NRUN.err" >&2
		FAILED=1
		echo "$mode $q $streams $n fail generator-failed" >>"$WORK/runs"
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "!! $mode $q x$streams n=$n: errors on the wire" >&2
		grep -v "^viewers: v[0-9]* (" "$WORK/gen.$NRUN.err" | tail -5 >&2
		why=${why:-"wire errors"}
	fi
	ok=$(awk -v b="$(val "$line" bad_pct)" -v lim="$LIMIT_PCT" \
	    'BEGIN { print (b < lim) ? 1 : 0 }')
	[ "$(val "$line" started)" = "$n" ] || why=${why:-"not all started"}
	[ -n "$why" ] && ok=0
	echo "$mode $q $streams $n $([ "$ok" = 1 ] && echo pass ||
	    echo fail) $line" >>"$WORK/runs"
	printf '   %-10s %-5s x%s n=%-4s %s: %s%% bad (late %s, missing %s), ' \
	    "$mode" "$q" "$streams" "$n" "$([ "$ok" = 1 ] && echo pass ||
	    echo FAIL)" "$(val "$line" bad_pct)" "$(val "$line" late)" \
	    "$(val "$line" missing)" >&2
	printf 'p99 delay %s ms, %s fps/viewer, cpu %s %s%% busy, ' \
	    "$(val "$line" delay_p99_ms)" "$(val "$line" fps_per_viewer)" \
	    "${SERVER_CPU%%[,-]*}" "$(val "$line" server_cpu_pct)" >&2
	printf 'generator %s%%%s\n' "$(val "$line" gen_cpu_pct)" \
	    "${why:+ ($why)}" >&2
	[ "$ok" = 1 ]
}

# search MODE QUALITY STREAMS START BUDGET: the largest n with run
# passing. Walks the coarse list from START up (or down) until the
# answer flips, then bisects to within 10%; stops early when the budget
# (seconds) is spent. Sets RESULT ("n", ">=n" or "<n" when cut short).
search() {
	local mode=$1 q=$2 streams=$3 start=$4 budget=$5
	local list=($COARSE) i lo=0 hi="" mid began=$SECONDS cut=""
	for ((i = 0; i < ${#list[@]} - 1; i++)); do
		[ "${list[i]}" -ge "$start" ] && break
	done
	if run "$mode" "$q" "$streams" "${list[i]}"; then
		lo=${list[i]}
		for ((i++; i < ${#list[@]}; i++)); do
			if [ $((SECONDS - began)) -ge "$budget" ]; then
				cut=1
				break
			fi
			if run "$mode" "$q" "$streams" "${list[i]}"; then
				lo=${list[i]}
			else
				hi=${list[i]}
				break
			fi
		done
	else
		hi=${list[i]}
		for ((i--; i >= 0; i--)); do
			if [ $((SECONDS - began)) -ge "$budget" ]; then
				cut=1
				break
			fi
			if run "$mode" "$q" "$streams" "${list[i]}"; then
				lo=${list[i]}
				break
			fi
			hi=${list[i]}
		done
	fi
	while [ -n "$hi" ] && [ $((hi - lo)) -gt 1 ] &&
	    [ $((hi - lo)) -gt $((lo / 10)) ]; do
		if [ $((SECONDS - began)) -ge "$budget" ]; then
			cut=1
			break
		fi
		mid=$(((lo + hi) / 2))
		if run "$mode" "$q" "$streams" "$mid"; then
			lo=$mid
		else
			hi=$mid
		fi
	done
	if [ -z "$hi" ]; then
		RESULT=">=$lo"
	elif [ -n "$cut" ] || [ $((hi - lo)) -gt 1 ]; then
		RESULT="$lo-$((hi - 1))"
	else
		RESULT=$lo
	fi
	[ -n "$cut" ] && RESULT="$RESULT (cut short)"
	echo "$mode $q $streams $RESULT" >>"$WORK/results"
	echo "   => $mode $q x$streams: $RESULT" >&2
}

# The number a result stands for (its lower end).
low() {
	echo "$1" | sed 's/^>=//; s/[- ].*//'
}

# Print the table from $WORK/results.
table() {
	local q s pv sh ratio size
	echo "| quality (size) | streams | per-viewer decode | shared players" \
	    "| shared / per-viewer | target |"
	echo "|---|---:|---:|---:|---:|---|"
	for q in $QUALITIES; do
		for s in $STREAMS; do
			eval "size=\${SIZE_$q}"
			pv=$(awk -v q="$q" -v s="$s" '$1 == "per-viewer" &&
			    $2 == q && $3 == s { $1 = $2 = $3 = ""; print }' \
			    "$WORK/results" | sed 's/^ *//')
			sh=$(awk -v q="$q" -v s="$s" '$1 == "shared" &&
			    $2 == q && $3 == s { $1 = $2 = $3 = ""; print }' \
			    "$WORK/results" | sed 's/^ *//')
			ratio=-
			if [ -n "$pv" ] && [ -n "$sh" ]; then
				ratio=$(awk -v a="$(low "$sh")" \
				    -v b="$(low "$pv")" 'BEGIN {
				    if (b > 0) printf "%.1fx", a / b
				    else if (a > 0) print "inf"
				    else print "-" }')
			fi
			target=""
			if [ "$s" = 1 ] && [ "$q" = 720p ]; then
				target=">= 60 shared"
			elif [ "$s" = 1 ] && [ "$q" = 1440p ]; then
				target=">= 20 shared"
			fi
			target="${target:+$target; }shared >= 5x per-viewer"
			echo "| $q ($size) | $s | ${pv:--} | ${sh:--} |" \
			    "$ratio | $target |"
		done
	done
}

build_generator viewers
VIEWERS=$GENERATOR
pinning
make_clips
echo "tvchatd: $TVCHATD; viewers: $VIEWERS" >&2
echo "cpus: $(nproc); server on cpu $(pinned_to "$SERVER_CPU"), viewers on" \
    "cpu $(pinned_to "$LOADGEN_CPU"); load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/results"
: >"$WORK/runs"
started=$SECONDS
nsearch=0
for q in $QUALITIES; do for s in $STREAMS; do for m in $MODES; do
	nsearch=$((nsearch + 1))
done; done; done
left=$nsearch
for q in $QUALITIES; do
	for s in $STREAMS; do
		pvn=""
		for m in $MODES; do
			budget=$(((TIME_LIMIT - (SECONDS - started)) / left))
			[ "$budget" -gt 0 ] || budget=1
			left=$((left - 1))
			# Per-viewer decoding holds a few viewers; shared
			# players start at 5x that (the target), at least 10.
			start=2
			if [ "$m" = shared ]; then
				start=10
				if [ -n "$pvn" ] && [ $((pvn * 5)) -gt 10 ]; then
					start=$((pvn * 5))
				fi
			fi
			search "$m" "$q" "$s" "$start" "$budget"
			[ "$m" = per-viewer ] && pvn=$(low "$RESULT")
		done
	done
done
echo
echo "Largest number of 30 fps viewers with under $LIMIT_PCT% of frames" \
    "late (> $LATE_MS ms after due) or missing, over a ${WINDOW} s window:"
echo
table
echo
echo "Server (tvchatd, its sessions and players) pinned to cpu" \
    "$(pinned_to "$SERVER_CPU"), viewers to cpu" \
    "$(pinned_to "$LOADGEN_CPU"); $NRUN runs" \
    "in $((SECONDS - started)) s; clip: $SOURCE, ${CLIP_SECONDS} s, 30 fps," \
    "x264 ultrafast crf 28. Per-viewer = --no-shared-players."
echo "Load average before: $LOAD_BEFORE; after:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -s "$WORK/server-warnings" ]; then
	echo
	echo "Server log lines beyond the routine ones (see stderr, or KEEP=1):"
	grep -v '^[a-z-]* [0-9]*p [0-9]* [0-9]*$' "$WORK/server-warnings" |
	    awk '{ $1 = ""; print }' | sort | uniq -c | sort -rn | head -10
fi
exit "$FAILED"
