/*
 * One session's video stream. Frames are decoded on a schedule at the
 * source frame rate (never as fast as possible), scaled to the size the
 * client asked for, JPEG-encoded and framed with the video header. Output
 * is latest-frame-wins: a frame not yet started on the socket is replaced
 * by a newer one and counted as dropped; a frame being written is always
 * finished, and the session writes control and chat bytes before starting
 * a new frame, so chat never waits behind video. With quality "auto" the
 * stream steps down when frames drop and back up after a clean stretch.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "stream.h"
#include "xmalloc.h"

#define AUTO_WINDOW_MS		2000	/* judge drops over this long */
#define AUTO_DROP_RATIO		0.10	/* more dropped than this: step down */
#define AUTO_CLEAN_MS		10000	/* this long without drops: step up */
#define AUTO_START		1	/* 720p, if the title has it */
#define LATE_SKIP_FRAMES	2	/* this late: skip frames to catch up */

/* Set up an idle stream; send delivers messages to the client. */
void
stream_init(struct stream *st, struct library *lib, stream_send_fn send,
    void *arg)
{
	memset(st, 0, sizeof *st);
	st->lib = lib;
	st->send = send;
	st->arg = arg;
}

/* Drop the frames waiting to be sent (a partly sent one is kept). */
static void
drop_pending(struct stream *st)
{
	free(st->next);
	st->next = NULL;
	st->next_len = 0;
}

/* End the current stream (if any) with reason; message may be NULL. */
static void
end_stream(struct stream *st, const char *reason, const char *message)
{
	if (!st->active)
		return;
	video_close(st->v);
	st->v = NULL;
	st->active = 0;
	drop_pending(st);
	st->send(st->arg, msg_stream_end(st->id, reason, message));
	log_debug("stream %u (%s) ended: %s; %llu sent, %llu dropped", st->id,
	    st->name, reason, (unsigned long long)st->sent,
	    (unsigned long long)st->dropped);
}

/* Free everything. */
void
stream_free(struct stream *st)
{
	video_close(st->v);
	free(st->cur);
	free(st->next);
	memset(st, 0, sizeof *st);
}

/* Send an error to the client (not fatal). */
static void
error(struct stream *st, enum proto_error code, const char *text)
{
	st->send(st->arg, msg_error(code, text));
}

/* Return the current position in seconds. */
static double
position(const struct stream *st)
{
	return (double)video_position(st->v) / st->info.fps;
}

/* Restart the schedule: the next frame is due now. */
static void
reschedule(struct stream *st, int64_t now)
{
	st->base_ms = now;
	st->base_frame = video_position(st->v);
	st->key = 1;
}

/*
 * Open quality index qi of the current title at time `at` (seconds).
 * Returns 0, or -1 after telling the client (the old video stays).
 */
static int
open_quality(struct stream *st, int qi, double at, int64_t now)
{
	const struct library_title	*t = library_find(st->lib, st->name);
	struct video			*v;
	char				 err[VIDEO_ERR_LEN];
	int64_t				 frame;

	if (t == NULL) {
		error(st, PROTO_E_NO_SUCH_VIDEO, "that video is gone");
		return -1;
	}
	if (t->path[qi] == NULL) {
		error(st, PROTO_E_NO_SUCH_QUALITY, "no such quality for this "
		    "video");
		return -1;
	}
	if (video_open(t->path[qi], &v, err) != 0) {
		error(st, PROTO_E_VIDEO, err);
		return -1;
	}
	video_get_info(v, &st->info);
	frame = (int64_t)llround(at * st->info.fps);
	if (frame > 0 && video_seek(v, frame, err) != 0) {
		video_close(v);
		error(st, PROTO_E_VIDEO, err);
		return -1;
	}
	video_close(st->v);
	st->v = v;
	st->qi = qi;
	st->frame_ms = 1000.0 / st->info.fps;
	reschedule(st, now);
	return 0;
}

/* Return the quality index to start an "auto" stream of title t at. */
static int
auto_start(const struct library_title *t)
{
	for (int q = AUTO_START; q >= 0; q--)
		if (t->path[q] != NULL)
			return q;
	for (int q = AUTO_START + 1; q < LIBRARY_QUALITIES; q++)
		if (t->path[q] != NULL)
			return q;
	return -1;
}

/* Announce the stream to the client. */
static void
announce(struct stream *st)
{
	st->send(st->arg, msg_stream(st->id, st->name,
	    library_quality_of(st->qi), st->info.fps, st->info.frames,
	    st->info.duration, st->w, st->h));
}

/* play {name, quality, size, start} */
static void
play(struct stream *st, json_object *m, int64_t now)
{
	const struct library_title	*t;
	json_object			*size = msg_get(m, "size");
	enum quality			 q;
	int				 qi;

	proto_quality_from_name(msg_get_str(m, "quality"), &q);
	if ((t = library_find(st->lib, msg_get_str(m, "name"))) == NULL) {
		error(st, PROTO_E_NO_SUCH_VIDEO, "no video of that name "
		    "(see the videos list)");
		return;
	}
	qi = q == QUALITY_AUTO ? auto_start(t) : library_quality_index(q);
	if (qi < 0 || t->path[qi] == NULL) {
		error(st, PROTO_E_NO_SUCH_QUALITY, "this video has no such "
		    "quality");
		return;
	}
	end_stream(st, "stopped", "another video was started");
	snprintf(st->name, sizeof st->name, "%s", t->name);
	if (open_quality(st, qi, msg_get_num(m, "start", 0), now) != 0)
		return;
	st->active = 1;
	st->paused = 0;
	st->auto_quality = q == QUALITY_AUTO;
	st->id++;
	st->seq = 0;
	st->sent = st->dropped = 0;
	st->w = json_object_get_int(json_object_array_get_idx(size, 0));
	st->h = json_object_get_int(json_object_array_get_idx(size, 1));
	st->window_start = st->clean_since = now;
	st->window_frames = st->window_drops = 0;
	announce(st);
}

/* quality {quality}: switch, keeping the position. */
static void
set_quality(struct stream *st, json_object *m, int64_t now)
{
	const struct library_title	*t = library_find(st->lib, st->name);
	enum quality			 q;
	int				 qi;

	proto_quality_from_name(msg_get_str(m, "quality"), &q);
	if (t == NULL) {
		error(st, PROTO_E_NO_SUCH_VIDEO, "that video is gone");
		return;
	}
	st->auto_quality = q == QUALITY_AUTO;
	qi = q == QUALITY_AUTO ? st->qi : library_quality_index(q);
	if (qi != st->qi && open_quality(st, qi, position(st), now) != 0)
		return;
	st->clean_since = now;
	st->send(st->arg, msg_quality_changed(library_quality_of(st->qi),
	    "asked"));
}

/* Handle a video request from the client. */
void
stream_request(struct stream *st, json_object *m, int64_t now)
{
	const char	*type = msg_type(m);
	json_object	*size;
	char		 err[VIDEO_ERR_LEN];
	double		 to;

	if (strcmp(type, "play") == 0) {
		play(st, m, now);
		return;
	}
	if (!st->active) {
		error(st, PROTO_E_UNEXPECTED, "nothing is playing");
		return;
	}
	if (strcmp(type, "stop") == 0)
		end_stream(st, "stopped", NULL);
	else if (strcmp(type, "pause") == 0) {
		st->paused = 1;
		drop_pending(st);
	} else if (strcmp(type, "resume") == 0) {
		if (st->paused)
			reschedule(st, now);
		st->paused = 0;
	} else if (strcmp(type, "seek") == 0) {
		to = msg_get_num(m, "to", 0);
		if (to > st->info.duration)
			to = st->info.duration;
		if (video_seek(st->v, (int64_t)llround(to * st->info.fps), err)
		    != 0) {
			error(st, PROTO_E_VIDEO, err);
			return;
		}
		drop_pending(st);
		reschedule(st, now);
	} else if (strcmp(type, "quality") == 0)
		set_quality(st, m, now);
	else if (strcmp(type, "resize") == 0) {
		size = msg_get(m, "size");
		st->w = json_object_get_int(json_object_array_get_idx(size, 0));
		st->h = json_object_get_int(json_object_array_get_idx(size, 1));
		announce(st);
	}
}

/* Return ms until the next frame is due (0: now), or -1 if none. */
int
stream_timeout(const struct stream *st, int64_t now)
{
	int64_t	due;

	if (!st->active || st->paused)
		return -1;
	due = st->base_ms + (int64_t)((double)(video_position(st->v) -
	    st->base_frame) * st->frame_ms);
	return due <= now ? 0 : (int)(due - now);
}

/* Judge the last window of frames and change quality if "auto" says so. */
static void
auto_adjust(struct stream *st, int64_t now)
{
	const struct library_title	*t;
	int				 qi = -1;

	if (now - st->window_start < AUTO_WINDOW_MS)
		return;
	t = library_find(st->lib, st->name);
	if (t != NULL && st->window_frames > 0 &&
	    (double)st->window_drops / st->window_frames > AUTO_DROP_RATIO) {
		for (int q = st->qi - 1; q >= 0 && qi < 0; q--)
			if (t->path[q] != NULL)
				qi = q;
		st->clean_since = now;
	} else if (t != NULL && now - st->clean_since >= AUTO_CLEAN_MS) {
		for (int q = st->qi + 1; q < LIBRARY_QUALITIES && qi < 0; q++)
			if (t->path[q] != NULL)
				qi = q;
		st->clean_since = now;
	}
	st->window_start = now;
	st->window_frames = st->window_drops = 0;
	if (qi >= 0 && open_quality(st, qi, position(st), now) == 0) {
		log_debug("stream %u: auto quality now %s", st->id,
		    proto_quality_name(library_quality_of(qi)));
		st->send(st->arg, msg_quality_changed(library_quality_of(qi),
		    "auto"));
	}
}

/* Frame the JPEG of the frame just decoded into the output. */
static int
queue_frame(struct stream *st, int last)
{
	struct video_header	 h;
	uint8_t			*jpeg, *p;
	size_t			 len;
	char			 err[VIDEO_ERR_LEN];
	int64_t			 index = video_position(st->v) - 1;

	if (video_encode_jpeg(st->v, st->w, st->h, STREAM_JPEG_QUALITY, &jpeg,
	    &len, err) != 0) {
		end_stream(st, "error", err);
		return -1;
	}
	if (len > FRAME_MAX_VIDEO - VIDEO_HEADER_LEN) {
		free(jpeg);
		st->dropped++;
		return 0;
	}
	h.stream_id = st->id;
	h.seq = st->seq++;
	h.pts_ms = (uint32_t)llround((double)index * 1000.0 / st->info.fps);
	h.width = (uint16_t)st->w;
	h.height = (uint16_t)st->h;
	h.quality = (uint8_t)library_quality_of(st->qi);
	h.flags = (st->key ? VIDEO_FLAG_KEY : 0) | (last ? VIDEO_FLAG_LAST : 0);
	st->key = 0;
	p = xmalloc(FRAME_HEADER_LEN + VIDEO_HEADER_LEN + len);
	frame_encode_header(p, FRAME_TYPE_VIDEO, (uint32_t)(VIDEO_HEADER_LEN +
	    len));
	frame_video_encode(p + FRAME_HEADER_LEN, &h);
	memcpy(p + FRAME_HEADER_LEN + VIDEO_HEADER_LEN, jpeg, len);
	free(jpeg);
	if (st->next != NULL) {
		/* The client has not taken the last one: the newest wins. */
		st->dropped++;
		st->window_drops++;
	}
	free(st->next);
	st->next = p;
	st->next_len = FRAME_HEADER_LEN + VIDEO_HEADER_LEN + len;
	st->window_frames++;
	return 0;
}

/*
 * Produce the frame that is due, if one is: skip frames (counted as
 * dropped) when decoding has fallen behind, end the stream at the end of
 * the file, and report a file that ends early as an error.
 */
void
stream_tick(struct stream *st, int64_t now)
{
	char	err[VIDEO_ERR_LEN];
	int64_t	late;
	int	r;

	if (stream_timeout(st, now) != 0)
		return;
	late = (int64_t)((double)(now - st->base_ms) / st->frame_ms) -
	    (video_position(st->v) - st->base_frame);
	if (late >= LATE_SKIP_FRAMES) {
		r = video_skip(st->v, (int)late, err);
		st->dropped += (uint64_t)late;
		st->window_drops += (int)late;
		st->window_frames += (int)late;
	}
	r = video_read(st->v, err);
	if (r < 0) {
		end_stream(st, "error", err);
		return;
	}
	if (r == 0) {
		/* Short of the announced length by over a second: damaged. */
		if ((double)(st->info.frames - video_position(st->v)) >
		    st->info.fps)
			end_stream(st, "error", "the video file ends early "
			    "(damaged or truncated)");
		else
			end_stream(st, "finished", NULL);
		return;
	}
	if (queue_frame(st, video_position(st->v) >= st->info.frames) != 0)
		return;
	if (st->auto_quality)
		auto_adjust(st, now);
}

/* Return 1 if video bytes are waiting to be written. */
int
stream_pending(const struct stream *st)
{
	return st->cur != NULL || st->next != NULL;
}

/* Return 1 if a frame is partly written (it must be finished first). */
int
stream_mid_frame(const struct stream *st)
{
	return st->cur != NULL && st->cur_off > 0;
}

/*
 * Write video bytes to fd until it would block or nothing is left.
 * Returns 0, or -1 if the connection broke.
 */
int
stream_write(struct stream *st, int fd)
{
	ssize_t	n;

	for (;;) {
		if (st->cur == NULL) {
			if (st->next == NULL)
				return 0;
			st->cur = st->next;
			st->cur_len = st->next_len;
			st->cur_off = 0;
			st->next = NULL;
		}
		n = write(fd, st->cur + st->cur_off, st->cur_len - st->cur_off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		st->cur_off += (size_t)n;
		if (st->cur_off == st->cur_len) {
			free(st->cur);
			st->cur = NULL;
			st->sent++;
		}
	}
}
