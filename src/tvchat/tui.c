/*
 * The full-screen interface: one poll() loop over the keyboard, the server
 * and a self-pipe for signals. The protocol side (client.c) reports
 * events; they become lines in the scrollback (chatlog.c), which is drawn
 * with the roster, a title bar, a status bar and the input line
 * (input.c) in the panes that layout.c computes. Losing the server keeps
 * the scrollback and reconnects with backoff.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#define TERMINAL_BACKLOG_MAX	(64 * 1024)	/* bytes queued to the tty */

#include "keys.h"
#include "popup.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "screentext.h"
#include "tui.h"
#include "video.h"
#include "util.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		30000
#define TS_WIDTH		6	/* "HH:MM " */
#define WRAP_ROWS_MAX		4096

/* Colour pairs. */
enum {
	PAIR_TITLE = 1,
	PAIR_SYSTEM,
	PAIR_ERROR,
	PAIR_WARNING,
	PAIR_DIRECT,
	PAIR_TIME,
	PAIR_SELF,
	PAIR_NAME0,	/* PAIR_NAME0 .. +5: colours for names */
	PAIR_VIDEO0 = 64,	/* video cells: 16 x 16 (or 8 x 8) pairs */
};
#define NAME_COLOURS	6

static struct termios	saved_termios;
static int		termios_saved;
static char		reset_seq[256];	/* to restore the screen in a crash */
static size_t		reset_len;

/* Fatal signal: put the terminal back, then die of the same signal. */
static void
on_fatal(int sig)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	if (reset_len > 0 && write(STDOUT_FILENO, reset_seq, reset_len) < 0) {
		/* Nothing more can be done. */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Remember how to restore the terminal even from a signal handler. */
static void
prepare_restore(void)
{
	const char	*caps[] = { "rmcup", "cnorm", "sgr0" };
	char		*s;

	reset_len = 0;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		s = tigetstr((char *)caps[i]);
		if (s == NULL || s == (char *)-1 ||
		    reset_len + strlen(s) >= sizeof reset_seq)
			continue;
		memcpy(reset_seq + reset_len, s, strlen(s));
		reset_len += strlen(s);
	}
	if (reset_len + 1 < sizeof reset_seq)
		reset_seq[reset_len++] = '\n';
}

/* Install the handlers: resize and quit wake the loop; fatal ones. */
static void
setup_signals(void)
{
	static const struct proc_signal signals[] = {
		{ SIGWINCH, PROC_WAKE }, { SIGTERM, PROC_WAKE },
		{ SIGHUP, PROC_WAKE }, { SIGINT, PROC_WAKE },
		{ SIGCHLD, PROC_WAKE }, { SIGPIPE, PROC_IGNORE },
	};
	static const int	fatal_signals[] = {
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT
	};
	struct sigaction	sa;

	proc_signals(signals, sizeof signals / sizeof signals[0]);
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0];
	    i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

static void	video_event(struct tui *, const char *, json_object *);
static void	on_frame(void *, const struct video_header *, const uint8_t *,
		    size_t);

/* Add a system line (printf style) to the scrollback. */
void
tui_system(struct tui *t, enum line_kind kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	chatlog_add(&t->log, time(NULL), kind, 0, NULL, NULL, text);
	if (t->scroll > 0)
		t->unread++;
	free(text);
	t->dirty = 1;
}

/* Return string member k of event ev, or "". */
static const char *
ev_str(json_object *ev, const char *k)
{
	const char	*s = msg_get_str(ev, k);

	return s != NULL ? s : "";
}

/* Return 1 if text mentions name as a word (any case). */
static int
mentions(const char *text, const char *name)
{
	size_t	n = strlen(name);

	for (const char *p = text; (p = strcasestr(p, name)) != NULL; p++) {
		if ((p == text || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]))
			return 1;
	}
	return 0;
}

/* Return a target ("#room" or "a, b") as a new string. */
static char *
target_text(json_object *to)
{
	char	*s;
	size_t	 len = 0;

	if (json_object_is_type(to, json_type_string))
		return xstrdup(json_object_get_string(to));
	s = xstrdup("");
	for (size_t i = 0; to != NULL && i < json_object_array_length(to);
	    i++) {
		const char *n = json_object_get_string(
		    json_object_array_get_idx(to, i));

		s = xreallocarray(s, len + strlen(n) + 3, 1);
		len += (size_t)sprintf(s + len, "%s%s", i ? ", " : "", n);
	}
	return s;
}

/* A chat event becomes a chat or action line. */
static void
event_chat(struct tui *t, json_object *ev)
{
	const char	*from = ev_str(ev, "from"), *text = ev_str(ev, "text");
	char		*to = target_text(msg_get(ev, "to"));
	int		 flags = 0;

	if (json_object_get_boolean(msg_get(ev, "direct")))
		flags |= LINE_DIRECT;
	if (!json_object_get_boolean(msg_get(ev, "verified")))
		flags |= LINE_UNVERIFIED;
	if (proto_name_equal(from, t->client.name))
		flags |= LINE_SELF;
	else if (mentions(text, t->client.name))
		flags |= LINE_MENTION;
	chatlog_add(&t->log, (time_t)(msg_get_int(ev, "ts", 0) / 1000),
	    json_object_get_boolean(msg_get(ev, "action")) ? LINE_ACTION :
	    LINE_CHAT, flags, from, to, text);
	if (t->scroll > 0)
		t->unread++;
	free(to);
}

/* The client's emit callback: every event becomes scrollback. */
static void
on_event(void *arg, json_object *ev)
{
	struct tui	*t = arg;
	const char	*e = ev_str(ev, "event");
	json_object	*users;

	t->dirty = 1;
	if (strcmp(e, "chat") == 0)
		event_chat(t, ev);
	else if (strcmp(e, "welcome") == 0) {
		t->backoff_ms = 0;
		users = msg_get(ev, "users");
		tui_system(t, LINE_SYSTEM, "Connected to %s as %s (%zu here). "
		    "Your fingerprint: %s", ev_str(ev, "server"),
		    ev_str(ev, "name"), users ? json_object_array_length(users) :
		    0, ev_str(ev, "fingerprint"));
		if (*ev_str(ev, "motd") != '\0')
			tui_system(t, LINE_SYSTEM, "%s", ev_str(ev, "motd"));
		tui_system(t, LINE_SYSTEM, "Type to talk in %s; /help lists "
		    "the commands.", t->client.room);
	} else if (strcmp(e, "join") == 0) {
		json_object *u = msg_get(ev, "user");

		tui_system(t, LINE_SYSTEM, "%s joined (%s%s)", ev_str(ev, "name"),
		    ev_str(u, "fingerprint"), strcmp(ev_str(u, "trust"), "new")
		    == 0 ? ", first time seen" : "");
	} else if (strcmp(e, "leave") == 0)
		tui_system(t, LINE_SYSTEM, "%s left (%s)", ev_str(ev, "name"),
		    ev_str(ev, "reason"));
	else if (strcmp(e, "room-join") == 0)
		tui_system(t, LINE_SYSTEM, "%s joined %s", ev_str(ev, "name"),
		    ev_str(ev, "room"));
	else if (strcmp(e, "room-leave") == 0)
		tui_system(t, LINE_SYSTEM, "%s left %s", ev_str(ev, "name"),
		    ev_str(ev, "room"));
	else if (strcmp(e, "key-changed") == 0) {
		tui_system(t, LINE_WARNING, "WARNING: %s's KEY HAS CHANGED!",
		    ev_str(ev, "name"));
		tui_system(t, LINE_WARNING, "known: %s", ev_str(ev, "known"));
		tui_system(t, LINE_WARNING, "now:   %s",
		    ev_str(ev, "fingerprint"));
		tui_system(t, LINE_WARNING, "Their messages are marked "
		    "UNVERIFIED. Compare fingerprints with them another way, "
		    "then /trust %s.", ev_str(ev, "name"));
	} else if (strcmp(e, "duplicate") == 0)
		tui_system(t, LINE_SYSTEM, "A copy of a message from %s came "
		    "again; it is shown once.", ev_str(ev, "from"));
	else if (strcmp(e, "chat-failed") == 0)
		tui_system(t, LINE_WARNING, "A message claiming to be from %s "
		    "was rejected: %s", ev_str(ev, "from"), ev_str(ev, "reason"));
	else if (strcmp(e, "bad-key") == 0)
		tui_system(t, LINE_WARNING, "%s has an unusable key: %s",
		    ev_str(ev, "name"), ev_str(ev, "message"));
	else if (strcmp(e, "error") == 0)
		tui_system(t, LINE_ERROR, "%s [%s]", ev_str(ev, "message"),
		    ev_str(ev, "code"));
	else if (strcmp(e, "who") == 0) {
		users = msg_get(ev, "users");
		tui_system(t, LINE_SYSTEM, "%zu %s%s:", users ?
		    json_object_array_length(users) : 0, "users",
		    *ev_str(ev, "room") ? " in the room" : " here");
		for (size_t i = 0; users && i < json_object_array_length(users);
		    i++) {
			json_object *u = json_object_array_get_idx(users, i);

			tui_system(t, LINE_SYSTEM, "  %-16s %s %s",
			    ev_str(u, "name"), ev_str(u, "fingerprint"),
			    strcmp(ev_str(u, "trust"), "changed") == 0 ?
			    "KEY CHANGED" : "");
		}
	} else if (strcmp(e, "verify") == 0)
		tui_system(t, LINE_SYSTEM, "%s: key now %s, recorded %s (%s)",
		    ev_str(ev, "name"), *ev_str(ev, "fingerprint") ?
		    ev_str(ev, "fingerprint") : "(not here)",
		    *ev_str(ev, "known") ? ev_str(ev, "known") : "(never seen)",
		    *ev_str(ev, "trust") ? ev_str(ev, "trust") : "-");
	else if (strcmp(e, "trusted") == 0)
		tui_system(t, LINE_SYSTEM, "You now trust %s's key %s",
		    ev_str(ev, "name"), ev_str(ev, "fingerprint"));
	else if (strcmp(e, "stream") == 0 || strcmp(e, "stream-end") == 0 ||
	    strcmp(e, "quality-changed") == 0 || strcmp(e, "videos") == 0 ||
	    strcmp(e, "watch") == 0 || strcmp(e, "watch-control") == 0)
		video_event(t, e, ev);
	else if (strcmp(e, "closed") == 0) {
		t->connected = 0;
		t->video.active = 0;
		if (t->video.viewer != NULL)
			viewer_close(&t->video.viewer);
		if (t->backoff_ms == 0)
			t->backoff_ms = BACKOFF_MIN_MS;
		else if ((t->backoff_ms *= 2) > BACKOFF_MAX_MS)
			t->backoff_ms = BACKOFF_MAX_MS;
		t->reconnect_at = util_now_ms() + t->backoff_ms;
		tui_system(t, LINE_ERROR, "Disconnected: %s. Reconnecting in "
		    "%d s.", ev_str(ev, "reason"), t->backoff_ms / 1000);
	}
}

/* Try to connect (again); on failure schedule the next try. */
static void
connect_server(struct tui *t)
{
	char	err[256];
	int	fd;

	t->reconnect_at = 0;
	fd = client_connect(t->target->host, t->target->port, 3000, err,
	    sizeof err);
	if (fd == -1) {
		if (t->backoff_ms == 0)
			t->backoff_ms = BACKOFF_MIN_MS;
		else if ((t->backoff_ms *= 2) > BACKOFF_MAX_MS)
			t->backoff_ms = BACKOFF_MAX_MS;
		t->reconnect_at = util_now_ms() + t->backoff_ms;
		tui_system(t, LINE_ERROR, "Cannot connect: %s. Trying again in "
		    "%d s.", err, t->backoff_ms / 1000);
		return;
	}
	client_free(&t->client);
	client_init(&t->client, fd, t->target->server, t->target->identity,
	    t->target->name, t->target->known, on_event, t);
	t->client.on_frame = on_frame;
	t->connected = 1;
}

/* Return the colour pair for a name (stable: a hash of it). */
static int
name_pair(const char *name)
{
	unsigned int	h = 5381;

	for (const char *p = name; *p != '\0'; p++)
		h = h * 33 + (unsigned char)tolower((unsigned char)*p);
	return PAIR_NAME0 + (int)(h % NAME_COLOURS);
}

/* Set up colours (or note their absence: then attributes only). */
static void
setup_colours(struct tui *t)
{
	/* Readable on dark and light backgrounds; richer with 256. */
	static const short names8[NAME_COLOURS] = {
		COLOR_GREEN, COLOR_YELLOW, COLOR_CYAN, COLOR_MAGENTA,
		COLOR_RED, COLOR_WHITE
	};
	static const short names256[NAME_COLOURS] = {
		114, 214, 81, 205, 141, 180
	};
	const short	*names = COLORS >= 256 ? names256 : names8;

	t->colors = has_colors();
	if (!t->colors)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_TITLE, COLOR_WHITE, COLOR_BLUE);
	init_pair(PAIR_SYSTEM, COLOR_CYAN, -1);
	init_pair(PAIR_ERROR, COLOR_RED, -1);
	init_pair(PAIR_WARNING, COLOR_WHITE, COLOR_RED);
	init_pair(PAIR_DIRECT, COLOR_MAGENTA, -1);
	init_pair(PAIR_TIME, COLOR_WHITE, -1);
	init_pair(PAIR_SELF, COLOR_WHITE, -1);
	for (int i = 0; i < NAME_COLOURS; i++)
		init_pair((short)(PAIR_NAME0 + i), names[i], -1);
	/* Every foreground on every background, for the video pane. */
	t->video_colours = COLORS >= 16 && COLOR_PAIRS >= PAIR_VIDEO0 + 256 ?
	    16 : 8;
	for (int f = 0; f < t->video_colours; f++)
		for (int b = 0; b < t->video_colours; b++)
			init_pair((short)(PAIR_VIDEO0 + f * t->video_colours +
			    b), (short)f, (short)b);
}

/* Map a libcaca ANSI colour (blue = 1) to curses' (red = 1). */
static int
caca_to_curses(int c)
{
	static const int map[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

	return map[c & 7] | (c & 8);
}

/*
 * Return the colour pair (and in *attr any attribute) for a video cell's
 * colours. Pairs above 255 do not fit in a chtype, so callers draw with
 * the extended-pair API (setcchar).
 */
static int
video_pair(struct tui *t, int fg, int bg, attr_t *attr)
{
	*attr = A_NORMAL;
	if (!t->colors)
		return 0;
	fg = fg < 0 ? 7 : caca_to_curses(fg);
	bg = bg < 0 ? 0 : caca_to_curses(bg);
	if (t->video_colours == 16)
		return PAIR_VIDEO0 + fg * 16 + bg;
	if (fg & 8)
		*attr = A_BOLD;
	return PAIR_VIDEO0 + (fg & 7) * 8 + (bg & 7);
}

/* Return the curses colour number for 0xRRGGBB on this terminal. */
static int
terminal_colour(uint32_t rgb)
{
	if (COLORS >= 0x1000000)
		return (int)rgb;	/* direct colour (e.g. xterm-direct) */
	if (COLORS >= 256)
		return render_xterm256(rgb);
	if (COLORS >= 16)
		return render_ansi16(rgb);
	return render_ansi16(rgb) & 7;
}

/*
 * Return 1 if cell (x, y) must be drawn because it will show something
 * else than it does (key), remembering key; 0 if it already shows it.
 */
static int
cell_changed(struct tui_video *v, int x, int y, uint64_t key)
{
	size_t	i = (size_t)y * v->render.cols + x;

	if (!v->cells_valid || i >= v->ncells)
		return 1;
	if (v->cells[i] == key)
		return 0;
	v->cells[i] = key;
	return 1;
}

/* Start a picture: make the cell memory fit (forgotten if it did not). */
static void
cells_prepare(struct tui_video *v)
{
	size_t	n = (size_t)v->render.cols * v->render.rows;

	if (n != v->ncells) {
		v->cells = xreallocarray(v->cells, n ? n : 1, sizeof *v->cells);
		v->ncells = n;
		v->cells_valid = 0;
	}
	if (!v->cells_valid)
		/* All ones: no real cell key, so every cell is drawn. */
		memset(v->cells, 0xff, n * sizeof *v->cells);
	v->cells_valid = 1;
}

/* Draw the blocks picture: upper half blocks, two colours per cell. */
static void
draw_blocks(struct tui *t, int x0, int y0)
{
	struct tui_video	*v = &t->video;
	struct rect		*r = &t->lay.video;
	uint32_t		 top, bottom;
	cchar_t			 cc;
	int			 pair;

	for (int y = 0; y < v->render.rows && y < r->h; y++) {
		for (int x = 0; x < v->render.cols && x < r->w; x++) {
			render_cell_rgb(&v->render, x, y, &top, &bottom);
			if (!cell_changed(v, x, y, (uint64_t)top << 32 |
			    bottom))
				continue;
			pair = alloc_pair(terminal_colour(top),
			    terminal_colour(bottom));
			if (pair < 0)
				pair = 0;
			setcchar(&cc, L"\u2580", A_NORMAL, 0, &pair);
			mvadd_wch(y0 + y, x0 + x, &cc);
		}
	}
}

/* Draw the last picture centred in the video pane. */
static void
draw_video(struct tui *t)
{
	struct rect	*r = &t->lay.video;
	struct tui_video *v = &t->video;
	uint32_t	 ch;
	int		 fg, bg, x0, y0, pair;
	wchar_t		 wc[2] = { 0, 0 };
	attr_t		 attr;
	cchar_t		 cc;

	if (r->h == 0)
		return;
	if (v->viewer != NULL || !v->have_picture) {
		attrset(A_DIM);
		mvaddnstr(r->y + r->h / 2, r->x + 2, v->viewer != NULL ?
		    "(showing in a window: /ascii brings it back)" :
		    "(waiting for the picture...)", r->w - 2);
		attrset(A_NORMAL);
		return;
	}
	x0 = r->x + (r->w - v->render.cols) / 2;
	y0 = r->y + (r->h - v->render.rows) / 2;
	cells_prepare(v);
	if (v->render.mode == RENDER_BLOCKS) {
		draw_blocks(t, x0, y0);
		return;
	}
	for (int y = 0; y < v->render.rows && y < r->h; y++) {
		for (int x = 0; x < v->render.cols && x < r->w; x++) {
			render_cell(&v->render, x, y, &ch, &fg, &bg);
			pair = video_pair(t, fg, bg, &attr);
			if (!cell_changed(v, x, y, (uint64_t)ch << 32 |
			    (uint64_t)pair << 1 | (attr != A_NORMAL)))
				continue;
			wc[0] = (wchar_t)ch;
			setcchar(&cc, wc, attr, 0, &pair);
			mvadd_wch(y0 + y, x0 + x, &cc);
		}
	}
	attrset(A_NORMAL);
}

/* The cells for the picture in the current video pane, and the pixel
 * size to ask the server for. */
static void
video_cells(struct tui *t, int *cols, int *rows)
{
	struct layout	l;

	layout_compute(&l, t->cols, t->rows, 1, 1);
	render_fit(l.ok ? l.video.w : 80, l.ok ? l.video.h : 20, 16, 9, cols,
	    rows);
}

/* The picture size (pixels) to ask the server for. */
void
tui_video_size(struct tui *t, int *w, int *h)
{
	int	cols, rows;

	video_cells(t, &cols, &rows);
	render_pixels_for(cols, rows, t->video.render.mode == RENDER_BLOCKS,
	    w, h);
	/* Ask for a standard size, so viewers with other panes share one
	 * player; the renderer scales whatever arrives. */
	proto_standard_size(*w, *h, w, h);
}

/* After a resize: ask the server for a picture of the new size. */
static void
video_resized(struct tui *t)
{
	int	w, h;

	if (!t->video.active || t->video.viewer != NULL || !t->connected)
		return;
	tui_video_size(t, &w, &h);
	if (w != t->video.req_w || h != t->video.req_h) {
		t->video.req_w = w;
		t->video.req_h = h;
		client_send(&t->client, msg_resize(w, h));
	}
}

/* The window was closed by the user: back to ASCII art. */
static void
window_gone(struct tui *t)
{
	t->want_window = 0;
	viewer_close(&t->video.viewer);
	tui_system(t, LINE_SYSTEM, "The window was closed: back to ASCII.");
	video_resized(t);
}

/* The picture size for the window: the video's own up to 854 x 480. */
static void
window_size(int *w, int *h)
{
	*w = 854;
	*h = 480;
}

/* /window (on) and /ascii (off): where the picture is shown. */
void
tui_window(struct tui *t, int on)
{
	struct tui_video	*v = &t->video;
	char			 err[200], *title, *safe_name;
	int			 r;

	t->want_window = on;
	if (!on) {
		if (v->viewer == NULL) {
			tui_system(t, LINE_SYSTEM, "Video shows here as ASCII "
			    "art.");
			return;
		}
		viewer_close(&v->viewer);
		tui_system(t, LINE_SYSTEM, "Back to ASCII art.");
		video_resized(t);
		return;
	}
	if (v->viewer != NULL)
		return;
	if (!v->active) {
		tui_system(t, LINE_SYSTEM, "The next video opens in a window.");
		return;
	}
	safe_name = screentext_safe(v->name, strlen(v->name));
	xasprintf(&title, "tvchat: %s", safe_name);
	free(safe_name);
	r = viewer_open(&v->viewer, title, err, sizeof err);
	free(title);
	if (r != 0) {
		t->want_window = 0;
		tui_system(t, LINE_ERROR, "Cannot open a window: %s. Staying "
		    "with ASCII art.", err);
		return;
	}
	window_size(&v->req_w, &v->req_h);
	if (t->connected)
		client_send(&t->client, msg_resize(v->req_w, v->req_h));
	tui_system(t, LINE_SYSTEM, "Showing %s in a window; closing it or "
	    "/ascii brings it back here.", v->name);
	t->dirty = 1;
}

/* Return the bytes written to the terminal but not yet sent on. */
static int
terminal_backlog(void)
{
	int	queued = 0;

	if (ioctl(STDOUT_FILENO, TIOCOUTQ, &queued) != 0)
		return 0;
	return queued;
}

/* Return the bytes this process has written so far (all descriptors). */
static uint64_t
bytes_written_total(void)
{
	char			 line[128];
	unsigned long long	 v = 0;
	FILE			*f = fopen("/proc/self/io", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Once a second: how fast we write to the terminal (KB/s). */
static void
measure_output(struct tui *t)
{
	int64_t		now = util_now_ms();
	uint64_t	total, sock;

	if (now - t->out_at < 1000)
		return;
	total = bytes_written_total();
	sock = t->client.bytes_written;
	if (t->out_at != 0 && total >= t->out_total)
		t->out_rate = (double)((total - t->out_total) -
		    (sock >= t->out_sock ? sock - t->out_sock : 0)) /
		    (double)(now - t->out_at);
	t->out_total = total;
	t->out_sock = sock;
	t->out_at = now;
}

/* A video frame: count it and draw it (here or in the window). */
static void
on_frame(void *arg, const struct video_header *h, const uint8_t *jpeg,
    size_t len)
{
	struct tui		*t = arg;
	struct tui_video	*v = &t->video;
	char			 err[VIDEO_ERR_LEN];
	int64_t			 now = util_now_ms();

	if (!v->active || h->stream_id != v->id)
		return;
	/* A gap in the numbers is frames the server dropped (but joining a
	 * shared stream starts wherever it is). */
	if (h->seq > v->next_seq && v->frames > 0)
		v->dropped += h->seq - v->next_seq;
	v->next_seq = h->seq + 1;
	v->frames++;
	v->pts_ms = h->pts_ms;
	if (now - v->rate_start >= 1000) {
		v->rate = v->rate_frames * 1000.0 / (double)(now -
		    v->rate_start);
		v->rate_start = now;
		v->rate_frames = 0;
	}
	v->rate_frames++;
	if (v->viewer != NULL) {
		if (viewer_send(v->viewer, jpeg, len) == 0)
			return;
		window_gone(t);
	}
	/* The terminal is behind (a slow link), or over the output cap:
	 * skip the frame rather than lag further behind. */
	if (terminal_backlog() > TERMINAL_BACKLOG_MAX ||
	    (t->target->max_output > 0 && t->out_rate > t->target->max_output)) {
		v->skipped++;
		return;
	}
	video_cells(t, &v->cols, &v->rows);
	if (render_jpeg(&v->render, jpeg, len, v->cols, v->rows, err) == 0) {
		if (!v->have_picture)
			t->dirty = 1;	/* the pane's placeholder goes */
		v->have_picture = 1;
	}
	t->video_dirty = 1;
}

/* stream, stream-end, quality-changed and videos events. */
static void
video_event(struct tui *t, const char *e, json_object *ev)
{
	struct tui_video	*v = &t->video;
	json_object		*list;

	if (strcmp(e, "stream") == 0 && v->active &&
	    (uint32_t)msg_get_int(ev, "id", 0) == v->id) {
		/* The same stream, announced again after a resize. */
		v->req_w = (int)msg_get_int(ev, "w", 0);
		v->req_h = (int)msg_get_int(ev, "h", 0);
	} else if (strcmp(e, "stream") == 0) {
		v->active = 1;
		v->paused = 0;
		v->id = (uint32_t)msg_get_int(ev, "id", 0);
		snprintf(v->name, sizeof v->name, "%s", ev_str(ev, "name"));
		snprintf(v->quality, sizeof v->quality, "%s",
		    ev_str(ev, "quality"));
		v->fps = msg_get_num(ev, "fps", 0);
		v->duration = msg_get_num(ev, "duration", 0);
		v->req_w = (int)msg_get_int(ev, "w", 0);
		v->req_h = (int)msg_get_int(ev, "h", 0);
		v->next_seq = 0;
		v->frames = v->dropped = 0;
		v->have_picture = 0;
		v->rate_start = util_now_ms();
		tui_system(t, LINE_SYSTEM, "Playing %s (%s, %.0f s). F5 "
		    "pause, F6/F7 seek 10 s, F8 stop, /window for a window.",
		    v->name, v->quality, v->duration);
		if (t->want_window && v->viewer == NULL)
			tui_window(t, 1);
		else
			video_resized(t);
	} else if (strcmp(e, "stream-end") == 0) {
		if ((uint32_t)msg_get_int(ev, "id", 0) != v->id)
			return;
		v->active = 0;
		tui_system(t, strcmp(ev_str(ev, "reason"), "error") == 0 ?
		    LINE_ERROR : LINE_SYSTEM, "%s %s%s%s", v->name,
		    strcmp(ev_str(ev, "reason"), "finished") == 0 ? "ended" :
		    strcmp(ev_str(ev, "reason"), "stopped") == 0 ? "stopped" :
		    "failed", *ev_str(ev, "message") ? ": " : "",
		    ev_str(ev, "message"));
		if (v->viewer != NULL)
			viewer_close(&v->viewer);
	} else if (strcmp(e, "quality-changed") == 0) {
		snprintf(v->quality, sizeof v->quality, "%s",
		    ev_str(ev, "quality"));
		tui_system(t, LINE_SYSTEM, "Quality now %s (%s)", v->quality,
		    strcmp(ev_str(ev, "why"), "auto") == 0 ? "automatic" :
		    "as asked");
	} else if (strcmp(e, "watch") == 0) {
		if (proto_name_equal(ev_str(ev, "by"), t->client.name))
			tui_system(t, LINE_SYSTEM, "You are watching %s with "
			    "%s.", ev_str(ev, "name"), ev_str(ev, "room"));
		else
			tui_system(t, LINE_SYSTEM, "%s invites %s to watch %s "
			    "(%s): /watch %s to join.", ev_str(ev, "by"),
			    ev_str(ev, "room"), ev_str(ev, "name"),
			    ev_str(ev, "quality"), ev_str(ev, "room"));
	} else if (strcmp(e, "watch-control") == 0) {
		const char *a = ev_str(ev, "action");

		if (strcmp(a, "pause") == 0 || strcmp(a, "resume") == 0)
			v->paused = strcmp(a, "pause") == 0;
		if (strcmp(a, "seek") == 0)
			tui_system(t, LINE_SYSTEM, "%s moved %s's video to "
			    "%.0f s.", ev_str(ev, "by"), ev_str(ev, "room"),
			    msg_get_num(ev, "to", 0));
		else if (strcmp(a, "quality") == 0 && snprintf(v->quality,
		    sizeof v->quality, "%s", ev_str(ev, "quality")) >= 0)
			tui_system(t, LINE_SYSTEM, "%s switched %s's video to "
			    "%s.", ev_str(ev, "by"), ev_str(ev, "room"),
			    ev_str(ev, "quality"));
		else
			tui_system(t, LINE_SYSTEM, "%s %sd %s's video.",
			    ev_str(ev, "by"), a, ev_str(ev, "room"));
	} else if (strcmp(e, "videos") == 0) {
		list = msg_get(ev, "videos");
		tui_system(t, LINE_SYSTEM, "%zu videos (/play name [quality]):",
		    list ? json_object_array_length(list) : 0);
		for (size_t i = 0; list && i < json_object_array_length(list);
		    i++) {
			json_object *o = json_object_array_get_idx(list, i);
			char *qs = target_text(msg_get(o, "qualities"));

			tui_system(t, LINE_SYSTEM, "  %-20s %4.0f s  %s",
			    ev_str(o, "name"), msg_get_num(o, "duration", 0),
			    qs);
			free(qs);
		}
	}
}

/* Return attributes for a colour pair, or the fallback without colour. */
static attr_t
colour(struct tui *t, int pair, attr_t mono)
{
	return t->colors ? (attr_t)COLOR_PAIR(pair) : mono;
}

/*
 * Draw UTF-8 s[0..len) at (y, x) within w columns; returns the columns
 * used. Text from the network is drawn only through here: a control or
 * bidi override shows as its visible form (screentext.c), in reverse
 * video, so text never moves the cursor nor passes for something else.
 */
static int
put_text(int y, int x, int w, const char *s, size_t len)
{
	char	form[SCREENTEXT_ESCAPE_MAX];
	size_t	used, i = 0, run = 0, n;
	int	col = 0, cw;
	attr_t	attrs;
	short	pair;

	move(y, x);
	while (i < len) {
		uint32_t cp = utf8_decode((const uint8_t *)s + i, len - i,
		    &used);

		cw = screentext_width(cp);
		if (col + cw > w)
			break;
		if ((n = screentext_escape(cp, form)) > 0) {
			if (i > run)
				addnstr(s + run, (int)(i - run));
			attr_get(&attrs, &pair, NULL);
			attr_set(attrs ^ A_REVERSE, pair, NULL);
			addnstr(form, (int)n);
			attr_set(attrs, pair, NULL);
			run = i + used;
		}
		col += cw;
		i += used;
	}
	if (i > run)
		addnstr(s + run, (int)(i - run));
	return col;
}

/* Build the prefix of a scrollback line (after the time). */
static char *
line_prefix(const struct chat_line *l)
{
	char	*p;

	switch (l->kind) {
	case LINE_CHAT:
		if (l->flags & LINE_DIRECT)
			xasprintf(&p, "%s[%s -> %s] ", l->flags &
			    LINE_UNVERIFIED ? "[UNVERIFIED] " : "", l->from,
			    l->to);
		else
			xasprintf(&p, "%s<%s> ", l->flags & LINE_UNVERIFIED ?
			    "[UNVERIFIED] " : "", l->from);
		return p;
	case LINE_ACTION:
		xasprintf(&p, "%s%s* %s ", l->flags & LINE_UNVERIFIED ?
		    "[UNVERIFIED] " : "", l->flags & LINE_DIRECT ? "[direct] "
		    : "", l->from);
		return p;
	case LINE_ERROR:
		return xstrdup("!!! ");
	case LINE_WARNING:
		return xstrdup("*** ");
	}
	return xstrdup("-!- ");
}

/* Return the attributes of a line's prefix and of its text. */
static void
line_attrs(struct tui *t, const struct chat_line *l, attr_t *pre,
    attr_t *text)
{
	*text = A_NORMAL;
	switch (l->kind) {
	case LINE_SYSTEM:
		*pre = *text = colour(t, PAIR_SYSTEM, A_DIM);
		break;
	case LINE_ERROR:
		*pre = *text = colour(t, PAIR_ERROR, A_BOLD) | A_BOLD;
		break;
	case LINE_WARNING:
		*pre = *text = colour(t, PAIR_WARNING, A_REVERSE) | A_BOLD;
		break;
	default:
		if (l->flags & LINE_DIRECT)
			*pre = colour(t, PAIR_DIRECT, A_UNDERLINE) | A_BOLD;
		else if (l->flags & LINE_SELF)
			*pre = A_BOLD;
		else
			*pre = colour(t, name_pair(l->from), A_BOLD);
		if (l->flags & LINE_MENTION)
			*text = A_BOLD;
		if (l->flags & LINE_UNVERIFIED)
			*pre = colour(t, PAIR_WARNING, A_REVERSE) | A_BOLD;
	}
}

/*
 * Draw one scrollback line into rows [top, bottom) of the chat pane,
 * bottom-aligned, skipping its last `skip` rows. Returns the rows it has
 * in all (whether drawn or not).
 */
static int
draw_line(struct tui *t, const struct chat_line *l, int bottom, int skip,
    int top)
{
	struct rect	*r = &t->lay.chat;
	size_t		 starts[WRAP_ROWS_MAX], rows, len = strlen(l->text);
	char		*prefix = line_prefix(l), stamp[8];
	struct tm	 tm;
	attr_t		 pre_attr, text_attr;
	int		 pw = screentext_text_width(prefix, strlen(prefix));
	int		 first_w, y;

	first_w = r->w - TS_WIDTH - pw;
	if (first_w < 8) {	/* a very long name: text on its own rows */
		first_w = r->w - TS_WIDTH;
		pw = 0;
	}
	rows = chatlog_wrap(l->text, first_w, r->w - TS_WIDTH, starts,
	    WRAP_ROWS_MAX);
	if (rows > WRAP_ROWS_MAX)
		rows = WRAP_ROWS_MAX;
	if (pw == 0)
		rows++;	/* the prefix row */
	line_attrs(t, l, &pre_attr, &text_attr);
	localtime_r(&l->ts, &tm);
	strftime(stamp, sizeof stamp, "%H:%M ", &tm);
	for (int i = (int)rows - 1; i >= 0; i--) {
		y = bottom - ((int)rows - 1 - i) - 1 + skip;
		if (y >= bottom || y < top)
			continue;
		int row = pw == 0 ? i - 1 : i;
		int x = r->x + TS_WIDTH;

		if (i == 0) {
			attrset(colour(t, PAIR_TIME, A_DIM) | A_DIM);
			mvaddstr(y, r->x, stamp);
			attrset(pre_attr);
			x += put_text(y, x, r->w - TS_WIDTH, prefix,
			    strlen(prefix));
			if (pw == 0)
				continue;
		}
		size_t from = starts[row];
		size_t to = (size_t)row + 1 < rows - (pw == 0) ?
		    starts[row + 1] : len;

		while (to > from && l->text[to - 1] == ' ')
			to--;
		attrset(l->kind == LINE_CHAT || l->kind == LINE_ACTION ?
		    text_attr : pre_attr);
		put_text(y, x, r->x + r->w - x, l->text + from, to - from);
	}
	attrset(A_NORMAL);
	free(prefix);
	return (int)rows;
}

/* Draw the chat pane from the bottom up, honouring the scroll offset. */
static void
draw_chat(struct tui *t)
{
	struct rect	*r = &t->lay.chat;
	int		 bottom = r->y + r->h, skip = t->scroll, rows;
	size_t		 i = t->log.count;

	while (i > 0 && bottom > r->y) {
		const struct chat_line *l = chatlog_get(&t->log, --i);

		rows = draw_line(t, l, bottom, skip, r->y);
		if (skip >= rows) {
			skip -= rows;
			continue;
		}
		bottom -= rows - skip;
		skip = 0;
	}
	/* Scrolled past the oldest line: pull back. */
	if (i == 0 && bottom > r->y && t->scroll > 0 && skip > 0) {
		t->scroll -= skip;
		if (t->scroll < 0)
			t->scroll = 0;
		t->dirty = 1;
	}
}

/* Draw the roster: the users, those in the current room first. */
static void
draw_roster(struct tui *t)
{
	struct rect	*r = &t->lay.roster;
	int		 y = r->y, pass;
	char		 line[64];

	if (r->w == 0)
		return;
	attrset(colour(t, PAIR_SYSTEM, A_DIM));
	mvvline(r->y, r->x - 1, ACS_VLINE, r->h);
	attrset(A_BOLD);
	snprintf(line, sizeof line, "%s (%zu)", t->client.room,
	    t->client.npeers);
	put_text(y++, r->x, r->w, line, strlen(line));
	for (pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->client.npeers && y < r->y + r->h;
		    i++) {
			struct peer *p = &t->client.peers[i];
			int in_room = 0;

			for (size_t j = 0; p->rooms != NULL &&
			    j < json_object_array_length(p->rooms); j++)
				in_room |= proto_name_equal(
				    json_object_get_string(
				    json_object_array_get_idx(p->rooms, j)),
				    t->client.room);
			if (in_room != (pass == 0))
				continue;
			attrset(in_room ? colour(t, name_pair(p->name),
			    A_NORMAL) : A_DIM);
			if (p->trust == TRUST_CHANGED)
				attrset(colour(t, PAIR_WARNING, A_REVERSE) |
				    A_BOLD);
			snprintf(line, sizeof line, "%c%s%s",
			    p->trust == TRUST_CHANGED ? '!' :
			    proto_name_equal(p->name, t->client.name) ? '*' :
			    ' ', p->name, p->watching[0] ? " >" : "");
			put_text(y++, r->x, r->w, line, strlen(line));
		}
	}
	attrset(A_NORMAL);
}

/* Fill a row with spaces in attribute a. */
static void
fill_row(int y, int w, attr_t a)
{
	attrset(a);
	mvhline(y, 0, ' ' | a, w);
}

/* Draw the title bar, the status bar and the input line. */
static void
draw_bars(struct tui *t)
{
	char	 buf[512], *text;
	attr_t	 bar = colour(t, PAIR_TITLE, A_REVERSE) | (t->colors ? 0 :
	    A_REVERSE);
	size_t	 end;
	int	 col, pw;

	fill_row(t->lay.title.y, t->cols, bar);
	snprintf(buf, sizeof buf, " tvchat  %s@%s  %.23s...  %s",
	    t->client.name, t->target->server,
	    crypto_key_fingerprint(t->target->identity),
	    t->connected && t->client.state == CLIENT_ACTIVE ? "[connected]" :
	    t->connected ? "[logging in]" : "[disconnected]");
	put_text(t->lay.title.y, 0, t->cols, buf, strlen(buf));

	fill_row(t->lay.status.y, t->cols, bar);
	if (t->scroll > 0)
		snprintf(buf, sizeof buf, " [%s] -- scrolled up: %zu new "
		    "message%s below (End or PgDn) --", t->client.room,
		    t->unread, t->unread == 1 ? "" : "s");
	else if (t->video.active)
		snprintf(buf, sizeof buf, " [%s] %s %s %s %02u:%02u/%02d:%02d "
		    "%.0ffps dropped %llu  %s %.0fKB/s", t->client.room,
		    t->video.paused ? "||" : ">", t->video.name,
		    t->video.quality, t->video.pts_ms / 60000,
		    t->video.pts_ms / 1000 % 60, (int)t->video.duration / 60,
		    (int)t->video.duration % 60, t->video.rate,
		    (unsigned long long)(t->video.dropped + t->video.skipped),
		    t->video.viewer ? "window" :
		    render_describe(&t->video.render), t->out_rate);
	else
		snprintf(buf, sizeof buf, " [%s] [%zu users]",
		    t->client.room, t->client.npeers);
	put_text(t->lay.status.y, 0, t->cols, buf, strlen(buf));

	attrset(A_NORMAL);
	move(t->lay.input.y, 0);
	clrtoeol();
	snprintf(buf, sizeof buf, "[%s] ", t->client.room);
	pw = put_text(t->lay.input.y, 0, t->cols / 3, buf, strlen(buf));
	size_t first = input_view(&t->in, t->cols - pw - 1, &end, &col);

	/* Encode the visible code points and draw them. */
	text = xmalloc((end - first) * 4 + 1);
	{
		char	*o = text;

		for (size_t i = first; i < end; i++)
			o += utf8_encode(t->in.text[i], o);
		*o = '\0';
	}
	put_text(t->lay.input.y, pw, t->cols - pw, text, strlen(text));
	free(text);
	move(t->lay.input.y, pw + col);
}

/* Redraw the whole screen. */
static void
draw(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	layout_compute(&t->lay, t->cols, t->rows, 1, t->video.active);
	erase();
	t->video.cells_valid = 0;	/* the whole screen is drawn again */
	if (!t->lay.ok) {
		attrset(A_BOLD);
		mvaddnstr(0, 0, "terminal too small", t->cols);
		mvaddnstr(1, 0, "(tvchat needs 40x10)", t->cols);
		attrset(A_NORMAL);
	} else {
		draw_chat(t);
		draw_video(t);
		draw_roster(t);
		draw_bars(t);
	}
	refresh();
	t->dirty = t->video_dirty = 0;
	measure_output(t);
}

/*
 * A new frame and nothing else changed: draw the picture's changed cells
 * and the bars (position, rate), not the whole screen.
 */
static void
draw_frame(struct tui *t)
{
	if (!t->lay.ok || t->lay.video.h == 0) {
		draw(t);
		return;
	}
	draw_video(t);
	draw_bars(t);
	refresh();
	t->video_dirty = 0;
	measure_output(t);
}

/* /render ascii|blocks [dither] [charset]: change the video renderer. */
int
tui_render(struct tui *t, const char *mode, const char *dither,
    const char *charset)
{
	struct render	*r = &t->video.render;

	if (mode != NULL && strcmp(mode, "blocks") == 0 && !t->colors) {
		tui_system(t, LINE_ERROR, "blocks need a colour terminal; "
		    "staying with ASCII");
		return -1;
	}
	if ((mode != NULL && render_set(r, "render", mode) != 0) ||
	    (dither != NULL && render_set(r, "dither", dither) != 0) ||
	    (charset != NULL && render_set(r, "charset", charset) != 0)) {
		tui_system(t, LINE_ERROR, "usage: /render ascii [none|ordered|"
		    "fstein] [ascii|shades|blocks], or /render blocks");
		return -1;
	}
	tui_system(t, LINE_SYSTEM, "Video renderer: %s", render_describe(r));
	t->video.have_picture = 0;
	video_resized(t);
	t->dirty = 1;
	return 0;
}

/* Scroll the chat pane by delta rows (positive: back in time). */
static void
scroll_by(struct tui *t, int delta)
{
	t->scroll += delta;
	if (t->scroll <= 0) {
		t->scroll = 0;
		t->unread = 0;
	}
}

/* Send the input line (Enter). */
static void
enter(struct tui *t)
{
	char	*line = input_take(&t->in);

	tui_command(t, line);
	free(line);
	t->scroll = 0;
	t->unread = 0;
}

/* Apply one key action. */
static void
key(struct tui *t, enum key_action a, wint_t ch)
{
	int	page = t->lay.chat.h > 2 ? t->lay.chat.h - 1 : 1;

	if (a != KEY_A_COMPLETE)
		input_complete_reset(&t->in);
	switch (a) {
	case KEY_A_INSERT:
		if (input_insert(&t->in, (uint32_t)ch) != 0)
			beep();
		break;
	case KEY_A_ENTER:
		enter(t);
		break;
	case KEY_A_LEFT:
		input_left(&t->in);
		break;
	case KEY_A_RIGHT:
		input_right(&t->in);
		break;
	case KEY_A_HOME:
		if (t->in.len == 0 && ch == KEY_HOME)
			scroll_by(t, 1 << 30);
		else
			input_home(&t->in);
		break;
	case KEY_A_END:
		if (t->in.len == 0 && ch == KEY_END)
			scroll_by(t, -(1 << 30));
		else
			input_end(&t->in);
		break;
	case KEY_A_WORD_LEFT:
		input_word_left(&t->in);
		break;
	case KEY_A_WORD_RIGHT:
		input_word_right(&t->in);
		break;
	case KEY_A_BACKSPACE:
		input_backspace(&t->in);
		break;
	case KEY_A_DELETE:
		input_delete(&t->in);
		break;
	case KEY_A_KILL_END:
		input_kill_to_end(&t->in);
		break;
	case KEY_A_KILL_START:
		input_kill_to_start(&t->in);
		break;
	case KEY_A_KILL_WORD:
		input_kill_word(&t->in);
		break;
	case KEY_A_YANK:
		input_yank(&t->in);
		break;
	case KEY_A_HISTORY_PREV:
		input_history_prev(&t->in);
		break;
	case KEY_A_HISTORY_NEXT:
		input_history_next(&t->in);
		break;
	case KEY_A_COMPLETE:
		input_complete(&t->in, tui_complete, t);
		break;
	case KEY_A_PAGE_UP:
		scroll_by(t, page);
		break;
	case KEY_A_PAGE_DOWN:
		scroll_by(t, -page);
		break;
	case KEY_A_REDRAW:
		clearok(curscr, TRUE);
		break;
	case KEY_A_QUIT:
		t->quit = 1;
		break;
	case KEY_A_VIDEO_PAUSE:
		tui_command(t, t->video.paused ? "/resume" : "/pause");
		break;
	case KEY_A_VIDEO_BACK:
		tui_command(t, "/seek -10");
		break;
	case KEY_A_VIDEO_FORWARD:
		tui_command(t, "/seek +10");
		break;
	case KEY_A_VIDEO_STOP:
		tui_command(t, "/stop");
		break;
	case KEY_A_RESIZE:
		video_resized(t);
		break;
	case KEY_A_ESCAPE:
	case KEY_A_NONE:
		break;
	}
	t->dirty = 1;
}

/* Read every key waiting. */
static void
read_keys(struct tui *t)
{
	wint_t	ch, next;
	int	r;

	while ((r = get_wch(&ch)) != ERR) {
		enum key_action a = keys_action(r == KEY_CODE_YES, ch);

		if (a == KEY_A_ESCAPE) {
			/* Alt-x arrives as ESC x; a lone ESC is ignored. */
			if (get_wch(&next) == OK)
				a = keys_alt_action(next);
			else
				a = KEY_A_NONE;
		}
		key(t, a, ch);
	}
}

/* Follow a terminal resize. */
static void
resize(struct tui *t)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, t->rows, t->cols);
	video_resized(t);
	t->dirty = 1;
}

/*
 * Teach curses the Home/End/Delete sequences of other terminals too: a
 * TERM that does not match the real terminal (xterm-256color inside tmux
 * is common) must not turn Home into "[1~" in the input line.
 */
static void
define_missing_keys(void)
{
	static const struct {
		const char	*seq;
		int		 code;
	} keys[] = {
		{ "\033[1~", KEY_HOME }, { "\033[7~", KEY_HOME },
		{ "\033[H", KEY_HOME }, { "\033OH", KEY_HOME },
		{ "\033[4~", KEY_END }, { "\033[8~", KEY_END },
		{ "\033[F", KEY_END }, { "\033OF", KEY_END },
		{ "\033[3~", KEY_DC }, { "\033[5~", KEY_PPAGE },
		{ "\033[6~", KEY_NPAGE },
		{ "\033[A", KEY_UP }, { "\033[B", KEY_DOWN },
		{ "\033[C", KEY_RIGHT }, { "\033[D", KEY_LEFT },
		{ "\033OA", KEY_UP }, { "\033OB", KEY_DOWN },
		{ "\033OC", KEY_RIGHT }, { "\033OD", KEY_LEFT },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (key_defined(keys[i].seq) == 0)
			define_key(keys[i].seq, keys[i].code);
}

/* Choose a UTF-8 character type so widths and wide input work. */
static void
setup_locale(void)
{
	const char	*cs;

	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	if (cs == NULL || strcmp(cs, "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	/* Line drawing as Unicode: survives screen captures and odd ACS. */
	cs = nl_langinfo(CODESET);
	if (cs != NULL && strcmp(cs, "UTF-8") == 0)
		setenv("NCURSES_NO_UTF8_ACS", "1", 0);
}

/* Run the interface until the user quits; returns the exit status. */
int
tui_run(struct tui_target *target)
{
	struct tui	 t;
	struct pollfd	 pfd[3];
	uint64_t	 got;
	int		 timeout;

	memset(&t, 0, sizeof t);
	t.target = target;
	t.want_window = target->want_window;
	t.client.fd = -1;
	t.client.identity = target->identity;
	snprintf(t.client.name, sizeof t.client.name, "%s", target->name);
	snprintf(t.client.room, sizeof t.client.room, "%s", DEFAULT_ROOM);
	chatlog_init(&t.log, CHATLOG_MAX);
	input_init(&t.in);
	if (render_init(&t.video.render) != 0)
		fatalx("libcaca: cannot make a canvas");
	if (target->render != NULL &&
	    render_set(&t.video.render, "render", target->render) != 0)
		fatalx("--render: ascii or blocks");
	setup_locale();
	if (tcgetattr(STDIN_FILENO, &saved_termios) == 0)
		termios_saved = 1;
	setup_signals();
	if (initscr() == NULL)
		fatalx("cannot start the screen (is TERM right?)");
	prepare_restore();
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	define_missing_keys();
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	setup_colours(&t);
	if (t.video.render.mode == RENDER_BLOCKS && !t.colors) {
		render_set(&t.video.render, "render", "ascii");
		tui_system(&t, LINE_ERROR, "blocks need a colour terminal; "
		    "using ASCII");
	}
	tui_system(&t, LINE_SYSTEM, "tvchat %s: connecting to %s...",
	    PACKAGE_VERSION, target->server);
	draw(&t);
	connect_server(&t);

	while (!t.quit) {
		if (t.dirty)
			draw(&t);
		else if (t.video_dirty)
			draw_frame(&t);
		/* A handshake that takes too long ends in a reconnect. */
		timeout = t.connected ? client_timeout(&t.client) : -1;
		if (!t.connected && t.reconnect_at > 0) {
			int64_t left = t.reconnect_at - util_now_ms();

			timeout = left > 0 ? (int)left : 0;
		}
		pfd[0] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		pfd[1] = (struct pollfd){ t.connected ? t.client.fd : -1,
		    POLLIN, 0 };
		if (t.connected && buf_len(&t.client.out) > 0)
			pfd[1].events |= POLLOUT;
		pfd[2] = (struct pollfd){ proc_signal_fd(), POLLIN, 0 };
		if (poll(pfd, 3, timeout) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		got = proc_take_signals();
		if (got & PROC_SIG(SIGWINCH))
			resize(&t);
		if ((got & PROC_SIG(SIGCHLD)) && t.video.viewer != NULL &&
		    !viewer_alive(t.video.viewer))
			window_gone(&t);
		if (got & (PROC_SIG(SIGTERM) | PROC_SIG(SIGHUP) |
		    PROC_SIG(SIGINT)))
			t.quit = 1;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_keys(&t);
		if (t.connected && (pfd[1].revents & (POLLIN | POLLHUP |
		    POLLERR)))
			client_read(&t.client);
		if (t.connected && client_flush(&t.client) != 0)
			client_read(&t.client);	/* reports the close */
		if (!t.connected && t.reconnect_at > 0 &&
		    util_now_ms() >= t.reconnect_at)
			connect_server(&t);
	}
	if (t.connected && t.client.state == CLIENT_ACTIVE) {
		/* Say goodbye and wait (briefly) for the server to close, so
		 * the goodbye is not lost to a reset. */
		int64_t until = util_now_ms() + 2000;

		client_send(&t.client, msg_new("quit"));
		while (t.client.state != CLIENT_CLOSED && util_now_ms() < until) {
			struct pollfd p = { t.client.fd, POLLIN, 0 };

			if (buf_len(&t.client.out) > 0)
				p.events |= POLLOUT;
			if (poll(&p, 1, 100) < 0)
				break;
			if ((p.revents & POLLOUT) && client_flush(&t.client) != 0)
				break;
			if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
			    client_read(&t.client) != 0)
				break;
		}
	}
	endwin();
	if (t.video.viewer != NULL)
		viewer_close(&t.video.viewer);
	client_free(&t.client);
	chatlog_free(&t.log);
	input_free(&t.in);
	render_free(&t.video.render);
	free(t.video.cells);
	return 0;
}
