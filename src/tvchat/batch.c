/*
 * tvchat --batch: one poll() loop over standard input and the server.
 * Every line on standard input is a JSON command; every event is printed
 * as one JSON line on standard output. Used by tests and bots.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "command.h"
#include "msg.h"
#include "render.h"
#include "screentext.h"
#include "video.h"
#include "xmalloc.h"
#include "utf8.h"
#include "util.h"

#define BATCH_LINE_MAX		(1024 * 1024)
#define BATCH_QUIT_WAIT_MS	5000	/* for the server to close after quit */

struct command {
	const char	*name;
	void		(*run)(struct client *, json_object *);
};

static int	batch_quit;

static int64_t	 last_pts_ms;	/* of the last frame, for relative seeks */
static uint8_t	*last_jpeg;	/* of the last frame, for snapshots */
static size_t	 last_jpeg_len;
static uint32_t	 last_seq;

/* Print one event per video frame (the client's frame callback). */
void
batch_frame(void *arg, const struct video_header *h, const uint8_t *jpeg,
    size_t len)
{
	(void)arg;
	last_pts_ms = h->pts_ms;
	last_seq = h->seq;
	free(last_jpeg);
	last_jpeg = xmalloc(len);
	memcpy(last_jpeg, jpeg, len);
	last_jpeg_len = len;
	printf("{\"event\":\"frame\",\"id\":%u,\"seq\":%u,\"pts\":%u,"
	    "\"w\":%u,\"h\":%u,\"quality\":\"%s\",\"key\":%s,"
	    "\"last\":%s,\"bytes\":%zu}\n", h->stream_id, h->seq, h->pts_ms,
	    h->width, h->height, proto_quality_name(h->quality),
	    h->flags & VIDEO_FLAG_KEY ? "true" : "false",
	    h->flags & VIDEO_FLAG_LAST ? "true" : "false", len);
	fflush(stdout);
}

/*
 * Print one event as a JSON line (the client's emit callback); DEL, C1
 * controls and bidi overrides in its strings are written as \u escapes,
 * so the line is safe to read in a terminal and decodes to the same text.
 */
void
batch_emit(void *arg, json_object *ev)
{
	char	*line = screentext_json(msg_text(ev));

	(void)arg;
	printf("%s\n", line);
	fflush(stdout);
	free(line);
}

/* Emit a command error. */
static void
command_error(struct client *c, const char *text)
{
	json_object	*ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string("error"));
	json_object_object_add(ev, "code", json_object_new_string("command"));
	json_object_object_add(ev, "message", json_object_new_string(text));
	json_object_object_add(ev, "local", json_object_new_boolean(1));
	c->emit(c->emit_arg, ev);
	json_object_put(ev);
}

/* Return string member k of cmd, or NULL after reporting it missing. */
static const char *
need_str(struct client *c, json_object *cmd, const char *k)
{
	const char	*v = msg_get_str(cmd, k);
	char		 text[64];

	if (v == NULL) {
		snprintf(text, sizeof text, "missing string \"%s\"", k);
		command_error(c, text);
	}
	return v;
}

/* Report a refusal of the command layer, if any. */
static void
report(struct client *c, int r)
{
	if (r != COMMAND_OK && r != COMMAND_REFUSED)
		command_error(c, command_strerror(r));
}

/* say {text[, room]}: to the current (or given) room. */
static void
cmd_say(struct client *c, json_object *cmd)
{
	const char	*text = need_str(c, cmd, "text");

	if (text != NULL)
		report(c, command_say(c, msg_get_str(cmd, "room"), text,
		    json_object_get_boolean(msg_get(cmd, "action"))));
}

/* me {text}: an action in the current room. */
static void
cmd_me(struct client *c, json_object *cmd)
{
	const char	*text = need_str(c, cmd, "text");

	if (text != NULL)
		report(c, command_say(c, NULL, text, 1));
}

/* msg {to: name | [names], text}: a direct message. */
static void
cmd_msg(struct client *c, json_object *cmd)
{
	json_object	*to = msg_get(cmd, "to"), *list;
	const char	*text = need_str(c, cmd, "text");
	size_t		 bad;

	if (text == NULL)
		return;
	list = json_object_new_array();
	if (to != NULL && json_object_is_type(to, json_type_string))
		json_object_array_add(list, json_object_get(to));
	else if (to != NULL && json_object_is_type(to, json_type_array))
		for (size_t i = 0; i < json_object_array_length(to); i++)
			json_object_array_add(list, json_object_get(
			    json_object_array_get_idx(to, i)));
	report(c, command_msg(c, list, text, json_object_get_boolean(
	    msg_get(cmd, "action")), &bad));
}

/* who {[room]} */
static void
cmd_who(struct client *c, json_object *cmd)
{
	report(c, command_who(c, msg_get_str(cmd, "room")));
}

/* join {room} and part {room}: rooms; join also makes it current. */
static void
cmd_join(struct client *c, json_object *cmd)
{
	const char	*room = need_str(c, cmd, "room");

	if (room == NULL)
		command_error(c, command_strerror(COMMAND_BAD_ROOM));
	else
		report(c, command_join(c, room));
}

static void
cmd_part(struct client *c, json_object *cmd)
{
	report(c, command_part(c, msg_get_str(cmd, "room")));
}

static void
cmd_verify(struct client *c, json_object *cmd)
{
	const char	*name = need_str(c, cmd, "name");

	if (name != NULL)
		command_verify(c, name);
}

static void
cmd_trust(struct client *c, json_object *cmd)
{
	const char	*name = need_str(c, cmd, "name");

	if (name != NULL)
		command_trust(c, name);
}

/* rotate [room]: a new session key there before the next message. */
static void
cmd_rotate(struct client *c, json_object *cmd)
{
	int	r = command_rotate(c, msg_get_str(cmd, "room"));

	if (r != COMMAND_OK)
		command_error(c, command_strerror(r));
}

/* raw {message}: send a protocol message as it is (for tests). */
static void
cmd_raw(struct client *c, json_object *cmd)
{
	json_object	*m = msg_get(cmd, "message");

	if (m == NULL || !json_object_is_type(m, json_type_object)) {
		command_error(c, "missing object \"message\"");
		return;
	}
	command_raw(c, m);
}

/* videos: ask for the library. */
static void
cmd_videos(struct client *c, json_object *cmd)
{
	report(c, command_videos(c));
}

/* Read [w, h] from cmd's "size", or the default; 0 or -1 (reported). */
static int
get_size(struct client *c, json_object *cmd, int *w, int *h)
{
	json_object	*size = msg_get(cmd, "size");

	if (size == NULL)
		return 0;
	if (!json_object_is_type(size, json_type_array) ||
	    json_object_array_length(size) != 2) {
		command_error(c, "\"size\" must be [width, height]");
		return -1;
	}
	*w = json_object_get_int(json_object_array_get_idx(size, 0));
	*h = json_object_get_int(json_object_array_get_idx(size, 1));
	if (*w < 1 || *h < 1 || *w > VIDEO_SIZE_MAX || *h > VIDEO_SIZE_MAX) {
		command_error(c, "\"size\" out of range");
		return -1;
	}
	return 0;
}

/* Parse cmd's "quality" (default auto; shared: not auto, for watching
 * together); 0 or -1 (reported). */
static int
get_quality(struct client *c, json_object *cmd, int shared, enum quality *q)
{
	int	r = command_quality_from_name(msg_get_str(cmd, "quality"),
		    shared, q);

	if (r == COMMAND_WATCH_QUALITY) {
		char	text[64];

		snprintf(text, sizeof text, "watch: %s", command_strerror(r));
		command_error(c, text);
		return -1;
	}
	if (r != COMMAND_OK) {
		command_error(c, command_strerror(r));
		return -1;
	}
	return 0;
}

/* play {name[, quality][, size][, start]} */
static void
cmd_play(struct client *c, json_object *cmd)
{
	const char	*name = need_str(c, cmd, "name");
	enum quality	 q;
	int		 w = 320, h = 180;

	if (name == NULL || get_quality(c, cmd, 0, &q) != 0 ||
	    get_size(c, cmd, &w, &h) != 0)
		return;
	report(c, command_play(c, name, q, w, h, msg_get_num(cmd, "start",
	    0)));
}

/* pause, resume, stop: as they are. */
static void
cmd_pause(struct client *c, json_object *cmd)
{
	report(c, command_pause(c));
}

static void
cmd_resume(struct client *c, json_object *cmd)
{
	report(c, command_resume(c));
}

static void
cmd_stop(struct client *c, json_object *cmd)
{
	report(c, command_stop(c));
}

/* seek {to} (seconds from the start) or {by} (relative to the last
 * frame shown). */
static void
cmd_seek(struct client *c, json_object *cmd)
{
	double	to;

	if (msg_get(cmd, "to") != NULL)
		to = msg_get_num(cmd, "to", 0);
	else if (msg_get(cmd, "by") != NULL)
		to = last_pts_ms / 1000.0 + msg_get_num(cmd, "by", 0);
	else {
		command_error(c, "seek needs \"to\" or \"by\" (seconds)");
		return;
	}
	report(c, command_seek(c, to));
}

/* quality {quality} */
static void
cmd_quality(struct client *c, json_object *cmd)
{
	enum quality	q;

	if (msg_get_str(cmd, "quality") == NULL)
		command_error(c, "missing string \"quality\"");
	else if (get_quality(c, cmd, 0, &q) == 0)
		report(c, command_quality(c, q));
}

/* watch {room[, name][, quality][, size]}: watch together with a room. */
static void
cmd_watch(struct client *c, json_object *cmd)
{
	const char	*room = need_str(c, cmd, "room");
	enum quality	 q;
	int		 w = 640, h = 360;

	if (room == NULL || get_quality(c, cmd, 1, &q) != 0 ||
	    get_size(c, cmd, &w, &h) != 0)
		return;
	report(c, command_watch(c, room, msg_get_str(cmd, "name"), q, w, h));
}

/* resize {size} */
static void
cmd_resize(struct client *c, json_object *cmd)
{
	int	w = 0, h = 0;

	if (msg_get(cmd, "size") == NULL)
		command_error(c, "missing \"size\"");
	else if (get_size(c, cmd, &w, &h) == 0)
		command_resize(c, w, h);
}

/* Write len bytes to a new file at path; 0 or -1. */
static int
write_file(const char *path, const void *p, size_t len)
{
	FILE	*f = fopen(path, "wb");
	int	 r = 0;

	if (f == NULL)
		return -1;
	if (fwrite(p, 1, len, f) != len)
		r = -1;
	if (fclose(f) != 0)
		r = -1;
	return r;
}

/*
 * snapshot {cols, rows, render: ascii|blocks, text?: path, jpeg?: path}:
 * draw the last frame as a terminal would show it; the event carries the
 * characters, the files get the ANSI text and the JPEG itself.
 */
static void
cmd_snapshot(struct client *c, json_object *cmd)
{
	struct render	 r;
	const char	*mode = msg_get_str(cmd, "render");
	const char	*text_path = msg_get_str(cmd, "text");
	const char	*jpeg_path = msg_get_str(cmd, "jpeg");
	int		 cols = (int)msg_get_int(cmd, "cols", 80);
	int		 rows = (int)msg_get_int(cmd, "rows", 24);
	char		 err[VIDEO_ERR_LEN], *chars, *ansi;
	json_object	*ev, *lines;

	if (last_jpeg == NULL) {
		command_error(c, "no video frame yet");
		return;
	}
	if (cols < 1 || rows < 1 || cols > 1000 || rows > 1000 ||
	    render_init(&r) != 0 ||
	    render_set(&r, "render", mode ? mode : "ascii") != 0 ||
	    (msg_get_str(cmd, "dither") != NULL && render_set(&r, "dither",
	    msg_get_str(cmd, "dither")) != 0) ||
	    (msg_get_str(cmd, "charset") != NULL && render_set(&r, "charset",
	    msg_get_str(cmd, "charset")) != 0)) {
		render_free(&r);
		command_error(c, "snapshot: cols/rows 1..1000, render ascii or "
		    "blocks, dither none|ordered|fstein, charset ascii|shades|"
		    "blocks");
		return;
	}
	if (render_jpeg(&r, last_jpeg, last_jpeg_len, cols, rows, err) != 0) {
		render_free(&r);
		command_error(c, "snapshot: cannot decode the frame");
		return;
	}
	ansi = render_ansi(&r, 0);
	if ((text_path != NULL && write_file(text_path, ansi, strlen(ansi))
	    != 0) || (jpeg_path != NULL && write_file(jpeg_path, last_jpeg,
	    last_jpeg_len) != 0))
		command_error(c, "snapshot: cannot write the files");
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("snapshot"));
	json_object_object_add(ev, "seq", json_object_new_int64(last_seq));
	json_object_object_add(ev, "render",
	    json_object_new_string(render_describe(&r)));
	lines = json_object_new_array();
	if (r.mode == RENDER_ASCII) {
		chars = render_text(&r);
		for (char *l = strtok(chars, "\n"); l != NULL;
		    l = strtok(NULL, "\n"))
			json_object_array_add(lines, json_object_new_string(l));
		free(chars);
	}
	json_object_object_add(ev, "lines", lines);
	c->emit(c->emit_arg, ev);
	json_object_put(ev);
	free(ansi);
	render_free(&r);
}

static void
cmd_quit(struct client *c, json_object *cmd)
{
	batch_quit = 1;
}

static const struct command commands[] = {
	{ "say", cmd_say },
	{ "me", cmd_me },
	{ "msg", cmd_msg },
	{ "who", cmd_who },
	{ "join", cmd_join },
	{ "part", cmd_part },
	{ "verify", cmd_verify },
	{ "trust", cmd_trust },
	{ "rotate", cmd_rotate },
	{ "raw", cmd_raw },
	{ "videos", cmd_videos },
	{ "play", cmd_play },
	{ "pause", cmd_pause },
	{ "resume", cmd_resume },
	{ "stop", cmd_stop },
	{ "seek", cmd_seek },
	{ "quality", cmd_quality },
	{ "resize", cmd_resize },
	{ "snapshot", cmd_snapshot },
	{ "watch", cmd_watch },
	{ "quit", cmd_quit },
};

/* Parse and run one command line. */
static void
run_line(struct client *c, const char *line, size_t len)
{
	json_object	*cmd;
	const char	*name;

	if (len == 0)
		return;
	if (!utf8_valid((const uint8_t *)line, len) ||
	    (cmd = json_tokener_parse(line)) == NULL) {
		command_error(c, "not a JSON object");
		return;
	}
	if (!json_object_is_type(cmd, json_type_object) ||
	    (name = msg_get_str(cmd, "cmd")) == NULL) {
		json_object_put(cmd);
		command_error(c, "a command needs a \"cmd\" string");
		return;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(commands[i].name, name) == 0) {
			commands[i].run(c, cmd);
			json_object_put(cmd);
			return;
		}
	}
	json_object_put(cmd);
	command_error(c, "unknown command");
}

/* Run one command line of len bytes (NUL-terminated), as batch_run() does. */
void
batch_run_line(struct client *c, const char *line, size_t len)
{
	run_line(c, line, len);
}

/* Return 1 if in holds a complete line, else 0. */
static int
has_line(const struct buf *in)
{
	return memchr(buf_ptr(in), '\n', buf_len(in)) != NULL;
}

/*
 * Run the complete lines read so far, in order, stopping at a quit and
 * while a join awaits its answer: what follows a join acts in that room.
 */
static void
run_lines(struct client *c, struct buf *in)
{
	uint8_t	*nl;

	while (!batch_quit && !client_joining(c) &&
	    (nl = memchr(buf_ptr(in), '\n', buf_len(in))) != NULL) {
		size_t len = (size_t)(nl - buf_ptr(in));

		*nl = '\0';
		run_line(c, (const char *)buf_ptr(in), len);
		buf_consume(in, len + 1);
	}
}

/* Read standard input into in; -1 at end of input. */
static int
read_stdin(struct client *c, struct buf *in)
{
	uint8_t		*p;
	ssize_t		 n;

	if ((p = buf_reserve(in, 65536)) == NULL) {
		command_error(c, "command line too long; discarded");
		buf_reset(in);
		return 0;
	}
	n = read(STDIN_FILENO, p, 65536);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	buf_commit(in, (size_t)n);
	return 0;
}

/*
 * Run until the server closes the connection; exit status. After quit
 * (or the end of input) the client says goodbye and keeps reading, so the
 * answers to the last commands are still printed; the server closes once
 * it has handled everything before the goodbye.
 */
int
batch_run(struct client *c)
{
	struct pollfd	pfd[2];
	struct buf	in;
	int		stdin_open = 1, status = 0, said_quit = 0;
	int64_t		deadline = 0;

	buf_init(&in, BATCH_LINE_MAX);
	while (c->state != CLIENT_CLOSED) {
		if (batch_quit && !said_quit) {
			client_send(c, msg_new("quit"));
			said_quit = 1;
			stdin_open = 0;
			deadline = util_now_ms() + BATCH_QUIT_WAIT_MS;
		}
		if (said_quit && util_now_ms() >= deadline)
			break;
		/* Commands wait until we are in (they need the roster), and
		 * while the lines read wait for a join. */
		pfd[0] = (struct pollfd){ stdin_open &&
		    c->state == CLIENT_ACTIVE && !has_line(&in) ?
		    STDIN_FILENO : -1, POLLIN, 0 };
		pfd[1] = (struct pollfd){ c->fd, POLLIN, 0 };
		if (buf_len(&c->out) > 0)
			pfd[1].events |= POLLOUT;
		if (poll(pfd, 2, said_quit ? (int)(deadline - util_now_ms()) :
		    client_timeout(c)) == -1) {
			if (errno == EINTR)
				continue;
			status = 1;
			break;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR) &&
		    client_read(c) != 0 && !said_quit)
			status = 3;
		if (client_timeout(c) == -1 && c->state == CLIENT_CLOSED &&
		    !said_quit)
			status = 3;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR) &&
		    read_stdin(c, &in) != 0)
			stdin_open = 0;
		if (c->state == CLIENT_ACTIVE)
			run_lines(c, &in);
		/* The end of input is a quit, after the lines before it. */
		if (!stdin_open && !has_line(&in) && !client_joining(c))
			batch_quit = 1;
		if (c->state != CLIENT_CLOSED && client_flush(c) != 0 &&
		    !said_quit)
			status = 3;
	}
	buf_free(&in);
	return status;
}
