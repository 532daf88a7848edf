#!/bin/bash
# Cross-node chat fan-out benchmark (see bench/README): one sender, its
# room's members spread over tvchatd nodes sharing one Redis, beside a
# single tvchatd (no Redis) measured in the same run. For each case, one
# sender at a steady 100 messages/s, then bursts of 200 messages written
# back to back. Prints a markdown table of delivered messages per second,
# send-to-receive latency (all recipients, and those on other nodes than
# the sender's) and messages lost.
#
# usage: bench/cluster-fanout.sh [build-dir]      (or BUILD=dir)
# Knobs (environment): REPEAT=n (whole table n times, then the medians),
# CASES="single:200 cluster:2x100 single:100", STEADY_SECONDS=10,
# RATE=100, BURSTS=5, BURST_SIZES=200, SERVER_CPU=0 (the single server),
# NODE_CPUS=$SERVER_CPU (node i takes word i, the last one repeats),
# REDIS_CPU=$SERVER_CPU, LOADGEN_CPU=1, CLUSTER_TTL=5, KEEP=1.
#
# Figures never decide the exit status: it is 0 unless something broke
# (no build, a server or Redis would not start or died, a message was
# lost or a server sent an error), then 1.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$top/build-bench}}
REPEAT=${REPEAT:-1}
CASES=${CASES:-"single:200 cluster:2x100 single:100"}
STEADY_SECONDS=${STEADY_SECONDS:-10}
RATE=${RATE:-100}
BURSTS=${BURSTS:-5}
BURST_SIZES=${BURST_SIZES:-200}
SERVER_CPU=${SERVER_CPU:-0}
NODE_CPUS=${NODE_CPUS:-$SERVER_CPU}
REDIS_CPU=${REDIS_CPU:-$SERVER_CPU}
LOADGEN_CPU=${LOADGEN_CPU:-1}
CLUSTER_TTL=${CLUSTER_TTL:-5}

. "$top/bench/lib.sh"
bench_init cluster-fanout

SERVER_OPTS=(--rate 100000 --burst 1000000 -m 300)
NODE_NAMES=(a b c d e f g h)
# What every run logs; anything else in a server log is reported.
ROUTINE=": (session [0-9]+ for|b[0-9]+: broker link up|b[0-9]+: joined from"
ROUTINE="$ROUTINE|b[0-9]+: left \(quit\)|listening on|broker started"
ROUTINE="$ROUTINE|broker: started|broker: cluster: node [a-h] registered"
ROUTINE="$ROUTINE|[0-9]+ videos in|videos directory|shutting down|stopped$)"
# Redis lines that mean trouble (a subscriber dropped, memory).
REDIS_TROUBLE="output buffer|closed ASAP|OOM|out of memory|Error|error"

# The setup of the current run.
RUN_PIDS=()
RUN_LOGS=()
RUN_WHAT=()
PORTS=""

# node_cpu I: the CPU list for node I (0-based) from NODE_CPUS.
node_cpu() {
	local cpus=($NODE_CPUS)
	if [ "$1" -lt "${#cpus[@]}" ]; then
		echo "${cpus[$1]}"
	else
		echo "${cpus[${#cpus[@]} - 1]}"
	fi
}

# start_single: one tvchatd without Redis; sets PORTS and RUN_*.
start_single() {
	local log=$WORK/server.$RUN.log
	start_tvchatd "$log" "$SERVER_CPU" "${SERVER_OPTS[@]}" ||
	    die "could not start tvchatd"
	PORTS=$PORT
	RUN_PIDS=("$TVCHATD_PID")
	RUN_LOGS=("$log")
	RUN_WHAT=("the server")
}

# start_cluster NODES: Redis, then NODES tvchatd nodes a, b, ... using
# it, each registered; sets PORTS (node a's first) and RUN_* (Redis last).
start_cluster() {
	local nodes=$1 i name log
	start_redis "$WORK/redis.$RUN.log" "$REDIS_CPU" ||
	    die "could not start redis-server"
	PORTS=""
	RUN_PIDS=()
	RUN_LOGS=()
	RUN_WHAT=()
	for ((i = 0; i < nodes; i++)); do
		name=${NODE_NAMES[$i]}
		log=$WORK/node-$name.$RUN.log
		start_tvchatd "$log" "$(node_cpu "$i")" "${SERVER_OPTS[@]}" \
		    --redis "127.0.0.1:$REDIS_PORT" --node "$name" \
		    --cluster-ttl "$CLUSTER_TTL" ||
		    die "could not start tvchatd node $name"
		wait_log "$log" "node $name registered" "$TVCHATD_PID" 200 ||
		    { tail -20 "$log" >&2; die "node $name did not register"; }
		PORTS=${PORTS:+$PORTS,}$PORT
		RUN_PIDS+=("$TVCHATD_PID")
		RUN_LOGS+=("$log")
		RUN_WHAT+=("node $name")
	done
	RUN_PIDS+=("$REDIS_PID")
	RUN_LOGS+=("$WORK/redis.$RUN.log")
	RUN_WHAT+=("redis-server")
}

# run SETUP NODES CLIENTS TEST LOADGEN-ARGS...: a fresh setup (single
# server, or Redis and NODES nodes), one generator run; appends "rep
# setup nodes clients test key=value..." to $WORK/results.
run() {
	local setup=$1 nodes=$2 n=$3 test=$4 label i
	shift 4
	RUN=$REP.$setup.$n.$test
	if [ "$setup" = single ]; then
		label="single node, $n clients, $test"
		start_single
	else
		label="cluster of $nodes, $n clients, $test"
		start_cluster "$nodes"
	fi
	run_loadgen "$RUN" "$LOADGEN_CPU" -p "$PORTS" -n "$n" -t 10 "$@"
	# What went through Redis (logins and heartbeats included).
	if [ "$setup" != single ] && [ -n "$LINE" ] && [ -n "$REDIS_CLI" ]; then
		LINE="$LINE redis_in_bytes=$("$REDIS_CLI" -p "$REDIS_PORT" \
		    info stats | tr -d '\r' |
		    sed -n 's/^total_net_input_bytes://p')"
	fi
	for i in "${!RUN_PIDS[@]}"; do
		if ! kill -0 "${RUN_PIDS[$i]}" 2>/dev/null; then
			echo "!! $label: ${RUN_WHAT[$i]} died" >&2
			tail -20 "${RUN_LOGS[$i]}" >&2
			FAILED=1
		fi
	done
	# Nodes first, Redis last (or the nodes would log its loss).
	for i in "${!RUN_PIDS[@]}"; do
		stop_pid "${RUN_PIDS[$i]}"
	done
	# Trouble worth knowing about even when nothing was lost.
	for i in "${!RUN_PIDS[@]}"; do
		if [ "${RUN_WHAT[$i]}" = redis-server ]; then
			log_says "$label" "redis-server" "$REDIS_TROUBLE" \
			    "${RUN_LOGS[$i]}"
		else
			LOG_LINES=5 log_says -v "$label" "${RUN_WHAT[$i]}" \
			    "$ROUTINE" "${RUN_LOGS[$i]}"
		fi
	done
	check_loadgen "$RUN" "$label" || return
	echo "$REP $setup $nodes $n $test $LINE" >>"$WORK/results"
	echo "   $label: $LINE" >&2
}

# Print the table for the result lines on stdin (medians when repeated).
table() {
	awk "$BENCH_AWK"'
	function fmt(f, list) {
		return list ~ /[0-9]/ ? sprintf(f, median(list)) : "-"
	}
	{
		key = $2 " " $3 " " $4 " " $5
		if (!(key in seen)) {
			order[++nkeys] = key
			seen[key] = 1
		}
		rate[key] = rate[key] " " val("deliveries_per_s")
		p50[key] = p50[key] " " val("p50_ms")
		p99[key] = p99[key] " " val("p99_ms")
		mx[key] = mx[key] " " val("max_ms")
		if (val("redis_in_bytes") != "")
			rkb[key] = rkb[key] " " val("redis_in_bytes") / \
			    val("msgs") / 1024
		if (val("remote_p50_ms") != "") {
			rp50[key] = rp50[key] " " val("remote_p50_ms")
			rp99[key] = rp99[key] " " val("remote_p99_ms")
		}
		lost[key] += val("lost")
		err[key] += val("errors") + val("dups")
	}
	END {
		print "| setup | clients | test | deliveries/s | p50 ms | " \
		    "p99 ms | max ms | lost | remote p50 ms | remote p99 ms | " \
		    "Redis KB/msg |"
		print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		for (k = 1; k <= nkeys; k++) {
			key = order[k]
			split(key, kt, " ")
			if (kt[1] == "single") {
				setup = "single node"
				clients = kt[3]
			} else {
				setup = kt[2] (kt[2] == 1 ? " node" : " nodes") \
				    " + Redis"
				clients = kt[2] " x " kt[3] / kt[2]
			}
			printf "| %s | %s | %s | %.0f | %.3f | %.3f | %.3f | " \
			    "%d%s | %s | %s | %s |\n", setup, clients, kt[4],
			    median(rate[key]), median(p50[key]),
			    median(p99[key]), median(mx[key]), lost[key],
			    err[key] ? " (+" err[key] " err)" : "",
			    fmt("%.3f", rp50[key]), fmt("%.3f", rp99[key]),
			    fmt("%.0f", rkb[key])
		}
	}'
}

build_loadgen
pinning
command -v redis-server >/dev/null ||
    die "redis-server is needed (Debian: redis-server)"
REDIS_CLI=$(command -v redis-cli)
"$TVCHATD" --help 2>&1 | grep -q -- --redis ||
    die "$TVCHATD has no cluster mode (build it with libhiredis-dev)"
nodecpus=""
for w in $NODE_CPUS; do
	nodecpus="${nodecpus:+$nodecpus / }$(pinned_to "$w")"
done
cpus="single server on cpu $(pinned_to "$SERVER_CPU"), nodes on cpu"
cpus="$cpus $nodecpus, redis on cpu $(pinned_to "$REDIS_CPU"), loadgen"
cpus="$cpus on cpu $(pinned_to "$LOADGEN_CPU")"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "tvchatd: $TVCHATD; loadgen: $LOADGEN; $(redis-server --version)" >&2
echo "cpus: $(nproc); $cpus; load average: $load_before" >&2
: >"$WORK/results"
for REP in $(seq "$REPEAT"); do
	for c in $CASES; do
		setup=${c%%:*}
		spec=${c#*:}
		case $setup:$spec in
		single:[0-9]*)
			nodes=1
			n=$spec ;;
		cluster:[0-9]*x[0-9]*)
			nodes=${spec%%x*}
			n=$((nodes * ${spec#*x})) ;;
		*)
			die "bad case '$c': single:CLIENTS or cluster:NODESxCLIENTS" ;;
		esac
		[ "$nodes" -ge 1 ] && [ "$nodes" -le "${#NODE_NAMES[@]}" ] ||
		    die "bad case '$c': 1 to ${#NODE_NAMES[@]} nodes"
		run "$setup" "$nodes" "$n" steady -m steady -r "$RATE" \
		    -d "$STEADY_SECONDS"
		for b in $BURST_SIZES; do
			run "$setup" "$nodes" "$n" "burst-$b" -m burst -b "$b" \
			    -c $((BURSTS * b))
		done
	done
	show_run "$REP"
done
show_results "Cross-node chat fan-out:"
echo
echo "Steady: $RATE msgs/s for $STEADY_SECONDS s; bursts: $BURSTS of each" \
    "size. One sender (b0, on node a); clients spread round robin over" \
    "the nodes. Deliveries count the sender's echo. Remote: recipients on" \
    "other nodes than the sender's. Redis KB/msg: bytes Redis received" \
    "per message sent (logins included; needs redis-cli). Each run" \
    "starts fresh servers (${SERVER_OPTS[*]}) and Redis."
echo "CPUs: $(nproc); $cpus."
echo "Load average before the runs: $load_before; after:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
