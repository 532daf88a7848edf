#!/bin/bash
# A Redis that lies (issue 13): a proxy slips replies of its own into what
# a real Redis sends a cluster node. A malformed message is logged once
# and ignored; replies hiredis itself would abort on (a short pubsub
# array, a reply nobody asked for) close that connection instead, and
# the node registers again, its user still there.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if ! grep -q '^#define HAVE_HIREDIS 1' "$top_builddir/config.h"; then
	echo "1..0 # SKIP built without hiredis (no cluster mode)"
	exit 0
fi
if ! command -v redis-server >/dev/null; then
	echo "Bail out! redis-server is not installed (scripts/deps installs it)"
	exit 1
fi
start_redis || exit 1
mkdir "$WORK/liar"
"$PYTHON3" "$top_srcdir/tests/regress/redis-liar.py" "$REDIS_PORT" \
    "$WORK/liar" >"$WORK/liar.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$WORK/liar.log" '^ready' || exit 1
LIAR_PORT=$(sed -n 's/^ready //p' "$WORK/liar.log")

start_tvchatd node-a --redis "127.0.0.1:$LIAR_PORT" --node a \
    --cluster-ttl 2 || exit 1
NODE_PID=$SERVER_PID
wait_for "$WORK/node-a.log" "node a registered" 10 || exit 1
start_client alice
wait_for "$WORK/alice.out" '"event":"welcome"' 30 || exit 1

# lie sub|cmd FORMAT: the liar sends printf FORMAT on that connection.
lie() {
	printf "$2" >"$WORK/liar/$1.tmp" && mv "$WORK/liar/$1.tmp" "$WORK/liar/$1"
	for _ in $(seq 100); do
		[ -e "$WORK/liar/$1" ] || return 0
		sleep 0.05
	done
	echo "# the liar did not get to lie on $1" >&2
	return 1
}
# registered N: the node has registered N times (within 10 s).
registered() {
	for _ in $(seq 200); do
		[ "$(count "$WORK/node-a.log" "node a registered")" -ge "$1" ] &&
		    return 0
		sleep 0.05
	done
	return 1
}

bad='SUBSCRIBE: a malformed reply from Redis \(an element of the wrong type\); ignored'
lie sub '*3\r\n$7\r\nmessage\r\n$10\r\ntvchat:all\r\n:5\r\n'
check "a message of the wrong shape is logged" \
    wait_for "$WORK/node-a.log" "$bad" 5
lie sub '*3\r\n$7\r\nmessage\r\n$10\r\ntvchat:all\r\n:6\r\n'
sleep 0.5
check "... once, and the node stays registered" \
    test "$(count "$WORK/node-a.log" "$bad")" -eq 1 -a \
    "$(count "$WORK/node-a.log" "node a registered")" -eq 1

lie sub '*1\r\n$7\r\nmessage\r\n'
check "a pubsub array hiredis would assert on closes the connection" \
    wait_for "$WORK/node-a.log" \
    "Redis sent the subscriptions connection a reply it cannot take" 5
check "... and the node registers again" registered 2

lie cmd ':1\r\n'
check "a reply nobody asked for closes the command connection" \
    wait_for "$WORK/node-a.log" \
    "Redis sent the commands connection a reply it cannot take" 5
check "... and the node registers again" registered 3

check "tvchatd is still running" kill -0 "$NODE_PID"
: >"$WORK/alice.out"
say_to alice '{"cmd":"who"}'
check "alice is still connected and listed" \
    wait_for "$WORK/alice.out" '"event":"who".*"name": ?"alice"' 10
check "Redis still has alice's record" \
    test "$(redis-cli -p "$REDIS_PORT" hexists tvchat:users:a alice)" = 1
check "nothing crashed or failed an assertion" \
    bash -c "! grep -qiE 'sanitizer|assert|fatal|segv' '$WORK'/node-a.log"
finish
