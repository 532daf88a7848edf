/*
 * The video pane: frames from the server (counted, skipped while the
 * terminal is behind, rendered by render.c), the picture drawn cell by
 * cell where it changed, the popup window (popup.c) instead of the pane,
 * the rate of our terminal output, and the video's events.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "command.h"
#include "msg.h"
#include "popup.h"
#include "screentext.h"
#include "tui-private.h"
#include "util.h"
#include "video.h"
#include "xmalloc.h"

#define TERMINAL_BACKLOG_MAX	(64 * 1024)	/* bytes queued to the tty */

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
void
tui_video_draw(struct tui *t)
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
void
tui_video_resized(struct tui *t)
{
	int	w, h;

	if (!t->video.active || t->video.viewer != NULL || !t->connected)
		return;
	tui_video_size(t, &w, &h);
	if (w != t->video.req_w || h != t->video.req_h) {
		t->video.req_w = w;
		t->video.req_h = h;
		command_resize(&t->client, w, h);
	}
}

/* The window was closed by the user: back to ASCII art. */
void
tui_video_window_gone(struct tui *t)
{
	t->want_window = 0;
	viewer_close(&t->video.viewer);
	tui_system(t, LINE_SYSTEM, "The window was closed: back to ASCII.");
	tui_video_resized(t);
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
tui_video_window(struct tui *t, int on)
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
		tui_video_resized(t);
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
		command_resize(&t->client, v->req_w, v->req_h);
	tui_system(t, LINE_SYSTEM, "Showing %s in a window; closing it or "
	    "/ascii brings it back here.", v->name);
	t->dirty = 1;
}

/* /render ascii|blocks [dither] [charset]: change the video renderer. */
int
tui_video_render(struct tui *t, const char *mode, const char *dither,
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
	tui_video_resized(t);
	t->dirty = 1;
	return 0;
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
void
tui_video_measure_output(struct tui *t)
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
void
tui_video_frame(void *arg, const struct video_header *h,
    const uint8_t *jpeg, size_t len)
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
		tui_video_window_gone(t);
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

/* stream: a video starts (or, the same again, has a new size). */
static void
event_stream(struct tui *t, json_object *ev)
{
	struct tui_video	*v = &t->video;

	if (v->active && (uint32_t)msg_get_int(ev, "id", 0) == v->id) {
		/* The same stream, announced again after a resize. */
		v->req_w = (int)msg_get_int(ev, "w", 0);
		v->req_h = (int)msg_get_int(ev, "h", 0);
		return;
	}
	v->active = 1;
	v->paused = 0;
	v->id = (uint32_t)msg_get_int(ev, "id", 0);
	snprintf(v->name, sizeof v->name, "%s", tui_event_str(ev, "name"));
	snprintf(v->quality, sizeof v->quality, "%s",
	    tui_event_str(ev, "quality"));
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
		tui_video_window(t, 1);
	else
		tui_video_resized(t);
}

/* stream-end: the video finished, was stopped or failed. */
static void
event_stream_end(struct tui *t, json_object *ev)
{
	struct tui_video	*v = &t->video;
	const char		*reason = tui_event_str(ev, "reason");

	if ((uint32_t)msg_get_int(ev, "id", 0) != v->id)
		return;
	v->active = 0;
	tui_system(t, strcmp(reason, "error") == 0 ? LINE_ERROR : LINE_SYSTEM,
	    "%s %s%s%s", v->name, strcmp(reason, "finished") == 0 ? "ended" :
	    strcmp(reason, "stopped") == 0 ? "stopped" : "failed",
	    *tui_event_str(ev, "message") ? ": " : "",
	    tui_event_str(ev, "message"));
	if (v->viewer != NULL)
		viewer_close(&v->viewer);
}

/* quality-changed: by us, or by the server's automatic choice. */
static void
event_quality_changed(struct tui *t, json_object *ev)
{
	struct tui_video	*v = &t->video;

	snprintf(v->quality, sizeof v->quality, "%s",
	    tui_event_str(ev, "quality"));
	tui_system(t, LINE_SYSTEM, "Quality now %s (%s)", v->quality,
	    strcmp(tui_event_str(ev, "why"), "auto") == 0 ? "automatic" :
	    "as asked");
}

/* watch: a room watches a video together (we started it, or not). */
static void
event_watch(struct tui *t, json_object *ev)
{
	if (proto_name_equal(tui_event_str(ev, "by"), t->client.name))
		tui_system(t, LINE_SYSTEM, "You are watching %s with %s.",
		    tui_event_str(ev, "name"), tui_event_str(ev, "room"));
	else
		tui_system(t, LINE_SYSTEM, "%s invites %s to watch %s (%s): "
		    "/watch %s to join.", tui_event_str(ev, "by"),
		    tui_event_str(ev, "room"), tui_event_str(ev, "name"),
		    tui_event_str(ev, "quality"), tui_event_str(ev, "room"));
}

/* watch-control: someone paused, resumed, moved or switched the video
 * watched together. */
static void
event_watch_control(struct tui *t, json_object *ev)
{
	struct tui_video	*v = &t->video;
	const char		*a = tui_event_str(ev, "action");

	if (strcmp(a, "pause") == 0 || strcmp(a, "resume") == 0)
		v->paused = strcmp(a, "pause") == 0;
	if (strcmp(a, "seek") == 0)
		tui_system(t, LINE_SYSTEM, "%s moved %s's video to %.0f s.",
		    tui_event_str(ev, "by"), tui_event_str(ev, "room"),
		    msg_get_num(ev, "to", 0));
	else if (strcmp(a, "quality") == 0 && snprintf(v->quality,
	    sizeof v->quality, "%s", tui_event_str(ev, "quality")) >= 0)
		tui_system(t, LINE_SYSTEM, "%s switched %s's video to %s.",
		    tui_event_str(ev, "by"), tui_event_str(ev, "room"),
		    tui_event_str(ev, "quality"));
	else
		tui_system(t, LINE_SYSTEM, "%s %sd %s's video.",
		    tui_event_str(ev, "by"), a, tui_event_str(ev, "room"));
}

/* videos: the library. */
static void
event_videos(struct tui *t, json_object *ev)
{
	json_object	*list = msg_get(ev, "videos");

	tui_system(t, LINE_SYSTEM, "%zu videos (/play name [quality]):",
	    list ? json_object_array_length(list) : 0);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);
		char *qs = tui_event_list(msg_get(o, "qualities"));

		tui_system(t, LINE_SYSTEM, "  %-20s %4.0f s  %s",
		    tui_event_str(o, "name"), msg_get_num(o, "duration", 0),
		    qs);
		free(qs);
	}
}

const struct tui_handler tui_video_handlers[] = {
	{ "stream", event_stream },
	{ "stream-end", event_stream_end },
	{ "quality-changed", event_quality_changed },
	{ "watch", event_watch },
	{ "watch-control", event_watch_control },
	{ "videos", event_videos },
	{ NULL, NULL }
};

/* The connection is gone, and the video with it. */
void
tui_video_closed(struct tui *t)
{
	t->video.active = 0;
	if (t->video.viewer != NULL)
		viewer_close(&t->video.viewer);
}
