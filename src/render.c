/*
 * Colour ASCII art for the video pane: decode the JPEG (reduced while
 * decoding when it is much larger than needed), dither it with libcaca
 * into a canvas of the pane's size (no libcaca display: the TUI copies
 * the cells into curses). Ordered dithering keeps still parts of a moving
 * picture stable from frame to frame, where Floyd-Steinberg flickers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <caca.h>

#include "render.h"
#include "video.h"
#include "xmalloc.h"

/* Set up an empty renderer; 0 or -1. */
int
render_init(struct render *r)
{
	memset(r, 0, sizeof *r);
	r->canvas = caca_create_canvas(1, 1);
	return r->canvas == NULL ? -1 : 0;
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
 * rows cells: two pixels across and four down per cell are enough for
 * libcaca's character choice, and much cheaper than full frames.
 */
void
render_pixels_for(int cols, int rows, int *w, int *h)
{
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
	if (r->dither != NULL && r->dither_w == w && r->dither_h == h)
		return 0;
	if (r->dither != NULL)
		caca_free_dither(r->dither);
	r->dither = caca_create_dither(32, w, h, 4 * w, 0x00ff0000,
	    0x0000ff00, 0x000000ff, 0);
	if (r->dither == NULL)
		return -1;
	caca_set_dither_algorithm(r->dither, "ordered4");
	caca_set_dither_charset(r->dither, "ascii");
	caca_set_dither_color(r->dither, "full16");
	r->dither_w = w;
	r->dither_h = h;
	return 0;
}

/*
 * Decode a JPEG and dither it into cols x rows cells. Returns 0, or -1
 * with err (VIDEO_ERR_LEN bytes) filled; the last picture stays then.
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
	if (*ch < 0x20 || *ch > 0x7e)
		*ch = ' ';
	*fg = f < 16 ? f : -1;
	*bg = b < 16 ? b : -1;
}

/* Return the last picture's characters as text, one line per row. */
char *
render_text(const struct render *r)
{
	char		*s = xmalloc((size_t)(r->cols + 1) * r->rows + 1), *o = s;
	uint32_t	 ch;
	int		 fg, bg;

	for (int y = 0; y < r->rows; y++) {
		for (int x = 0; x < r->cols; x++) {
			render_cell(r, x, y, &ch, &fg, &bg);
			*o++ = (char)ch;
		}
		*o++ = '\n';
	}
	*o = '\0';
	return s;
}
