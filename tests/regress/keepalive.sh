#!/bin/bash
# Keepalive and daemon mode: a silent client is pinged and, if it never
# answers, dropped after the idle timeout; a client that answers stays.
# As a daemon, tvchatd writes its pid file, serves, and removes it on
# SIGTERM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_server --idle-timeout 6 || exit 1
start_client alive
wait_for "$WORK/alive.out" '"event":"welcome"' 30 || exit 1
"$PYTHON3" - "$PORT" >"$WORK/silent.log" 2>&1 <<'PY' &
import json, os, sys, time
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
p = peer.Peer(int(sys.argv[1]))
p.hello("silent")
start = time.monotonic()
for m in p.wait_closed(20):
    print("%.1f %s" % (time.monotonic() - start, json.dumps(m)), flush=True)
print("%.1f closed" % (time.monotonic() - start), flush=True)
PY
PIDS="$PIDS $!"
check "a silent client is pinged" wait_for "$WORK/silent.log" '"type": "ping"' 10
check "... then dropped with a timeout error" \
    wait_for "$WORK/silent.log" '"code": "timeout"' 15
check "... and its leave says it was lost" \
    wait_for "$WORK/alive.out" '"event":"leave","name":"silent","reason":"lost"' 5
took=$(sed -n 's/^\([0-9.]*\) closed$/\1/p' "$WORK/silent.log")
check "... after the idle timeout of 6 s (took ${took}s)" \
    awk -v t="$took" 'BEGIN { exit !(t >= 5.5 && t < 9) }'
sleep 2
check "a client that answers pings stays" \
    test "$(count "$WORK/alive.out" '"event":"closed"')" -eq 0
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"

# Daemon mode.
PORT=$((PORT + 2))
"$TVCHATD" -p "$PORT" -P "$WORK/tvchatd.pid" -v "$top_srcdir/videos"
check "the daemon's parent returns at once" test $? -eq 0
check "the daemon writes its pid file" wait_for "$WORK/tvchatd.pid" '^[0-9]+$'
dpid=$(cat "$WORK/tvchatd.pid")
PIDS="$PIDS $dpid"
start_client daemonuser
check "the daemon serves clients" \
    wait_for "$WORK/daemonuser.out" '"event":"welcome"' 30
kill -TERM "$dpid"
for i in $(seq 50); do
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
done
check "the daemon exits on SIGTERM" test "$i" -lt 50
check "... and removes its pid file" test ! -e "$WORK/tvchatd.pid"
"$TVCHATD" -f -p 0 >"$WORK/badport.log" 2>&1
check "a bad port is a usage error (64)" test $? -eq 64
"$TVCHATD" --no-such-option >/dev/null 2>&1
check "an unknown option is a usage error (64)" test $? -eq 64
finish
