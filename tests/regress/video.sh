#!/bin/bash
# Video end to end: batch clients on a real tvchatd serving clips that
# this test makes itself with ffmpeg (never the videos/ directory). The
# library lists what it can open and notices new files; each quality plays
# to the end at the asked size, paced at the source rate; quality switches
# keep the position; seek, pause, resume and stop do what they say; chat
# gets through during a 1440p stream; bad requests and a truncated file
# are reported without hurting the server.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if ! command -v ffmpeg >/dev/null 2>&1; then
	echo "Bail out! ffmpeg is missing (scripts/deps installs it)"
	exit 1
fi

VIDEOS=$WORK/videos
mkdir -p "$VIDEOS"
EVIL=$'evil\e[31m\nforged_240p.mp4'

# clip_file FILE WxH SECONDS [FFMPEG-ARGS...]: a 30 fps testsrc2 clip.
clip_file() {
	local file=$1 size=$2 len=$3
	shift 3
	ffmpeg -nostdin -loglevel error -y -f lavfi \
	    -i "testsrc2=size=$size:rate=30" -t "$len" -c:v libx264 \
	    -preset ultrafast -pix_fmt yuv420p "$@" "$file"
}

# Make every sample, two ffmpeg at a time; 0 if all of them worked.
make_samples() {
	local pids="" p status=0

	clip_file "$VIDEOS/clip_1440p.mp4" 2560x1440 3 & pids="$pids $!"
	clip_file "$VIDEOS/clip_720p.mp4" 1280x720 3 & pids="$pids $!"
	for p in $pids; do wait "$p" || status=1; done
	# Long enough that the chat test ends well before the video does.
	clip_file "$VIDEOS/big_1440p.mp4" 2560x1440 8 || status=1
	pids=""
	# Broken: a complete header (faststart) claiming 300 frames, then
	# only the first 40% of the file.
	clip_file "$WORK/whole.mp4" 1280x720 10 -movflags +faststart &
	pids="$pids $!"
	clip_file "$VIDEOS/clip_240p.mp4" 426x240 3 &&
	    clip_file "$VIDEOS/long_240p.mp4" 426x240 10 & pids="$pids $!"
	for p in $pids; do wait "$p" || status=1; done
	[ -s "$WORK/whole.mp4" ] || return 1
	head -c $(($(stat -c %s "$WORK/whole.mp4") * 4 / 10)) \
	    "$WORK/whole.mp4" >"$VIDEOS/broken_720p.mp4" || status=1
	# Symbolic links: into the library (served), out of it (refused,
	# even to a real clip), dangling; and a FIFO, which would block a
	# decoder that opened it.
	mkdir -p "$WORK/outside" "$WORK/videos-sibling"
	cp "$VIDEOS/clip_240p.mp4" "$WORK/outside/secret_240p.mp4"
	cp "$VIDEOS/clip_240p.mp4" "$WORK/videos-sibling/x.mp4"
	ln -s clip_240p.mp4 "$VIDEOS/alias_240p.mp4"
	ln -s /etc/passwd "$VIDEOS/passwd_240p.mp4"
	ln -s "$WORK/outside/secret_240p.mp4" "$VIDEOS/secret_240p.mp4"
	ln -s "$VIDEOS/../videos-sibling/x.mp4" "$VIDEOS/sibling_240p.mp4"
	ln -s nowhere.mp4 "$VIDEOS/dangling_240p.mp4"
	# Out of the library, to a name with an escape sequence and a
	# newline in it: logged, but never raw.
	cp "$VIDEOS/clip_240p.mp4" "$WORK/outside/$EVIL"
	ln -s "$WORK/outside/$EVIL" "$VIDEOS/evil_240p.mp4"
	mkfifo "$VIDEOS/fifo_240p.mp4"
	# Junk: bytes that are no video at all (seeded, so always the same).
	"$PYTHON3" -c 'import random, sys
sys.stdout.buffer.write(random.Random(7).randbytes(100000))' \
	    >"$VIDEOS/junk_240p.mp4" || status=1
	return $status
}

t=$(now_ms)
if ! make_samples; then
	echo "Bail out! ffmpeg could not make the sample clips"
	exit 1
fi
echo "# sample clips made in $(($(now_ms) - t)) ms"


# first_since NAME MARK REGEX: the first matching line past MARK.
first_since() {
	since "$1" "$2" | grep -E -- "$3" | head -1
}

# report: turn "PASS desc" / "FAIL desc :: detail" lines into TAP.
report() {
	local line
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok "${line#PASS }" ;;
		FAIL\ *::*)
			line=${line#FAIL }
			not_ok "${line%% :: *}" "${line#* :: }" ;;
		FAIL\ *) not_ok "${line#FAIL }" ;;
		esac
	done
}

# Python that judges one stream in a piece of batch output (stdin):
# argv = stream id, width, height, quality. Prints PASS/FAIL lines.
JUDGE_STREAM='
import json, sys
sid, w, h, q = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
what = "clip %s at %dx%d" % (q, w, h)
frames, end, after_end = [], None, 0
for line in sys.stdin:
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("id") != sid:
        continue
    if ev.get("event") == "frame":
        if end is None:
            frames.append(ev)
        else:
            after_end += 1
    elif ev.get("event") == "stream-end" and end is None:
        end = ev
def result(good, desc, detail=""):
    print(("PASS %s" % desc) if good else ("FAIL %s :: %s" % (desc, detail)))
seqs = [f["seq"] for f in frames]
pts = [f["pts"] for f in frames]
bad_seq = [i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1]]
bad_pts = [i for i in range(1, len(pts)) if pts[i] <= pts[i - 1]]
result(len(seqs) > 0 and seqs[0] == 0 and not bad_seq,
    "%s: seq starts at 0 and strictly increases" % what,
    "first seqs %s, out of order at %s" % (seqs[:5], bad_seq[:5]))
result(len(pts) > 0 and not bad_pts,
    "%s: pts strictly increases" % what,
    "out of order at frames %s: %s" % (bad_pts[:5],
    [(pts[i - 1], pts[i]) for i in bad_pts[:5]]))
odd = [f for f in frames if (f["w"], f["h"], f["quality"]) != (w, h, q)]
result(frames and not odd, "%s: every frame is %dx%d %s" % (what, w, h, q),
    "%d of %d differ, e.g. %s" % (len(odd), len(frames), odd[:1]))
# Frames the server could not make in time are dropped by design (a
# loaded machine, 1440p): how many arrive is a figure, not a test; order,
# sizes and the end are what this checks.
result(len(frames) >= 10, "%s: frames arrive (%d of 90)" % (what, len(frames)),
    "only %d frames" % len(frames))
lasts = [i for i, f in enumerate(frames) if f["last"]]
result(frames and lasts == [len(frames) - 1],
    "%s: only the final frame says last" % what,
    "frames flagged last: %s of %d; final frame %s" % (lasts, len(frames),
    frames[-1] if frames else None))
result(end is not None and end.get("reason") == "finished",
    "%s: stream-end says finished" % what, "stream-end: %s" % end)
result(after_end == 0, "%s: no frame after stream-end" % what,
    "%d frames after it" % after_end)
'

# Python that prints the videos list of the last "videos" event on stdin
# as "name qualities..." lines.
LIST_VIDEOS='
import json, sys
videos = None
for line in sys.stdin:
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event") == "videos":
        videos = ev.get("videos")
for v in videos or []:
    print(v["name"], *v["qualities"], v["frames"], v["fps"])
'

start_server -v "$VIDEOS" || exit 1
check "a later -v replaces the default videos directory" \
    grep -q "videos in $VIDEOS\$" "$WORK/server.log"

t=$(now_ms)
for u in amy ben cat; do
	start_client "$u"
done
for u in amy ben cat; do
	wait_for "$WORK/$u.out" '"event":"welcome"' 30 || exit 1
done
echo "# clients in after $(($(now_ms) - t)) ms"

# 1. The videos list: what opens, and nothing that does not.
m=$(mark amy)
say_to amy '{"cmd":"videos"}'
wait_since amy "$m" '"event":"videos"' 10
list=$(since amy "$m" | "$PYTHON3" -c "$LIST_VIDEOS")
check "videos lists clip in 240p, 720p and 1440p" \
    grep -qx 'clip 240p 720p 1440p 90 30.*' <<<"$list"
check "videos lists long in 240p only" \
    grep -qx 'long 240p 300 30.*' <<<"$list"
check "videos lists the truncated file (its header is sound)" \
    grep -q '^broken 720p ' <<<"$list"
check "videos does not list the junk file" \
    test "$(grep -c '^junk' <<<"$list")" -eq 0
check "videos does not list a file that is not there yet" \
    test "$(grep -c '^fresh' <<<"$list")" -eq 0
check "a symbolic link inside the library is served" \
    grep -qx 'alias 240p 90 30.*' <<<"$list"
for f in passwd secret sibling dangling fifo evil; do
	check "$f: not listed" test "$(grep -c "^$f " <<<"$list")" -eq 0
done
check "a link out of the library is refused, saying where it points" \
    grep -q "library: secret_240p.mp4: a symbolic link out of the library, to $WORK/outside/secret_240p.mp4 (refused)" \
    "$WORK/server.log"
check "... and one to a sibling directory with the same prefix" \
    grep -q "library: sibling_240p.mp4: a symbolic link out of the library" \
    "$WORK/server.log"
check "a link's target is logged with its controls escaped" \
    grep -q 'library: evil_240p.mp4: a symbolic link out of the library, to .*/outside/evil\\033\[31m\\012forged_240p.mp4 (refused)$' \
    "$WORK/server.log"
check "... never raw" test "$(grep -c -e $'evil\e' -e '^forged' \
    "$WORK/server.log")" -eq 0
check "a FIFO is refused as not a regular file" \
    grep -q "library: fifo_240p.mp4: not a regular file (refused)" \
    "$WORK/server.log"
# A stream of one's own is never encoded larger than its source, nor
# than 2560x1440: a huge size is scaled down, keeping its proportions.
for spec in "240p 4096 4096 240 240" "1440p 4096 2304 2560 1440" \
    "720p 1000 4000 180 720" "240p 200 100 200 100"; do
	set -- $spec
	m=$(mark amy)
	say_to amy "{\"cmd\":\"play\",\"name\":\"clip\",\"quality\":\"$1\",\"size\":[$2,$3]}"
	wait_since amy "$m" '"event":"frame"' 10
	got=$(since amy "$m" | grep -m1 '"event":"stream",' | "$PYTHON3" -c '
import json, sys; e = json.loads(sys.stdin.read()); print(e["w"], e["h"])')
	fr=$(since amy "$m" | grep -m1 '"event":"frame"' | "$PYTHON3" -c '
import json, sys; e = json.loads(sys.stdin.read()); print(e["w"], e["h"])')
	check "$1 asked at $2x$3: announced and sent at $4x$5 ($got, $fr)" \
	    test "$got" = "$4 $5" -a "$fr" = "$4 $5"
	# Frames already on their way come before the stream's end: wait
	# for it, so none is taken for the next size's.
	m=$(mark amy)
	say_to amy '{"cmd":"stop"}'
	wait_since amy "$m" '"event":"stream-end"' 10
done

m=$(mark amy)
say_to amy '{"cmd":"play","name":"secret","quality":"240p"}'
check "playing a refused file: no-such-video" \
    wait_since amy "$m" '"code":"no-such-video"' 10

# 2 and 3. Each quality of clip plays to the end at the asked size, paced.
for spec in "240p 320 180" "720p 640 360" "1440p 800 450"; do
	set -- $spec
	q=$1 w=$2 h=$3
	m=$(mark amy)
	say_to amy "{\"cmd\":\"play\",\"name\":\"clip\",\"quality\":\"$q\",\"size\":[$w,$h]}"
	if ! wait_since amy "$m" '"event":"stream",' 10; then
		not_ok "clip $q starts" "$(since amy "$m" | head -5)"
		continue
	fi
	t0=$(now_ms)
	wait_since amy "$m" '"event":"stream-end"' 15
	t1=$(now_ms)
	ev=$(first_since amy "$m" '"event":"stream",')
	sid=$(json_field id <<<"$ev")
	check "clip $q: the stream event names clip, $q, ${w}x$h, 90 frames" \
	    test "$(json_field name <<<"$ev") $(json_field quality <<<"$ev") $(json_field w <<<"$ev")x$(json_field h <<<"$ev") $(json_field frames <<<"$ev")" \
	    = "clip $q ${w}x$h 90"
	report < <(since amy "$m" |
	    "$PYTHON3" -c "$JUDGE_STREAM" "$sid" "$w" "$h" "$q")
	if [ $((t1 - t0)) -ge 2500 ]; then
		ok "clip $q: paced, $((t1 - t0)) ms from stream to stream-end"
	else
		not_ok "clip $q: paced, $((t1 - t0)) ms from stream to stream-end" \
		    "a 3 s clip must take at least 2500 ms"
	fi
done

# 4. A quality switch mid-stream keeps the position.
m=$(mark amy)
say_to amy '{"cmd":"play","name":"clip","quality":"240p","size":[320,180]}'
wait_since amy "$m" '"event":"frame"' 10
sleep 1
say_to amy '{"cmd":"quality","quality":"720p"}'
wait_since amy "$m" '"event":"quality-changed"' 5
wait_since amy "$m" '"event":"stream-end"' 10
ev=$(first_since amy "$m" '"event":"quality-changed"')
check "quality 720p mid-stream: quality-changed 720p, asked" \
    test "$(json_field quality <<<"$ev") $(json_field why <<<"$ev")" = \
    "720p asked"
report < <(since amy "$m" | "$PYTHON3" -c '
import json, sys
frames = [json.loads(l) for l in sys.stdin if "\"event\":\"frame\"" in l]
low = [f["pts"] for f in frames if f["quality"] == "240p"]
high = [f["pts"] for f in frames if f["quality"] == "720p"]
first = frames.index(next(f for f in frames if f["quality"] == "720p")) \
    if high else len(frames)
back = [f for f in frames[first:] if f["quality"] != "720p"]
desc = "quality switch: the first 720p frame follows the last 240p one"
if not low or not high:
    print("FAIL %s :: %d frames at 240p, %d at 720p" % (desc, len(low),
        len(high)))
elif not (0 < high[0] - low[-1] <= 300 and low[-1] >= 500):
    print("FAIL %s :: last 240p pts %d, first 720p pts %d" % (desc,
        low[-1], high[0]))
else:
    print("PASS %s (pts %d then %d)" % (desc, low[-1], high[0]))
desc = "quality switch: no 240p frame after the first 720p one"
print(("FAIL %s :: %s" % (desc, back[:2])) if back else "PASS " + desc)
')

# 6. Pause stops frames, resume restarts them (on long, at 240p).
m=$(mark cat)
say_to cat '{"cmd":"play","name":"long","quality":"240p","size":[320,180]}'
wait_since cat "$m" '"event":"frame".*"pts":([5-9][0-9][0-9]|[1-9][0-9]{3,}),' 10
say_to cat '{"cmd":"pause"}'
sleep 0.3	# let the pause arrive; a frame in flight may still land
m2=$(mark cat)
sleep 1
n=$(since cat "$m2" | count /dev/stdin '"event":"frame"')
check "pause: no frame for 1 s ($n arrived)" test "$n" -eq 0
before=$(since cat "$m" | grep '"event":"frame"' | tail -1 | json_field pts)
m2=$(mark cat)
say_to cat '{"cmd":"resume"}'
check "resume: frames come again" \
    wait_since cat "$m2" '"event":"frame"' 2
after=$(first_since cat "$m2" '"event":"frame"' | json_field pts)
check "resume goes on from the paused position ($before, then $after)" \
    test "${after:-0}" -gt "${before:-0}" -a "${after:-0}" -le \
    "$((${before:-0} + 1000))"

# 5. Seek to 6 s: a key frame near 6000 ms.
m2=$(mark cat)
say_to cat '{"cmd":"seek","to":6}'
if wait_since cat "$m2" '"event":"frame".*"key":true' 3; then
	pts=$(first_since cat "$m2" '"event":"frame".*"key":true' |
	    json_field pts)
	check "seek to 6 s: the key frame after it has pts $pts" \
	    test "$pts" -ge 5000 -a "$pts" -le 7000
else
	not_ok "seek to 6 s: a key frame follows" \
	    "$(since cat "$m2" | head -3)"
fi

# 10. Stop ends the stream as stopped, and its frames stop.
m2=$(mark cat)
say_to cat '{"cmd":"stop"}'
if wait_since cat "$m2" '"event":"stream-end"' 3; then
	check "stop: stream-end says stopped" test "$(first_since cat "$m2" \
	    '"event":"stream-end"' | json_field reason)" = stopped
	sleep 0.3
	check "stop: no frame after stream-end" test "$(since cat "$m2" |
	    sed -n '/"event":"stream-end"/,$p' |
	    count /dev/stdin '"event":"frame"')" -eq 0
else
	not_ok "stop: stream-end says stopped" "$(since cat "$m2" | tail -3)"
fi

# 7. Chat gets through while a full-size 1440p stream plays.
ma=$(mark amy)
say_to amy '{"cmd":"play","name":"big","quality":"1440p","size":[2560,1440]}'
wait_since amy "$ma" '"event":"frame"' 10
for i in $(seq -w 1 20); do
	say_to ben "{\"cmd\":\"say\",\"text\":\"during video $i\"}"
	sleep 0.04
done
wait_since amy "$ma" '"text":"during video 20"' 5
wait_since amy "$ma" '"event":"stream-end"' 10
report < <(since amy "$ma" | "$PYTHON3" -c '
import json, sys
chats, frames_after, big, end = [], 0, 0, None
for line in sys.stdin:
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev["event"] == "chat" and ev.get("text", "").startswith("during"):
        chats.append(int(ev["text"].split()[-1]))
    elif ev["event"] == "frame" and end is None:
        if (ev["w"], ev["h"]) == (2560, 1440):
            big += 1
        if len(chats) == 20:
            frames_after += 1
    elif ev["event"] == "stream-end":
        end = ev
desc = "1440p stream: all 20 chat messages arrive, in order"
print(("PASS " + desc) if chats == list(range(1, 21)) else
    "FAIL %s :: got %s" % (desc, chats))
desc = "1440p stream: frames still come after the 20th message"
print(("PASS %s (%d frames after)" % (desc, frames_after)) if frames_after
    else "FAIL %s :: none; stream-end %s" % (desc, end))
desc = "1440p stream: frames are 2560x1440"
print(("PASS %s (%d)" % (desc, big)) if big >= 10 else
    "FAIL %s :: only %d" % (desc, big))
')

# 8. Bad titles are refused, and the server still plays afterwards.
m=$(mark cat)
say_to cat '{"cmd":"play","name":"nope","quality":"240p"}'
check "play of an unknown title: error no-such-video" \
    wait_since cat "$m" '"event":"error".*"code":"no-such-video"' 5
m2=$(mark cat)
say_to cat '{"cmd":"play","name":"long","quality":"1440p"}'
check "play of a missing quality: error no-such-quality" \
    wait_since cat "$m2" '"event":"error".*"code":"no-such-quality"' 5
m2=$(mark cat)
say_to cat '{"cmd":"play","name":"clip","quality":"240p","size":[320,180]}'
check "a good play afterwards streams" \
    wait_since cat "$m2" '"event":"frame"' 5
check "the refused plays started no stream" \
    test "$(since cat "$m" | count /dev/stdin '"event":"stream",')" -eq 1
say_to cat '{"cmd":"stop"}'
wait_since cat "$m2" '"event":"stream-end"' 3

# 9. A truncated file ends with an error, not "finished", and soon.
m=$(mark ben)
t0=$(now_ms)
say_to ben '{"cmd":"play","name":"broken","quality":"720p","size":[320,180]}'
if wait_since ben "$m" '"event":"stream-end"' 15; then
	ev=$(first_since ben "$m" '"event":"stream-end"')
	check "truncated file: stream-end says error ($(($(now_ms) - t0)) ms)" \
	    test "$(json_field reason <<<"$ev")" = error
	check "truncated file: it played what it had first" \
	    test "$(since ben "$m" | count /dev/stdin '"event":"frame"')" -ge 30
else
	not_ok "truncated file: stream-end within 15 s" \
	    "$(since ben "$m" | grep -v '"event":"frame"' | tail -3)"
fi

# 11. A file copied in while the server runs shows up in the next list.
cp "$VIDEOS/long_240p.mp4" "$VIDEOS/fresh_240p.mp4"
m=$(mark amy)
say_to amy '{"cmd":"videos"}'
wait_since amy "$m" '"event":"videos"' 10
check "a new file appears in the next videos list" \
    grep -qx 'fresh 240p 300 30.*' \
    <<<"$(since amy "$m" | "$PYTHON3" -c "$LIST_VIDEOS")"
check "each refused file was logged once, scans and players after it" \
    test "$(grep -c 'library: passwd_240p.mp4: ' "$WORK/server.log")" -eq 1
check "... and so was the junk file" \
    test "$(grep -c 'library: junk_240p.mp4: ' "$WORK/server.log")" -eq 1

check "tvchatd is still running" kill -0 "$SERVER_PID"
finish
