/*
 * The TUI's input commands: a line starting with '/' runs a command from
 * the table below (which /help prints); "//" sends a line starting with
 * '/'; anything else goes to the current room.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "tui-private.h"
#include "xmalloc.h"

struct command {
	const char	*name;
	const char	*usage;
	const char	*help;
	void		(*run)(struct tui *, char *);
};

static const struct command commands[];

/* Split off the first word of *args (NULL if none); *args moves on. */
static char *
next_word(char **args)
{
	char	*p = *args, *word;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	word = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (*p == ' ')
		p++;
	*args = p;
	return word;
}

/* Complain unless we are connected; return 1 if we are. */
static int
need_connection(struct tui *t)
{
	if (t->connected && t->client.state == CLIENT_ACTIVE)
		return 1;
	tui_system(t, LINE_ERROR, "not connected (reconnecting)");
	return 0;
}

/* /msg name[,name...] text */
static void
cmd_msg(struct tui *t, char *args)
{
	char		*names = next_word(&args), *save, *n;
	json_object	*to;

	if (names == NULL || *args == '\0') {
		tui_system(t, LINE_ERROR, "usage: /msg name[,name...] text");
		return;
	}
	if (!need_connection(t))
		return;
	to = json_object_new_array();
	for (n = strtok_r(names, ",", &save); n != NULL;
	    n = strtok_r(NULL, ",", &save)) {
		if (!proto_name_valid(n)) {
			tui_system(t, LINE_ERROR, "%s: not a valid name", n);
			json_object_put(to);
			return;
		}
		json_object_array_add(to, json_object_new_string(n));
	}
	client_say(&t->client, to, args, 0);
}

/* /me action */
static void
cmd_me(struct tui *t, char *args)
{
	if (*args == '\0') {
		tui_system(t, LINE_ERROR, "usage: /me action");
		return;
	}
	if (need_connection(t))
		client_say(&t->client, json_object_new_string(t->client.room),
		    args, 1);
}

/* /join #room: join and make it current. */
static void
cmd_join(struct tui *t, char *args)
{
	char	*room = next_word(&args), buf[ROOM_MAX_LEN + 1];

	if (room == NULL) {
		tui_system(t, LINE_ERROR, "usage: /join #room");
		return;
	}
	if (room[0] != '#' && strlen(room) < sizeof buf - 1) {
		buf[0] = '#';
		memcpy(buf + 1, room, strlen(room) + 1);
		room = buf;
	}
	if (!proto_room_valid(room)) {
		tui_system(t, LINE_ERROR, "%s: not a valid room name", room);
		return;
	}
	if (!need_connection(t))
		return;
	client_room(&t->client, 1, room);	/* current once accepted */
}

/* /part [#room]: leave a room (the current one by default). */
static void
cmd_part(struct tui *t, char *args)
{
	char	*room = next_word(&args);

	if (room == NULL)
		room = t->client.room;
	if (!proto_room_valid(room)) {
		tui_system(t, LINE_ERROR, "%s: not a valid room name", room);
		return;
	}
	if (!need_connection(t))
		return;
	client_room(&t->client, 0, room);
	if (proto_name_equal(room, t->client.room))
		snprintf(t->client.room, sizeof t->client.room, "%s",
		    DEFAULT_ROOM);
}

/* /who [#room] */
static void
cmd_who(struct tui *t, char *args)
{
	char	*room = next_word(&args);

	if (room != NULL && !proto_room_valid(room)) {
		tui_system(t, LINE_ERROR, "%s: not a valid room name", room);
		return;
	}
	if (need_connection(t))
		client_who(&t->client, room);
}

/* /verify name */
static void
cmd_verify(struct tui *t, char *args)
{
	char	*name = next_word(&args);

	if (name == NULL) {
		tui_system(t, LINE_ERROR, "usage: /verify name");
		return;
	}
	client_verify(&t->client, name);
}

/* /trust name */
static void
cmd_trust(struct tui *t, char *args)
{
	char	*name = next_word(&args);

	if (name == NULL) {
		tui_system(t, LINE_ERROR, "usage: /trust name");
		return;
	}
	client_trust(&t->client, name);
}

/* /help: list the commands. */
static void
cmd_help(struct tui *t, char *args)
{
	tui_system(t, LINE_SYSTEM, "Commands:");
	for (const struct command *c = commands; c->name != NULL; c++)
		tui_system(t, LINE_SYSTEM, "  /%s %s - %s", c->name, c->usage,
		    c->help);
	tui_system(t, LINE_SYSTEM, "Keys: PgUp/PgDn scroll (Home/End on an "
	    "empty line: top/bottom), Up/Down history, Tab completes, "
	    "Ctrl-A/E/W/U/K/Y edit, Ctrl-C quits.");
}

/* Complain unless a video is playing; return 1 if one is. */
static int
need_video(struct tui *t)
{
	if (t->video.active)
		return need_connection(t);
	tui_system(t, LINE_ERROR, "nothing is playing (/videos, /play)");
	return 0;
}

/* /videos: ask for the library. */
static void
cmd_videos(struct tui *t, char *args)
{
	if (need_connection(t))
		client_send(&t->client, msg_new("videos"));
}

/* /play name [quality] */
static void
cmd_play(struct tui *t, char *args)
{
	char		*name = next_word(&args), *qname = next_word(&args);
	enum quality	 q = QUALITY_AUTO;
	int		 w, h;

	if (name == NULL) {
		tui_system(t, LINE_ERROR, "usage: /play name [240p|720p|1440p|"
		    "auto]");
		return;
	}
	if (qname != NULL && proto_quality_from_name(qname, &q) != 0) {
		tui_system(t, LINE_ERROR, "%s: quality is 240p, 720p, 1440p or "
		    "auto", qname);
		return;
	}
	if (!need_connection(t))
		return;
	tui_video_size(t, &w, &h);
	/* The name may be longer than the protocol allows. */
	client_send_checked(&t->client, msg_play(name, q, w, h, 0));
}

/* /pause, /resume, /stop */
static void
cmd_pause(struct tui *t, char *args)
{
	if (need_video(t)) {
		client_send(&t->client, msg_new("pause"));
		t->video.paused = 1;
	}
}

static void
cmd_resume(struct tui *t, char *args)
{
	if (need_video(t)) {
		client_send(&t->client, msg_new("resume"));
		t->video.paused = 0;
	}
}

static void
cmd_stop(struct tui *t, char *args)
{
	if (need_video(t))
		client_send(&t->client, msg_new("stop"));
}

/* /seek [+|-]seconds: absolute, or relative with a sign. */
static void
cmd_seek(struct tui *t, char *args)
{
	char	*arg = next_word(&args), *end;
	double	 v, to;

	if (arg == NULL || (v = strtod(arg, &end), end == arg || *end != '\0')) {
		tui_system(t, LINE_ERROR, "usage: /seek [+|-]seconds");
		return;
	}
	if (!need_video(t))
		return;
	to = arg[0] == '+' || arg[0] == '-' ? t->video.pts_ms / 1000.0 + v : v;
	/* strtod() also reads "nan", "inf" and 1e400 (infinity). */
	client_send_checked(&t->client, msg_seek(to < 0 ? 0 : to));
}

/* /quality 240p|720p|1440p|auto */
static void
cmd_quality(struct tui *t, char *args)
{
	char		*qname = next_word(&args);
	enum quality	 q;

	if (qname == NULL || proto_quality_from_name(qname, &q) != 0) {
		tui_system(t, LINE_ERROR, "usage: /quality 240p|720p|1440p|"
		    "auto");
		return;
	}
	if (need_video(t))
		client_send(&t->client, msg_quality(q));
}

/* /watch #room [name [quality]]: watch together with a room. */
static void
cmd_watch(struct tui *t, char *args)
{
	char		*room = next_word(&args), *name = next_word(&args);
	char		*qname = next_word(&args);
	enum quality	 q = QUALITY_AUTO;
	int		 w, h;

	if (room == NULL || !proto_room_valid(room)) {
		tui_system(t, LINE_ERROR, "usage: /watch #room [name "
		    "[240p|720p|1440p]]");
		return;
	}
	if (qname != NULL && (proto_quality_from_name(qname, &q) != 0 ||
	    q == QUALITY_AUTO)) {
		tui_system(t, LINE_ERROR, "%s: quality is 240p, 720p or 1440p",
		    qname);
		return;
	}
	if (!need_connection(t))
		return;
	tui_video_size(t, &w, &h);
	client_send_checked(&t->client, msg_watch_request(room, name, q, w, h));
}

/* /window and /ascii: where the picture goes. */
static void
cmd_window(struct tui *t, char *args)
{
	tui_video_window(t, 1);
}

static void
cmd_ascii(struct tui *t, char *args)
{
	tui_video_window(t, 0);
}

/* /render ascii [dither] [charset] | blocks */
static void
cmd_render(struct tui *t, char *args)
{
	char	*mode = next_word(&args), *a = next_word(&args);
	char	*b = next_word(&args), *dither = NULL, *charset = NULL;

	if (mode == NULL) {
		tui_system(t, LINE_SYSTEM, "Video renderer: %s (/render ascii "
		    "[none|ordered|fstein] [ascii|shades|blocks], /render "
		    "blocks)", render_describe(&t->video.render));
		return;
	}
	for (char *w = a; w != NULL; w = w == a ? b : NULL) {
		if (strcmp(w, "none") == 0 || strcmp(w, "ordered") == 0 ||
		    strcmp(w, "fstein") == 0)
			dither = w;
		else
			charset = w;
	}
	tui_video_render(t, mode, dither, charset);
}

/* /quit */
static void
cmd_quit(struct tui *t, char *args)
{
	t->quit = 1;
}

static const struct command commands[] = {
	{ "msg", "name[,name...] text", "a direct message", cmd_msg },
	{ "me", "action", "an action in the current room", cmd_me },
	{ "join", "#room", "join a room and talk there", cmd_join },
	{ "part", "[#room]", "leave a room", cmd_part },
	{ "who", "[#room]", "list who is here", cmd_who },
	{ "verify", "name", "show a user's key fingerprints", cmd_verify },
	{ "trust", "name", "trust a user's current key", cmd_trust },
	{ "videos", "", "list the videos", cmd_videos },
	{ "play", "name [quality]", "play a video (quality: 240p, 720p, "
	    "1440p, auto)", cmd_play },
	{ "pause", "", "pause the video (F5)", cmd_pause },
	{ "resume", "", "resume the video (F5)", cmd_resume },
	{ "seek", "[+|-]seconds", "jump to a time, or by an amount (F6/F7)",
	    cmd_seek },
	{ "stop", "", "stop the video (F8)", cmd_stop },
	{ "quality", "q|auto", "change the video quality", cmd_quality },
	{ "watch", "#room [name [q]]", "watch together with a room (with "
	    "a name: start it; without: join it)", cmd_watch },
	{ "render", "ascii|blocks", "how video is drawn here (ascii: "
	    "[none|ordered|fstein] [ascii|shades|blocks])", cmd_render },
	{ "window", "", "show the video in a window", cmd_window },
	{ "ascii", "", "show the video as ASCII art here", cmd_ascii },
	{ "help", "", "this list", cmd_help },
	{ "quit", "", "leave tvchat", cmd_quit },
	{ NULL, NULL, NULL, NULL }
};

/*
 * Run one line typed by the user. Returns 0, or -1 if it was refused (an
 * error line says why).
 */
int
tui_command(struct tui *t, const char *line)
{
	char	*copy, *args, *name;

	if (line[0] == '\0')
		return 0;
	if (line[0] != '/' || line[1] == '/') {
		if (!need_connection(t))
			return -1;
		if (client_joining(&t->client)) {
			/* It would go to the room we are leaving for it. */
			tui_system(t, LINE_ERROR, "Still joining %s; the line "
			    "is back in the input: send it in a moment.",
			    t->client.joining);
			input_insert_utf8(&t->in, line, strlen(line));
			return -1;
		}
		return client_say(&t->client,
		    json_object_new_string(t->client.room),
		    line[0] == '/' ? line + 1 : line, 0);
	}
	copy = xstrdup(line + 1);
	args = copy;
	name = next_word(&args);
	for (const struct command *c = commands; name != NULL &&
	    c->name != NULL; c++) {
		if (strcasecmp(c->name, name) == 0) {
			c->run(t, args);
			free(copy);
			return 0;
		}
	}
	tui_system(t, LINE_ERROR, "unknown command /%s (try /help)",
	    name ? name : "");
	free(copy);
	return -1;
}

/* Add a copy of s to the match list if it starts with word (any case). */
static void
add_match(char ***out, size_t *n, const char *s, const char *word)
{
	if (strncasecmp(s, word, strlen(word)) != 0)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*out)[i], s) == 0)
			return;
	*out = xreallocarray(*out, *n + 1, sizeof **out);
	(*out)[(*n)++] = xstrdup(s);
}

/*
 * Completion candidates for word: command names after a '/' at the start
 * of the line, rooms for '#', otherwise user names.
 */
size_t
tui_complete(void *arg, const char *word, int at_start, char ***out)
{
	struct tui	*t = arg;
	size_t		 n = 0;
	char		 buf[64];

	*out = NULL;
	if (at_start && word[0] == '/') {
		for (const struct command *c = commands; c->name != NULL; c++) {
			snprintf(buf, sizeof buf, "/%s", c->name);
			add_match(out, &n, buf, word);
		}
		return n;
	}
	for (size_t i = 0; i < t->client.npeers; i++) {
		struct peer *p = &t->client.peers[i];

		if (word[0] == '#') {
			for (size_t j = 0; p->rooms != NULL &&
			    j < json_object_array_length(p->rooms); j++)
				add_match(out, &n, json_object_get_string(
				    json_object_array_get_idx(p->rooms, j)),
				    word);
		} else if (!proto_name_equal(p->name, t->client.name))
			add_match(out, &n, p->name, word);
	}
	return n;
}
