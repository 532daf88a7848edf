/*
 * Unit tests for clusternote.c and user.c: what cluster nodes say to
 * each other (notes, parcels, watch states, user records), built and
 * parsed strictly.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clusternote.h"
#include "ipc.h"
#include "presence.h"
#include "proto.h"
#include "user.h"

#define NAME32	"abcdefghijklmnopqrstuvwxyz012345"
#define NAME33	NAME32 "6"
#define B64_50	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv-_"
#define FAKE_N	B64_50 B64_50 B64_50 B64_50 B64_50 B64_50
#define FAKE_E	"AQAB"
#define FAKE_FP	"SHA256:0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
/* A prekey's 32 bytes; its signature is one RSA block like FAKE_N. */
#define FAKE_PREKEY	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopE"

/* ---- helpers ----------------------------------------------------------- */

/*
 * Change member path ("key" or "outer.inner") of o: set it to the JSON
 * value text value, or delete it if value is NULL.
 */
static void
edit(json_object *o, const char *path, const char *value)
{
	json_object		*parent = o, *v;
	enum json_tokener_error	 err;
	const char		*dot, *key = path;
	char			 outer[64];

	if ((dot = strchr(path, '.')) != NULL) {
		assert_true((size_t)(dot - path) < sizeof outer);
		memcpy(outer, path, (size_t)(dot - path));
		outer[dot - path] = '\0';
		assert_true(json_object_object_get_ex(o, outer, &parent));
		key = dot + 1;
	}
	if (value == NULL) {
		json_object_object_del(parent, key);
		return;
	}
	v = json_tokener_parse_verbose(value, &err);	/* NULL for null */
	assert_int_equal(err, json_tokener_success);
	json_object_object_add(parent, key, v);
}

/* Return text parsed, path edited (see edit; no change if NULL), as text. */
static char *
edited(const char *text, const char *path, const char *value)
{
	json_object	*o = json_tokener_parse(text);
	char		*s;

	assert_non_null(o);
	if (path != NULL)
		edit(o, path, value);
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	assert_non_null(s);
	json_object_put(o);
	return s;
}

/* A valid watch state with action and its fields filled in. */
static void
base_watch(struct watch_note *wn, enum player_action action)
{
	memset(wn, 0, sizeof *wn);
	snprintf(wn->w.room, sizeof wn->w.room, "#movies");
	snprintf(wn->w.title, sizeof wn->w.title, "testcard");
	wn->w.quality = QUALITY_720P;
	wn->w.width = 640;
	wn->w.height = 360;
	wn->w.position = 12.25;
	wn->w.paused = action == PLAYER_PAUSE;
	snprintf(wn->w.by, sizeof wn->w.by, "alice");
	wn->action = action;
	if (action == PLAYER_SEEK)
		wn->to = 99.5;
	if (action == PLAYER_QUALITY)
		wn->quality = QUALITY_1440P;
}

/* Parse the text of a base watch note for action, with path edited. */
static int
watch_edited(enum player_action action, const char *path, const char *value)
{
	struct watch_note	 wn, out;
	char			*text, *s;
	int			 r;

	base_watch(&wn, action);
	text = watch_note_text(&wn);
	s = edited(text, path, value);
	r = watch_note_parse((const uint8_t *)s, strlen(s), &out);
	free(s);
	free(text);
	return r;
}

/* A presence slot for a valid user of our own. */
static void
base_slot(struct presence_slot *s)
{
	memset(s, 0, sizeof *s);
	s->state = SLOT_ACTIVE;
	s->pid = 1234;
	s->generation = 7;
	s->joined_at = 1700000000;
	snprintf(s->name, sizeof s->name, "alice");
	snprintf(s->key_n, sizeof s->key_n, "%s", FAKE_N);
	snprintf(s->key_e, sizeof s->key_e, "%s", FAKE_E);
	snprintf(s->fingerprint, sizeof s->fingerprint, "%s", FAKE_FP);
	snprintf(s->prekey.key, sizeof s->prekey.key, "%s", FAKE_PREKEY);
	snprintf(s->prekey.sig, sizeof s->prekey.sig, "%s", FAKE_N);
	s->prekey.created = 1700000000123LL;
	snprintf(s->rooms[0], sizeof s->rooms[0], "#lobby");
	snprintf(s->rooms[1], sizeof s->rooms[1], "#dev");
	snprintf(s->watching, sizeof s->watching, "testcard");
}

/* Parse text as a record of node; return user_record_parse's result. */
static int
record_parse_text(const char *text, const char *node,
    struct presence_slot *out)
{
	json_object	*o = user_parse_json(text, strlen(text));
	int		 r;

	if (o == NULL)
		return -1;
	r = user_record_parse(o, node, out);
	json_object_put(o);
	return r;
}

/* Parse the record of the base slot with path edited; as above. */
static int
record_edited(const char *path, const char *value)
{
	struct presence_slot	 s, out;
	char			*text, *e;
	int			 r;

	base_slot(&s);
	text = user_record(&s, 5, 42);
	e = edited(text, path, value);
	r = record_parse_text(e, "node-a", &out);
	free(e);
	free(text);
	return r;
}

/* ---- notes ------------------------------------------------------------- */

/* A note's head and body come apart again exactly as they were put. */
static void
test_note_round_trip(void **state)
{
	char		buf[128];
	struct note	n;
	size_t		hl;

	(void)state;
	hl = note_header(buf, sizeof buf, 'U', "node-a");
	assert_int_equal(hl, 9);
	assert_memory_equal(buf, "U node-a\n", 9);
	memcpy(buf + hl, "{\"x\":1}", 7);
	memset(&n, 0xaa, sizeof n);
	assert_int_equal(note_parse((uint8_t *)buf, hl + 7, &n), 0);
	assert_int_equal(n.kind, 'U');
	assert_string_equal(n.node, "node-a");
	assert_ptr_equal(n.body, (uint8_t *)buf + hl);
	assert_int_equal(n.len, 7);

	/* An empty body is a body of no bytes right after the newline. */
	assert_int_equal(note_parse((uint8_t *)buf, hl, &n), 0);
	assert_ptr_equal(n.body, (uint8_t *)buf + hl);
	assert_int_equal(n.len, 0);

	/* The body may itself hold newlines; only the first one counts. */
	hl = note_header(buf, sizeof buf, 'B', NAME32);
	assert_int_equal(hl, 2 + 32 + 1);
	memcpy(buf + hl, "a\nb\n", 4);
	assert_int_equal(note_parse((uint8_t *)buf, hl + 4, &n), 0);
	assert_int_equal(n.kind, 'B');
	assert_string_equal(n.node, NAME32);
	assert_ptr_equal(n.body, (uint8_t *)buf + hl);
	assert_int_equal(n.len, 4);

	/* A head that does not fit is not written half. */
	assert_int_equal(note_header(buf, 9, 'U', "node-a"), 0);
	assert_int_equal(note_header(buf, 10, 'U', "node-a"), 9);
}

/* Parse a note from a string; 0 or -1. */
static int
note_str(const char *s, size_t len)
{
	struct note	n;

	return note_parse((const uint8_t *)s, len, &n);
}

/* Malformed note heads are refused. */
static void
test_note_parse_refuses(void **state)
{
	(void)state;
	/* The smallest note is "K n\n"; anything shorter is refused. */
	assert_int_equal(note_str("U a\n", 4), 0);
	assert_int_equal(note_str("U a\n", 3), -1);
	assert_int_equal(note_str("U\n", 2), -1);
	assert_int_equal(note_str("", 0), -1);
	/* A space must follow the kind. */
	assert_int_equal(note_str("Unode-a\nbody", 12), -1);
	assert_int_equal(note_str("U\tnode-a\nbody", 13), -1);
	/* The head ends with a newline. */
	assert_int_equal(note_str("U node-a body", 13), -1);
	assert_int_equal(note_str("U node-a", 8), -1);
	/* A newline past len does not count. */
	assert_int_equal(note_str("U node-a\n", 8), -1);
	/* The node is 1 to NAME_MAX_LEN valid name characters. */
	assert_int_equal(note_str("U \nbody", 7), -1);
	assert_int_equal(note_str("U " NAME32 "\n", 35), 0);
	assert_int_equal(note_str("U " NAME33 "\n", 36), -1);
	assert_int_equal(note_str("U no de\nx", 9), -1);
	assert_int_equal(note_str("U node!\nx", 9), -1);
	assert_int_equal(note_str("U node/a\nx", 10), -1);
	assert_int_equal(note_str("U n\xc3\xa9\nx", 7), -1);
	assert_int_equal(note_str("U  node\nx", 9), -1);
	assert_int_equal(note_str("U node\r\nx", 9), -1);
}

/* A NUL byte inside the node name is refused, not cut off. */
static void
test_note_parse_refuses_nul_in_node(void **state)
{
	struct note	n;
	int		r;

	(void)state;
	r = note_parse((const uint8_t *)"U node\0evil\nx", 13, &n);
	if (r == 0)
		fail_msg("\"U node\\0evil\\n\" was accepted as node \"%s\"",
		    n.node);
}

/* ---- parcels ----------------------------------------------------------- */

/* Write a JSON wire frame of len bytes in all (payload bytes from seed). */
static void
json_frame(uint8_t *q, size_t len, unsigned int seed)
{
	uint32_t	n = (uint32_t)(len - FRAME_HEADER_LEN);

	q[0] = FRAME_TYPE_JSON;
	q[1] = (uint8_t)(n >> 24);
	q[2] = (uint8_t)(n >> 16);
	q[3] = (uint8_t)(n >> 8);
	q[4] = (uint8_t)n;
	for (size_t j = FRAME_HEADER_LEN; j < len; j++)
		q[j] = (uint8_t)(seed * 31 + j);
}

/* Several parcels in a row come apart into slot, generation and frame. */
static void
test_parcel_round_trip(void **state)
{
	static const struct {
		int32_t		slot;
		uint32_t	gen;
		size_t		len;
	} want[] = {
		{ 0, 1, FRAME_HEADER_LEN + 1 },
		{ 7, 0xfffffffeu, 23 },
		{ INT32_MAX, 0, 300 },
		{ 65535, 0x01020304u, FRAME_HEADER_LEN + 2 },
	};
	const size_t	 nwant = sizeof want / sizeof want[0];
	uint8_t		 buf[1024], *q = buf;
	const uint8_t	*p;
	size_t		 len, i;
	struct parcel	 pc;

	(void)state;
	for (i = 0; i < nwant; i++) {
		parcel_header(q, want[i].slot, want[i].gen, want[i].len);
		q += PARCEL_HEADER_LEN;
		json_frame(q, want[i].len, (unsigned int)i);
		q += want[i].len;
	}
	/* The header is big-endian slot, generation, length. */
	assert_memory_equal(buf + PARCEL_HEADER_LEN + FRAME_HEADER_LEN + 1,
	    "\x00\x00\x00\x07\xff\xff\xff\xfe\x00\x00\x00\x17", 12);

	p = buf;
	len = (size_t)(q - buf);
	for (i = 0; i < nwant; i++) {
		const uint8_t *frame = p + PARCEL_HEADER_LEN;

		memset(&pc, 0, sizeof pc);
		assert_int_equal(parcel_next(&p, &len, &pc), 1);
		assert_int_equal(pc.slot, want[i].slot);
		assert_int_equal(pc.generation, want[i].gen);
		assert_int_equal(pc.len, want[i].len);
		assert_ptr_equal(pc.frame, frame);
		for (size_t j = FRAME_HEADER_LEN; j < want[i].len; j++)
			assert_int_equal(pc.frame[j], (uint8_t)(i * 31 + j));
	}
	assert_ptr_equal(p, q);
	assert_int_equal(len, 0);
	assert_int_equal(parcel_next(&p, &len, &pc), 0);
	assert_int_equal(parcel_next(&p, &len, &pc), 0);
}

/* Take one parcel from buf (len bytes); the result of parcel_next. */
static int
parcel_one(const uint8_t *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 left = len;
	struct parcel	 pc;
	int		 r;

	r = parcel_next(&p, &left, &pc);
	if (r == -1) {
		/* Nothing is consumed from a malformed rest. */
		assert_ptr_equal(p, buf);
		assert_int_equal(left, len);
	}
	return r;
}

/* Malformed parcels are refused. */
static void
test_parcel_refuses(void **state)
{
	uint8_t		 buf[2 * (PARCEL_HEADER_LEN + 16)];
	const uint8_t	*p;
	uint8_t		*big;
	size_t		 len;
	struct parcel	 pc;

	(void)state;
	memset(buf, 'x', sizeof buf);
	parcel_header(buf, 3, 9, 16);
	json_frame(buf + PARCEL_HEADER_LEN, 16, 0);
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 16), 1);
	/* The frame must be one JSON frame, its own length right. */
	buf[PARCEL_HEADER_LEN] = FRAME_TYPE_VIDEO;
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 16), -1);
	json_frame(buf + PARCEL_HEADER_LEN, 16, 0);
	buf[PARCEL_HEADER_LEN + 4]++;
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 16), -1);
	json_frame(buf + PARCEL_HEADER_LEN, 16, 0);
	/* A truncated header. */
	for (len = 1; len < PARCEL_HEADER_LEN; len++)
		assert_int_equal(parcel_one(buf, len), -1);
	/* A frame running past the end. */
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN), -1);
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 15), -1);
	/* A frame too short to hold a frame header. */
	parcel_header(buf, 3, 9, FRAME_HEADER_LEN - 1);
	assert_int_equal(parcel_one(buf, sizeof buf), -1);
	parcel_header(buf, 3, 9, 0);
	assert_int_equal(parcel_one(buf, sizeof buf), -1);
	/* An empty message is no message. */
	parcel_header(buf, 3, 9, FRAME_HEADER_LEN);
	json_frame(buf + PARCEL_HEADER_LEN, FRAME_HEADER_LEN, 0);
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + FRAME_HEADER_LEN),
	    -1);
	json_frame(buf + PARCEL_HEADER_LEN, 16, 0);
	/* A slot that is not a non-negative int32. */
	parcel_header(buf, -1, 9, 16);
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 16), -1);
	parcel_header(buf, INT32_MIN, 9, 16);
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 16), -1);
	memcpy(buf, "\x80\x00\x00\x00", 4);
	assert_int_equal(parcel_one(buf, PARCEL_HEADER_LEN + 16), -1);
	/* A length whose top bit is set does not wrap around. */
	parcel_header(buf, 3, 9, 16);
	memcpy(buf + 8, "\xff\xff\xff\xff", 4);
	assert_int_equal(parcel_one(buf, sizeof buf), -1);

	/* A good parcel then a bad rest: one parcel, then -1. */
	parcel_header(buf, 3, 9, 16);
	json_frame(buf + PARCEL_HEADER_LEN, 16, 0);
	parcel_header(buf + PARCEL_HEADER_LEN + 16, 4, 9, 17);
	p = buf;
	len = sizeof buf;
	assert_int_equal(parcel_next(&p, &len, &pc), 1);
	assert_int_equal(pc.slot, 3);
	assert_int_equal(parcel_next(&p, &len, &pc), -1);
	assert_int_equal(len, PARCEL_HEADER_LEN + 16);

	/* A frame larger than any packet, even if all its bytes are there. */
	len = PARCEL_HEADER_LEN + IPC_MAX_PAYLOAD + 1;
	big = calloc(1, len);
	assert_non_null(big);
	parcel_header(big, 1, 1, IPC_MAX_PAYLOAD + 1);
	assert_int_equal(parcel_one(big, len), -1);
	parcel_header(big, 1, 1, IPC_MAX_PAYLOAD);
	json_frame(big + PARCEL_HEADER_LEN, IPC_MAX_PAYLOAD, 0);
	assert_int_equal(parcel_one(big, len - 1), 1);
	free(big);
}

/* ---- watch notes ------------------------------------------------------- */

/* Every action's watch state comes back with the fields it was sent with. */
static void
test_watch_round_trip(void **state)
{
	static const enum player_action actions[] = {
		(enum player_action)0, PLAYER_PAUSE, PLAYER_RESUME,
		PLAYER_SEEK, PLAYER_QUALITY
	};
	struct watch_note	 wn, out;
	char			*text;

	(void)state;
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		base_watch(&wn, actions[i]);
		text = watch_note_text(&wn);
		assert_non_null(text);
		memset(&out, 0xaa, sizeof out);
		assert_int_equal(watch_note_parse((uint8_t *)text,
		    strlen(text), &out), 0);
		assert_string_equal(out.w.room, "#movies");
		assert_string_equal(out.w.title, "testcard");
		assert_int_equal(out.w.quality, QUALITY_720P);
		assert_int_equal(out.w.width, 640);
		assert_int_equal(out.w.height, 360);
		assert_true(out.w.position == 12.25);
		assert_int_equal(out.w.at_ms, 0);
		assert_int_equal(out.w.paused, actions[i] == PLAYER_PAUSE);
		assert_string_equal(out.w.by, "alice");
		assert_int_equal(out.action, actions[i]);
		assert_true(out.to == (actions[i] == PLAYER_SEEK ? 99.5 : 0));
		assert_int_equal(out.quality,
		    actions[i] == PLAYER_QUALITY ? QUALITY_1440P : 0);
		free(text);
	}

	/* A plain state needs no "by"; the other fields still arrive. */
	base_watch(&wn, 0);
	wn.w.by[0] = '\0';
	wn.w.quality = QUALITY_240P;
	wn.w.width = VIDEO_SIZE_MAX;
	wn.w.height = 1;
	wn.w.position = 0;
	wn.w.paused = 1;
	text = watch_note_text(&wn);
	assert_null(strstr(text, "\"by\""));
	assert_int_equal(watch_note_parse((uint8_t *)text, strlen(text),
	    &out), 0);
	assert_string_equal(out.w.by, "");
	assert_int_equal(out.w.quality, QUALITY_240P);
	assert_int_equal(out.w.width, VIDEO_SIZE_MAX);
	assert_int_equal(out.w.height, 1);
	assert_true(out.w.position == 0);
	assert_int_equal(out.w.paused, 1);
	free(text);

	/* A position given as an integer is fine, as is the largest. */
	assert_int_equal(watch_edited(0, "position", "42"), 0);
	assert_int_equal(watch_edited(0, "position", "10000000"), 0);
	assert_int_equal(watch_edited(PLAYER_SEEK, "to", "0"), 0);
}

/* Watch states with a bad field are refused. */
static void
test_watch_parse_refuses(void **state)
{
	(void)state;
	/* The unedited bases are fine (so each -1 below is the edit's). */
	assert_int_equal(watch_edited(0, NULL, NULL), 0);
	assert_int_equal(watch_edited(PLAYER_PAUSE, NULL, NULL), 0);
	assert_int_equal(watch_edited(PLAYER_SEEK, NULL, NULL), 0);
	assert_int_equal(watch_edited(PLAYER_QUALITY, NULL, NULL), 0);

	/* Each required member is required. */
	assert_int_equal(watch_edited(0, "room", NULL), -1);
	assert_int_equal(watch_edited(0, "title", NULL), -1);
	assert_int_equal(watch_edited(0, "quality", NULL), -1);
	assert_int_equal(watch_edited(0, "size", NULL), -1);
	assert_int_equal(watch_edited(0, "position", NULL), -1);
	assert_int_equal(watch_edited(0, "paused", NULL), -1);
	assert_int_equal(watch_edited(0, "action", NULL), -1);

	/* The room. */
	assert_int_equal(watch_edited(0, "room", "\"movies\""), -1);
	assert_int_equal(watch_edited(0, "room", "\"#\""), -1);
	assert_int_equal(watch_edited(0, "room", "\"#mo vies\""), -1);
	assert_int_equal(watch_edited(0, "room", "\"#" NAME33 "\""), -1);
	assert_int_equal(watch_edited(0, "room", "7"), -1);

	/* The title. */
	assert_int_equal(watch_edited(0, "title", "\"\""), -1);
	assert_int_equal(watch_edited(0, "title", "\"a/b\""), -1);
	assert_int_equal(watch_edited(0, "title", "\"/etc\""), -1);
	assert_int_equal(watch_edited(0, "title", "\"test\\u0000card\""),
	    -1);
	assert_int_equal(watch_edited(0, "title", "[\"testcard\"]"), -1);
	assert_int_equal(watch_edited(0, "title",
	    "\"" NAME32 NAME32 "x\""), -1);

	/* The quality: a real one, never auto. */
	assert_int_equal(watch_edited(0, "quality", "\"1440p\""), 0);
	assert_int_equal(watch_edited(0, "quality", "\"auto\""), -1);
	assert_int_equal(watch_edited(0, "quality", "\"480p\""), -1);
	assert_int_equal(watch_edited(0, "quality", "\"\""), -1);
	assert_int_equal(watch_edited(0, "quality", "2"), -1);

	/* The size: two integers in [1, VIDEO_SIZE_MAX]. */
	assert_int_equal(watch_edited(0, "size", "[1,1]"), 0);
	assert_int_equal(watch_edited(0, "size", "[4096,4096]"), 0);
	assert_int_equal(watch_edited(0, "size", "[640]"), -1);
	assert_int_equal(watch_edited(0, "size", "[640,360,1]"), -1);
	assert_int_equal(watch_edited(0, "size", "[]"), -1);
	assert_int_equal(watch_edited(0, "size", "[0,360]"), -1);
	assert_int_equal(watch_edited(0, "size", "[640,0]"), -1);
	assert_int_equal(watch_edited(0, "size", "[4097,360]"), -1);
	assert_int_equal(watch_edited(0, "size", "[640,4097]"), -1);
	assert_int_equal(watch_edited(0, "size", "[-640,360]"), -1);
	assert_int_equal(watch_edited(0, "size", "[4294967936,360]"), -1);
	assert_int_equal(watch_edited(0, "size", "[640.0,360]"), -1);
	assert_int_equal(watch_edited(0, "size", "[\"640\",360]"), -1);
	assert_int_equal(watch_edited(0, "size", "{\"w\":640,\"h\":360}"),
	    -1);

	/* The position: seconds in [0, 1e7]. */
	assert_int_equal(watch_edited(0, "position", "-1"), -1);
	assert_int_equal(watch_edited(0, "position", "-0.5"), -1);
	assert_int_equal(watch_edited(0, "position", "10000000.5"), -1);
	assert_int_equal(watch_edited(0, "position", "1e300"), -1);
	assert_int_equal(watch_edited(0, "position", "\"12\""), -1);
	assert_int_equal(watch_edited(0, "position", "null"), -1);

	/* Paused is a boolean. */
	assert_int_equal(watch_edited(0, "paused", "1"), -1);
	assert_int_equal(watch_edited(0, "paused", "\"true\""), -1);

	/* The action, and what each one needs. */
	assert_int_equal(watch_edited(0, "action", "\"stop\""), -1);
	assert_int_equal(watch_edited(0, "action", "\"Pause\""), -1);
	assert_int_equal(watch_edited(0, "action", "\"\""), -1);
	assert_int_equal(watch_edited(0, "action", "1"), -1);
	assert_int_equal(watch_edited(0, "by", NULL), 0);
	assert_int_equal(watch_edited(PLAYER_PAUSE, "by", NULL), -1);
	assert_int_equal(watch_edited(PLAYER_RESUME, "by", NULL), -1);
	assert_int_equal(watch_edited(PLAYER_SEEK, "by", NULL), -1);
	assert_int_equal(watch_edited(PLAYER_QUALITY, "by", NULL), -1);
	assert_int_equal(watch_edited(0, "by", "\"bad name\""), -1);
	assert_int_equal(watch_edited(0, "by", "\"\""), -1);
	assert_int_equal(watch_edited(0, "by", "\"" NAME33 "\""), -1);
	assert_int_equal(watch_edited(PLAYER_SEEK, "to", NULL), -1);
	assert_int_equal(watch_edited(PLAYER_SEEK, "to", "-1"), -1);
	assert_int_equal(watch_edited(PLAYER_SEEK, "to", "\"5\""), -1);
	assert_int_equal(watch_edited(PLAYER_QUALITY, "to_quality", NULL), -1);
	assert_int_equal(watch_edited(PLAYER_QUALITY, "to_quality",
	    "\"auto\""), -1);
	assert_int_equal(watch_edited(PLAYER_QUALITY, "to_quality",
	    "\"480p\""), -1);
}

/* Parse a watch note from a string; 0 or -1. */
static int
watch_str(const char *s, size_t len)
{
	struct watch_note	wn;

	return watch_note_parse((const uint8_t *)s, len, &wn);
}

/* Watch notes that are not exactly one JSON object are refused. */
static void
test_watch_parse_refuses_text(void **state)
{
	struct watch_note	 wn;
	char			*text, *more;
	size_t			 len;

	(void)state;
	base_watch(&wn, PLAYER_SEEK);
	text = watch_note_text(&wn);
	len = strlen(text);
	assert_int_equal(watch_str(text, len), 0);
	more = malloc(len + 8);
	assert_non_null(more);

	/* Trailing garbage, a second object, a cut-off object. */
	snprintf(more, len + 8, "%sx", text);
	assert_int_equal(watch_str(more, len + 1), -1);
	snprintf(more, len + 8, "%s{}", text);
	assert_int_equal(watch_str(more, len + 2), -1);
	snprintf(more, len + 8, "%s}", text);
	assert_int_equal(watch_str(more, len + 1), -1);
	assert_int_equal(watch_str(text, len - 1), -1);
	/* A NUL after the object, and invalid UTF-8 inside it. */
	memcpy(more, text, len + 1);
	assert_int_equal(watch_str(more, len + 1), -1);
	more[len - 2] = (char)0xff;
	assert_int_equal(watch_str(more, len), -1);
	free(more);
	free(text);

	/* Not an object at all. */
	assert_int_equal(watch_str("[]", 2), -1);
	assert_int_equal(watch_str("[{\"room\":\"#a\"}]", 15), -1);
	assert_int_equal(watch_str("\"state\"", 7), -1);
	assert_int_equal(watch_str("42", 2), -1);
	assert_int_equal(watch_str("null", 4), -1);
	assert_int_equal(watch_str("{}", 2), -1);
	assert_int_equal(watch_str("", 0), -1);
}

/* ---- user records ------------------------------------------------------ */

/* A record comes back as the slot it was made from, placed on its node. */
static void
test_record_round_trip(void **state)
{
	struct presence_slot	 s, out;
	char			*text;

	(void)state;
	base_slot(&s);
	text = user_record(&s, 5, 42);
	assert_non_null(text);
	memset(&out, 0xaa, sizeof out);
	assert_int_equal(record_parse_text(text, "node-a", &out), 0);
	free(text);
	assert_string_equal(out.name, "alice");
	assert_string_equal(out.key_n, FAKE_N);
	assert_string_equal(out.key_e, FAKE_E);
	assert_string_equal(out.fingerprint, FAKE_FP);
	assert_string_equal(out.prekey.key, FAKE_PREKEY);
	assert_string_equal(out.prekey.sig, FAKE_N);
	assert_int_equal(out.prekey.created, 1700000000123LL);
	assert_string_equal(out.rooms[0], "#lobby");
	assert_string_equal(out.rooms[1], "#dev");
	for (int i = 2; i < PRESENCE_MAX_ROOMS; i++)
		assert_string_equal(out.rooms[i], "");
	assert_string_equal(out.watching, "testcard");
	assert_int_equal(out.joined_at, 1700000000);
	assert_string_equal(out.node, "node-a");
	assert_int_equal(out.remote_slot, 5);
	assert_int_equal(out.remote_gen, 42);
	assert_int_equal(out.state, SLOT_ACTIVE);
	/* Nothing of ours comes from another node. */
	assert_int_equal(out.pid, 0);
	assert_int_equal(out.generation, 0);

	/* Limits: the largest slot and generation, a full key, all rooms. */
	memset(s.key_n, 'n', PRESENCE_JWK_N_MAX);
	s.key_n[PRESENCE_JWK_N_MAX] = '\0';
	s.watching[0] = '\0';
	memset(s.rooms, 0, sizeof s.rooms);
	for (int i = 0; i < PRESENCE_MAX_ROOMS; i++)
		snprintf(s.rooms[i], sizeof s.rooms[i], "#r%d", i);
	snprintf(s.name, sizeof s.name, "%s", NAME32);
	text = user_record(&s, 65535, UINT32_MAX);
	assert_int_equal(record_parse_text(text, NAME32, &out), 0);
	free(text);
	assert_string_equal(out.name, NAME32);
	assert_string_equal(out.key_n, s.key_n);
	assert_string_equal(out.watching, "");
	assert_string_equal(out.rooms[PRESENCE_MAX_ROOMS - 1], "#r15");
	assert_string_equal(out.node, NAME32);
	assert_int_equal(out.remote_slot, 65535);
	assert_int_equal(out.remote_gen, UINT32_MAX);

	/* Rooms with gaps in the slot arrive packed. */
	base_slot(&s);
	s.rooms[0][0] = '\0';
	snprintf(s.rooms[5], sizeof s.rooms[5], "#late");
	text = user_record(&s, 0, 0);
	assert_int_equal(record_parse_text(text, "b", &out), 0);
	free(text);
	assert_string_equal(out.rooms[0], "#dev");
	assert_string_equal(out.rooms[1], "#late");
	assert_string_equal(out.rooms[2], "");
	assert_int_equal(out.remote_slot, 0);
}

/* Records with a bad or missing field are refused. */
static void
test_record_parse_refuses(void **state)
{
	char	rooms[32 * 8], *p;

	(void)state;
	assert_int_equal(record_edited(NULL, NULL), 0);

	/* The name. */
	assert_int_equal(record_edited("name", NULL), -1);
	assert_int_equal(record_edited("name", "\"\""), -1);
	assert_int_equal(record_edited("name", "\"bad name\""), -1);
	assert_int_equal(record_edited("name", "\"al/ice\""), -1);
	assert_int_equal(record_edited("name", "\"" NAME33 "\""), -1);
	assert_int_equal(record_edited("name", "\"al\\u0000ice\""), -1);
	assert_int_equal(record_edited("name", "5"), -1);

	/* The key. */
	assert_int_equal(record_edited("key", NULL), -1);
	assert_int_equal(record_edited("key", "\"AQAB\""), -1);
	assert_int_equal(record_edited("key.n", NULL), -1);
	assert_int_equal(record_edited("key.e", NULL), -1);
	assert_int_equal(record_edited("key.n", "\"\""), -1);
	assert_int_equal(record_edited("key.e", "\"\""), -1);
	assert_int_equal(record_edited("key.n", "\"abc+def\""), -1);
	assert_int_equal(record_edited("key.n", "\"abc/def\""), -1);
	assert_int_equal(record_edited("key.n", "\"abcd==\""), -1);
	assert_int_equal(record_edited("key.n", "\"ab cd\""), -1);
	assert_int_equal(record_edited("key.e", "\"AQ=B\""), -1);
	assert_int_equal(record_edited("key.e", "\"AQABAQABA\""), -1);
	assert_int_equal(record_edited("key.n", "65537"), -1);

	/* The signed prekey. */
	assert_int_equal(record_edited("prekey", NULL), -1);
	assert_int_equal(record_edited("prekey", "\"" FAKE_PREKEY "\""), -1);
	assert_int_equal(record_edited("prekey.key", NULL), -1);
	assert_int_equal(record_edited("prekey.key", "\"AAAA\""), -1);
	assert_int_equal(record_edited("prekey.key",
	    "\"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno+E\""), -1);
	assert_int_equal(record_edited("prekey.key", "5"), -1);
	assert_int_equal(record_edited("prekey.sig", NULL), -1);
	assert_int_equal(record_edited("prekey.sig", "\"\""), -1);
	assert_int_equal(record_edited("prekey.sig", "\"a b\""), -1);
	assert_int_equal(record_edited("prekey.created", NULL), -1);
	assert_int_equal(record_edited("prekey.created", "-1"), -1);
	assert_int_equal(record_edited("prekey.created", "\"5\""), -1);
	assert_int_equal(record_edited("prekey.created", "0"), 0);

	/* The fingerprint. */
	assert_int_equal(record_edited("fingerprint", NULL), -1);
	assert_int_equal(record_edited("fingerprint", "\"\""), -1);
	assert_int_equal(record_edited("fingerprint", "\"MD5:abc\""), -1);
	assert_int_equal(record_edited("fingerprint", "\"sha256:abc\""), -1);
	assert_int_equal(record_edited("fingerprint",
	    "\"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJK\""), -1);

	/* The rooms: at most PRESENCE_MAX_ROOMS, each a room name. */
	assert_int_equal(record_edited("rooms", NULL), -1);
	assert_int_equal(record_edited("rooms", "\"#lobby\""), -1);
	assert_int_equal(record_edited("rooms", "[]"), 0);
	assert_int_equal(record_edited("rooms", "[\"lobby\"]"), -1);
	assert_int_equal(record_edited("rooms", "[\"#lobby\",\"dev\"]"), -1);
	assert_int_equal(record_edited("rooms", "[\"#\"]"), -1);
	assert_int_equal(record_edited("rooms", "[\"#" NAME33 "\"]"), -1);
	assert_int_equal(record_edited("rooms", "[5]"), -1);
	assert_int_equal(record_edited("rooms", "[[\"#lobby\"]]"), -1);
	p = rooms;
	*p++ = '[';
	for (int i = 0; i < PRESENCE_MAX_ROOMS; i++)
		p += sprintf(p, "\"#r%d\",", i);
	p[-1] = ']';
	*p = '\0';
	assert_int_equal(record_edited("rooms", rooms), 0);
	sprintf(p - 1, ",\"#r%d\"]", PRESENCE_MAX_ROOMS);
	assert_int_equal(record_edited("rooms", rooms), -1);

	/* Watching is optional but bounded. */
	assert_int_equal(record_edited("watching", NULL), 0);
	assert_int_equal(record_edited("watching", "\"" NAME32 NAME32 "\""),
	    0);
	assert_int_equal(record_edited("watching", "\"" NAME32 NAME32 "x\""),
	    -1);
	assert_int_equal(record_edited("watching", "true"), -1);

	/* The slot on the user's node: an integer in [0, 65535]. */
	assert_int_equal(record_edited("slot", NULL), -1);
	assert_int_equal(record_edited("slot", "0"), 0);
	assert_int_equal(record_edited("slot", "65535"), 0);
	assert_int_equal(record_edited("slot", "-1"), -1);
	assert_int_equal(record_edited("slot", "65536"), -1);
	assert_int_equal(record_edited("slot", "4294967301"), -1);
	assert_int_equal(record_edited("slot", "5.0"), -1);
	assert_int_equal(record_edited("slot", "\"5\""), -1);

	/* Its generation there: a uint32. */
	assert_int_equal(record_edited("gen", NULL), -1);
	assert_int_equal(record_edited("gen", "-1"), -1);
	assert_int_equal(record_edited("gen", "4294967296"), -1);
	assert_int_equal(record_edited("gen", "\"42\""), -1);

	/* When it joined: seconds, not negative. */
	assert_int_equal(record_edited("joined", NULL), -1);
	assert_int_equal(record_edited("joined", "-1"), -1);
	assert_int_equal(record_edited("joined", "1.5"), -1);
}

/* A room with a NUL byte inside is refused, not cut off. */
static void
test_record_parse_refuses_nul_in_room(void **state)
{
	(void)state;
	assert_int_equal(record_edited("rooms", "[\"#dev\\u0000x\"]"), -1);
}

/* Records that are not JSON objects, or come from a bad node, are refused. */
static void
test_record_parse_refuses_text(void **state)
{
	struct presence_slot	 s, out;
	json_object		*o;
	char			*text;
	size_t			 len;

	(void)state;
	base_slot(&s);
	text = user_record(&s, 5, 42);
	len = strlen(text);

	/* The node the record came from must be a valid name. */
	assert_int_equal(record_parse_text(text, "node-a", &out), 0);
	assert_int_equal(record_parse_text(text, "", &out), -1);
	assert_int_equal(record_parse_text(text, "node a", &out), -1);
	assert_int_equal(record_parse_text(text, "node/a", &out), -1);
	assert_int_equal(record_parse_text(text, NAME33, &out), -1);

	/* user_parse_json takes exactly len bytes of valid text. */
	o = user_parse_json(text, len);
	assert_non_null(o);
	json_object_put(o);
	assert_null(user_parse_json(text, 0));
	assert_null(user_parse_json(text, len - 1));
	assert_null(user_parse_json(text, len + 1));	/* its NUL */
	text[3] = '\0';
	assert_null(user_parse_json(text, len));
	text[3] = (char)0xc3;
	assert_null(user_parse_json(text, len));
	text[3] = (char)0x80;
	assert_null(user_parse_json(text, len));
	assert_null(user_parse_json("{\"a\":1} x", 9));
	assert_null(user_parse_json("{\"a\":\"\xc3\x28\"}", 10));
	assert_null(user_parse_json("{\"a\":\"\xed\xa0\x80\"}", 11));
	o = user_parse_json("{\"a\":\"\xc3\xa9\"}", 10);
	assert_non_null(o);
	json_object_put(o);
	free(text);

	/* Not an object. */
	assert_int_equal(user_record_parse(NULL, "node-a", &out), -1);
	o = json_object_new_array();
	assert_int_equal(user_record_parse(o, "node-a", &out), -1);
	json_object_put(o);
	o = json_object_new_string("alice");
	assert_int_equal(user_record_parse(o, "node-a", &out), -1);
	json_object_put(o);
}

/* The user object clients see: name, key, fingerprint, rooms, watching. */
static void
test_user_json(void **state)
{
	struct presence_slot	 s;
	json_object		*u, *v, *key;

	(void)state;
	base_slot(&s);
	s.rooms[1][0] = '\0';
	snprintf(s.rooms[3], sizeof s.rooms[3], "#dev");
	snprintf(s.node, sizeof s.node, "node-a");
	u = user_json(&s);
	assert_true(json_object_is_type(u, json_type_object));
	assert_true(json_object_object_get_ex(u, "name", &v));
	assert_string_equal(json_object_get_string(v), "alice");
	assert_true(json_object_object_get_ex(u, "fingerprint", &v));
	assert_string_equal(json_object_get_string(v), FAKE_FP);
	assert_true(json_object_object_get_ex(u, "key", &key));
	assert_true(json_object_is_type(key, json_type_object));
	assert_true(json_object_object_get_ex(key, "kty", &v));
	assert_string_equal(json_object_get_string(v), "RSA");
	assert_true(json_object_object_get_ex(key, "n", &v));
	assert_string_equal(json_object_get_string(v), FAKE_N);
	assert_true(json_object_object_get_ex(key, "e", &v));
	assert_string_equal(json_object_get_string(v), FAKE_E);
	/* Rooms are listed in slot order, empty entries left out. */
	assert_true(json_object_object_get_ex(u, "rooms", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(v, 0)), "#lobby");
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(v, 1)), "#dev");
	assert_true(json_object_object_get_ex(u, "watching", &v));
	assert_string_equal(json_object_get_string(v), "testcard");
	/* Where the user lives on its node is for records only. */
	assert_false(json_object_object_get_ex(u, "slot", NULL));
	assert_false(json_object_object_get_ex(u, "gen", NULL));
	assert_false(json_object_object_get_ex(u, "joined", NULL));
	json_object_put(u);

	/* Not watching: no "watching"; no rooms: an empty array. */
	s.watching[0] = '\0';
	memset(s.rooms, 0, sizeof s.rooms);
	u = user_json(&s);
	assert_false(json_object_object_get_ex(u, "watching", NULL));
	assert_true(json_object_object_get_ex(u, "rooms", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note_round_trip),
		cmocka_unit_test(test_note_parse_refuses),
		cmocka_unit_test(test_note_parse_refuses_nul_in_node),
		cmocka_unit_test(test_parcel_round_trip),
		cmocka_unit_test(test_parcel_refuses),
		cmocka_unit_test(test_watch_round_trip),
		cmocka_unit_test(test_watch_parse_refuses),
		cmocka_unit_test(test_watch_parse_refuses_text),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_parse_refuses),
		cmocka_unit_test(test_record_parse_refuses_nul_in_room),
		cmocka_unit_test(test_record_parse_refuses_text),
		cmocka_unit_test(test_user_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
