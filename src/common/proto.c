/* Names of protocol error codes and qualities, and name syntax checks. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "proto.h"

static const char *const error_names[PROTO_E_COUNT] = {
	[PROTO_OK] = "ok",
	[PROTO_E_TOO_BIG] = "too-big",
	[PROTO_E_FRAME_TYPE] = "bad-frame-type",
	[PROTO_E_EMPTY] = "empty",
	[PROTO_E_UTF8] = "bad-utf8",
	[PROTO_E_JSON] = "bad-json",
	[PROTO_E_TYPE] = "bad-type",
	[PROTO_E_MESSAGE] = "bad-message",
	[PROTO_E_VERSION] = "version",
	[PROTO_E_NAME] = "bad-name",
	[PROTO_E_NAME_TAKEN] = "name-taken",
	[PROTO_E_SERVER_FULL] = "server-full",
	[PROTO_E_KEY] = "bad-key",
	[PROTO_E_SIGNATURE] = "bad-signature",
	[PROTO_E_UNEXPECTED] = "unexpected",
	[PROTO_E_NO_SUCH_USER] = "no-such-user",
	[PROTO_E_NO_SUCH_ROOM] = "no-such-room",
	[PROTO_E_NO_SUCH_VIDEO] = "no-such-video",
	[PROTO_E_NO_SUCH_QUALITY] = "no-such-quality",
	[PROTO_E_VIDEO] = "video-error",
	[PROTO_E_RATE] = "rate-limited",
	[PROTO_E_TOO_SLOW] = "too-slow",
	[PROTO_E_TIMEOUT] = "timeout",
	[PROTO_E_SHUTDOWN] = "shutdown",
	[PROTO_E_INTERNAL] = "internal",
	[PROTO_E_UNAVAILABLE] = "unavailable",
};

/* Return the wire string of an error code ("internal" if out of range). */
const char *
proto_error_name(enum proto_error e)
{
	if ((unsigned)e >= PROTO_E_COUNT)
		return error_names[PROTO_E_INTERNAL];
	return error_names[e];
}

/* Return the error code for a wire string, or PROTO_E_COUNT if unknown. */
enum proto_error
proto_error_from_name(const char *name)
{
	for (int i = 0; i < PROTO_E_COUNT; i++)
		if (strcmp(error_names[i], name) == 0)
			return (enum proto_error)i;
	return PROTO_E_COUNT;
}

/* Return "240p", "720p", "1440p" or "auto"; NULL for an invalid value. */
const char *
proto_quality_name(enum quality q)
{
	switch (q) {
	case QUALITY_240P:
		return "240p";
	case QUALITY_720P:
		return "720p";
	case QUALITY_1440P:
		return "1440p";
	case QUALITY_AUTO:
		return "auto";
	}
	return NULL;
}

/* Parse a quality name into *q; return 0, or -1 if it is not one. */
int
proto_quality_from_name(const char *name, enum quality *q)
{
	static const enum quality all[] = {
		QUALITY_240P, QUALITY_720P, QUALITY_1440P, QUALITY_AUTO
	};

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(proto_quality_name(all[i]), name) == 0) {
			*q = all[i];
			return 0;
		}
	}
	return -1;
}

/* Return 1 if s is a user name: 1-32 characters of [A-Za-z0-9_.-]. */
int
proto_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == n;
}

/* Return 1 if s is a room name: '#' followed by a valid user name. */
int
proto_room_valid(const char *s)
{
	return s[0] == '#' && proto_name_valid(s + 1);
}

/* Return 1 if two names are equal ignoring ASCII case (names are unique so). */
int
proto_name_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* Standard video sizes (16:9): viewers asking for one share a player. */
static const int standard_sizes[][2] = {
	{ 160, 90 }, { 320, 180 }, { 480, 270 }, { 640, 360 }, { 854, 480 },
	{ 1280, 720 }
};

/*
 * The standard size for a wanted picture w x h: the smallest standard
 * size at least w wide (the largest if none is).
 */
void
proto_standard_size(int w, int h, int *sw, int *sh)
{
	size_t	n = sizeof standard_sizes / sizeof standard_sizes[0], i;

	(void)h;
	for (i = 0; i < n - 1 && standard_sizes[i][0] < w; i++)
		;
	*sw = standard_sizes[i][0];
	*sh = standard_sizes[i][1];
}
