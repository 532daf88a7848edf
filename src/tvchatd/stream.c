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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/uio.h>

#include <linux/sockios.h>

#include "buf.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "stream.h"
#include "util.h"
#include "xmalloc.h"

#define AUTO_WINDOW_MS		2000	/* judge drops over this long */
#define AUTO_DROP_RATIO		0.10	/* more dropped than this: step down */
#define AUTO_CLEAN_MS		10000	/* this long without drops: step up */
#define AUTO_START		1	/* 720p, if the title has it */
#define LATE_SKIP_FRAMES	2	/* this late: skip frames to catch up */
#define LOAD_STATE(s)	__atomic_load_n(&(s)->state, __ATOMIC_SEQ_CST)

/*
 * Set up an idle stream; send delivers messages to the client. Private
 * streams are counted in user's slot of the presence table.
 */
void
stream_init(struct stream *st, struct library *lib,
    struct player_table *players, struct presence *presence,
    const struct presence_ref *user, stream_send_fn send, void *arg)
{
	memset(st, 0, sizeof *st);
	st->lib = lib;
	st->players = players;
	st->presence = presence;
	st->user = user;
	st->pref.slot = -1;
	st->send = send;
	st->arg = arg;
}

/* Release what an output frame holds. */
static void
out_release(struct stream_out *o)
{
	free(o->owned);
	if (o->pin != NULL)
		player_unpin(o->pin);
	memset(o, 0, sizeof *o);
}

/* Drop the frame waiting to be sent (a partly sent one is kept). */
static void
drop_pending(struct stream *st)
{
	out_release(&st->next);
}

/* Stop viewing a shared player, if we were. */
static void
leave_player(struct stream *st)
{
	if (st->shared && st->players != NULL)
		player_leave(st->players, &st->pref);
	st->shared = 0;
}

/*
 * Count a decoder of our own among the server's private streams, unless
 * this stream is one already. Returns 0, or -1 if they are all in use.
 */
static int
take_private(struct stream *st)
{
	if (st->private_held || st->presence == NULL)
		return 0;
	if (presence_private_take(st->presence, st->user) != 0)
		return -1;
	st->private_held = 1;
	return 0;
}

/* Close our own decoder, if any, and stop counting it. */
static void
close_video(struct stream *st)
{
	video_close(st->v);
	st->v = NULL;
	if (st->private_held)
		presence_private_drop(st->presence, st->user);
	st->private_held = 0;
}

/* Write why no private stream can be had to buf. */
static void
private_busy(const struct stream *st, char *buf, size_t size)
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

/* End the current stream (if any) with reason; message may be NULL. */
static void
end_stream(struct stream *st, const char *reason, const char *message)
{
	if (!st->active)
		return;
	close_video(st);
	st->active = 0;
	leave_player(st);
	st->watch_room[0] = '\0';
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
	leave_player(st);
	close_video(st);
	out_release(&st->cur);
	out_release(&st->next);
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

/*
 * Restart the schedule: the next frame is due now. The clock is read
 * afresh: opening or seeking a file takes a while, and that time must not
 * count as lateness (which would skip frames at once).
 */
static void
reschedule(struct stream *st, int64_t now)
{
	(void)now;
	st->base_ms = util_now_ms();
	st->base_frame = video_position(st->v);
	st->key = 1;
}

/*
 * Set the size of a picture we encode ourselves from the size asked for:
 * no larger than the source, nor than STREAM_SIZE_MAX_W x _H, scaled
 * down keeping the asked proportions. A client asking 4096x4096 of a
 * 1440p video made the server encode 16 megapixels a frame.
 */
static void
fit_size(struct stream *st)
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
	fit_size(st);
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

/* Start a new stream (the next id) from scratch and announce it. */
static void
begin(struct stream *st, int auto_quality, int64_t now)
{
	st->active = 1;
	st->paused = 0;
	st->auto_quality = auto_quality;
	st->id++;
	st->seq = 0;
	st->key = 1;
	st->sent = st->dropped = 0;
	st->window_start = st->clean_since = now;
	st->window_frames = st->window_drops = 0;
	announce(st);
}

/* Take title t's frames at quality index qi and w x h from a player. */
static void
share(struct stream *st, const struct library_title *t, int qi, int w, int h)
{
	st->shared = 1;
	st->shared_seq = 0;
	st->qi = qi;
	st->info = t->info[qi];
	st->frame_ms = 1000.0 / st->info.fps;
	st->w = st->want_w = w;
	st->h = st->want_h = h;
}

/*
 * Watch title t at quality index qi through a shared player at the
 * nearest standard size: join one playing near `start`, or have the
 * master start one. Returns 0, or -1 if none can be had (play alone).
 */
static int
join_player(struct stream *st, const struct library_title *t, int qi,
    double start, int64_t now)
{
	int	w, h, created;

	if (st->players == NULL)
		return -1;
	/* Only a standard size is shared; any other is honoured exactly. */
	proto_standard_size(st->w, st->h, &w, &h);
	if (w != st->w || h != st->h)
		return -1;
	if (player_join(st->players, "", t->name,
	    (uint8_t)library_quality_of(qi), w, h, start, &st->pref, &created)
	    != 0)
		return -1;
	if (created)
		kill(st->players->master, SIGUSR1);
	share(st, t, qi, w, h);
	begin(st, 0, now);
	return 0;
}

/*
 * A shared viewer's request of type needs a stream of its own and none
 * is free: the shared stream goes on as it was and the client is told
 * why (a resume needs nothing: the stream plays; a resize is answered
 * with the size kept).
 */
static void
stay_shared(struct stream *st, const char *type)
{
	char	why[96], text[200];

	if (strcmp(type, "resume") == 0)
		return;
	private_busy(st, why, sizeof why);
	snprintf(text, sizeof text, "cannot %s: that needs a stream of your "
	    "own, and %s; the shared stream goes on unchanged",
	    strcmp(type, "quality") == 0 ? "change the quality" : type, why);
	log_debug("stream %u: no private stream for %s", st->id, type);
	error(st, PROTO_E_VIDEO, text);
	if (strcmp(type, "resize") == 0)
		announce(st);
}

/*
 * Leave the shared player and go on alone from the same picture, so
 * that this viewer's request of type (a pause, seek, quality change...)
 * touches nobody else. Returns 0, or -1 if the request is not carried
 * out: the stream ended with an error, or all private streams are in
 * use and it goes on shared (the client is told either way).
 */
static int
go_private(struct stream *st, const char *type, int64_t now)
{
	double	at;

	if (!st->shared)
		return 0;
	if (take_private(st) != 0) {
		stay_shared(st, type);
		return -1;
	}
	/* Numbering goes on where the player's left off. */
	st->seq = st->shared_seq;
	/* Go on from the frame after the last one the client got. */
	at = st->shared_pts_ms / 1000.0 + (st->shared_seq ? 1.0 / st->info.fps
	    : 0);
	leave_player(st);
	if (open_quality(st, st->qi, at, now) != 0) {
		end_stream(st, "error", "cannot continue alone");
		return -1;
	}
	return 0;
}

/*
 * A play that needs a stream of its own when all private streams are in
 * use: play title t at quality index qi (a fixed one for "auto") through
 * a shared player at the standard size nearest the one asked, from
 * start seconds, and tell the client why; or say that nothing can play.
 */
static void
play_shared_instead(struct stream *st, const struct library_title *t,
    int qi, double start, int64_t now)
{
	char	why[96], text[200];

	private_busy(st, why, sizeof why);
	proto_standard_size(st->want_w, st->want_h, &st->w, &st->h);
	if (join_player(st, t, qi, start, now) != 0) {
		snprintf(text, sizeof text, "%s, and no shared player can be "
		    "had; try again later", why);
		error(st, PROTO_E_VIDEO, text);
		return;
	}
	log_debug("stream %u: no private stream; shared %dx%d instead",
	    st->id, st->w, st->h);
	snprintf(text, sizeof text, "%s: playing the shared %dx%d %s stream "
	    "instead", why, st->w, st->h,
	    proto_quality_name(library_quality_of(qi)));
	error(st, PROTO_E_VIDEO, text);
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
	st->w = st->want_w = json_object_get_int(
	    json_object_array_get_idx(size, 0));
	st->h = st->want_h = json_object_get_int(
	    json_object_array_get_idx(size, 1));
	if (q != QUALITY_AUTO && join_player(st, t, qi,
	    msg_get_num(m, "start", 0), now) == 0)
		return;
	if (take_private(st) != 0) {
		play_shared_instead(st, t, qi, msg_get_num(m, "start", 0), now);
		return;
	}
	if (open_quality(st, qi, msg_get_num(m, "start", 0), now) != 0) {
		close_video(st);
		return;
	}
	begin(st, q == QUALITY_AUTO, now);
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

/* Watching together: a pause, resume, seek or quality change is the
 * room's (the player carries it out; everyone is told who did it). */
static void
watch_request(struct stream *st, json_object *m, const char *type)
{
	const struct library_title	*t;
	enum quality			 q;
	int				 qi;

	if (strcmp(type, "pause") == 0)
		player_control(st->players, &st->pref, PLAYER_PAUSE, 0, 0,
		    st->me, 0);
	else if (strcmp(type, "resume") == 0)
		player_control(st->players, &st->pref, PLAYER_RESUME, 0, 0,
		    st->me, 0);
	else if (strcmp(type, "seek") == 0)
		player_control(st->players, &st->pref, PLAYER_SEEK,
		    msg_get_num(m, "to", 0), 0, st->me, 0);
	else if (strcmp(type, "quality") == 0) {
		proto_quality_from_name(msg_get_str(m, "quality"), &q);
		t = library_find(st->lib, st->name);
		qi = library_quality_index(q);
		if (t == NULL || qi < 0 || t->path[qi] == NULL) {
			error(st, PROTO_E_NO_SUCH_QUALITY, "watching together "
			    "needs a quality the video has (not auto)");
			return;
		}
		player_control(st->players, &st->pref, PLAYER_QUALITY, 0,
		    (uint8_t)q, st->me, 0);
	} else {
		/* The size is the room's: the client scales what it gets. */
		announce(st);
	}
}

/*
 * Start a new player of title t (quality index qi, w x h) for room at
 * start seconds and watch it; 0, or -1 after telling the client.
 */
static int
room_player(struct stream *st, const char *room,
    const struct library_title *t, int qi, int w, int h, double start,
    int64_t now)
{
	int	created = 0;

	end_stream(st, "stopped", "watching with the room");
	if (player_join(st->players, room, t->name,
	    (uint8_t)library_quality_of(qi), w, h, start, &st->pref,
	    &created) != 0) {
		error(st, PROTO_E_VIDEO, "too many videos playing; try again "
		    "later");
		return -1;
	}
	if (created)
		kill(st->players->master, SIGUSR1);
	st->watch_seen = 0;
	snprintf(st->name, sizeof st->name, "%s", t->name);
	snprintf(st->watch_room, sizeof st->watch_room, "%s", room);
	share(st, t, qi, w, h);
	begin(st, 0, now);
	return 0;
}

/*
 * Join what room watches on another node of a cluster: a player of our
 * own at the same title, quality and position (paused if it is).
 */
static void
follow(struct stream *st, const char *room, const struct player_watch *pw,
    int64_t now)
{
	const struct library_title	*t = library_find(st->lib, pw->title);
	int				 qi;
	double				 start = pw->position;

	qi = library_quality_index((enum quality)pw->quality);
	if (t == NULL || qi < 0 || t->path[qi] == NULL) {
		error(st, PROTO_E_NO_SUCH_VIDEO, "the room watches a video "
		    "this server does not have");
		return;
	}
	if (!pw->paused)
		start += (double)(now - pw->at_ms) / 1000.0;
	if (room_player(st, room, t, qi, pw->width, pw->height, start,
	    now) == 0 && pw->paused)
		player_control(st->players, &st->pref, PLAYER_PAUSE, 0, 0,
		    pw->by, 1);
}

/*
 * watch {room, name?, quality?, size?}: with a name, start watching it
 * together with the room (returns the notice for the room: a new object);
 * without, join what the room is watching (returns NULL).
 */
json_object *
stream_watch(struct stream *st, json_object *m, int64_t now, const char *me)
{
	const struct library_title	*t;
	struct player_slot		*s;
	struct player_watch		 pw;
	const char			*room = msg_get_str(m, "room");
	const char			*name = msg_get_str(m, "name");
	json_object			*size = msg_get(m, "size"), *notice;
	enum quality			 q = QUALITY_720P;
	int				 qi, w = 640, h = 360;

	snprintf(st->me, sizeof st->me, "%s", me);
	if (st->players == NULL) {
		error(st, PROTO_E_VIDEO, "this server does not share players");
		return NULL;
	}
	if (size != NULL) {
		w = json_object_get_int(json_object_array_get_idx(size, 0));
		h = json_object_get_int(json_object_array_get_idx(size, 1));
	}
	proto_standard_size(w, h, &w, &h);
	if (name == NULL) {
		struct player_ref ref;

		if (player_find_room(st->players, room, &ref) != 0) {
			if (player_watch_get(st->players, room, &pw) == 0)
				follow(st, room, &pw, now);
			else
				error(st, PROTO_E_NO_SUCH_VIDEO, "that room is "
				    "not watching anything");
			return NULL;
		}
		end_stream(st, "stopped", "watching with the room");
		st->pref = ref;
		s = &st->players->slots[ref.slot];
		t = library_find(st->lib, s->title);
		qi = library_quality_index((enum quality)s->quality);
		if (t == NULL || qi < 0 || t->path[qi] == NULL) {
			player_leave(st->players, &st->pref);
			error(st, PROTO_E_NO_SUCH_VIDEO, "that video is gone");
			return NULL;
		}
		st->watch_seen = s->applied_gen;
		snprintf(st->name, sizeof st->name, "%s", t->name);
		snprintf(st->watch_room, sizeof st->watch_room, "%s", room);
		share(st, t, qi, s->width, s->height);
		begin(st, 0, now);
		return NULL;
	}
	if (msg_get_str(m, "quality") != NULL)
		proto_quality_from_name(msg_get_str(m, "quality"), &q);
	if ((t = library_find(st->lib, name)) == NULL) {
		error(st, PROTO_E_NO_SUCH_VIDEO, "no video of that name");
		return NULL;
	}
	qi = q == QUALITY_AUTO ? auto_start(t) : library_quality_index(q);
	if (qi < 0 || t->path[qi] == NULL) {
		error(st, PROTO_E_NO_SUCH_QUALITY, "this video has no such "
		    "quality");
		return NULL;
	}
	if (room_player(st, room, t, qi, w, h, 0, now) != 0)
		return NULL;
	notice = msg_new("watch");
	json_object_object_add(notice, "room", json_object_new_string(room));
	json_object_object_add(notice, "name", json_object_new_string(t->name));
	json_object_object_add(notice, "quality", json_object_new_string(
	    proto_quality_name(library_quality_of(qi))));
	json_object_object_add(notice, "by", json_object_new_string(me));
	return notice;
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
	if (strcmp(type, "stop") == 0) {
		end_stream(st, "stopped", NULL);
		return;
	}
	if (st->shared && st->watch_room[0] != '\0') {
		watch_request(st, m, type);
		return;
	}
	if (go_private(st, type, now) != 0)
		return;
	if (strcmp(type, "pause") == 0) {
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
		st->want_w = json_object_get_int(json_object_array_get_idx(size,
		    0));
		st->want_h = json_object_get_int(json_object_array_get_idx(size,
		    1));
		fit_size(st);
		announce(st);
	}
}

/* Return ms until the next frame is due (0: now), or -1 if none. */
int
stream_timeout(const struct stream *st, int64_t now)
{
	int64_t	due;

	/* A frame held back for the kernel's queue: look again soon. */
	if (st->held)
		return STREAM_HOLD_RECHECK_MS;
	if (!st->active || (st->paused && st->watch_room[0] == '\0'))
		return -1;
	if (st->shared) {
		const struct player_slot *s = player_get(st->players,
		    &st->pref);

		if (s != NULL && s->applied_gen != st->watch_seen &&
		    st->watch_room[0] != '\0')
			return 0;
		if (s == NULL || LOAD_STATE(s) != PLAYER_RUNNING ||
		    s->latest != st->shared_seq)
			return s == NULL || s->latest != st->shared_seq ? 0 : 20;
		due = s->next_due_ms + 1;
		return due <= now ? 5 : (int)(due - now);
	}
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

/*
 * Make a frame the one waiting to be sent (the newest wins: one that was
 * waiting is dropped). owned is freed and pin released when done.
 */
static void
offer(struct stream *st, const struct video_header *h, const uint8_t *jpeg,
    size_t len, uint8_t *owned, struct player_frame *pin)
{
	struct stream_out	*o = &st->next;
	struct video_header	 hh = *h;

	if (o->used) {
		/* The client has not taken the last one: the newest wins,
		 * and is the key frame if the one it replaces was. */
		st->dropped++;
		st->window_drops++;
		if (o->key)
			hh.flags |= VIDEO_FLAG_KEY;
		out_release(o);
	}
	o->used = 1;
	o->key = (hh.flags & VIDEO_FLAG_KEY) != 0;
	frame_encode_header(o->head, FRAME_TYPE_VIDEO,
	    (uint32_t)(VIDEO_HEADER_LEN + len));
	frame_video_encode(o->head + FRAME_HEADER_LEN, &hh);
	o->data = jpeg;
	o->len = len;
	o->off = 0;
	o->owned = owned;
	o->pin = pin;
	st->window_frames++;
}

/* Frame the JPEG of the frame just decoded into the output. */
static int
queue_frame(struct stream *st, int last)
{
	struct video_header	 h;
	uint8_t			*jpeg;
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
	offer(st, &h, jpeg, len, jpeg, NULL);
	return 0;
}

/* Watching together: tell the client what a participant changed. */
static void
watch_notices(struct stream *st, struct player_slot *s)
{
	static const char *const actions[] = {
		"", "pause", "resume", "seek", "quality"
	};
	uint32_t	 gen = __atomic_load_n(&s->applied_gen, __ATOMIC_SEQ_CST);
	json_object	*m;

	if (gen == st->watch_seen || s->control_action < 1 ||
	    s->control_action > 4)
		return;
	st->watch_seen = gen;
	m = msg_new("watch-control");
	json_object_object_add(m, "room", json_object_new_string(s->room));
	json_object_object_add(m, "action",
	    json_object_new_string(actions[s->control_action]));
	json_object_object_add(m, "by",
	    json_object_new_string(s->control_by));
	if (s->control_action == PLAYER_SEEK)
		json_object_object_add(m, "to",
		    json_object_new_double(s->control_to));
	if (s->control_action == PLAYER_QUALITY)
		json_object_object_add(m, "quality", json_object_new_string(
		    proto_quality_name((enum quality)s->control_quality)));
	st->paused = s->control_action == PLAYER_PAUSE;
	st->send(st->arg, m);
}

/* A shared stream: take the player's newest frame, or notice its end. */
static void
shared_tick(struct stream *st)
{
	struct player_slot	*s = player_get(st->players, &st->pref);
	struct player_frame	*f;
	struct video_header	 h;
	uint32_t		 state;

	if (s == NULL) {
		end_stream(st, "error", "the player is gone");
		return;
	}
	if (st->watch_room[0] != '\0')
		watch_notices(st, s);
	state = LOAD_STATE(s);
	if ((f = player_pin_latest(s, st->shared_seq)) != NULL) {
		if (st->shared_seq != 0 && f->seq > st->shared_seq + 1)
			st->dropped += f->seq - st->shared_seq - 1;
		h.stream_id = st->id;
		h.seq = f->seq - 1;	/* the player counts from 1 */
		h.pts_ms = f->pts_ms;
		h.width = f->width;
		h.height = f->height;
		h.quality = f->quality;
		h.flags = f->flags | (st->key || player_keyed_after(s,
		    st->shared_seq) ? VIDEO_FLAG_KEY : 0);
		st->key = 0;
		st->shared_seq = f->seq;
		st->shared_pts_ms = f->pts_ms;
		offer(st, &h, f->data, f->len, NULL, f);
		return;
	}
	if (state == PLAYER_FAILED)
		end_stream(st, "error", s->error[0] ? s->error :
		    "the player failed");
	else if (state == PLAYER_FINISHED && !st->next.used)
		end_stream(st, "finished", NULL);
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

	if (st->shared) {
		shared_tick(st);
		return;
	}
	if (stream_timeout(st, now) != 0)
		return;
	late = (int64_t)((double)(now - st->base_ms) / st->frame_ms) -
	    (video_position(st->v) - st->base_frame);
	/* Catch up by skipping, but never past the last frame. */
	if (late > st->info.frames - video_position(st->v) - 1)
		late = st->info.frames - video_position(st->v) - 1;
	if (late >= LATE_SKIP_FRAMES) {
		int64_t before = video_position(st->v);

		if (video_skip(st->v, (int)late, err) < 0) {
			end_stream(st, "error", err);
			return;
		}
		late = video_position(st->v) - before;
		/* Skipped frames leave a gap in the numbers, as drops do. */
		st->seq += (uint32_t)late;
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

/*
 * Return 1 if the kernel holds so much for fd not yet sent (SIOCOUTQ)
 * that a new frame should wait: latest-frame-wins must count the socket's
 * own buffer, which grows to megabytes for a slow reader, or frames reach
 * it seconds late and chat queues behind them.
 */
static int
kernel_backlog(int fd)
{
	int	queued;

	return ioctl(fd, SIOCOUTQ, &queued) == 0 &&
	    queued > STREAM_KERNEL_QUEUE_MAX;
}

/*
 * Return 1 if video bytes are waiting to be written to fd now: the rest
 * of a frame begun, or a new one while the kernel's queue is short (else
 * the frame waits, and a newer one replaces it, counted as dropped).
 */
int
stream_pending(struct stream *st, int fd)
{
	st->held = 0;
	if (stream_mid_frame(st))
		return 1;
	if (!st->cur.used && !st->next.used)
		return 0;
	st->held = kernel_backlog(fd);
	return !st->held;
}

/* Return 1 if a frame is partly written (it must be finished first). */
int
stream_mid_frame(const struct stream *st)
{
	return st->cur.used && st->cur.off > 0;
}

/*
 * Write video bytes to fd until it would block or nothing is left.
 * Returns 0, or -1 if the connection broke.
 */
int
stream_write(struct stream *st, int fd)
{
	struct stream_out	*o = &st->cur;
	struct iovec		 iov[2];
	size_t			 hl = sizeof o->head;
	ssize_t			 n;
	int			 k;

	for (;;) {
		if (o->off == 0 && (o->used || st->next.used) &&
		    (st->held = kernel_backlog(fd)))
			return 0;
		if (!o->used) {
			if (!st->next.used)
				return 0;
			*o = st->next;
			memset(&st->next, 0, sizeof st->next);
		}
		k = 0;
		if (o->off < hl) {
			iov[k].iov_base = o->head + o->off;
			iov[k++].iov_len = hl - o->off;
			iov[k].iov_base = (void *)o->data;
			iov[k++].iov_len = o->len;
		} else {
			iov[k].iov_base = (void *)(o->data + (o->off - hl));
			iov[k++].iov_len = o->len - (o->off - hl);
		}
		n = proc_writev(fd, iov, k);
		if (n <= 0)
			return (int)n;
		o->off += (size_t)n;
		if (o->off == hl + o->len) {
			out_release(o);
			st->sent++;
		}
	}
}
