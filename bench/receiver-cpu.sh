#!/bin/bash
# A receiving client's CPU per chat message, measured on real processes:
# a tvchatd, a tvchat --batch receiver and a tvchat --batch sender in
# #lobby; the sender says MESSAGES lines of 100 bytes; the receiver's CPU
# time (user + system, from /proc) over those messages, divided by their
# number. With OLD=dir (a build tree of another version, e.g. protocol
# 1's, configured and built there) the same is measured for it in the
# same run, side by side. Prints a markdown table.
#
# usage: bench/receiver-cpu.sh [build-dir]      (or BUILD=dir)
# Environment: OLD, MESSAGES (200), REPEAT (3: the median of that many
# runs per build), CPU_SERVER (0), CPU_CLIENTS (1), KEEP=1.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$top/build-bench}}
MESSAGES=${MESSAGES:-200}
REPEAT=${REPEAT:-3}
. "$top/bench/lib.sh"
bench_init receiver-cpu
pinning
line=$(printf 'x%.0s' $(seq 100))
tick=$(getconf CLK_TCK)

# cpu_ms PID: the process's user + system CPU so far, in ms.
cpu_ms() {
	awk -v t="$tick" '{ print ($14 + $15) * 1000 / t }' "/proc/$1/stat"
}

# client DIR NAME: a batch client of $PORT reading $WORK/NAME.in; sets
# CLIENT_PID.
client() {
	rm -f "$WORK/$2.in"
	mkfifo "$WORK/$2.in"
	pin "${CPU_CLIENTS:-1}"
	XDG_CONFIG_HOME=$WORK/$2/config XDG_DATA_HOME=$WORK/$2/data \
	    "${PIN[@]}" "$1/tvchat" --batch -p "$PORT" -n "$2" 127.0.0.1 \
	    <"$WORK/$2.in" >"$WORK/$2.out" 2>"$WORK/$2.err" &
	CLIENT_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $CLIENT_PID"
}

# measure DIR: one run with the build in DIR; prints "rx_ms tx_ms".
measure() {
	local dir=$1 rx tx before_rx before_tx i n
	TVCHATD=$dir/tvchatd
	start_tvchatd "$WORK/server.log" "${CPU_SERVER:-0}" --rate 100000 \
	    --burst 100000 || die "no server in $dir"
	client "$dir" rx
	rx=$CLIENT_PID
	exec {rxin}>"$WORK/rx.in"
	# New identities are made first: give them time.
	wait_log "$WORK/rx.out" '"event":"welcome"' "$rx" 600 ||
	    die "rx never logged in"
	client "$dir" tx
	tx=$CLIENT_PID
	exec {txin}>"$WORK/tx.in"
	wait_log "$WORK/rx.out" '"event":"join".*"name":"tx"' "$rx" 600 ||
	    die "tx never joined"
	wait_log "$WORK/tx.out" '"event":"welcome"' "$tx" 600 ||
	    die "tx never logged in"
	sleep 0.5
	before_rx=$(cpu_ms "$rx")
	before_tx=$(cpu_ms "$tx")
	for i in $(seq "$MESSAGES"); do
		echo "{\"cmd\":\"say\",\"text\":\"$line\"}" >&"$txin"
	done
	for i in $(seq 1200); do
		n=$(grep -c '"event":"chat".*"from":"tx"' "$WORK/rx.out")
		[ "$n" -ge "$MESSAGES" ] && break
		sleep 0.05
	done
	[ "$n" -ge "$MESSAGES" ] || die "rx got $n of $MESSAGES"
	echo "$(cpu_ms "$rx") $before_rx $(cpu_ms "$tx") $before_tx" |
	    awk -v m="$MESSAGES" '{ printf "%.3f %.3f\n", ($1 - $2) / m,
		($3 - $4) / m }'
	exec {rxin}>&- {txin}>&-
	stop_pid "$rx"
	stop_pid "$tx"
	stop_pid "$TVCHATD_PID"
	rm -rf "$WORK/rx" "$WORK/tx"
}

# median_of WORDS...: the median.
median_of() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row NAME DIR: REPEAT runs; one table row of medians.
row() {
	local rxs="" txs="" r res
	for r in $(seq "$REPEAT"); do
		res=$(measure "$2") && [ -n "$res" ] ||
		    die "a run with $2 failed"
		rxs="$rxs ${res% *}" txs="$txs ${res#* }"
	done
	# shellcheck disable=SC2086
	printf '| %s | %s | %s |\n' "$1" "$(median_of $rxs)" "$(median_of $txs)"
}

make -C "$BUILD" -j2 tvchatd tvchat >"$WORK/make.log" 2>&1 ||
    { tail -20 "$WORK/make.log" >&2; die "make failed in $BUILD"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $MESSAGES messages" \
    "of 100 bytes to #lobby, 2 members; medians of $REPEAT runs"
echo
echo "| build | receiver CPU per message, ms | sender CPU per message, ms |"
echo "|---|---|---|"
[ -n "${OLD:-}" ] && row "$OLD" "$OLD"
row "$BUILD" "$BUILD"
