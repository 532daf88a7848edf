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
msg_user(const char *name, json_object *jwk, const char *fingerprint)
{
	json_object	*u = json_object_new_object();

	add_str(u, "name", name);
	json_object_object_add(u, "key", jwk);
	add_str(u, "fingerprint", fingerprint);
	return u;
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
msg_hello(const char *name, json_object *jwk, const char *sig)
{
	json_object	*m = msg_new("hello");

	add_int(m, "version", PROTOCOL_VERSION);
	add_str(m, "name", name);
	json_object_object_add(m, "key", jwk);
	add_str(m, "sig", sig);
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

/* Return a chat as the client sends it; takes ownership of to and sealed. */
json_object *
msg_chat_send(json_object *to, const char *id, json_object *sealed)
{
	json_object	*m = msg_new("chat");

	json_object_object_add(m, "to", to);
	add_str(m, "id", id);
	json_object_object_add(m, "sealed", sealed);
	return m;
}

/* Append a C string to b (a chat frame: never over its cap). */
static void
put(struct buf *b, const char *s)
{
	if (buf_append(b, s, strlen(s)) != 0)
		fatalx("chat: frame over its cap");
}

/* Append a JSON string literal for s (quoted, escaped) to b. */
static void
put_json_string(struct buf *b, const char *s)
{
	json_object	*v = json_object_new_string(s);

	put(b, msg_text(v));
	json_object_put(v);
}

/*
 * Write into prefix everything of a delivered chat up to its wrapped key:
 * from, the target and id as the sender's (validated) chat has them, the
 * time stamp ts (ms since the epoch) and the sealed parts but the keys.
 * The prefix is serialised once, so a room message costs one string copy
 * per recipient (msg_chat_deliver_frame()), not one JSON serialisation.
 */
void
msg_chat_deliver_prefix(struct buf *prefix, const char *from, json_object *to,
    const char *id, int64_t ts, json_object *sealed)
{
	char	num[40];

	snprintf(num, sizeof num, ",\"ts\":%lld", (long long)ts);
	put(prefix, "{\"type\":\"chat\",\"from\":");
	put_json_string(prefix, from);
	put(prefix, ",\"to\":");
	put(prefix, msg_text(to));
	put(prefix, ",\"id\":");
	put_json_string(prefix, id);
	put(prefix, num);
	/* Validated base64url strings need no escaping. */
	put(prefix, ",\"sealed\":{\"iv\":\"");
	put(prefix, msg_get_str(sealed, "iv"));
	put(prefix, "\",\"ct\":\"");
	put(prefix, msg_get_str(sealed, "ct"));
	put(prefix, "\",\"tag\":\"");
	put(prefix, msg_get_str(sealed, "tag"));
	put(prefix, "\",\"sig\":\"");
	put(prefix, msg_get_str(sealed, "sig"));
	put(prefix, "\",\"key\":\"");
}

/*
 * Write into out (emptied first) the delivered chat frame for one
 * recipient: the prefix from msg_chat_deliver_prefix() plus that
 * recipient's wrapped key (validated base64url).
 */
void
msg_chat_deliver_frame(struct buf *out, const struct buf *prefix,
    const char *wrapped)
{
	uint8_t	hdr[FRAME_HEADER_LEN];
	size_t	len = buf_len(prefix) + strlen(wrapped) + 3;

	buf_reset(out);
	frame_encode_header(hdr, FRAME_TYPE_JSON, (uint32_t)len);
	if (buf_append(out, hdr, sizeof hdr) != 0 ||
	    buf_append(out, buf_ptr(prefix), buf_len(prefix)) != 0)
		fatalx("chat: frame over its cap");
	put(out, wrapped);
	put(out, "\"}}");
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
