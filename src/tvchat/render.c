/*
 * Pictures for the video pane, in two renderers. "ascii": decode the JPEG
 * (reduced while decoding when it is much larger than needed) and dither
 * it with libcaca into a canvas of the pane's size (no libcaca display:
 * the TUI copies the cells into curses); ordered dithering keeps still
 * parts of a moving picture stable from frame to frame, where
 * Floyd-Steinberg flickers. "blocks": scale to two pixels per cell and
 * draw each cell as an upper half block, the top pixel in the foreground
 * colour and the bottom one in the background, quantised here to the
 * xterm 256-colour palette or the 16 ANSI colours when the terminal has
 * no direct colour.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <caca.h>

#include "render.h"
#include "utf8.h"
#include "video.h"
#include "xmalloc.h"

/* Set up an empty renderer; 0 or -1. */
int
render_init(struct render *r)
{
	memset(r, 0, sizeof *r);
	r->mode = RENDER_ASCII;
	r->dither_mode = DITHER_ORDERED;
	r->charset = "ascii";
	r->canvas = caca_create_canvas(1, 1);
	return r->canvas == NULL ? -1 : 0;
}

/*
 * Change a setting: "render" ascii|blocks, "dither" none|ordered|fstein,
 * "charset" ascii|shades|blocks. Returns 0, or -1 for an unknown one.
 */
int
render_set(struct render *r, const char *what, const char *value)
{
	static const char *const charsets[] = { "ascii", "shades", "blocks" };

	if (strcmp(what, "render") == 0) {
		if (strcmp(value, "ascii") == 0)
			r->mode = RENDER_ASCII;
		else if (strcmp(value, "blocks") == 0)
			r->mode = RENDER_BLOCKS;
		else
			return -1;
		return 0;
	}
	if (strcmp(what, "dither") == 0) {
		if (strcmp(value, "none") == 0)
			r->dither_mode = DITHER_NONE;
		else if (strcmp(value, "ordered") == 0)
			r->dither_mode = DITHER_ORDERED;
		else if (strcmp(value, "fstein") == 0)
			r->dither_mode = DITHER_FSTEIN;
		else
			return -1;
		r->settings_changed = 1;
		return 0;
	}
	if (strcmp(what, "charset") == 0) {
		for (size_t i = 0; i < sizeof charsets / sizeof charsets[0];
		    i++) {
			if (strcmp(value, charsets[i]) == 0) {
				r->charset = charsets[i];
				r->settings_changed = 1;
				return 0;
			}
		}
	}
	return -1;
}

/* Return a short description like "ascii/ordered" or "blocks". */
const char *
render_describe(const struct render *r)
{
	static const char *const dithers[] = { "none", "ordered", "fstein" };
	static char	buf[64];

	if (r->mode == RENDER_BLOCKS)
		return "blocks";
	snprintf(buf, sizeof buf, "ascii/%s/%s", dithers[r->dither_mode],
	    r->charset);
	return buf;
}

/* Free the renderer. */
void
render_free(struct render *r)
{
	if (r->dither != NULL)
		caca_free_dither(r->dither);
	if (r->canvas != NULL)
		caca_free_canvas(r->canvas);
	free(r->pixels);
	free(r->top);
	free(r->bottom);
	memset(r, 0, sizeof *r);
}

/*
 * The cells (*cols x *rows) that show a picture of aspect aw:ah as large
 * as fits in a pane of pane_cols x pane_rows, with cells twice as tall as
 * wide.
 */
void
render_fit(int pane_cols, int pane_rows, int aw, int ah, int *cols, int *rows)
{
	if (aw <= 0 || ah <= 0) {
		aw = 16;
		ah = 9;
	}
	*cols = pane_cols;
	*rows = (int)((long)pane_cols * ah / (2L * aw));
	if (*rows > pane_rows) {
		*rows = pane_rows;
		*cols = (int)((long)pane_rows * 2 * aw / ah);
		if (*cols > pane_cols)
			*cols = pane_cols;
	}
	if (*cols < 1)
		*cols = 1;
	if (*rows < 1)
		*rows = 1;
}

/*
 * The picture size in pixels worth asking the server for, to fill cols x
 * rows cells: for ASCII two pixels across and four down per cell are
 * enough for libcaca's character choice, and much cheaper than full
 * frames; for blocks, one pixel across and two down.
 */
void
render_pixels_for(int cols, int rows, int blocks, int *w, int *h)
{
	if (blocks) {
		/* Exactly two pixels per cell: no scaling on our side. */
		*w = cols;
		*h = rows * 2;
		return;
	}
	*w = cols * 2;
	*h = rows * 4;
	if (*w < 16)
		*w = 16;
	if (*h < 16)
		*h = 16;
	*w += *w & 1;
	*h += *h & 1;
}

/* Make sure the dither matches a w x h picture. */
static int
need_dither(struct render *r, int w, int h)
{
	static const char *const algorithms[] = { "none", "ordered4",
	    "fstein" };

	if (r->dither != NULL && r->dither_w == w && r->dither_h == h &&
	    !r->settings_changed)
		return 0;
	if (r->dither != NULL)
		caca_free_dither(r->dither);
	r->dither = caca_create_dither(32, w, h, 4 * w, 0x00ff0000,
	    0x0000ff00, 0x000000ff, 0);
	if (r->dither == NULL)
		return -1;
	caca_set_dither_algorithm(r->dither, algorithms[r->dither_mode]);
	caca_set_dither_charset(r->dither, r->charset);
	caca_set_dither_color(r->dither, "full16");
	/* Antialiasing is most of libcaca's cost; the server pre-scales. */
	caca_set_dither_antialias(r->dither, "none");
	r->dither_w = w;
	r->dither_h = h;
	r->settings_changed = 0;
	return 0;
}

/* Squared perceptual ("redmean") distance between two colours. */
static uint32_t
distance(uint32_t a, uint32_t b)
{
	int	r1 = (int)(a >> 16), g1 = (int)(a >> 8 & 0xff), b1 = (int)(a & 0xff);
	int	r2 = (int)(b >> 16), g2 = (int)(b >> 8 & 0xff), b2 = (int)(b & 0xff);
	int	rm = (r1 + r2) / 2, dr = r1 - r2, dg = g1 - g2, db = b1 - b2;

	return (uint32_t)(((512 + rm) * dr * dr >> 8) + 4 * dg * dg +
	    ((767 - rm) * db * db >> 8));
}

/* The xterm colour cube's six levels. */
static const uint8_t cube[6] = { 0, 95, 135, 175, 215, 255 };

/* Return the index of the nearest cube level to v. */
static int
cube_level(int v)
{
	int	best = 0;

	for (int i = 1; i < 6; i++)
		if (abs(cube[i] - v) < abs(cube[best] - v))
			best = i;
	return best;
}

/*
 * Return the xterm-256 colour nearest to rgb (0xRRGGBB): the nearest
 * point of the 6x6x6 cube or of the 24-step grey ramp, whichever is
 * closer by the perceptual distance.
 */
uint8_t
render_xterm256(uint32_t rgb)
{
	int		 r = (int)(rgb >> 16), g = (int)(rgb >> 8 & 0xff);
	int		 b = (int)(rgb & 0xff), ri, gi, bi, grey, gi2;
	uint32_t	 c, gc;

	ri = cube_level(r);
	gi = cube_level(g);
	bi = cube_level(b);
	c = (uint32_t)cube[ri] << 16 | (uint32_t)cube[gi] << 8 | cube[bi];
	grey = (r + g + b) / 3;
	gi2 = grey < 8 ? 0 : grey > 238 ? 23 : (grey - 8 + 5) / 10;
	grey = 8 + 10 * gi2;
	gc = (uint32_t)grey << 16 | (uint32_t)grey << 8 | (uint32_t)grey;
	if (distance(rgb, gc) < distance(rgb, c))
		return (uint8_t)(232 + gi2);
	return (uint8_t)(16 + 36 * ri + 6 * gi + bi);
}

/* Return the nearest of the 16 ANSI colours (xterm's defaults). */
uint8_t
render_ansi16(uint32_t rgb)
{
	static const uint32_t ansi[16] = {
		0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
		0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
		0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff
	};
	uint8_t		best = 0;

	for (uint8_t i = 1; i < 16; i++)
		if (distance(rgb, ansi[i]) < distance(rgb, ansi[best]))
			best = i;
	return best;
}

/* The top and bottom colours (0xRRGGBB) of a blocks cell. */
void
render_cell_rgb(const struct render *r, int x, int y, uint32_t *top,
    uint32_t *bottom)
{
	*top = r->top[(size_t)y * r->cols + x];
	*bottom = r->bottom[(size_t)y * r->cols + x];
}

/*
 * Fill the blocks cells from an image of exactly cols x 2*rows pixels:
 * cell (x, y) takes pixel rows 2y (top) and 2y+1 (bottom).
 */
void
render_blocks_image(struct render *r, const struct video_image *img, int cols,
    int rows)
{
	size_t	n = (size_t)cols * rows;

	if (n > r->ncells) {
		r->top = xreallocarray(r->top, n, sizeof *r->top);
		r->bottom = xreallocarray(r->bottom, n, sizeof *r->bottom);
		r->ncells = n;
	}
	for (int y = 0; y < rows; y++) {
		const uint8_t *t = img->bgr + (size_t)(2 * y) * cols * 3;
		const uint8_t *b = t + (size_t)cols * 3;

		for (int x = 0; x < cols; x++) {
			r->top[(size_t)y * cols + x] = (uint32_t)t[3 * x + 2]
			    << 16 | (uint32_t)t[3 * x + 1] << 8 | t[3 * x];
			r->bottom[(size_t)y * cols + x] = (uint32_t)b[3 * x + 2]
			    << 16 | (uint32_t)b[3 * x + 1] << 8 | b[3 * x];
		}
	}
	r->cols = cols;
	r->rows = rows;
}

/*
 * Decode a JPEG and draw it into cols x rows cells with the current
 * renderer. Returns 0, or -1 with err (VIDEO_ERR_LEN bytes) filled; the
 * last picture stays then.
 */
int
render_jpeg(struct render *r, const uint8_t *jpeg, size_t len, int cols,
    int rows, char *err)
{
	struct video_image	img;
	int			reduce = 1;
	size_t			n;

	if (cols < 1 || rows < 1 || cols > 4096 || rows > 4096)
		return -1;
	/* Peek at the size in the JPEG's SOF is overkill: the server sends
	 * what we asked for, so only a much larger picture is reduced. */
	if (video_decode_jpeg(jpeg, len, 1, &img, err) != 0)
		return -1;
	while (reduce < 8 && img.width / (reduce * 2) >= cols * 2 &&
	    img.height / (reduce * 2) >= rows * 4)
		reduce *= 2;
	if (reduce > 1) {
		video_image_free(&img);
		if (video_decode_jpeg(jpeg, len, reduce, &img, err) != 0)
			return -1;
	}
	if (r->mode == RENDER_BLOCKS) {
		struct video_image scaled;

		if (img.width == cols && img.height == 2 * rows) {
			render_blocks_image(r, &img, cols, rows);
			video_image_free(&img);
			return 0;
		}
		if (video_image_scale(&img, cols, 2 * rows, &scaled, err) !=
		    0) {
			video_image_free(&img);
			return -1;
		}
		video_image_free(&img);
		render_blocks_image(r, &scaled, cols, rows);
		video_image_free(&scaled);
		return 0;
	}
	n = (size_t)img.width * img.height;
	if (n > r->npixels) {
		r->pixels = xreallocarray(r->pixels, n, sizeof *r->pixels);
		r->npixels = n;
	}
	for (size_t i = 0; i < n; i++)
		r->pixels[i] = ((uint32_t)img.bgr[3 * i + 2] << 16) |
		    ((uint32_t)img.bgr[3 * i + 1] << 8) | img.bgr[3 * i];
	if (need_dither(r, img.width, img.height) != 0 ||
	    caca_set_canvas_size(r->canvas, cols, rows) != 0) {
		video_image_free(&img);
		return -1;
	}
	video_image_free(&img);
	caca_dither_bitmap(r->canvas, 0, 0, cols, rows, r->dither, r->pixels);
	r->cols = cols;
	r->rows = rows;
	return 0;
}

/*
 * The character and the ANSI colours (0-15, or -1 for default) of cell
 * (x, y) of the last picture.
 */
void
render_cell(const struct render *r, int x, int y, uint32_t *ch, int *fg,
    int *bg)
{
	uint32_t	attr = caca_get_attr(r->canvas, x, y);
	uint8_t		f = caca_attr_to_ansi_fg(attr);
	uint8_t		b = caca_attr_to_ansi_bg(attr);

	*ch = caca_get_char(r->canvas, x, y);
	/* ASCII, or the shades and blocks charsets' block characters. */
	if (*ch < 0x20 || (*ch >= 0x7f && *ch < 0xa0) || *ch > 0xffff)
		*ch = ' ';
	*fg = f < 16 ? f : -1;
	*bg = b < 16 ? b : -1;
}

/* Return the last picture's characters as text, one line per row. */
char *
render_text(const struct render *r)
{
	char		*s = xmalloc((size_t)(4 * r->cols + 1) * r->rows + 1);
	char		*o = s;
	uint32_t	 ch;
	int		 fg, bg;

	for (int y = 0; y < r->rows; y++) {
		for (int x = 0; x < r->cols; x++) {
			render_cell(r, x, y, &ch, &fg, &bg);
			o += utf8_encode(ch, o);
		}
		*o++ = '\n';
	}
	*o = '\0';
	return s;
}

/* Map a libcaca ANSI colour (blue = 1) to the terminal's (red = 1). */
static int
caca_to_ansi(int c)
{
	static const int map[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

	return map[c & 7] | (c & 8);
}

/*
 * Return the last picture as terminal text with SGR colour sequences,
 * one line per row: ASCII cells in the 16 ANSI colours, blocks as upper
 * half blocks in 256 colours (or 24-bit with truecolor). A new string.
 */
char *
render_ansi(const struct render *r, int truecolor)
{
	size_t		 size = (size_t)r->cols * r->rows * 48 + 16;
	char		*s = xmalloc(size), *o = s;
	uint32_t	 ch, top, bottom;
	int		 fg, bg;

	for (int y = 0; y < r->rows; y++) {
		for (int x = 0; x < r->cols; x++) {
			if (r->mode == RENDER_BLOCKS) {
				render_cell_rgb(r, x, y, &top, &bottom);
				if (truecolor)
					o += sprintf(o, "\033[38;2;%u;%u;%um"
					    "\033[48;2;%u;%u;%um\xe2\x96\x80",
					    top >> 16, top >> 8 & 0xff,
					    top & 0xff, bottom >> 16,
					    bottom >> 8 & 0xff, bottom & 0xff);
				else
					o += sprintf(o, "\033[38;5;%um\033[48;5;"
					    "%um\xe2\x96\x80",
					    render_xterm256(top),
					    render_xterm256(bottom));
			} else {
				render_cell(r, x, y, &ch, &fg, &bg);
				o += sprintf(o, "\033[38;5;%dm\033[48;5;%dm",
				    fg < 0 ? 7 : caca_to_ansi(fg),
				    bg < 0 ? 0 : caca_to_ansi(bg));
				o += utf8_encode(ch, o);
			}
		}
		o += sprintf(o, "\033[0m\n");
	}
	*o = '\0';
	return s;
}
