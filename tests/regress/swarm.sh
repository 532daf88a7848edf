#!/bin/bash
# 200 clients connect at once: all join and all receive one broadcast;
# when they quit, every slot and session process is gone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# All 200 are in their handshake at once, from one address: lift the caps
# on connections logging in (--max-startups) that would refuse most.
start_server --rate 1000 --burst 1000 --max-startups 256 \
    --per-source-startups 0 || exit 1
relay_tap < <(cd "$top_srcdir/tests/regress" &&
    "$PYTHON3" swarm.py "$PORT" 200 2>&1)
sleep 1
for i in $(seq 50); do
	[ "$(ps -o pid= --ppid "$SERVER_PID" | wc -l)" -le 1 ] && break
	sleep 0.1
done
check "every session has ended" \
    test "$(ps -o pid= --ppid "$SERVER_PID" | wc -l)" -eq 1
start_client last
check "a newcomer finds an empty room" \
    wait_for "$WORK/last.out" '"event":"welcome".*"users":\[\{"name":"last"[^]]*\]' 30
finish
