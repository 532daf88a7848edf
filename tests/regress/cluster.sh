#!/bin/bash
# Cluster mode: tvchatd nodes sharing one Redis (started here on a free
# port). Rosters, room and direct messages across nodes, cluster-wide
# names, a node killed with -9, Redis stopped and restarted, a node
# stopped cleanly.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

TTL=2

if ! grep -q '^#define HAVE_HIREDIS 1' "$top_builddir/config.h"; then
	echo "1..0 # SKIP built without hiredis (no cluster mode)"
	exit 0
fi
if ! command -v redis-server >/dev/null; then
	echo "Bail out! redis-server is not installed (scripts/deps installs it)"
	exit 1
fi
start_redis || exit 1
make_clip clip 30 240p 720p || exit 1

# start_node NAME: a tvchatd node in the cluster; sets PORT_NAME, PID_NAME.
start_node() {
	start_tvchatd "node-$1" --redis "127.0.0.1:$REDIS_PORT" --node "$1" \
	    --cluster-ttl "$TTL" -v "$WORK/videos" || exit 1
	eval "PORT_$1=$PORT NODE_PID_$1=$SERVER_PID"
	wait_for "$WORK/node-$1.log" "node $1 registered" 10 || exit 1
}

# client_on NODE NAME: a batch client of that node; waits for its welcome.
client_on() {
	local p="PORT_$1"
	PORT=${!p}
	start_client "$2"
	wait_for "$WORK/$2.out" '"event":"(welcome|error)"' 30
}

# who_has NAME USER: USER is in NAME's answer to who.
who_has() {
	: >"$WORK/$1.who"
	say_to "$1" '{"cmd":"who"}'
	wait_for "$WORK/$1.out" '"event":"who"' 5 >/dev/null 2>&1
	sleep 0.2
	grep '"event":"who"' "$WORK/$1.out" | tail -1 | json_field users |
	    grep -q "\"name\": \"$2\""
}

# Everything that passes through Redis, to show it carries no plaintext.
redis-cli -p "$REDIS_PORT" monitor >"$WORK/monitor.txt" 2>&1 &
MONITOR_PID=$!
PIDS="$PIDS $MONITOR_PID"

start_node a
start_node b
client_on b bob
client_on a alice
client_on a carol

check "alice's welcome lists bob of the other node" \
    bash -c "grep '\"event\":\"welcome\"' '$WORK/alice.out' | grep -q '\"name\":\"bob\"'"
check "bob hears that alice joined on the other node" \
    wait_for "$WORK/bob.out" '"event":"join".*"name":"alice"'
wait_for "$WORK/bob.out" '"event":"join".*"name":"carol"' >/dev/null
check "bob's who lists alice, carol and himself" \
    eval 'who_has bob alice && who_has bob carol && who_has bob bob'

say_to alice '{"cmd":"say","text":"hello across nodes"}'
check "a room message crosses nodes, verified" \
    wait_for "$WORK/bob.out" '"event":"chat".*"from":"alice".*"text":"hello across nodes".*"verified":true'
check "the room message reaches the sender's node too" \
    wait_for "$WORK/carol.out" '"from":"alice".*"text":"hello across nodes"'

say_to bob '{"cmd":"msg","to":"alice","text":"psst from b"}'
check "a direct message crosses nodes, verified" \
    wait_for "$WORK/alice.out" '"from":"bob".*"text":"psst from b".*"direct":true.*"verified":true'
check "the sender gets its echo" \
    wait_for "$WORK/bob.out" '"from":"bob".*"text":"psst from b"'
say_to carol '{"cmd":"say","text":"marker one"}'
wait_for "$WORK/bob.out" '"text":"marker one"' >/dev/null
check "the direct message went to its recipient only" \
    test "$(count "$WORK/carol.out" 'psst from b')" -eq 0

say_to bob '{"cmd":"join","room":"#dev"}'
say_to alice '{"cmd":"join","room":"#dev"}'
wait_for "$WORK/alice.out" '"event":"room-join".*"room":"#dev".*"name":"bob"' >/dev/null
wait_for "$WORK/bob.out" '"event":"room-join".*"room":"#dev".*"name":"alice"' >/dev/null
say_to alice '{"cmd":"say","room":"#dev","text":"dev talk"}'
check "another room's message crosses nodes to its members" \
    wait_for "$WORK/bob.out" '"from":"alice".*"to":"#dev".*"text":"dev talk".*"verified":true'
say_to alice '{"cmd":"say","room":"#lobby","text":"marker two"}'
wait_for "$WORK/carol.out" '"text":"marker two"' >/dev/null
check "and not to others" test "$(count "$WORK/carol.out" 'dev talk')" -eq 0

# A name is the cluster's: BOB on node a while bob is on node b.
client_on a BOB
check "a name taken on node b is refused on node a (any case)" \
    wait_for "$WORK/BOB.out" '"event":"error".*"code":"name-taken"'

kill "$MONITOR_PID"
check "chat crossed nodes through Redis (node a's channel)" \
    grep -q '"PUBLISH" "tvchat:to:a"' "$WORK/monitor.txt"
check "... as ciphertext only: no plaintext in anything Redis saw" \
    eval '! grep -qE "hello across nodes|psst from b|dev talk" "$WORK/monitor.txt"'

# A name is released when its user leaves: carol can come back on node b.
say_to carol '{"cmd":"quit"}'
wait_for "$WORK/bob.out" '"event":"leave","name":"carol"' >/dev/null
mv "$WORK/carol.out" "$WORK/carol-on-a.out"
m=$(mark alice)
client_on b carol
check "a user who left can take the name again on another node" \
    grep -q '"event":"welcome"' "$WORK/carol.out"
for i in $(seq 50); do
	since alice "$m" | grep -q '"event":"join".*"name":"carol"' && break
	sleep 0.1
done
check "... and the others see carol joining from node b" \
    eval 'since alice "$m" | grep -q "\"event\":\"join\".*\"name\":\"carol\""'
client_on a frank

# A node killed with -9 (every process of it): its users are lost.
start_node c
client_on c dave
wait_for "$WORK/alice.out" '"event":"join".*"name":"dave"' >/dev/null
t0=$(date +%s%N)
kill -9 $(pgrep -P "$NODE_PID_c") "$NODE_PID_c" 2>/dev/null
# Once Redis has seen node c's subscription go: a parcel PUBLISHed in the
# moment before that counts as heard and is lost with the node, a known
# gap (see the issue note) that this check does not cover.
for _ in $(seq 50); do
	[ "$(redis-cli -p "$REDIS_PORT" pubsub numsub tvchat:to:c |
	    sed -n 2p)" = 0 ] && break
	sleep 0.1
done
say_to alice '{"cmd":"msg","to":"dave","text":"are you there?"}'
if wait_for "$WORK/alice.out" '"event":"leave","name":"dave","reason":"lost"' \
    $((TTL + 3)); then
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "a node killed with -9: its users leave other rosters as lost ($ms ms, TTL ${TTL} s)"
	echo "# node c's users gone from node a after $ms ms"
else
	not_ok "a node killed with -9: its users leave other rosters as lost"
fi
# Node a may learn of the death before the message reaches it: then dave
# is no longer a user and the sender is told so instead.
check "a message sent to a user of the dead node is reported undelivered" \
    wait_for "$WORK/alice.out" '"event":"error".*("code":"unavailable".*not delivered to dave|"code":"no-such-user".*no user called dave)' 5
check "bob (node b) hears it too" \
    wait_for "$WORK/bob.out" '"event":"leave","name":"dave","reason":"lost"' 3
check "dave is no longer in alice's who" \
    eval '! who_has alice dave && who_has alice bob'

# The broker (the node's link to Redis) killed: the master restarts it,
# it registers the same users again, nobody is dropped.
broker=$(grep -o 'broker started (pid [0-9]*' "$WORK/node-a.log" | tail -1 |
    grep -o '[0-9]*$')
kill -9 "$broker"
for i in $(seq 100); do
	[ "$(count "$WORK/node-a.log" 'node a registered')" -ge 2 ] && break
	sleep 0.1
done
check "node a's broker restarts and registers again" \
    test "$(count "$WORK/node-a.log" 'node a registered')" -ge 2
sleep 0.5
check "... without a name conflict or a lost user" \
    eval '! grep -qE "was taken|name-taken" "$WORK/alice.out" "$WORK/carol.out" &&
    ! grep -q "\"event\":\"leave\",\"name\":\"alice\"" "$WORK/bob.out"'
say_to bob '{"cmd":"msg","to":"alice","text":"after the broker restart"}'
check "... and chat crosses nodes again" \
    wait_for "$WORK/alice.out" '"text":"after the broker restart".*"verified":true'

# A node that stalls longer than the TTL (its broker stopped) is given
# up by the others; when it wakes up it registers again and is back.
broker=$(grep -o 'broker started (pid [0-9]*' "$WORK/node-a.log" | tail -1 |
    grep -o '[0-9]*$')
m=$(mark bob)
kill -STOP "$broker"
check "a stalled node's users leave the others' rosters as lost" \
    wait_for "$WORK/bob.out" '"event":"leave","name":"alice","reason":"lost"' $((TTL + 3))
# A change while stalled reaches the others first when it wakes up.
say_to alice '{"cmd":"join","room":"#stall"}'
sleep 0.5
kill -CONT "$broker"
check "... it notices that its heartbeat had expired" \
    wait_for "$WORK/node-a.log" "heartbeat had expired" $((TTL + 3))
for i in $(seq 50); do
	since bob "$m" | grep -q '"event":"join".*"name":"alice"' && break
	sleep 0.1
done
check "... and its users are back in the others' rosters" \
    eval 'since bob "$m" | grep -q "\"event\":\"join\".*\"name\":\"alice\""'
sleep 0.5
check "... announced once each" \
    test "$(since bob "$m" | count /dev/stdin '"event":"join".*"name":"alice"')" -eq 1
say_to bob '{"cmd":"msg","to":"alice","text":"welcome back"}'
check "... and chat crosses nodes again" \
    wait_for "$WORK/alice.out" '"text":"welcome back".*"verified":true'

# Watching together across nodes: each node decodes for its own viewers
# and the playback state (and who changed it) crosses through Redis.
last_pts() {
	since "$1" "$2" | grep '"event":"frame"' | tail -1 | json_field pts
}
say_to alice '{"cmd":"watch","room":"#lobby","name":"clip","quality":"240p","size":[320,180]}'
check "bob on node b is invited to watch with alice's room" \
    wait_for "$WORK/bob.out" '"event":"watch","room":"#lobby","name":"clip","quality":"240p","by":"alice"'
wait_for "$WORK/alice.out" '"event":"frame".*"seq":[0-9]*[0-9][0-9],' 10 >/dev/null
sleep 1
say_to bob '{"cmd":"watch","room":"#lobby"}'
check "bob joins: frames from node b's own player" \
    wait_for "$WORK/bob.out" '"event":"frame"' 10
check "... one player on each node" \
    eval 'grep -q "player [0-9]* started" "$WORK/node-a.log" &&
    grep -q "player [0-9]* started" "$WORK/node-b.log"'
sleep 1
pa=$(last_pts alice 0)
pb=$(last_pts bob 0)
check "... at the same position (alice $pa ms, bob $pb ms)" \
    test "$(( ${pa:-0} > ${pb:-0} ? ${pa:-0} - ${pb:-0} : ${pb:-0} - ${pa:-0} ))" -le 1500
say_to alice '{"cmd":"pause"}'
check "bob is told that alice (node a) paused" \
    wait_for "$WORK/bob.out" '"event":"watch-control","room":"#lobby","action":"pause","by":"alice"'
sleep 0.5
m=$(mark bob)
sleep 1
check "... and bob's frames stop" \
    test "$(since bob "$m" | count /dev/stdin '"event":"frame"')" -eq 0
m=$(mark alice)
say_to bob '{"cmd":"resume"}'
check "alice is told that bob (node b) resumed" \
    wait_for "$WORK/alice.out" '"action":"resume","by":"bob"'
check "... and her frames come again" \
    wait_for "$WORK/alice.out" '"event":"frame"' 5
ma=$(mark alice)
mb=$(mark bob)
say_to bob '{"cmd":"seek","to":20}'
check "alice is told that bob seeked" \
    wait_for "$WORK/alice.out" '"action":"seek","by":"bob","to":20'
sleep 1.5
pa=$(last_pts alice "$ma")
pb=$(last_pts bob "$mb")
check "the seek moves both nodes' players (alice $pa, bob $pb)" \
    test "${pa:-0}" -ge 20000 -a "${pa:-0}" -le 23000 -a "${pb:-0}" -ge 20000 -a "${pb:-0}" -le 23000
say_to alice '{"cmd":"quality","quality":"720p"}'
check "bob is told that alice changed the quality" \
    wait_for "$WORK/bob.out" '"action":"quality","by":"alice","quality":"720p"'
check "... and gets 720p frames from node b" \
    wait_for "$WORK/bob.out" '"event":"frame".*"quality":"720p"' 5
say_to alice '{"cmd":"stop"}'
say_to bob '{"cmd":"stop"}'

# Redis goes away: nodes serve their own users and hold what crosses.
kill -9 "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
check "node a says it lost Redis" \
    wait_for "$WORK/node-a.log" "lost Redis" 5
say_to alice '{"cmd":"say","room":"#lobby","text":"local while redis is away"}'
check "chat within a node goes on without Redis" \
    wait_for "$WORK/frank.out" '"text":"local while redis is away"'
say_to bob '{"cmd":"msg","to":"alice","text":"sent while redis is away"}'
client_on a erin
check "a new user cannot claim a name while Redis is away: clear error" \
    wait_for "$WORK/erin.out" '"event":"error".*"code":"unavailable"'
sleep 1
start_redis "$REDIS_PORT" || exit 1
check "node a registers again after Redis restarts" \
    wait_for "$WORK/node-a.log" "Redis is back" 15
check "node b registers again after Redis restarts" \
    wait_for "$WORK/node-b.log" "Redis is back" 15
check "the message sent while Redis was away arrives" \
    wait_for "$WORK/alice.out" '"from":"bob".*"text":"sent while redis is away".*"verified":true' 10
say_to alice '{"cmd":"say","room":"#lobby","text":"after the restart"}'
check "chat crosses nodes again after Redis restarted" \
    wait_for "$WORK/bob.out" '"from":"alice".*"text":"after the restart".*"verified":true'
check "rosters survived: bob still sees alice" \
    eval 'who_has bob alice && who_has bob carol'
check "bob's name is still claimed in Redis" \
    test "$(redis-cli -p "$REDIS_PORT" exists tvchat:name:bob)" = 1

# Redis hangs (stopped, its port still open): nodes notice within a TTL,
# keep trying, and recover when it answers again.
kill -STOP "$REDIS_PID"
check "a hung Redis is noticed" \
    wait_for "$WORK/node-a.log" "Redis does not answer" $((TTL * 2 + 3))
kill -CONT "$REDIS_PID"
m=$(count "$WORK/node-a.log" 'node a registered')
for i in $(seq 100); do
	[ "$(count "$WORK/node-a.log" 'node a registered')" -gt "$m" ] && break
	sleep 0.1
done
say_to bob '{"cmd":"msg","to":"alice","text":"after the hang"}'
check "... and chat crosses nodes once it answers again" \
    wait_for "$WORK/alice.out" '"text":"after the hang".*"verified":true' 15

# A node stopped cleanly: its users leave at once, its keys are gone.
kill -TERM "$NODE_PID_b"
check "node b stopping: alice hears bob leave" \
    wait_for "$WORK/alice.out" '"event":"leave","name":"bob","reason":"server shutting down"' 5
# The keys go last, as the broker stops (after the sessions).
wait_for "$WORK/node-b.log" "stopped$" 10 >/dev/null
check "node b's keys are gone from Redis" \
    test "$(redis-cli -p "$REDIS_PORT" exists tvchat:users:b tvchat:node:b tvchat:name:bob)" = 0
check "and bob is gone from alice's who" \
    eval '! who_has alice bob'

# A Redis that wants a password: the right one from a file, a wrong one.
start_redis "" --requirepass 's3cret pass' || exit 1
printf 's3cret pass\n' >"$WORK/pw"
printf 'guess\n' >"$WORK/pw-wrong"
start_tvchatd node-p --redis "127.0.0.1:$REDIS_PORT" --node p \
    --redis-password-file "$WORK/pw" || exit 1
check "a node authenticates to Redis with the password in a file" \
    wait_for "$WORK/node-p.log" "node p registered" 10
start_tvchatd node-q --redis "127.0.0.1:$REDIS_PORT" --node q \
    --redis-password-file "$WORK/pw-wrong" || exit 1
check "a wrong password is reported" \
    wait_for "$WORK/node-q.log" "AUTH: WRONGPASS" 10
sleep 1
check "... and that node does not join" \
    eval '! grep -q "node q registered" "$WORK/node-q.log"'
check "tvchatd --redis-password-file needs a readable file" \
    bash -c "'$TVCHATD' --redis 127.0.0.1:1 --redis-password-file /nonexistent >/dev/null 2>&1; test \$? -eq 64"

check "tvchatd --redis needs HOST:PORT" \
    bash -c "'$TVCHATD' --redis nowhere >/dev/null 2>&1; test \$? -eq 64"
check "no node crashed" \
    bash -c "! grep -qiE 'sanitizer|fatal|segv' '$WORK'/node-*.log"
finish
