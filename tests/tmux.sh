# Helpers for driving the full-screen client in tmux (sourced after
# tests/lib.sh): a private tmux server, screens read as text.

TMUX_SOCKET="tvchat-test-$$"
tm() {
	tmux -L "$TMUX_SOCKET" "$@"
}
tmux_cleanup() {
	tm kill-server 2>/dev/null
	cleanup
}
trap tmux_cleanup EXIT

# tui_start NAME COLS ROWS [TERM [KEYDIR [DISPLAY]]]: tvchat in a tmux
# session (no X display unless one is given).
tui_start() {
	local name=$1 cols=$2 rows=$3 term=${4:-xterm-256color}
	local dir=${5:-$WORK/keys/$1} display=${6:-}
	mkdir -p "$dir"
	tm new-session -d -s "$name" -x "$cols" -y "$rows" \
	    "env -u DISPLAY -u WAYLAND_DISPLAY ${display:+DISPLAY=$display} \
	    XDG_CONFIG_HOME='$dir/config' XDG_DATA_HOME='$dir/data' \
	    TERM=$term LANG=C.UTF-8 '$TVCHAT' -p $PORT -n $name 127.0.0.1 \
	    2>'$WORK/$name.err'; echo \"EXITED \$?\"; sleep 60"
}
# screen NAME: the screen as text.
screen() {
	tm capture-pane -t "$1" -p
}
# wait_screen NAME REGEX [SECONDS]: wait until the screen matches.
wait_screen() {
	local i
	for i in $(seq $((${3:-10} * 10))); do
		if screen "$1" | grep -qE -- "$2"; then
			return 0
		fi
		sleep 0.1
	done
	echo "# screen of $1 never showed /$2/:" >&2
	screen "$1" | sed 's/^/#   /' >&2
	return 1
}
# wait_count NAME REGEX N [SECONDS]: wait until N lines match.
wait_count() {
	local i
	for i in $(seq $((${4:-10} * 10))); do
		if [ "$(screen "$1" | grep -cE -- "$2")" -ge "$3" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# type_line NAME TEXT: type a line and press Enter.
type_line() {
	tm send-keys -t "$1" -l "$2"
	tm send-keys -t "$1" Enter
}
