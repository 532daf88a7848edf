#!/bin/bash
# A viewer that reads slower than its video arrives gets frames dropped,
# not late: latest-frame-wins counts the kernel's socket buffer too, so
# the picture stays near live and chat to that viewer stays prompt.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# 240p decodes cheaply, so even a loaded machine keeps the source rate;
# at 640x360 the stream is still more than the viewer reads.
make_clip clip 20 240p || exit 1
start_server -v "$WORK/videos" || exit 1
start_client talker
wait_for "$WORK/talker.out" '"event":"welcome"' 30 || exit 1
# The talking starts once the slow viewer has been playing a while.
"$PYTHON3" - "$PORT" >"$WORK/slow.log" 2>&1 <<'PY' &
import json, os, socket, struct, sys, time
sys.path.insert(0, os.environ["top_srcdir"] + "/tests/regress")
import peer
p = peer.Peer(int(sys.argv[1]))
p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
p.hello("slow")
p.send({"type": "play", "name": "clip", "quality": "240p",
        "size": [640, 360]})
rate, got, start = 300000, 0, time.monotonic()
print("playing", flush=True)
first, lag, chat_at = None, [], None
while time.monotonic() - start < 10:
    # Read at rate bytes a second.
    try:
        data = p.sock.recv(8192)
    except BlockingIOError:
        data = b""
    if not data:
        break
    p.buf += data
    got += len(data)
    time.sleep(len(data) / rate)
    while len(p.buf) >= 5:
        t, n = struct.unpack(">BI", p.buf[:5])
        if len(p.buf) < 5 + n:
            break
        payload, p.buf = p.buf[5:5 + n], p.buf[5 + n:]
        now = time.monotonic() - start
        if t == 2:
            pts = struct.unpack(">I", payload[8:12])[0] / 1000.0
            if first is None:
                first = (now, pts)
            lag.append((now - first[0]) - (pts - first[1]))
        else:
            m = json.loads(payload)
            if m.get("type") == "chat" and chat_at is None:
                chat_at = now
                print("chat at %.3f" % time.time(), flush=True)
            elif m.get("type") == "ping":
                p.send({"type": "pong", "id": m.get("id", 0)})
late = sorted(lag[len(lag) // 2:])
print("frames %d lag-median %.2f lag-max %.2f bytes %d" % (
    len(lag), late[len(late) // 2] if late else -1,
    late[-1] if late else -1, got), flush=True)
PY
PIDS="$PIDS $!"
wait_for "$WORK/slow.log" "^playing" 30
sleep 4
t0=$(date +%s.%N)
say_to talker '{"cmd":"say","text":"are you there"}'
wait_for "$WORK/slow.log" '^frames ' 20
cat "$WORK/slow.log" | sed 's/^/# /'
read -r _ _ _ med _ max _ <<<"$(grep '^frames' "$WORK/slow.log")"
check "frames come at most 2.5 s behind the video (median $med s, max $max s)" \
    awk -v m="$max" 'BEGIN { exit !(m >= 0 && m < 2.5) }'
t1=$(sed -n 's/^chat at //p' "$WORK/slow.log")
check "chat reaches the slow viewer within 2 s (sent $t0, read ${t1:-never})" \
    awk -v a="$t0" -v b="${t1:--1}" 'BEGIN { exit !(b > 0 && b - a < 2) }'
finish
