/*
 * A session's chat and rooms: the roster, who, room-join/room-leave;
 * chat, one sealed blob the same for every recipient, handed to the
 * broker once per recipient; and sender keys, a session sealed to one
 * member, which take the same road so they reach it before the chat that
 * needs them. Token buckets limit how fast a client may send either.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "session-private.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

/* Return an array of every active user (optionally only in room). */
json_object *
session_roster(struct session *s, const char *room)
{
	struct presence_slot	*slots;
	json_object		*users = json_object_new_array();
	uint32_t		 cap = presence_capacity(s->presence);
	size_t			 n;

	slots = xreallocarray(NULL, cap, sizeof *slots);
	n = presence_snapshot(s->presence, slots, NULL, cap);
	for (size_t i = 0; i < n; i++)
		if (room == NULL || presence_in_room(&slots[i], room))
			json_object_array_add(users, user_json(&slots[i]));
	free(slots);
	return users;
}

/*
 * Send m (welcome or who; taken) with the roster users (taken): as many
 * users as fit one frame in m, marked "more", and the rest in "users"
 * messages, the last without "more" (tvchat-protocol(5), "Roster").
 */
void
session_send_users(struct session *s, json_object *m, json_object *users)
{
	size_t		 n = json_object_array_length(users), i = 0, k;
	json_object	*chunk;

	do {
		chunk = json_object_new_array_ext((int)SESSION_USERS_PER_FRAME);
		for (k = 0; k < SESSION_USERS_PER_FRAME && i < n; k++, i++)
			json_object_array_add(chunk, json_object_get(
			    json_object_array_get_idx(users, i)));
		if (m != NULL) {
			json_object_object_add(m, "users", chunk);
			if (i < n)
				json_object_object_add(m, "more",
				    json_object_new_boolean(1));
			session_send(s, m);
			m = NULL;
		} else
			session_send(s, msg_users(chunk, i < n));
	} while (i < n);
	json_object_put(users);
}

/* Take one token from bucket b (rate per second, burst at most); return
 * 0, or -1 if it is empty. */
static int
bucket_take(struct bucket *b, double rate, double burst)
{
	int64_t	now = util_now_ms();

	b->tokens += (double)(now - b->at) / 1000.0 * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at = now;
	if (b->tokens < 1.0)
		return -1;
	b->tokens -= 1.0;
	return 0;
}

static int
rate_take(struct session *s)
{
	return bucket_take(&s->chat_bucket, s->cfg->chat_rate,
	    s->cfg->chat_burst);
}

/* Return 1 if slot is a recipient of target (a room or names). */
static int
is_recipient(struct session *s, const struct presence_slot *slot,
    json_object *to)
{
	if (json_object_is_type(to, json_type_string))
		return presence_in_room(slot, json_object_get_string(to));
	if (proto_name_equal(slot->name, s->name))
		return 1;	/* the sender's echo */
	for (size_t j = 0; j < json_object_array_length(to); j++)
		if (proto_name_equal(slot->name, json_object_get_string(
		    json_object_array_get_idx(to, j))))
			return 1;
	return 0;
}

/*
 * Check the target against a snapshot: a room we are in, or names that
 * are all present. Returns 0, or -1 after telling the client why not.
 */
static int
check_target(struct session *s, json_object *to,
    const struct presence_slot *slots, size_t n)
{
	char	text[96];
	size_t	i;

	if (json_object_is_type(to, json_type_string)) {
		for (i = 0; i < n; i++)
			if (slots[i].pid == getpid())
				break;
		if (i < n && presence_in_room(&slots[i],
		    json_object_get_string(to)))
			return 0;
		session_send_error(s, PROTO_E_NO_SUCH_ROOM,
		    "you are not in that room");
		return -1;
	}
	for (size_t j = 0; j < json_object_array_length(to); j++) {
		const char *want = json_object_get_string(
		    json_object_array_get_idx(to, j));

		for (i = 0; i < n; i++)
			if (proto_name_equal(slots[i].name, want))
				break;
		if (i == n) {
			snprintf(text, sizeof text, "no user called %s", want);
			session_send_error(s, PROTO_E_NO_SUCH_USER, text);
			return -1;
		}
	}
	return 0;
}

/* Return the time now in ms since the epoch: a chat's time stamp. */
static int64_t
chat_ts(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * chat: stamp from and ts and hand the one frame to the broker for each
 * recipient; our own echo goes straight into our queue. Who can open it
 * is the sender's business: it gave its session key to the members its
 * roster showed (sender-key), and a member without one says so.
 */
void
session_on_chat(struct session *s, json_object *m)
{
	json_object		*to = msg_get(m, "to");
	struct presence_slot	*slots;
	struct presence_ref	*refs;
	struct buf		 frame;
	size_t			 n, cap = presence_capacity(s->presence);

	if (rate_take(s) != 0) {
		session_send_error(s, PROTO_E_RATE,
		    "slow down: message not sent");
		return;
	}
	slots = xreallocarray(NULL, cap, sizeof *slots);
	refs = xreallocarray(NULL, cap, sizeof *refs);
	n = presence_snapshot(s->presence, slots, refs, cap);
	if (check_target(s, to, slots, n) != 0) {
		free(slots);
		free(refs);
		return;
	}
	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	msg_chat_deliver_frame(&frame, s->name, to, msg_get_str(m, "id"),
	    chat_ts(), msg_get_str(m, "sealed"));
	for (size_t i = 0; i < n; i++) {
		if (!is_recipient(s, &slots[i], to))
			continue;
		if (slots[i].pid == getpid())
			session_send_raw(s, buf_ptr(&frame), buf_len(&frame));
		else
			session_broker_send(&s->broker, IPC_DELIVER, &refs[i],
			    buf_ptr(&frame), buf_len(&frame));
	}
	buf_free(&frame);
	free(slots);
	free(refs);
}

/*
 * sender-key: a session sealed to one member; stamp from and pass it on.
 * A rotation sends one to every member of a room at once, so the bucket
 * holds two rounds for the largest room the table can show, and refills
 * a round for each chat token.
 */
void
session_on_sender_key(struct session *s, json_object *m)
{
	const char		*to = msg_get_str(m, "to");
	double			 room = presence_capacity(s->presence);
	struct presence_ref	 ref;
	struct buf		 frame;
	char			 text[96];

	if (bucket_take(&s->key_bucket, s->cfg->chat_rate * room,
	    2 * room + 64) != 0) {
		snprintf(text, sizeof text, "slow down: session key for %s "
		    "not sent", to);
		session_send_error(s, PROTO_E_RATE, text);
		return;
	}
	if (presence_find(s->presence, to, NULL, &ref) != 0 ||
	    proto_name_equal(to, s->name)) {
		snprintf(text, sizeof text, "session key not delivered: no "
		    "other user called %s", to);
		session_send_error(s, PROTO_E_NO_SUCH_USER, text);
		return;
	}
	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(msg_sender_key("from", s->name,
	    json_object_get(msg_get(m, "target")), msg_get_str(m, "blob")),
	    &frame) != 0)
		fatalx("sender-key: frame over its cap");
	session_broker_send(&s->broker, IPC_DELIVER, &ref, buf_ptr(&frame),
	    buf_len(&frame));
	buf_free(&frame);
}

/* who: reply with the users (of one room, if asked). */
void
session_on_who(struct session *s, json_object *m)
{
	const char	*room = msg_get_str(m, "room");
	json_object	*reply = msg_new("who");

	if (room != NULL)
		json_object_object_add(reply, "room",
		    json_object_new_string(room));
	session_send_users(s, reply, session_roster(s, room));
}

/* room-join / room-leave: update the table, tell everyone. */
void
session_on_room(struct session *s, json_object *m)
{
	const char	*type = msg_type(m), *room = msg_get_str(m, "room");
	int		 join = strcmp(type, "room-join") == 0, r;
	json_object	*notice;

	if (rate_take(s) != 0) {
		session_send_error(s, PROTO_E_RATE, "slow down");
		return;
	}
	r = join ? presence_room_join(s->presence, &s->ref, room) :
	    presence_room_leave(s->presence, &s->ref, room);
	if (r != PROTO_OK) {
		session_send_error(s, r, join ? "too many rooms" :
		    "you are not in that room");
		return;
	}
	notice = msg_room(type, room, s->name);
	session_send(s, json_object_get(notice));
	session_broker_broadcast(&s->broker, notice);
}
