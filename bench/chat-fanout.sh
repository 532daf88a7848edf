#!/bin/bash
# Chat fan-out benchmark (see bench/README): for 10, 100 and 250 clients,
# one sender at a steady 100 messages/s, then bursts of 200 and of 1000
# messages written back to back. Prints a markdown table of delivered
# messages per second, send-to-receive latency and messages lost.
#
# usage: bench/chat-fanout.sh [build-dir]      (or BUILD=dir)
# Knobs (environment): REPEAT=n (whole table n times, then the medians),
# CLIENTS="10 100 250", STEADY_SECONDS=10, BURSTS=5, SERVER_CPU=0,
# LOADGEN_CPU=1, KEEP=1 (keep the logs).
#
# Figures never decide the exit status: it is 0 unless something broke
# (no build, the server would not start or died, a message was lost or
# the server sent an error), then 1.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$top/build-bench}}
REPEAT=${REPEAT:-1}
CLIENTS=${CLIENTS:-"10 100 250"}
STEADY_SECONDS=${STEADY_SECONDS:-10}
BURSTS=${BURSTS:-5}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
CC=${CC:-gcc}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tvchat-bench.XXXXXX")
SERVER_PID=""
LOADGEN_PID=""
FAILED=0

# Stop what we started (by pid) and drop the logs unless asked to keep them.
cleanup() {
	stop_server
	if [ -n "$LOADGEN_PID" ]; then
		kill "$LOADGEN_PID" 2>/dev/null
		wait "$LOADGEN_PID" 2>/dev/null
	fi
	if [ "${KEEP:-0}" = 1 ] || [ "$FAILED" -ne 0 ]; then
		echo "logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "chat-fanout: $*" >&2
	FAILED=1
	exit 1
}

# Configure and build the tree in $BUILD if needed, then the generator.
build() {
	if [ ! -f "$BUILD/libtvchat.a" ]; then
		[ -x "$top/configure" ] ||
		    die "no $top/configure: run 'autoreconf -fi' first"
		echo "building in $BUILD ..." >&2
		mkdir -p "$BUILD" || die "cannot create $BUILD"
		(cd "$BUILD" && "$top/configure") >"$WORK/configure.log" 2>&1 ||
		    { tail -20 "$WORK/configure.log" >&2; die "configure failed"; }
	fi
	make -C "$BUILD" -j2 libtvchat.a src/tvchatd >"$WORK/make.log" 2>&1 ||
	    { tail -20 "$WORK/make.log" >&2; die "make failed"; }
	LOADGEN=$BUILD/loadgen
	TVCHATD=$BUILD/src/tvchatd
	if [ ! -x "$LOADGEN" ] || [ "$top/bench/loadgen.c" -nt "$LOADGEN" ] ||
	    [ "$BUILD/libtvchat.a" -nt "$LOADGEN" ]; then
		"$CC" -O2 -std=gnu11 -Wall -Wextra -I"$BUILD" -I"$top/src" \
		    "$top/bench/loadgen.c" "$BUILD/libtvchat.a" \
		    -lgcrypt -ljson-c -lm -lrt -lpthread -o "$LOADGEN" ||
		    die "cannot compile bench/loadgen.c"
	fi
}

# Pin to a CPU when there are two to pin to; otherwise run as is.
PIN_SERVER=()
PIN_LOADGEN=()
pinning() {
	if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
		PIN_SERVER=(taskset -c "$SERVER_CPU")
		PIN_LOADGEN=(taskset -c "$LOADGEN_CPU")
	else
		echo "note: not pinned (no taskset or fewer than 2 CPUs)" >&2
	fi
}

# Start tvchatd on a free port: sets PORT, SERVER_PID, SERVER_LOG.
start_server() {
	local try i
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$((20000 + (RANDOM * 7 + $$ + try * 131) % 40000))
		SERVER_LOG=$WORK/server.$RUN.log
		: >"$SERVER_LOG"
		"${PIN_SERVER[@]}" "$TVCHATD" -f -d -p "$PORT" \
		    --rate 100000 --burst 1000000 -m 300 \
		    >>"$SERVER_LOG" 2>&1 &
		SERVER_PID=$!
		for i in $(seq 100); do
			grep -qE "listening on|cannot listen" "$SERVER_LOG" &&
			    break
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.05
		done
		grep -q "listening on" "$SERVER_LOG" && return 0
		stop_server
	done
	cat "$SERVER_LOG" >&2
	die "could not start tvchatd"
}

# Stop the server: TERM, then KILL if it lingers.
stop_server() {
	local i
	[ -n "$SERVER_PID" ] || return 0
	kill "$SERVER_PID" 2>/dev/null
	for i in $(seq 40); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
}

# run CLIENTS TEST LOADGEN-ARGS...: one fresh server, one generator run;
# appends "rep clients test key=value..." to $WORK/results.
run() {
	local n=$1 test=$2 line rc warn
	shift 2
	RUN=$REP.$n.$test
	start_server
	"${PIN_LOADGEN[@]}" "$LOADGEN" -p "$PORT" -n "$n" -t 10 "$@" \
	    >"$WORK/loadgen.$RUN.out" 2>"$WORK/loadgen.$RUN.err" &
	LOADGEN_PID=$!
	wait "$LOADGEN_PID"
	rc=$?
	LOADGEN_PID=""
	line=$(grep '^clients=' "$WORK/loadgen.$RUN.out")
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "!! $n clients, $test: the server died" >&2
		tail -20 "$SERVER_LOG" >&2
		FAILED=1
	fi
	stop_server
	if [ -z "$line" ]; then
		echo "!! $n clients, $test: loadgen failed (exit $rc)" >&2
		tail -20 "$WORK/loadgen.$RUN.err" >&2
		FAILED=1
		return
	fi
	if [ "$rc" -ne 0 ]; then
		echo "!! $n clients, $test: loss or errors (exit $rc)" >&2
		grep -v ' got [0-9]* of ' "$WORK/loadgen.$RUN.err" | tail -5 >&2
		FAILED=1
	fi
	# Server-side trouble worth knowing about even when nothing was lost.
	warn=$(grep -E "queue full|not keeping up|too slow|fatal|timed out" \
	    "$SERVER_LOG" | sed 's/^tvchatd: //; s/^b[0-9]*: //' |
	    sort | uniq -c | sort -rn | head -3)
	if [ -n "$warn" ]; then
		echo "!! $n clients, $test: server log says:" >&2
		echo "$warn" | sed 's/^/     /' >&2
	fi
	echo "$REP $n $test $line" >>"$WORK/results"
	echo "   $n clients, $test: $line" >&2
}

# Print the table for the result lines on stdin (medians when repeated).
table() {
	awk -v steady_s="$STEADY_SECONDS" '
	function val(k,    i, kv) {
		for (i = 4; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == k)
				return kv[2]
		}
		return ""
	}
	function median(list,    a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		key = $2 " " $3
		if (!(key in seen)) {
			order[++nkeys] = key
			seen[key] = 1
		}
		runs[key]++
		msgs[key] = msgs[key] " " val("msgs")
		deliv[key] = deliv[key] " " val("deliveries")
		rate[key] = rate[key] " " val("deliveries_per_s")
		p50[key] = p50[key] " " val("p50_ms")
		p99[key] = p99[key] " " val("p99_ms")
		mx[key] = mx[key] " " val("max_ms")
		lost[key] += val("lost")
		err[key] += val("errors") + val("dups")
		bytes[key] = val("bytes_per_delivery")
	}
	END {
		print "| clients | test | msgs | deliveries | deliveries/s | " \
		    "p50 ms | p99 ms | max ms | lost | B/delivery | target |"
		print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		for (k = 1; k <= nkeys; k++) {
			key = order[k]
			split(key, kt, " ")
			r = median(rate[key]); a = median(p99[key])
			m = median(mx[key])
			if (kt[2] == "steady")
				ok = (a <= 0.6 && m <= 2.0)
			else
				ok = (r >= 500000 && a <= 25)
			ok = ok && lost[key] == 0 && err[key] == 0
			printf "| %s | %s | %s | %.0f | %.0f | %.3f | %.3f | " \
			    "%.3f | %d%s | %s | %s |\n", kt[1], kt[2],
			    median(msgs[key]), median(deliv[key]), r,
			    median(p50[key]), a, m, lost[key],
			    err[key] ? " (+" err[key] " err)" : "", bytes[key],
			    ok ? "met" : "missed"
		}
	}'
}

build
pinning
echo "tvchatd: $TVCHATD; loadgen: $LOADGEN" >&2
echo "cpus: $(nproc); server on cpu ${PIN_SERVER[2]:-any}," \
    "loadgen on cpu ${PIN_LOADGEN[2]:-any}; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
: >"$WORK/results"
for REP in $(seq "$REPEAT"); do
	for n in $CLIENTS; do
		run "$n" steady -m steady -r 100 -d "$STEADY_SECONDS"
		run "$n" burst-200 -m burst -b 200 -c $((BURSTS * 200))
		run "$n" burst-1000 -m burst -b 1000 -c $((BURSTS * 1000))
	done
	if [ "$REPEAT" -gt 1 ]; then
		echo
		echo "Run $REP of $REPEAT:"
		echo
		grep "^$REP " "$WORK/results" | table
	fi
done
echo
if [ "$REPEAT" -gt 1 ]; then
	echo "Medians of $REPEAT runs (lost: the sum over all runs):"
else
	echo "Chat fan-out:"
fi
echo
table <"$WORK/results"
echo
echo "Steady: 100 msgs/s for ${STEADY_SECONDS} s; bursts: $BURSTS of each" \
    "size. Deliveries count the sender's echo. Targets: steady p99 <= 0.6" \
    "ms and max <= 2 ms; bursts >= 500000 deliveries/s and p99 <= 25 ms;" \
    "no loss."
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
