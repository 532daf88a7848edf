#!/bin/bash
# Video in the full-screen client: colour ASCII art in the video pane,
# pause and resume, chat while playing, and the popup window under Xvfb
# (a screenshot of it) falling back to ASCII when the window is closed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

. "$top_srcdir/tests/tmux.sh"
XVFB_PID=""
video_cleanup() {
	[ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
	tmux_cleanup
}
trap video_cleanup EXIT

# art_rows NAME: rows of the screen that look like ASCII art (many
# non-space characters in the left 70 columns, no timestamp).
art_rows() {
	screen "$1" | sed -n '2,22p' | cut -c1-70 |
	    grep -vE '^[0-9]{2}:[0-9]{2} ' | tr -d ' ' | awk 'length > 30' |
	    wc -l
}

# Long enough to outlast the steps below on a loaded machine: at 20 s a
# CI run saw the clip end before /window and /stop.
make_clip clip 60 240p 720p || exit 1
start_server -v "$WORK/videos" || exit 1
tui_start alice 100 36 tmux-256color
wait_screen alice 'Connected to' 30 || exit 1
start_client bob
wait_for "$WORK/bob.out" '"event":"welcome"' 30

type_line alice "/videos"
check "/videos lists the clip" wait_screen alice 'clip +60 s +240p, 720p'
type_line alice "/play clip 240p"
check "the status bar shows the stream" \
    wait_screen alice '> clip 240p 00:0[1-9]/01:00 [0-9]+fps'
sleep 1
check "the video pane shows ASCII art" test "$(art_rows alice)" -ge 8
check "... in colour" \
    test "$(tm capture-pane -t alice -p -e | grep -c $'\e\\[[0-9;]*4[0-7]m')" -gt 5
tm capture-pane -t alice -p -e >"$WORK/alice-video.ansi"

tm send-keys -t alice F5
check "F5 pauses" wait_screen alice '\|\| clip 240p'
pos1=$(screen alice | grep -oE '\|\| clip 240p [0-9:]+' | tail -1)
sleep 1.5
pos2=$(screen alice | grep -oE '\|\| clip 240p [0-9:]+' | tail -1)
check "... and the position stays ($pos1)" test "$pos1" = "$pos2"
tm send-keys -t alice F5
check "F5 resumes" wait_screen alice '> clip 240p'
type_line alice "/seek 12"
check "/seek jumps" wait_screen alice '> clip 240p 00:1[2-4]/'
# What strtod() reads but the protocol does not allow (the server would
# close on it) is refused here, with a line that says so; /seek -1 is a
# step back, and fine.
n=0
for arg in nan inf 1e400 -nan 1e9; do
	n=$((n + 1))
	type_line alice "/seek $arg"
	check "/seek $arg is refused here, saying why" \
	    wait_count alice 'not sent: seek: invalid field "to"' "$n" 5
done
type_line alice "/seek -1"
type_line alice "/play $(printf 'x%.0s' $(seq 65))"
check "a /play name over 64 bytes is refused here" \
    wait_screen alice 'not sent: play: invalid field "name"' 5
check "... and /seek -1 was not" \
    test "$(screen alice | grep -c 'not sent: seek')" -eq "$n"
sleep 0.5
check "nothing of it reached the server, which would have closed" \
    test "$(count "$WORK/server.log" 'protocol error')" -eq 0
check "... so alice is still connected and watching" \
    test "$(screen alice | grep -c 'Disconnected')" -eq 0 -a \
    "$(screen alice | grep -c '> clip 240p')" -ge 1
type_line alice "/render blocks"
check "/render blocks switches mid-stream" \
    wait_screen alice 'blocks [0-9]+KB/s'
sleep 1
check "... drawing half blocks in 256 colours" \
    test "$(tm capture-pane -t alice -p -e | grep -c $'\e\\[38;5;[0-9]*m.*▀')" -gt 5
type_line alice "/render ascii"
check "/render ascii returns" wait_screen alice 'ascii/ordered/ascii [0-9]+KB/s'
sleep 1
check "... to ASCII art" test "$(art_rows alice)" -ge 8
type_line alice "chatting while watching"
check "chat flows while the video plays" \
    wait_for "$WORK/bob.out" '"text":"chatting while watching"'
type_line alice "/window"
check "no display: /window says so and stays ASCII" \
    wait_screen alice 'Cannot open a window: no display'
type_line alice "/stop"
check "/stop ends the stream" wait_screen alice 'clip stopped'

# The popup window under Xvfb.
for n in $(seq 120 160); do
	[ -e "/tmp/.X$n-lock" ] || break
done
Xvfb ":$n" -screen 0 1024x768x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for i in $(seq 50); do
	DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1 && break
	sleep 0.1
done
tui_start carol 100 36 tmux-256color "" ":$n"
wait_screen carol 'Connected to' 30
type_line carol "/play clip 720p"
wait_screen carol '> clip 720p'
type_line carol "/window"
check "/window opens the popup" wait_screen carol 'Showing clip in a window'
sleep 2
DISPLAY=":$n" import -window root "$WORK/popup.png"
check "a screenshot of the window shows the picture" "$PYTHON3" -c '
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
lit = sum(1 for p in im.getdata() if sum(p) > 150)
colours = {(r // 64, g // 64, b // 64) for r, g, b in im.getdata()}
print("# %d lit pixels, %d colour cells" % (lit, len(colours)))
sys.exit(0 if lit > 100000 and len(colours) >= 6 else 1)
' "$WORK/popup.png"
check "the pane says the picture is in a window" \
    wait_screen carol 'showing in a window'
DISPLAY=":$n" xdotool search --name 'tvchat: clip' windowkill 2>/dev/null ||
    pkill -f 'tvchat-viewer tvchat: clip'
check "closing the window returns to ASCII" \
    wait_screen carol 'The window was closed: back to ASCII'
sleep 1
check "... and the ASCII art is back" test "$(art_rows carol)" -ge 8
type_line carol "/quit"
check "/quit leaves cleanly" wait_screen carol '^EXITED 0'
finish
