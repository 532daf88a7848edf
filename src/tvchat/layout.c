/*
 * The TUI's layout: a title bar on top, the chat pane (with the video pane
 * above it while a stream plays) beside the roster, then the status bar
 * and the input line at the bottom. Pure arithmetic, tested for every
 * size from the minimum up.
 */
#include "config.h"

#include <string.h>

#include "layout.h"

/*
 * Compute the panes for a cols x lines terminal. The roster is shown if
 * roster_on and the terminal is wide enough; the video pane if video_on,
 * taking about three fifths of the middle rows.
 */
void
layout_compute(struct layout *l, int cols, int lines, int roster_on,
    int video_on)
{
	int	middle, roster_w, left_w;

	memset(l, 0, sizeof *l);
	if (cols < LAYOUT_MIN_COLS || lines < LAYOUT_MIN_LINES)
		return;
	l->ok = 1;
	l->title = (struct rect){ 0, 0, 1, cols };
	l->status = (struct rect){ lines - 2, 0, 1, cols };
	l->input = (struct rect){ lines - 1, 0, 1, cols };
	middle = lines - 3;

	left_w = cols;
	if (roster_on && cols >= LAYOUT_ROSTER_MIN_COLS) {
		roster_w = cols / 5;
		if (roster_w < 16)
			roster_w = 16;
		if (roster_w > 28)
			roster_w = 28;
		/* One column between the panes for a separator. */
		l->roster = (struct rect){ 1, cols - roster_w, middle,
		    roster_w };
		left_w = cols - roster_w - 1;
	}
	if (video_on) {
		int video_h = middle * 3 / 5;

		if (middle - video_h < 3)
			video_h = middle - 3;
		l->video = (struct rect){ 1, 0, video_h, left_w };
		l->chat = (struct rect){ 1 + video_h, 0, middle - video_h,
		    left_w };
	} else
		l->chat = (struct rect){ 1, 0, middle, left_w };
}
