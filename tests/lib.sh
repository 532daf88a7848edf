# Shared helpers for the regress tests (POSIX-ish bash). Each test sources
# this, then uses a private work directory, starts its own tvchatd on a
# free loopback port and kills everything it started from a trap.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
export top_srcdir top_builddir PYTHON3
TVCHATD="$top_builddir/tvchatd"
TVCHAT="$top_builddir/tvchat"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tvchat-test.XXXXXX")
PIDS=""
TAP_N=0
TAP_FAILED=0

# Kill what we started and remove the work directory.
cleanup() {
	exec 2>/dev/null	# no "Killed" notices from the shell
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# TAP: "ok N - desc" or "not ok N - desc".
ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
}
# now_ms: milliseconds of the wall clock.
now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# mark NAME: the number of lines of NAME's output so far.
mark() {
	wc -l <"$WORK/$1.out"
}

# since NAME MARK: NAME's output after line MARK.
since() {
	tail -n +"$(($2 + 1))" "$WORK/$1.out"
}

# wait_since NAME MARK REGEX [SECONDS]: wait for a matching line past MARK.
wait_since() {
	local end=$(($(now_ms) + ${4:-10} * 1000))

	while [ "$(now_ms)" -lt "$end" ]; do
		if since "$1" "$2" | grep -qE -- "$3"; then
			return 0
		fi
		sleep 0.02
	done
	echo "# timed out waiting for /$3/ from $1" >&2
	return 1
}

# relay_tap: "ok - X" and "not ok - X" lines on standard input (as a
# helper program prints them) become this test's TAP; others, comments.
relay_tap() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done
}
# check DESC COMMAND...: ok if the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc" "failed: $*"
	fi
}

# Wait until FILE has a line matching the extended regexp; 0 or 1.
wait_for() {
	local file=$1 pattern=$2 timeout=${3:-10} i=0
	while [ "$i" -lt $((timeout * 20)) ]; do
		if grep -qE -- "$pattern" "$file" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	echo "# timed out waiting for /$pattern/ in $file" >&2
	return 1
}

# Count lines of FILE matching the extended regexp.
count() {
	grep -cE -- "$2" "$1" 2>/dev/null || true
}

# start_tvchatd LOG ARGS...: start tvchatd on a free port, logging to
# $WORK/LOG.log; sets PORT and SERVER_PID.
start_tvchatd() {
	local log=$WORK/$1.log try
	shift
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$((20000 + (RANDOM * 7 + $$ + try * 131) % 40000))
		: >"$log"
		"$TVCHATD" -f -d -p "$PORT" -v "$top_srcdir/videos" "$@" \
		    >>"$log" 2>&1 &
		SERVER_PID=$!
		PIDS="$PIDS $SERVER_PID"
		if wait_for "$log" "listening on|cannot listen" 10 &&
		    grep -q "listening on" "$log"; then
			return 0
		fi
		kill -9 "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	done
	echo "# could not start tvchatd" >&2
	cat "$log" >&2
	return 1
}

# Start tvchatd on a free port: sets PORT and SERVER_PID. Extra args pass.
start_server() {
	start_tvchatd server "$@"
}

# start_redis [PORT [ARGS...]]: a throw-away redis-server on a free
# loopback port (or PORT, to restart one; "" for a free one), no
# persistence, with extra ARGS; sets REDIS_PORT and REDIS_PID.
start_redis() {
	local try want=${1:-}
	shift
	for try in 1 2 3 4 5 6 7 8 9 10; do
		REDIS_PORT=${want:-$((20000 + (RANDOM * 11 + $$ + try * 173) % 40000))}
		: >"$WORK/redis.log"
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" \
		    --appendonly no --dir "$WORK" "$@" >>"$WORK/redis.log" 2>&1 &
		REDIS_PID=$!
		PIDS="$PIDS $REDIS_PID"
		if wait_for "$WORK/redis.log" "Ready to accept|Address already" \
		    10 && grep -q "Ready to accept" "$WORK/redis.log"; then
			return 0
		fi
		kill -9 "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
	done
	echo "# could not start redis-server" >&2
	return 1
}

# start_client NAME [KEYDIR]: a batch client reading commands from a FIFO.
# Its events go to $WORK/NAME.out; send commands with `say_to NAME json`.
# KEYDIR (default $WORK/keys/NAME) holds its XDG dirs, so a name can come
# back with the same key (same KEYDIR) or another one.
start_client() {
	local name=$1 dir=${2:-$WORK/keys/$1}
	mkdir -p "$dir"
	rm -f "$WORK/$name.in"
	mkfifo "$WORK/$name.in"
	: >"$WORK/$name.out"
	# The other clients' FIFOs stay out of this one: holding their
	# write ends open would keep them from ever reading the end.
	(
		for fd in ${!FD_@}; do
			eval "exec ${!fd}>&-"
		done
		XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data" \
		    exec "$TVCHAT" --batch -p "$PORT" -n "$name" 127.0.0.1
	) <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	eval "PID_$(echo "$name" | tr -c 'A-Za-z0-9_\n' _)=$!"
	PIDS="$PIDS $!"
	# Hold the FIFO open for writing on a descriptor of our own.
	eval "exec {FD_$(echo "$name" | tr -c 'A-Za-z0-9_\n' _)}>\"\$WORK/\$name.in\""
}

# say_to NAME JSON: send one command line to a client.
say_to() {
	local var
	var="FD_$(echo "$1" | tr -c 'A-Za-z0-9_\n' _)"
	echo "$2" >&"${!var}"
}

# pid_of NAME: the client's pid.
pid_of() {
	local var
	var="PID_$(echo "$1" | tr -c 'A-Za-z0-9_\n' _)"
	echo "${!var}"
}

# close_client NAME: end its input (it then quits).
close_client() {
	local var
	var="FD_$(echo "$1" | tr -c 'A-Za-z0-9_\n' _)"
	eval "exec ${!var}>&-"
}

# make_clip NAME SECONDS QUALITY...: a testsrc2 clip in $WORK/videos as
# NAME_QUALITY.mp4 for each quality (240p, 720p, 1440p), 30 fps.
make_clip() {
	local name=$1 secs=$2 q size
	shift 2
	mkdir -p "$WORK/videos"
	for q in "$@"; do
		case $q in
		240p) size=426x240 ;;
		720p) size=1280x720 ;;
		1440p) size=2560x1440 ;;
		*) return 1 ;;
		esac
		ffmpeg -nostdin -loglevel error -f lavfi \
		    -i "testsrc2=size=$size:rate=30" -t "$secs" -c:v libx264 \
		    -preset ultrafast -pix_fmt yuv420p \
		    "$WORK/videos/${name}_$q.mp4" || return 1
	done
}

# Print the JSON value at a dotted path of each line (jq is not needed).
json_field() {
	"$PYTHON3" -c '
import json, sys
path = sys.argv[1].split(".")
for line in sys.stdin:
    try:
        v = json.loads(line)
        for p in path:
            v = v[int(p)] if isinstance(v, list) else v[p]
        print(v if isinstance(v, str) else json.dumps(v))
    except Exception:
        pass
' "$1"
}

# Finish the TAP stream: the plan, and the exit status. On failure the
# server's log and the clients' stderr go into the test log.
finish() {
	if [ "$TAP_FAILED" -gt 0 ]; then
		for f in "$WORK"/*.log "$WORK"/*.err; do
			[ -s "$f" ] || continue
			echo "# ---- $(basename "$f")"
			tail -40 "$f" | sed 's/^/# /'
		done
	fi
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
