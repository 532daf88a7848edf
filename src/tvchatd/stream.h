/*
 * One session's video stream (stream.c, stream-private.c, stream-out.c):
 * pacing, quality, latest-frame-wins output.
 */
#ifndef TVCHAT_STREAM_H
#define TVCHAT_STREAM_H

#include <stdint.h>

#include <json-c/json.h>

#include "frame.h"
#include "library.h"
#include "player.h"
#include "presence.h"
#include "video.h"

/* A new frame waits while the kernel holds more than this for the client,
 * looking again this often. */
#define STREAM_KERNEL_QUEUE_MAX	(64 * 1024)
#define STREAM_HOLD_RECHECK_MS	10
/* The largest picture a stream of one's own is encoded at. */
#define STREAM_SIZE_MAX_W	2560
#define STREAM_SIZE_MAX_H	1440

typedef void (*stream_send_fn)(void *, json_object *);

/* One frame on its way out: our headers, then the JPEG (ours, or pinned
 * in a shared player's ring). */
struct stream_out {
	int			 used;
	uint8_t			 head[FRAME_HEADER_LEN + VIDEO_HEADER_LEN];
	const uint8_t		*data;
	size_t			 len;
	size_t			 off;		/* bytes of head+data written */
	uint8_t			*owned;		/* data to free, or NULL */
	struct player_frame	*pin;		/* frame to unpin, or NULL */
	int			 key;		/* it has VIDEO_FLAG_KEY */
};

struct stream {
	struct library		*lib;
	stream_send_fn		 send;
	void			*arg;
	int			 active;
	int			 paused;
	uint32_t		 id;
	char			 name[VIDEO_NAME_MAX_LEN + 1];
	int			 qi;		/* quality index 0..2 */
	int			 auto_quality;
	int			 w, h;		/* the picture sent */
	int			 want_w, want_h;	/* as asked */
	struct video		*v;		/* our own decoder, or NULL */
	struct presence		*presence;	/* counts private streams */
	const struct presence_ref *user;	/* our user's slot */
	int			 private_held;	/* v counts as one */
	struct video_info	 info;
	double			 frame_ms;
	int64_t			 base_ms;	/* when base_frame was due */
	int64_t			 base_frame;
	uint32_t		 seq;
	int			 key;		/* next frame starts afresh */
	/* Output: the frame being written, and the newest one waiting. */
	struct stream_out	 cur;
	struct stream_out	 next;
	int			 held;		/* for the kernel's queue */
	/* A shared player's stream instead of our own decoding. */
	struct player_table	*players;
	struct player_ref	 pref;
	int			 shared;
	uint32_t		 shared_seq;	/* player's seq last taken */
	uint32_t		 shared_pts_ms;	/* and its time */
	char			 watch_room[ROOM_MAX_LEN + 1];	/* together */
	uint32_t		 watch_seen;	/* player's applied_gen seen */
	char			 me[NAME_MAX_LEN + 1];	/* for "by" */
	/* Counters, and the window that drives the automatic quality. */
	uint64_t		 sent, dropped;
	int64_t			 window_start;
	int			 window_frames, window_drops;
	int64_t			 clean_since;
};

void	stream_init(struct stream *, struct library *, struct player_table *,
	    struct presence *, const struct presence_ref *, stream_send_fn,
	    void *);
void	stream_free(struct stream *);
void	stream_request(struct stream *, json_object *, int64_t);
json_object *stream_watch(struct stream *, json_object *, int64_t,
	    const char *);
int	stream_timeout(const struct stream *, int64_t);
void	stream_tick(struct stream *, int64_t);
/* stream-out.c */
int	stream_pending(struct stream *, int);
int	stream_mid_frame(const struct stream *);
int	stream_write(struct stream *, int);

#endif
