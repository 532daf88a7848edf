/* Unit tests for layout.c: the TUI's panes for every terminal size. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "layout.h"

#define SIZE_MAX_COLS	300
#define SIZE_MAX_LINES	100

/* Return 1 if r has no cells. */
static int
rect_empty(const struct rect *r)
{
	return r->h == 0 || r->w == 0;
}

/* Return 1 if r lies inside a cols x lines screen (empty rects do). */
static int
rect_inside(const struct rect *r, int cols, int lines)
{
	if (r->h < 0 || r->w < 0)
		return 0;
	if (rect_empty(r))
		return 1;
	return r->y >= 0 && r->x >= 0 && r->y + r->h <= lines &&
	    r->x + r->w <= cols;
}

/* Return 1 if a and b share a cell. */
static int
rect_overlap(const struct rect *a, const struct rect *b)
{
	if (rect_empty(a) || rect_empty(b))
		return 0;
	return a->x < b->x + b->w && b->x < a->x + a->w &&
	    a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Return the cells of r. */
static long
rect_area(const struct rect *r)
{
	return (long)r->h * r->w;
}

/* Check every property of the layout for one size; fail with a message. */
static void
check_layout(int cols, int lines, int roster_on, int video_on)
{
	struct layout	 l;
	const struct rect *panes[6];
	const char	*names[6] = { "title", "video", "chat", "roster",
	    "status", "input" };
	int		 has_roster, sep;
	long		 area = 0;

	layout_compute(&l, cols, lines, roster_on, video_on);
	panes[0] = &l.title;
	panes[1] = &l.video;
	panes[2] = &l.chat;
	panes[3] = &l.roster;
	panes[4] = &l.status;
	panes[5] = &l.input;

	if (!l.ok)
		fail_msg("%dx%d r%d v%d: not ok", cols, lines, roster_on,
		    video_on);
	for (int i = 0; i < 6; i++) {
		if (!rect_inside(panes[i], cols, lines))
			fail_msg("%dx%d r%d v%d: %s {%d,%d,%d,%d} off screen",
			    cols, lines, roster_on, video_on, names[i],
			    panes[i]->y, panes[i]->x, panes[i]->h,
			    panes[i]->w);
		for (int j = i + 1; j < 6; j++)
			if (rect_overlap(panes[i], panes[j]))
				fail_msg("%dx%d r%d v%d: %s overlaps %s",
				    cols, lines, roster_on, video_on,
				    names[i], names[j]);
		area += rect_area(panes[i]);
	}

	/* Fixed rows: title on top, status and input at the bottom. */
	if (l.title.y != 0 || l.title.x != 0 || l.title.h != 1 ||
	    l.title.w != cols)
		fail_msg("%dx%d: title not the whole top row", cols, lines);
	if (l.input.y != lines - 1 || l.input.x != 0 || l.input.h != 1 ||
	    l.input.w != cols)
		fail_msg("%dx%d: input not the whole last row", cols, lines);
	if (l.status.y != lines - 2 || l.status.x != 0 || l.status.h != 1 ||
	    l.status.w != cols)
		fail_msg("%dx%d: status not the row above input", cols, lines);

	if (l.chat.h < 3)
		fail_msg("%dx%d r%d v%d: chat has %d rows", cols, lines,
		    roster_on, video_on, l.chat.h);
	if (l.chat.x != 0)
		fail_msg("%dx%d: chat not at the left edge", cols, lines);

	has_roster = roster_on && cols >= LAYOUT_ROSTER_MIN_COLS;
	if (has_roster != !rect_empty(&l.roster))
		fail_msg("%dx%d r%d: roster shown %d", cols, lines, roster_on,
		    !rect_empty(&l.roster));
	if (has_roster) {
		if (l.roster.w < 16 || l.roster.w > 28)
			fail_msg("%dx%d: roster width %d", cols, lines,
			    l.roster.w);
		if (l.roster.x + l.roster.w != cols)
			fail_msg("%dx%d: roster not at the right edge", cols,
			    lines);
		sep = 1;
	} else
		sep = 0;
	if (l.chat.w + sep + l.roster.w != cols)
		fail_msg("%dx%d r%d: chat %d + sep %d + roster %d != cols",
		    cols, lines, roster_on, l.chat.w, sep, l.roster.w);

	if (video_on) {
		if (l.video.h < 1 || l.video.w != l.chat.w ||
		    l.video.x != l.chat.x)
			fail_msg("%dx%d r%d: video {%d,%d,%d,%d}", cols, lines,
			    roster_on, l.video.y, l.video.x, l.video.h,
			    l.video.w);
		if (l.video.y != 1 || l.chat.y != l.video.y + l.video.h)
			fail_msg("%dx%d: video not above chat", cols, lines);
	} else {
		if (l.video.h != 0)
			fail_msg("%dx%d: hidden video has %d rows", cols,
			    lines, l.video.h);
		if (l.chat.y != 1)
			fail_msg("%dx%d: chat not below title", cols, lines);
	}

	/* Disjoint panes plus the separator column cover the screen. */
	area += (long)sep * (lines - 3);
	if (area != (long)cols * lines)
		fail_msg("%dx%d r%d v%d: panes cover %ld of %ld cells", cols,
		    lines, roster_on, video_on, area, (long)cols * lines);
}

/* Every size from the minimum to 300x100, every pane combination. */
static void
test_all_sizes(void **state)
{
	(void)state;
	for (int cols = LAYOUT_MIN_COLS; cols <= SIZE_MAX_COLS; cols++)
		for (int lines = LAYOUT_MIN_LINES; lines <= SIZE_MAX_LINES;
		    lines++)
			for (int f = 0; f < 4; f++)
				check_layout(cols, lines, f & 1, f >> 1);
}

/* Below the minimum size the layout says so and has no panes. */
static void
test_too_small(void **state)
{
	struct layout	l;

	(void)state;
	for (int cols = 0; cols <= SIZE_MAX_COLS; cols++)
		for (int lines = 0; lines <= SIZE_MAX_LINES; lines++) {
			if (cols >= LAYOUT_MIN_COLS &&
			    lines >= LAYOUT_MIN_LINES)
				continue;
			for (int f = 0; f < 4; f++) {
				layout_compute(&l, cols, lines, f & 1, f >> 1);
				if (l.ok != 0)
					fail_msg("%dx%d: ok", cols, lines);
			}
		}
	layout_compute(&l, LAYOUT_MIN_COLS, LAYOUT_MIN_LINES, 1, 1);
	assert_int_equal(l.ok, 1);
	layout_compute(&l, LAYOUT_MIN_COLS - 1, 50, 1, 1);
	assert_int_equal(l.ok, 0);
	layout_compute(&l, 120, LAYOUT_MIN_LINES - 1, 0, 0);
	assert_int_equal(l.ok, 0);
}

/* The roster appears exactly from LAYOUT_ROSTER_MIN_COLS up. */
static void
test_roster_threshold(void **state)
{
	struct layout	l;

	(void)state;
	layout_compute(&l, LAYOUT_ROSTER_MIN_COLS - 1, 24, 1, 0);
	assert_int_equal(l.roster.w, 0);
	assert_int_equal(l.chat.w, LAYOUT_ROSTER_MIN_COLS - 1);
	layout_compute(&l, LAYOUT_ROSTER_MIN_COLS, 24, 1, 0);
	assert_in_range(l.roster.w, 16, 28);
	assert_int_equal(l.roster.y, 1);
	assert_int_equal(l.roster.h, 24 - 3);
	layout_compute(&l, LAYOUT_ROSTER_MIN_COLS, 24, 0, 0);
	assert_int_equal(l.roster.w, 0);
	assert_int_equal(l.chat.w, LAYOUT_ROSTER_MIN_COLS);
	/* Very wide: the roster stops growing. */
	layout_compute(&l, 1000, 24, 1, 0);
	assert_int_equal(l.roster.w, 28);
	assert_int_equal(l.chat.w, 1000 - 28 - 1);
}

/* The video pane takes rows from the chat pane, never all of them. */
static void
test_video_split(void **state)
{
	struct layout	with, without;

	(void)state;
	for (int lines = LAYOUT_MIN_LINES; lines <= SIZE_MAX_LINES; lines++) {
		layout_compute(&without, 80, lines, 1, 0);
		layout_compute(&with, 80, lines, 1, 1);
		int middle = without.chat.h;

		assert_int_equal(with.video.h + with.chat.h, middle);
		assert_true(with.video.h >= 1);
		assert_true(with.chat.h >= 3);
		/* About three fifths, unless the chat pane needs the rows. */
		if (with.chat.h > 3) {
			assert_true(with.video.h * 2 >= middle);
			assert_true(with.video.h * 3 <= middle * 2);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_sizes),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_roster_threshold),
		cmocka_unit_test(test_video_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
