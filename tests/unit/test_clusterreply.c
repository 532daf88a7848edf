/*
 * Unit tests for clusterreply.c and clusterreader.c: what Redis answers
 * cluster nodes, built by hiredis' own parser from RESP text, read
 * strictly; and the guard that keeps replies hiredis would crash on
 * from it.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clusterreader.h"
#include "clusterreply.h"

/* The one reply RESP text makes (NULL if it does not make one whole). */
static redisReply *
parse(const char *text, size_t len)
{
	redisReader	*reader = redisReaderCreate();
	void		*reply = NULL;

	assert_non_null(reader);
	clusterreader_install(reader, NULL);
	assert_int_equal(redisReaderFeed(reader, text, len), REDIS_OK);
	if (redisReaderGetReply(reader, &reply) != REDIS_OK)
		reply = NULL;
	redisReaderFree(reader);
	return reply;
}
#define PARSE(s)	parse((s), sizeof (s) - 1)

static void
test_integer(void **state)
{
	redisReply	*r;
	long long	 v = 7;

	r = PARSE(":1\r\n");
	assert_int_equal(clusterreply_integer(r, 0, 1, &v), CLUSTERREPLY_OK);
	assert_int_equal(v, 1);
	freeReplyObject(r);
	r = PARSE(":2\r\n");
	assert_int_equal(clusterreply_integer(r, 0, 1, &v),
	    CLUSTERREPLY_E_VALUE);
	freeReplyObject(r);
	r = PARSE("$1\r\n1\r\n");
	assert_int_equal(clusterreply_integer(r, 0, 1, &v),
	    CLUSTERREPLY_E_TYPE);
	freeReplyObject(r);
	r = PARSE("-ERR no\r\n");
	assert_int_equal(clusterreply_integer(r, 0, 1, &v),
	    CLUSTERREPLY_E_REDIS);
	freeReplyObject(r);
	assert_int_equal(clusterreply_integer(NULL, 0, 1, &v),
	    CLUSTERREPLY_E_NONE);
	assert_int_equal(v, 1);
}

static void
test_ok_and_text(void **state)
{
	redisReply	*r;
	char		 text[8];

	r = PARSE("+OK\r\n");
	assert_int_equal(clusterreply_ok(r), CLUSTERREPLY_OK);
	freeReplyObject(r);
	r = PARSE("+OKAY\r\n");
	assert_int_equal(clusterreply_ok(r), CLUSTERREPLY_E_VALUE);
	freeReplyObject(r);
	/* An error's text is cut to size and made printable. */
	r = PARSE("-ERR \x1b[2J\r\n");
	assert_int_equal(clusterreply_ok(r), CLUSTERREPLY_E_REDIS);
	clusterreply_text(r, text, sizeof text);
	assert_string_equal(text, "ERR ?[2");
	freeReplyObject(r);
	r = PARSE(":1\r\n");
	clusterreply_text(r, text, sizeof text);
	assert_string_equal(text, "");
	freeReplyObject(r);
	assert_string_equal(clusterreply_strerror(CLUSTERREPLY_E_COUNT),
	    "too many or too few elements");
	assert_string_equal(clusterreply_strerror(-99), "unknown reply error");
}

static void
test_beat(void **state)
{
	enum clusterreply_beat	 found;
	redisReply		*r;

	r = PARSE("$4\r\nabcd\r\n");
	assert_int_equal(clusterreply_beat(r, "abcd", &found), 0);
	assert_int_equal(found, CLUSTERREPLY_BEAT_OURS);
	assert_int_equal(clusterreply_beat(r, "abc", &found), 0);
	assert_int_equal(found, CLUSTERREPLY_BEAT_OTHER);
	freeReplyObject(r);
	/* A NUL does not end the comparison. */
	r = PARSE("$5\r\nabcd\0\r\n");
	assert_int_equal(clusterreply_beat(r, "abcd", &found), 0);
	assert_int_equal(found, CLUSTERREPLY_BEAT_OTHER);
	freeReplyObject(r);
	r = PARSE("$-1\r\n");
	assert_int_equal(clusterreply_beat(r, "abcd", &found), 0);
	assert_int_equal(found, CLUSTERREPLY_BEAT_EXPIRED);
	freeReplyObject(r);
	r = PARSE(":0\r\n");
	assert_int_equal(clusterreply_beat(r, "abcd", &found),
	    CLUSTERREPLY_E_TYPE);
	freeReplyObject(r);
}

static void
test_message(void **state)
{
	const char			*chans[] = { "all", "to:a" };
	struct clusterreply_message	 m;
	redisReply			*r;

	r = PARSE("*3\r\n$9\r\nsubscribe\r\n$4\r\nto:a\r\n:2\r\n");
	assert_int_equal(clusterreply_message(r, chans, 2, &m), 0);
	assert_int_equal(m.kind, CLUSTERREPLY_SUBSCRIBED);
	assert_int_equal(m.channel, 1);
	freeReplyObject(r);
	r = PARSE("*3\r\n$7\r\nmessage\r\n$3\r\nall\r\n$3\r\nN\0x\r\n");
	assert_int_equal(clusterreply_message(r, chans, 2, &m), 0);
	assert_int_equal(m.kind, CLUSTERREPLY_MESSAGE);
	assert_int_equal(m.channel, 0);
	assert_int_equal(m.len, 3);
	assert_memory_equal(m.data, "N\0x", 3);
	freeReplyObject(r);
	r = PARSE("*3\r\n$7\r\nmessage\r\n$4\r\nall\0\r\n$1\r\nx\r\n");
	assert_int_equal(clusterreply_message(r, chans, 2, &m),
	    CLUSTERREPLY_E_CHANNEL);
	assert_int_equal(m.channel, -1);
	freeReplyObject(r);
	r = PARSE("*3\r\n$8\r\npmessage\r\n$3\r\nall\r\n$1\r\nx\r\n");
	assert_int_equal(clusterreply_message(r, chans, 2, &m),
	    CLUSTERREPLY_E_KIND);
	freeReplyObject(r);
	r = PARSE("*3\r\n$7\r\nmessage\r\n$3\r\nall\r\n:1\r\n");
	assert_int_equal(clusterreply_message(r, chans, 2, &m),
	    CLUSTERREPLY_E_ELEMENT);
	freeReplyObject(r);
	r = PARSE("*2\r\n$7\r\nmessage\r\n$3\r\nall\r\n");
	assert_int_equal(clusterreply_message(r, chans, 2, &m),
	    CLUSTERREPLY_E_COUNT);
	freeReplyObject(r);
}

static void
test_names(void **state)
{
	struct clusterreply_names	 names;
	redisReply			*r;

	r = PARSE("*6\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nb\r\n$0\r\n\r\n"
	    "$3\r\nc\0d\r\n$3\r\nx y\r\n");
	assert_int_equal(clusterreply_names(r, &names), 0);
	assert_int_equal(names.n, 2);
	assert_int_equal(names.invalid, 3);
	assert_string_equal(names.name[0], "a");
	assert_string_equal(names.name[1], "b");
	assert_true(clusterreply_names_has(&names, "b"));
	assert_false(clusterreply_names_has(&names, "c"));
	clusterreply_names_free(&names);
	freeReplyObject(r);
	r = PARSE("*2\r\n$1\r\na\r\n:1\r\n");
	assert_int_equal(clusterreply_names(r, &names),
	    CLUSTERREPLY_E_ELEMENT);
	assert_int_equal(names.n, 0);
	assert_false(clusterreply_names_has(&names, "a"));
	freeReplyObject(r);
}

static void
test_values_and_present(void **state)
{
	struct clusterreply_values	 v;
	redisReply			*r;
	uint8_t				 present[3];

	r = PARSE("*4\r\n$1\r\na\r\n$2\r\n{}\r\n$1\r\nb\r\n$0\r\n\r\n");
	assert_int_equal(clusterreply_values(r, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.value[0].len, 2);
	assert_memory_equal(v.value[0].p, "{}", 2);
	assert_int_equal(v.value[1].len, 0);
	clusterreply_values_free(&v);
	/* Three elements: the hash is refused, not half read. */
	assert_int_equal(clusterreply_present(r, 3, present),
	    CLUSTERREPLY_E_COUNT);
	freeReplyObject(r);
	r = PARSE("*3\r\n$1\r\na\r\n$2\r\n{}\r\n$1\r\nb\r\n");
	assert_int_equal(clusterreply_values(r, &v), CLUSTERREPLY_E_COUNT);
	assert_int_equal(clusterreply_present(r, 3, present), 0);
	assert_memory_equal(present, "\1\1\1", 3);
	freeReplyObject(r);
	r = PARSE("*3\r\n$1\r\na\r\n$-1\r\n:1\r\n");
	assert_int_equal(clusterreply_present(r, 3, present),
	    CLUSTERREPLY_E_ELEMENT);
	freeReplyObject(r);
	r = PARSE("*2\r\n$1\r\na\r\n$-1\r\n");
	assert_int_equal(clusterreply_present(r, 2, present), 0);
	assert_memory_equal(present, "\1\0", 2);
	freeReplyObject(r);
}

/* A guard as cluster.c's for a connection nobody is waiting on. */
static int
only_errors(void *arg, const redisReply *r)
{
	(*(int *)arg)++;
	return r->type == REDIS_REPLY_ERROR;
}

static void
test_guard(void **state)
{
	static const char	 text[] = "-ERR x\r\n*2\r\n:1\r\n*1\r\n:2\r\n";
	struct clusterreader_guard g = { only_errors, NULL, NULL };
	redisReader		*reader = redisReaderCreate();
	redisReply		*r;
	void			*reply;
	int			 seen = 0;

	g.arg = &seen;
	clusterreader_install(reader, &g);
	assert_int_equal(redisReaderFeed(reader, text, sizeof text - 1), 0);
	assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_OK);
	assert_int_equal(((redisReply *)reply)->type, REDIS_REPLY_ERROR);
	freeReplyObject(reply);
	/* The array is shown once, whole, and refused. */
	assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_ERR);
	assert_int_equal(seen, 2);
	assert_non_null(g.refused);
	redisReaderFree(reader);

	/* Arrays over the cap are refused before they are allocated. */
	assert_null(PARSE("*2147483647\r\n"));
	assert_null(PARSE("*262145\r\n"));
	assert_non_null(r = PARSE("*0\r\n"));
	freeReplyObject(r);

	/* hiredis' pubsub dispatcher asserts on these. */
	r = PARSE("*2\r\n$11\r\nUNSUBSCRIBE\r\n$1\r\na\r\n");
	assert_false(clusterreader_pubsub_ok(r));
	freeReplyObject(r);
	r = PARSE("*3\r\n$12\r\npunsubscribe\r\n$1\r\na\r\n:0\r\n");
	assert_true(clusterreader_pubsub_ok(r));
	freeReplyObject(r);
	r = PARSE("*2\r\n+message\r\n$1\r\na\r\n");
	assert_false(clusterreader_pubsub_ok(r));
	freeReplyObject(r);
	r = PARSE(":1\r\n");
	assert_true(clusterreader_pubsub_ok(r));
	freeReplyObject(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_ok_and_text),
		cmocka_unit_test(test_beat),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values_and_present),
		cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
