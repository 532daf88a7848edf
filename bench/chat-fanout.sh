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

. "$top/bench/lib.sh"
bench_init chat-fanout tvchat-bench
SERVER_PID=""

# Start tvchatd on a free port: sets PORT, SERVER_PID, SERVER_LOG.
start_server() {
	SERVER_LOG=$WORK/server.$RUN.log
	start_tvchatd "$SERVER_LOG" "$SERVER_CPU" \
	    --rate 100000 --burst 1000000 -m 300 ||
	    die "could not start tvchatd"
	SERVER_PID=$TVCHATD_PID
}

# Stop the server: TERM, then KILL if it lingers.
stop_server() {
	stop_pid "$SERVER_PID"
	SERVER_PID=""
}

# run CLIENTS TEST LOADGEN-ARGS...: one fresh server, one generator run;
# appends "rep clients test key=value..." to $WORK/results.
run() {
	local n=$1 test=$2
	shift 2
	RUN=$REP.$n.$test
	start_server
	run_loadgen "$RUN" "$LOADGEN_CPU" -p "$PORT" -n "$n" -t 10 "$@"
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "!! $n clients, $test: the server died" >&2
		tail -20 "$SERVER_LOG" >&2
		FAILED=1
	fi
	stop_server
	check_loadgen "$RUN" "$n clients, $test" || return
	# Server-side trouble worth knowing about even when nothing was lost.
	log_says "$n clients, $test" "server log" \
	    "queue full|not keeping up|too slow|fatal|timed out" "$SERVER_LOG"
	echo "$REP $n $test $LINE" >>"$WORK/results"
	echo "   $n clients, $test: $LINE" >&2
}

# Print the table for the result lines on stdin (medians when repeated).
table() {
	awk -v steady_s="$STEADY_SECONDS" "$BENCH_AWK"'
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

build_loadgen
pinning
echo "tvchatd: $TVCHATD; loadgen: $LOADGEN" >&2
echo "cpus: $(nproc); server on cpu $(pinned_to "$SERVER_CPU")," \
    "loadgen on cpu $(pinned_to "$LOADGEN_CPU"); load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
: >"$WORK/results"
for REP in $(seq "$REPEAT"); do
	for n in $CLIENTS; do
		run "$n" steady -m steady -r 100 -d "$STEADY_SECONDS"
		run "$n" burst-200 -m burst -b 200 -c $((BURSTS * 200))
		run "$n" burst-1000 -m burst -b 1000 -c $((BURSTS * 1000))
	done
	show_run "$REP"
done
show_results "Chat fan-out:"
echo
echo "Steady: 100 msgs/s for ${STEADY_SECONDS} s; bursts: $BURSTS of each" \
    "size. Deliveries count the sender's echo. Targets: steady p99 <= 0.6" \
    "ms and max <= 2 ms; bursts >= 500000 deliveries/s and p99 <= 25 ms;" \
    "no loss."
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
