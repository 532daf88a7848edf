/*
 * Renderer benchmark (see bench/README). For a directory of JPEG frames
 * scaled the way the server scales them, and one or more renderer
 * settings, measure per frame: the CPU time of render_jpeg() (decode and
 * dither or fill the cells), the bytes of render_ansi() (a full redraw),
 * an estimate of a differential update (only the cells whose text
 * changed, each with a cursor move), and the bytes and CPU time of a real
 * ncurses update drawn the way src/tvchat/tui-video.c draws the video pane. Output is
 * one line of key=value pairs per setting.
 *
 * Three helper modes serve bench/render.sh: -z prints the cells and
 * picture sizes the client uses for a pane, -x writes a clip's frames as
 * JPEGs through the server's own scaler and encoder, and -R runs a
 * command and prints the CPU time it and its children used.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "render.h"
#include "video.h"
#include "xmalloc.h"

#define MAX_SETTINGS	16
#define PAIR_VIDEO0	64	/* as in src/tvchat/tui-private.h */
#define JPEG_QUALITY	80	/* FRAMEENC_JPEG_QUALITY in src/tvchatd/frameenc.h */

struct frames {
	uint8_t		**data;
	size_t		 *len;
	char		**name;
	int		  n;
};

struct setting {
	char		 name[64];
	const char	*mode;
	const char	*dither;
	const char	*charset;
	int		  truecolor;
};

/* The cells of one render_ansi() string: where each starts, how long. */
struct cells {
	char		*text;
	size_t		*off;
	size_t		*len;
	size_t		 n;
};

struct term_out {
	SCREEN		*screen;
	FILE		*out;
	FILE		*in;
	int		 fd;
	int		 pairs16;	/* the 16 x 16 ASCII pairs are set up */
};

/* Print the usage and exit 2. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: render [-n repeat] [-T term] [-o sample-prefix] "
	    "-p COLSxROWS -s setting [-s setting ...] frames-dir\n"
	    "       render -z -p COLSxROWS\n"
	    "       render -x clip out-dir WxH [WxH ...]\n"
	    "       render -R -- command [argument ...]\n"
	    "settings: blocks, blocks/truecolor, "
	    "ascii/none|ordered|fstein/ascii|shades|blocks\n");
	exit(2);
}

/* CPU time of the whole process (all threads) in nanoseconds. */
static int64_t
cpu_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Parse "WxH" into *w and *h; 0, or -1 when it is not two positive ints. */
static int
parse_size(const char *s, int *w, int *h)
{
	char	x;

	if (sscanf(s, "%d%c%d", w, &x, h) != 3 || x != 'x' || *w < 1 ||
	    *h < 1 || *w > 4096 || *h > 4096)
		return -1;
	return 0;
}

/* The picture cells and the pixel sizes the client asks for, per pane. */
static void
pane_sizes(int pane_cols, int pane_rows, int *cols, int *rows, int *aw,
    int *ah, int *bw, int *bh)
{
	render_fit(pane_cols, pane_rows, 16, 9, cols, rows);
	render_pixels_for(*cols, *rows, 0, aw, ah);
	render_pixels_for(*cols, *rows, 1, bw, bh);
}

/* Write every frame of clip as out/WxH/fNNNN.jpg for each size; 0 or 1. */
static int
extract(const char *clip, const char *out, char **sizes, int nsizes)
{
	struct video	*v;
	char		 err[VIDEO_ERR_LEN], path[4096];
	int		 w[MAX_SETTINGS], h[MAX_SETTINGS], n = 0, rc;

	if (nsizes < 1 || nsizes > MAX_SETTINGS)
		usage();
	for (int i = 0; i < nsizes; i++) {
		if (parse_size(sizes[i], &w[i], &h[i]) != 0)
			usage();
		snprintf(path, sizeof path, "%s/%dx%d", out, w[i], h[i]);
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "render: %s: %s\n", path,
			    strerror(errno));
			return 1;
		}
	}
	if (video_open(clip, &v, err) != 0) {
		fprintf(stderr, "render: %s\n", err);
		return 1;
	}
	while ((rc = video_read(v, err)) == 1) {
		n++;
		for (int i = 0; i < nsizes; i++) {
			uint8_t	*jpeg;
			size_t	 len;
			FILE	*f;

			if (video_encode_jpeg(v, w[i], h[i],
			    JPEG_QUALITY, &jpeg, &len, err) != 0)
				break;
			snprintf(path, sizeof path, "%s/%dx%d/f%04d.jpg", out,
			    w[i], h[i], n);
			f = fopen(path, "wb");
			if (f == NULL || fwrite(jpeg, 1, len, f) != len ||
			    fclose(f) != 0) {
				fprintf(stderr, "render: cannot write %s\n",
				    path);
				free(jpeg);
				video_close(v);
				return 1;
			}
			free(jpeg);
		}
	}
	video_close(v);
	if (rc < 0 || n == 0) {
		fprintf(stderr, "render: %s: %s\n", clip,
		    rc < 0 ? err : "no frames");
		return 1;
	}
	printf("frames=%d\n", n);
	return 0;
}

/*
 * Run a command (stdout and stderr shared with ours) and print
 * "cpu_s=<user+system seconds>" for it and the children it waited for to
 * stderr. Returns its exit status, or 127 when it could not start.
 */
static int
run_timed(char **argv)
{
	struct rusage	ru;
	pid_t		pid;
	int		status;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return 127;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "render: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 127;
	fprintf(stderr, "cpu_s=%.6f\n", (double)ru.ru_utime.tv_sec +
	    ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	    ru.ru_stime.tv_usec / 1e6);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status);
}

/* Compare two names for qsort. */
static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the whole file at path into *data; 0 or -1. */
static int
read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	long	 size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	*data = xmalloc((size_t)size);
	*len = (size_t)size;
	if (fread(*data, 1, *len, f) != *len) {
		fclose(f);
		free(*data);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Load every *.jpg in dir, in name order; 0 or -1. */
static int
load_frames(const char *dir, struct frames *f)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	size_t		 l, cap = 0;
	char		 path[4096];

	memset(f, 0, sizeof *f);
	if (d == NULL) {
		fprintf(stderr, "render: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".jpg") != 0)
			continue;
		if ((size_t)f->n == cap) {
			cap = cap ? cap * 2 : 64;
			f->name = xreallocarray(f->name, cap, sizeof *f->name);
		}
		f->name[f->n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (f->n == 0) {
		fprintf(stderr, "render: no *.jpg in %s\n", dir);
		return -1;
	}
	qsort(f->name, (size_t)f->n, sizeof *f->name, compare_names);
	f->data = xcalloc((size_t)f->n, sizeof *f->data);
	f->len = xcalloc((size_t)f->n, sizeof *f->len);
	for (int i = 0; i < f->n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, f->name[i]);
		if (read_file(path, &f->data[i], &f->len[i]) != 0) {
			fprintf(stderr, "render: cannot read %s\n", path);
			return -1;
		}
	}
	return 0;
}

/* Parse a setting name like "ascii/ordered/shades"; 0 or -1. */
static int
parse_setting(const char *s, struct setting *st)
{
	static const char *const dithers[] = { "none", "ordered", "fstein" };
	static const char *const charsets[] = { "ascii", "shades", "blocks" };
	char	 mode[16], dither[16], charset[16];
	size_t	 i, j;

	memset(st, 0, sizeof *st);
	if (strlen(s) >= sizeof st->name)
		return -1;
	strcpy(st->name, s);
	if (strcmp(s, "blocks") == 0 || strcmp(s, "blocks/truecolor") == 0) {
		st->mode = "blocks";
		st->truecolor = s[6] != '\0';
		return 0;
	}
	if (sscanf(s, "%15[^/]/%15[^/]/%15s", mode, dither, charset) != 3 ||
	    strcmp(mode, "ascii") != 0)
		return -1;
	for (i = 0; i < 3 && strcmp(dither, dithers[i]) != 0; i++)
		;
	for (j = 0; j < 3 && strcmp(charset, charsets[j]) != 0; j++)
		;
	if (i == 3 || j == 3)
		return -1;
	st->mode = "ascii";
	st->dither = dithers[i];
	st->charset = charsets[j];
	return 0;
}

/*
 * Split a render_ansi() string into cells: each is the SGR sequences
 * before one character plus that character (UTF-8), so two frames' cells
 * compare equal exactly when a terminal would show the same thing. The
 * "\033[0m\n" at the end of each row belongs to no cell. Returns the
 * number of cells.
 */
static size_t
split_cells(char *text, struct cells *c, size_t max)
{
	const char	*p = text, *start;

	c->text = text;
	c->n = 0;
	while (*p != '\0') {
		start = p;
		while (p[0] == '\033' && p[1] == '[') {
			p += 2;
			while (*p != '\0' && *p != 'm')
				p++;
			if (*p == 'm')
				p++;
		}
		if (*p == '\n' || *p == '\0') {
			if (*p == '\n')
				p++;
			continue;
		}
		p++;
		while (((unsigned char)*p & 0xc0) == 0x80)
			p++;
		if (c->n < max) {
			c->off[c->n] = (size_t)(start - text);
			c->len[c->n] = (size_t)(p - start);
		}
		c->n++;
	}
	return c->n;
}

/*
 * The bytes of a differential update from prev to cur: for every cell
 * whose text changed, a cursor move "\033[row;colH" and the cell's SGR
 * sequences and character, as render_ansi() writes them. *changed gets
 * the number of changed cells.
 */
static size_t
diff_bytes(const struct cells *prev, const struct cells *cur, int cols,
    size_t *changed)
{
	size_t	total = 0;
	char	move[32];

	*changed = 0;
	for (size_t i = 0; i < cur->n; i++) {
		if (i < prev->n && prev->len[i] == cur->len[i] &&
		    memcmp(prev->text + prev->off[i], cur->text + cur->off[i],
		    cur->len[i]) == 0)
			continue;
		(*changed)++;
		total += (size_t)snprintf(move, sizeof move, "\033[%zu;%zuH",
		    i / (size_t)cols + 1, i % (size_t)cols + 1);
		total += cur->len[i];
	}
	return total;
}

/* Map a libcaca ANSI colour (blue = 1) to curses' (red = 1). */
static int
caca_to_curses(int c)
{
	static const int map[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

	return map[c & 7] | (c & 8);
}

/* Return the curses colour number for 0xRRGGBB, as src/tvchat/tui-video.c picks it. */
static int
terminal_colour(uint32_t rgb)
{
	if (COLORS >= 0x1000000)
		return (int)rgb;
	if (COLORS >= 256)
		return render_xterm256(rgb);
	if (COLORS >= 16)
		return render_ansi16(rgb);
	return render_ansi16(rgb) & 7;
}

/*
 * Start ncurses on term writing to an unlinked temporary file, with a
 * screen one cell larger than the picture each way (the TUI has bars
 * around the pane; this also keeps the bottom-right corner out of it).
 * Returns 0, or -1 when the terminal is unknown or has no colours.
 */
static int
curses_open(struct term_out *t, const char *term, int cols, int rows)
{
	char	path[] = "/tmp/renderbench.XXXXXX", num[16];

	memset(t, 0, sizeof *t);
	t->fd = mkstemp(path);
	if (t->fd < 0)
		return -1;
	unlink(path);
	/* O_APPEND: after ftruncate(0) the next write lands at 0 again. */
	if (fcntl(t->fd, F_SETFL, O_APPEND) != 0 ||
	    (t->out = fdopen(t->fd, "w")) == NULL ||
	    (t->in = fopen("/dev/null", "r")) == NULL) {
		close(t->fd);
		return -1;
	}
	snprintf(num, sizeof num, "%d", rows + 1);
	setenv("LINES", num, 1);
	snprintf(num, sizeof num, "%d", cols + 1);
	setenv("COLUMNS", num, 1);
	t->screen = newterm(term, t->out, t->in);
	if (t->screen == NULL) {
		fclose(t->out);
		fclose(t->in);
		return -1;
	}
	set_term(t->screen);
	/* /dev/null always reads as ready: never abandon an update. */
	typeahead(-1);
	if (!has_colors()) {
		endwin();
		delscreen(t->screen);
		fclose(t->out);
		fclose(t->in);
		return -1;
	}
	start_color();
	use_default_colors();
	t->pairs16 = COLORS >= 16 && COLOR_PAIRS >= PAIR_VIDEO0 + 256;
	for (int f = 0; f < 16 && t->pairs16; f++)
		for (int b = 0; b < 16; b++)
			init_pair((short)(PAIR_VIDEO0 + f * 16 + b), (short)f,
			    (short)b);
	return 0;
}

/* End ncurses and close its files. */
static void
curses_close(struct term_out *t)
{
	if (t->screen == NULL)
		return;
	endwin();
	delscreen(t->screen);
	fclose(t->out);
	fclose(t->in);
	t->screen = NULL;
}

/*
 * Redraw the picture the way src/tvchat/tui-draw.c and tui-video.c do
 * (erase, every cell through setcchar() with its extended pair, refresh)
 * and return the bytes ncurses wrote; *ns gets the CPU time.
 */
static size_t
curses_draw(struct term_out *t, const struct render *r, int64_t *ns)
{
	struct stat	st;
	uint32_t	ch, top, bottom;
	int		fg, bg, pair;
	wchar_t		wc[2] = { 0, 0 };
	cchar_t		cc;
	int64_t		start;

	fflush(t->out);
	if (ftruncate(t->fd, 0) != 0)
		return 0;
	start = cpu_ns();
	erase();
	for (int y = 0; y < r->rows; y++) {
		move(y, 0);
		for (int x = 0; x < r->cols; x++) {
			if (r->mode == RENDER_BLOCKS) {
				render_cell_rgb(r, x, y, &top, &bottom);
				pair = alloc_pair(terminal_colour(top),
				    terminal_colour(bottom));
				if (pair < 0)
					pair = 0;
				setcchar(&cc, L"\u2580", A_NORMAL, 0, &pair);
				mvadd_wch(y, x, &cc);
				continue;
			}
			render_cell(r, x, y, &ch, &fg, &bg);
			fg = fg < 0 ? 7 : caca_to_curses(fg);
			bg = bg < 0 ? 0 : caca_to_curses(bg);
			pair = t->pairs16 ? PAIR_VIDEO0 + fg * 16 + bg : 0;
			wc[0] = (wchar_t)ch;
			setcchar(&cc, wc, A_NORMAL, 0, &pair);
			add_wch(&cc);
		}
	}
	attrset(A_NORMAL);
	refresh();
	*ns = cpu_ns() - start;
	fflush(t->out);
	if (fstat(t->fd, &st) != 0)
		return 0;
	return (size_t)st.st_size;
}

/* Compare two int64_t for qsort. */
static int
compare_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Return the median of n values (sorted in place); 0 for none. */
static double
median(int64_t *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, compare_i64);
	return n % 2 ? (double)v[n / 2] :
	    ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

/* Return the mean of n values; 0 for none. */
static double
mean(const int64_t *v, int n)
{
	double	sum = 0;

	for (int i = 0; i < n; i++)
		sum += (double)v[i];
	return n > 0 ? sum / n : 0;
}

/* Write text to path; 0 or -1. */
static int
write_text(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * Measure one setting over all frames and print its line; returns 0, or
 * -1 when a frame would not render.
 */
static int
run_setting(const struct setting *st, const struct frames *f, int pane_cols,
    int pane_rows, int repeat, const char *term, const char *sample)
{
	struct render	 r;
	struct term_out	 t;
	struct cells	 cells[2];
	struct video_image img;
	char		 err[VIDEO_ERR_LEN], path[4096 + 8];
	int		 cols, rows, aw, ah, bw, bh, want_w, want_h, n = f->n;
	int		 have_curses, ndiff = 0;
	size_t		 ncells, changed;
	int64_t		*render_ns, *ansi_ns, *draw_ns, *full, *diff, *cbytes;
	int64_t		*dcells, start;

	pane_sizes(pane_cols, pane_rows, &cols, &rows, &aw, &ah, &bw, &bh);
	want_w = strcmp(st->mode, "blocks") == 0 ? bw : aw;
	want_h = strcmp(st->mode, "blocks") == 0 ? bh : ah;
	if (video_decode_jpeg(f->data[0], f->len[0], 1, &img, err) != 0) {
		fprintf(stderr, "render: %s: %s\n", f->name[0], err);
		return -1;
	}
	if (img.width != want_w || img.height != want_h)
		fprintf(stderr, "render: warning: %s: frames are %dx%d, the "
		    "client asks for %dx%d\n", st->name, img.width,
		    img.height, want_w, want_h);
	video_image_free(&img);

	if (render_init(&r) != 0 || render_set(&r, "render", st->mode) != 0 ||
	    (st->dither != NULL && render_set(&r, "dither", st->dither) != 0) ||
	    (st->charset != NULL &&
	    render_set(&r, "charset", st->charset) != 0)) {
		fprintf(stderr, "render: cannot set up %s\n", st->name);
		return -1;
	}
	/* 24-bit cells need a direct-colour terminal description. */
	if (st->truecolor && term != NULL)
		term = "xterm-direct";
	have_curses = term != NULL && curses_open(&t, term, cols, rows) == 0;
	if (term != NULL && !have_curses)
		term = NULL;
	ncells = (size_t)cols * rows;
	for (int i = 0; i < 2; i++) {
		cells[i].off = xcalloc(ncells, sizeof *cells[i].off);
		cells[i].len = xcalloc(ncells, sizeof *cells[i].len);
		cells[i].text = NULL;
		cells[i].n = 0;
	}
	render_ns = xcalloc((size_t)n, sizeof *render_ns);
	ansi_ns = xcalloc((size_t)n, sizeof *ansi_ns);
	draw_ns = xcalloc((size_t)n, sizeof *draw_ns);
	full = xcalloc((size_t)n, sizeof *full);
	diff = xcalloc((size_t)n, sizeof *diff);
	dcells = xcalloc((size_t)n, sizeof *dcells);
	cbytes = xcalloc((size_t)n, sizeof *cbytes);

	/* Warm up: the dither and the canvas are made on the first frame. */
	if (render_jpeg(&r, f->data[0], f->len[0], cols, rows, err) != 0) {
		fprintf(stderr, "render: %s: %s\n", f->name[0], err);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct cells	*cur = &cells[i & 1], *prev = &cells[!(i & 1)];
		char		*ansi;

		start = cpu_ns();
		for (int k = 0; k < repeat; k++) {
			if (render_jpeg(&r, f->data[i], f->len[i], cols, rows,
			    err) != 0) {
				fprintf(stderr, "render: %s: %s\n", f->name[i],
				    err);
				return -1;
			}
		}
		render_ns[i] = (cpu_ns() - start) / repeat;
		start = cpu_ns();
		ansi = render_ansi(&r, st->truecolor);
		ansi_ns[i] = cpu_ns() - start;
		full[i] = (int64_t)strlen(ansi);
		if (split_cells(ansi, cur, ncells) != ncells) {
			fprintf(stderr, "render: %s: %zu cells in the ANSI "
			    "text, not %zu\n", st->name, cur->n, ncells);
			return -1;
		}
		if (i > 0) {
			diff[ndiff] = (int64_t)diff_bytes(prev, cur, cols,
			    &changed);
			dcells[ndiff] = (int64_t)changed;
		}
		if (sample != NULL && i == n / 2) {
			snprintf(path, sizeof path, "%s.ansi", sample);
			if (write_text(path, ansi) != 0)
				fprintf(stderr, "render: cannot write %s\n",
				    path);
		}
		free(prev->text);
		prev->text = NULL;
		if (have_curses) {
			size_t	bytes = curses_draw(&t, &r, &draw_ns[i]);

			if (i > 0)
				cbytes[ndiff] = (int64_t)bytes;
		}
		if (i > 0)
			ndiff++;
	}
	free(cells[0].text);
	free(cells[1].text);
	if (have_curses)
		curses_close(&t);

	printf("pane=%dx%d cells=%dx%d input=%dx%d setting=%s frames=%d "
	    "repeat=%d", pane_cols, pane_rows, cols, rows, want_w, want_h,
	    st->name, n, repeat);
	printf(" render_ms=%.4f render_ms_mean=%.4f ansi_ms=%.4f",
	    median(render_ns, n) / 1e6, mean(render_ns, n) / 1e6,
	    median(ansi_ns, n) / 1e6);
	printf(" full_bytes=%.0f diff_cells=%.0f diff_bytes=%.0f "
	    "diff_bytes_mean=%.0f", median(full, n), median(dcells, ndiff),
	    median(diff, ndiff), mean(diff, ndiff));
	if (have_curses)
		printf(" term=%s draw_ms=%.4f curses_bytes=%.0f "
		    "curses_bytes_mean=%.0f", term, median(draw_ns, n) / 1e6,
		    median(cbytes, ndiff), mean(cbytes, ndiff));
	else
		printf(" term=none");
	printf("\n");
	fflush(stdout);

	free(cells[0].off);
	free(cells[0].len);
	free(cells[1].off);
	free(cells[1].len);
	free(render_ns);
	free(ansi_ns);
	free(draw_ns);
	free(full);
	free(diff);
	free(dcells);
	free(cbytes);
	render_free(&r);
	return 0;
}

int
main(int argc, char **argv)
{
	struct setting	 settings[MAX_SETTINGS];
	struct frames	 f;
	const char	*term = "xterm-256color", *sample = NULL;
	char		 path[4096];
	int		 c, nsettings = 0, repeat = 5, sizes = 0, extracting = 0;
	int		 timing = 0;
	int		 pane_cols = 0, pane_rows = 0, rc = 0;

	while ((c = getopt(argc, argv, "n:o:p:Rs:T:xz")) != -1) {
		switch (c) {
		case 'n':
			repeat = atoi(optarg);
			if (repeat < 1)
				usage();
			break;
		case 'o':
			sample = optarg;
			break;
		case 'p':
			if (parse_size(optarg, &pane_cols, &pane_rows) != 0)
				usage();
			break;
		case 'R':
			timing = 1;
			break;
		case 's':
			if (nsettings == MAX_SETTINGS ||
			    parse_setting(optarg, &settings[nsettings]) != 0)
				usage();
			nsettings++;
			break;
		case 'T':
			term = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case 'x':
			extracting = 1;
			break;
		case 'z':
			sizes = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (timing) {
		if (argc < 1)
			usage();
		return run_timed(argv);
	}
	if (extracting) {
		if (argc < 3)
			usage();
		return extract(argv[0], argv[1], argv + 2, argc - 2);
	}
	if (pane_cols == 0)
		usage();
	if (sizes) {
		int	cols, rows, aw, ah, bw, bh;

		pane_sizes(pane_cols, pane_rows, &cols, &rows, &aw, &ah, &bw,
		    &bh);
		printf("cells=%dx%d ascii=%dx%d blocks=%dx%d\n", cols, rows,
		    aw, ah, bw, bh);
		return 0;
	}
	if (argc != 1 || nsettings == 0)
		usage();
	/* The half block is UTF-8 in ncurses only under a UTF-8 locale. */
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "");
	if (load_frames(argv[0], &f) != 0)
		return 1;
	for (int i = 0; i < nsettings; i++) {
		const char *s = NULL;

		if (sample != NULL) {
			snprintf(path, sizeof path, "%s-%s", sample,
			    settings[i].name);
			for (char *p = path + strlen(sample); *p != '\0'; p++)
				if (*p == '/')
					*p = '-';
			s = path;
		}
		if (run_setting(&settings[i], &f, pane_cols, pane_rows, repeat,
		    term, s) != 0)
			rc = 1;
	}
	for (int i = 0; i < f.n; i++) {
		free(f.data[i]);
		free(f.name[i]);
	}
	free(f.data);
	free(f.len);
	free(f.name);
	return rc;
}
