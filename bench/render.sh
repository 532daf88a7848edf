#!/bin/bash
# Renderer benchmark (see bench/README): CPU per frame and bytes written
# to the terminal per frame for each video renderer and setting, for
# 80x24, 160x48 and 300x100 panes, beside mpv --vo=tct and libcaca's
# img2txt on the same clip in the same run. Prints a markdown table.
#
# usage: bench/render.sh [build-dir]      (or BUILD=dir)
# Knobs (environment): REPEAT=n (whole run n times, then the medians),
# PANES="80x24 160x48 300x100", RENDERS=5 (renders of each frame per
# timing), CLIP=file (use this clip, else a 5 s 720p one is made),
# SOURCE=mandelbrot|testsrc2 (what the made clip shows), CLIP_SECONDS=5,
# SAMPLES=dir (keep one frame of each renderer as .ansi, and .png when
# /work/shared/tools/ansi2png.py or ANSI2PNG is there), KEEP=1 (keep the
# work directory), CC.
#
# Figures never decide the exit status: it is 0 unless something broke
# (no build, no clip, a renderer failed), then 1. mpv and img2txt are
# optional: when missing, their rows say so.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/stats.sh"
BUILD=${1:-${BUILD:-$top/build-bench}}
REPEAT=${REPEAT:-1}
PANES=${PANES:-"80x24 160x48 300x100"}
RENDERS=${RENDERS:-5}
CLIP=${CLIP:-}
SOURCE=${SOURCE:-mandelbrot}
CLIP_SECONDS=${CLIP_SECONDS:-5}
SAMPLES=${SAMPLES:-}
ANSI2PNG=${ANSI2PNG:-/work/shared/tools/ansi2png.py}
CC=${CC:-gcc}
ASCII_SETTINGS="ascii/ordered/ascii ascii/none/ascii ascii/fstein/ascii
    ascii/ordered/shades"
BLOCKS_SETTINGS="blocks blocks/truecolor"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tvchat-render.XXXXXX")
FAILED=0

# Drop the work directory unless asked to keep it or something failed.
cleanup() {
	if [ "${KEEP:-0}" = 1 ] || [ "$FAILED" -ne 0 ]; then
		echo "work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "render: $*" >&2
	FAILED=1
	exit 1
}

# Configure and build the libraries in $BUILD if needed, then the
# benchmark program (src/tvchat/render.c is compiled in, as for the unit test).
build() {
	local libs
	if [ ! -f "$BUILD/src/common/libtvcommon.a" ]; then
		[ -x "$top/configure" ] ||
		    die "no $top/configure: run 'autoreconf -fi' first"
		echo "building in $BUILD ..." >&2
		mkdir -p "$BUILD" || die "cannot create $BUILD"
		(cd "$BUILD" && "$top/configure") >"$WORK/configure.log" 2>&1 ||
		    { tail -20 "$WORK/configure.log" >&2; die "configure failed"; }
	fi
	make -C "$BUILD" -j2 src/common/libtvcommon.a \
	    >"$WORK/make.log" 2>&1 ||
	    { tail -20 "$WORK/make.log" >&2; die "make failed"; }
	RENDERBENCH=$BUILD/renderbench
	if [ ! -x "$RENDERBENCH" ] ||
	    [ "$top/bench/render.c" -nt "$RENDERBENCH" ] ||
	    [ "$top/src/tvchat/render.c" -nt "$RENDERBENCH" ] ||
	    [ "$BUILD/src/common/libtvcommon.a" -nt "$RENDERBENCH" ]; then
		libs=$(pkg-config --libs caca ncursesw 2>/dev/null) ||
		    libs="-lcaca -lncursesw -ltinfo"
		"$CC" -O2 -std=gnu11 -Wall -Wextra -I"$BUILD" -I"$top/src/common" \
		    -I"$top/src/tvchat" "$top/bench/render.c" \
		    "$top/src/tvchat/render.c" \
		    "$BUILD/src/common/libtvcommon.a" $libs \
		    -lopencv_videoio -lopencv_imgcodecs -lopencv_imgproc \
		    -lopencv_core -lstdc++ -lgcrypt -ljson-c -lm \
		    -o "$RENDERBENCH" || die "cannot compile bench/render.c"
	fi
}

# Make the sample clip unless CLIP names one: SOURCE at 1280x720, 25 fps.
make_clip() {
	if [ -n "$CLIP" ]; then
		[ -r "$CLIP" ] || die "cannot read $CLIP"
		return
	fi
	command -v ffmpeg >/dev/null || die "ffmpeg is needed to make the clip"
	CLIP=$WORK/clip.mp4
	ffmpeg -nostdin -v error -y -f lavfi \
	    -i "$SOURCE=size=1280x720:rate=25" -t "$CLIP_SECONDS" \
	    -pix_fmt yuv420p -c:v libx264 -preset veryfast -crf 18 \
	    "$CLIP" 2>"$WORK/ffmpeg.log" ||
	    ffmpeg -nostdin -v error -y -f lavfi \
	    -i "$SOURCE=size=1280x720:rate=25" -t "$CLIP_SECONDS" \
	    -pix_fmt yuv420p -q:v 2 "$CLIP" 2>>"$WORK/ffmpeg.log" ||
	    { cat "$WORK/ffmpeg.log" >&2; die "cannot make the clip"; }
}

# The pane's picture cells and pixel sizes: sets CELLS, ASCII_PX, BLOCKS_PX.
sizes() {
	local line
	line=$("$RENDERBENCH" -z -p "$1") || die "renderbench -z failed"
	CELLS=$(echo "$line" | sed 's/.*cells=\([0-9x]*\).*/\1/')
	ASCII_PX=$(echo "$line" | sed 's/.*ascii=\([0-9x]*\).*/\1/')
	BLOCKS_PX=$(echo "$line" | sed 's/.*blocks=\([0-9x]*\).*/\1/')
}

# Scale and encode every frame for every pane the way the server does.
extract() {
	local pane all=""
	for pane in $PANES; do
		sizes "$pane"
		all="$all $ASCII_PX $BLOCKS_PX"
	done
	mkdir -p "$WORK/frames"
	"$RENDERBENCH" -x "$CLIP" "$WORK/frames" $all >"$WORK/extract.out" ||
	    die "cannot extract frames from $CLIP"
	FRAMES=$(sed -n 's/^frames=//p' "$WORK/extract.out")
}

# timed OUT-PREFIX COMMAND...: run it with stdout to OUT-PREFIX.out;
# prints "cpu_s bytes".
timed() {
	local out=$1
	shift
	"$RENDERBENCH" -R -- "$@" >"$out.out" 2>"$out.err"
	echo "$(sed -n 's/^cpu_s=//p' "$out.err" | tail -1)" \
	    "$(wc -c <"$out.out")"
}

# How many pictures mpv tct drew into FILE: it starts each with a cursor
# move to the picture's top row (not 0;0 when the picture is letterboxed).
draws_in() {
	local first
	first=$(grep -aom1 $'\e\\[[0-9]*;[0-9]*f' "$1" | head -1)
	if [ -z "$first" ]; then
		echo 0
		return
	fi
	grep -aoF "$first" "$1" | wc -l
}

# mpv_run PANE CELLS NAME LABEL INPUT [MPV-OPTIONS]: mpv --vo=tct at the
# picture's cells, all frames and then one frame; the difference over the
# difference in frames drawn (mpv draws a few twice) is the cost of one
# frame without mpv's start-up. Appends a result line.
mpv_run() {
	local pane=$1 cells=$2 name=$3 label=$4 input=$5 w h all one draws1
	local draws cpu bytes
	shift 5
	w=${cells%x*}
	h=${cells#*x}
	set -- --no-config --vo=tct --vo-tct-width="$w" --vo-tct-height="$h" \
	    --really-quiet --no-audio --untimed --mf-fps=25 "$@" "$input"
	all=$(timed "$WORK/mpv" mpv "$@")
	draws=$(draws_in "$WORK/mpv.out")
	one=$(timed "$WORK/mpv1" mpv --frames=1 "$@")
	draws1=$(draws_in "$WORK/mpv1.out")
	if [ -z "${all%% *}" ] || [ -z "${one%% *}" ] ||
	    [ "$draws" -le "$draws1" ]; then
		echo "!! $pane: mpv $name failed:" \
		    "$(tail -2 "$WORK/mpv.err" | tr '\n' ' ')" >&2
		return
	fi
	cpu=$(awk -v a="${all%% *}" -v b="${one%% *}" -v n=$((draws - draws1)) \
	    'BEGIN { printf "%.4f", (a - b) * 1000 / n }')
	bytes=$(( (${all#* } - ${one#* }) / (draws - draws1) ))
	echo "$REP pane=$pane cells=$cells input=$label setting=$name" \
	    "render_ms=$cpu full_bytes=$bytes draws=$draws" >>"$WORK/results"
	[ -n "$SAMPLES" ] && [ "$REP" = 1 ] && mpv_sample "$pane" "$name"
	rm -f "$WORK/mpv.out" "$WORK/mpv1.out"
}

# Keep the last picture of the one-frame run as plain rows for ansi2png.
mpv_sample() {
	local f="$SAMPLES/$1-$(echo "$2" | tr '/ ' '--').ansi" first
	first=$(grep -aom1 $'\e\\[[0-9]*;[0-9]*f' "$WORK/mpv1.out" | head -1)
	FIRST=${first/[/\\[} awk 'BEGIN { RS = ENVIRON["FIRST"] }
	    NR > 1 && length($0) > 0 { last = $0 }
	    END { printf "%s", last }' "$WORK/mpv1.out" |
	    sed 's/\x1b\[[0-9]*;[0-9]*f/\n/g' >"$f"
}

# img2txt on each frame the ASCII renderer gets, one process per frame as
# a shell script would; CPU per call includes starting img2txt.
img2txt_run() {
	local pane=$1 cells=$2 dir=$3 r cpu bytes n
	n=$(ls "$dir" | wc -l)
	r=$(timed "$WORK/img2txt" sh -c 'w=$1; h=$2; shift 2
	    for f; do img2txt -W "$w" -H "$h" -f ansi "$f" || exit 1; done' \
	    sh "${cells%x*}" "${cells#*x}" "$dir"/*.jpg)
	if [ -z "${r%% *}" ]; then
		echo "!! $pane: img2txt failed:" \
		    "$(tail -2 "$WORK/img2txt.err" | tr '\n' ' ')" >&2
		return
	fi
	cpu=$(awk -v a="${r%% *}" -v n="$n" 'BEGIN { printf "%.4f", a * 1000 / n }')
	bytes=$(( ${r#* } / n ))
	echo "$REP pane=$pane cells=$cells input=$(basename "$dir")" \
	    "setting=img2txt render_ms=$cpu full_bytes=$bytes" \
	    >>"$WORK/results"
	if [ -n "$SAMPLES" ] && [ "$REP" = 1 ]; then
		img2txt -W "${cells%x*}" -H "${cells#*x}" -f ansi \
		    "$(ls "$dir"/*.jpg | sed -n "$(( (n + 1) / 2 ))p")" \
		    >"$SAMPLES/$pane-img2txt.ansi"
	fi
	rm -f "$WORK/img2txt.out"
}

# ours PANE DIR SETTINGS...: our renderers on the frames in DIR.
ours() {
	local pane=$1 dir=$2 s args=() sample=()
	shift 2
	for s; do
		args+=(-s "$s")
	done
	[ -n "$SAMPLES" ] && [ "$REP" = 1 ] && sample=(-o "$SAMPLES/$pane")
	if ! "$RENDERBENCH" -n "$RENDERS" -p "$pane" "${sample[@]}" \
	    "${args[@]}" "$dir" >"$WORK/ours.out" 2>"$WORK/ours.err"; then
		echo "!! $pane: renderbench failed" >&2
		FAILED=1
	fi
	cat "$WORK/ours.err" >&2
	sed "s/^/$REP /" "$WORK/ours.out" >>"$WORK/results"
}

# Print the table for the result lines on stdin (medians when repeated).
table() {
	awk "$BENCH_AWK"'
	function add(arr, key, k,    v) {
		v = val(k)
		if (v != "")
			arr[key] = arr[key] " " v
	}
	function ms(list) {
		return list == "" ? "-" : sprintf("%.3f", median(list))
	}
	function num(list) {
		return list == "" ? "-" : sprintf("%.0f", median(list))
	}
	{
		key = val("pane") " " val("setting")
		if (!(key in seen)) {
			order[++nkeys] = key
			seen[key] = 1
		}
		cells[key] = val("cells")
		input[key] = val("input")
		term[key] = val("term")
		add(render, key, "render_ms")
		add(draw, key, "draw_ms")
		add(full, key, "full_bytes")
		add(diff, key, "diff_bytes")
		add(curses, key, "curses_bytes")
	}
	END {
		print "| pane (picture) | renderer/setting | input px | " \
		    "CPU ms/frame | ncurses draw ms | full-frame bytes | " \
		    "diff bytes/frame (est.) | ncurses bytes/frame |"
		print "|---|---|---|---:|---:|---:|---:|---:|"
		for (k = 1; k <= nkeys; k++) {
			key = order[k]
			split(key, kt, " ")
			name = kt[2]
			if (name ~ /^mpv/)
				name = "ref: " name
			else if (name == "img2txt")
				name = "ref: img2txt -f ansi (per call)"
			printf "| %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n",
			    kt[1], cells[key], name,
			    input[key] == "" ? "-" : input[key],
			    ms(render[key]), ms(draw[key]), num(full[key]),
			    num(diff[key]), num(curses[key])
		}
	}'
}

# The issue's targets at 160x48, from the medians.
targets() {
	awk "$BENCH_AWK"'
	val("pane") == "160x48" {
		s = val("setting")
		ms[s] = ms[s] " " val("render_ms")
		dr[s] = dr[s] " " val("draw_ms")
		fb[s] = fb[s] " " val("full_bytes")
		cb[s] = cb[s] " " val("curses_bytes")
	}
	END {
		if (!("blocks" in ms))
			exit
		r = median(ms["blocks"])
		printf "Target, blocks <= 1 ms per frame at 160x48: render_jpeg " \
		    "%.3f ms, %s; with the ncurses update %.3f ms, %s.\n",
		    r, r <= 1 ? "met" : "missed", r + median(dr["blocks"]),
		    r + median(dr["blocks"]) <= 1 ? "met" : "missed"
		if (!("mpv-tct/same-jpegs/24bit" in fb)) {
			print "Target, fewer bytes than mpv tct: no mpv figures."
			exit
		}
		f = median(fb["blocks"])
		c = median(cb["blocks"])
		m = median(fb["mpv-tct/same-jpegs/24bit"])
		printf "Target, fewer bytes per frame than mpv tct (same " \
		    "picture, its default 24-bit, %.0f B): full redraw %.0f " \
		    "B (%.2fx), %s; ncurses update %.0f B (%.2fx), %s.\n", m,
		    f, f / m, f < m ? "met" : "missed", c, c / m,
		    c < m ? "met" : "missed"
		m = median(fb["mpv-tct/same-jpegs/256"])
		printf "Against mpv tct --vo-tct-256 (%.0f B): full redraw " \
		    "%.3fx, ncurses update %.2fx.\n", m, f / m, c / m
	}'
}

build
make_clip
echo "clip: $CLIP; extracting frames through the server's scaler and" \
    "JPEG encoder (quality 80) ..." >&2
extract
HAVE_MPV=0
command -v mpv >/dev/null && HAVE_MPV=1
HAVE_IMG2TXT=0
command -v img2txt >/dev/null && HAVE_IMG2TXT=1
[ "$HAVE_MPV" = 1 ] ||
    echo "note: mpv not installed (Debian: mpv): no mpv --vo=tct rows" >&2
[ "$HAVE_IMG2TXT" = 1 ] ||
    echo "note: img2txt not installed (Debian: caca-utils): no img2txt rows" >&2
[ -n "$SAMPLES" ] && mkdir -p "$SAMPLES"
echo "cpus: $(nproc); $(sed -n 's/^model name[[:space:]]*: //p' \
    /proc/cpuinfo | head -1); load average: $(cut -d' ' -f1-3 \
    /proc/loadavg)" >&2
: >"$WORK/results"
for REP in $(seq "$REPEAT"); do
	for pane in $PANES; do
		sizes "$pane"
		echo "   run $REP, pane $pane: picture $CELLS cells" >&2
		ours "$pane" "$WORK/frames/$ASCII_PX" $ASCII_SETTINGS
		ours "$pane" "$WORK/frames/$BLOCKS_PX" $BLOCKS_SETTINGS
		if [ "$HAVE_MPV" = 1 ]; then
			mpv_run "$pane" "$CELLS" mpv-tct/clip/24bit clip \
			    "$CLIP"
			mpv_run "$pane" "$CELLS" mpv-tct/same-jpegs/24bit \
			    "$BLOCKS_PX" "mf://$WORK/frames/$BLOCKS_PX/*.jpg"
			mpv_run "$pane" "$CELLS" mpv-tct/same-jpegs/256 \
			    "$BLOCKS_PX" "mf://$WORK/frames/$BLOCKS_PX/*.jpg" \
			    --vo-tct-256=yes
		else
			echo "$REP pane=$pane cells=$CELLS" \
			    "setting=mpv-tct(not-installed)" >>"$WORK/results"
		fi
		if [ "$HAVE_IMG2TXT" = 1 ]; then
			img2txt_run "$pane" "$CELLS" "$WORK/frames/$ASCII_PX"
		else
			echo "$REP pane=$pane cells=$CELLS" \
			    "setting=img2txt(not-installed)" >>"$WORK/results"
		fi
	done
	if [ "$REPEAT" -gt 1 ]; then
		echo
		echo "Run $REP of $REPEAT:"
		echo
		grep "^$REP " "$WORK/results" | table
	fi
done
if [ -n "$SAMPLES" ] && [ -r "$ANSI2PNG" ] && [ -x /usr/bin/python3 ]; then
	for f in "$SAMPLES"/*.ansi; do
		pane=$(basename "$f" | cut -d- -f1)
		sizes "$pane"
		/usr/bin/python3 "$ANSI2PNG" -o "${f%.ansi}.png" \
		    --cols "${CELLS%x*}" --rows "${CELLS#*x}" <"$f" ||
		    echo "!! cannot convert $f" >&2
	done
fi
echo
if [ "$REPEAT" -gt 1 ]; then
	echo "Medians of $REPEAT runs:"
else
	echo "Renderers:"
fi
echo
table <"$WORK/results"
echo
targets <"$WORK/results"
echo "Clip: $(basename "$CLIP"), $FRAMES frames; frames scaled and encoded" \
    "as the server does (INTER_LINEAR, JPEG quality 80) to what the client" \
    "asks for (ascii: 2x4 px per cell, blocks: 1x2). CPU: median over" \
    "frames of process CPU time per render_jpeg() (each frame rendered" \
    "$RENDERS times); ncurses: erase, draw, refresh as the TUI does on" \
    "xterm-256color (xterm-direct for 24-bit), frames 2.. only. mpv: CPU" \
    "and bytes per drawn frame beyond a one-frame run (start-up excluded)," \
    "decoding included. img2txt: one process per frame, start-up included."
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
