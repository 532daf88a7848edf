/* Unit tests for utf8.c: strict RFC 3629 validation and code point counts. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

/* Return 1 if the NUL-terminated string s is valid UTF-8. */
static int
valid_str(const char *s)
{
	return utf8_valid((const uint8_t *)s, strlen(s));
}

/* Return the code point count of the NUL-terminated string s. */
static size_t
count_str(const char *s)
{
	return utf8_count((const uint8_t *)s, strlen(s));
}

/* Encode code point cp (any value up to 0x1fffff) into out; return length. */
static size_t
encode_cp(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* The empty string and plain ASCII are valid. */
static void
test_ascii(void **state)
{
	uint8_t all[127];

	(void)state;
	assert_int_equal(utf8_valid((const uint8_t *)"", 0), 1);
	assert_int_equal(valid_str("hello, world"), 1);
	assert_int_equal(valid_str("\x01\x7f~ \t\r\n"), 1);
	for (int i = 0; i < 127; i++)
		all[i] = (uint8_t)(i + 1);
	assert_int_equal(utf8_valid(all, sizeof all), 1);
	assert_int_equal(utf8_count(all, sizeof all), 127);
}

/* Well-formed 2, 3 and 4 byte sequences, including every boundary. */
static void
test_multibyte_valid(void **state)
{
	static const char *const good[] = {
		"\xc2\x80",		/* U+0080, smallest 2-byte */
		"\xc3\xa9",		/* U+00E9 e acute */
		"\xdf\xbf",		/* U+07FF, largest 2-byte */
		"\xe0\xa0\x80",		/* U+0800, smallest 3-byte */
		"\xe2\x82\xac",		/* U+20AC euro sign */
		"\xed\x9f\xbf",		/* U+D7FF, just below surrogates */
		"\xee\x80\x80",		/* U+E000, just above surrogates */
		"\xef\xbf\xbd",		/* U+FFFD replacement character */
		"\xef\xbf\xbf",		/* U+FFFF, largest 3-byte */
		"\xf0\x90\x80\x80",	/* U+10000, smallest 4-byte */
		"\xf0\x9f\x98\x80",	/* U+1F600 grinning face */
		"\xf4\x8f\xbf\xbf",	/* U+10FFFF, largest scalar */
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",	/* CJK "nihongo" */
		"caf\xc3\xa9 \xf0\x9f\x8d\xb5 \xe4\xb8\xad",	/* mixed */
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (valid_str(good[i]) != 1)
			fail_msg("good[%zu] rejected", i);
}

/* NUL, overlongs, surrogates, values over U+10FFFF and bad lead bytes. */
static void
test_invalid_sequences(void **state)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} bad[] = {
		{ "\0", 1 },			/* NUL */
		{ "a\0b", 3 },			/* NUL in the middle */
		{ "\xc0\x80", 2 },		/* overlong NUL */
		{ "\xc0\xaf", 2 },		/* overlong '/' */
		{ "\xc1\xbf", 2 },		/* overlong U+007F */
		{ "\xe0\x80\x80", 3 },		/* overlong NUL */
		{ "\xe0\x80\xaf", 3 },		/* overlong '/' */
		{ "\xe0\x9f\xbf", 3 },		/* overlong U+07FF */
		{ "\xf0\x80\x80\x80", 4 },	/* overlong NUL */
		{ "\xf0\x80\x80\xaf", 4 },	/* overlong '/' */
		{ "\xf0\x8f\xbf\xbf", 4 },	/* overlong U+FFFF */
		{ "\xed\xa0\x80", 3 },		/* U+D800 high surrogate */
		{ "\xed\xad\xbf", 3 },		/* U+DB7F */
		{ "\xed\xb0\x80", 3 },		/* U+DC00 low surrogate */
		{ "\xed\xbf\xbf", 3 },		/* U+DFFF */
		{ "\xed\xa0\xbd\xed\xb8\x80", 6 },	/* CESU-8 pair */
		{ "\xf4\x90\x80\x80", 4 },	/* U+110000 */
		{ "\xf4\xbf\xbf\xbf", 4 },	/* U+13FFFF */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xf7\xbf\xbf\xbf", 4 },	/* U+1FFFFF */
		{ "\xf8\x88\x80\x80\x80", 5 },	/* 5-byte form */
		{ "\xfc\x84\x80\x80\x80\x80", 6 },	/* 6-byte form */
		{ "\xfe", 1 },
		{ "\xff", 1 },
		{ "\xc3\x28", 2 },		/* lead then ASCII */
		{ "\xe2\x28\xa1", 3 },		/* bad 2nd byte */
		{ "\xe2\x82\x28", 3 },		/* bad 3rd byte */
		{ "\xf0\x9f\x98\x28", 4 },	/* bad 4th byte */
		{ "\xc3\xc3\xa9", 3 },		/* lead then lead */
		{ "\xf0\x9f\x98\x80\x80", 5 },	/* extra continuation */
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (utf8_valid((const uint8_t *)bad[i].s, bad[i].len) != 0)
			fail_msg("bad[%zu] accepted", i);
}

/* Every proper prefix of a multi-byte sequence is rejected. */
static void
test_truncated(void **state)
{
	static const char *const seqs[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xe6\x97\xa5",
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	};
	uint8_t buf[8];

	(void)state;
	for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		size_t n = strlen(seqs[i]);

		assert_int_equal(valid_str(seqs[i]), 1);
		for (size_t cut = 1; cut < n; cut++) {
			/* Alone, and after valid text. */
			assert_int_equal(utf8_valid((const uint8_t *)seqs[i],
			    cut), 0);
			buf[0] = 'a';
			memcpy(buf + 1, seqs[i], cut);
			assert_int_equal(utf8_valid(buf, cut + 1), 0);
			/* Truncated, then followed by ASCII. */
			buf[cut + 1] = 'b';
			assert_int_equal(utf8_valid(buf, cut + 2), 0);
		}
	}
}

/* The length bounds the check: bytes beyond it are never looked at. */
static void
test_respects_length(void **state)
{
	static const uint8_t s[] = { 'o', 'k', 0xff, 0x00 };

	(void)state;
	assert_int_equal(utf8_valid(s, 2), 1);
	assert_int_equal(utf8_valid(s, 3), 0);
	assert_int_equal(utf8_valid(s, 0), 1);
	assert_int_equal(utf8_count(s, 2), 2);
}

/* Continuation bytes without a lead are rejected anywhere. */
static void
test_lone_continuation(void **state)
{
	uint8_t s[3];

	(void)state;
	for (int c = 0x80; c <= 0xbf; c++) {
		s[0] = (uint8_t)c;
		assert_int_equal(utf8_valid(s, 1), 0);
		s[0] = 'x';
		s[1] = (uint8_t)c;
		s[2] = 'y';
		assert_int_equal(utf8_valid(s, 3), 0);
	}
}

/* Single bytes: only 01..7F are complete; C0, C1 and F5..FF never valid. */
static void
test_every_single_byte(void **state)
{
	uint8_t s[4];

	(void)state;
	for (int c = 0; c < 256; c++) {
		s[0] = (uint8_t)c;
		assert_int_equal(utf8_valid(s, 1), c >= 0x01 && c <= 0x7f);
	}
	/* C0, C1, F5..FF followed by continuation bytes are still invalid. */
	for (int c = 0xc0; c < 256; c++) {
		if (c >= 0xc2 && c <= 0xf4)
			continue;
		s[0] = (uint8_t)c;
		s[1] = s[2] = s[3] = 0x80;
		for (size_t len = 1; len <= 4; len++)
			assert_int_equal(utf8_valid(s, len), 0);
	}
}

/* Every scalar value is valid; every surrogate and value above is not. */
static void
test_every_code_point(void **state)
{
	uint8_t	buf[4];
	size_t	n;

	(void)state;
	for (uint32_t cp = 1; cp <= 0x1fffff; cp++) {
		int want = cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);

		n = encode_cp(cp, buf);
		if (utf8_valid(buf, n) != want)
			fail_msg("U+%04X: expected %d", (unsigned)cp, want);
		if (want && utf8_count(buf, n) != 1)
			fail_msg("U+%04X: count != 1", (unsigned)cp);
	}
}

/* Every two-byte input is judged as the grammar says. */
static void
test_every_byte_pair(void **state)
{
	uint8_t s[2];

	(void)state;
	for (int a = 0; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			int want = (a >= 0x01 && a <= 0x7f &&
			    b >= 0x01 && b <= 0x7f) ||
			    (a >= 0xc2 && a <= 0xdf && b >= 0x80 && b <= 0xbf);

			s[0] = (uint8_t)a;
			s[1] = (uint8_t)b;
			if (utf8_valid(s, 2) != want)
				fail_msg("%02x %02x: expected %d", a, b, want);
		}
	}
}

/* utf8_count counts code points, not bytes. */
static void
test_count(void **state)
{
	(void)state;
	assert_int_equal(utf8_count((const uint8_t *)"", 0), 0);
	assert_int_equal(count_str("a"), 1);
	assert_int_equal(count_str("hello"), 5);
	assert_int_equal(count_str("h\xc3\xa9llo"), 5);
	assert_int_equal(count_str("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 3);
	assert_int_equal(count_str("\xf0\x9f\x98\x80"), 1);
	assert_int_equal(count_str("\xf0\x9f\x98\x80\xf0\x9f\x98\x81"), 2);
	assert_int_equal(count_str("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"),
	    5);
	/* The length bounds the count. */
	assert_int_equal(utf8_count((const uint8_t *)"abc\xc3\xa9", 3), 3);
}

/* Run the UTF-8 tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_multibyte_valid),
		cmocka_unit_test(test_invalid_sequences),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_respects_length),
		cmocka_unit_test(test_lone_continuation),
		cmocka_unit_test(test_every_single_byte),
		cmocka_unit_test(test_every_code_point),
		cmocka_unit_test(test_every_byte_pair),
		cmocka_unit_test(test_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
