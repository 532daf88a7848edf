/* Where each pane of the TUI goes for a terminal size (no curses). */
#ifndef TVCHAT_LAYOUT_H
#define TVCHAT_LAYOUT_H

#define LAYOUT_MIN_COLS		40
#define LAYOUT_MIN_LINES	10
#define LAYOUT_ROSTER_MIN_COLS	70	/* narrower: no roster pane */

struct rect {
	int	y, x, h, w;
};

struct layout {
	int		ok;	/* 0: the terminal is too small */
	struct rect	title;
	struct rect	video;	/* h == 0 when hidden */
	struct rect	chat;
	struct rect	roster;	/* w == 0 when hidden */
	struct rect	status;
	struct rect	input;
};

void	layout_compute(struct layout *, int, int, int, int);

#endif
