/*
 * Drawing the screen: the scrollback in the chat pane, the roster, the
 * title and status bars and the input line, in the panes that layout.c
 * computes; the video pane is tui-video.c's. Text from the network is
 * drawn only through put_text(), which shows controls visibly.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "screentext.h"
#include "tui-private.h"
#include "utf8.h"
#include "xmalloc.h"

#define TS_WIDTH		6	/* "HH:MM " */
#define WRAP_ROWS_MAX		4096

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
void
tui_draw_colours(struct tui *t)
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
void
tui_draw(struct tui *t)
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
		tui_video_draw(t);
		draw_roster(t);
		draw_bars(t);
	}
	refresh();
	t->dirty = t->video_dirty = 0;
	tui_video_measure_output(t);
}

/*
 * A new frame and nothing else changed: draw the picture's changed cells
 * and the bars (position, rate), not the whole screen.
 */
void
tui_draw_frame(struct tui *t)
{
	if (!t->lay.ok || t->lay.video.h == 0) {
		tui_draw(t);
		return;
	}
	tui_video_draw(t);
	draw_bars(t);
	refresh();
	t->video_dirty = 0;
	tui_video_measure_output(t);
}
