#!/bin/bash
# Chat end to end: three batch clients on a real tvchatd. Room messages
# reach everyone verified; a direct message reaches only its recipient;
# leaving (quit or kill -9) is announced and frees the name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_server -m 300 || exit 1
for u in alice bob carol; do
	start_client "$u"
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
wait_for "$WORK/alice.out" '"event":"join".*"name":"carol"'
wait_for "$WORK/bob.out" '"event":"join".*"name":"carol"'

# Everyone sees everyone else with the fingerprint they announced.
fp_bob=$(json_field fingerprint <"$WORK/bob.out" | head -1)
fp_carol=$(json_field fingerprint <"$WORK/carol.out" | head -1)
check "alice sees bob's fingerprint" \
    grep -q "\"name\":\"bob\",\"fingerprint\":\"$fp_bob\"" "$WORK/alice.out"
check "alice sees carol's fingerprint" \
    grep -q "\"name\":\"carol\",\"fingerprint\":\"$fp_carol\"" "$WORK/alice.out"
check "carol's welcome lists alice and bob" \
    test "$(head -1 "$WORK/carol.out" | json_field users |
    grep -o '"name": "[a-z]*"' | sort | tr -d '\n')" = \
    '"name": "alice""name": "bob""name": "carol"'

# A room message reaches both others, opened and verified.
say_to alice '{"cmd":"say","text":"hello, room ✓ 你好"}'
for u in bob carol; do
	if wait_for "$WORK/$u.out" '"event":"chat".*"from":"alice"'; then
		line=$(grep '"event":"chat".*"from":"alice"' "$WORK/$u.out")
		if [ "$(echo "$line" | json_field text)" = "hello, room ✓ 你好" ] &&
		    [ "$(echo "$line" | json_field verified)" = true ]; then
			ok "$u reads alice's room message, verified"
		else
			not_ok "$u reads alice's room message, verified" "$line"
		fi
	else
		not_ok "$u reads alice's room message, verified"
	fi
done
check "alice gets her own echo" \
    wait_for "$WORK/alice.out" '"event":"chat".*"from":"alice".*"text":"hello, room'

# A direct message reaches only its recipient (and the sender's echo).
say_to bob '{"cmd":"msg","to":"alice","text":"just for you"}'
check "alice gets bob's direct message" \
    wait_for "$WORK/alice.out" '"from":"bob".*"text":"just for you".*"direct":true'
check "bob gets the echo" \
    wait_for "$WORK/bob.out" '"from":"bob".*"text":"just for you"'
# Carol then says something; once it arrives the DM would have too.
say_to carol '{"cmd":"say","text":"marker"}'
wait_for "$WORK/carol.out" '"text":"marker"'
check "carol never sees the direct message" \
    test "$(count "$WORK/carol.out" 'just for you')" -eq 0

# A direct message to someone absent is refused with no-such-user.
say_to alice '{"cmd":"msg","to":"nobody","text":"x"}'
check "a message to an absent user is refused" \
    wait_for "$WORK/alice.out" '"code":"no-such-user"'

# Rooms: bob joins #dev; a #dev message reaches bob only.
say_to bob '{"cmd":"join","room":"#dev"}'
wait_for "$WORK/alice.out" '"event":"room-join".*"room":"#dev".*"name":"bob"'
check "alice sees bob join #dev" test $? -eq 0
say_to bob '{"cmd":"say","room":"#dev","text":"dev talk"}'
wait_for "$WORK/bob.out" '"text":"dev talk"'
say_to carol '{"cmd":"say","text":"marker2"}'
wait_for "$WORK/alice.out" '"text":"marker2"'
check "a #dev message does not reach alice" \
    test "$(count "$WORK/alice.out" 'dev talk')" -eq 0
say_to alice '{"cmd":"say","room":"#dev","text":"not a member"}'
check "posting to a room you are not in is refused" \
    wait_for "$WORK/alice.out" '"code":"no-such-room"'

# A command acts on the state the commands before it asked for: a say
# right after a join goes to the new room, never to the old one.
say_to carol "$(printf '%s\n%s' '{"cmd":"join","room":"#secret"}' \
    '{"cmd":"say","text":"the secret plan"}')"
check "a say right after a join goes to the joined room" \
    wait_for "$WORK/carol.out" '"to":"#secret".*"text":"the secret plan"'
say_to carol '{"cmd":"say","room":"#lobby","text":"marker3"}'
wait_for "$WORK/alice.out" '"text":"marker3"'
check "... and never reaches the room carol left it for" \
    test "$(count "$WORK/alice.out" 'secret plan')" -eq 0
# A join the server refuses (16 rooms at most) is said, and the say after
# it goes to the room that is still current.
lines=""
for i in $(seq 1 14); do
	lines="$lines{\"cmd\":\"join\",\"room\":\"#r$i\"}"$'\n'
done
say_to carol "$lines"'{"cmd":"join","room":"#toomany"}'$'\n''{"cmd":"say","text":"after the refusal"}'
check "a refused join is reported as not joined" \
    wait_for "$WORK/carol.out" '"code":"not-joined".*#toomany was not joined; the current room is still #r14'
check "... and the next say goes to the current room" \
    wait_for "$WORK/carol.out" '"to":"#r14".*"text":"after the refusal"'

# Message ids are random: two runs of a bot in the same second (the same
# name and key) post two messages, and both are shown.
for run in 1 2; do
	echo "{\"cmd\":\"say\",\"text\":\"bot run $run\"}" |
	    XDG_CONFIG_HOME="$WORK/keys/bot/config" \
	    XDG_DATA_HOME="$WORK/keys/bot/data" \
	    "$TVCHAT" --batch -p "$PORT" -n bot 127.0.0.1 \
	    >"$WORK/bot$run.out" 2>"$WORK/bot$run.err"
done
check "both runs of the bot are shown" \
    wait_for "$WORK/alice.out" '"from":"bot".*"text":"bot run 2"'
check "... the first one too" grep -q '"from":"bot".*"text":"bot run 1"' \
    "$WORK/alice.out"
ids=$(grep '"from":"bot"' "$WORK/alice.out" | json_field id | sort -u)
check "their ids are distinct and carry 128 random bits" \
    test "$(echo "$ids" | grep -cE '^[A-Za-z0-9_-]{22}$')" -eq 2

# A direct message may name 256 users (257 with the sender), each given
# the sender's session first. The fleet must not hold the clients' input
# FIFOs open.
"$PYTHON3" - "$PORT" >"$WORK/fleet.log" 2>&1 {FD_alice}>&- {FD_bob}>&- \
    {FD_carol}>&- <<'PY' &
import os, sys, time
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
peers = []
for i in range(256):
    p = peer.Peer(int(sys.argv[1]))
    p.hello("u%03d" % i)
    peers.append(p)
print("ready", flush=True)
for p in (peers[0], peers[255]):
    m = p.recv_json(timeout=30, skip=("ping", "join", "leave", "room-join",
                                      "room-leave", "pong", "sender-key",
                                      "users"))
    print(p.name, m["type"], m.get("from"), len(m.get("to", [])),
          m.get("message", ""), flush=True)
time.sleep(30)
PY
PIDS="$PIDS $!"
wait_for "$WORK/fleet.log" ready 60
wait_for "$WORK/alice.out" '"event":"join".*"name":"u255"' 30
to=$(seq -f 'u%03g' 0 255 | sed 's/.*/"&"/' | paste -sd, -)
say_to alice "{\"cmd\":\"msg\",\"to\":[$to],\"text\":\"to all 256\"}"
check "a direct message to 256 names is sent and echoed" \
    wait_for "$WORK/alice.out" '"from":"alice".*"text":"to all 256"' 30
check "... and reaches the first and the last of them" \
    wait_for "$WORK/fleet.log" '^u255 chat alice 256 $' 30
check "... with nothing refused" \
    test "$(count "$WORK/alice.out" '"code":"(not-sent|bad-message|too-big)"')" -eq 0

# Leaving: a clean quit and a kill -9 are both announced.
close_client carol
check "carol's quit is announced" \
    wait_for "$WORK/alice.out" '"event":"leave","name":"carol","reason":"quit"'
{ kill -9 "$(pid_of bob)"; wait "$(pid_of bob)"; } 2>/dev/null
check "bob's death is announced" \
    wait_for "$WORK/alice.out" '"event":"leave","name":"bob","reason":"lost"'

# Their names are free again.
start_client bob
check "bob can come back" wait_for "$WORK/bob.out" '"event":"welcome"' 30
start_client carol
check "carol can come back" wait_for "$WORK/carol.out" '"event":"welcome"' 30

# SIGTERM: everyone is told, the server exits 0 and leaves nothing.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
status=$?
check "tvchatd exits 0 on SIGTERM" test "$status" -eq 0
check "clients are told the server is shutting down" \
    wait_for "$WORK/alice.out" '"code":"shutdown"'
check "no tvchatd process is left" \
    test -z "$(pgrep -f "tvchatd -f -d -p $PORT " || true)"
check "no shared memory is left" \
    test -z "$(ls /dev/shm | grep "^tvchatd-$SERVER_PID-" || true)"
finish
