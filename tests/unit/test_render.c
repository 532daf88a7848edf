/* Unit tests for render.c: colour quantisers, half blocks, ASCII art. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "video.h"

/* Return the RGB of xterm-256 colour i (16..255). */
static uint32_t
xterm_rgb(int i)
{
	static const int levels[6] = { 0, 95, 135, 175, 215, 255 };

	if (i >= 232) {
		int g = 8 + 10 * (i - 232);

		return (uint32_t)(g << 16 | g << 8 | g);
	}
	i -= 16;
	return (uint32_t)(levels[i / 36] << 16 | levels[i / 6 % 6] << 8 |
	    levels[i % 6]);
}

static void
test_xterm256_exact(void **state)
{
	(void)state;
	/* Every palette colour maps to itself (or its grey twin). */
	for (int i = 16; i < 256; i++) {
		uint8_t q = render_xterm256(xterm_rgb(i));

		assert_int_equal(xterm_rgb(q), xterm_rgb(i));
	}
	assert_int_equal(render_xterm256(0x000000), 16);
	assert_int_equal(render_xterm256(0xffffff), 231);
	assert_int_equal(render_xterm256(0xff0000), 196);
	assert_int_equal(render_xterm256(0x00ff00), 46);
	assert_int_equal(render_xterm256(0x0000ff), 21);
	/* A mid grey is closer to the grey ramp than to the cube. */
	assert_int_equal(render_xterm256(0x767676), 243);
}

static void
test_xterm256_nearest(void **state)
{
	(void)state;
	/* Near colours land on the nearest cube point. */
	assert_int_equal(render_xterm256(0xfa0505), 196);
	assert_int_equal(render_xterm256(0x5a5fff), 63);
	/* The result is never further than a neighbour's step. */
	for (uint32_t c = 0; c < 0x1000000; c += 0x010305) {
		uint32_t q = xterm_rgb(render_xterm256(c));
		int dr = (int)(q >> 16) - (int)(c >> 16);
		int dg = (int)(q >> 8 & 0xff) - (int)(c >> 8 & 0xff);
		int db = (int)(q & 0xff) - (int)(c & 0xff);

		assert_true(abs(dr) <= 60 && abs(dg) <= 60 && abs(db) <= 60);
	}
}

static void
test_ansi16(void **state)
{
	(void)state;
	assert_int_equal(render_ansi16(0x000000), 0);
	assert_int_equal(render_ansi16(0xcd0000), 1);
	assert_int_equal(render_ansi16(0x00c000), 2);
	assert_int_equal(render_ansi16(0x00ee00), 10);
	assert_int_equal(render_ansi16(0xffffff), 15);
	assert_int_equal(render_ansi16(0x0000f0), 4);
	assert_int_equal(render_ansi16(0xfafa10), 11);
}

static void
test_blocks_cells(void **state)
{
	struct render		r;
	struct video_image	img;
	uint8_t			px[3 * 2 * 4];
	uint32_t		top, bottom;

	(void)state;
	assert_int_equal(render_init(&r), 0);
	/* 2 x 4 pixels: cells (0,0) red over green, (1,0) blue over white,
	 * (0,1) black over grey, (1,1) yellow over cyan. BGR order. */
	static const uint32_t rgb[8] = {
		0xff0000, 0x0000ff, 0x00ff00, 0xffffff,
		0x000000, 0xffff00, 0x808080, 0x00ffff
	};
	for (int i = 0; i < 8; i++) {
		px[3 * i] = (uint8_t)rgb[i];
		px[3 * i + 1] = (uint8_t)(rgb[i] >> 8);
		px[3 * i + 2] = (uint8_t)(rgb[i] >> 16);
	}
	img.width = 2;
	img.height = 4;
	img.bgr = px;
	render_blocks_image(&r, &img, 2, 2);
	assert_int_equal(r.cols, 2);
	assert_int_equal(r.rows, 2);
	render_cell_rgb(&r, 0, 0, &top, &bottom);
	assert_int_equal(top, 0xff0000);
	assert_int_equal(bottom, 0x00ff00);
	render_cell_rgb(&r, 1, 0, &top, &bottom);
	assert_int_equal(top, 0x0000ff);
	assert_int_equal(bottom, 0xffffff);
	render_cell_rgb(&r, 0, 1, &top, &bottom);
	assert_int_equal(top, 0x000000);
	assert_int_equal(bottom, 0x808080);
	render_cell_rgb(&r, 1, 1, &top, &bottom);
	assert_int_equal(top, 0xffff00);
	assert_int_equal(bottom, 0x00ffff);
	render_free(&r);
}

static void
test_fit_and_pixels(void **state)
{
	int	c, rw, w, h;

	(void)state;
	render_fit(80, 40, 16, 9, &c, &rw);
	assert_int_equal(c, 80);
	assert_int_equal(rw, 22);
	render_fit(80, 10, 16, 9, &c, &rw);
	assert_int_equal(rw, 10);
	assert_int_equal(c, 35);
	render_pixels_for(80, 22, 0, &w, &h);
	assert_int_equal(w, 160);
	assert_int_equal(h, 88);
	render_pixels_for(80, 22, 1, &w, &h);
	assert_int_equal(w, 80);
	assert_int_equal(h, 44);
}

static void
test_settings(void **state)
{
	struct render	r;

	(void)state;
	assert_int_equal(render_init(&r), 0);
	assert_string_equal(render_describe(&r), "ascii/ordered/ascii");
	assert_int_equal(render_set(&r, "dither", "fstein"), 0);
	assert_int_equal(render_set(&r, "charset", "shades"), 0);
	assert_string_equal(render_describe(&r), "ascii/fstein/shades");
	assert_int_equal(render_set(&r, "render", "blocks"), 0);
	assert_string_equal(render_describe(&r), "blocks");
	assert_int_equal(render_set(&r, "render", "sixel"), -1);
	assert_int_equal(render_set(&r, "dither", "random"), -1);
	assert_int_equal(render_set(&r, "charset", "emoji"), -1);
	assert_int_equal(render_set(&r, "colour", "x"), -1);
	render_free(&r);
}

static void
test_ascii_of_bad_jpeg(void **state)
{
	struct render	r;
	char		err[VIDEO_ERR_LEN];
	uint8_t		junk[64] = { 0xff, 0xd8, 1, 2, 3 };

	(void)state;
	assert_int_equal(render_init(&r), 0);
	assert_int_equal(render_jpeg(&r, junk, sizeof junk, 20, 10, err), -1);
	assert_int_equal(r.cols, 0);
	render_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xterm256_exact),
		cmocka_unit_test(test_xterm256_nearest),
		cmocka_unit_test(test_ansi16),
		cmocka_unit_test(test_blocks_cells),
		cmocka_unit_test(test_fit_and_pixels),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_ascii_of_bad_jpeg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
