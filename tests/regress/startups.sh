#!/bin/bash
# Connections that never log in cannot lock users out: handshakes are
# capped overall and per address (--max-startups, --per-source-startups),
# a stalled one gives way to a newcomer, refusals are "unavailable" and
# logged once a second, logged-in users have their own -m, the master
# reaps what it kills, the limit on open files is checked at start, and
# running out of descriptors is waited out and told, not spun on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

FLOOD="$top_srcdir/tests/regress/flood.py"

# One identity for every real client (generating one takes a while).
XDG_CONFIG_HOME="$WORK/keys/proto/config" \
    XDG_DATA_HOME="$WORK/keys/proto/data" \
    "$TVCHAT" --batch -p 1 -n proto 127.0.0.1 </dev/null >/dev/null 2>&1
# join NAME [SECONDS]: start a batch client with that identity and wait
# (10 s) for its welcome; prints how long it took, returns 0 if it got in.
join() {
	local t0 rc
	cp -r "$WORK/keys/proto" "$WORK/keys/$1"
	t0=$(date +%s%N)
	start_client "$1"
	wait_for "$WORK/$1.out" '"event":"welcome"' "${2:-10}"
	rc=$?
	echo "# $1 in $((($(date +%s%N) - t0) / 1000000)) ms"
	return $rc
}
# last_count FILE FIELD: FIELD of the last JSON line of a flood's output.
last_count() {
	tail -1 "$1" | json_field "$2"
}
# children: the master's child processes now (zombies too).
children() {
	ps -o pid= --ppid "$SERVER_PID" | wc -l
}
# lowest_free PID: the lowest descriptor number PID has not open.
lowest_free() {
	local n=0
	while [ -e "/proc/$1/fd/$n" ]; do
		n=$((n + 1))
	done
	echo "$n"
}
# cpu_ticks PID: the processor time PID has used, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# --- 1. a reconnecting flood from another address ----------------------
# 2,000 connections from 127.0.0.2, half of them stalled mid-header, each
# opened again as soon as the server closes it; users from 127.0.0.1 get
# in all the same, and the processes stay bounded.
m=16 full=100
start_server -m $m || exit 1
"$PYTHON3" "$FLOOD" "$PORT" --source 127.0.0.2 --count 2000 --partial 1000 \
    --reopen --duration 40 >"$WORK/flood1.out" 2>"$WORK/flood1.err" &
flood=$!
PIDS="$PIDS $flood"
(
	max=0
	while kill -0 "$SERVER_PID" 2>/dev/null; do
		n=$(children)
		[ "$n" -gt "$max" ] && max=$n && echo "$max" >"$WORK/maxprocs"
		sleep 0.1
	done
) &
PIDS="$PIDS $!"
wait_for "$WORK/flood1.out" '"challenged": [1-9]' 10
sleep 1
slow=0
for i in 01 02 03 04 05 06 07 08 09 10; do
	join "r$i" 8 || slow=$((slow + 1))
done
check "all 10 users get in during the flood" test "$slow" -eq 0
kill -TERM "$flood"
wait "$flood"
tail -1 "$WORK/flood1.out" | sed 's/^/# flood: /'
check "the flood was refused (unavailable) many times" \
    test "$(tail -1 "$WORK/flood1.out" | json_field refused.unavailable)" \
    -gt 1000
# The flood sees the handshakes that gave way close a little after the
# newcomers that took their places start: 5 and 5 at most.
check "the flood held its address's 5 handshakes, not the 100 of all" \
    test "$(last_count "$WORK/flood1.out" max_held)" -le 10
echo "# at most $(cat "$WORK/maxprocs") children of the master"
check "processes stay bounded (max-clients + full + broker)" \
    test "$(cat "$WORK/maxprocs")" -le $((m + full + 1))
lines=$(count "$WORK/server.log" 'refused [0-9]+ connections')
secs=$(last_count "$WORK/flood1.out" t)
echo "# $lines lines about refusals in ${secs%.*} s"
check "refusals are logged once a second, not each" \
    test "$lines" -le $((${secs%.*} + 2))
for i in $(seq 30); do
	[ "$(children)" -le 11 ] && break
	sleep 0.1
done
check "the flood's sessions have all ended (10 users + broker left)" \
    test "$(children)" -eq 11
check "no zombies are left" \
    test "$(ps -o stat= --ppid "$SERVER_PID" | grep -c Z)" -eq 0
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
for i in 01 02 03 04 05 06 07 08 09 10; do
	close_client "r$i"
done

# --- 2. 2,000 idle connections from the user's own address -------------
# Held open, not reopened: the 100 handshakes allowed are full of them,
# and a user from the same address takes the place of the oldest.
start_server --per-source-startups 0 --handshake-timeout 30 || exit 1
"$PYTHON3" "$FLOOD" "$PORT" --count 2000 --duration 30 \
    >"$WORK/flood2.out" 2>"$WORK/flood2.err" &
flood=$!
PIDS="$PIDS $flood"
wait_for "$WORK/flood2.out" '"held": 100' 10
sleep 2.5
check "a user gets past 100 stalled handshakes" join alice 8
check "... one of them gave way" \
    wait_for "$WORK/server.log" 'dropped [1-9][0-9]* stalled handshakes' 3
kill -TERM "$flood"
wait "$flood"
tail -1 "$WORK/flood2.out" | sed 's/^/# flood: /'
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
close_client alice

# --- 3. the refusal, and 4. users have their own -m ---------------------
start_server -m 3 --max-startups 2:100:2 --per-source-startups 0 \
    --handshake-timeout 60 || exit 1
check "the caps are logged at start" \
    grep -q 'max 3 clients, 2:100:2 startups, 0 per source' "$WORK/server.log"
"$PYTHON3" "$FLOOD" "$PORT" --count 2 --duration 40 \
    >"$WORK/flood3.out" 2>"$WORK/flood3.err" &
flood=$!
PIDS="$PIDS $flood"
wait_for "$WORK/flood3.out" '"held": 2' 10
"$PYTHON3" "$FLOOD" "$PORT" --probe >"$WORK/probe1.out" 2>&1
check "a third connection is refused with unavailable" \
    test "$(json_field probe.code <"$WORK/probe1.out")" = unavailable
check "... saying why" \
    grep -q 'too many connections are logging in; try again' "$WORK/probe1.out"
sleep 2.2
# a takes the place of a stale handshake; b and c come in beside the one
# left: three users and a handshake, more sessions than -m.
for u in a b c; do
	check "$u logs in with a handshake held" join "$u" 8
done
check "... the idle connection left is still open" \
    test "$(last_count "$WORK/flood3.out" held)" -eq 1
cp -r "$WORK/keys/proto" "$WORK/keys/d"
start_client d
check "a fourth user finds the server full" \
    wait_for "$WORK/d.out" '"code":"server-full"' 10
"$PYTHON3" "$FLOOD" "$PORT" --probe >"$WORK/probe2.out" 2>&1
check "a connection may still start its handshake" \
    test "$(json_field probe.type <"$WORK/probe2.out")" = challenge
kill -TERM "$flood"
wait "$flood"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
for u in a b c d; do
	close_client "$u"
done

# --- 5. usage errors ------------------------------------------------------
"$TVCHATD" -f --max-startups 30:10:20 >"$WORK/usage.out" 2>&1
check "--max-startups 30:10:20 is a usage error" test $? -eq 64
check "... saying why" grep -q 'start (30) is more than full (20)' \
    "$WORK/usage.out"
"$TVCHATD" -f --max-startups 10:0:100 >/dev/null 2>&1
check "a rate of 0 is a usage error" test $? -eq 64
"$TVCHATD" -f --per-source-startups -1 >/dev/null 2>&1
check "a negative --per-source-startups is a usage error" test $? -eq 64

# --- 6. the limit on open files -------------------------------------------
bash -c 'ulimit -n 64 && exec "$@"' - "$TVCHATD" -f \
    -p 1 -m 1000 >"$WORK/nofile.out" 2>&1
check "too low a hard limit on open files refuses to start" test $? -eq 1
check "... naming the numbers" \
    grep -q -- '-m 1000 needs 1064 open files .* hard limit is 64' \
    "$WORK/nofile.out"
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 564 ]; then
	printf '#!/bin/bash\nulimit -Sn 64 && exec "%s" "$@"\n' "$TVCHATD" \
	    >"$WORK/tvchatd-64"
	chmod +x "$WORK/tvchatd-64"
	real=$TVCHATD
	TVCHATD=$WORK/tvchatd-64
	start_tvchatd nofile -m 500 --max-startups 7 || exit 1
	TVCHATD=$real
	check "a soft limit is raised as far as needed" grep -q \
	    'raised the limit on open files from 64 to 564' "$WORK/nofile.log"
	check "... and the server runs" test "$(awk '/Max open files/ \
	    { print $4 }' "/proc/$SERVER_PID/limits")" -eq 564
	check "--max-startups N means N:100:N" \
	    grep -q '7:100:7 startups' "$WORK/nofile.log"
else
	ok "# SKIP the hard limit on open files is below 564"
fi

# --- 7. a broker out of descriptors ------------------------------------
# It cannot take a new session's link: it waits instead of spinning, the
# user is told that messages wait, and all is well once it can.
start_server || exit 1
broker=$(sed -n 's/.*broker started (pid \([0-9]*\)).*/\1/p' \
    "$WORK/server.log" | tail -1)
prlimit --pid "$broker" --nofile="$(lowest_free "$broker"):"
check "a user gets in while the broker is out of descriptors" join eve 8
check "... and is told that messages wait" \
    wait_for "$WORK/eve.out" '"code":"unavailable".*cannot relay' 10
cpu=$(cpu_ticks "$broker")
sleep 1
echo "# the broker used $(($(cpu_ticks "$broker") - cpu)) ticks in 1 s"
check "... while the broker waits without spinning" \
    test $(($(cpu_ticks "$broker") - cpu)) -lt 30
check "... and logs it once" \
    test "$(count "$WORK/server.log" 'session links wait')" -eq 1
prlimit --pid "$broker" --nofile=1024:
join frank 8
say_to eve '{"cmd":"say","text":"links again"}'
check "once it has descriptors again, messages flow" \
    wait_for "$WORK/frank.out" '"from":"eve".*"text":"links again"' 10
close_client eve
close_client frank

# --- 8. a master out of descriptors ---------------------------------------
# It refuses connections it cannot serve, and waits instead of spinning.
prlimit --pid "$SERVER_PID" --nofile="$(lowest_free "$SERVER_PID"):"
"$PYTHON3" "$FLOOD" "$PORT" --probe >"$WORK/probe3.out" 2>&1
check "a connection is refused when the master is out of descriptors" \
    grep -q '"code": "unavailable".*out of file descriptors' \
    "$WORK/probe3.out"
"$PYTHON3" "$FLOOD" "$PORT" --count 50 --duration 3 \
    >"$WORK/flood4.out" 2>&1 &
flood=$!
PIDS="$PIDS $flood"
sleep 0.5
cpu=$(cpu_ticks "$SERVER_PID")
sleep 1
echo "# the master used $(($(cpu_ticks "$SERVER_PID") - cpu)) ticks in 1 s"
check "... while the master waits without spinning" \
    test $(($(cpu_ticks "$SERVER_PID") - cpu)) -lt 30
check "... and logs it once" \
    test "$(count "$WORK/server.log" 'out of descriptors')" -eq 1
wait "$flood"
finish
