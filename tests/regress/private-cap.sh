#!/bin/bash
# Private streams are capped (--max-private): while the only one is
# taken, a viewer asking a size no shared player offers is told so and
# watches the nearest standard size from a shared player instead, and a
# shared viewer's pause is refused the same way while its stream goes
# on. The private stream is free again once its viewer stops, and once
# its session is killed -9 (the master's repair frees it with the slot).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

make_clip clip 60 240p || exit 1
start_server -v "$WORK/videos" --max-private 1 || exit 1
for u in ann bob; do
	start_client "$u"
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
BUSY='"event":"error".*"code":"video-error".*private stream is in use'


# frames_at NAME MARK W H: wait (10 s at most) until NAME has had 10
# frames of W x H past MARK.
frames_at() {
	local end=$(($(now_ms) + 10000)) n

	while [ "$(now_ms)" -lt "$end" ]; do
		n=$(since "$1" "$2" |
		    count /dev/stdin "\"event\":\"frame\".*\"w\":$3,\"h\":$4,")
		[ "$n" -ge 10 ] && return 0
		sleep 0.05
	done
	echo "# $1 had only $n frames of $3x$4" >&2
	return 1
}

# no_busy NAME MARK: NAME was not told that private streams are in use.
no_busy() {
	test "$(since "$1" "$2" | count /dev/stdin "$BUSY")" -eq 0
}

# play NAME W H [QUALITY]: play clip at W x H.
play() {
	say_to "$1" "{\"cmd\":\"play\",\"name\":\"clip\",\"size\":[$2,$3],\
\"quality\":\"${4:-240p}\"}"
}

# stop NAME: stop its stream and wait for the end.
stop() {
	local m

	m=$(mark "$1")
	say_to "$1" '{"cmd":"stop"}'
	wait_since "$1" "$m" '"event":"stream-end"' 5
}

# 1. ann takes the one private stream.
ma=$(mark ann)
play ann 200 100
check "ann gets a private stream at 200x100" frames_at ann "$ma" 200 100
check "... without a notice" no_busy ann "$ma"

# 2. bob asks for another size: told, and shared at the nearest one.
mb=$(mark bob)
play bob 300 150
check "bob asking 300x150 is told the private stream is in use" \
    wait_since bob "$mb" "$BUSY.*shared 320x180" 5
check "... and gets frames of the shared 320x180 stream instead" \
    frames_at bob "$mb" 320 180
check "... from a shared player" \
    wait_for "$WORK/server.log" "player [0-9]+ started" 5
m=$(mark bob)
say_to bob '{"cmd":"pause"}'
check "bob's pause on the shared stream is refused, saying why" \
    wait_since bob "$m" \
    '"code":"video-error".*cannot pause.*private stream is in use' 5
check "... and his stream goes on" frames_at bob "$m" 320 180
mb=$(mark bob)
play bob 300 150 auto
check "quality auto is told too, and shared at 320x180" \
    wait_since bob "$mb" "$BUSY" 5
check "... with frames" frames_at bob "$mb" 320 180
ma=$(mark ann)
check "ann's private stream is untouched meanwhile" \
    frames_at ann "$ma" 200 100

# 3. ann stops: the private stream is bob's to take.
stop ann
stop bob
mb=$(mark bob)
play bob 300 150
check "after ann stops, bob gets a private stream at 300x150" \
    frames_at bob "$mb" 300 150
check "... without a notice" no_busy bob "$mb"
stop bob

# 4. ann's session, with the private stream, is killed -9.
ma=$(mark ann)
play ann 200 100
frames_at ann "$ma" 200 100
mb=$(mark bob)
play bob 300 150
check "ann has it again: bob is told" wait_since bob "$mb" "$BUSY" 5
stop bob
peer=$(sed -n 's/.*ann: joined from \([^ ]*\) .*/\1/p' "$WORK/server.log" |
    head -1)
victim=$(sed -n "s/.*session \\([0-9]*\\) for $peer\$/\\1/p" \
    "$WORK/server.log" | head -1)
check "ann's session is found ($victim for $peer)" \
    test -n "$victim" -a "$(ps -o ppid= -p "${victim:-0}" | tr -d ' ')" = \
    "$SERVER_PID"
mb=$(mark bob)
kill -9 "${victim:-0}"
check "bob sees ann lost" \
    wait_since bob "$mb" '"event":"leave".*"name":"ann".*"reason":"lost"' 10
check "the master freed the dead session's slot" \
    wait_for "$WORK/server.log" \
    "session $victim \\(ann\\) died by signal 9; slot freed" 5
mb=$(mark bob)
play bob 300 150
check "then bob gets the private stream at 300x150" \
    frames_at bob "$mb" 300 150
check "... without a notice" no_busy bob "$mb"
stop bob
finish
