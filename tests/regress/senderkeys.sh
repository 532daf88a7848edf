#!/bin/bash
# Sender keys end to end (tvchat-protocol(5), "Sender keys"): rooms of
# 300 and 1,000 members on one node and 2 x 300 on two, every member
# opening the one sealed blob with the session sealed to its own prekey;
# chats held until their session comes, then shown in order; messages
# from before a member's session reported as such; a receiver killed
# with -9 opening the next message from its state file; its state file
# holding no passed chain key (senderkeys.py). With real clients only: a
# member who left cannot open what follows (the sender rotates, and the
# departed member's saved state holds no new session); a member who
# joins after 50 messages opens the 51st; a sender killed with -9 goes
# on with its session; a member whose identity changed is unverified.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

SK=$top_srcdir/tests/regress/senderkeys.py
# A thousand clients are heavy: at the lowest priority, the tests that
# make check runs beside this one keep their timing.
renice -n 19 $$ >/dev/null 2>&1 || true
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# One node: raise every cap a crowd logging in from one address meets.
crowd_flags="-m 1100 --rate 1000 --burst 2000 --max-startups 1100
    --per-source-startups 0"
# shellcheck disable=SC2086 # the flags are words
start_server $crowd_flags || exit 1
for n in 300 1000; do
	relay_tap < <(cd "$top_srcdir/tests/regress" &&
	    "$PYTHON3" "$SK" crowd "$TVCHAT" "$n" "$PORT" 2>&1)
done
relay_tap < <(cd "$top_srcdir/tests/regress" &&
    "$PYTHON3" "$SK" order "$TVCHAT" "$PORT" 2>&1)
stop_server() {
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
}
stop_server

# Two nodes sharing a Redis, 300 members on each.
if grep -q '^#define HAVE_HIREDIS 1' "$top_builddir/config.h"; then
	start_redis || exit 1
	# shellcheck disable=SC2086
	start_tvchatd node-a --redis "127.0.0.1:$REDIS_PORT" --node a \
	    $crowd_flags || exit 1
	wait_for "$WORK/node-a.log" "node a registered" 10 || exit 1
	port_a=$PORT pid_a=$SERVER_PID
	# shellcheck disable=SC2086
	start_tvchatd node-b --redis "127.0.0.1:$REDIS_PORT" --node b \
	    $crowd_flags || exit 1
	wait_for "$WORK/node-b.log" "node b registered" 10 || exit 1
	relay_tap < <(cd "$top_srcdir/tests/regress" &&
	    "$PYTHON3" "$SK" crowd "$TVCHAT" 600 "$port_a,$PORT" 2>&1)
	stop_server
	SERVER_PID=$pid_a stop_server
else
	ok "two nodes of 300 # SKIP built without hiredis"
fi

# ---- real clients only ----
start_server --rate 1000 --burst 1000 || exit 1
# state NAME: NAME's state file (start_client's XDG_DATA_HOME).
state() {
	echo "$WORK/keys/$1/data/tvchat/state/127.0.0.1:$PORT/$1"
}
# out_sid FILE: the sessions for #lobby of that state file's owner.
out_sid() {
	"$PYTHON3" -c 'import json, sys
print(" ".join(o["sid"] for o in json.load(open(sys.argv[1]))["out"]
               if o["target"] == "#lobby"))' "$1"
}
# in_sids FILE SENDER: the sessions of SENDER a state file holds.
in_sids() {
	"$PYTHON3" -c 'import json, sys
print(" ".join(e["sid"] for e in json.load(open(sys.argv[1]))["in"]
               if e["sender"] == sys.argv[2]))' "$1" "$2"
}
# read_by NAME TEXT: NAME shows alice's TEXT, verified.
read_by() {
	wait_for "$WORK/$1.out" "\"event\":\"chat\".*\"from\":\"alice\".*\"text\":\"$2\".*\"verified\":true" 20
}
for u in alice bob carol; do
	start_client "$u"
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
wait_for "$WORK/alice.out" '"event":"join".*"name":"carol"' || exit 1
say_to alice '{"cmd":"say","text":"one"}'
check "bob and carol read alice's first message" \
    eval 'read_by bob one && read_by carol one'
sleep 0.5
sid1=$(out_sid "$(state alice)")
check "carol holds alice's session" \
    eval '[ -n "$sid1" ] && [[ " $(in_sids "$(state carol)" alice) " == *" $sid1 "* ]]'

# carol leaves; a copy of her state is kept, as a thief would.
cp "$(state carol)" "$WORK/carol-copy"
close_client carol
wait_for "$WORK/alice.out" '"event":"leave".*"name":"carol"' || exit 1
say_to alice '{"cmd":"say","text":"two"}'
check "bob reads the message after carol left" read_by bob two
sleep 0.5
sid2=$(out_sid "$(state alice)")
check "alice rotated her session when carol left" \
    eval '[ -n "$sid2" ] && [ "$sid2" != "$sid1" ]'
check "carol's saved state holds nothing of the new session" \
    eval '[[ " $(in_sids "$WORK/carol-copy" alice) " != *" $sid2 "* ]] &&
    ! grep -q "$sid2" "$WORK/carol-copy"'

# 50 more, then dave joins and opens the next.
for i in $(seq 1 50); do
	say_to alice "{\"cmd\":\"say\",\"text\":\"line $i\"}"
done
check "bob reads all 50" eval 'read_by bob "line 50" &&
    [ "$(grep -c "\"text\":\"line [0-9]*\".*\"verified\":true" "$WORK/bob.out")" -eq 50 ]'
start_client dave
wait_for "$WORK/alice.out" '"event":"join".*"name":"dave"' || exit 1
say_to alice '{"cmd":"say","text":"line 51"}'
check "dave, who joined after 50 messages, opens the 51st" \
    read_by dave "line 51"
check "... and nothing from before is an error to him" \
    eval '! grep -q "chat-failed\|sender-key-failed" "$WORK/dave.out"'
sleep 0.5
check "a newcomer gets the current session, not a new one" \
    test "$(out_sid "$(state alice)")" = "$sid2"

# After 100 messages the session is replaced.
for i in $(seq 52 99); do
	say_to alice "{\"cmd\":\"say\",\"text\":\"line $i\"}"
done
read_by bob "line 99"
sleep 0.5
check "100 messages on one session" test "$(out_sid "$(state alice)")" = "$sid2"
say_to alice '{"cmd":"say","text":"line 100"}'
read_by bob "line 100"
sleep 0.5
sid3=$(out_sid "$(state alice)")
check "the 101st starts a new session" \
    eval '[ -n "$sid3" ] && [ "$sid3" != "$sid2" ]'

# alice killed with -9 and restarted: she goes on with her session.
{ kill -9 "$(pid_of alice)"; wait "$(pid_of alice)"; } 2>/dev/null
wait_for "$WORK/bob.out" '"event":"leave".*"name":"alice"' || exit 1
start_client alice
wait_for "$WORK/alice.out" '"event":"welcome"' 30 || exit 1
say_to alice '{"cmd":"say","text":"after the crash"}'
check "alice, killed with -9, restarts and bob and dave read her" \
    eval 'read_by bob "after the crash" && read_by dave "after the crash"'
sleep 0.5
check "... on the same session: everyone who held it is back" \
    test "$(out_sid "$(state alice)")" = "$sid3"

# bob killed with -9 and restarted: he reads alice's next message.
{ kill -9 "$(pid_of bob)"; wait "$(pid_of bob)"; } 2>/dev/null
wait_for "$WORK/alice.out" '"event":"leave".*"name":"bob"' || exit 1
mv "$WORK/bob.out" "$WORK/bob.out.1"
start_client bob
wait_for "$WORK/alice.out" '"event":"join".*"name":"bob".*' || exit 1
sleep 0.3
say_to alice '{"cmd":"say","text":"bob is back"}'
check "bob, killed with -9 and restarted, reads alice's next message" \
    read_by bob "bob is back"
sleep 0.5
check "... on her same session" test "$(out_sid "$(state alice)")" = "$sid3"

# alice comes back with another identity: unverified, said loudly.
close_client alice
wait_for "$WORK/bob.out" '"event":"leave".*"name":"alice"' || exit 1
mv "$WORK/alice.out" "$WORK/alice.out.1"
start_client alice "$WORK/keys/alice-new"
wait_for "$WORK/bob.out" '"event":"key-changed".*"name":"alice"' 30
say_to alice '{"cmd":"say","text":"a new key"}'
check "a message from a member whose identity changed is unverified" \
    wait_for "$WORK/bob.out" '"event":"chat".*"from":"alice".*"text":"a new key".*"verified":false' 20

finish
