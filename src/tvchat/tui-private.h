/*
 * What the files of the interface share (tui.c: set-up and the loop;
 * tui-event.c: events into the scrollback; tui-video.c: the video pane;
 * tui-draw.c: drawing; tui-key.c: keys; tui-command.c: the /commands).
 * A file calls only those after it in this list: tui.c, tui-key.c,
 * tui-command.c, tui-draw.c, tui-video.c, tui-event.c.
 */
#ifndef TVCHAT_TUI_PRIVATE_H
#define TVCHAT_TUI_PRIVATE_H

#include <stdint.h>

#include <json-c/json.h>

#include "chatlog.h"
#include "client.h"
#include "input.h"
#include "layout.h"
#include "render.h"
#include "tui.h"

/* Colour pairs. */
enum {
	PAIR_TITLE = 1,
	PAIR_SYSTEM,
	PAIR_ERROR,
	PAIR_WARNING,
	PAIR_DIRECT,
	PAIR_TIME,
	PAIR_SELF,
	PAIR_NAME0,	/* PAIR_NAME0 .. +5: colours for names */
	PAIR_VIDEO0 = 64,	/* video cells: 16 x 16 (or 8 x 8) pairs */
};
#define NAME_COLOURS	6

struct viewer;

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

/* One event type and its handler; a table ends with a NULL type. */
struct tui_handler {
	const char	*type;
	void		(*run)(struct tui *, json_object *);
};

/* tui-event.c */
extern const struct tui_handler tui_event_handlers[];
void	tui_system(struct tui *, enum line_kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
const char *tui_event_str(json_object *, const char *);
char	*tui_event_list(json_object *);

/* tui-video.c */
extern const struct tui_handler tui_video_handlers[];
void	tui_video_frame(void *, const struct video_header *, const uint8_t *,
	    size_t);
void	tui_video_draw(struct tui *);
void	tui_video_size(struct tui *, int *, int *);
void	tui_video_resized(struct tui *);
void	tui_video_window(struct tui *, int);
void	tui_video_window_gone(struct tui *);
int	tui_video_render(struct tui *, const char *, const char *,
	    const char *);
void	tui_video_closed(struct tui *);
void	tui_video_measure_output(struct tui *);

/* tui-draw.c */
void	tui_draw_colours(struct tui *);
void	tui_draw(struct tui *);
void	tui_draw_frame(struct tui *);

/* tui-command.c */
int	tui_command_run(struct tui *, const char *);
size_t	tui_command_complete(void *, const char *, int, char ***);

/* tui-key.c */
void	tui_key_read(struct tui *);

#endif
