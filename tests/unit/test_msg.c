/* Unit tests for msg.c: message builders, validation and JSON framing. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "msg.h"
#include "proto.h"
#include "utf8.h"

#define TS	MSG_TO_SERVER
#define TC	MSG_TO_CLIENT
#define OK	PROTO_OK
#define MSG	PROTO_E_MESSAGE

/* Syntactically valid stand-ins: validation here is syntax, not crypto. */
#define B64_64	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789-_"
#define FAKE_N	B64_64 B64_64 B64_64 B64_64 B64_64 B64_64 B64_64 B64_64
#define FAKE_E	"AQAB"
#define FAKE_SIG	FAKE_N
#define FAKE_FP	"SHA256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
/* 32 bytes: the last character's low 2 bits are past the bytes. */
#define FAKE_PREKEY	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopE"
/* The shortest sealed chat: 102 bytes (header, tag, signature). */
#define FAKE_SEALED	B64_64 B64_64 "ABCDEFGH"
/* A distribution blob: 96 bytes, past the shortest (82). */
#define FAKE_BLOB	B64_64 B64_64

#define NAME32	"abcdefghijklmnopqrstuvwxyz012345"
#define NAME33	NAME32 "6"
#define STR64	B64_64
#define STR65	B64_64 "x"

#define PLACEHOLDER	"@@raw@@"
#define PING_X	"{\"type\":\"ping\",\"x\":\""

/* Return a JWK with a fake 3072-bit modulus. */
static json_object *
fake_jwk(void)
{
	return msg_jwk(FAKE_N, FAKE_E);
}

/* Return a signed prekey with fake key and signature. */
static json_object *
fake_prekey(void)
{
	return msg_prekey(FAKE_PREKEY, 1700000000000LL, FAKE_SIG);
}

/* Return a user object for name with a fake key, fingerprint and prekey. */
static json_object *
fake_user(const char *name)
{
	return msg_user(name, fake_jwk(), FAKE_FP, fake_prekey());
}

/* Return a JSON array of the strings in the NULL-terminated list. */
static json_object *
str_array(const char *const *list)
{
	json_object	*a = json_object_new_array();

	for (; *list != NULL; list++)
		json_object_array_add(a, json_object_new_string(*list));
	return a;
}

/* Return a roster of two users, the first with the optional members. */
static json_object *
fake_users(void)
{
	static const char *const rooms[] = { "#lobby", "#tv", NULL };
	json_object	*users = json_object_new_array();
	json_object	*alice = fake_user("alice");

	json_object_object_add(alice, "rooms", str_array(rooms));
	json_object_object_add(alice, "watching",
	    json_object_new_string("clip"));
	json_object_array_add(users, alice);
	json_object_array_add(users, fake_user("bob"));
	return users;
}

/* Return a video list with one video in two qualities. */
static json_object *
fake_videos(void)
{
	static const char *const qualities[] = { "240p", "720p", NULL };
	json_object	*videos = json_object_new_array();

	json_object_array_add(videos, msg_video_info("clip",
	    str_array(qualities), 25.0, 10.0, 250));
	return videos;
}

/* Return the recipient list ["alice", "bob"]. */
static json_object *
alice_bob(void)
{
	static const char *const names[] = { "alice", "bob", NULL };

	return str_array(names);
}

/* Return a valid sample hello message. */
static json_object *
b_hello(void)
{
	return msg_hello("alice", fake_jwk(), FAKE_SIG, fake_prekey());
}

/* Return a hello with the longest key and signature allowed. */
static json_object *
b_hello_long(void)
{
	char	s[1025];

	memset(s, 'A', 1024);
	s[1024] = '\0';
	return msg_hello("alice", msg_jwk(s, FAKE_E), s, fake_prekey());
}

/* Return a valid sample watch request. */
static json_object *
b_watch(void)
{
	return msg_watch_request("#movies", "clip", QUALITY_720P, 640, 360);
}

/* Return a valid sample challenge message. */
static json_object *
b_challenge(void)
{
	uint8_t	nonce[NONCE_LEN];

	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (uint8_t)(i * 7 + 3);
	return msg_challenge("tvchatd test", nonce, sizeof nonce);
}

/* Return a valid sample welcome message. */
static json_object *
b_welcome(void)
{
	return msg_welcome("alice", fake_users(), fake_videos(),
	    "Welcome to tvchat");
}

/* Return a valid sample welcome minimal message. */
static json_object *
b_welcome_minimal(void)
{
	return msg_welcome("alice", json_object_new_array(),
	    json_object_new_array(), NULL);
}

/* Return a valid sample error message. */
static json_object *
b_error(void)
{
	return msg_error(PROTO_E_NAME_TAKEN, "name \"alice\" is taken");
}

/* Return a valid sample join message. */
static json_object *
b_join(void)
{
	return msg_join(fake_user("bob"));
}

/* Return a valid sample leave message. */
static json_object *
b_leave(void)
{
	return msg_leave("bob", "quit: bye");
}

/* Return a valid sample who request message. */
static json_object *
b_who_req(void)
{
	return msg_who_request(NULL);
}

/* Return a valid sample who room request message. */
static json_object *
b_who_room_req(void)
{
	return msg_who_request("#tv");
}

/* Return a valid sample who reply message. */
static json_object *
b_who_reply(void)
{
	return msg_who_reply(fake_users());
}

/* Return a valid sample room join request message. */
static json_object *
b_room_join_req(void)
{
	return msg_room("room-join", "#tv", NULL);
}

/* Return a valid sample room leave request message. */
static json_object *
b_room_leave_req(void)
{
	return msg_room("room-leave", "#tv", NULL);
}

/* Return a valid sample room join notice message. */
static json_object *
b_room_join_notice(void)
{
	return msg_room("room-join", "#tv", "bob");
}

/* Return a valid sample room leave notice message. */
static json_object *
b_room_leave_notice(void)
{
	return msg_room("room-leave", "#tv", "bob");
}

/* Return a valid sample chat send room message. */
static json_object *
b_chat_send_room(void)
{
	return msg_chat_send(json_object_new_string("#lobby"), "m-1",
	    FAKE_SEALED);
}

/* Return a valid sample chat send names message. */
static json_object *
b_chat_send_names(void)
{
	return msg_chat_send(alice_bob(), "m-2", FAKE_SEALED);
}

/*
 * Build into frame, with the server's builder, the chat from alice to
 * (released) carrying sealed: the same bytes for every recipient.
 */
static void
chat_deliver_frame(struct buf *frame, json_object *to, const char *id,
    int64_t ts, const char *sealed)
{
	msg_chat_deliver_frame(frame, "alice", to, id, ts, sealed);
	json_object_put(to);
}

/* Return the delivered chat chat_deliver_frame() builds, parsed back. */
static json_object *
chat_delivered(json_object *to, const char *id, int64_t ts)
{
	json_object	*m = NULL;
	struct buf	 frame;
	char		 why[MSG_WHY_LEN] = "";

	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	chat_deliver_frame(&frame, to, id, ts, FAKE_SEALED);
	if (msg_parse(buf_ptr(&frame) + FRAME_HEADER_LEN,
	    buf_len(&frame) - FRAME_HEADER_LEN, TC, &m, why, sizeof why) != OK)
		fail_msg("delivered chat does not parse: %s", why);
	buf_free(&frame);
	return m;
}

/* Return a valid sample chat deliver message. */
static json_object *
b_chat_deliver(void)
{
	return chat_delivered(alice_bob(), "m-2", 1700000000123LL);
}

/* Return a valid sample chat deliver room message. */
static json_object *
b_chat_deliver_room(void)
{
	return chat_delivered(json_object_new_string("#lobby"), "m-1", 0);
}

/* Return a valid sample roster continuation, more to follow. */
static json_object *
b_users(void)
{
	return msg_users(fake_users(), 1);
}

/* Return a valid sample last roster continuation. */
static json_object *
b_users_last(void)
{
	return msg_users(json_object_new_array(), 0);
}

/* Return a valid sample sender key as a client sends it to bob. */
static json_object *
b_sender_key_send(void)
{
	return msg_sender_key("to", "bob", json_object_new_string("#lobby"),
	    FAKE_BLOB);
}

/* Return a valid sample sender key as delivered from alice. */
static json_object *
b_sender_key_deliver(void)
{
	return msg_sender_key("from", "alice", alice_bob(), FAKE_BLOB);
}

/* Return a valid sample ping message. */
static json_object *
b_ping(void)
{
	return msg_ping(42);
}

/* Return a valid sample pong message. */
static json_object *
b_pong(void)
{
	return msg_pong(42);
}

/* Return a valid sample ping zero message. */
static json_object *
b_ping_zero(void)
{
	return msg_ping(0);
}

/* Return a valid sample pong max message. */
static json_object *
b_pong_max(void)
{
	return msg_pong(INT64_MAX);
}

/* Return a valid sample videos request message. */
static json_object *
b_videos_req(void)
{
	return msg_new("videos");
}

/* Return a valid sample videos reply message. */
static json_object *
b_videos_reply(void)
{
	return msg_videos_reply(fake_videos());
}

/* Return a valid sample play message. */
static json_object *
b_play(void)
{
	return msg_play("clip", QUALITY_720P, 80, 24, 12.5);
}

/* Return a valid sample play auto message. */
static json_object *
b_play_auto(void)
{
	return msg_play("clip", QUALITY_AUTO, VIDEO_SIZE_MAX, VIDEO_SIZE_MAX,
	    0.0);
}

/* Return a valid sample pause message. */
static json_object *
b_pause(void)
{
	return msg_new("pause");
}

/* Return a valid sample resume message. */
static json_object *
b_resume(void)
{
	return msg_new("resume");
}

/* Return a valid sample stop message. */
static json_object *
b_stop(void)
{
	return msg_new("stop");
}

/* Return a valid sample seek message. */
static json_object *
b_seek(void)
{
	return msg_seek(30.25);
}

/* Return a valid sample quality message. */
static json_object *
b_quality(void)
{
	return msg_quality(QUALITY_1440P);
}

/* Return a valid sample quality auto message. */
static json_object *
b_quality_auto(void)
{
	return msg_quality(QUALITY_AUTO);
}

/* Return a valid sample resize message. */
static json_object *
b_resize(void)
{
	return msg_resize(120, 40);
}

/* Return a valid sample stream message. */
static json_object *
b_stream(void)
{
	return msg_stream(42, "clip", QUALITY_720P, 25.0, 250, 10.0, 1280, 720);
}

/* Return a valid sample stream end message. */
static json_object *
b_stream_end(void)
{
	return msg_stream_end(42, "finished", NULL);
}

/* Return a valid sample stream end error message. */
static json_object *
b_stream_end_error(void)
{
	return msg_stream_end(UINT32_MAX, "error", "decoder failed");
}

/* Return a valid sample quality changed message. */
static json_object *
b_quality_changed(void)
{
	return msg_quality_changed(QUALITY_240P, "auto");
}

/* Parse the C string s as a payload travelling in dir; return the code. */
static enum proto_error
parse(const char *s, enum msg_dir dir, json_object **out)
{
	char	why[MSG_WHY_LEN];

	return msg_parse((const uint8_t *)s, strlen(s), dir, out, why,
	    sizeof why);
}

/*
 * Parse p[0..len) in dir; return the code, failing the test if *out is not
 * NULL after a refusal or if a refusal leaves no explanation.
 */
static enum proto_error
parse_checked(const char *label, const void *p, size_t len, enum msg_dir dir)
{
	json_object		*sentinel = json_object_new_object();
	json_object		*out = sentinel;
	char			 why[MSG_WHY_LEN] = "";
	enum proto_error	 e;

	e = msg_parse(p, len, dir, &out, why, sizeof why);
	json_object_put(sentinel);
	if (e == PROTO_OK) {
		if (out == NULL || out == sentinel)
			fail_msg("%s: accepted without an object", label);
		json_object_put(out);
		return e;
	}
	if (out != NULL)
		fail_msg("%s: refused (%s) but *out is not NULL", label,
		    proto_error_name(e));
	if (why[0] == '\0')
		fail_msg("%s: refused (%s) without explanation", label,
		    proto_error_name(e));
	return e;
}

/* Assert that p[0..len) parses in dir with exactly the code want. */
static void
expect_len(const char *label, const void *p, size_t len, enum msg_dir dir,
    enum proto_error want)
{
	enum proto_error	e = parse_checked(label, p, len, dir);

	if (e != want)
		fail_msg("%s: got %s, want %s", label, proto_error_name(e),
		    proto_error_name(want));
}

/* Assert that the C string s parses in dir with exactly the code want. */
static void
expect(const char *s, enum msg_dir dir, enum proto_error want)
{
	expect_len(s, s, strlen(s), dir, want);
}

/* Assert that s is refused in dir with one of the codes in mask. */
static void
expect_refused_any(const char *s, enum msg_dir dir, unsigned mask)
{
	enum proto_error	e = parse_checked(s, s, strlen(s), dir);

	if (e == PROTO_OK || (mask & (1u << e)) == 0)
		fail_msg("%s: got %s, want a refusal", s, proto_error_name(e));
}

/*
 * Build a message, replace the member at path ('/'-separated; array
 * members by index) with the raw JSON text raw (or delete it if raw is
 * NULL), and parse the resulting text in dir; return the code.
 */
static enum proto_error
parse_mutated(json_object *(*build)(void), const char *path, const char *raw,
    enum msg_dir dir, const char *label)
{
	json_object		*m = build(), *parent = m, *child;
	char			 part[64], *text;
	const char		*p = path, *slash, *s, *hole;
	size_t			 n, cap;
	enum proto_error	 e;

	while ((slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		assert_true(n < sizeof part);
		memcpy(part, p, n);
		part[n] = '\0';
		if (json_object_is_type(parent, json_type_array))
			child = json_object_array_get_idx(parent,
			    (size_t)strtoul(part, NULL, 10));
		else if (!json_object_object_get_ex(parent, part, &child))
			child = NULL;
		if (child == NULL)
			fail_msg("%s: no member %s in %s", label, part, path);
		parent = child;
		p = slash + 1;
	}
	if (json_object_is_type(parent, json_type_array)) {
		n = (size_t)strtoul(p, NULL, 10);
		if (raw == NULL)
			json_object_array_del_idx(parent, n, 1);
		else
			json_object_array_put_idx(parent, n,
			    json_object_new_string(PLACEHOLDER));
	} else if (raw == NULL)
		json_object_object_del(parent, p);
	else
		json_object_object_add(parent, p,
		    json_object_new_string(PLACEHOLDER));

	s = msg_text(m);
	cap = strlen(s) + (raw == NULL ? 0 : strlen(raw)) + 1;
	text = malloc(cap);
	assert_non_null(text);
	if (raw == NULL)
		snprintf(text, cap, "%s", s);
	else {
		hole = strstr(s, "\"" PLACEHOLDER "\"");
		assert_non_null(hole);
		snprintf(text, cap, "%.*s%s%s", (int)(hole - s), s, raw,
		    hole + strlen("\"" PLACEHOLDER "\""));
	}
	json_object_put(m);
	e = parse_checked(label, text, strlen(text), dir);
	free(text);
	return e;
}

/* Expected values of members of a built message. */
struct want {
	const char	*key;
	char		 kind;	/* 's' string, 'i' integer, 'd' number */
	const char	*s;
	int64_t		 i;
	double		 d;
};

#define WANT_MAX	10
#define WS(k, v)	{ k, 's', v, 0, 0 }
#define WI(k, v)	{ k, 'i', NULL, v, 0 }
#define WD(k, v)	{ k, 'd', NULL, 0, v }

struct builder_case {
	const char		*label;
	json_object		*(*build)(void);
	enum msg_dir		 dir;
	enum proto_error	 other;	/* validated in the other direction */
	struct want		 want[WANT_MAX];
};

#define BC(b, d, o, ...) \
	{ .label = #b, .build = b, .dir = d, .other = o, \
	  .want = { __VA_ARGS__ } }

static const struct builder_case builder_cases[] = {
	/* Client requests. */
	BC(b_hello, TS, PROTO_E_TYPE, WS("type", "hello"),
	    WI("version", PROTOCOL_VERSION), WS("name", "alice"),
	    WS("sig", FAKE_SIG)),
	BC(b_who_req, TS, MSG, WS("type", "who")),
	BC(b_who_room_req, TS, MSG, WS("type", "who"), WS("room", "#tv")),
	BC(b_room_join_req, TS, MSG, WS("type", "room-join"),
	    WS("room", "#tv")),
	BC(b_room_leave_req, TS, MSG, WS("type", "room-leave"),
	    WS("room", "#tv")),
	BC(b_chat_send_room, TS, MSG, WS("type", "chat"), WS("to", "#lobby"),
	    WS("id", "m-1")),
	BC(b_chat_send_names, TS, MSG, WS("type", "chat"), WS("id", "m-2"),
	    WS("sealed", FAKE_SEALED)),
	BC(b_sender_key_send, TS, MSG, WS("type", "sender-key"),
	    WS("to", "bob"), WS("target", "#lobby"), WS("blob", FAKE_BLOB)),
	BC(b_ping, TS, OK, WS("type", "ping"), WI("id", 42)),
	BC(b_pong, TS, OK, WS("type", "pong"), WI("id", 42)),
	BC(b_videos_req, TS, MSG, WS("type", "videos")),
	BC(b_play, TS, PROTO_E_TYPE, WS("type", "play"), WS("name", "clip"),
	    WS("quality", "720p"), WD("start", 12.5)),
	BC(b_play_auto, TS, PROTO_E_TYPE, WS("type", "play"),
	    WS("quality", "auto"), WD("start", 0.0)),
	BC(b_pause, TS, PROTO_E_TYPE, WS("type", "pause")),
	BC(b_resume, TS, PROTO_E_TYPE, WS("type", "resume")),
	BC(b_stop, TS, PROTO_E_TYPE, WS("type", "stop")),
	BC(b_seek, TS, PROTO_E_TYPE, WS("type", "seek"), WD("to", 30.25)),
	BC(b_quality, TS, PROTO_E_TYPE, WS("type", "quality"),
	    WS("quality", "1440p")),
	BC(b_quality_auto, TS, PROTO_E_TYPE, WS("type", "quality"),
	    WS("quality", "auto")),
	BC(b_resize, TS, PROTO_E_TYPE, WS("type", "resize")),

	/* Server messages. */
	BC(b_challenge, TC, PROTO_E_TYPE, WS("type", "challenge"),
	    WI("version", PROTOCOL_VERSION), WS("server", "tvchatd test")),
	BC(b_welcome, TC, PROTO_E_TYPE, WS("type", "welcome"),
	    WS("name", "alice"), WS("motd", "Welcome to tvchat")),
	BC(b_welcome_minimal, TC, PROTO_E_TYPE, WS("type", "welcome"),
	    WS("name", "alice")),
	BC(b_error, TC, PROTO_E_TYPE, WS("type", "error"),
	    WS("code", "name-taken"),
	    WS("message", "name \"alice\" is taken")),
	BC(b_join, TC, PROTO_E_TYPE, WS("type", "join")),
	BC(b_leave, TC, PROTO_E_TYPE, WS("type", "leave"), WS("name", "bob"),
	    WS("reason", "quit: bye")),
	BC(b_who_reply, TC, OK, WS("type", "who")),
	BC(b_room_join_notice, TC, OK, WS("type", "room-join"),
	    WS("room", "#tv"), WS("name", "bob")),
	BC(b_room_leave_notice, TC, OK, WS("type", "room-leave"),
	    WS("room", "#tv"), WS("name", "bob")),
	BC(b_chat_deliver, TC, OK, WS("type", "chat"), WS("from", "alice"),
	    WS("id", "m-2"), WI("ts", 1700000000123LL)),
	BC(b_chat_deliver_room, TC, OK, WS("type", "chat"),
	    WS("to", "#lobby"), WI("ts", 0), WS("sealed", FAKE_SEALED)),
	BC(b_sender_key_deliver, TC, MSG, WS("type", "sender-key"),
	    WS("from", "alice"), WS("blob", FAKE_BLOB)),
	BC(b_users, TC, PROTO_E_TYPE, WS("type", "users")),
	BC(b_users_last, TC, PROTO_E_TYPE, WS("type", "users")),
	BC(b_ping_zero, TC, OK, WS("type", "ping"), WI("id", 0)),
	BC(b_pong_max, TC, OK, WS("type", "pong"), WI("id", INT64_MAX)),
	BC(b_videos_reply, TC, OK, WS("type", "videos")),
	BC(b_stream, TC, PROTO_E_TYPE, WS("type", "stream"), WI("id", 42),
	    WS("name", "clip"), WS("quality", "720p"), WD("fps", 25.0),
	    WI("frames", 250), WD("duration", 10.0), WI("w", 1280),
	    WI("h", 720)),
	BC(b_stream_end, TC, PROTO_E_TYPE, WS("type", "stream-end"),
	    WI("id", 42), WS("reason", "finished")),
	BC(b_stream_end_error, TC, PROTO_E_TYPE, WS("type", "stream-end"),
	    WI("id", UINT32_MAX), WS("reason", "error"),
	    WS("message", "decoder failed")),
	BC(b_quality_changed, TC, PROTO_E_TYPE, WS("type", "quality-changed"),
	    WS("quality", "240p"), WS("why", "auto")),
};

/* Fail unless obj has every member c wants, with the wanted value. */
static void
check_wants(const struct builder_case *c, json_object *obj)
{
	for (const struct want *w = c->want;
	    w < c->want + WANT_MAX && w->key != NULL; w++) {
		switch (w->kind) {
		case 's':
			if (msg_get_str(obj, w->key) == NULL ||
			    strcmp(msg_get_str(obj, w->key), w->s) != 0)
				fail_msg("%s: %s is not \"%s\"", c->label,
				    w->key, w->s);
			break;
		case 'i':
			if (msg_get_int(obj, w->key, -12345) != w->i)
				fail_msg("%s: %s is not %lld", c->label, w->key,
				    (long long)w->i);
			break;
		case 'd':
			if (!(msg_get_num(obj, w->key, NAN) == w->d))
				fail_msg("%s: %s is not %g", c->label, w->key,
				    w->d);
			break;
		}
	}
}

/* Return the payload of the one frame in b. */
static const uint8_t *
payload_of(const struct buf *b)
{
	return buf_ptr(b) + FRAME_HEADER_LEN;
}

/* Return the big-endian 32-bit value at p. */
static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Every builder's output validates in its direction, gets the expected code
 * in the other, and survives encode + parse with the same members.
 */
static void
test_builders_round_trip(void **state)
{
	for (size_t i = 0; i < sizeof builder_cases / sizeof builder_cases[0];
	    i++) {
		const struct builder_case *c = &builder_cases[i];
		enum msg_dir	 other = c->dir == TS ? TC : TS;
		json_object	*m = c->build(), *back = NULL, *again = NULL;
		char		 why[MSG_WHY_LEN] = "";
		const char	*text;
		const uint8_t	*p;
		struct buf	 b;
		enum proto_error e;

		if ((e = msg_validate(m, c->dir, why, sizeof why)) != OK)
			fail_msg("%s: %s (%s)", c->label, proto_error_name(e),
			    why);
		e = msg_validate(m, other, why, sizeof why);
		if (e != c->other)
			fail_msg("%s: other direction gives %s, want %s",
			    c->label, proto_error_name(e),
			    proto_error_name(c->other));

		buf_init(&b, FRAME_HEADER_LEN + FRAME_MAX_JSON);
		assert_int_equal(msg_encode(m, &b), 0);
		p = buf_ptr(&b);
		text = msg_text(m);
		assert_int_equal(buf_len(&b), FRAME_HEADER_LEN + strlen(text));
		assert_int_equal(p[0], 1);
		assert_int_equal(get_be32(p + 1),
		    buf_len(&b) - FRAME_HEADER_LEN);
		assert_memory_equal(p + FRAME_HEADER_LEN, text, strlen(text));

		e = msg_parse(p + FRAME_HEADER_LEN,
		    buf_len(&b) - FRAME_HEADER_LEN, c->dir, &back, why,
		    sizeof why);
		if (e != OK)
			fail_msg("%s: parse: %s (%s)", c->label,
			    proto_error_name(e), why);
		if (!json_object_equal(m, back))
			fail_msg("%s: round trip changed %s into %s", c->label,
			    msg_text(m), msg_text(back));
		check_wants(c, back);
		assert_string_equal(msg_type(back), msg_get_str(m, "type"));

		/* Members this version does not know are ignored. */
		json_object_object_add(back, "x-future",
		    json_tokener_parse("{\"a\":[1,\"two\",null,{\"b\":2.5}]}"));
		json_object_object_add(back, "zzz", json_object_new_int(-1));
		buf_reset(&b);
		assert_int_equal(msg_encode(back, &b), 0);
		e = msg_parse(buf_ptr(&b) + FRAME_HEADER_LEN,
		    buf_len(&b) - FRAME_HEADER_LEN, c->dir, &again, why,
		    sizeof why);
		if (e != OK)
			fail_msg("%s: with unknown members: %s (%s)", c->label,
			    proto_error_name(e), why);

		json_object_put(again);
		json_object_put(back);
		json_object_put(m);
		buf_free(&b);
	}
}

/* The challenge carries the nonce bytes, base64url-encoded. */
static void
test_challenge_nonce(void **state)
{
	uint8_t		 nonce[NONCE_LEN], *dec;
	size_t		 declen;
	json_object	*m;

	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (uint8_t)(0xff - i);
	m = msg_challenge("srv", nonce, sizeof nonce);
	assert_int_equal(msg_validate(m, TC, NULL, 0), OK);
	assert_int_equal(base64url_decode(msg_get_str(m, "nonce"), &dec,
	    &declen), 0);
	assert_int_equal(declen, sizeof nonce);
	assert_memory_equal(dec, nonce, sizeof nonce);
	free(dec);
	json_object_put(m);
}

/* One edit of a valid message and the code parsing it must give. */
struct mutation {
	const char		*base;
	json_object		*(*build)(void);
	enum msg_dir		 dir;
	const char		*path;
	const char		*raw;	/* NULL: delete the member */
	enum proto_error	 want;
};

#define MU(b, d, path, raw, want)	{ #b, b, d, path, raw, want }
#define Q(s)	"\"" s "\""

static const struct mutation mutations[] = {
	MU(b_hello, TS, "version", NULL, MSG),
	MU(b_hello, TS, "version", "null", MSG),
	MU(b_hello, TS, "version", Q("1"), PROTO_E_VERSION),
	MU(b_hello, TS, "version", "0", PROTO_E_VERSION),
	MU(b_hello, TS, "version", "-1", PROTO_E_VERSION),
	MU(b_hello, TS, "version", "65536", PROTO_E_VERSION),
	MU(b_hello, TS, "version", "65535", OK),
	MU(b_hello, TS, "version", "1.0", PROTO_E_VERSION),
	MU(b_hello, TS, "version", "true", PROTO_E_VERSION),
	MU(b_hello, TS, "name", Q("a b"), PROTO_E_NAME),
	MU(b_hello, TS, "name", Q(""), PROTO_E_NAME),
	MU(b_hello, TS, "name", Q(NAME33), PROTO_E_NAME),
	MU(b_hello, TS, "name", Q(NAME32), OK),
	MU(b_hello, TS, "name", Q("A-z_0.9"), OK),
	MU(b_hello, TS, "name", Q("caf\\u00e9"), PROTO_E_NAME),
	MU(b_hello, TS, "name", Q("caf\xc3\xa9"), PROTO_E_NAME),
	MU(b_hello, TS, "name", Q("bob\\u0000"), PROTO_E_UTF8),
	MU(b_hello, TS, "name", Q("#alice"), PROTO_E_NAME),
	MU(b_hello, TS, "name", Q("alice!"), PROTO_E_NAME),
	MU(b_hello, TS, "name", "[" Q("alice") "]", PROTO_E_NAME),
	MU(b_hello, TS, "name", "7", PROTO_E_NAME),
	MU(b_hello, TS, "key", NULL, MSG),
	MU(b_hello, TS, "key", Q(FAKE_N), PROTO_E_KEY),
	MU(b_hello, TS, "key/kty", Q("EC"), PROTO_E_KEY),
	MU(b_hello, TS, "key/kty", Q("rsa"), PROTO_E_KEY),
	MU(b_hello, TS, "key/kty", NULL, PROTO_E_KEY),
	MU(b_hello, TS, "key/n", NULL, PROTO_E_KEY),
	MU(b_hello, TS, "key/n", Q("abc+/def"), PROTO_E_KEY),
	MU(b_hello, TS, "key/n", Q("A"), PROTO_E_KEY),
	MU(b_hello, TS, "key/n", Q("AAAAA"), PROTO_E_KEY),
	MU(b_hello, TS, "key/n", Q("AAAA=="), PROTO_E_KEY),
	MU(b_hello, TS, "key/n", "12", PROTO_E_KEY),
	MU(b_hello, TS, "key/e", Q("AQABAQABAQABAQABA"), PROTO_E_KEY),
	MU(b_hello, TS, "key/e", Q("AQ"), OK),
	MU(b_hello, TS, "key/kid", Q("some key id"), OK),
	MU(b_hello, TS, "sig", NULL, MSG),
	MU(b_hello, TS, "sig", Q(""), MSG),
	MU(b_hello, TS, "sig", Q("A"), MSG),
	MU(b_hello, TS, "sig", Q("AAAA AAAA"), MSG),
	/* A signature is as long as the modulus (384 bytes here). */
	MU(b_hello, TS, "sig", Q(B64_64 B64_64 B64_64 B64_64 B64_64 B64_64
	    B64_64), MSG),
	MU(b_hello, TS, "sig", Q(FAKE_N "AAAA"), MSG),
	/* Non-zero bits past the last byte: another encoding of a value. */
	MU(b_hello, TS, "key/e", Q("AR"), PROTO_E_KEY),
	MU(b_hello, TS, "key/e", Q("AQAC"), OK),
	/* Required by the session, after the version (a version-1 hello
	 * has none). */
	MU(b_hello, TS, "prekey", NULL, OK),
	MU(b_hello, TS, "prekey", "null", OK),
	MU(b_hello, TS, "prekey", Q(FAKE_PREKEY), PROTO_E_KEY),
	MU(b_hello, TS, "prekey", "[]", PROTO_E_KEY),
	MU(b_hello, TS, "prekey/key", NULL, PROTO_E_KEY),
	/* 42 and 44 characters, and 43 with bits past the 32 bytes. */
	MU(b_hello, TS, "prekey/key",
	    Q("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"), PROTO_E_KEY),
	MU(b_hello, TS, "prekey/key",
	    Q("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopEA"), PROTO_E_KEY),
	MU(b_hello, TS, "prekey/key",
	    Q("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopF"), PROTO_E_KEY),
	MU(b_hello, TS, "prekey/created", NULL, PROTO_E_KEY),
	MU(b_hello, TS, "prekey/created", "-1", PROTO_E_KEY),
	MU(b_hello, TS, "prekey/created", "1.5", PROTO_E_KEY),
	MU(b_hello, TS, "prekey/created", Q("1"), PROTO_E_KEY),
	MU(b_hello, TS, "prekey/created", "0", OK),
	MU(b_hello, TS, "prekey/sig", NULL, PROTO_E_KEY),
	MU(b_hello, TS, "prekey/sig", Q("A"), PROTO_E_KEY),
	MU(b_hello, TS, "prekey/extra", Q("x"), OK),

	MU(b_challenge, TC, "version", "0", MSG),
	MU(b_challenge, TC, "version", "2", OK),
	MU(b_challenge, TC, "server", Q(""), OK),
	MU(b_challenge, TC, "server", Q(STR64), OK),
	MU(b_challenge, TC, "server", Q(STR65), MSG),
	MU(b_challenge, TC, "nonce", NULL, MSG),
	/* 43 characters: the last one's low 2 bits are past the bytes. */
	MU(b_challenge, TC, "nonce",
	    Q("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopr"), MSG),
	MU(b_watch, TS, "quality", Q("720p"), OK),
	MU(b_watch, TS, "quality", Q("auto"), MSG),
	MU(b_watch, TS, "quality", NULL, OK),
	MU(b_watch, TS, "name", NULL, OK),
	MU(b_challenge, TC, "nonce",
	    Q("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"), MSG),
	MU(b_challenge, TC, "nonce",
	    Q("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopo"), OK),
	MU(b_challenge, TC, "nonce", Q(B64_64), OK),
	MU(b_challenge, TC, "nonce", Q(B64_64 "AB"), MSG),

	MU(b_welcome, TC, "name", NULL, MSG),
	MU(b_welcome, TC, "users", NULL, MSG),
	MU(b_welcome, TC, "users", "{}", MSG),
	MU(b_welcome, TC, "users", "[]", OK),
	MU(b_welcome, TC, "users/1", Q("bob"), MSG),
	MU(b_welcome, TC, "users/0/fingerprint", NULL, MSG),
	MU(b_welcome, TC, "users/0/fingerprint", Q(""), MSG),
	MU(b_welcome, TC, "users/0/rooms", "[" Q("lobby") "]", MSG),
	MU(b_welcome, TC, "users/0/rooms", "[]", OK),
	MU(b_welcome, TC, "users/0/watching", "5", MSG),
	MU(b_welcome, TC, "users/0/watching", Q(STR65), MSG),
	MU(b_welcome, TC, "users/1/key/n", Q("!!"), MSG),
	MU(b_welcome, TC, "videos", NULL, MSG),
	MU(b_welcome, TC, "videos", "[]", OK),
	MU(b_welcome, TC, "videos/0/qualities", "[" Q("auto") "]", MSG),
	MU(b_welcome, TC, "videos/0/qualities", "[]", MSG),
	MU(b_welcome, TC, "videos/0/qualities",
	    "[" Q("240p") "," Q("720p") "," Q("1440p") "," Q("240p") "]",
	    MSG),
	MU(b_welcome, TC, "videos/0/qualities",
	    "[" Q("240p") "," Q("720p") "," Q("1440p") "]", OK),
	MU(b_welcome, TC, "videos/0/name", Q(""), MSG),
	MU(b_welcome, TC, "videos/0/name", NULL, MSG),
	MU(b_welcome, TC, "motd", NULL, OK),
	MU(b_welcome, TC, "motd", "5", MSG),
	MU(b_welcome, TC, "rooms", "[" Q("#lobby") "," Q("#tv") "]", OK),
	MU(b_welcome, TC, "rooms", "[" Q("lobby") "]", MSG),
	MU(b_welcome, TC, "more", "true", OK),
	MU(b_welcome, TC, "more", "false", OK),
	MU(b_welcome, TC, "more", "1", MSG),
	MU(b_welcome, TC, "users/1/prekey", NULL, MSG),
	MU(b_welcome, TC, "users/1/prekey/key", Q("AAAA"), MSG),
	MU(b_welcome, TC, "users/1/prekey/created", "-5", MSG),

	MU(b_error, TC, "code", NULL, MSG),
	MU(b_error, TC, "code", Q(""), MSG),
	MU(b_error, TC, "code", Q(NAME33), MSG),
	MU(b_error, TC, "code", Q("some-future-code"), OK),
	MU(b_error, TC, "code", "3", MSG),
	MU(b_error, TC, "message", NULL, MSG),
	MU(b_error, TC, "message", "null", MSG),
	MU(b_error, TC, "message", Q(""), OK),
	MU(b_error, TC, "message", Q("a\\u0000b"), PROTO_E_UTF8),
	MU(b_error, TC, "message", Q("\\u0000"), PROTO_E_UTF8),
	MU(b_error, TC, "message", Q("smile \\ud83d\\ude00"), OK),
	MU(b_error, TC, "message", "5", MSG),

	MU(b_join, TC, "user", NULL, MSG),
	MU(b_join, TC, "user", "[]", MSG),
	MU(b_join, TC, "user/name", Q("a b"), MSG),
	MU(b_join, TC, "user/name", NULL, MSG),
	MU(b_join, TC, "user/key", NULL, MSG),
	MU(b_join, TC, "user/key/kty", Q("rsa"), MSG),
	MU(b_join, TC, "user/fingerprint", Q(STR65), MSG),
	MU(b_join, TC, "user/watching", Q(STR65), MSG),
	MU(b_join, TC, "user/watching", Q("clip"), OK),
	MU(b_join, TC, "user/rooms", Q("#lobby"), MSG),

	MU(b_leave, TC, "reason", NULL, MSG),
	MU(b_leave, TC, "reason", Q(""), OK),
	MU(b_leave, TC, "name", Q("bob!"), MSG),
	MU(b_leave, TC, "name", NULL, MSG),

	MU(b_who_room_req, TS, "room", Q("lobby"), MSG),
	MU(b_who_room_req, TS, "room", Q("#"), MSG),
	MU(b_who_room_req, TS, "room", Q("##a"), MSG),
	MU(b_who_room_req, TS, "room", Q("#a b"), MSG),
	MU(b_who_room_req, TS, "room", Q("#" NAME33), MSG),
	MU(b_who_room_req, TS, "room", Q("#" NAME32), OK),
	MU(b_who_room_req, TS, "room", Q("#caf\xc3\xa9"), MSG),
	MU(b_who_room_req, TS, "room", "null", OK),
	MU(b_who_room_req, TS, "room", NULL, OK),
	MU(b_who_reply, TC, "users", NULL, MSG),
	MU(b_who_reply, TC, "room", Q("#tv"), OK),
	MU(b_who_reply, TC, "room", Q("tv"), MSG),
	MU(b_who_reply, TC, "more", "true", OK),
	MU(b_who_reply, TC, "more", Q("yes"), MSG),

	MU(b_room_join_req, TS, "room", NULL, MSG),
	MU(b_room_join_req, TS, "room", Q("lobby"), MSG),
	MU(b_room_join_req, TS, "room", "5", MSG),
	MU(b_room_leave_req, TS, "room", Q(""), MSG),
	MU(b_room_join_notice, TC, "name", NULL, MSG),
	MU(b_room_join_notice, TC, "room", Q("#"), MSG),
	MU(b_room_leave_notice, TC, "room", NULL, MSG),

	MU(b_chat_send_names, TS, "to", NULL, MSG),
	MU(b_chat_send_names, TS, "to", "[]", MSG),
	MU(b_chat_send_names, TS, "to", "[" Q("bob") "," Q("BOB") "]", MSG),
	MU(b_chat_send_names, TS, "to", "[" Q("bob") "," Q("bob") "]", MSG),
	MU(b_chat_send_names, TS, "to", "[" Q("bob") ",5]", MSG),
	MU(b_chat_send_names, TS, "to", "[" Q("a b") "]", MSG),
	MU(b_chat_send_names, TS, "to", "[" Q("#lobby") "]", MSG),
	MU(b_chat_send_names, TS, "to", "[" Q("Bob") "," Q("bobby") "]", OK),
	MU(b_chat_send_names, TS, "to", Q("lobby"), MSG),
	MU(b_chat_send_names, TS, "to", Q("bob"), MSG),
	MU(b_chat_send_names, TS, "to", Q("#lobby"), OK),
	MU(b_chat_send_names, TS, "to", "{}", MSG),
	MU(b_chat_send_names, TS, "id", NULL, MSG),
	MU(b_chat_send_names, TS, "id", Q(""), MSG),
	MU(b_chat_send_names, TS, "id", Q(STR64), OK),
	MU(b_chat_send_names, TS, "id", Q(STR65), MSG),
	MU(b_chat_send_names, TS, "id", "7", MSG),
	MU(b_chat_send_names, TS, "sealed", NULL, MSG),
	MU(b_chat_send_names, TS, "sealed", Q("x"), MSG),
	MU(b_chat_send_names, TS, "sealed", "{}", MSG),
	MU(b_chat_send_names, TS, "sealed", "7", MSG),
	/* One character short of the shortest sealed chat. */
	MU(b_chat_send_names, TS, "sealed", Q(B64_64 B64_64 "ABCDEFG"), MSG),
	MU(b_chat_send_names, TS, "sealed", Q(B64_64 B64_64 "ABCDEFGHIQ"),
	    OK),
	MU(b_chat_send_names, TS, "sealed", Q(B64_64 B64_64 "ABCDEF+H"), MSG),
	MU(b_chat_send_names, TS, "sealed", Q(B64_64 B64_64 "ABCDEFG="), MSG),
	MU(b_chat_send_names, TS, "sealed", Q(B64_64 B64_64 "ABCDEFGHJ"), MSG),
	MU(b_chat_send_names, TS, "keys", "{\"bob\":\"AAAA\"}", OK),
	MU(b_chat_send_names, TS, "from", Q("mallory"), OK),

	MU(b_chat_deliver, TC, "from", NULL, MSG),
	MU(b_chat_deliver, TC, "from", Q("a b"), MSG),
	MU(b_chat_deliver, TC, "ts", NULL, MSG),
	MU(b_chat_deliver, TC, "ts", "-1", MSG),
	MU(b_chat_deliver, TC, "ts", Q("1"), MSG),
	MU(b_chat_deliver, TC, "ts", "1.5", MSG),
	MU(b_chat_deliver, TC, "ts", "0", OK),
	MU(b_chat_deliver, TC, "to", "[]", MSG),
	MU(b_chat_deliver, TC, "to", "[" Q("bob") "," Q("BOB") "]", MSG),
	MU(b_chat_deliver, TC, "sealed", NULL, MSG),
	MU(b_chat_deliver, TC, "sealed", Q("AAAA"), MSG),
	MU(b_chat_deliver, TC, "sealed", "{\"key\":\"AAAA\"}", MSG),

	MU(b_sender_key_send, TS, "to", NULL, MSG),
	MU(b_sender_key_send, TS, "to", Q("a b"), MSG),
	MU(b_sender_key_send, TS, "to", Q("#lobby"), MSG),
	MU(b_sender_key_send, TS, "to", "[" Q("bob") "]", MSG),
	MU(b_sender_key_send, TS, "target", NULL, MSG),
	MU(b_sender_key_send, TS, "target", Q("lobby"), MSG),
	MU(b_sender_key_send, TS, "target", "[" Q("bob") "," Q("carol") "]",
	    OK),
	MU(b_sender_key_send, TS, "target", "[" Q("bob") "," Q("Bob") "]",
	    MSG),
	MU(b_sender_key_send, TS, "blob", NULL, MSG),
	MU(b_sender_key_send, TS, "blob", Q(B64_64), MSG),
	MU(b_sender_key_send, TS, "blob", Q(B64_64 B64_64 "AB=="), MSG),
	MU(b_sender_key_send, TS, "blob", "5", MSG),
	MU(b_sender_key_send, TS, "from", Q("mallory"), OK),
	MU(b_sender_key_deliver, TC, "from", NULL, MSG),
	MU(b_sender_key_deliver, TC, "from", Q("a!"), MSG),
	MU(b_sender_key_deliver, TC, "target", "[]", MSG),
	MU(b_sender_key_deliver, TC, "blob", Q(""), MSG),

	MU(b_users, TC, "users", NULL, MSG),
	MU(b_users, TC, "users", "{}", MSG),
	MU(b_users, TC, "users/0/prekey", NULL, MSG),
	MU(b_users, TC, "more", "false", OK),
	MU(b_users, TC, "more", "1", MSG),
	MU(b_users, TC, "more", Q("true"), MSG),
	MU(b_users_last, TC, "more", "true", OK),

	MU(b_ping, TS, "id", NULL, OK),
	MU(b_ping, TS, "id", "null", OK),
	MU(b_ping, TS, "id", "-1", MSG),
	MU(b_ping, TS, "id", Q("1"), MSG),
	MU(b_ping, TS, "id", "1.5", MSG),
	MU(b_ping, TS, "id", "9223372036854775807", OK),
	MU(b_pong, TS, "id", "-1", MSG),

	MU(b_play, TS, "size", NULL, MSG),
	MU(b_play, TS, "size", "[0,10]", MSG),
	MU(b_play, TS, "size", "[10,0]", MSG),
	MU(b_play, TS, "size", "[-1,10]", MSG),
	MU(b_play, TS, "size", "[5000,10]", MSG),
	MU(b_play, TS, "size", "[10,4097]", MSG),
	MU(b_play, TS, "size", "[1,2,3]", MSG),
	MU(b_play, TS, "size", "[" Q("a") ",1]", MSG),
	MU(b_play, TS, "size", "[10]", MSG),
	MU(b_play, TS, "size", "[]", MSG),
	MU(b_play, TS, "size", "[10.0,10]", MSG),
	MU(b_play, TS, "size", "{\"w\":1,\"h\":1}", MSG),
	MU(b_play, TS, "size", Q("80x24"), MSG),
	MU(b_play, TS, "size", "[1,1]", OK),
	MU(b_play, TS, "size", "[4096,4096]", OK),
	MU(b_play, TS, "quality", NULL, MSG),
	MU(b_play, TS, "quality", Q("auto"), OK),
	MU(b_play, TS, "quality", Q("240p"), OK),
	MU(b_play, TS, "quality", Q("AUTO"), MSG),
	MU(b_play, TS, "quality", Q("480p"), MSG),
	MU(b_play, TS, "quality", Q(""), MSG),
	MU(b_play, TS, "quality", "720", MSG),
	MU(b_play, TS, "name", NULL, MSG),
	MU(b_play, TS, "name", Q(""), MSG),
	MU(b_play, TS, "name", Q(STR64), OK),
	MU(b_play, TS, "name", Q(STR65), MSG),
	MU(b_play, TS, "start", NULL, OK),
	MU(b_play, TS, "start", "0", OK),
	MU(b_play, TS, "start", "604800", OK),
	MU(b_play, TS, "start", "604801", MSG),
	MU(b_play, TS, "start", "-1", MSG),
	MU(b_play, TS, "start", "1e400", MSG),
	MU(b_play, TS, "start", Q("5"), MSG),

	MU(b_seek, TS, "to", NULL, MSG),
	MU(b_seek, TS, "to", "null", MSG),
	MU(b_seek, TS, "to", "0", OK),
	MU(b_seek, TS, "to", "1e2", OK),
	MU(b_seek, TS, "to", "604800", OK),
	MU(b_seek, TS, "to", "604800.5", MSG),
	MU(b_seek, TS, "to", "-1", MSG),
	MU(b_seek, TS, "to", "-0.5", MSG),
	MU(b_seek, TS, "to", "1e400", MSG),
	MU(b_seek, TS, "to", "-1e400", MSG),
	MU(b_seek, TS, "to", "NaN", PROTO_E_JSON),
	MU(b_seek, TS, "to", "Infinity", PROTO_E_JSON),
	MU(b_seek, TS, "to", "-Infinity", PROTO_E_JSON),
	MU(b_seek, TS, "to", "1.", PROTO_E_JSON),
	MU(b_seek, TS, "to", Q("10"), MSG),

	MU(b_quality, TS, "quality", Q("auto"), OK),
	MU(b_quality, TS, "quality", Q("240p"), OK),
	MU(b_quality, TS, "quality", Q("720P"), MSG),
	MU(b_quality, TS, "quality", Q(""), MSG),
	MU(b_quality, TS, "quality", "720", MSG),
	MU(b_quality, TS, "quality", NULL, MSG),
	MU(b_resize, TS, "size", NULL, MSG),
	MU(b_resize, TS, "size", "[0,0]", MSG),
	MU(b_resize, TS, "size", "[4096,1]", OK),

	MU(b_stream, TC, "quality", Q("auto"), MSG),
	MU(b_stream, TC, "quality", Q("1440p"), OK),
	MU(b_stream, TC, "quality", NULL, MSG),
	MU(b_stream, TC, "id", "-1", MSG),
	MU(b_stream, TC, "id", "4294967295", OK),
	MU(b_stream, TC, "id", "4294967296", MSG),
	MU(b_stream, TC, "id", "1.5", MSG),
	MU(b_stream, TC, "name", NULL, MSG),
	MU(b_stream, TC, "w", "0", MSG),
	MU(b_stream, TC, "w", "4096", OK),
	MU(b_stream, TC, "h", "4097", MSG),
	MU(b_stream, TC, "h", NULL, MSG),
	MU(b_stream, TC, "fps", "-1", MSG),
	MU(b_stream, TC, "fps", "1001", MSG),
	MU(b_stream, TC, "fps", "29.97", OK),
	MU(b_stream, TC, "frames", "-1", MSG),
	MU(b_stream, TC, "frames", "2147483648", MSG),
	MU(b_stream, TC, "frames", "2147483647", OK),
	MU(b_stream, TC, "duration", "NaN", PROTO_E_JSON),
	MU(b_stream, TC, "duration", "604801", MSG),

	MU(b_stream_end, TC, "reason", NULL, MSG),
	MU(b_stream_end, TC, "reason", Q("done"), MSG),
	MU(b_stream_end, TC, "reason", Q("Finished"), MSG),
	MU(b_stream_end, TC, "reason", Q("finished "), MSG),
	MU(b_stream_end, TC, "reason", Q(""), MSG),
	MU(b_stream_end, TC, "reason", "1", MSG),
	MU(b_stream_end, TC, "reason", Q("stopped"), OK),
	MU(b_stream_end, TC, "reason", Q("error"), OK),
	MU(b_stream_end, TC, "message", Q("why"), OK),
	MU(b_stream_end, TC, "message", "5", MSG),
	MU(b_stream_end, TC, "id", "4294967296", MSG),
	MU(b_stream_end, TC, "id", NULL, MSG),

	MU(b_quality_changed, TC, "quality", Q("auto"), MSG),
	MU(b_quality_changed, TC, "quality", Q("1440p"), OK),
	MU(b_quality_changed, TC, "quality", NULL, MSG),
	MU(b_quality_changed, TC, "why", Q("because"), MSG),
	MU(b_quality_changed, TC, "why", Q("asked"), OK),
	MU(b_quality_changed, TC, "why", NULL, MSG),
};

/* Each edit of a valid message is accepted or refused as the table says. */
static void
test_field_rules(void **state)
{
	char			 label[256];
	enum proto_error	 e;

	for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
		const struct mutation *mu = &mutations[i];

		snprintf(label, sizeof label, "%s %s=%.60s", mu->base, mu->path,
		    mu->raw == NULL ? "(deleted)" : mu->raw);
		e = parse_mutated(mu->build, mu->path, mu->raw, mu->dir, label);
		if (e != mu->want)
			fail_msg("%s: got %s, want %s", label,
			    proto_error_name(e), proto_error_name(mu->want));
	}
}

/* A missing or null required field is reported as missing, not invalid. */
static void
test_null_is_missing(void **state)
{
	static const char *const missing[] = {
		"{\"type\":\"seek\"}",
		"{\"type\":\"seek\",\"to\":null}",
	};
	json_object	*out;
	char		 why[MSG_WHY_LEN];

	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		assert_int_equal(msg_parse((const uint8_t *)missing[i],
		    strlen(missing[i]), TS, &out, why, sizeof why), MSG);
		assert_null(out);
		assert_non_null(strstr(why, "missing"));
		assert_non_null(strstr(why, "\"to\""));
	}
	assert_int_equal(parse("{\"type\":\"seek\",\"to\":\"x\"}", TS, &out),
	    MSG);
	assert_null(out);
}

/* Payloads that are not one JSON object get bad-json or bad-message. */
static void
test_bad_json(void **state)
{
	static const struct {
		const char		*s;
		enum proto_error	 want;
	} cases[] = {
		{ "{", PROTO_E_JSON },
		{ "{\"type\":\"ping\"", PROTO_E_JSON },
		{ "{\"type\":\"ping\",", PROTO_E_JSON },
		{ "{\"type\":\"pi", PROTO_E_JSON },
		{ "   ", PROTO_E_JSON },
		{ "}", PROTO_E_JSON },
		{ "{\"type\":\"ping\"}x", PROTO_E_JSON },
		{ "{\"type\":\"ping\"} x", PROTO_E_JSON },
		{ "{\"type\":\"ping\"},", PROTO_E_JSON },
		{ "{\"type\":\"ping\"}{\"type\":\"ping\"}", PROTO_E_JSON },
		{ "{\"type\":\"ping\"}\n{\"type\":\"ping\"}", PROTO_E_JSON },
		{ "{'type':'ping'}", PROTO_E_JSON },
		{ "{\"type\":'ping'}", PROTO_E_JSON },
		{ "{type:\"ping\"}", PROTO_E_JSON },
		{ "/* c */{\"type\":\"ping\"}", PROTO_E_JSON },
		{ "{\"type\":\"ping\"}/* c */", PROTO_E_JSON },
		{ "{\"type\":\"ping\"}// c", PROTO_E_JSON },
		{ "{\"type\":\"ping\" /* c */}", PROTO_E_JSON },
		{ "{\"type\":\"ping\" // c\n}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":[1,]}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":01}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":+1}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":.5}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":0x10}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":TRUE}", PROTO_E_JSON },
		{ PING_X "\\x41\"}", PROTO_E_JSON },
		{ "\xef\xbb\xbf{\"type\":\"ping\"}", PROTO_E_JSON },
		/* What json-c's strict mode lets through (RFC 8259 does not). */
		{ "{\"type\":\"ping\",\"x\":NaN}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":Infinity}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":-Infinity}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":nan}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":1.}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":1.e5}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":1e}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"id\":-}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":\"a\x01b\"}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":\"a\tb\"}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":\"a\nb\"}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":\"\\q\"}", PROTO_E_JSON },
		/* Duplicate member names: json-c would keep the last. */
		{ "{\"type\":\"ping\",\"type\":\"pong\"}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":{\"a\":1,\"a\":2}}", PROTO_E_JSON },
		{ "{\"type\":\"ping\",\"x\":[{\"a\":1},{\"a\":1,\"b\":[{\"c\":1,"
		    "\"c\":1}]}]}", PROTO_E_JSON },
		/* ... but equal names in different objects are fine. */
		{ "{\"type\":\"ping\",\"x\":[{\"a\":1},{\"a\":{\"a\":1}}]}", OK },
		{ "{\"type\":\"ping\",\"id\":5,\"x\":[-0.5e+3,1E2,0,-0,true,false,null,"
		    "\"\\u00e9\\\"\\/\\b\\f\\n\\r\\t\"]}", OK },
		{ "[]", MSG },
		{ "[{\"type\":\"ping\"}]", MSG },
		{ "\"ping\"", MSG },
		{ "42 ", MSG },
		{ "true ", MSG },
		{ " \r\n\t{\"type\":\"ping\"} \r\n\t", OK },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect(cases[i].s, TS, cases[i].want);
}

/*
 * A bare scalar that ends the payload is refused; json-c cannot tell a
 * number or literal is complete, so msg.c says bad-json rather than the
 * bad-message it gives "42 " (see the report): accept either.
 */
static void
test_bare_scalars(void **state)
{
	static const char *const cases[] = {
		"1", "42", "-1.5", "true", "false", "null", "null ",
	};
	unsigned	mask = 1u << PROTO_E_JSON | 1u << PROTO_E_MESSAGE;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_refused_any(cases[i], TS, mask);
}

/* An empty payload is "empty"; one over the cap is "too-big". */
static void
test_empty_and_size(void **state)
{
	const char	*head = "{\"type\":\"ping\",\"pad\":\"";
	size_t		 n = FRAME_MAX_JSON;
	char		*p = malloc(n + 2);

	expect_len("empty", "", 0, TS, PROTO_E_EMPTY);
	expect_len("empty, non-empty buffer", "{}", 0, TC, PROTO_E_EMPTY);

	/* Exactly FRAME_MAX_JSON bytes is fine, one more is not. */
	assert_non_null(p);
	memset(p, 'x', n + 2);
	memcpy(p, head, strlen(head));
	memcpy(p + n - 2, "\"}", 2);
	expect_len("max size", p, n, TS, OK);
	memcpy(p + n - 2, "x\"}", 3);
	expect_len("max size + 1", p, n + 1, TS, PROTO_E_TOO_BIG);
	free(p);
}

/* Malformed UTF-8 anywhere in the payload is "bad-utf8". */
static void
test_bad_utf8(void **state)
{
	static const struct {
		const char	*label;
		const char	*s;
		size_t		 len;	/* 0: strlen */
	} cases[] = {
		{ "overlong /", PING_X "\xc0\xaf" "\"}", 0 },
		{ "overlong NUL", PING_X "\xc0\x80" "\"}", 0 },
		{ "overlong 3", PING_X "\xe0\x80\xaf" "\"}",
		    0 },
		{ "overlong 4",
		    PING_X "\xf0\x80\x80\xaf" "\"}", 0 },
		{ "surrogate", PING_X "\xed\xa0\x80" "\"}",
		    0 },
		{ "above U+10FFFF",
		    PING_X "\xf4\x90\x80\x80" "\"}", 0 },
		{ "0xff", PING_X "\xff" "\"}", 0 },
		{ "0xfe", PING_X "\xfe" "\"}", 0 },
		{ "lone continuation", PING_X "\x80" "\"}",
		    0 },
		{ "truncated", PING_X "\xe2\x82" "\"}", 0 },
		{ "truncated at end", "{\"type\":\"ping\"}\xe2\x82", 0 },
		{ "latin-1 in name",
		    "{\"type\":\"hello\",\"name\":\"caf\xe9" "\"}", 0 },
		{ "bad byte in type", "{\"type\":\"p\xffing\"}", 0 },
		{ "raw NUL in string", PING_X "a\0b\"}", 25 },
		{ "raw NUL after object", "{\"type\":\"ping\"}\0", 16 },
		{ "raw NUL alone", "\0", 1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_len(cases[i].label, cases[i].s, cases[i].len == 0 ?
		    strlen(cases[i].s) : cases[i].len, TS, PROTO_E_UTF8);

	/* Well-formed multibyte text, including U+FFFF, is fine. */
	expect(PING_X "\xc3\xa9\xe2\x82\xac\xef\xbf\xbf"
	    "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf" "\"}", TS, OK);
}

/* A missing, malformed or unknown "type" is "bad-type". */
static void
test_bad_type(void **state)
{
	static const struct {
		const char	*s;
		enum msg_dir	 dir;
	} cases[] = {
		{ "{}", TS },
		{ "{\"id\":1}", TC },
		{ "{\"Type\":\"ping\"}", TS },
		{ "{\"type\":5}", TS },
		{ "{\"type\":null}", TS },
		{ "{\"type\":true}", TS },
		{ "{\"type\":[\"ping\"]}", TS },
		{ "{\"type\":{\"ping\":1}}", TS },
		{ "{\"type\":\"\"}", TS },
		{ "{\"type\":\"nope\"}", TS },
		{ "{\"type\":\"PING\"}", TS },
		{ "{\"type\":\" ping\"}", TS },
		{ "{\"type\":\"" NAME33 "\"}", TC },
		{ "{\"type\":\"challenge\"}", TS },
		{ "{\"type\":\"welcome\"}", TS },
		{ "{\"type\":\"error\",\"code\":\"x\",\"message\":\"y\"}", TS },
		{ "{\"type\":\"stream\"}", TS },
		{ "{\"type\":\"quality-changed\"}", TS },
		{ "{\"type\":\"hello\"}", TC },
		{ "{\"type\":\"play\"}", TC },
		{ "{\"type\":\"pause\"}", TC },
		{ "{\"type\":\"seek\",\"to\":1}", TC },
		{ "{\"type\":\"resize\"}", TC },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect(cases[i].s, cases[i].dir, PROTO_E_TYPE);
}

/* Append n nested arrays around 1 to s (of room for 2n + 2 bytes). */
static void
nest(char *s, size_t n)
{
	memset(s, '[', n);
	s[n] = '1';
	memset(s + n + 1, ']', n);
	s[2 * n + 1] = '\0';
}

/* Deep nesting is refused as bad JSON without exhausting the stack. */
static void
test_depth(void **state)
{
	static const size_t	deep[] = { 100, 1000, 100000 };
	const char		*head = "{\"type\":\"ping\",\"x\":";
	char			*s;

	s = malloc(strlen(head) + 2 * 100000 + 8);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
		nest(s, deep[i]);
		expect_len("bare nesting", s, strlen(s), TS, PROTO_E_JSON);
		strcpy(s, head);
		nest(s + strlen(head), deep[i]);
		strcat(s, "}");
		expect_len("nested member", s, strlen(s), TS, PROTO_E_JSON);
	}
	/* Modest nesting in an unknown member is fine. */
	strcpy(s, head);
	nest(s + strlen(head), 8);
	strcat(s, "}");
	expect(s, TS, OK);
	free(s);
}

/* Return a malloc'd JSON string literal of n copies of the text unit. */
static char *
quoted_repeat(const char *unit, size_t n)
{
	size_t	ul = strlen(unit);
	char	*s = malloc(n * ul + 3);

	assert_non_null(s);
	s[0] = '"';
	for (size_t i = 0; i < n; i++)
		memcpy(s + 1 + i * ul, unit, ul);
	memcpy(s + 1 + n * ul, "\"", 2);
	return s;
}

/* Text limits count bytes: at the limit is fine, one unit over is not. */
static void
test_text_limits(void **state)
{
	static const struct {
		json_object		*(*build)(void);
		enum msg_dir		 dir;
		const char		*field;
		const char		*unit;
		size_t			 n;
		enum proto_error	 want;
	} cases[] = {
		{ b_error, TC, "message", "m", MESSAGE_TEXT_MAX, OK },
		{ b_error, TC, "message", "m", MESSAGE_TEXT_MAX + 1, MSG },
		{ b_error, TC, "message", "\xc3\xa9", MESSAGE_TEXT_MAX / 2,
		    OK },
		{ b_error, TC, "message", "\xc3\xa9", MESSAGE_TEXT_MAX / 2 + 1,
		    MSG },
		{ b_error, TC, "message", "\\u00e9", MESSAGE_TEXT_MAX / 2, OK },
		{ b_error, TC, "message", "\\u00e9", MESSAGE_TEXT_MAX / 2 + 1,
		    MSG },
		{ b_leave, TC, "reason", "r", MESSAGE_TEXT_MAX, OK },
		{ b_leave, TC, "reason", "r", MESSAGE_TEXT_MAX + 1, MSG },
		{ b_stream_end_error, TC, "message", "s", MESSAGE_TEXT_MAX,
		    OK },
		{ b_stream_end_error, TC, "message", "s", MESSAGE_TEXT_MAX + 1,
		    MSG },
		{ b_welcome, TC, "motd", "w", 1024, OK },
		{ b_welcome, TC, "motd", "w", 1025, MSG },
		{ b_hello, TS, "name", "n", NAME_MAX_LEN, OK },
		{ b_hello, TS, "name", "n", NAME_MAX_LEN + 1, PROTO_E_NAME },
		{ b_hello_long, TS, "key/n", "A", 1024, OK },
		{ b_hello_long, TS, "key/n", "A", 1026, PROTO_E_KEY },
		{ b_hello_long, TS, "sig", "A", 1024, OK },
		{ b_hello_long, TS, "sig", "A", 1026, MSG },
	};
	char			 label[128];
	char			*raw;
	enum proto_error	 e;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		raw = quoted_repeat(cases[i].unit, cases[i].n);
		snprintf(label, sizeof label, "%s: %zu x %s", cases[i].field,
		    cases[i].n, cases[i].unit);
		e = parse_mutated(cases[i].build, cases[i].field, raw,
		    cases[i].dir, label);
		if (e != cases[i].want)
			fail_msg("%s: got %s, want %s", label,
			    proto_error_name(e),
			    proto_error_name(cases[i].want));
		free(raw);
	}
}

/* Return n distinct valid names u0, u1, ... as a JSON array. */
static json_object *
many_names(size_t n)
{
	json_object	*a = json_object_new_array();
	char		 name[24];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof name, "u%zu", i);
		json_object_array_add(a, json_object_new_string(name));
	}
	return a;
}

/*
 * A chat or sender key names up to CHAT_MAX_RECIPIENTS people, no more
 * (a room has no cap: the server expands it).
 */
static void
test_chat_recipient_limit(void **state)
{
	static const struct {
		size_t			 to;
		int			 sender_key;
		enum proto_error	 want;
	} cases[] = {
		{ 1, 0, OK },
		{ CHAT_MAX_RECIPIENTS, 0, OK },
		{ CHAT_MAX_RECIPIENTS + 1, 0, MSG },
		{ CHAT_MAX_RECIPIENTS, 1, OK },
		{ CHAT_MAX_RECIPIENTS + 1, 1, MSG },
	};
	json_object	*m, *back;
	struct buf	 b;

	buf_init(&b, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (cases[i].sender_key)
			m = msg_sender_key("to", "bob",
			    many_names(cases[i].to), FAKE_BLOB);
		else
			m = msg_chat_send(many_names(cases[i].to), "m",
			    FAKE_SEALED);
		assert_int_equal(msg_validate(m, TS, NULL, 0), cases[i].want);
		if (cases[i].want == OK) {
			buf_reset(&b);
			assert_int_equal(msg_encode(m, &b), 0);
			assert_int_equal(msg_parse(payload_of(&b),
			    buf_len(&b) - FRAME_HEADER_LEN, TS, &back, NULL, 0),
			    OK);
			json_object_put(back);
		}
		json_object_put(m);
	}
	buf_free(&b);
}

/* msg_error() cuts long texts on a character boundary and stays valid. */
static void
test_error_truncation(void **state)
{
	static const char *const units[] = {
		"e", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"
	};
	char		 in[700];
	const char	*got;
	size_t		 ul, len, want;
	json_object	*m, *back;
	struct buf	 b;

	buf_init(&b, 4096);
	for (size_t u = 0; u < 4; u++) {
		for (size_t lead = 0; lead < 4; lead++) {
			ul = strlen(units[u]);
			memset(in, 'a', lead);
			for (len = lead; len + ul < sizeof in; len += ul)
				memcpy(in + len, units[u], ul);
			in[len] = '\0';

			m = msg_error(PROTO_E_INTERNAL, in);
			assert_int_equal(msg_validate(m, TC, NULL, 0), OK);
			got = msg_get_str(m, "message");
			assert_non_null(got);
			want = lead + (MESSAGE_TEXT_MAX - lead) / ul * ul;
			assert_int_equal(strlen(got), want);
			assert_memory_equal(got, in, want);
			assert_true(utf8_valid((const uint8_t *)got, want));

			buf_reset(&b);
			assert_int_equal(msg_encode_free(m, &b), 0);
			assert_int_equal(msg_parse(payload_of(&b),
			    buf_len(&b) - FRAME_HEADER_LEN, TC, &back, NULL, 0),
			    OK);
			json_object_put(back);
		}
	}
	buf_free(&b);

	/* A text of exactly MESSAGE_TEXT_MAX bytes is kept whole. */
	memset(in, 'z', MESSAGE_TEXT_MAX);
	in[MESSAGE_TEXT_MAX] = '\0';
	m = msg_error(PROTO_E_INTERNAL, in);
	assert_string_equal(msg_get_str(m, "message"), in);
	json_object_put(m);

	/* Whatever the text, the message stays valid. */
	m = msg_error(PROTO_E_INTERNAL, "bad \xff byte");
	assert_int_equal(msg_validate(m, TC, NULL, 0), OK);
	assert_int_equal(strncmp(msg_get_str(m, "message"), "bad ", 4), 0);
	json_object_put(m);
}

/* Every error code makes a valid error message whose code reads back. */
static void
test_error_codes(void **state)
{
	json_object	*m, *back;
	struct buf	 b;
	const char	*name;

	buf_init(&b, 4096);
	for (int e = PROTO_OK + 1; e < PROTO_E_COUNT; e++) {
		m = msg_error((enum proto_error)e, "details");
		buf_reset(&b);
		assert_int_equal(msg_encode_free(m, &b), 0);
		assert_int_equal(msg_parse(buf_ptr(&b) + FRAME_HEADER_LEN,
		    buf_len(&b) - FRAME_HEADER_LEN, TC, &back, NULL, 0), OK);
		name = msg_get_str(back, "code");
		assert_non_null(name);
		assert_string_equal(name,
		    proto_error_name((enum proto_error)e));
		assert_int_equal(proto_error_from_name(name), e);
		assert_string_equal(msg_get_str(back, "message"), "details");
		json_object_put(back);
	}
	/* An out-of-range code still makes a valid message. */
	m = msg_error(PROTO_E_COUNT, "x");
	assert_int_equal(msg_validate(m, TC, NULL, 0), OK);
	assert_int_equal(proto_error_from_name(msg_get_str(m, "code")),
	    PROTO_E_INTERNAL);
	json_object_put(m);
	buf_free(&b);
}

/* Return a ping whose JSON text is exactly len bytes long. */
static json_object *
ping_of_len(size_t len)
{
	json_object	*m = msg_new("ping");
	size_t		 base;
	char		*pad;

	json_object_object_add(m, "pad", json_object_new_string(""));
	base = strlen(msg_text(m));
	assert_true(len >= base);
	pad = malloc(len - base + 1);
	assert_non_null(pad);
	memset(pad, 'p', len - base);
	pad[len - base] = '\0';
	json_object_object_add(m, "pad", json_object_new_string(pad));
	free(pad);
	assert_int_equal(strlen(msg_text(m)), len);
	return m;
}

/* msg_encode() appends one frame or nothing at all. */
static void
test_encode_limits(void **state)
{
	json_object	*m = msg_ping(1), *back;
	size_t		 need = FRAME_HEADER_LEN + strlen(msg_text(m));
	struct buf	 b;

	/* A cap one byte short refuses and leaves the buffer alone. */
	buf_init(&b, need - 1);
	assert_int_equal(msg_encode(m, &b), -1);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);

	buf_init(&b, need + 2);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(msg_encode(m, &b), -1);
	assert_int_equal(buf_len(&b), 3);
	assert_memory_equal(buf_ptr(&b), "abc", 3);
	buf_free(&b);

	/* An exact fit works, and frames append one after another. */
	buf_init(&b, 2 * need);
	assert_int_equal(msg_encode(m, &b), 0);
	assert_int_equal(buf_len(&b), need);
	assert_int_equal(msg_encode(m, &b), 0);
	assert_int_equal(buf_len(&b), 2 * need);
	assert_int_equal(msg_encode(m, &b), -1);
	assert_int_equal(buf_len(&b), 2 * need);
	assert_memory_equal(buf_ptr(&b), buf_ptr(&b) + need, need);
	buf_free(&b);
	json_object_put(m);

	/* JSON text over FRAME_MAX_JSON is refused even with room. */
	buf_init(&b, 4 * FRAME_MAX_JSON);
	m = ping_of_len(FRAME_MAX_JSON + 1);
	assert_int_equal(msg_encode(m, &b), -1);
	assert_int_equal(buf_len(&b), 0);
	assert_int_equal(msg_encode_free(m, &b), -1);
	assert_int_equal(buf_len(&b), 0);

	m = ping_of_len(FRAME_MAX_JSON);
	assert_int_equal(msg_encode_free(m, &b), 0);
	assert_int_equal(buf_len(&b), FRAME_HEADER_LEN + FRAME_MAX_JSON);
	assert_int_equal(get_be32(buf_ptr(&b) + 1), FRAME_MAX_JSON);
	assert_int_equal(msg_parse(buf_ptr(&b) + FRAME_HEADER_LEN,
	    FRAME_MAX_JSON, TS, &back, NULL, 0), OK);
	json_object_put(back);
	buf_free(&b);
}

/* The getters return members of the right type, else NULL or the default. */
static void
test_getters(void **state)
{
	json_object	*m;
	json_object	*size;

	assert_int_equal(parse("{\"type\":\"ping\",\"id\":7,\"s\":\"str\","
	    "\"d\":2.5,\"n\":null,\"b\":true}", TS, &m), OK);
	assert_string_equal(msg_type(m), "ping");
	assert_string_equal(msg_get_str(m, "s"), "str");
	assert_null(msg_get_str(m, "id"));
	assert_null(msg_get_str(m, "absent"));
	assert_null(msg_get_str(m, "n"));
	assert_int_equal(msg_get_int(m, "id", -1), 7);
	assert_int_equal(msg_get_int(m, "d", -1), -1);
	assert_int_equal(msg_get_int(m, "s", -1), -1);
	assert_int_equal(msg_get_int(m, "b", -1), -1);
	assert_int_equal(msg_get_int(m, "absent", -2), -2);
	assert_true(msg_get_num(m, "d", 0) == 2.5);
	assert_true(msg_get_num(m, "id", 0) == 7.0);
	assert_true(msg_get_num(m, "s", -3.5) == -3.5);
	assert_true(msg_get_num(m, "absent", -4.5) == -4.5);
	assert_non_null(msg_get(m, "s"));
	assert_true(json_object_is_type(msg_get(m, "b"), json_type_boolean));
	assert_null(msg_get(m, "absent"));
	json_object_put(m);

	m = msg_resize(120, 40);
	size = msg_get(m, "size");
	assert_int_equal(json_object_array_length(size), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(size,
	    0)), 120);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(size,
	    1)), 40);
	json_object_put(m);
}

/* The nested builders fill in what they are given. */
static void
test_nested_builders(void **state)
{
	json_object	*v = fake_videos(), *info, *u, *key;

	info = json_object_array_get_idx(v, 0);
	assert_string_equal(msg_get_str(info, "name"), "clip");
	assert_true(msg_get_num(info, "fps", 0) == 25.0);
	assert_true(msg_get_num(info, "duration", 0) == 10.0);
	assert_int_equal(msg_get_int(info, "frames", 0), 250);
	assert_int_equal(json_object_array_length(msg_get(info, "qualities")),
	    2);
	json_object_put(v);

	u = fake_user("bob");
	assert_string_equal(msg_get_str(u, "name"), "bob");
	assert_string_equal(msg_get_str(u, "fingerprint"), FAKE_FP);
	key = msg_get(u, "key");
	assert_string_equal(msg_get_str(key, "kty"), "RSA");
	assert_string_equal(msg_get_str(key, "n"), FAKE_N);
	assert_string_equal(msg_get_str(key, "e"), FAKE_E);
	json_object_put(u);
}

/* The explanation is optional and always fits the buffer given. */
static void
test_why_buffer(void **state)
{
	const char	*bad = "{\"type\":\"a-rather-long-unknown-type\"}";
	json_object	*m, *arr = json_object_new_array();
	char		 why[8];

	assert_int_equal(msg_parse((const uint8_t *)bad, strlen(bad), TS, &m,
	    NULL, 0), PROTO_E_TYPE);
	assert_null(m);
	memset(why, 'x', sizeof why);
	assert_int_equal(msg_parse((const uint8_t *)bad, strlen(bad), TS, &m,
	    why, sizeof why), PROTO_E_TYPE);
	assert_true(memchr(why, '\0', sizeof why) != NULL);
	assert_int_equal(msg_validate(arr, TS, NULL, 0), MSG);
	assert_int_equal(msg_validate(NULL, TC, why, sizeof why), MSG);
	json_object_put(arr);
}

/*
 * A lone UTF-16 surrogate escape names no character: json-c quietly turns
 * it into U+FFFD, so it must be refused like raw surrogate bytes are.
 */
static void
test_lone_surrogate_refused(void **state)
{
	static const char *const cases[] = {
		"{\"type\":\"error\",\"code\":\"x\",\"message\":\"\\ud800\"}",
		"{\"type\":\"error\",\"code\":\"x\",\"message\":\"\\udc00\"}",
		"{\"type\":\"error\",\"code\":\"x\",\"message\":\"a\\ud800b\"}",
		"{\"type\":\"error\",\"code\":\"x\","
		    "\"message\":\"\\ude00\\ud83d\"}",
		"{\"type\":\"leave\",\"name\":\"bob\",\"reason\":\"\\udbff\"}",
	};
	unsigned	mask = 1u << PROTO_E_UTF8 | 1u << PROTO_E_JSON |
	    1u << PROTO_E_MESSAGE;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_refused_any(cases[i], TC, mask);
}

/*
 * A \u0000 escape in a member name: json-c cuts the name at the NUL, so
 * "type\u0000x" would be read as "type". Refuse it like \u0000 in values.
 */
static void
test_nul_in_member_name_refused(void **state)
{
	unsigned	mask = 1u << PROTO_E_JSON | 1u << PROTO_E_TYPE |
	    1u << PROTO_E_MESSAGE | 1u << PROTO_E_UTF8;
	enum proto_error e;

	expect_refused_any("{\"type\\u0000x\":\"ping\"}", TS, mask);
	expect("{\"type\":\"ping\\u0000\"}", TS, PROTO_E_UTF8);
	/* Read as "key", the prekey would pass. */
	e = parse_mutated(b_hello, "prekey",
	    "{\"key\\u0000evil\":\"" FAKE_PREKEY "\",\"created\":0,"
	    "\"sig\":\"AAAA\"}", TS, "prekey member name with NUL");
	if (e == OK)
		fail_msg("prekey member name with \\u0000 accepted");
}

/*
 * Integers above INT64_MAX are clamped by json-c; a field whose range ends
 * at INT64_MAX must still refuse them rather than read INT64_MAX.
 */
static void
test_int_above_int64_refused(void **state)
{
	expect("{\"type\":\"ping\",\"id\":9223372036854775808}", TS, MSG);
	expect("{\"type\":\"ping\",\"id\":18446744073709551615}", TS, MSG);
	expect("{\"type\":\"pong\",\"id\":100000000000000000000000}", TC,
	    MSG);
	assert_int_equal(parse_mutated(b_chat_deliver, "ts",
	    "18446744073709551616", TC, "ts 2^64"), MSG);
	/* A hello's version out of range is "version", however large. */
	assert_int_equal(parse_mutated(b_hello, "version",
	    "9223372036854775808", TS, "version 2^63"), PROTO_E_VERSION);
	assert_int_equal(parse_mutated(b_hello, "version",
	    "100000000000000000000000", TS, "version 10^23"), PROTO_E_VERSION);
}

/*
 * The delivered chat's bytes are what json-c writes for the same members
 * in the same order, whatever the strings need escaped: one frame, the
 * same for every recipient.
 */
static void
test_chat_deliver_bytes(void **state)
{
	static const char *const ids[] = {
		"m-1", "quote \" back \\ slash /", "tab\tnl\n\001",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	};
	static const char room_frame[] = "{\"type\":\"chat\","
	    "\"from\":\"alice\",\"to\":\"#lobby\",\"id\":\"m-1\","
	    "\"ts\":1700000000123,\"sealed\":\"" FAKE_SEALED "\"}";
	struct buf	 frame;
	json_object	*want;
	const char	*text;
	const uint8_t	*p;

	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	chat_deliver_frame(&frame, json_object_new_string("#lobby"), "m-1",
	    1700000000123LL, FAKE_SEALED);
	p = buf_ptr(&frame);
	assert_int_equal(p[0], FRAME_TYPE_JSON);
	assert_int_equal(buf_len(&frame), FRAME_HEADER_LEN +
	    strlen(room_frame));
	assert_int_equal(get_be32(p + 1), strlen(room_frame));
	assert_memory_equal(p + FRAME_HEADER_LEN, room_frame,
	    strlen(room_frame));

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		want = msg_new("chat");
		json_object_object_add(want, "from",
		    json_object_new_string("alice"));
		json_object_object_add(want, "to", alice_bob());
		json_object_object_add(want, "id",
		    json_object_new_string(ids[i]));
		json_object_object_add(want, "ts",
		    json_object_new_int64(INT64_MAX));
		json_object_object_add(want, "sealed",
		    json_object_new_string(FAKE_SEALED));
		text = msg_text(want);
		/* The frame is emptied first: it may be reused. */
		chat_deliver_frame(&frame, alice_bob(), ids[i], INT64_MAX,
		    FAKE_SEALED);
		p = buf_ptr(&frame);
		if (buf_len(&frame) != FRAME_HEADER_LEN + strlen(text) ||
		    memcmp(p + FRAME_HEADER_LEN, text, strlen(text)) != 0)
			fail_msg("id %zu: built %.*s, json-c writes %s", i,
			    (int)(buf_len(&frame) - FRAME_HEADER_LEN),
			    (const char *)p + FRAME_HEADER_LEN, text);
		assert_int_equal(get_be32(p + 1), strlen(text));
		json_object_put(want);
	}
	buf_free(&frame);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builders_round_trip),
		cmocka_unit_test(test_chat_deliver_bytes),
		cmocka_unit_test(test_challenge_nonce),
		cmocka_unit_test(test_field_rules),
		cmocka_unit_test(test_null_is_missing),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_bare_scalars),
		cmocka_unit_test(test_empty_and_size),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_chat_recipient_limit),
		cmocka_unit_test(test_error_truncation),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_nested_builders),
		cmocka_unit_test(test_why_buffer),
		cmocka_unit_test(test_lone_surrogate_refused),
		cmocka_unit_test(test_nul_in_member_name_refused),
		cmocka_unit_test(test_int_above_int64_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
