#!/bin/bash
# Picture quality, measured: one frame drawn by both renderers is compared
# with the frame itself. blocks must be closer than ascii, and both must
# beat a flat grey picture by a clear margin.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mkdir -p "$WORK/videos"
ffmpeg -nostdin -loglevel error -f lavfi -i "mandelbrot=size=640x360:rate=30" \
    -t 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    "$WORK/videos/fractal_720p.mp4" || exit 1
start_server -v "$WORK/videos" || exit 1
start_client viewer
wait_for "$WORK/viewer.out" '"event":"welcome"' 30 || exit 1
say_to viewer '{"cmd":"play","name":"fractal","quality":"720p","size":[320,180]}'
wait_for "$WORK/viewer.out" '"event":"frame".*"seq":30,' 10
say_to viewer '{"cmd":"pause"}'
say_to viewer "{\"cmd\":\"snapshot\",\"render\":\"ascii\",\"cols\":80,\"rows\":22,\"text\":\"$WORK/ascii.ansi\",\"jpeg\":\"$WORK/frame.jpg\"}"
say_to viewer "{\"cmd\":\"snapshot\",\"render\":\"blocks\",\"cols\":80,\"rows\":22,\"text\":\"$WORK/blocks.ansi\"}"
check "both snapshots are taken" \
    wait_for "$WORK/viewer.out" '"event":"snapshot".*"render":"blocks"' 10
check "the ascii snapshot is 22 lines of 80 characters" \
    test "$(grep '"render":"ascii' "$WORK/viewer.out" | json_field lines |
    "$PYTHON3" -c 'import json,sys; l=json.loads(sys.stdin.read()); print(len(l), {len(x) for x in l})')" = "22 {80}"
"$PYTHON3" "$top_srcdir/tests/regress/picture.py" "$WORK/frame.jpg" \
    "$WORK/ascii.ansi" "$WORK/blocks.ansi" >"$WORK/errors" 2>&1
sed 's/^/# mean error /' "$WORK/errors"
a=$(awk '$1 == "ascii" { print $2 }' "$WORK/errors")
b=$(awk '$1 == "blocks" { print $2 }' "$WORK/errors")
g=$(awk '$1 == "grey" { print $2 }' "$WORK/errors")
check "blocks are closer to the frame than ascii ($b < $a)" \
    awk -v a="$a" -v b="$b" 'BEGIN { exit !(b != "" && b < a) }'
check "ascii beats flat grey clearly ($a < 0.8 x $g)" \
    awk -v a="$a" -v g="$g" 'BEGIN { exit !(a != "" && a < 0.8 * g) }'
check "blocks beat flat grey clearly ($b < 0.5 x $g)" \
    awk -v b="$b" -v g="$g" 'BEGIN { exit !(b != "" && b < 0.5 * g) }'
finish
