/*
 * The client's commands, shared by the TUI (tui-command.c) and batch mode
 * (batch.c): each front end splits a command's arguments its own way and
 * calls one of these, which checks them and sends the command's message.
 * A refusal is a negative code that command_strerror() words; nothing
 * here draws, so each front end reports it as it shows things.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "command.h"
#include "msg.h"

/* Return the words for a command_error code. */
const char *
command_strerror(int code)
{
	switch (code) {
	case COMMAND_OK:
		return "ok";
	case COMMAND_NOT_CONNECTED:
		return "not connected (reconnecting)";
	case COMMAND_BAD_ROOM:
		return "bad room name";
	case COMMAND_BAD_NAME:
		return "\"to\" must name users";
	case COMMAND_TOO_MANY:
		return "\"to\" names more than 256 users";
	case COMMAND_NAME_TWICE:
		return "\"to\" names a user twice";
	case COMMAND_BAD_QUALITY:
		return "quality is 240p, 720p, 1440p or auto";
	case COMMAND_WATCH_QUALITY:
		return "quality is 240p, 720p or 1440p";
	case COMMAND_REFUSED:
		return "refused";
	}
	return "unknown error";
}

/* Return COMMAND_OK if the client is in, else COMMAND_NOT_CONNECTED. */
static int
need_connection(const struct client *c)
{
	return c->state == CLIENT_ACTIVE ? COMMAND_OK : COMMAND_NOT_CONNECTED;
}

/*
 * Parse a quality name (NULL: auto) into *q; 0, COMMAND_BAD_QUALITY, or
 * with shared set (watching together has one quality for everyone)
 * COMMAND_WATCH_QUALITY for an explicit "auto".
 */
int
command_quality_from_name(const char *name, int shared, enum quality *q)
{
	*q = QUALITY_AUTO;
	if (name == NULL)
		return COMMAND_OK;
	if (proto_quality_from_name(name, q) != 0)
		return COMMAND_BAD_QUALITY;
	if (shared && *q == QUALITY_AUTO)
		return COMMAND_WATCH_QUALITY;
	return COMMAND_OK;
}

/*
 * Say text in room (NULL: the current one), as an action if asked; 0 or
 * a command_error (client_say() reports not being connected itself).
 */
int
command_say(struct client *c, const char *room, const char *text, int action)
{
	if (room == NULL)
		room = c->room;
	if (!proto_room_valid(room))
		return COMMAND_BAD_ROOM;
	if (client_say(c, json_object_new_string(room), text, action) != 0)
		return COMMAND_REFUSED;
	return COMMAND_OK;
}

/*
 * Send text to the users named in to (an array, taken); 0 or a
 * command_error, with *bad the index of the entry refused by
 * COMMAND_BAD_NAME or COMMAND_NAME_TWICE (the length if there is none).
 */
int
command_msg(struct client *c, json_object *to, const char *text, int action,
    size_t *bad)
{
	size_t	n = json_object_array_length(to);

	*bad = n;
	if (n > CHAT_MAX_RECIPIENTS) {
		json_object_put(to);
		return COMMAND_TOO_MANY;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(to, i);

		*bad = i;
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v) ||
		    !proto_name_valid(json_object_get_string(v))) {
			json_object_put(to);
			return COMMAND_BAD_NAME;
		}
		/* The server refuses a name twice (ignoring case). */
		for (size_t j = 0; j < i; j++) {
			if (proto_name_equal(json_object_get_string(v),
			    json_object_get_string(
			    json_object_array_get_idx(to, j)))) {
				json_object_put(to);
				return COMMAND_NAME_TWICE;
			}
		}
	}
	*bad = n;
	if (n == 0) {
		json_object_put(to);
		return COMMAND_BAD_NAME;
	}
	if (client_say(c, to, text, action) != 0)
		return COMMAND_REFUSED;
	return COMMAND_OK;
}

/* Join room and make it current once the server accepts; 0 or an error. */
int
command_join(struct client *c, const char *room)
{
	if (!proto_room_valid(room))
		return COMMAND_BAD_ROOM;
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_room(c, 1, room);
	return COMMAND_OK;
}

/* Leave room (NULL: the current one, then the default room is); 0 or an
 * error. */
int
command_part(struct client *c, const char *room)
{
	if (room == NULL)
		room = c->room;
	if (!proto_room_valid(room))
		return COMMAND_BAD_ROOM;
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_room(c, 0, room);
	if (proto_name_equal(room, c->room))
		snprintf(c->room, sizeof c->room, "%s", DEFAULT_ROOM);
	return COMMAND_OK;
}

/* Ask who is here (in room, or everyone for NULL); 0 or an error. */
int
command_who(struct client *c, const char *room)
{
	if (room != NULL && !proto_room_valid(room))
		return COMMAND_BAD_ROOM;
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_who(c, room);
	return COMMAND_OK;
}

/* Show a user's key fingerprints (an event says them). */
void
command_verify(struct client *c, const char *name)
{
	client_verify(c, name);
}

/* Trust a user's current key (an event says so). */
void
command_trust(struct client *c, const char *name)
{
	client_trust(c, name);
}

/* Start a new session key in room (NULL: the current one); 0 or an
 * error. */
int
command_rotate(struct client *c, const char *room)
{
	if (room == NULL)
		room = c->room;
	if (!proto_room_valid(room))
		return COMMAND_BAD_ROOM;
	return client_rotate(c, room) == 0 ? COMMAND_OK : COMMAND_BAD_ROOM;
}

/* Send a protocol message as it is (batch mode's tests use it). */
void
command_raw(struct client *c, json_object *m)
{
	client_send(c, json_object_get(m));
}

/* Ask for the video library; 0 or an error. */
int
command_videos(struct client *c)
{
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_send(c, msg_new("videos"));
	return COMMAND_OK;
}

/* Play video name at quality q, w x h pixels, from start seconds; 0 or
 * an error. */
int
command_play(struct client *c, const char *name, enum quality q, int w,
    int h, double start)
{
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	/* The name may be longer than the protocol allows. */
	client_send_checked(c, msg_play(name, q, w, h, start));
	return COMMAND_OK;
}

/* Send a message without arguments; 0 or an error. */
static int
send_simple(struct client *c, const char *type)
{
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_send(c, msg_new(type));
	return COMMAND_OK;
}

/* Pause the video; 0 or an error. */
int
command_pause(struct client *c)
{
	return send_simple(c, "pause");
}

/* Resume the video; 0 or an error. */
int
command_resume(struct client *c)
{
	return send_simple(c, "resume");
}

/* Stop the video; 0 or an error. */
int
command_stop(struct client *c)
{
	return send_simple(c, "stop");
}

/* Jump to second to of the video (before the start: the start); 0 or an
 * error. */
int
command_seek(struct client *c, double to)
{
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	/* strtod() also reads "nan", "inf" and 1e400 (infinity). */
	client_send_checked(c, msg_seek(to < 0 ? 0 : to));
	return COMMAND_OK;
}

/* Change the video's quality; 0 or an error. */
int
command_quality(struct client *c, enum quality q)
{
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_send(c, msg_quality(q));
	return COMMAND_OK;
}

/*
 * Watch together with room: start video name (NULL: join what the room
 * watches) at quality q, w x h pixels; 0 or an error.
 */
int
command_watch(struct client *c, const char *room, const char *name,
    enum quality q, int w, int h)
{
	if (!proto_room_valid(room))
		return COMMAND_BAD_ROOM;
	if (need_connection(c) != COMMAND_OK)
		return COMMAND_NOT_CONNECTED;
	client_send_checked(c, msg_watch_request(room, name, q, w, h));
	return COMMAND_OK;
}

/* Ask for the picture at w x h pixels from now on (sent in any state:
 * the caller knows when it is wanted). */
void
command_resize(struct client *c, int w, int h)
{
	client_send(c, msg_resize(w, h));
}
