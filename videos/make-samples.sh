#!/bin/sh
# make-samples.sh - generate short sample clips for the tvchat server.
#
# Writes <title>_<quality>.mp4 for every title in TITLES and quality in
# QUALITIES: 10 s, 30 fps, H.264 yuv420p + mono AAC tone, faststart.
# Everything is rendered by ffmpeg's built-in lavfi sources, so no input
# files and no fonts are needed (drawtext would need fontconfig fonts; the
# frame counter is instead cropped from testsrc2, which draws its own digits).
# shellcheck disable=SC2046,SC2086  # word-splitting "W H" and job lists is intended
set -eu

TITLES="mandelbrot testcard"    # slowest first, to balance the two job slots
QUALITIES="1440p 720p 240p"
SECONDS_LEN=10
FPS=30
MANDEL_MAX_H=720                # mandelbrot is rendered at most this tall, then upscaled
JOBS=2                          # ffmpeg processes run at once

prog=${0##*/}
running=""                      # background jobs "pid:title_quality:WxH", oldest first

# usage: print the command synopsis.
usage() {
    echo "usage: $prog [-f] [OUTDIR]"
    echo "  -f      regenerate files even if they already exist"
    echo "  -h      show this help"
    echo "  OUTDIR  output directory (default: the script's own directory)"
}

# dims QUALITY: print "W H" for a quality name.
dims() {
    case $1 in
    240p)  echo "426 240" ;;
    720p)  echo "1280 720" ;;
    1440p) echo "2560 1440" ;;
    *)     echo "$prog: unknown quality $1" >&2; return 1 ;;
    esac
}

# graph TITLE W H: print the lavfi graph (video [out0], audio [out1]) for a title.
graph() {
    case $1 in
    testcard)
        # testsrc2 already shows a timestamp and frame counter, top left.
        echo "testsrc2=s=$2x$3:r=${FPS}[out0];sine=f=1000:r=48000[out1]" ;;
    mandelbrot)
        rh=$3; [ "$rh" -le "$MANDEL_MAX_H" ] || rh=$MANDEL_MAX_H
        rw=$(( $2 * rh / $3 / 2 * 2 ))
        k=$(( rh / 360 )); [ "$k" -ge 1 ] || k=1
        # Counter box (timestamp + frame number) borrowed from testsrc2,
        # enlarged k times, overlaid; then bicubic upscale if rendered smaller.
        echo "mandelbrot=s=${rw}x$rh:r=${FPS}[m];" \
             "testsrc2=s=128x48:r=$FPS,crop=100:36:2:2," \
             "scale=iw*$k:ih*$k:flags=neighbor[c];" \
             "[m][c]overlay=8:8,scale=$2:$3:flags=bicubic[out0];" \
             "sine=f=440:r=48000[out1]" | tr -d ' ' ;;
    *)  echo "$prog: unknown title $1" >&2; return 1 ;;
    esac
}

# start_job TITLE QUALITY: launch ffmpeg in the background, encoding one clip to a temp file.
start_job() {
    set -- "$1" "$2" $(dims "$2")
    g=$(graph "$1" "$3" "$4")
    ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$g" \
        -t "$SECONDS_LEN" -c:v libx264 -preset ultrafast -crf 28 -pix_fmt yuv420p \
        -c:a aac -b:a 48k -ac 1 -movflags +faststart \
        -f mp4 "$outdir/.$1_$2.mp4.$$.tmp" &
    running="${running:+$running }$!:$1_$2:${3}x$4"
}

# finish_oldest: wait for the oldest job and rename its temp file into place; exit 1 if it failed.
finish_oldest() {
    set -- $running
    job=$1; shift; running="$*"
    pid=${job%%:*}; base=${job#*:}; size=${base#*:}; base=${base%:*}
    wait "$pid" || { echo "$prog: ffmpeg failed for $base.mp4" >&2; exit 1; }
    mv -f "$outdir/.$base.mp4.$$.tmp" "$outdir/$base.mp4"
    echo "generated $outdir/$base.mp4 ($size)"
}

# cleanup: stop any running ffmpeg jobs and remove their partial temp files.
cleanup() {
    for job in $running; do kill "${job%%:*}" 2>/dev/null || :; done
    wait || :
    rm -f "$outdir"/.*.mp4.$$.tmp
}

force=0
while getopts fh opt; do
    case $opt in
    f) force=1 ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || { usage >&2; exit 2; }
command -v ffmpeg >/dev/null 2>&1 || {
    echo "$prog: ffmpeg not found; install the Debian package 'ffmpeg'" \
         "(sudo apt-get install ffmpeg)" >&2
    exit 1
}
outdir=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$outdir"
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

start=$(date +%s); made=0; skipped=0
for title in $TITLES; do
    for q in $QUALITIES; do
        if [ "$force" -eq 0 ] && [ -s "$outdir/${title}_$q.mp4" ]; then
            skipped=$((skipped + 1)); continue
        fi
        set -- $running; [ $# -lt "$JOBS" ] || finish_oldest
        start_job "$title" "$q"; made=$((made + 1))
    done
done
while [ -n "$running" ]; do finish_oldest; done
echo "$prog: $made generated, $skipped skipped, in $(( $(date +%s) - start ))s -> $outdir"
