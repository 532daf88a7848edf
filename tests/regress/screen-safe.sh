#!/bin/bash
# Strings from the network never reach the terminal raw. A signed peer
# (mallory, through a real tvchatd) and a hostile server (hostile.py) send
# text with CR, BS, LF, escape sequences, C1 controls, DEL and bidi
# overrides in every field they control; the TUI in tmux must show each
# visibly, on the line it belongs to, without moving the cursor or
# spilling into the roster, and batch output must stay terminal-safe JSON
# that decodes to the same text.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

. "$top_srcdir/tests/tmux.sh"

COLS=100
ROWS=30

# roster_intact NAME: every row between the title and the status bar has
# the roster's border in the same column (nothing spilled over it).
roster_intact() {
	screen "$1" | "$PYTHON3" -c '
import sys
rows = sys.stdin.read().split("\n")
body = rows[1:int(sys.argv[1]) - 2]
cols = {r.find("\u2502") for r in body}
if len(cols) != 1 or -1 in cols:
    for r in body:
        print("# |" + r + "|")
    sys.exit(1)
' "$ROWS"
}

# no_line NAME REGEX: no screen line matches (a forged line would).
no_line() {
	if screen "$1" | grep -qE -- "$2"; then
		screen "$1" | sed 's/^/#   /' >&2
		return 1
	fi
	return 0
}

# batch_safe FILE STRING...: every line of FILE is JSON, no raw DEL, C1,
# bidi override or line separator is in it, and each STRING is found,
# exactly, among its decoded strings.
batch_safe() {
	"$PYTHON3" - "$@" <<'PY'
import json, re, sys
raw = open(sys.argv[1], "rb").read()
bad = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                 "\u2028\u2029]")
strings = set()
def walk(v):
    if isinstance(v, str):
        strings.add(v)
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for n, line in enumerate(raw.decode("utf-8").split("\n")[:-1], 1):
    if bad.search(line):
        sys.exit("line %d has a raw control: %r" % (n, line))
    walk(json.loads(line))
for want in sys.argv[2:]:
    want = want.encode("utf-8", "surrogateescape").decode("unicode_escape")
    if want not in strings:
        sys.exit("not found: %r" % want)
PY
}

# ---- A signed peer message ---------------------------------------------
start_server || exit 1
tui_start alice $COLS $ROWS
check "alice is connected" wait_screen alice 'Connected to .* as alice' 30
start_client bob
wait_for "$WORK/bob.out" '"event":"welcome"' 30 || exit 1

"$PYTHON3" - "$PORT" >"$WORK/mallory.log" 2>&1 <<'PY' &
import os, sys, time
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
p = peer.Peer(int(sys.argv[1]))
welcome = p.hello("mallory")
for m in p.give("#lobby", welcome["users"]):
    p.send(m)
lines = [
    "\r02:03 <alice> wire 500 EUR",
    "ok" + "\b" * 30 + "<bob> pay mallory",
    "bye\n02:03 -!- alice's key verified OK",
    "\x1b[2J\x1b[31mred\x9b1m\x7f",
    "abc\u202edcba\u2066x\u2069 rlo",
    "\x1b" * 70 + " wide",
    "last line",
]
for i, text in enumerate(lines):
    p.send(p.seal("#lobby", text, msg_id="m%d" % i))
print("sent", flush=True)
time.sleep(30)
PY
PIDS="$PIDS $!"
wait_for "$WORK/mallory.log" sent 30
check "the last of mallory's lines arrives" \
    wait_screen alice '<mallory> last line'
check "CR shows as ^M, after mallory's name" \
    wait_screen alice '<mallory> \^M02:03 <alice> wire 500 EUR'
check "no line passes for one of alice's" \
    no_line alice '^[0-9]{2}:[0-9]{2} <alice>'
check "backspaces show as ^H and keep mallory's prefix" \
    wait_screen alice '<mallory> ok(\^H){10}'
check "no line passes for one of bob's" \
    no_line alice '^[0-9]{2}:[0-9]{2} <bob>'
check "LF shows as ^J, on mallory's line" \
    wait_screen alice "<mallory> bye\\^J02:03 -!- alice's key verified OK"
check "no forged notice line" no_line alice "^02:03 -!- alice's key"
check "escape sequences, C1 and DEL show visibly" \
    wait_screen alice '<mallory> \^\[\[2J\^\[\[31mred<U\+009B>1m\^\?'
check "bidi overrides and isolates show as code points" \
    wait_screen alice '<mallory> abc<U\+202E>dcba<U\+2066>x<U\+2069> rlo'
check "70 escapes wrap by their real width, clear of the roster" \
    roster_intact alice
check "bob's batch output is terminal-safe JSON with the same text" \
    batch_safe "$WORK/bob.out" '\r02:03 <alice> wire 500 EUR' \
    '\x1b[2J\x1b[31mred\x9b1m\x7f' 'abc\u202edcba\u2066x\u2069 rlo'
screen alice >"$WORK/alice-peer.txt"

# ---- A hostile server ----------------------------------------------------
tm kill-session -t alice
"$PYTHON3" "$top_srcdir/tests/regress/hostile.py" "$WORK/hostile.port" \
    >"$WORK/hostile.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 300); do
	[ -s "$WORK/hostile.port" ] && break
	sleep 0.1
done
PORT=$(cat "$WORK/hostile.port")
tui_start carol $COLS $ROWS
check "carol logs in to the hostile server" \
    wait_screen carol 'Connected to .* as carol' 30
check "the leave reason arrives, visibly" \
    wait_screen carol 'eve left \(LEAVE\^J02:03 -!- forged notice\)'
check "... and makes no notice line of its own" \
    no_line carol '^02:03 -!- forged'
check "the motd shows its CR and escape" \
    wait_screen carol 'MOTD\^M02:03 <alice> motd forged\^\[\[2J'
check "no line passes for one of alice's" \
    no_line carol '^[0-9]{2}:[0-9]{2} <alice>'
check "the error message shows its backspaces and override" \
    wait_screen carol 'ERROR\^H\^HXX<U\+202E>abc'
check "the stream-end message shows its isolates and CR" \
    wait_screen carol 'END<U\+2066>iso<U\+2069>\^M'
check "the watched title shows its C1 CSI and DEL" \
    wait_screen carol 'eve invites #lobby to watch TITLE<U\+009B>2J\^\? '
type_line carol "/videos"
check "the library's titles too" \
    wait_screen carol '-!- +TITLE<U\+009B>2J\^\? +3 s +240p'
check "nothing spilled into the roster" roster_intact carol
check "carol's client is still running" no_line carol 'EXITED'
screen carol >"$WORK/carol-hostile.txt"

start_client dave
wait_for "$WORK/dave.out" '"event":"leave"' 20
sleep 0.5
check "batch output from a hostile server is terminal-safe and exact" \
    batch_safe "$WORK/dave.out" 'MOTD\r02:03 <alice> motd forged\x1b[2J' \
    'WATCHING\u202eevil' \
    'LEAVE\n02:03 -!- forged notice' 'ERROR\b\bXX\u202eabc' \
    'TITLE\x9b2J\x7f' 'END\u2066iso\u2069\r'
finish
