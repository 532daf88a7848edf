/* Unit tests for proto.c: error and quality names, name syntax. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789_.-"

/* Every error code round-trips through its name. */
static void
test_error_round_trip(void **state)
{
	(void)state;
	for (int e = 0; e < PROTO_E_COUNT; e++) {
		const char *name = proto_error_name((enum proto_error)e);

		assert_non_null(name);
		assert_int_equal(proto_error_from_name(name), e);
	}
}

/* Error names are unique, non-empty, lower-case words joined by hyphens. */
static void
test_error_names_unique(void **state)
{
	(void)state;
	for (int e = 0; e < PROTO_E_COUNT; e++) {
		const char *a = proto_error_name((enum proto_error)e);

		assert_true(strlen(a) > 0);
		assert_int_equal(strspn(a,
		    "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(a));
		assert_true(a[0] != '-' && a[strlen(a) - 1] != '-');
		for (int f = e + 1; f < PROTO_E_COUNT; f++) {
			const char *b = proto_error_name((enum proto_error)f);

			if (strcmp(a, b) == 0)
				fail_msg("codes %d and %d share \"%s\"", e, f,
				    a);
		}
	}
}

/* The names documented in proto.h are the ones on the wire. */
static void
test_error_names_documented(void **state)
{
	(void)state;
	assert_string_equal(proto_error_name(PROTO_E_TOO_BIG), "too-big");
	assert_string_equal(proto_error_name(PROTO_E_FRAME_TYPE),
	    "bad-frame-type");
	assert_string_equal(proto_error_name(PROTO_E_EMPTY), "empty");
	assert_string_equal(proto_error_name(PROTO_E_UTF8), "bad-utf8");
	assert_string_equal(proto_error_name(PROTO_E_JSON), "bad-json");
	assert_string_equal(proto_error_name(PROTO_E_NAME_TAKEN),
	    "name-taken");
	assert_string_equal(proto_error_name(PROTO_E_SERVER_FULL),
	    "server-full");
	assert_string_equal(proto_error_name(PROTO_E_VERSION), "version");
	assert_string_equal(proto_error_name(PROTO_E_NO_SUCH_QUALITY),
	    "no-such-quality");
	assert_string_equal(proto_error_name(PROTO_E_INTERNAL), "internal");
	assert_string_equal(proto_error_name(PROTO_E_UNAVAILABLE),
	    "unavailable");
	assert_int_equal(proto_error_from_name("unavailable"),
	    PROTO_E_UNAVAILABLE);
}

/* Unknown names map to PROTO_E_COUNT; out-of-range codes to "internal". */
static void
test_error_unknown(void **state)
{
	static const char *const unknown[] = {
		"", "nope", "TOO-BIG", "too-big ", " too-big", "too_big",
		"too-bi", "too-bigg", "internal\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		assert_int_equal(proto_error_from_name(unknown[i]),
		    PROTO_E_COUNT);
	assert_string_equal(proto_error_name(PROTO_E_COUNT), "internal");
	assert_string_equal(proto_error_name((enum proto_error)
	    (PROTO_E_COUNT + 1)), "internal");
	assert_string_equal(proto_error_name((enum proto_error)1000),
	    "internal");
	assert_string_equal(proto_error_name((enum proto_error)-1),
	    "internal");
}

/* Quality names round-trip, "auto" included. */
static void
test_quality_round_trip(void **state)
{
	static const struct {
		enum quality	 q;
		const char	*name;
	} all[] = {
		{ QUALITY_240P, "240p" },
		{ QUALITY_720P, "720p" },
		{ QUALITY_1440P, "1440p" },
		{ QUALITY_AUTO, "auto" },
	};
	enum quality q;

	(void)state;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		assert_string_equal(proto_quality_name(all[i].q), all[i].name);
		q = (enum quality)0;
		assert_int_equal(proto_quality_from_name(all[i].name, &q), 0);
		assert_int_equal(q, all[i].q);
	}
}

/* Invalid qualities give NULL or -1 and leave the output alone. */
static void
test_quality_invalid(void **state)
{
	static const char *const bad[] = {
		"", "240", "240P", "AUTO", "Auto", "auto ", " 720p", "1080p",
		"480p", "1440", "0", "1",
	};
	enum quality q;

	(void)state;
	for (int v = -1; v <= 256; v++) {
		int known = v == QUALITY_240P || v == QUALITY_720P ||
		    v == QUALITY_1440P || v == QUALITY_AUTO;

		if (known)
			assert_non_null(proto_quality_name((enum quality)v));
		else
			assert_null(proto_quality_name((enum quality)v));
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		q = QUALITY_720P;
		assert_int_equal(proto_quality_from_name(bad[i], &q), -1);
		assert_int_equal(q, QUALITY_720P);
	}
}

/* Name length limits: 1 to NAME_MAX_LEN characters. */
static void
test_name_length(void **state)
{
	char name[NAME_MAX_LEN + 2];

	(void)state;
	assert_int_equal(NAME_MAX_LEN, 32);
	assert_int_equal(proto_name_valid(""), 0);
	assert_int_equal(proto_name_valid("a"), 1);
	for (size_t n = 1; n <= NAME_MAX_LEN + 1; n++) {
		memset(name, 'x', n);
		name[n] = '\0';
		assert_int_equal(proto_name_valid(name), n <= NAME_MAX_LEN);
	}
}

/* Only [A-Za-z0-9_.-] may appear, in any position. */
static void
test_name_charset(void **state)
{
	static const char *const good[] = {
		"alice", "Bob", "carol_99", "d.e-f", "_", ".", "-", "0",
		"..", "-leading", "trailing.", "0123456789_.-",
	};
	static const char *const bad[] = {
		"a b", " alice", "alice ", "al\tice", "#alice", "alice#",
		"al@ce", "al/ce", "al:ce", "al,ce", "al+ce", "al\\ce",
		"\xc3\xa9", "caf\xc3\xa9", "\xe6\x97\xa5", "a\x7f", "\x01",
		"a\nb",
	};
	char	s[4];

	(void)state;
	assert_int_equal(strlen(NAME_CHARS), 65);
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!proto_name_valid(good[i]))
			fail_msg("\"%s\" should be valid", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (proto_name_valid(bad[i]))
			fail_msg("\"%s\" should be invalid", bad[i]);

	/* Every byte value alone and in the middle of a name. */
	for (int c = 1; c < 256; c++) {
		int want = strchr(NAME_CHARS, c) != NULL;

		s[0] = (char)c;
		s[1] = '\0';
		assert_int_equal(proto_name_valid(s), want);
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'b';
		s[3] = '\0';
		assert_int_equal(proto_name_valid(s), want);
	}
}

/* A room is '#' followed by a valid name, at most ROOM_MAX_LEN long. */
static void
test_room_valid(void **state)
{
	static const char *const good[] = {
		"#lobby", "#a", "#Dev-Team_2.0", DEFAULT_ROOM,
	};
	static const char *const bad[] = {
		"", "#", "lobby", "##lobby", "#lob by", "# lobby", "#lobby ",
		"#lob#by", "#caf\xc3\xa9", "lobby#", "@lobby", "#\t",
	};
	char	room[ROOM_MAX_LEN + 2];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!proto_room_valid(good[i]))
			fail_msg("\"%s\" should be valid", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (proto_room_valid(bad[i]))
			fail_msg("\"%s\" should be invalid", bad[i]);

	room[0] = '#';
	for (size_t n = 1; n <= ROOM_MAX_LEN; n++) {
		memset(room + 1, 'r', n);
		room[n + 1] = '\0';
		assert_int_equal(proto_room_valid(room),
		    n + 1 <= ROOM_MAX_LEN);
	}
}

/* Names compare equal ignoring ASCII letter case only. */
static void
test_name_equal(void **state)
{
	(void)state;
	assert_int_equal(proto_name_equal("alice", "alice"), 1);
	assert_int_equal(proto_name_equal("Alice", "alice"), 1);
	assert_int_equal(proto_name_equal("ALICE", "alice"), 1);
	assert_int_equal(proto_name_equal("aLiCe_9.-", "AlIcE_9.-"), 1);
	assert_int_equal(proto_name_equal(NAME_CHARS,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-"), 1);
	assert_int_equal(proto_name_equal("", ""), 1);
	assert_int_equal(proto_name_equal("alice", "alicf"), 0);
	assert_int_equal(proto_name_equal("alice", "alice2"), 0);
	assert_int_equal(proto_name_equal("alice2", "alice"), 0);
	assert_int_equal(proto_name_equal("alice", ""), 0);
	assert_int_equal(proto_name_equal("a-b", "a_b"), 0);
	/* Characters 0x20 apart that are not letters are different. */
	assert_int_equal(proto_name_equal("[", "{"), 0);
	assert_int_equal(proto_name_equal("@", "`"), 0);
	assert_int_equal(proto_name_equal("_", "\x7f"), 0);
	assert_int_equal(proto_name_equal("-", "\x0d"), 0);
	/* Room names compare the same way. */
	assert_int_equal(proto_name_equal("#Lobby", "#lobby"), 1);
}

/* Run the protocol name tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_round_trip),
		cmocka_unit_test(test_error_names_unique),
		cmocka_unit_test(test_error_names_documented),
		cmocka_unit_test(test_error_unknown),
		cmocka_unit_test(test_quality_round_trip),
		cmocka_unit_test(test_quality_invalid),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_name_charset),
		cmocka_unit_test(test_room_valid),
		cmocka_unit_test(test_name_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
