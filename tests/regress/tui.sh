#!/bin/bash
# The full-screen client in tmux: two users type to each other and we
# read their screens as a person would.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

. "$top_srcdir/tests/tmux.sh"

start_server || exit 1
tui_start alice 80 24
check "alice's screen shows she is connected" \
    wait_screen alice 'Connected to .* as alice' 30
tui_start bob 100 30
check "bob's screen shows he is connected" \
    wait_screen bob 'Connected to .* as bob' 30
check "alice sees bob join" wait_screen alice 'bob joined'
check "alice's roster lists bob" wait_screen alice '│ bob'

type_line alice "hello bob"
check "bob sees alice's message with her name" \
    wait_screen bob '[0-9]{2}:[0-9]{2} <alice> hello bob'
type_line bob "/msg alice just between us"
check "alice sees the direct message marked" \
    wait_screen alice '\[bob -> alice\] just between us'
type_line bob "/msg alice,Alice twice"
check "/msg refuses a name given twice, in the TUI's words" \
    wait_screen bob 'Alice: named twice'
type_line bob "/me waves"
check "an action reads as one" wait_screen alice '\* bob waves'
type_line alice "你好, bob 🎉 ok"
check "CJK and emoji arrive intact" wait_screen bob '<alice> 你好, bob 🎉 ok'

# Editing: type, move left over a wide character, delete, fix, send.
tm send-keys -t alice -l "tpyo 你x"
tm send-keys -t alice Left BSpace Home Right DC Right
tm send-keys -t alice -l "p"
tm send-keys -t alice End
tm send-keys -t alice -l "!"
tm send-keys -t alice Enter
check "line editing over wide characters" wait_screen bob '<alice> typo x!'
tm send-keys -t alice Up
check "Up recalls the last line" wait_screen alice '^\[#lobby\] typo x!'
tm send-keys -t alice C-u
tm send-keys -t alice -l "/he"
tm send-keys -t alice Tab
check "Tab completes commands" wait_screen alice '^\[#lobby\] /help$'
tm send-keys -t alice Enter
check "/help lists the commands" wait_screen alice '/quit +- leave tvchat'
type_line alice "/frobnicate"
check "an unknown command says so" \
    wait_screen alice 'unknown command /frobnicate'
tm send-keys -t alice -l "b"
tm send-keys -t alice Tab
check "Tab completes names" wait_screen alice '^\[#lobby\] bob:$'
tm send-keys -t alice C-u

# Scrollback: fill the screen, page up, see old lines, back down.
for i in $(seq 1 40); do
	type_line bob "line $i of many"
done
wait_screen alice '<bob> line 40 of many'
tm send-keys -t alice PPage
check "PgUp shows older lines" wait_screen alice '<bob> line 1[0-9] of many'
check "... and not the newest" \
    test "$(screen alice | grep -c 'line 40 of many')" -eq 0
check "the status bar says new messages are below" \
    wait_screen alice 'scrolled up'
type_line bob "while you were reading"
check "... and counts them" wait_screen alice '1 new message below'
tm send-keys -t alice NPage NPage NPage
check "PgDn returns to the newest" \
    wait_screen alice '<bob> while you were reading'

# Resize: the scrollback and the half-typed line survive.
tm send-keys -t alice -l "half typed"
tm resize-window -t alice -x 60 -y 20
check "after a resize the input line is intact" \
    wait_screen alice '^\[#lobby\] half typed'
check "... and the scrollback too" wait_screen alice 'while you were reading'
tm resize-window -t alice -x 30 -y 8
check "a tiny terminal says so" wait_screen alice 'terminal too small'
tm resize-window -t alice -x 80 -y 24
check "growing again restores the screen" \
    wait_screen alice '^\[#lobby\] half typed'
tm send-keys -t alice C-u

# Leaving and a key change: bob comes back with a new key.
tm send-keys -t bob C-c
check "Ctrl-C quits and restores the terminal" wait_screen bob '^EXITED 0'
check "alice sees bob leave" wait_screen alice 'bob left \(quit\)'
tm kill-session -t bob
tui_start bob 100 30 xterm-256color "$WORK/keys/bob-new"
wait_screen bob 'Connected to' 30
check "alice is warned loudly about bob's new key" \
    wait_screen alice "bob's KEY HAS CHANGED"
type_line bob "trust me"
check "bob's messages are marked unverified" \
    wait_screen alice '\[UNVERIFIED\] <bob> trust me'
type_line alice "/trust bob"
type_line bob "better?"
check "after /trust they are verified again" \
    wait_screen alice '[0-9] <bob> better\?'

# Losing the server: a notice, then reconnection with the scrollback kept.
before_a=$(screen alice | grep -c 'Connected to .* as alice (')
before_b=$(screen bob | grep -c 'Connected to .* as bob (')
kill -9 "$SERVER_PID"
check "losing the server shows a notice" \
    wait_screen alice 'Disconnected: '
"$TVCHATD" -f -d -p "$PORT" -v "$top_srcdir/videos" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
check "... it reconnects by itself" \
    wait_count alice 'Connected to .* as alice \(' $((before_a + 1)) 40
tm send-keys -t alice PPage
check "... and keeps the scrollback" wait_screen alice 'while you were reading'
tm send-keys -t alice NPage NPage
wait_count bob 'Connected to .* as bob \(' $((before_b + 1)) 40
type_line bob "back again"
check "chat works after reconnecting" wait_screen alice '<bob> back again'

# A monochrome terminal still works and reads well.
tui_start carol 80 24 vt100
check "a vt100 (no colour) client connects" \
    wait_screen carol 'Connected to .* as carol' 30
type_line alice "can you read this, carol?"
check "... and shows the chat" wait_screen carol '<alice> can you read this'
check "the screen has no colour codes" \
    test "$(tm capture-pane -t carol -p -e | grep -c $'\e\\[[0-9;]*3[0-7]m')" -eq 0
type_line carol "/quit"
check "/quit leaves cleanly" wait_screen carol '^EXITED 0'
finish
