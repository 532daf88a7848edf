/*
 * Unit tests for command.c, the command layer under the TUI and batch
 * mode: the refusals (bad rooms, bad recipients, qualities, not being
 * connected) send nothing, and each accepted command queues the one
 * message the server expects, valid as the server would parse it.
 */
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

#include "command.h"
#include "msg.h"

/* The client's emit callback: count the events. */
static void
count_event(void *arg, json_object *ev)
{
	(void)ev;
	(*(int *)arg)++;
}

/* Set up a client that is in (active) or still logging in. */
static void
client_up(struct client *c, int *events, int active)
{
	*events = 0;
	client_init(c, -1, "test.example:1", NULL, "bob", NULL, count_event,
	    events);
	if (active)
		c->state = CLIENT_ACTIVE;
}

/* Take the one message queued, checked as the server checks it; its
 * type must be want. Returns it (the caller puts it). */
static json_object *
take_message(struct client *c, const char *want)
{
	struct frame	 f;
	size_t		 used;
	json_object	*m = NULL;
	char		 why[MSG_WHY_LEN];

	assert_int_equal(frame_decoder_feed(&c->dec, buf_ptr(&c->out),
	    buf_len(&c->out), &used, &f), FRAME_READY);
	assert_int_equal(msg_parse(f.payload, f.len, MSG_TO_SERVER, &m, why,
	    sizeof why), PROTO_OK);
	free(f.payload);
	buf_consume(&c->out, used);
	assert_string_equal(msg_type(m), want);
	return m;
}

/* Every code has words; an unknown one too. */
static void
test_strerror(void **state)
{
	(void)state;
	for (int code = COMMAND_REFUSED; code <= COMMAND_OK; code++)
		assert_true(strlen(command_strerror(code)) > 0);
	assert_string_equal(command_strerror(COMMAND_BAD_ROOM),
	    "bad room name");
	assert_string_equal(command_strerror(-1000), "unknown error");
}

/* Quality names: none is auto; auto is refused for watching together. */
static void
test_quality_names(void **state)
{
	enum quality	q;

	(void)state;
	assert_int_equal(command_quality_from_name(NULL, 1, &q), COMMAND_OK);
	assert_int_equal(q, QUALITY_AUTO);
	assert_int_equal(command_quality_from_name("720p", 1, &q), COMMAND_OK);
	assert_int_equal(q, QUALITY_720P);
	assert_int_equal(command_quality_from_name("auto", 0, &q), COMMAND_OK);
	assert_int_equal(command_quality_from_name("auto", 1, &q),
	    COMMAND_WATCH_QUALITY);
	assert_int_equal(command_quality_from_name("4k", 0, &q),
	    COMMAND_BAD_QUALITY);
}

/* Rooms are checked before anything is sent. */
static void
test_bad_rooms(void **state)
{
	struct client	c;
	int		events;

	(void)state;
	client_up(&c, &events, 1);
	assert_int_equal(command_join(&c, "nohash"), COMMAND_BAD_ROOM);
	assert_int_equal(command_part(&c, "#bad room"), COMMAND_BAD_ROOM);
	assert_int_equal(command_who(&c, ""), COMMAND_BAD_ROOM);
	assert_int_equal(command_say(&c, "lobby", "hi", 0), COMMAND_BAD_ROOM);
	assert_int_equal(command_watch(&c, "x", NULL, QUALITY_AUTO, 640, 360),
	    COMMAND_BAD_ROOM);
	assert_int_equal(buf_len(&c.out), 0);
	assert_int_equal(events, 0);
	client_free(&c);
}

/* Return an array of the n names given. */
static json_object *
names(size_t n, ...)
{
	json_object	*a = json_object_new_array();
	va_list		 ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(va_arg(ap,
		    const char *)));
	va_end(ap);
	return a;
}

/* Recipients: names, at most 256, each once (any case), at least one. */
static void
test_bad_recipients(void **state)
{
	struct client	 c;
	json_object	*many = json_object_new_array();
	json_object	*odd = json_object_new_array();
	char		 name[16];
	size_t		 bad;
	int		 events;

	(void)state;
	client_up(&c, &events, 1);
	assert_int_equal(command_msg(&c, names(0), "hi", 0, &bad),
	    COMMAND_BAD_NAME);
	assert_int_equal(bad, 0);
	assert_int_equal(command_msg(&c, names(2, "alice", "no way"), "hi", 0,
	    &bad), COMMAND_BAD_NAME);
	assert_int_equal(bad, 1);
	assert_int_equal(command_msg(&c, names(3, "alice", "carol", "ALICE"),
	    "hi", 0, &bad), COMMAND_NAME_TWICE);
	assert_int_equal(bad, 2);
	json_object_array_add(odd, json_object_new_int(7));
	assert_int_equal(command_msg(&c, odd, "hi", 0, &bad),
	    COMMAND_BAD_NAME);
	assert_int_equal(bad, 0);
	odd = json_object_new_array();
	json_object_array_add(odd, json_object_new_string_len("al\0ice", 6));
	assert_int_equal(command_msg(&c, odd, "hi", 0, &bad),
	    COMMAND_BAD_NAME);
	for (int i = 0; i <= CHAT_MAX_RECIPIENTS; i++) {
		snprintf(name, sizeof name, "user%d", i);
		json_object_array_add(many, json_object_new_string(name));
	}
	assert_int_equal(command_msg(&c, many, "hi", 0, &bad),
	    COMMAND_TOO_MANY);
	assert_int_equal(buf_len(&c.out), 0);
	assert_int_equal(events, 0);
	client_free(&c);
}

/* Logging in: the commands that need the server are refused. */
static void
test_not_connected(void **state)
{
	struct client	c;
	int		events;

	(void)state;
	client_up(&c, &events, 0);
	assert_int_equal(command_join(&c, "#films"), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_part(&c, NULL), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_who(&c, NULL), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_videos(&c), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_play(&c, "clip", QUALITY_AUTO, 320, 180, 0),
	    COMMAND_NOT_CONNECTED);
	assert_int_equal(command_pause(&c), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_resume(&c), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_stop(&c), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_seek(&c, 5), COMMAND_NOT_CONNECTED);
	assert_int_equal(command_quality(&c, QUALITY_240P),
	    COMMAND_NOT_CONNECTED);
	assert_int_equal(command_watch(&c, "#films", "clip", QUALITY_720P,
	    640, 360), COMMAND_NOT_CONNECTED);
	assert_int_equal(buf_len(&c.out), 0);
	/* A chat line is the client's to refuse, with its own event. */
	assert_int_equal(command_say(&c, NULL, "hi", 0), COMMAND_REFUSED);
	assert_int_equal(events, 1);
	client_free(&c);
}

/* Each video command queues its one message. */
static void
test_video_messages(void **state)
{
	struct client	 c;
	json_object	*m;
	int		 events;

	(void)state;
	client_up(&c, &events, 1);
	assert_int_equal(command_videos(&c), COMMAND_OK);
	json_object_put(take_message(&c, "videos"));
	assert_int_equal(command_play(&c, "clip", QUALITY_720P, 640, 360, 3),
	    COMMAND_OK);
	m = take_message(&c, "play");
	assert_string_equal(msg_get_str(m, "name"), "clip");
	json_object_put(m);
	assert_int_equal(command_pause(&c), COMMAND_OK);
	json_object_put(take_message(&c, "pause"));
	assert_int_equal(command_resume(&c), COMMAND_OK);
	json_object_put(take_message(&c, "resume"));
	assert_int_equal(command_stop(&c), COMMAND_OK);
	json_object_put(take_message(&c, "stop"));
	/* Before the start is the start. */
	assert_int_equal(command_seek(&c, -5), COMMAND_OK);
	m = take_message(&c, "seek");
	assert_true(msg_get_num(m, "to", -1) == 0);
	json_object_put(m);
	assert_int_equal(command_quality(&c, QUALITY_240P), COMMAND_OK);
	json_object_put(take_message(&c, "quality"));
	assert_int_equal(command_watch(&c, "#films", NULL, QUALITY_AUTO, 640,
	    360), COMMAND_OK);
	json_object_put(take_message(&c, "watch"));
	command_resize(&c, 640, 360);
	json_object_put(take_message(&c, "resize"));
	assert_int_equal(buf_len(&c.out), 0);
	assert_int_equal(events, 0);
	/* What the server would refuse is not sent: an event says so. */
	assert_int_equal(command_seek(&c, NAN), COMMAND_OK);
	assert_int_equal(buf_len(&c.out), 0);
	assert_int_equal(events, 1);
	client_free(&c);
}

/* Parting the current room falls back to the default one. */
static void
test_part_current(void **state)
{
	struct client	c;
	int		events;

	(void)state;
	client_up(&c, &events, 1);
	snprintf(c.room, sizeof c.room, "#films");
	assert_int_equal(command_part(&c, "#music"), COMMAND_OK);
	assert_string_equal(c.room, "#films");
	json_object_put(take_message(&c, "room-leave"));
	assert_int_equal(command_part(&c, NULL), COMMAND_OK);
	assert_string_equal(c.room, DEFAULT_ROOM);
	json_object_put(take_message(&c, "room-leave"));
	client_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_quality_names),
		cmocka_unit_test(test_bad_rooms),
		cmocka_unit_test(test_bad_recipients),
		cmocka_unit_test(test_not_connected),
		cmocka_unit_test(test_video_messages),
		cmocka_unit_test(test_part_current),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
