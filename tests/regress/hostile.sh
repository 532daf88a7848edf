#!/bin/bash
# A hostile server cannot make the client misbehave: a flood of newcomers
# costs a few writes of known_keys and stops at its cap; a silent or
# dripping server cannot hold the client past its handshake timeout;
# whatever the client refuses ends the connection, and batch output stays
# JSON. (Strings with controls in them: screen-safe.sh.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# hostile MODE [ARG]: start hostile.py; sets PORT.
hostile() {
	rm -f "$WORK/hostile.port"
	"$PYTHON3" "$top_srcdir/tests/regress/hostile.py" "$WORK/hostile.port" \
	    "$@" >>"$WORK/hostile.log" 2>&1 &
	PIDS="$PIDS $!"
	HOSTILE_PID=$!
	for _ in $(seq 300); do
		[ -s "$WORK/hostile.port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$WORK/hostile.port")
}
# all_json FILE: every line of FILE is a JSON value.
all_json() {
	"$PYTHON3" -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    json.loads(line)
' "$1"
}
# batch NAME ARGS...: a batch client with no input (all with one key,
# made by the first); its output in $WORK/NAME.out, its exit status in
# $WORK/NAME.rc. With TRACE=1 it runs under strace, which records its
# renames in $WORK/NAME.strace, and without LeakSanitizer (which cannot
# work in a traced process).
batch() {
	local name=$1 leaks=1
	shift
	mkdir -p "$WORK/keys/$name"
	set -- "$TVCHAT" --batch -p "$PORT" -n "$name" -i "$WORK/identity" \
	    "$@" 127.0.0.1
	if [ "${TRACE:-0}" = 1 ]; then
		set -- strace -f -qq -e trace=rename,renameat,renameat2 \
		    -o "$WORK/$name.strace" "$@"
		leaks=0
	fi
	(XDG_CONFIG_HOME="$WORK/keys/$name/config" \
	    XDG_DATA_HOME="$WORK/keys/$name/data" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=$leaks" \
	    "$@" <"$WORK/stdin" >"$WORK/$name.out" 2>"$WORK/$name.err"
	    echo $? >"$WORK/$name.rc") &
	PIDS="$PIDS $!"
}
# names FILE N: wait until the known keys FILE names N users (it is
# written after the events are printed).
names() {
	for _ in $(seq 50); do
		[ "$(grep -c '^127\.0\.0\.1:[0-9]* ' "$1" 2>/dev/null)" -eq "$2" ] &&
		    return 0
		sleep 0.1
	done
	echo "# $1 names $(grep -c '^127\.0\.0\.1:[0-9]* ' "$1"), not $2"
	return 1
}
mkfifo "$WORK/stdin"
exec {hold}<>"$WORK/stdin"	# input that never ends

# ---- 2,500 newcomers, then 10,050 -----------------------------------------
hostile joins 2500
TRACE=1 batch ann --handshake-timeout 60
check "ann gets through 2,500 newcomers" \
    wait_for "$WORK/ann.out" '"message":"joins done"' 60
keys=$WORK/keys/ann/data/tvchat/known_keys
check "... and records every one (and eve)" names "$keys" 2501
renames=$(grep -c 'known_keys' "$WORK/ann.strace")
check "... in a few writes of known_keys, not one per name ($renames)" \
    test "$renames" -ge 1 -a "$renames" -le 50
check "her output is JSON" all_json "$WORK/ann.out"
kill "$HOSTILE_PID"

hostile joins 10050
batch ben --handshake-timeout 60
check "ben gets through 10,050 newcomers" \
    wait_for "$WORK/ben.out" '"message":"joins done"' 120
keys=$WORK/keys/ben/data/tvchat/known_keys
wait_for "$WORK/ben.err" 'no more are' 10
check "... records at most 10,000 names for the server" \
    names "$keys" 10000
check "... and says so once" \
    test "$(grep -c '10000 names are recorded for 127.0.0.1:.*; no more are' \
    "$WORK/ben.err")" -eq 1
kill "$HOSTILE_PID"

# ---- a silent server, a dripping one ----------------------------------------
for mode in silent drip; do
	hostile "$mode"
	batch "c$mode" --handshake-timeout 3
	check "a $mode server is given up on after the handshake timeout" \
	    wait_for "$WORK/c$mode.out" '"code":"timeout".*"local":true' 15
	check "... and the client says closed and exits 3" \
	    wait_for "$WORK/c$mode.rc" '^3$' 10
	grep -q '"event":"closed","reason":"handshake timed out"' \
	    "$WORK/c$mode.out" || not_ok "no closed event" \
	    "$(cat "$WORK/c$mode.out")"
	kill "$HOSTILE_PID"
done

# ---- what the client refuses ends the connection --------------------------
for kind in video utf8 type chat nan challenge welcome; do
	hostile bad "$kind"
	batch "bad$kind"
	check "a bad $kind from the server closes the connection" \
	    wait_for "$WORK/bad$kind.out" '"event":"closed","reason":"protocol error"' 40
	check "... before anything after it is taken" \
	    test "$(count "$WORK/bad$kind.out" 'after bad')" -eq 0
	check "... with valid JSON output" all_json "$WORK/bad$kind.out"
	kill "$HOSTILE_PID"
done
# Before the welcome only the handshake's messages are taken: a roster,
# chat or stream the handshake has not set up is refused, not acted on.
for kind in chat join video stream; do
	hostile early "$kind"
	batch "early$kind"
	check "a $kind before the welcome closes the connection" \
	    wait_for "$WORK/early$kind.out" '"event":"closed","reason":"protocol error"' 15
	check "... saying why" grep -q \
	    '"code":"unexpected","message":"the server sent .* before welcome"' \
	    "$WORK/early$kind.out"
	check "... and nothing of it or after it is taken" test "$(count \
	    "$WORK/early$kind.out" '"event":"(welcome|chat|chat-failed|join|frame|stream)"|after bad')" -eq 0
	kill "$HOSTILE_PID"
done

# ---- an identity file that is a FIFO ----------------------------------------
mkfifo "$WORK/identity.fifo"
hostile silent
timeout 10 "$TVCHAT" --batch -p "$PORT" -i "$WORK/identity.fifo" 127.0.0.1 \
    <"$WORK/stdin" >"$WORK/fifo.out" 2>"$WORK/fifo.err"
status=$?
check "an identity FIFO is refused at once, not waited on (status $status)" \
    test "$status" -eq 78
check "... saying why" grep -q 'identity.fifo' "$WORK/fifo.err"
finish
