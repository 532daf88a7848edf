/*
 * The full-screen interface: set-up and one poll() loop over the keyboard
 * (tui-key.c), the server and a self-pipe for signals. The protocol side
 * (client.c) reports events, which the handlers of tui-event.c and
 * tui-video.c turn into scrollback and video; tui-draw.c draws it all.
 * Losing the server keeps the scrollback and reconnects with backoff.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "log.h"
#include "msg.h"
#include "popup.h"
#include "proc.h"
#include "tui-private.h"
#include "util.h"

#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		30000

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

/* Schedule the next connection attempt, backing off; its delay in ms. */
static int
schedule_reconnect(struct tui *t)
{
	if (t->backoff_ms == 0)
		t->backoff_ms = BACKOFF_MIN_MS;
	else if ((t->backoff_ms *= 2) > BACKOFF_MAX_MS)
		t->backoff_ms = BACKOFF_MAX_MS;
	t->reconnect_at = util_now_ms() + t->backoff_ms;
	return t->backoff_ms;
}

/* closed: the connection is over; try again later. */
static void
event_closed(struct tui *t, json_object *ev)
{
	t->connected = 0;
	tui_video_closed(t);
	tui_system(t, LINE_ERROR, "Disconnected: %s. Reconnecting in %d s.",
	    tui_event_str(ev, "reason"), schedule_reconnect(t) / 1000);
}

static const struct tui_handler loop_handlers[] = {
	{ "closed", event_closed },
	{ NULL, NULL }
};

/* The client's emit callback: every event goes to its handler. */
static void
on_event(void *arg, json_object *ev)
{
	static const struct tui_handler *const tables[] = {
		tui_event_handlers, tui_video_handlers, loop_handlers
	};
	struct tui	*t = arg;
	const char	*e = tui_event_str(ev, "event");

	t->dirty = 1;
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		for (const struct tui_handler *h = tables[i]; h->type != NULL;
		    h++) {
			if (strcmp(h->type, e) == 0) {
				h->run(t, ev);
				return;
			}
		}
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
		tui_system(t, LINE_ERROR, "Cannot connect: %s. Trying again in "
		    "%d s.", err, schedule_reconnect(t) / 1000);
		return;
	}
	client_free(&t->client);
	client_init(&t->client, fd, t->target->server, t->target->identity,
	    t->target->name, t->target->known, on_event, t);
	client_use_keystore(&t->client, t->target->ks);
	t->client.on_frame = tui_video_frame;
	t->connected = 1;
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
	tui_video_resized(t);
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
	tui_draw_colours(&t);
	if (t.video.render.mode == RENDER_BLOCKS && !t.colors) {
		render_set(&t.video.render, "render", "ascii");
		tui_system(&t, LINE_ERROR, "blocks need a colour terminal; "
		    "using ASCII");
	}
	tui_system(&t, LINE_SYSTEM, "tvchat %s: connecting to %s...",
	    PACKAGE_VERSION, target->server);
	tui_draw(&t);
	connect_server(&t);

	while (!t.quit) {
		if (t.dirty)
			tui_draw(&t);
		else if (t.video_dirty)
			tui_draw_frame(&t);
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
			tui_video_window_gone(&t);
		if (got & (PROC_SIG(SIGTERM) | PROC_SIG(SIGHUP) |
		    PROC_SIG(SIGINT)))
			t.quit = 1;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			tui_key_read(&t);
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
