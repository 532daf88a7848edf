/*
 * The TUI's /commands: a line starting with '/' runs a command from the
 * table below (which /help prints); "//" sends a line starting with '/';
 * anything else goes to the current room. Each command splits its words
 * and calls the client's command layer (command.c), which checks and
 * sends it; this file words the refusals as the TUI shows them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
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

/* Show a refusal of the command layer, if any (the client shows its
 * own). */
static void
report(struct tui *t, int r)
{
	if (r != COMMAND_OK && r != COMMAND_REFUSED)
		tui_system(t, LINE_ERROR, "%s", command_strerror(r));
}

/* Show a refusal that names the room, or any other. */
static void
report_room(struct tui *t, int r, const char *room)
{
	if (r == COMMAND_BAD_ROOM)
		tui_system(t, LINE_ERROR, "%s: not a valid room name", room);
	else
		report(t, r);
}

/* Complain unless we are connected; return 1 if we are. */
static int
need_connection(struct tui *t)
{
	if (t->connected && t->client.state == CLIENT_ACTIVE)
		return 1;
	report(t, COMMAND_NOT_CONNECTED);
	return 0;
}

/* /msg name[,name...] text */
static void
cmd_msg(struct tui *t, char *args)
{
	char		*names = next_word(&args), *save, *n;
	json_object	*to;
	size_t		 bad;
	int		 r;

	if (names == NULL || *args == '\0') {
		tui_system(t, LINE_ERROR, "usage: /msg name[,name...] text");
		return;
	}
	if (!need_connection(t))
		return;
	to = json_object_new_array();
	for (n = strtok_r(names, ",", &save); n != NULL;
	    n = strtok_r(NULL, ",", &save))
		json_object_array_add(to, json_object_new_string(n));
	json_object_get(to);	/* for naming a refused name */
	r = command_msg(&t->client, to, args, 0, &bad);
	if ((r == COMMAND_BAD_NAME || r == COMMAND_NAME_TWICE) &&
	    bad < json_object_array_length(to))
		tui_system(t, LINE_ERROR, r == COMMAND_BAD_NAME ?
		    "%s: not a valid name" : "%s: named twice",
		    json_object_get_string(json_object_array_get_idx(to, bad)));
	else if (r == COMMAND_TOO_MANY)
		tui_system(t, LINE_ERROR, "/msg: at most %d names",
		    CHAT_MAX_RECIPIENTS);
	else
		report(t, r);
	json_object_put(to);
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
		report(t, command_say(&t->client, NULL, args, 1));
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
	report_room(t, command_join(&t->client, room), room);
}

/* /part [#room]: leave a room (the current one by default). */
static void
cmd_part(struct tui *t, char *args)
{
	char	*room = next_word(&args);

	report_room(t, command_part(&t->client, room), room != NULL ? room :
	    t->client.room);
}

/* /who [#room] */
static void
cmd_who(struct tui *t, char *args)
{
	char	*room = next_word(&args);

	report_room(t, command_who(&t->client, room), room);
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
	command_verify(&t->client, name);
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
	command_trust(&t->client, name);
}

/* /rotate [#room] */
static void
cmd_rotate(struct tui *t, char *args)
{
	int	r = command_rotate(&t->client, next_word(&args));

	if (r != COMMAND_OK)
		tui_system(t, LINE_ERROR, "/rotate: %s", command_strerror(r));
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
		return 1;
	tui_system(t, LINE_ERROR, "nothing is playing (/videos, /play)");
	return 0;
}

/* /videos: ask for the library. */
static void
cmd_videos(struct tui *t, char *args)
{
	report(t, command_videos(&t->client));
}

/* /play name [quality] */
static void
cmd_play(struct tui *t, char *args)
{
	char		*name = next_word(&args), *qname = next_word(&args);
	enum quality	 q;
	int		 w, h, r;

	if (name == NULL) {
		tui_system(t, LINE_ERROR, "usage: /play name [240p|720p|1440p|"
		    "auto]");
		return;
	}
	if ((r = command_quality_from_name(qname, 0, &q)) != COMMAND_OK) {
		tui_system(t, LINE_ERROR, "%s: %s", qname, command_strerror(r));
		return;
	}
	tui_video_size(t, &w, &h);
	report(t, command_play(&t->client, name, q, w, h, 0));
}

/* /pause, /resume, /stop */
static void
cmd_pause(struct tui *t, char *args)
{
	int	r;

	if (!need_video(t))
		return;
	if ((r = command_pause(&t->client)) == COMMAND_OK)
		t->video.paused = 1;
	report(t, r);
}

static void
cmd_resume(struct tui *t, char *args)
{
	int	r;

	if (!need_video(t))
		return;
	if ((r = command_resume(&t->client)) == COMMAND_OK)
		t->video.paused = 0;
	report(t, r);
}

static void
cmd_stop(struct tui *t, char *args)
{
	if (need_video(t))
		report(t, command_stop(&t->client));
}

/* /seek [+|-]seconds: absolute, or relative with a sign. */
static void
cmd_seek(struct tui *t, char *args)
{
	char	*arg = next_word(&args), *end;
	double	 v;

	if (arg == NULL || (v = strtod(arg, &end), end == arg ||
	    *end != '\0')) {
		tui_system(t, LINE_ERROR, "usage: /seek [+|-]seconds");
		return;
	}
	if (need_video(t))
		report(t, command_seek(&t->client, arg[0] == '+' ||
		    arg[0] == '-' ? t->video.pts_ms / 1000.0 + v : v));
}

/* /quality 240p|720p|1440p|auto */
static void
cmd_quality(struct tui *t, char *args)
{
	char		*qname = next_word(&args);
	enum quality	 q;

	if (qname == NULL ||
	    command_quality_from_name(qname, 0, &q) != COMMAND_OK) {
		tui_system(t, LINE_ERROR, "usage: /quality 240p|720p|1440p|"
		    "auto");
		return;
	}
	if (need_video(t))
		report(t, command_quality(&t->client, q));
}

/* /watch #room [name [quality]]: watch together with a room. */
static void
cmd_watch(struct tui *t, char *args)
{
	char		*room = next_word(&args), *name = next_word(&args);
	char		*qname = next_word(&args);
	enum quality	 q;
	int		 w, h, r;

	if (room != NULL &&
	    command_quality_from_name(qname, 1, &q) != COMMAND_OK) {
		tui_system(t, LINE_ERROR, "%s: %s", qname,
		    command_strerror(COMMAND_WATCH_QUALITY));
		return;
	}
	tui_video_size(t, &w, &h);
	if (room == NULL || (r = command_watch(&t->client, room, name, q, w,
	    h)) == COMMAND_BAD_ROOM) {
		tui_system(t, LINE_ERROR, "usage: /watch #room [name "
		    "[240p|720p|1440p]]");
		return;
	}
	report(t, r);
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
	{ "rotate", "[#room]", "start a new session key for your next "
	    "message", cmd_rotate },
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
tui_command_run(struct tui *t, const char *line)
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
		return command_say(&t->client, NULL, line[0] == '/' ?
		    line + 1 : line, 0) == COMMAND_OK ? 0 : -1;
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
tui_command_complete(void *arg, const char *word, int at_start, char ***out)
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
