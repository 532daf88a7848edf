#!/bin/bash
# What crosses the wire: the plaintext never does (a recording proxy sits
# between the clients and the server); a message signed by someone else's
# key shows as failed; a name that comes back with another key is flagged
# and its messages are unverified until trusted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_server || exit 1
server_port=$PORT
PORT=$((server_port + 1))
"$PYTHON3" "$top_srcdir/tests/regress/proxy.py" "$PORT" "$server_port" \
    "$WORK/wire.bin" >"$WORK/proxy.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$WORK/proxy.log" ready || exit 1

for u in alice bob; do
	start_client "$u"
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
wait_for "$WORK/alice.out" '"event":"join".*"name":"bob"'
secret="the eagle lands at midnight $$"
say_to alice "{\"cmd\":\"say\",\"text\":\"$secret\"}"
say_to bob '{"cmd":"msg","to":"alice","text":"a direct secret 42"}'
check "bob reads the room message" wait_for "$WORK/bob.out" "$secret"
check "alice reads the direct message" \
    wait_for "$WORK/alice.out" 'a direct secret 42'
sleep 0.2
check "the recording holds chat traffic" \
    grep -qa '"type":"chat"' "$WORK/wire.bin"
check "the room message's plaintext never crossed the wire" \
    test "$(grep -ca "eagle" "$WORK/wire.bin")" -eq 0
check "the direct message's plaintext never crossed the wire" \
    test "$(grep -ca "direct secret" "$WORK/wire.bin")" -eq 0
check "nor did any base64 of it" "$PYTHON3" -c '
import base64, sys
data = open(sys.argv[1], "rb").read()
for word in (b"eagle lands", b"direct secret"):
    for shift in range(3):
        chunk = base64.b64encode(b"x" * shift + word)[4:12]
        for alt in (chunk, chunk.replace(b"+", b"-").replace(b"/", b"_")):
            if alt in data:
                sys.exit(1)
' "$WORK/wire.bin"

# A message signed with a key that is not the sender's shows as failed.
PORT=$server_port
"$PYTHON3" - "$PORT" >"$WORK/forger.log" 2>&1 <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
p = peer.Peer(int(sys.argv[1]))
welcome = p.hello("mallory")
for m in p.give("#lobby", welcome["users"]):
    p.send(m)
other = peer.ed25519.Ed25519PrivateKey.generate()
p.send(p.seal("#lobby", "signed by someone else", msg_id="forged",
              signer=other))
honest = p.seal("#lobby", "honest mallory", msg_id="honest")
p.send(honest)
p.send(honest)      # replayed: same session and index
p.send(p.seal("#lobby", "after the replay", msg_id="after"))
for _ in range(4):
    print(json.dumps(p.recv_json()), flush=True)
p.send({"type": "quit"})
p.wait_closed()
PY
check "a message signed by another key is reported, not shown" \
    wait_for "$WORK/alice.out" '"event":"chat-failed".*"from":"mallory".*signature does not verify'
check "... and its text never appears" \
    test "$(count "$WORK/alice.out" 'signed by someone else')" -eq 0
check "mallory's honest message is verified" \
    wait_for "$WORK/alice.out" '"from":"mallory".*"text":"honest mallory".*"verified":true'
wait_for "$WORK/alice.out" '"text":"after the replay"' >/dev/null
check "a replayed message (same id and signature) is shown once" \
    test "$(count "$WORK/alice.out" '"text":"honest mallory"')" -eq 1
check "... and the copy is reported, not dropped silently" \
    grep -q '"event":"duplicate","id":"honest","from":"mallory"' \
    "$WORK/alice.out"

# bob comes back with a new key: a loud warning, unverified messages.
close_client bob
wait_for "$WORK/alice.out" '"event":"leave","name":"bob"'
mv "$WORK/bob.out" "$WORK/bob1.out"
start_client bob "$WORK/keys/bob2"
wait_for "$WORK/bob.out" '"event":"welcome"' 30
check "alice is warned that bob's key changed" \
    wait_for "$WORK/alice.out" '"event":"key-changed".*"name":"bob"'
check "... and sees bob as changed on the roster" \
    wait_for "$WORK/alice.out" '"event":"join".*"name":"bob".*"trust":"changed"'
say_to bob '{"cmd":"say","text":"new key, who dis"}'
check "bob's messages are marked unverified" \
    wait_for "$WORK/alice.out" '"text":"new key, who dis".*"verified":false'
say_to alice '{"cmd":"verify","name":"bob"}'
check "verify shows both fingerprints" \
    wait_for "$WORK/alice.out" '"event":"verify","name":"bob","fingerprint":"SHA256:[^"]*","trust":"changed","known":"SHA256:'
say_to alice '{"cmd":"trust","name":"bob"}'
wait_for "$WORK/alice.out" '"event":"trusted","name":"bob"'
say_to bob '{"cmd":"say","text":"trusted now"}'
check "after /trust his messages are verified" \
    wait_for "$WORK/alice.out" '"text":"trusted now".*"verified":true'
bob_fp=$(head -1 "$WORK/bob.out" | json_field fingerprint)
check "the new key is remembered" \
    grep -q " bob $bob_fp\$" "$WORK/keys/alice/data/tvchat/known_keys"

# known_keys edited on Windows (CR LF line ends) still reads; a CR
# anywhere else spoils its line, which is then ignored.
known=$WORK/keys/alice/data/tvchat/known_keys
PORT=$((server_port + 1))	# alice's server: her records are for it
# restart_alice [SED]: alice leaves, SED edits known_keys, she comes back.
restart_alice() {
	say_to alice '{"cmd":"quit"}'	# later clients hold her FIFO open
	wait "$(pid_of alice)"
	close_client alice
	[ -n "${1:-}" ] && sed -i "$1" "$known"
	start_client alice
	wait_for "$WORK/alice.out" '"event":"welcome"' 30
}
restart_alice 's/$/\r/'
check "with CR LF line ends bob's key is still known" \
    grep -q '"event":"welcome".*"name":"bob","fingerprint":"[^"]*","trust":"known"' \
    "$WORK/alice.out"
restart_alice 's/\r$//; s/\( bob SHA256:[^ ]\{5\}\)/\1\r/; s/$/\r/'
check "a CR inside a line spoils it: bob is new again" \
    grep -q '"event":"welcome".*"name":"bob","fingerprint":"[^"]*","trust":"new"' \
    "$WORK/alice.out"
check "... and alice says the line was ignored" \
    grep -q 'known_keys:[0-9]*: malformed line ignored' "$WORK/alice.err"
finish
