/*
 * Fuzz target for msg_parse(): the input is one JSON frame payload, tried
 * in both directions. A message that parses must keep passing validation,
 * answer its accessors consistently, and survive msg_encode() and a second
 * msg_parse() unchanged; anything else aborts, since a message the server
 * or client accepts but cannot pass on is a bug. The start of the input
 * also goes through msg_error(), whose cut text must always parse.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "frame.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* How much of the input msg_error() gets: a little over its cut. */
#define ERROR_TEXT_MAX	(MESSAGE_TEXT_MAX + 64)

/* Stop the process loudly, naming the broken invariant. */
static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_msg: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	abort();
}

/*
 * Encode obj as a frame, check the header, parse the payload again in dir
 * and require an equal object that encodes to the same text.
 */
static void
round_trip(json_object *obj, enum msg_dir dir)
{
	struct buf	 out;
	json_object	*again;
	const uint8_t	*p;
	char		*text, why[MSG_WHY_LEN];
	size_t		 len;

	text = strdup(msg_text(obj));
	if (text == NULL)
		fail("out of memory", NULL);
	buf_init(&out, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode(obj, &out) != 0) {
		/* Only a message re-encoded past the cap may be refused. */
		if (strlen(text) <= FRAME_MAX_JSON)
			fail("msg_encode refused a valid message", text);
		goto out;
	}
	p = buf_ptr(&out);
	len = buf_len(&out);
	if (len < FRAME_HEADER_LEN || p[0] != FRAME_TYPE_JSON ||
	    be32dec(p + 1) != len - FRAME_HEADER_LEN ||
	    len - FRAME_HEADER_LEN != strlen(text) ||
	    memcmp(p + FRAME_HEADER_LEN, text, strlen(text)) != 0)
		fail("msg_encode wrote a bad frame", text);
	if (msg_parse(p + FRAME_HEADER_LEN, len - FRAME_HEADER_LEN, dir,
	    &again, why, sizeof why) != PROTO_OK)
		fail("re-encoded message does not parse", why);
	if (!json_object_equal(obj, again))
		fail("re-encoded message parses to a different object", text);
	if (strcmp(msg_text(again), text) != 0)
		fail("re-encoded message encodes differently", text);
	json_object_put(again);
out:
	buf_free(&out);
	free(text);
}

/* Exercise the accessors on a validated message; they must agree. */
static void
check_accessors(json_object *obj, enum msg_dir dir)
{
	static const char *const keys[] = {
		"type", "name", "id", "ts", "to", "from", "room", "version",
		"quality", "size", "start", "fps", "code", "message", "nope"
	};
	const char	*type, *s;
	json_object	*v;
	char		 why[MSG_WHY_LEN];

	type = msg_type(obj);
	if (type == NULL || msg_get(obj, "type") == NULL ||
	    strcmp(type, json_object_get_string(msg_get(obj, "type"))) != 0)
		fail("msg_type disagrees with the \"type\" member", NULL);
	if (msg_validate(obj, dir, why, sizeof why) != PROTO_OK)
		fail("a parsed message fails msg_validate", why);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = msg_get(obj, keys[i]);
		s = msg_get_str(obj, keys[i]);
		if ((s != NULL) != (v != NULL &&
		    json_object_is_type(v, json_type_string)))
			fail("msg_get_str disagrees with msg_get", keys[i]);
		if (msg_get_int(obj, keys[i], -7) != (v != NULL &&
		    json_object_is_type(v, json_type_int) ?
		    json_object_get_int64(v) : -7))
			fail("msg_get_int disagrees with msg_get", keys[i]);
		(void)msg_get_num(obj, keys[i], 0.0);
	}
}

/* Build an error message from the input text; it must always parse. */
static void
check_error_text(const uint8_t *data, size_t size)
{
	json_object		*m, *again;
	struct buf		 out;
	enum proto_error	 code;
	char			 text[ERROR_TEXT_MAX + 1], why[MSG_WHY_LEN];
	size_t			 n;

	n = size < ERROR_TEXT_MAX ? size : ERROR_TEXT_MAX;
	memcpy(text, data, n);
	text[n] = '\0';
	/* PROTO_E_COUNT too: out of range must become "internal". */
	code = (enum proto_error)(size % (PROTO_E_COUNT + 1));
	m = msg_error(code, text);
	buf_init(&out, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(m, &out) != 0)
		fail("msg_encode refused an error message", NULL);
	if (msg_parse(buf_ptr(&out) + FRAME_HEADER_LEN,
	    buf_len(&out) - FRAME_HEADER_LEN, MSG_TO_CLIENT, &again, why,
	    sizeof why) != PROTO_OK)
		fail("msg_error built an invalid message", why);
	if (strcmp(msg_get_str(again, "code"), proto_error_name(code)) != 0)
		fail("msg_error lost its code", msg_get_str(again, "code"));
	json_object_put(again);
	buf_free(&out);
}

/* libFuzzer entry point: check one payload as described above; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum msg_dir dirs[] = { MSG_TO_SERVER, MSG_TO_CLIENT };
	json_object	*obj;
	char		 why[MSG_WHY_LEN];

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		why[0] = '\0';
		if (msg_parse(data, size, dirs[i], &obj, why, sizeof why) !=
		    PROTO_OK) {
			if (obj != NULL)
				fail("msg_parse failed but returned an object",
				    why);
			if (why[0] == '\0')
				fail("msg_parse failed without saying why",
				    NULL);
			continue;
		}
		check_accessors(obj, dirs[i]);
		round_trip(obj, dirs[i]);
		json_object_put(obj);
	}
	check_error_text(data, size);
	return 0;
}
