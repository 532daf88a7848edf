/*
 * Fuzz target for what Redis answers cluster nodes (clusterreply.c, and
 * clusterreader.c, which builds the trees). The
 * first input byte sets up the connection: its low 6 bits + 1 are how
 * many bytes hiredis is fed at a time, its top 2 bits what the guard
 * does (0: a callback waits, accept all; 1: subscribed, accept what the
 * pubsub dispatcher takes; 2: nobody asked, errors only; 3: no guard).
 * The rest is RESP, read by hiredis' own parser into trees that
 * clusterreader_install() builds; every reply goes through every
 * interpretation. Invariants: trees are whole, capped and NUL-terminated;
 * the guard sees each reply once, before hiredis hands it out; what an
 * interpretation accepts has the shape it claims and its values point
 * into the reply; the log text is bounded and printable; anything else
 * aborts.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>

#include "clusterreader.h"
#include "clusterreply.h"
#include "proto.h"

#define EPOCH	"0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const channels[] = { "tvchat:all", "tvchat:to:a" };

struct state {
	int		 mode;
	size_t		 accepted;
	const void	*last;		/* the reply last accepted */
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_redis: %s\n", what);
	abort();
}

/* The guard, as each mode has it. */
static int
accept_reply(void *arg, const redisReply *r)
{
	struct state	*st = arg;
	int		 ok;

	switch (st->mode) {
	case 1:
		ok = clusterreader_pubsub_ok(r);
		break;
	case 2:
		ok = r->type == REDIS_REPLY_ERROR;
		break;
	default:
		ok = 1;
	}
	if (ok) {
		st->accepted++;
		st->last = r;
	}
	return ok;
}

/* Check that a tree is whole, within hiredis' depth and our caps. */
static void
check_tree(const redisReply *r, int depth)
{
	if (r == NULL || depth > 8)
		fail("a missing element, or a tree too deep");
	switch (r->type) {
	case REDIS_REPLY_ARRAY:
		if (r->elements > CLUSTERREADER_MAX_ELEMENTS ||
		    (r->elements > 0 && r->element == NULL))
			fail("an array over the cap, or without elements");
		for (size_t i = 0; i < r->elements; i++)
			check_tree(r->element[i], depth + 1);
		break;
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		if (r->str == NULL || r->str[r->len] != '\0')
			fail("a string not NUL-terminated at its length");
		break;
	case REDIS_REPLY_INTEGER:
	case REDIS_REPLY_NIL:
		break;
	default:
		fail("a reply of a type never asked for");
	}
}

/* Return 1 if r is a string of exactly the bytes of s. */
static int
is(const redisReply *r, int type, const char *s)
{
	return r->type == type && r->len == strlen(s) &&
	    memcmp(r->str, s, r->len) == 0;
}

/* Check what the pubsub dispatcher asserts of what the guard let by. */
static void
check_pubsub(const redisReply *r)
{
	const char	*kind;

	if (r->type != REDIS_REPLY_ARRAY)
		return;
	if (r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		fail("pubsub: hiredis would assert on the first elements");
	kind = r->element[0]->str;
	kind += tolower((unsigned char)kind[0]) == 'p';
	if (strcasecmp(kind, "unsubscribe") == 0 && (r->elements < 3 ||
	    r->element[2]->type != REDIS_REPLY_INTEGER))
		fail("pubsub: hiredis would assert on an unsubscribe");
}

/* Check every code an interpretation returned has a description. */
static void
check_code(int e)
{
	if (e > 0 || strcmp(clusterreply_strerror(e),
	    "unknown reply error") == 0)
		fail("an error code without a description");
}

static void
check_text(const redisReply *r)
{
	char	buf[CLUSTERREPLY_TEXT_MAX + 1];
	size_t	sizes[] = { 1, 2, 17, CLUSTERREPLY_TEXT_MAX };

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		memset(buf, 'X', sizeof buf);
		clusterreply_text(r, buf, sizes[k]);
		if (memchr(buf, '\0', sizes[k]) == NULL ||
		    buf[sizes[k]] != 'X')
			fail("text: not NUL-terminated within its size");
		for (size_t i = 0; buf[i] != '\0'; i++)
			if (buf[i] < 0x20 || buf[i] > 0x7e)
				fail("text: an unprintable byte");
	}
	clusterreply_text(r, NULL, 0);
}

static void
check_scalars(const redisReply *r)
{
	enum clusterreply_beat	found;
	long long		v;
	int			e;

	check_code(e = clusterreply_integer(r, 0, 1, &v));
	if (e == 0 && (r->type != REDIS_REPLY_INTEGER || v < 0 || v > 1 ||
	    v != r->integer))
		fail("integer: a value out of range");
	check_code(e = clusterreply_integer(r, LLONG_MIN, LLONG_MAX, &v));
	if ((e == 0) != (r->type == REDIS_REPLY_INTEGER))
		fail("integer: any integer is in the full range");
	check_code(e = clusterreply_ok(r));
	if (e == 0 && !is(r, REDIS_REPLY_STATUS, "OK"))
		fail("ok: accepted something else");
	if ((e == CLUSTERREPLY_E_REDIS) != (r->type == REDIS_REPLY_ERROR))
		fail("ok: an error taken for something else");
	check_code(e = clusterreply_beat(r, EPOCH, &found));
	if (e == 0 && !(found == CLUSTERREPLY_BEAT_EXPIRED ?
	    r->type == REDIS_REPLY_NIL : found == CLUSTERREPLY_BEAT_OURS ?
	    is(r, REDIS_REPLY_STRING, EPOCH) :
	    found == CLUSTERREPLY_BEAT_OTHER && r->type == REDIS_REPLY_STRING &&
	    !is(r, REDIS_REPLY_STRING, EPOCH)))
		fail("beat: what was found is not what the reply says");
}

static void
check_message(const redisReply *r)
{
	struct clusterreply_message	m;
	const redisReply		*third;
	int				e;

	check_code(e = clusterreply_message(r, channels, 2, &m));
	if (e != 0) {
		if (m.channel != -1 || m.data != NULL)
			fail("message: a refused message filled in");
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    m.channel < 0 || m.channel > 1 ||
	    !is(r->element[1], REDIS_REPLY_STRING, channels[m.channel]))
		fail("message: not on the channel it names");
	third = r->element[2];
	if (m.kind == CLUSTERREPLY_SUBSCRIBED) {
		if (!is(r->element[0], REDIS_REPLY_STRING, "subscribe") ||
		    third->type != REDIS_REPLY_INTEGER || m.data != NULL)
			fail("message: a false confirmation");
	} else if (m.kind == CLUSTERREPLY_MESSAGE) {
		if (!is(r->element[0], REDIS_REPLY_STRING, "message") ||
		    third->type != REDIS_REPLY_STRING ||
		    m.data != (const uint8_t *)third->str ||
		    m.len != third->len)
			fail("message: data not the reply's");
	} else
		fail("message: an unknown kind");
}

static void
check_names(const redisReply *r)
{
	struct clusterreply_names	names;
	int				e;

	check_code(e = clusterreply_names(r, &names));
	if (e != 0) {
		if (names.n != 0 || names.name != NULL)
			fail("names: a refused set filled in");
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY ||
	    names.n + names.invalid > r->elements)
		fail("names: more names than elements");
	for (size_t i = 0; i < names.n; i++) {
		size_t j;

		if (!proto_name_valid(names.name[i]) ||
		    (i > 0 && strcmp(names.name[i - 1], names.name[i]) >= 0) ||
		    !clusterreply_names_has(&names, names.name[i]))
			fail("names: invalid, unsorted, or not found");
		for (j = 0; j < r->elements; j++)
			if (is(r->element[j], REDIS_REPLY_STRING,
			    names.name[i]))
				break;
		if (j == r->elements)
			fail("names: a name not in the reply");
	}
	if (clusterreply_names_has(&names, "") ||
	    clusterreply_names_has(&names, "not a name"))
		fail("names: found what cannot be there");
	clusterreply_names_free(&names);
}

static void
check_values(const redisReply *r)
{
	struct clusterreply_values	v;
	int				e;

	check_code(e = clusterreply_values(r, &v));
	if (e != 0) {
		if (v.n != 0 || v.value != NULL)
			fail("values: a refused hash filled in");
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || v.n * 2 != r->elements)
		fail("values: not one per field");
	for (size_t i = 0; i < v.n; i++)
		if (v.value[i].p != (const uint8_t *)r->element[2 * i + 1]->str ||
		    v.value[i].len != r->element[2 * i + 1]->len)
			fail("values: a value not the reply's");
	clusterreply_values_free(&v);
}

static void
check_present(const redisReply *r)
{
	size_t	 n = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
	uint8_t	*present = malloc(n + 1);
	int	 e;

	if (present == NULL)
		fail("out of memory");
	check_code(e = clusterreply_present(r, n, present));
	for (size_t i = 0; e == 0 && i < n; i++)
		if (present[i] != (r->element[i]->type == REDIS_REPLY_STRING))
			fail("present: a key said there that is not");
	if (clusterreply_present(r, n + 1, present) == 0)
		fail("present: accepted the wrong count");
	free(present);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clusterreader_guard	 g = { accept_reply, NULL, NULL };
	struct state			 st = { 0, 0, NULL };
	redisReader			*reader;
	void				*reply;
	size_t				 step, off, n, got = 0;
	int				 r = REDIS_OK;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] & 0x3f) + 1;
	st.mode = data[0] >> 6;
	g.arg = &st;
	if ((reader = redisReaderCreate()) == NULL)
		fail("out of memory");
	clusterreader_install(reader, st.mode == 3 ? NULL : &g);
	for (off = 1; off < size && r == REDIS_OK; off += n) {
		n = size - off < step ? size - off : step;
		if (redisReaderFeed(reader, (const char *)data + off, n) !=
		    REDIS_OK)
			fail("feed refused");
		while ((r = redisReaderGetReply(reader, &reply)) == REDIS_OK &&
		    reply != NULL) {
			got++;
			if (st.mode != 3 && (st.accepted != got ||
			    st.last != reply))
				fail("a reply hiredis had before the guard");
			check_tree(reply, 0);
			if (st.mode == 1)
				check_pubsub(reply);
			check_text(reply);
			check_scalars(reply);
			check_message(reply);
			check_names(reply);
			check_values(reply);
			check_present(reply);
			freeReplyObject(reply);
		}
	}
	if (st.mode != 3 && st.accepted != got)
		fail("the guard saw a reply hiredis did not hand out");
	if (g.refused != NULL && r == REDIS_OK)
		fail("a refused reply did not stop the reader");
	redisReaderFree(reader);
	return 0;
}
