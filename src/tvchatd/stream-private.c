/*
 * A stream of one's own: a session decoding a title itself, counted among
 * the server's private streams (--max-private), because it plays at
 * quality "auto" or at a size that is not a standard one, or its viewer
 * paused, sought or changed quality alone. Frames are decoded on a schedule at the source frame
 * rate (never as fast as possible), skipping ahead when decoding falls
 * behind, scaled to the size the client asked for (within the source and
 * STREAM_SIZE_MAX_W x _H) and encoded by frameenc.c. With quality "auto"
 * the stream steps down when frames drop and back up after a clean
 * stretch.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "frame.h"
#include "frameenc.h"
#include "log.h"
#include "msg.h"
#include "stream-out.h"
#include "stream-private.h"
#include "stream.h"

#define AUTO_WINDOW_MS		2000	/* judge drops over this long */
#define AUTO_DROP_RATIO		0.10	/* more dropped than this: step down */
#define AUTO_CLEAN_MS		10000	/* this long without drops: step up */
#define LATE_SKIP_FRAMES	2	/* this late: skip frames to catch up */

/*
 * Count a decoder of our own among the server's private streams, unless
 * this stream is one already. Returns 0, or -1 if they are all in use.
 */
int
stream_private_take(struct stream *st)
{
	if (st->private_held || st->presence == NULL)
		return 0;
	if (presence_private_take(st->presence, st->user) != 0)
		return -1;
	st->private_held = 1;
	return 0;
}

/* Close our own decoder, if any, and stop counting it. */
void
stream_private_close(struct stream *st)
{
	video_close(st->v);
	st->v = NULL;
	if (st->private_held)
		presence_private_drop(st->presence, st->user);
	st->private_held = 0;
}

/* Write why no private stream can be had to buf. */
void
stream_private_busy(const struct stream *st, char *buf, size_t size)
{
	unsigned int	max = presence_private_max(st->presence);

	if (max == 0)
		snprintf(buf, size, "this server plays no video privately");
	else if (max == 1)
		snprintf(buf, size, "this server's one private stream is in "
		    "use");
	else
		snprintf(buf, size, "all %u of this server's private streams "
		    "are in use", max);
}

/* Return the current position in seconds. */
static double
position(const struct stream *st)
{
	return (double)video_position(st->v) / st->info.fps;
}

/*
 * Restart the schedule: the next frame is due now. Its clock starts when
 * that frame goes out (stream_private_tick): opening or seeking a file
 * takes a while, and that time must not count as lateness.
 */
void
stream_private_reschedule(struct stream *st, int64_t now)
{
	st->base_ms = now;
	st->base_frame = video_position(st->v);
	st->key = 1;
}

/*
 * Set the size of a picture we encode ourselves from the size asked for:
 * no larger than the source, nor than STREAM_SIZE_MAX_W x _H, scaled
 * down keeping the asked proportions. A client asking 4096x4096 of a
 * 1440p video made the server encode 16 megapixels a frame.
 */
void
stream_private_fit(struct stream *st)
{
	double	f = 1.0;
	int	maxw = STREAM_SIZE_MAX_W, maxh = STREAM_SIZE_MAX_H;

	if (st->info.width > 0 && st->info.width < maxw)
		maxw = st->info.width;
	if (st->info.height > 0 && st->info.height < maxh)
		maxh = st->info.height;
	if (st->want_w > maxw)
		f = (double)maxw / st->want_w;
	if (st->want_h * f > maxh)
		f = (double)maxh / st->want_h;
	st->w = (int)(st->want_w * f);
	st->h = (int)(st->want_h * f);
	if (st->w < 1)
		st->w = 1;
	if (st->h < 1)
		st->h = 1;
}

/*
 * Open quality index qi of the current title at time `at` (seconds).
 * Returns 0, or -1 after telling the client (the old video stays).
 */
int
stream_private_open(struct stream *st, int qi, double at, int64_t now)
{
	const struct library_title	*t = library_find(st->lib, st->name);
	struct video			*v;
	char				 err[VIDEO_ERR_LEN];
	int64_t				 frame;

	if (t == NULL) {
		stream_out_error(st, PROTO_E_NO_SUCH_VIDEO, "that video is "
		    "gone");
		return -1;
	}
	if (t->path[qi] == NULL) {
		stream_out_error(st, PROTO_E_NO_SUCH_QUALITY, "no such "
		    "quality for this video");
		return -1;
	}
	if (video_open(t->path[qi], &v, err) != 0) {
		stream_out_error(st, PROTO_E_VIDEO, err);
		return -1;
	}
	video_get_info(v, &st->info);
	stream_private_fit(st);
	frame = (int64_t)llround(at * st->info.fps);
	if (frame > 0 && video_seek(v, frame, err) != 0) {
		video_close(v);
		stream_out_error(st, PROTO_E_VIDEO, err);
		return -1;
	}
	video_close(st->v);
	st->v = v;
	st->qi = qi;
	st->frame_ms = 1000.0 / st->info.fps;
	stream_private_reschedule(st, now);
	return 0;
}

/* quality {quality}: switch, keeping the position. */
void
stream_private_set_quality(struct stream *st, json_object *m, int64_t now)
{
	const struct library_title	*t = library_find(st->lib, st->name);
	enum quality			 q;
	int				 qi;

	proto_quality_from_name(msg_get_str(m, "quality"), &q);
	if (t == NULL) {
		stream_out_error(st, PROTO_E_NO_SUCH_VIDEO, "that video is "
		    "gone");
		return;
	}
	st->auto_quality = q == QUALITY_AUTO;
	qi = q == QUALITY_AUTO ? st->qi : library_quality_index(q);
	if (qi != st->qi && stream_private_open(st, qi, position(st), now) != 0)
		return;
	st->clean_since = now;
	st->send(st->arg, msg_quality_changed(library_quality_of(st->qi),
	    "asked"));
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
	if (qi >= 0 && stream_private_open(st, qi, position(st), now) == 0) {
		log_debug("stream %u: auto quality now %s", st->id,
		    proto_quality_name(library_quality_of(qi)));
		st->send(st->arg, msg_quality_changed(library_quality_of(qi),
		    "auto"));
	}
}

/*
 * Frame the picture just decoded into the output. Returns 0 (a frame too
 * big to send is dropped), or -1 with err set.
 */
static int
queue_frame(struct stream *st, char *err)
{
	struct frameenc_frame	f;
	struct video_header	h;
	int			r;

	r = frameenc_encode(st->v, &st->info, st->w, st->h, st->key,
	    FRAME_MAX_VIDEO - VIDEO_HEADER_LEN, &f, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		st->dropped++;
		return 0;
	}
	h.stream_id = st->id;
	h.seq = st->seq++;
	h.pts_ms = f.pts_ms;
	h.width = (uint16_t)st->w;
	h.height = (uint16_t)st->h;
	h.quality = (uint8_t)library_quality_of(st->qi);
	h.flags = f.flags;
	st->key = 0;
	stream_out_offer(st, &h, f.jpeg, f.len, f.jpeg, NULL);
	return 0;
}

/* Return ms until the next frame is due (0: now). */
int
stream_private_timeout(const struct stream *st, int64_t now)
{
	int64_t	due;

	due = st->base_ms + (int64_t)((double)(video_position(st->v) -
	    st->base_frame) * st->frame_ms);
	return due <= now ? 0 : (int)(due - now);
}

/*
 * Produce the frame that is due: skip frames (counted as dropped) when
 * decoding has fallen behind, then decode and queue one, and let "auto"
 * judge the quality. Returns 0, 1 at the end of the file, or -1 with err
 * set (a file that ends early is an error); at 1 or -1 the caller ends
 * the stream.
 */
int
stream_private_tick(struct stream *st, int64_t now, char *err)
{
	int64_t	late;
	int	r;

	/*
	 * The first frame of a schedule (a start, a seek, a switch) is never
	 * late: the schedule starts when it goes out. Counted from
	 * stream_private_reschedule, a loaded machine that took a while to
	 * get here skipped it, and the picture began with a gap.
	 */
	if (video_position(st->v) == st->base_frame)
		st->base_ms = now;
	late = (int64_t)((double)(now - st->base_ms) / st->frame_ms) -
	    (video_position(st->v) - st->base_frame);
	/* Catch up by skipping, but never past the last frame. */
	if (late > st->info.frames - video_position(st->v) - 1)
		late = st->info.frames - video_position(st->v) - 1;
	if (late >= LATE_SKIP_FRAMES) {
		int64_t before = video_position(st->v);

		if (video_skip(st->v, (int)late, err) < 0)
			return -1;
		late = video_position(st->v) - before;
		/* Skipped frames leave a gap in the numbers, as drops do. */
		st->seq += (uint32_t)late;
		st->dropped += (uint64_t)late;
		st->window_drops += (int)late;
		st->window_frames += (int)late;
	}
	if ((r = frameenc_read(st->v, &st->info, err)) <= 0)
		return r < 0 ? -1 : 1;
	if (queue_frame(st, err) != 0)
		return -1;
	if (st->auto_quality)
		auto_adjust(st, now);
	return 0;
}
