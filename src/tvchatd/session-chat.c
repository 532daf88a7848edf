/*
 * A session's chat and rooms: the roster, who, room-join/room-leave, and
 * chat, which is cut into one parcel per recipient, with that
 * recipient's wrapped key only, for the broker to deliver; a token
 * bucket limits how fast a client may send them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Take one token from the chat bucket; return 0, or -1 if empty. */
static int
rate_take(struct session *s)
{
	int64_t	now = util_now_ms();

	s->tokens += (double)(now - s->tokens_at) / 1000.0 * s->cfg->chat_rate;
	if (s->tokens > s->cfg->chat_burst)
		s->tokens = s->cfg->chat_burst;
	s->tokens_at = now;
	if (s->tokens < 1.0)
		return -1;
	s->tokens -= 1.0;
	return 0;
}

/* Return the wrapped key in keys for name (ignoring case), or NULL. */
static const char *
wrapped_for(json_object *keys, const char *name)
{
	json_object	*exact;

	/* Senders use the roster's spelling: a hash lookup finds it. */
	if (json_object_object_get_ex(keys, name, &exact))
		return json_object_get_string(exact);
	json_object_object_foreach(keys, k, v) {
		if (proto_name_equal(k, name))
			return json_object_get_string(v);
	}
	return NULL;
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
 * chat: stamp from and ts, then cut the message into one parcel per
 * recipient (with its own wrapped key only) for the broker; our own echo
 * goes straight into our queue. Recipients for whom the message carries
 * no wrapped key (the sender's roster was behind) are reported.
 */
void
session_on_chat(struct session *s, json_object *m)
{
	json_object		*to = msg_get(m, "to");
	json_object		*keys = msg_get(msg_get(m, "sealed"), "keys");
	json_object		*missing;
	struct presence_slot	*slots;
	struct presence_ref	*refs;
	struct buf		 prefix, frame;
	const char		*w;
	size_t			 n, cap = presence_capacity(s->presence);
	char			 text[MESSAGE_TEXT_MAX];

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
	buf_init(&prefix, FRAME_MAX_JSON);
	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	msg_chat_deliver_prefix(&prefix, s->name, to, msg_get_str(m, "id"),
	    chat_ts(), msg_get(m, "sealed"));
	missing = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if (!is_recipient(s, &slots[i], to))
			continue;
		if ((w = wrapped_for(keys, slots[i].name)) == NULL) {
			json_object_array_add(missing,
			    json_object_new_string(slots[i].name));
			continue;
		}
		msg_chat_deliver_frame(&frame, &prefix, w);
		if (slots[i].pid == getpid())
			session_send_raw(s, buf_ptr(&frame), buf_len(&frame));
		else
			session_broker_send(&s->broker, IPC_DELIVER, &refs[i],
			    buf_ptr(&frame), buf_len(&frame));
	}
	if (json_object_array_length(missing) > 0) {
		snprintf(text, sizeof text, "not delivered to %s: the message "
		    "has no key for them", msg_text(missing));
		session_send_error(s, PROTO_E_NO_SUCH_USER, text);
	}
	json_object_put(missing);
	buf_free(&prefix);
	buf_free(&frame);
	free(slots);
	free(refs);
}

/* who: reply with the users (of one room, if asked). */
void
session_on_who(struct session *s, json_object *m)
{
	const char	*room = msg_get_str(m, "room");
	json_object	*reply = msg_who_reply(session_roster(s, room));

	if (room != NULL)
		json_object_object_add(reply, "room",
		    json_object_new_string(room));
	session_send(s, reply);
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
