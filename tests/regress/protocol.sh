#!/bin/bash
# Malformed and hostile input from raw protocol peers (tests/regress/
# peer.py): each gets its documented error and a close; the server stays
# up, leaks no slot and leaves no zombie.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# One connection after another, each a few ms: sessions still closing
# would count against the caps on connections logging in (startups.sh
# tests those), so they are lifted.
start_server --handshake-timeout 2 --max-startups 1000 \
    --per-source-startups 0 || exit 1
relay_tap < <("$PYTHON3" "$top_srcdir/tests/regress/protocol.py" "$PORT" 2 2>&1)

check "the server is still running" kill -0 "$SERVER_PID"
sleep 0.5
zombies=$(ps -o stat= --ppid "$SERVER_PID" | grep -c '^Z' || true)
check "no zombie children" test "$zombies" -eq 0
children=$(ps -o pid= --ppid "$SERVER_PID" | wc -l)
check "only the broker is left as a child" test "$children" -eq 1
finish
