#!/bin/bash
# Shared players: viewers of the same title, quality and standard size
# are served by one player process and get identical frames; another
# quality gets its own; a killed player ends its streams with an error
# and the server stays healthy; a stalled viewer costs the others nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

make_clip clip 30 240p 720p || exit 1
start_server -v "$WORK/videos" || exit 1
for u in ann bob cy; do
	start_client "$u"
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
players() {
	grep -c "player [0-9]* started" "$WORK/server.log"
}

say_to ann '{"cmd":"play","name":"clip","quality":"240p","size":[320,180]}'
wait_for "$WORK/ann.out" '"event":"frame"' 10
say_to bob '{"cmd":"play","name":"clip","quality":"240p","size":[320,180]}'
wait_for "$WORK/bob.out" '"event":"frame".*"seq":[0-9]*[1-9][0-9],' 10
check "two viewers of one stream share one player" test "$(players)" -eq 1
# The master's children: the broker, three sessions and one player.
check "... one player process is running" \
    test "$(ps -o args= --ppid "$SERVER_PID" | grep -c tvchatd)" -eq 5
sleep 1
check "... and they get identical frames (same seq, same bytes)" "$PYTHON3" -c '
import json, sys
def frames(path):
    out = {}
    for line in open(path):
        if "\"event\":\"frame\"" in line:
            f = json.loads(line)
            out[f["seq"]] = (f["pts"], f["bytes"])
    return out
a, b = frames(sys.argv[1]), frames(sys.argv[2])
common = set(a) & set(b)
print("# %d frames in common" % len(common))
sys.exit(0 if len(common) >= 20 and all(a[s] == b[s] for s in common) else 1)
' "$WORK/ann.out" "$WORK/bob.out"
say_to cy '{"cmd":"play","name":"clip","quality":"720p","size":[320,180]}'
wait_for "$WORK/cy.out" '"event":"frame"' 10
check "another quality gets its own player" test "$(players)" -eq 2
cy_player=$(sed -n 's/.*player [0-9]* started (pid \([0-9]*\)).*/\1/p' \
    "$WORK/server.log" | tail -1)

# A stalled viewer of the same player does not slow the others.
# It asks to start where ann is (read just before it asks), so it joins
# her player.
"$PYTHON3" - "$PORT" "$WORK/ann.out" >"$WORK/stalled.log" 2>&1 <<'PY' &
import os, socket, sys, time
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
p = peer.Peer(int(sys.argv[1]))
p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
p.hello("stalled")
at = 0.0
for line in open(sys.argv[2]):
    if '"event":"frame"' in line:
        at = __import__("json").loads(line)["pts"] / 1000.0
p.send({"type": "play", "name": "clip", "quality": "240p",
        "size": [320, 180], "start": at})
print("playing", flush=True)
time.sleep(60)	# and never read
PY
PIDS="$PIDS $!"
wait_for "$WORK/stalled.log" playing 10
sleep 0.5
m=$(wc -l <"$WORK/ann.out")
sleep 3
n=$(tail -n +"$((m + 1))" "$WORK/ann.out" | count /dev/stdin '"event":"frame"')
check "a healthy viewer still gets ~30 fps beside a stalled one ($n in 3 s)" \
    test "$n" -ge 60
check "... from the same player" test "$(players)" -eq 2

# kill -9 of a player: its viewers get an error, the server goes on.
kill -9 "$cy_player"
check "the viewers of a killed player get stream-end error" \
    wait_for "$WORK/cy.out" '"event":"stream-end".*"reason":"error"' 10
check "the others' player is untouched" \
    test "$(count "$WORK/ann.out" '"event":"stream-end"')" -eq 0
say_to cy '{"cmd":"play","name":"clip","quality":"720p","size":[320,180]}'
check "a new play starts a new player" \
    wait_for "$WORK/server.log" "player [0-9]* started" 10
check "... and frames flow again" \
    wait_for "$WORK/cy.out" '"event":"stream","id":2' 10
say_to ann '{"cmd":"who"}'
check "the server is healthy" wait_for "$WORK/ann.out" '"event":"who"'
check "no shared memory is left named" \
    test -z "$(ls /dev/shm | grep "tvchatd-.*$SERVER_PID" || true)"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
check "players end with the server" \
    test -z "$(pgrep -f "tvchatd -f -d -p $PORT " || true)"
finish
