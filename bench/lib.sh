# Shell code shared by the benchmarks (chat-fanout.sh, cluster-fanout.sh,
# viewers.sh); see bench/README. Source it, then call bench_init.
#
# The caller sets top (the source tree) and BUILD (the build directory).
# bench_init sets WORK (a scratch directory, removed on exit unless KEEP=1
# or something failed) and the traps; every process started here is
# remembered by pid and stopped by pid on exit. FAILED is 1 once
# something broke; the script exits with it.

CC=${CC:-gcc}
FAILED=0
LOADGEN_PID=""
DAEMON_PIDS=""
PINNING=0
PIN=()
. "$top/bench/stats.sh"

# bench_init NAME [WORK-PREFIX]: NAME prefixes messages; the scratch
# directory is ${TMPDIR:-/tmp}/WORK-PREFIX.XXXXXX (default tvchat-NAME).
bench_init() {
	BENCH_NAME=$1
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/${2:-tvchat-$1}.XXXXXX") ||
	    { echo "$1: cannot create a scratch directory" >&2; exit 1; }
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
}

# Stop what we started (by pid) and drop the logs unless asked to keep them.
bench_cleanup() {
	local pid
	if [ -n "$LOADGEN_PID" ]; then
		kill "$LOADGEN_PID" 2>/dev/null
		wait "$LOADGEN_PID" 2>/dev/null
	fi
	for pid in $DAEMON_PIDS; do
		stop_pid "$pid"
	done
	if [ "${KEEP:-0}" = 1 ] || [ "$FAILED" -ne 0 ]; then
		echo "logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}

die() {
	echo "$BENCH_NAME: $*" >&2
	FAILED=1
	exit 1
}

# build_generator NAME [EXTRA.c...]: configure and build the tree in
# $BUILD if needed, then the generator bench/NAME.c (with bench/benchlib.c
# and the extra bench/ sources) as $BUILD/NAME; sets TVCHATD and GENERATOR.
build_generator() {
	local src=$top/bench/$1.c lib=$top/bench/benchlib extra="" f
	shift
	for f in "$@"; do
		extra="$extra $top/bench/$f"
	done
	if [ ! -f "$BUILD/src/common/libtvcommon.a" ]; then
		[ -x "$top/configure" ] ||
		    die "no $top/configure: run 'autoreconf -fi' first"
		echo "building in $BUILD ..." >&2
		mkdir -p "$BUILD" || die "cannot create $BUILD"
		(cd "$BUILD" && "$top/configure") >"$WORK/configure.log" 2>&1 ||
		    { tail -20 "$WORK/configure.log" >&2; die "configure failed"; }
	fi
	make -C "$BUILD" -j2 src/common/libtvcommon.a tvchatd >"$WORK/make.log" 2>&1 ||
	    { tail -20 "$WORK/make.log" >&2; die "make failed"; }
	GENERATOR=$BUILD/$(basename "$src" .c)
	TVCHATD=$BUILD/tvchatd
	if [ ! -x "$GENERATOR" ] || [ "$src" -nt "$GENERATOR" ] ||
	    [ "$lib.c" -nt "$GENERATOR" ] || [ "$lib.h" -nt "$GENERATOR" ] ||
	    [ "$BUILD/src/common/libtvcommon.a" -nt "$GENERATOR" ]; then
		# shellcheck disable=SC2086 # $extra: file names, no spaces
		"$CC" -O2 -std=gnu11 -Wall -Wextra -I"$BUILD" -I"$top/src/common" \
		    -I"$top/bench" "$src" "$lib.c" $extra \
		    "$BUILD/src/common/libtvcommon.a" \
		    -lgcrypt -ljson-c -lm -lrt -lpthread -o "$GENERATOR" ||
		    die "cannot compile $src"
	fi
}

# build_loadgen: build_generator loadgen; sets TVCHATD and LOADGEN.
build_loadgen() {
	build_generator loadgen
	LOADGEN=$GENERATOR
}

# Pin processes to CPUs when there are two to pin to; otherwise say so.
pinning() {
	if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
		PINNING=1
	else
		echo "note: not pinned (no taskset or fewer than 2 CPUs)" >&2
	fi
}

# pin CPU: set PIN to the command prefix that runs something on CPU.
pin() {
	if [ "$PINNING" = 1 ] && [ -n "$1" ]; then
		PIN=(taskset -c "$1")
	else
		PIN=()
	fi
}

# pinned_to CPU: what to print for where a process runs.
pinned_to() {
	if [ "$PINNING" = 1 ] && [ -n "$1" ]; then
		echo "$1"
	else
		echo any
	fi
}

# free_port SALT: a loopback port to try (the caller retries if taken).
free_port() {
	echo $((20000 + (RANDOM * 7 + $$ + $1 * 131) % 40000))
}

# wait_log FILE REGEX PID [TRIES]: wait (50 ms steps, 100 by default) for
# REGEX in FILE while PID lives; return 0 if it is there.
wait_log() {
	local i
	for i in $(seq "${4:-100}"); do
		grep -qE "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.05
	done
	grep -qE "$2" "$1"
}

# stop_pid PID: TERM, then KILL (it and its children) if it lingers for
# 5 s (a tvchatd whose 200 sessions are still ending takes over 2 s).
stop_pid() {
	local i kids
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$1" 2>/dev/null; then
		kids=$(pgrep -P "$1")
		kill -9 "$1" $kids 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	DAEMON_PIDS=$(echo " $DAEMON_PIDS " | sed "s/ $1 / /; s/^ *//; s/ *$//")
}

# start_tvchatd LOG CPU ARGS...: tvchatd -f -d on a free loopback port
# with ARGS, logging to LOG, pinned to CPU; sets PORT and TVCHATD_PID.
# Waits START_TRIES (100) steps of 50 ms for it to listen. Returns 1
# (after printing the log) if it would not start. The generators log in
# many at a time from one address: the caps on that are lifted.
start_tvchatd() {
	local log=$1 cpu=$2 try
	shift 2
	pin "$cpu"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$(free_port "$try")
		: >"$log"
		"${PIN[@]}" "$TVCHATD" -f -d -p "$PORT" --max-startups 1000 \
		    --per-source-startups 0 "$@" >>"$log" 2>&1 &
		TVCHATD_PID=$!
		DAEMON_PIDS="$DAEMON_PIDS $TVCHATD_PID"
		wait_log "$log" "listening on|cannot listen" "$TVCHATD_PID" \
		    "${START_TRIES:-100}"
		grep -q "listening on" "$log" && return 0
		stop_pid "$TVCHATD_PID"
	done
	TVCHATD_PID=""
	cat "$log" >&2
	return 1
}

# start_redis LOG CPU: a throw-away redis-server on a free loopback port,
# no persistence, pinned to CPU; sets REDIS_PORT and REDIS_PID. Returns 1
# (after printing the log) if it would not start.
start_redis() {
	local log=$1 cpu=$2 try
	pin "$cpu"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		REDIS_PORT=$(free_port "$((try + 17))")
		: >"$log"
		"${PIN[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		    --save "" --appendonly no --dir "$WORK" >>"$log" 2>&1 &
		REDIS_PID=$!
		DAEMON_PIDS="$DAEMON_PIDS $REDIS_PID"
		wait_log "$log" "Ready to accept|Address already|Could not" \
		    "$REDIS_PID"
		grep -q "Ready to accept" "$log" && return 0
		stop_pid "$REDIS_PID"
	done
	REDIS_PID=""
	cat "$log" >&2
	return 1
}

# run_generator PROG KEY OUT RUN CPU ARGS...: one run of PROG pinned to
# CPU, output in $WORK/OUT.RUN.{out,err}; sets LOADGEN_RC and LINE (its
# result line, starting "KEY=", empty if it printed none).
run_generator() {
	local prog=$1 key=$2 out=$WORK/$3.$4
	pin "$5"
	shift 5
	"${PIN[@]}" "$prog" "$@" >"$out.out" 2>"$out.err" &
	LOADGEN_PID=$!
	wait "$LOADGEN_PID"
	LOADGEN_RC=$?
	LOADGEN_PID=""
	LINE=$(grep "^$key=" "$out.out")
}

# run_loadgen RUN CPU ARGS...: one loadgen run pinned to CPU, output in
# $WORK/loadgen.RUN.{out,err}; sets LOADGEN_RC and LINE.
run_loadgen() {
	run_generator "$LOADGEN" clients loadgen "$@"
}

# check_loadgen RUN LABEL: say (and set FAILED) if the generator of RUN
# failed or saw loss or errors; return 1 if it gave no figures.
check_loadgen() {
	if [ -z "$LINE" ]; then
		echo "!! $2: loadgen failed (exit $LOADGEN_RC)" >&2
		tail -20 "$WORK/loadgen.$1.err" >&2
		FAILED=1
		return 1
	fi
	if [ "$LOADGEN_RC" -ne 0 ]; then
		echo "!! $2: loss or errors (exit $LOADGEN_RC)" >&2
		grep -v ' got [0-9]* of ' "$WORK/loadgen.$1.err" | tail -5 >&2
		FAILED=1
	fi
	return 0
}

# log_says [-v] LABEL WHAT REGEX FILE...: print the commonest lines of
# the FILEs that match REGEX (egrep; with -v: that do not), counted, under
# "!! LABEL: WHAT says:". LOG_LINES (3) lines at most.
log_says() {
	local inv="" label what re lines
	if [ "$1" = -v ]; then
		inv=-v
		shift
	fi
	label=$1 what=$2 re=$3
	shift 3
	lines=$(cat "$@" | grep $inv -E "$re" |
	    sed 's/^tvchatd: //; s/^broker: //; s/^b[0-9]*: //' |
	    sort | uniq -c | sort -rn | head -"${LOG_LINES:-3}")
	if [ -n "$lines" ]; then
		echo "!! $label: $what says:" >&2
		echo "$lines" | sed 's/^/     /' >&2
	fi
}

# With REPEAT > 1, print run $1's own table (the script's table()).
show_run() {
	if [ "$REPEAT" -gt 1 ]; then
		echo
		echo "Run $1 of $REPEAT:"
		echo
		grep "^$1 " "$WORK/results" | table
	fi
}

# Print the final table: the medians when repeated, else under title $1.
show_results() {
	echo
	if [ "$REPEAT" -gt 1 ]; then
		echo "Medians of $REPEAT runs (lost: the sum over all runs):"
	else
		echo "$1"
	fi
	echo
	table <"$WORK/results"
}
