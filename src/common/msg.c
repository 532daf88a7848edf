/*
 * JSON messages of the wire protocol. msg_parse() turns a frame payload into
 * a json-c object only if it is valid UTF-8, one JSON object, of a known type
 * for its direction, with every required field present and well-formed; the
 * rules live in one table (specs[]) that tvchat-protocol(5) mirrors. Then
 * the getters read a validated message, and msg_encode() frames one. The
 * builders of what is sent are in msg-build.c.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "distribution.h"
#include "frame.h"
#include "jsonsyntax.h"
#include "msg.h"
#include "utf8.h"

#define JSON_MAX_DEPTH		16
#define B64_MAX_RSA		1024	/* a 4096-bit RSA block is 683 chars */
#define B64_MAX_JWK_N		1024
#define B64_MAX_JWK_E		16
#define B64_MAX_NONCE		64
/* A sealed chat: header, ciphertext, tag and signature (senderkey.h). */
#define B64_MIN_SEALED		BASE64_ENCODED_LEN(SK_MESSAGE_MIN)
#define B64_MAX_SEALED		BASE64_ENCODED_LEN(SK_MESSAGE_MIN + \
				    CHAT_MAX_PLAINTEXT)
/* A distribution: its header and tag at least (distribution.h). */
#define B64_MIN_DIST		BASE64_ENCODED_LEN(DIST_HEADER_LEN + 16)
#define B64_MAX_DIST		BASE64_ENCODED_LEN(DIST_MAX)
#define B64_PREKEY		43	/* 32 bytes */
#define FINGERPRINT_MAX		64
#define SERVER_NAME_MAX		64
#define MOTD_MAX		1024
#define USERS_MAX		4096
#define VIDEOS_MAX		1024
#define DURATION_MAX		(7 * 24 * 3600.0)

enum kind {
	K_INT,		/* integer in [min, max] */
	K_NUM,		/* number in [min, max] */
	K_STR,		/* UTF-8 string of at most max bytes (min: least) */
	K_NAME,		/* user name */
	K_ROOM,		/* room name */
	K_B64,		/* base64url string of min..max characters */
	K_QUALITY,	/* "240p" | "720p" | "1440p" (min=1: also "auto") */
	K_CHOICE,	/* one of choices[] */
	K_TARGET,	/* room name, or array of 1..CHAT_MAX_RECIPIENTS names */
	K_SIZE,		/* [w, h], each 1..VIDEO_SIZE_MAX */
	K_JWK,		/* {"kty":"RSA","n":b64,"e":b64} */
	K_USER,		/* user object */
	K_USERS,	/* array of user objects */
	K_PREKEY,	/* {"key":b64,"created":ms,"sig":b64} */
	K_BOOL,		/* true or false */
	K_VIDEOS,	/* array of video descriptions */
	K_ROOMS,	/* array of room names */
};

struct field {
	const char		*name;
	enum kind		 kind;
	int			 required;
	int64_t			 min;
	int64_t			 max;
	const char *const	*choices;
	enum proto_error	 code;	/* when invalid; 0: bad-message */
};

struct spec {
	const char		*type;
	enum msg_dir		 dir;
	const struct field	*fields;
};

static const char *const stream_end_reasons[] = {
	"finished", "stopped", "error", NULL
};
static const char *const quality_whys[] = { "asked", "auto", NULL };
static const char *const watch_actions[] = {
	"pause", "resume", "seek", "quality", NULL
};

#define REQ	1
#define OPT	0
#define END	{ NULL, 0, 0, 0, 0, NULL, 0 }

static const struct field f_empty[] = { END };
static const struct field f_challenge[] = {
	{ "version", K_INT, REQ, 1, 65535, NULL, 0 },
	{ "server", K_STR, REQ, 0, SERVER_NAME_MAX, NULL, 0 },
	{ "nonce", K_B64, REQ, 43, B64_MAX_NONCE, NULL, 0 },
	END
};
static const struct field f_hello[] = {
	{ "version", K_INT, REQ, 1, 65535, NULL, PROTO_E_VERSION },
	{ "name", K_NAME, REQ, 0, 0, NULL, PROTO_E_NAME },
	{ "key", K_JWK, REQ, 0, 0, NULL, PROTO_E_KEY },
	{ "sig", K_B64, REQ, 2, B64_MAX_RSA, NULL, 0 },
	/* Required, but by the session after the version: a version-1
	 * client, which has none, is told about the version. */
	{ "prekey", K_PREKEY, OPT, 0, 0, NULL, PROTO_E_KEY },
	END
};
static const struct field f_welcome[] = {
	{ "name", K_NAME, REQ, 0, 0, NULL, 0 },
	{ "users", K_USERS, REQ, 0, 0, NULL, 0 },
	{ "videos", K_VIDEOS, REQ, 0, 0, NULL, 0 },
	{ "motd", K_STR, OPT, 0, MOTD_MAX, NULL, 0 },
	{ "rooms", K_ROOMS, OPT, 0, 0, NULL, 0 },
	{ "more", K_BOOL, OPT, 0, 0, NULL, 0 },
	END
};
/* The rest of a roster too long for one frame (after welcome or who). */
static const struct field f_users[] = {
	{ "users", K_USERS, REQ, 0, 0, NULL, 0 },
	{ "more", K_BOOL, OPT, 0, 0, NULL, 0 },
	END
};
static const struct field f_error[] = {
	{ "code", K_STR, REQ, 1, 32, NULL, 0 },
	{ "message", K_STR, REQ, 0, MESSAGE_TEXT_MAX, NULL, 0 },
	END
};
static const struct field f_join[] = {
	{ "user", K_USER, REQ, 0, 0, NULL, 0 },
	END
};
static const struct field f_leave[] = {
	{ "name", K_NAME, REQ, 0, 0, NULL, 0 },
	{ "reason", K_STR, REQ, 0, MESSAGE_TEXT_MAX, NULL, 0 },
	END
};
static const struct field f_who_request[] = {
	{ "room", K_ROOM, OPT, 0, 0, NULL, 0 },
	END
};
static const struct field f_who_reply[] = {
	{ "users", K_USERS, REQ, 0, 0, NULL, 0 },
	{ "room", K_ROOM, OPT, 0, 0, NULL, 0 },
	{ "more", K_BOOL, OPT, 0, 0, NULL, 0 },
	END
};
static const struct field f_room_request[] = {
	{ "room", K_ROOM, REQ, 0, 0, NULL, 0 },
	END
};
static const struct field f_room_notice[] = {
	{ "room", K_ROOM, REQ, 0, 0, NULL, 0 },
	{ "name", K_NAME, REQ, 0, 0, NULL, 0 },
	END
};
static const struct field f_chat_send[] = {
	{ "to", K_TARGET, REQ, 0, 0, NULL, 0 },
	{ "id", K_STR, REQ, 1, CHAT_ID_MAX_LEN, NULL, 0 },
	{ "sealed", K_B64, REQ, B64_MIN_SEALED, B64_MAX_SEALED, NULL, 0 },
	END
};
static const struct field f_chat_deliver[] = {
	{ "from", K_NAME, REQ, 0, 0, NULL, 0 },
	{ "to", K_TARGET, REQ, 0, 0, NULL, 0 },
	{ "id", K_STR, REQ, 1, CHAT_ID_MAX_LEN, NULL, 0 },
	{ "ts", K_INT, REQ, 0, INT64_MAX, NULL, 0 },
	{ "sealed", K_B64, REQ, B64_MIN_SEALED, B64_MAX_SEALED, NULL, 0 },
	END
};
static const struct field f_sender_key_send[] = {
	{ "to", K_NAME, REQ, 0, 0, NULL, 0 },
	{ "target", K_TARGET, REQ, 0, 0, NULL, 0 },
	{ "blob", K_B64, REQ, B64_MIN_DIST, B64_MAX_DIST, NULL, 0 },
	END
};
static const struct field f_sender_key_deliver[] = {
	{ "from", K_NAME, REQ, 0, 0, NULL, 0 },
	{ "target", K_TARGET, REQ, 0, 0, NULL, 0 },
	{ "blob", K_B64, REQ, B64_MIN_DIST, B64_MAX_DIST, NULL, 0 },
	END
};
static const struct field f_ping[] = {
	{ "id", K_INT, OPT, 0, INT64_MAX, NULL, 0 },
	END
};
static const struct field f_videos_reply[] = {
	{ "videos", K_VIDEOS, REQ, 0, 0, NULL, 0 },
	END
};
static const struct field f_play[] = {
	{ "name", K_STR, REQ, 1, VIDEO_NAME_MAX_LEN, NULL, 0 },
	{ "quality", K_QUALITY, REQ, 1, 0, NULL, 0 },
	{ "size", K_SIZE, REQ, 0, 0, NULL, 0 },
	{ "start", K_NUM, OPT, 0, (int64_t)DURATION_MAX, NULL, 0 },
	END
};
static const struct field f_seek[] = {
	{ "to", K_NUM, REQ, 0, (int64_t)DURATION_MAX, NULL, 0 },
	END
};
static const struct field f_quality_request[] = {
	{ "quality", K_QUALITY, REQ, 1, 0, NULL, 0 },
	END
};
static const struct field f_resize[] = {
	{ "size", K_SIZE, REQ, 0, 0, NULL, 0 },
	END
};
static const struct field f_stream[] = {
	{ "id", K_INT, REQ, 0, UINT32_MAX, NULL, 0 },
	{ "name", K_STR, REQ, 1, VIDEO_NAME_MAX_LEN, NULL, 0 },
	{ "quality", K_QUALITY, REQ, 0, 0, NULL, 0 },
	{ "fps", K_NUM, REQ, 0, 1000, NULL, 0 },
	{ "frames", K_INT, REQ, 0, INT32_MAX, NULL, 0 },
	{ "duration", K_NUM, REQ, 0, (int64_t)DURATION_MAX, NULL, 0 },
	{ "w", K_INT, REQ, 1, VIDEO_SIZE_MAX, NULL, 0 },
	{ "h", K_INT, REQ, 1, VIDEO_SIZE_MAX, NULL, 0 },
	END
};
static const struct field f_stream_end[] = {
	{ "id", K_INT, REQ, 0, UINT32_MAX, NULL, 0 },
	{ "reason", K_CHOICE, REQ, 0, 0, stream_end_reasons, 0 },
	{ "message", K_STR, OPT, 0, MESSAGE_TEXT_MAX, NULL, 0 },
	END
};
static const struct field f_quality_changed[] = {
	{ "quality", K_QUALITY, REQ, 0, 0, NULL, 0 },
	{ "why", K_CHOICE, REQ, 0, 0, quality_whys, 0 },
	END
};

static const struct field f_watch_request[] = {
	{ "room", K_ROOM, REQ, 0, 0, NULL, 0 },
	{ "name", K_STR, OPT, 1, VIDEO_NAME_MAX_LEN, NULL, 0 },
	{ "quality", K_QUALITY, OPT, 0, 0, NULL, 0 },	/* not auto */
	{ "size", K_SIZE, OPT, 0, 0, NULL, 0 },
	END
};
static const struct field f_watch_notice[] = {
	{ "room", K_ROOM, REQ, 0, 0, NULL, 0 },
	{ "name", K_STR, REQ, 1, VIDEO_NAME_MAX_LEN, NULL, 0 },
	{ "quality", K_QUALITY, REQ, 0, 0, NULL, 0 },
	{ "by", K_NAME, REQ, 0, 0, NULL, 0 },
	END
};
static const struct field f_watch_control[] = {
	{ "room", K_ROOM, REQ, 0, 0, NULL, 0 },
	{ "action", K_CHOICE, REQ, 0, 0, watch_actions, 0 },
	{ "by", K_NAME, REQ, 0, 0, NULL, 0 },
	{ "to", K_NUM, OPT, 0, (int64_t)DURATION_MAX, NULL, 0 },
	{ "quality", K_QUALITY, OPT, 0, 0, NULL, 0 },
	END
};

static const struct spec specs[] = {
	{ "hello", MSG_TO_SERVER, f_hello },
	{ "who", MSG_TO_SERVER, f_who_request },
	{ "room-join", MSG_TO_SERVER, f_room_request },
	{ "room-leave", MSG_TO_SERVER, f_room_request },
	{ "chat", MSG_TO_SERVER, f_chat_send },
	{ "sender-key", MSG_TO_SERVER, f_sender_key_send },
	{ "ping", MSG_TO_SERVER, f_ping },
	{ "pong", MSG_TO_SERVER, f_ping },
	{ "videos", MSG_TO_SERVER, f_empty },
	{ "play", MSG_TO_SERVER, f_play },
	{ "pause", MSG_TO_SERVER, f_empty },
	{ "resume", MSG_TO_SERVER, f_empty },
	{ "stop", MSG_TO_SERVER, f_empty },
	{ "seek", MSG_TO_SERVER, f_seek },
	{ "quality", MSG_TO_SERVER, f_quality_request },
	{ "resize", MSG_TO_SERVER, f_resize },
	{ "quit", MSG_TO_SERVER, f_empty },
	{ "watch", MSG_TO_SERVER, f_watch_request },

	{ "challenge", MSG_TO_CLIENT, f_challenge },
	{ "welcome", MSG_TO_CLIENT, f_welcome },
	{ "users", MSG_TO_CLIENT, f_users },
	{ "error", MSG_TO_CLIENT, f_error },
	{ "join", MSG_TO_CLIENT, f_join },
	{ "leave", MSG_TO_CLIENT, f_leave },
	{ "who", MSG_TO_CLIENT, f_who_reply },
	{ "room-join", MSG_TO_CLIENT, f_room_notice },
	{ "room-leave", MSG_TO_CLIENT, f_room_notice },
	{ "chat", MSG_TO_CLIENT, f_chat_deliver },
	{ "sender-key", MSG_TO_CLIENT, f_sender_key_deliver },
	{ "ping", MSG_TO_CLIENT, f_ping },
	{ "pong", MSG_TO_CLIENT, f_ping },
	{ "videos", MSG_TO_CLIENT, f_videos_reply },
	{ "stream", MSG_TO_CLIENT, f_stream },
	{ "stream-end", MSG_TO_CLIENT, f_stream_end },
	{ "quality-changed", MSG_TO_CLIENT, f_quality_changed },
	{ "watch", MSG_TO_CLIENT, f_watch_notice },
	{ "watch-control", MSG_TO_CLIENT, f_watch_control },
};

/* Fill why (if any) with a printf-style explanation; return code. */
static enum proto_error
fail(enum proto_error code, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum proto_error
fail(enum proto_error code, char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Return 1 if v is a string of min..max bytes of UTF-8 without NULs. */
static int
check_string(json_object *v, int64_t min, int64_t max)
{
	const char	*s;
	int		 len;

	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len < min || len > max)
		return 0;
	/* json-c decodes \u escapes, so check the decoded bytes again. */
	return utf8_valid((const uint8_t *)s, (size_t)len) &&
	    strlen(s) == (size_t)len;
}

/* Return 1 if v is canonical base64url of min..max characters. */
static int
check_b64(json_object *v, int64_t min, int64_t max)
{
	const char	*s;
	int		 len;

	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len < min || len > max || strlen(s) != (size_t)len)
		return 0;
	return base64url_canonical(s, (size_t)len);
}

/* Return 1 if a hello's signature is as long as its key's modulus (as an
 * RSA signature is), else 0. Both were checked as base64url already. */
static int
hello_sig_fits(json_object *hello)
{
	json_object	*key, *n, *sig;

	if (!json_object_object_get_ex(hello, "key", &key) ||
	    !json_object_object_get_ex(key, "n", &n) ||
	    !json_object_object_get_ex(hello, "sig", &sig))
		return 0;
	return base64_decoded_len((size_t)json_object_get_string_len(n)) ==
	    base64_decoded_len((size_t)json_object_get_string_len(sig));
}

/* Return 1 if v is a string accepted by pred (a name or room check). */
static int
check_named(json_object *v, int (*pred)(const char *))
{
	return check_string(v, 1, ROOM_MAX_LEN) &&
	    pred(json_object_get_string(v));
}

/* Return 1 if v is an array of at most max members each accepted by ok. */
static int
check_array(json_object *v, size_t min, size_t max,
    int (*ok)(json_object *))
{
	size_t	n;

	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ok(json_object_array_get_idx(v, i)))
			return 0;
	return 1;
}

static int
is_name(json_object *v)
{
	return check_named(v, proto_name_valid);
}

static int
is_room(json_object *v)
{
	return check_named(v, proto_room_valid);
}

/* Return 1 if v names a real quality (not "auto"). */
static int
is_quality(json_object *v)
{
	enum quality	q;

	return check_string(v, 1, 8) &&
	    proto_quality_from_name(json_object_get_string(v), &q) == 0 &&
	    q != QUALITY_AUTO;
}

/* Return 1 if an array of names has no two equal ignoring case. */
static int
names_distinct(json_object *v)
{
	size_t	n = json_object_array_length(v);

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (proto_name_equal(
			    json_object_get_string(json_object_array_get_idx(v, i)),
			    json_object_get_string(json_object_array_get_idx(v, j))))
				return 0;
	return 1;
}

static int
is_jwk(json_object *v)
{
	json_object	*kty, *n, *e;

	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "kty", &kty) ||
	    !json_object_object_get_ex(v, "n", &n) ||
	    !json_object_object_get_ex(v, "e", &e))
		return 0;
	return check_string(kty, 3, 3) &&
	    strcmp(json_object_get_string(kty), "RSA") == 0 &&
	    check_b64(n, 2, B64_MAX_JWK_N) && check_b64(e, 2, B64_MAX_JWK_E);
}

static int	is_prekey(json_object *);
static int	check_number(json_object *, int64_t, int64_t);

static int
is_user(json_object *v)
{
	json_object	*f;

	if (!json_object_is_type(v, json_type_object))
		return 0;
	if (!json_object_object_get_ex(v, "name", &f) || !is_name(f))
		return 0;
	if (!json_object_object_get_ex(v, "key", &f) || !is_jwk(f))
		return 0;
	if (!json_object_object_get_ex(v, "fingerprint", &f) ||
	    !check_string(f, 1, FINGERPRINT_MAX))
		return 0;
	if (!json_object_object_get_ex(v, "prekey", &f) || !is_prekey(f))
		return 0;
	if (json_object_object_get_ex(v, "rooms", &f) &&
	    !check_array(f, 0, USERS_MAX, is_room))
		return 0;
	if (json_object_object_get_ex(v, "watching", &f) &&
	    !check_string(f, 0, VIDEO_NAME_MAX_LEN))
		return 0;
	return 1;
}

static int
is_video(json_object *v)
{
	json_object	*f;

	if (!json_object_is_type(v, json_type_object))
		return 0;
	if (!json_object_object_get_ex(v, "name", &f) ||
	    !check_string(f, 1, VIDEO_NAME_MAX_LEN))
		return 0;
	if (!json_object_object_get_ex(v, "qualities", &f) ||
	    !check_array(f, 1, 3, is_quality))
		return 0;
	return 1;
}

/* Check a signed prekey: its public key, when it was made, the signature. */
static int
is_prekey(json_object *v)
{
	json_object	*f;

	return json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "key", &f) &&
	    check_b64(f, B64_PREKEY, B64_PREKEY) &&
	    json_object_object_get_ex(v, "created", &f) &&
	    json_object_is_type(f, json_type_int) &&
	    check_number(f, 0, INT64_MAX) &&
	    json_object_object_get_ex(v, "sig", &f) &&
	    check_b64(f, 2, B64_MAX_RSA);
}

/* Return 1 if v is a number (int or double) in [min, max]. */
static int
check_number(json_object *v, int64_t min, int64_t max)
{
	double	d;

	if (json_object_is_type(v, json_type_int)) {
		int64_t	i = json_object_get_int64(v);

		/* json-c clamps values above INT64_MAX to it. */
		if (i == INT64_MAX && json_object_get_uint64(v) !=
		    (uint64_t)INT64_MAX)
			return 0;
		return i >= min && i <= max;
	}
	if (!json_object_is_type(v, json_type_double))
		return 0;
	d = json_object_get_double(v);
	return isfinite(d) && d >= (double)min && d <= (double)max;
}

/* Return 1 if v holds a valid value for field f. */
static int
check_field(const struct field *f, json_object *v)
{
	enum quality	q;

	switch (f->kind) {
	case K_INT:
		return json_object_is_type(v, json_type_int) &&
		    check_number(v, f->min, f->max);
	case K_NUM:
		return check_number(v, f->min, f->max);
	case K_STR:
		return check_string(v, f->min, f->max);
	case K_NAME:
		return is_name(v);
	case K_ROOM:
		return is_room(v);
	case K_B64:
		return check_b64(v, f->min, f->max);
	case K_QUALITY:
		if (!check_string(v, 1, 8) ||
		    proto_quality_from_name(json_object_get_string(v), &q) != 0)
			return 0;
		return q != QUALITY_AUTO || f->min == 1;
	case K_CHOICE:
		if (!check_string(v, 1, 64))
			return 0;
		for (const char *const *c = f->choices; *c != NULL; c++)
			if (strcmp(*c, json_object_get_string(v)) == 0)
				return 1;
		return 0;
	case K_TARGET:
		if (json_object_is_type(v, json_type_string))
			return is_room(v);
		return check_array(v, 1, CHAT_MAX_RECIPIENTS, is_name) &&
		    names_distinct(v);
	case K_SIZE:
		return json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) == 2 &&
		    json_object_is_type(json_object_array_get_idx(v, 0),
		    json_type_int) &&
		    json_object_is_type(json_object_array_get_idx(v, 1),
		    json_type_int) &&
		    check_number(json_object_array_get_idx(v, 0), 1,
		    VIDEO_SIZE_MAX) &&
		    check_number(json_object_array_get_idx(v, 1), 1,
		    VIDEO_SIZE_MAX);
	case K_JWK:
		return is_jwk(v);
	case K_USER:
		return is_user(v);
	case K_USERS:
		return check_array(v, 0, USERS_MAX, is_user);
	case K_PREKEY:
		return is_prekey(v);
	case K_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case K_VIDEOS:
		return check_array(v, 0, VIDEOS_MAX, is_video);
	case K_ROOMS:
		return check_array(v, 0, USERS_MAX, is_room);
	}
	return 0;
}

/* Return the spec for a type travelling in dir, or NULL. */
static const struct spec *
find_spec(const char *type, enum msg_dir dir)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		if (specs[i].dir == dir && strcmp(specs[i].type, type) == 0)
			return &specs[i];
	return NULL;
}

/*
 * Check a parsed message against the rules for its type and direction.
 * Returns PROTO_OK, PROTO_E_TYPE, PROTO_E_MESSAGE, or the field's own code
 * (a hello's version, name or key: PROTO_E_VERSION, _NAME, _KEY); why
 * explains.
 */
enum proto_error
msg_validate(json_object *obj, enum msg_dir dir, char *why, size_t whylen)
{
	const struct spec	*spec;
	const struct field	*f;
	json_object		*type, *v;

	if (!json_object_is_type(obj, json_type_object))
		return fail(PROTO_E_MESSAGE, why, whylen,
		    "message is not a JSON object");
	if (!json_object_object_get_ex(obj, "type", &type) ||
	    !check_string(type, 1, 32))
		return fail(PROTO_E_TYPE, why, whylen,
		    "message has no \"type\" string");
	if ((spec = find_spec(json_object_get_string(type), dir)) == NULL)
		return fail(PROTO_E_TYPE, why, whylen,
		    "unknown message type \"%s\"", json_object_get_string(type));
	for (f = spec->fields; f->name != NULL; f++) {
		if (!json_object_object_get_ex(obj, f->name, &v) ||
		    json_object_is_type(v, json_type_null)) {
			if (f->required)
				return fail(PROTO_E_MESSAGE, why, whylen,
				    "%s: missing field \"%s\"", spec->type,
				    f->name);
			continue;
		}
		if (!check_field(f, v))
			return fail(f->code != PROTO_OK ? f->code :
			    PROTO_E_MESSAGE, why, whylen,
			    "%s: invalid field \"%s\"", spec->type, f->name);
	}
	if (strcmp(spec->type, "hello") == 0 && !hello_sig_fits(obj))
		return fail(PROTO_E_MESSAGE, why, whylen, "hello: \"sig\" is "
		    "not as long as the key's modulus");
	return PROTO_OK;
}

/* Return the number of object members in obj and everything inside it. */
static size_t
count_members(json_object *obj)
{
	size_t	n = 0;

	if (json_object_is_type(obj, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(obj); i++)
			n += count_members(json_object_array_get_idx(obj, i));
	} else if (json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, k, v) {
			(void)k;
			n += 1 + count_members(v);
		}
	}
	return n;
}

/*
 * Parse a JSON frame payload travelling in dir. On success returns PROTO_OK
 * and stores a new object in *out; otherwise returns the error (empty,
 * too-big, bad-utf8, bad-json, internal, or one of msg_validate()'s),
 * stores NULL and explains in why.
 */
enum proto_error
msg_parse(const uint8_t *p, size_t len, enum msg_dir dir, json_object **out,
    char *why, size_t whylen)
{
	struct json_tokener	*tok;
	json_object		*obj;
	enum json_tokener_error	 jerr;
	enum proto_error	 e;
	size_t			 end, members;
	const char		*syntax;

	*out = NULL;
	if (len == 0)
		return fail(PROTO_E_EMPTY, why, whylen, "empty message");
	if (len > FRAME_MAX_JSON)
		return fail(PROTO_E_TOO_BIG, why, whylen, "message too big");
	if (!utf8_valid(p, len))
		return fail(PROTO_E_UTF8, why, whylen,
		    "message is not valid UTF-8");
	switch (jsonsyntax_check(p, len, JSON_MAX_DEPTH, &members, &syntax)) {
	case JSONSYNTAX_OK:
		break;
	case JSONSYNTAX_ESCAPE:
		return fail(PROTO_E_UTF8, why, whylen, "%s", syntax);
	default:
		return fail(PROTO_E_JSON, why, whylen, "bad JSON: %s", syntax);
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		return fail(PROTO_E_INTERNAL, why, whylen, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)p, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL && jerr == json_tokener_success)
		return fail(PROTO_E_MESSAGE, why, whylen,
		    "message is not a JSON object");
	if (obj == NULL || jerr != json_tokener_success) {
		json_object_put(obj);
		return fail(PROTO_E_JSON, why, whylen, "bad JSON: %s",
		    jerr == json_tokener_continue ? "unexpected end" :
		    json_tokener_error_desc(jerr));
	}
	/* json-c keeps the last of duplicate names: refuse them. */
	if (count_members(obj) != members) {
		json_object_put(obj);
		return fail(PROTO_E_JSON, why, whylen,
		    "bad JSON: a member name is repeated");
	}
	/* Only white space may follow the object. */
	while (end < len && strchr(" \t\r\n", p[end]) != NULL)
		end++;
	if (end != len) {
		json_object_put(obj);
		return fail(PROTO_E_JSON, why, whylen,
		    "bad JSON: trailing data after the object");
	}
	if ((e = msg_validate(obj, dir, why, whylen)) != PROTO_OK) {
		json_object_put(obj);
		return e;
	}
	*out = obj;
	return PROTO_OK;
}

/* Return a validated message's type. */
const char *
msg_type(json_object *obj)
{
	return msg_get_str(obj, "type");
}

/* Return member key of obj, or NULL. */
json_object *
msg_get(json_object *obj, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* Return string member key, or NULL if absent or not a string. */
const char *
msg_get_str(json_object *obj, const char *key)
{
	json_object	*v = msg_get(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Return integer member key, or def if absent or not an integer. */
int64_t
msg_get_int(json_object *obj, const char *key, int64_t def)
{
	json_object	*v = msg_get(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

/* Return numeric member key, or def if absent or not a number. */
double
msg_get_num(json_object *obj, const char *key, double def)
{
	json_object	*v = msg_get(obj, key);

	if (v == NULL || (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_double(v);
}

/* Return the compact JSON text of obj (valid until obj changes). */
const char *
msg_text(json_object *obj)
{
	return json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Append obj to out as one JSON frame; return 0, or -1 if too big or full. */
int
msg_encode(json_object *obj, struct buf *out)
{
	uint8_t		 hdr[FRAME_HEADER_LEN];
	const char	*text = msg_text(obj);
	size_t		 len = strlen(text);

	if (len == 0 || len > FRAME_MAX_JSON ||
	    buf_room(out) < FRAME_HEADER_LEN + len)
		return -1;
	frame_encode_header(hdr, FRAME_TYPE_JSON, (uint32_t)len);
	if (buf_append(out, hdr, sizeof hdr) != 0 ||
	    buf_append(out, text, len) != 0)
		return -1;
	return 0;
}

/* msg_encode() then release obj; returns what msg_encode() returned. */
int
msg_encode_free(json_object *obj, struct buf *out)
{
	int	r = msg_encode(obj, out);

	json_object_put(obj);
	return r;
}
