/*
 * Builders of the wire protocol's JSON messages: one function per message
 * (and per shape of its parts), each returning a new json-c object for
 * msg_encode(). A delivered chat, fanned out to a whole room, has a
 * builder of its own that writes the frame bytes directly (see
 * msg_chat_deliver_prefix()). What they build validates by msg_parse()'s
 * table (msg.c); tests/unit/test_msg.c checks that it does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "utf8.h"

/* Add a string member (NULL values are skipped). */
static void
add_str(json_object *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(obj, key, json_object_new_string(value));
}

static void
add_int(json_object *obj, const char *key, int64_t value)
{
	json_object_object_add(obj, key, json_object_new_int64(value));
}

static void
add_num(json_object *obj, const char *key, double value)
{
	json_object_object_add(obj, key, json_object_new_double(value));
}

/* Return a new message object {"type": type}. */
json_object *
msg_new(const char *type)
{
	json_object	*obj = json_object_new_object();

	if (obj == NULL)
		fatalx("json: out of memory");
	add_str(obj, "type", type);
	return obj;
}

/* Return a JWK {"kty":"RSA","n":n,"e":e} from base64url members. */
json_object *
msg_jwk(const char *n, const char *e)
{
	json_object	*jwk = json_object_new_object();

	add_str(jwk, "kty", "RSA");
	add_str(jwk, "n", n);
	add_str(jwk, "e", e);
	return jwk;
}

/* Return a user object; takes ownership of jwk. */
json_object *
msg_user(const char *name, json_object *jwk, const char *fingerprint,
    json_object *prekey)
{
	json_object	*u = json_object_new_object();

	add_str(u, "name", name);
	json_object_object_add(u, "key", jwk);
	add_str(u, "fingerprint", fingerprint);
	json_object_object_add(u, "prekey", prekey);
	return u;
}

/* Return a signed prekey object: base64url key and signature. */
json_object *
msg_prekey(const char *key, int64_t created, const char *sig)
{
	json_object	*p = json_object_new_object();

	add_str(p, "key", key);
	add_int(p, "created", created);
	add_str(p, "sig", sig);
	return p;
}

/* Return a challenge carrying the server name and a base64url nonce. */
json_object *
msg_challenge(const char *server, const uint8_t *nonce, size_t nonce_len)
{
	json_object	*m = msg_new("challenge");
	char		*b64 = base64url_encode(nonce, nonce_len);

	add_int(m, "version", PROTOCOL_VERSION);
	add_str(m, "server", server);
	add_str(m, "nonce", b64);
	free(b64);
	return m;
}

/* Return a hello; takes ownership of jwk. */
json_object *
msg_hello(const char *name, json_object *jwk, const char *sig,
    json_object *prekey)
{
	json_object	*m = msg_new("hello");

	add_int(m, "version", PROTOCOL_VERSION);
	add_str(m, "name", name);
	json_object_object_add(m, "key", jwk);
	add_str(m, "sig", sig);
	json_object_object_add(m, "prekey", prekey);
	return m;
}

/* Return a welcome; takes ownership of the users and videos arrays. */
json_object *
msg_welcome(const char *name, json_object *users, json_object *videos,
    const char *motd)
{
	json_object	*m = msg_new("welcome");

	add_str(m, "name", name);
	json_object_object_add(m, "users", users);
	json_object_object_add(m, "videos", videos);
	add_str(m, "motd", motd);
	return m;
}

/* Return more of a roster (users taken); more: yet more follows. */
json_object *
msg_users(json_object *users, int more)
{
	json_object	*m = msg_new("users");

	json_object_object_add(m, "users", users);
	if (more)
		json_object_object_add(m, "more", json_object_new_boolean(1));
	return m;
}

/* Return an error message with its stable code and a human text. */
json_object *
msg_error(enum proto_error code, const char *message)
{
	json_object	*m = msg_new("error");
	char		 text[MESSAGE_TEXT_MAX + 1];

	/* Cut long texts on a character boundary so they stay valid. */
	snprintf(text, sizeof text, "%s", message != NULL ? message : "");
	for (size_t n = strlen(text); n > 0 &&
	    !utf8_valid((const uint8_t *)text, n); n--)
		text[n - 1] = '\0';
	add_str(m, "code", proto_error_name(code));
	add_str(m, "message", text);
	return m;
}

/* Return a join notice; takes ownership of user. */
json_object *
msg_join(json_object *user)
{
	json_object	*m = msg_new("join");

	json_object_object_add(m, "user", user);
	return m;
}

/* Return a leave notice with its reason. */
json_object *
msg_leave(const char *name, const char *reason)
{
	json_object	*m = msg_new("leave");

	add_str(m, "name", name);
	add_str(m, "reason", reason);
	return m;
}

/* Return a who request, for one room or (room NULL) everyone. */
json_object *
msg_who_request(const char *room)
{
	json_object	*m = msg_new("who");

	add_str(m, "room", room);
	return m;
}

/* Return a who reply; takes ownership of users. */
json_object *
msg_who_reply(json_object *users)
{
	json_object	*m = msg_new("who");

	json_object_object_add(m, "users", users);
	return m;
}

/* Return a room-join/room-leave request (name NULL) or notice. */
json_object *
msg_room(const char *type, const char *room, const char *name)
{
	json_object	*m = msg_new(type);

	add_str(m, "room", room);
	add_str(m, "name", name);
	return m;
}

/* Return a chat as the client sends it; takes ownership of to. */
json_object *
msg_chat_send(json_object *to, const char *id, const char *sealed)
{
	json_object	*m = msg_new("chat");

	json_object_object_add(m, "to", to);
	add_str(m, "id", id);
	add_str(m, "sealed", sealed);
	return m;
}

/*
 * Write into out (emptied first) the chat frame every recipient gets: the
 * sender's (validated) target, id and sealed blob, stamped with from and
 * the time ts (ms since the epoch). The same bytes go to everyone.
 */
void
msg_chat_deliver_frame(struct buf *out, const char *from, json_object *to,
    const char *id, int64_t ts, const char *sealed)
{
	json_object	*m = msg_new("chat");

	add_str(m, "from", from);
	json_object_object_add(m, "to", json_object_get(to));
	add_str(m, "id", id);
	add_int(m, "ts", ts);
	add_str(m, "sealed", sealed);
	buf_reset(out);
	if (msg_encode_free(m, out) != 0)
		fatalx("chat: frame over its cap");
}

/*
 * Return a sender key: a session sealed to one member (to, as the client
 * sends it) or stamped with its sender (from, as delivered). Takes
 * ownership of target.
 */
json_object *
msg_sender_key(const char *key, const char *name, json_object *target,
    const char *blob)
{
	json_object	*m = msg_new("sender-key");

	add_str(m, key, name);
	json_object_object_add(m, "target", target);
	add_str(m, "blob", blob);
	return m;
}

/* Return a ping with an id to echo. */
json_object *
msg_ping(int64_t id)
{
	json_object	*m = msg_new("ping");

	add_int(m, "id", id);
	return m;
}

/* Return the pong answering ping id. */
json_object *
msg_pong(int64_t id)
{
	json_object	*m = msg_new("pong");

	add_int(m, "id", id);
	return m;
}

/* Return the video list reply; takes ownership of videos. */
json_object *
msg_videos_reply(json_object *videos)
{
	json_object	*m = msg_new("videos");

	json_object_object_add(m, "videos", videos);
	return m;
}

/* Return one video description; takes ownership of qualities. */
json_object *
msg_video_info(const char *name, json_object *qualities, double fps,
    double duration, int64_t frames)
{
	json_object	*v = json_object_new_object();

	add_str(v, "name", name);
	json_object_object_add(v, "qualities", qualities);
	add_num(v, "fps", fps);
	add_num(v, "duration", duration);
	add_int(v, "frames", frames);
	return v;
}

/* Return a [w, h] array. */
static json_object *
size_array(int w, int h)
{
	json_object	*a = json_object_new_array();

	json_object_array_add(a, json_object_new_int(w));
	json_object_array_add(a, json_object_new_int(h));
	return a;
}

/* Return a play request. */
json_object *
msg_play(const char *name, enum quality q, int w, int h, double start)
{
	json_object	*m = msg_new("play");

	add_str(m, "name", name);
	add_str(m, "quality", proto_quality_name(q));
	json_object_object_add(m, "size", size_array(w, h));
	add_num(m, "start", start);
	return m;
}

/*
 * Return a request to watch together with room: name (or NULL: whatever
 * the room plays), quality (QUALITY_AUTO: the room's; watching together
 * has one quality for all), at a picture size of w x h.
 */
json_object *
msg_watch_request(const char *room, const char *name, enum quality q, int w,
    int h)
{
	json_object	*m = msg_new("watch");

	add_str(m, "room", room);
	if (name != NULL)
		add_str(m, "name", name);
	if (q != QUALITY_AUTO)
		add_str(m, "quality", proto_quality_name(q));
	json_object_object_add(m, "size", size_array(w, h));
	return m;
}

/* Return a seek request to a position in seconds. */
json_object *
msg_seek(double to)
{
	json_object	*m = msg_new("seek");

	add_num(m, "to", to);
	return m;
}

/* Return a quality request. */
json_object *
msg_quality(enum quality q)
{
	json_object	*m = msg_new("quality");

	add_str(m, "quality", proto_quality_name(q));
	return m;
}

/* Return a resize request. */
json_object *
msg_resize(int w, int h)
{
	json_object	*m = msg_new("resize");

	json_object_object_add(m, "size", size_array(w, h));
	return m;
}

/* Return a stream announcement. */
json_object *
msg_stream(uint32_t id, const char *name, enum quality q, double fps,
    int64_t frames, double duration, int w, int h)
{
	json_object	*m = msg_new("stream");

	add_int(m, "id", id);
	add_str(m, "name", name);
	add_str(m, "quality", proto_quality_name(q));
	add_num(m, "fps", fps);
	add_int(m, "frames", frames);
	add_num(m, "duration", duration);
	add_int(m, "w", w);
	add_int(m, "h", h);
	return m;
}

/* Return a stream-end with reason finished|stopped|error. */
json_object *
msg_stream_end(uint32_t id, const char *reason, const char *message)
{
	json_object	*m = msg_new("stream-end");

	add_int(m, "id", id);
	add_str(m, "reason", reason);
	add_str(m, "message", message);
	return m;
}

/* Return a quality-changed notice; why is "asked" or "auto". */
json_object *
msg_quality_changed(enum quality q, const char *why)
{
	json_object	*m = msg_new("quality-changed");

	add_str(m, "quality", proto_quality_name(q));
	add_str(m, "why", why);
	return m;
}
