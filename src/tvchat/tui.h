/* The full-screen ncurses interface of tvchat. */
#ifndef TVCHAT_TUI_H
#define TVCHAT_TUI_H

#include <stdint.h>

#include "chatlog.h"
#include "client.h"
#include "input.h"
#include "layout.h"
#include "render.h"

/* How to (re)connect: kept for reconnecting with backoff. */
struct tui_target {
	const char		*host;
	int			 port;
	const char		*name;
	struct crypto_key	*identity;
	struct knownkeys	*known;
	char			 server[300];
	int			 want_window;	/* --window */
	const char		*render;	/* --render, or NULL */
	double			 max_output;	/* --max-output KB/s, 0: none */
};

/* The video being shown (the stream announced by the server). */
struct tui_video {
	int			 active;
	uint32_t		 id;
	char			 name[VIDEO_NAME_MAX_LEN + 1];
	char			 quality[8];
	double			 fps;
	double			 duration;
	int			 req_w, req_h;	/* pixel size we asked for */
	int			 paused;
	struct render		 render;
	int			 have_picture;
	int			 cols, rows;	/* cells of the picture */
	uint32_t		 pts_ms;
	uint32_t		 next_seq;
	uint64_t		 frames, dropped;
	uint64_t		 skipped;	/* the terminal was behind */
	int64_t			 rate_start;	/* for frames per second */
	int			 rate_frames;
	double			 rate;
	struct viewer		*viewer;	/* the popup window, or NULL */
	/* What each cell of the pane shows now, so a new frame only
	 * touches the cells that change. */
	uint64_t		*cells;
	size_t			 ncells;
	int			 cells_valid;
};

struct tui {
	struct tui_target	*target;
	struct client		 client;
	int			 connected;
	int64_t			 reconnect_at;	/* ms, monotonic; 0: none */
	int			 backoff_ms;
	struct chatlog		 log;
	struct input		 in;
	struct layout		 lay;
	int			 cols, rows;
	int			 scroll;	/* rows up from the bottom */
	size_t			 unread;	/* lines added while scrolled */
	int			 colors;	/* terminal has colours */
	int			 video_colours;	/* 16 or 8 */
	int			 want_window;	/* video goes to the popup */
	int64_t			 out_at;	/* terminal output rate */
	uint64_t		 out_total, out_sock;
	double			 out_rate;	/* KB/s (bytes per ms) */
	int			 quit;
	int			 dirty;		/* redraw everything */
	int			 video_dirty;	/* redraw the picture only */
	struct tui_video	 video;
};

struct viewer;

int	tui_run(struct tui_target *);
void	tui_video_size(struct tui *, int *, int *);
void	tui_window(struct tui *, int);
int	tui_render(struct tui *, const char *, const char *, const char *);
void	tui_system(struct tui *, enum line_kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	tui_command(struct tui *, const char *);
size_t	tui_complete(void *, const char *, int, char ***);

#endif
