#!/bin/bash
# Faults: a session killed while it holds the presence lock, a killed
# broker, and a client that stops reading during a flood. The server
# recovers from each without losing anyone else's connection or messages.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# --- kill -9 of a session holding the semaphore (test build) -----------
TVCHATD="$top_builddir/tests/tvchatd-hooks"
export TVCHAT_TEST_HOLD_AS=victim TVCHAT_TEST_HOLD_FILE="$WORK/held"
start_server || exit 1
start_client alice
wait_for "$WORK/alice.out" '"event":"welcome"' 30 || exit 1
start_client victim
check "the victim's session takes the lock and stops there" \
    wait_for "$WORK/held" '^[0-9]+$' 30
victim_pid=$(cat "$WORK/held")
# bob's join needs the lock too: it waits behind the victim.
start_client bob
sleep 0.5
check "bob waits while the lock is held" \
    test "$(count "$WORK/bob.out" '"event":"welcome"')" -eq 0
kill -9 "$victim_pid"
start=$(date +%s%N)
check "bob gets in once the holder is killed" \
    wait_for "$WORK/bob.out" '"event":"welcome"' 30
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "# recovered in $elapsed ms after the kill"
say_to alice '{"cmd":"say","text":"after the crash"}'
check "alice and bob keep chatting" \
    wait_for "$WORK/bob.out" '"from":"alice".*"text":"after the crash"'
say_to bob '{"cmd":"who"}'
wait_for "$WORK/bob.out" '"event":"who"'
check "the victim's slot is free" \
    test "$(grep '"event":"who"' "$WORK/bob.out" | json_field users |
    grep -c victim)" -eq 0
check "the master logged the repair" \
    grep -q "session $victim_pid died holding the presence lock" \
    "$WORK/server.log"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
check "the server still shuts down cleanly" test $? -eq 0
unset TVCHAT_TEST_HOLD_AS TVCHAT_TEST_HOLD_FILE
for u in alice bob victim; do
	close_client "$u"
done

# --- kill -9 of the broker ---------------------------------------------
TVCHATD="$top_builddir/tvchatd"
start_server --rate 1000 --burst 1000 || exit 1
for u in carol dave; do
	start_client "$u"
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
wait_for "$WORK/carol.out" '"event":"join".*"name":"dave"'
broker=$(sed -n 's/.*broker started (pid \([0-9]*\)).*/\1/p' \
    "$WORK/server.log" | tail -1)
kill -9 "$broker"
check "the master restarts the broker" \
    wait_for "$WORK/server.log" "broker \\(pid $broker\\) died; restarting"
start=$(date +%s%N)
say_to carol '{"cmd":"say","text":"through the new broker"}'
check "chat works again through the new broker" \
    wait_for "$WORK/dave.out" '"text":"through the new broker"' 5
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "# delivered $elapsed ms after the broker was killed"
check "chat resumed within a second" test "$elapsed" -lt 1000
check "no client lost its connection" \
    test "$(cat "$WORK/carol.out" "$WORK/dave.out" | count /dev/stdin \
    '"event":"(closed|leave)"')" -eq 0

# --- the broker killed with chat in flight: nothing lost, nothing twice --
broker=$(sed -n 's/.*broker started (pid \([0-9]*\)).*/\1/p' \
    "$WORK/server.log" | tail -1)
relay_tap < <(cd "$top_srcdir/tests/regress" &&
    "$PYTHON3" brokerkill.py "$PORT" 12 150 "$broker" 2>&1)
check "the master restarts the broker again" \
    wait_for "$WORK/server.log" "broker \\(pid $broker\\) died; restarting"

# --- a client that stops reading while others flood ---------------------
"$PYTHON3" - "$PORT" >"$WORK/stuck.log" 2>&1 <<'PY' &
import os, socket, sys, time
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
p = peer.Peer(int(sys.argv[1]))
p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
w = p.hello("stuck")
print("joined", w["type"], flush=True)
time.sleep(120)	# never read again
PY
PIDS="$PIDS $!"
wait_for "$WORK/carol.out" '"event":"join".*"name":"stuck"' 30
# 400 lines of 30,000 bytes (under the 32 KiB a message may hold) are
# over the stuck client's 8 MiB queue.
n=400
"$PYTHON3" -c '
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"cmd": "say", "text": "%05d " % i + "x" * 30000}))
' "$n" >"$WORK/flood.cmds"
while IFS= read -r line; do
	say_to carol "$line"
done <"$WORK/flood.cmds"
check "the stuck client is dropped as too slow" \
    wait_for "$WORK/dave.out" '"event":"leave","name":"stuck","reason":"too slow"' 60
check "dave gets every flood message" \
    wait_for "$WORK/dave.out" "\"text\":\"$(printf %05d $((n - 1))) " 60
got=$(grep -c '"event":"chat","id":[^,]*,"from":"carol".*"text":"[0-9]\{5\} x' \
    "$WORK/dave.out")
check "... all $n of them, none lost ($got)" test "$got" -eq "$n"
say_to dave '{"cmd":"say","text":"still fine"}'
check "chat goes on" wait_for "$WORK/carol.out" '"text":"still fine"'

# --- kill -9 of the master: no child outlives it ------------------------
kill -9 "$SERVER_PID"
for i in $(seq 50); do
	pgrep -f "tvchatd -f -d -p $PORT " >/dev/null || break
	sleep 0.1
done
check "the broker and the sessions end with the master" \
    test -z "$(pgrep -f "tvchatd -f -d -p $PORT " || true)"
check "the clients are told" \
    wait_for "$WORK/dave.out" '"code":"shutdown"' 5

# --- a session stopped while a peer sends it 18,000 messages: the broker
# cuts its link, and its client is told how many were lost --------------
start_server --rate 100000 --burst 100000 || exit 1
relay_tap < <(cd "$top_srcdir/tests/regress" &&
    "$PYTHON3" stalled.py "$PORT" "$WORK/server.log" 18000 2>&1)
finish
