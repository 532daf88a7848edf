/*
 * One session's video stream: the client's requests (play, pause, seek,
 * quality, resize, stop, watching together) and where its frames come
 * from. A stream at a standard size and a fixed quality is a viewer of a
 * shared player (player.c), one whose frames every viewer of that title
 * sends from the same ring; any other stream, or a viewer who pauses,
 * seeks or changes quality alone, decodes its own (stream-private.c),
 * while private streams last. Watching together, a room's participants
 * share one player and any of them pauses, seeks or switches quality for
 * all. What goes out to the client is stream-out.c's.
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "stream-out.h"
#include "stream-private.h"
#include "stream.h"

#define AUTO_START		1	/* 720p, if the title has it */

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

/* Stop viewing a shared player, if we were. */
static void
leave_player(struct stream *st)
{
	if (st->shared && st->players != NULL)
		player_leave(st->players, &st->pref);
	st->shared = 0;
}

/* End the current stream (if any) with reason; message may be NULL. */
static void
end_stream(struct stream *st, const char *reason, const char *message)
{
	if (!st->active)
		return;
	stream_private_close(st);
	st->active = 0;
	leave_player(st);
	st->watch_room[0] = '\0';
	stream_out_drop_pending(st);
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
	stream_private_close(st);
	stream_out_release(&st->cur);
	stream_out_release(&st->next);
	memset(st, 0, sizeof *st);
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
		kill(player_master_pid(st->players), SIGUSR1);
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
	stream_private_busy(st, why, sizeof why);
	snprintf(text, sizeof text, "cannot %s: that needs a stream of your "
	    "own, and %s; the shared stream goes on unchanged",
	    strcmp(type, "quality") == 0 ? "change the quality" : type, why);
	log_debug("stream %u: no private stream for %s", st->id, type);
	stream_out_error(st, PROTO_E_VIDEO, text);
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
	if (stream_private_take(st) != 0) {
		stay_shared(st, type);
		return -1;
	}
	/* Numbering goes on where the player's left off. */
	st->seq = st->shared_seq;
	/* Go on from the frame after the last one the client got. */
	at = st->shared_pts_ms / 1000.0 + (st->shared_seq ? 1.0 / st->info.fps
	    : 0);
	leave_player(st);
	if (stream_private_open(st, st->qi, at, now) != 0) {
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

	stream_private_busy(st, why, sizeof why);
	proto_standard_size(st->want_w, st->want_h, &st->w, &st->h);
	if (join_player(st, t, qi, start, now) != 0) {
		snprintf(text, sizeof text, "%s, and no shared player can be "
		    "had; try again later", why);
		stream_out_error(st, PROTO_E_VIDEO, text);
		return;
	}
	log_debug("stream %u: no private stream; shared %dx%d instead",
	    st->id, st->w, st->h);
	snprintf(text, sizeof text, "%s: playing the shared %dx%d %s stream "
	    "instead", why, st->w, st->h,
	    proto_quality_name(library_quality_of(qi)));
	stream_out_error(st, PROTO_E_VIDEO, text);
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
		stream_out_error(st, PROTO_E_NO_SUCH_VIDEO, "no video of "
		    "that name (see the videos list)");
		return;
	}
	qi = q == QUALITY_AUTO ? auto_start(t) : library_quality_index(q);
	if (qi < 0 || t->path[qi] == NULL) {
		stream_out_error(st, PROTO_E_NO_SUCH_QUALITY, "this video "
		    "has no such quality");
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
	if (stream_private_take(st) != 0) {
		play_shared_instead(st, t, qi, msg_get_num(m, "start", 0), now);
		return;
	}
	if (stream_private_open(st, qi, msg_get_num(m, "start", 0), now) != 0) {
		stream_private_close(st);
		return;
	}
	begin(st, q == QUALITY_AUTO, now);
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
			stream_out_error(st, PROTO_E_NO_SUCH_QUALITY,
			    "watching together needs a quality the video "
			    "has (not auto)");
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
		stream_out_error(st, PROTO_E_VIDEO, "too many videos "
		    "playing; try again later");
		return -1;
	}
	if (created)
		kill(player_master_pid(st->players), SIGUSR1);
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
		stream_out_error(st, PROTO_E_NO_SUCH_VIDEO, "the room "
		    "watches a video this server does not have");
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
		stream_out_error(st, PROTO_E_VIDEO, "this server does not "
		    "share players");
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
				stream_out_error(st, PROTO_E_NO_SUCH_VIDEO,
				    "that room is not watching anything");
			return NULL;
		}
		end_stream(st, "stopped", "watching with the room");
		st->pref = ref;
		s = player_get(st->players, &ref);
		t = s == NULL ? NULL : library_find(st->lib,
		    player_slot_title(s));
		qi = s == NULL ? -1 : library_quality_index((enum quality)
		    player_slot_quality(s));
		if (t == NULL || qi < 0 || t->path[qi] == NULL) {
			player_leave(st->players, &st->pref);
			stream_out_error(st, PROTO_E_NO_SUCH_VIDEO, "that "
			    "video is gone");
			return NULL;
		}
		st->watch_seen = player_slot_applied_gen(s);
		snprintf(st->name, sizeof st->name, "%s", t->name);
		snprintf(st->watch_room, sizeof st->watch_room, "%s", room);
		player_slot_size(s, &w, &h);
		share(st, t, qi, w, h);
		begin(st, 0, now);
		return NULL;
	}
	if (msg_get_str(m, "quality") != NULL)
		proto_quality_from_name(msg_get_str(m, "quality"), &q);
	if ((t = library_find(st->lib, name)) == NULL) {
		stream_out_error(st, PROTO_E_NO_SUCH_VIDEO, "no video of "
		    "that name");
		return NULL;
	}
	qi = q == QUALITY_AUTO ? auto_start(t) : library_quality_index(q);
	if (qi < 0 || t->path[qi] == NULL) {
		stream_out_error(st, PROTO_E_NO_SUCH_QUALITY, "this video "
		    "has no such quality");
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

/* pause: hold the private stream where it is. */
static void
private_pause(struct stream *st, json_object *m, int64_t now)
{
	st->paused = 1;
	stream_out_drop_pending(st);
}

/* resume: go on from where it was held. */
static void
private_resume(struct stream *st, json_object *m, int64_t now)
{
	if (st->paused)
		stream_private_reschedule(st, now);
	st->paused = 0;
}

/* seek: jump to "to" seconds (the end at most). */
static void
private_seek(struct stream *st, json_object *m, int64_t now)
{
	char	err[VIDEO_ERR_LEN];
	double	to;

	to = msg_get_num(m, "to", 0);
	if (to > st->info.duration)
		to = st->info.duration;
	if (video_seek(st->v, (int64_t)llround(to * st->info.fps), err) != 0) {
		stream_out_error(st, PROTO_E_VIDEO, err);
		return;
	}
	stream_out_drop_pending(st);
	stream_private_reschedule(st, now);
}

/* quality: switch the private decoder's quality. */
static void
private_quality(struct stream *st, json_object *m, int64_t now)
{
	stream_private_set_quality(st, m, now);
}

/* resize: fit the picture to the client's new pane. */
static void
private_resize(struct stream *st, json_object *m, int64_t now)
{
	json_object	*size = msg_get(m, "size");

	st->want_w = json_object_get_int(json_object_array_get_idx(size, 0));
	st->want_h = json_object_get_int(json_object_array_get_idx(size, 1));
	stream_private_fit(st);
	announce(st);
}

/* What a stream of its own does with each request, once it is its own. */
static const struct {
	const char	*type;
	void		(*handler)(struct stream *, json_object *, int64_t);
} private_requests[] = {
	{ "pause", private_pause },
	{ "resume", private_resume },
	{ "seek", private_seek },
	{ "quality", private_quality },
	{ "resize", private_resize },
};

/*
 * Handle a video request from the client: play starts one; stop ends it;
 * in a room that watches together the room's player takes it; otherwise
 * the stream becomes its own (go_private()) and the table handles it.
 */
void
stream_request(struct stream *st, json_object *m, int64_t now)
{
	const char	*type = msg_type(m);

	if (strcmp(type, "play") == 0) {
		play(st, m, now);
		return;
	}
	if (!st->active) {
		stream_out_error(st, PROTO_E_UNEXPECTED, "nothing is playing");
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
	for (size_t i = 0; i < sizeof private_requests /
	    sizeof private_requests[0]; i++)
		if (strcmp(type, private_requests[i].type) == 0) {
			private_requests[i].handler(st, m, now);
			return;
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

		if (s != NULL && player_slot_applied_gen(s) != st->watch_seen &&
		    st->watch_room[0] != '\0')
			return 0;
		if (s == NULL || player_slot_state(s) != PLAYER_RUNNING ||
		    player_slot_latest(s) != st->shared_seq)
			return s == NULL || player_slot_latest(s) !=
			    st->shared_seq ? 0 : 20;
		due = player_slot_next_due_ms(s) + 1;
		return due <= now ? 5 : (int)(due - now);
	}
	return stream_private_timeout(st, now);
}

/* Watching together: tell the client what a participant changed. */
static void
watch_notices(struct stream *st, const struct player_slot *s)
{
	static const char *const actions[] = {
		"", "pause", "resume", "seek", "quality"
	};
	uint32_t	 gen = player_slot_applied_gen(s);
	const char	*by;
	double		 to;
	uint8_t		 quality;
	int		 action = player_slot_control(s, &to, &quality, &by);
	json_object	*m;

	if (gen == st->watch_seen || action < 1 || action > 4)
		return;
	st->watch_seen = gen;
	m = msg_new("watch-control");
	json_object_object_add(m, "room",
	    json_object_new_string(player_slot_room(s)));
	json_object_object_add(m, "action",
	    json_object_new_string(actions[action]));
	json_object_object_add(m, "by", json_object_new_string(by));
	if (action == PLAYER_SEEK)
		json_object_object_add(m, "to", json_object_new_double(to));
	if (action == PLAYER_QUALITY)
		json_object_object_add(m, "quality", json_object_new_string(
		    proto_quality_name((enum quality)quality)));
	st->paused = action == PLAYER_PAUSE;
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
	state = player_slot_state(s);
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
		stream_out_offer(st, &h, f->data, f->len, NULL, f);
		return;
	}
	if (state == PLAYER_FAILED)
		end_stream(st, "error", player_slot_error(s)[0] ?
		    player_slot_error(s) : "the player failed");
	else if (state == PLAYER_FINISHED && !st->next.used)
		end_stream(st, "finished", NULL);
}

/*
 * Produce the frame that is due, if one is: a shared player's newest, or
 * one of our own (stream-private.c); end the stream at the end of the
 * file, or with an error (a file that ends early is one).
 */
void
stream_tick(struct stream *st, int64_t now)
{
	char	err[VIDEO_ERR_LEN];
	int	r;

	if (st->shared) {
		shared_tick(st);
		return;
	}
	if (stream_timeout(st, now) != 0)
		return;
	if ((r = stream_private_tick(st, now, err)) < 0)
		end_stream(st, "error", err);
	else if (r > 0)
		end_stream(st, "finished", NULL);
}
