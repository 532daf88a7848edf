/*
 * Unit tests for input.c: UTF-8 editing by grapheme, kill and yank, word
 * motion, pastes, the length cap, history with the draft, Tab completion,
 * the visible window of a long line, and its UTF-8 decoder and encoder.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "screentext.h"

#define CJK_WORLD	"\xe4\xb8\x96\xe7\x95\x8c"	/* U+4E16 U+754C */
#define PARTY		"\xf0\x9f\x8e\x89"		/* U+1F389 */
#define ACUTE		"\xcc\x81"			/* U+0301 */
#define DOT_BELOW	"\xcc\xa3"			/* U+0323 */
#define CIRCUMFLEX	"\xcc\x82"			/* U+0302 */
#define REPLACEMENT	"\xef\xbf\xbd"			/* U+FFFD */

/* A small deterministic generator (xorshift64*), so failures repeat. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* Return the next pseudo-random 32-bit number. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Return a pseudo-random number in [0, n). */
static uint32_t
rng_below(uint32_t n)
{
	return rng() % n;
}

/*
 * Encode cp as UTF-8 into out with an encoder written from RFC 3629,
 * independent of the one under test; return the length.
 */
static size_t
ref_encode(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 + cp / 64);
		out[1] = (uint8_t)(0x80 + cp % 64);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 + cp / 4096);
		out[1] = (uint8_t)(0x80 + cp / 64 % 64);
		out[2] = (uint8_t)(0x80 + cp % 64);
		return 3;
	}
	out[0] = (uint8_t)(0xf0 + cp / 262144);
	out[1] = (uint8_t)(0x80 + cp / 4096 % 64);
	out[2] = (uint8_t)(0x80 + cp / 64 % 64);
	out[3] = (uint8_t)(0x80 + cp % 64);
	return 4;
}

/* Assert that the line reads exactly as the UTF-8 string want. */
static void
assert_line(const struct input *in, const char *want)
{
	char	*s = input_text(in);

	assert_string_equal(s, want);
	free(s);
}

/* Replace the line with UTF-8 text s, cursor at the end. */
static void
set_line(struct input *in, const char *s)
{
	input_clear(in);
	assert_int_equal(input_insert_utf8(in, s, strlen(s)), 0);
}

/* Give each test a fresh empty input line; return 0, or -1. */
static int
setup(void **state)
{
	struct input	*in = malloc(sizeof *in);

	if (in == NULL)
		return -1;
	input_init(in);
	*state = in;
	return 0;
}

/* Free the test's input line; return 0. */
static int
teardown(void **state)
{
	input_free(*state);
	free(*state);
	return 0;
}

/* ASCII typed one code point at a time goes in at the cursor. */
static void
test_insert_ascii(void **state)
{
	struct input	*in = *state;

	assert_int_equal(input_insert(in, 'h'), 0);
	assert_int_equal(input_insert(in, 'i'), 0);
	assert_int_equal(in->len, 2);
	assert_int_equal(in->cursor, 2);
	assert_line(in, "hi");
	input_left(in);
	assert_int_equal(input_insert(in, 'X'), 0);
	assert_line(in, "hXi");
	assert_int_equal(in->cursor, 2);
	input_home(in);
	assert_int_equal(input_insert(in, '>'), 0);
	assert_line(in, ">hXi");
	input_end(in);
	assert_int_equal(input_insert(in, '<'), 0);
	assert_line(in, ">hXi<");
	assert_int_equal(in->cursor, 5);
}

/* Wide characters are one code point each and two columns wide. */
static void
test_insert_wide(void **state)
{
	struct input	*in = *state;

	assert_int_equal(input_insert(in, 0x4e16), 0);
	assert_int_equal(input_insert(in, 0x754c), 0);
	assert_int_equal(input_insert(in, 0x1f389), 0);
	assert_int_equal(in->len, 3);
	assert_line(in, CJK_WORLD PARTY);
	input_left(in);
	input_left(in);
	assert_int_equal(in->cursor, 1);
	input_backspace(in);
	assert_line(in, "\xe7\x95\x8c" PARTY);
	assert_int_equal(in->cursor, 0);
}

/* Left and Right step over a base character and its combining marks. */
static void
test_combining_moves(void **state)
{
	struct input	*in = *state;

	/* a, e, U+0301, b: four code points, three graphemes. */
	set_line(in, "ae" ACUTE "b");
	assert_int_equal(in->len, 4);
	assert_int_equal(in->cursor, 4);
	input_left(in);
	assert_int_equal(in->cursor, 3);
	input_left(in);
	assert_int_equal(in->cursor, 1);
	input_left(in);
	assert_int_equal(in->cursor, 0);
	input_left(in);
	assert_int_equal(in->cursor, 0);
	input_right(in);
	assert_int_equal(in->cursor, 1);
	input_right(in);
	assert_int_equal(in->cursor, 3);
	input_right(in);
	assert_int_equal(in->cursor, 4);
	input_right(in);
	assert_int_equal(in->cursor, 4);

	/* Two marks on one base (Vietnamese e with dot below and hat). */
	set_line(in, "xe" DOT_BELOW CIRCUMFLEX);
	assert_int_equal(in->len, 4);
	input_left(in);
	assert_int_equal(in->cursor, 1);
	input_home(in);
	input_right(in);
	input_right(in);
	assert_int_equal(in->cursor, 4);
}

/* Backspace and Delete remove a base character with its marks. */
static void
test_combining_delete(void **state)
{
	struct input	*in = *state;

	set_line(in, "ae" ACUTE "b");
	input_left(in);			/* before b */
	input_backspace(in);
	assert_line(in, "ab");
	assert_int_equal(in->cursor, 1);

	set_line(in, "ae" DOT_BELOW CIRCUMFLEX "b");
	input_home(in);
	input_right(in);		/* before e */
	input_delete(in);
	assert_line(in, "ab");
	assert_int_equal(in->cursor, 1);

	/* At the ends, nothing happens. */
	set_line(in, "e" ACUTE);
	input_delete(in);
	assert_line(in, "e" ACUTE);
	input_home(in);
	input_backspace(in);
	assert_line(in, "e" ACUTE);
	input_delete(in);
	assert_line(in, "");
	assert_int_equal(in->len, 0);
	assert_int_equal(in->cursor, 0);

	/* Wide characters too. */
	set_line(in, CJK_WORLD PARTY);
	input_backspace(in);
	assert_line(in, CJK_WORLD);
	input_home(in);
	input_delete(in);
	assert_line(in, "\xe7\x95\x8c");
}

/* Home and End go to the ends of the line. */
static void
test_home_end(void **state)
{
	struct input	*in = *state;

	input_home(in);
	input_end(in);
	assert_int_equal(in->cursor, 0);
	set_line(in, "hello " CJK_WORLD);
	input_home(in);
	assert_int_equal(in->cursor, 0);
	input_end(in);
	assert_int_equal(in->cursor, in->len);
	assert_int_equal(in->len, 8);
}

/* Ctrl-K, Ctrl-U and Ctrl-W cut text that Ctrl-Y puts back. */
static void
test_kill_yank(void **state)
{
	struct input	*in = *state;

	/* Yank with nothing killed does nothing. */
	set_line(in, "abc");
	input_yank(in);
	assert_line(in, "abc");

	set_line(in, "hello w" ACUTE "rld " CJK_WORLD);
	input_home(in);
	for (int i = 0; i < 5; i++)
		input_right(in);
	input_kill_to_end(in);
	assert_line(in, "hello");
	assert_int_equal(in->cursor, 5);
	input_yank(in);
	assert_line(in, "hello w" ACUTE "rld " CJK_WORLD);
	assert_int_equal(in->cursor, in->len);

	/* Ctrl-U: cut to the start; yank elsewhere puts it there. */
	input_home(in);
	for (int i = 0; i < 5; i++)
		input_right(in);
	input_kill_to_start(in);
	assert_line(in, " w" ACUTE "rld " CJK_WORLD);
	assert_int_equal(in->cursor, 0);
	input_yank(in);
	assert_line(in, "hello w" ACUTE "rld " CJK_WORLD);
	assert_int_equal(in->cursor, 5);
	input_end(in);
	input_yank(in);
	assert_line(in, "hello w" ACUTE "rld " CJK_WORLD "hello");

	/* Ctrl-W: the word before the cursor and the spaces after it. */
	set_line(in, "foo bar  ");
	input_kill_word(in);
	assert_line(in, "foo ");
	assert_int_equal(in->cursor, 4);
	input_kill_word(in);
	assert_line(in, "");
	input_yank(in);
	assert_line(in, "foo ");
	set_line(in, "foo " PARTY CJK_WORLD);
	input_kill_word(in);
	assert_line(in, "foo ");
	input_yank(in);
	input_yank(in);
	assert_line(in, "foo " PARTY CJK_WORLD PARTY CJK_WORLD);

	/* Cutting nothing keeps the last cut text. */
	input_home(in);
	input_kill_word(in);
	input_kill_to_start(in);
	input_end(in);
	input_kill_to_end(in);
	input_yank(in);
	assert_line(in, "foo " PARTY CJK_WORLD PARTY CJK_WORLD PARTY
	    CJK_WORLD);

	/* Kill in the middle: Ctrl-W with text after the cursor. */
	set_line(in, "one two three");
	input_word_left(in);
	input_kill_word(in);
	assert_line(in, "one three");
	assert_int_equal(in->cursor, 4);
}

/* Word motion skips spaces, then a word. */
static void
test_word_moves(void **state)
{
	struct input	*in = *state;

	/* Indices: "  foo bar  " CJK CJK: foo at 2, bar at 6, CJK at 11. */
	set_line(in, "  foo bar  " CJK_WORLD);
	input_word_left(in);
	assert_int_equal(in->cursor, 11);
	input_word_left(in);
	assert_int_equal(in->cursor, 6);
	input_word_left(in);
	assert_int_equal(in->cursor, 2);
	input_word_left(in);
	assert_int_equal(in->cursor, 0);
	input_word_left(in);
	assert_int_equal(in->cursor, 0);
	input_word_right(in);
	assert_int_equal(in->cursor, 5);
	input_word_right(in);
	assert_int_equal(in->cursor, 9);
	input_word_right(in);
	assert_int_equal(in->cursor, 13);
	input_word_right(in);
	assert_int_equal(in->cursor, 13);

	/* From inside a word: to its start, or past its end. */
	set_line(in, "alpha beta");
	input_home(in);
	input_right(in);
	input_right(in);
	input_word_right(in);
	assert_int_equal(in->cursor, 5);
	input_left(in);
	input_word_left(in);
	assert_int_equal(in->cursor, 0);
}

/* input_insert ignores C0 and C1 controls and DEL. */
static void
test_insert_controls(void **state)
{
	struct input	*in = *state;
	const uint32_t	 controls[] = { 0x00, 0x01, '\t', '\n', '\r',
	    0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f };

	set_line(in, "ab");
	input_left(in);
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
		assert_int_equal(input_insert(in, controls[i]), 0);
		assert_int_equal(in->len, 2);
		assert_int_equal(in->cursor, 1);
	}
	assert_line(in, "ab");
	/* The first printable code points after the controls go in. */
	assert_int_equal(input_insert(in, ' '), 0);
	assert_int_equal(input_insert(in, 0xa0), 0);
	assert_line(in, "a \xc2\xa0" "b");
}

/* A paste stops at a newline, turns controls into spaces, and shows
 * invalid UTF-8 as U+FFFD. */
static void
test_paste(void **state)
{
	struct input	*in = *state;
	const char	 two_lines[] = "first\tline\nsecond line";
	const char	 bad[] = "a\xff" "b\xc3(\xe4\xb8" "c\xed\xa0\x80";
	const char	 nul[] = "x\0y";

	assert_int_equal(input_insert_utf8(in, two_lines,
	    sizeof two_lines - 1), 0);
	assert_line(in, "first line");
	set_line(in, "x\ry");
	assert_line(in, "x");
	set_line(in, "\x01\x1b[1m" CJK_WORLD "\x7f");
	assert_line(in, "  [1m" CJK_WORLD " ");

	/* Pasted in the middle, cursor after the paste. */
	set_line(in, "[]");
	input_left(in);
	assert_int_equal(input_insert_utf8(in, "e" ACUTE PARTY, 7), 0);
	assert_line(in, "[e" ACUTE PARTY "]");
	assert_int_equal(in->cursor, 4);

	/* 0xff, 0xc3 before '(', 0xe4 0xb8 before 'c', a surrogate. */
	set_line(in, "");
	assert_int_equal(input_insert_utf8(in, bad, sizeof bad - 1), 0);
	assert_line(in, "a" REPLACEMENT "b" REPLACEMENT "(" REPLACEMENT
	    REPLACEMENT "c" REPLACEMENT REPLACEMENT REPLACEMENT);

	/* The length is the paste's, not up to a NUL. */
	set_line(in, "");
	assert_int_equal(input_insert_utf8(in, nul, 3), 0);
	assert_int_equal(in->len, 3);
	assert_int_equal(in->text[1], ' ');
	/* A paste cut short in a sequence. */
	set_line(in, "");
	assert_int_equal(input_insert_utf8(in, PARTY, 3), 0);
	assert_line(in, REPLACEMENT REPLACEMENT REPLACEMENT);
	/* An empty paste. */
	set_line(in, "z");
	assert_int_equal(input_insert_utf8(in, "", 0), 0);
	assert_line(in, "z");
}

/* No more than INPUT_MAX code points; a refused insert changes nothing. */
static void
test_max_length(void **state)
{
	struct input	*in = *state;
	char		*big = malloc(INPUT_MAX + 2), *before, *after;

	assert_non_null(big);
	memset(big, 'a', INPUT_MAX + 1);
	big[INPUT_MAX + 1] = '\0';

	/* One too many at once: refused whole. */
	assert_int_equal(input_insert_utf8(in, big, INPUT_MAX + 1), -1);
	assert_int_equal(in->len, 0);
	assert_int_equal(in->cursor, 0);

	assert_int_equal(input_insert_utf8(in, big, INPUT_MAX - 2), 0);
	assert_int_equal(in->len, INPUT_MAX - 2);
	input_left(in);
	before = input_text(in);
	assert_int_equal(input_insert_utf8(in, "xyz", 3), -1);
	assert_int_equal(in->len, INPUT_MAX - 2);
	assert_int_equal(in->cursor, INPUT_MAX - 3);
	after = input_text(in);
	assert_string_equal(before, after);
	free(after);

	assert_int_equal(input_insert_utf8(in, PARTY CJK_WORLD, 7), 0);
	assert_int_equal(in->len, INPUT_MAX);
	assert_int_equal(input_insert(in, 'x'), -1);
	assert_int_equal(input_insert(in, 0x4e16), -1);
	assert_int_equal(in->len, INPUT_MAX);
	assert_int_equal(in->cursor, INPUT_MAX - 1);
	assert_int_equal(in->text[INPUT_MAX - 3], 0x1f389);
	assert_int_equal(in->text[INPUT_MAX - 1], 'a');

	/* A yank that does not fit changes nothing either. */
	input_home(in);
	input_right(in);
	input_kill_to_start(in);	/* cuts one 'a' */
	assert_int_equal(in->len, INPUT_MAX - 1);
	input_yank(in);
	assert_int_equal(in->len, INPUT_MAX);
	input_yank(in);
	assert_int_equal(in->len, INPUT_MAX);
	assert_int_equal(in->cursor, 1);
	after = input_text(in);
	assert_int_equal(strlen(after), strlen(before) + 7);
	free(after);
	free(before);
	free(big);
}

/* Return a random Unicode scalar value that is not a control. */
static uint32_t
random_scalar(void)
{
	uint32_t	cp;

	for (;;) {
		switch (rng_below(5)) {
		case 0:
			cp = 0x20 + rng_below(0x5f);
			break;
		case 1:
			cp = 0xa0 + rng_below(0x800 - 0xa0);
			break;
		case 2:
			cp = 0x800 + rng_below(0x10000 - 0x800);
			break;
		case 3:
			cp = 0x10000 + rng_below(0x110000 - 0x10000);
			break;
		default:
			cp = 0xa0 + rng_below(0x110000 - 0xa0);
			break;
		}
		if (cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff))
			continue;
		return cp;
	}
}

/* Any valid UTF-8 without controls comes back unchanged from input_text. */
static void
test_text_roundtrip(void **state)
{
	struct input	*in = *state;
	uint8_t		 buf[4 * 200 + 1];
	uint32_t	 cps[200];

	for (int round = 0; round < 2000; round++) {
		size_t	n = rng_below(200), len = 0;
		char	*s;

		for (size_t i = 0; i < n; i++) {
			cps[i] = random_scalar();
			len += ref_encode(cps[i], buf + len);
		}
		buf[len] = '\0';

		set_line(in, (const char *)buf);
		assert_int_equal(in->len, n);
		assert_memory_equal(in->text, cps, n * sizeof *cps);
		s = input_text(in);
		assert_int_equal(strlen(s), len);
		assert_memory_equal(s, buf, len);
		free(s);

		/* The same typed one code point at a time. */
		input_clear(in);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(input_insert(in, cps[i]), 0);
		assert_line(in, (const char *)buf);
	}
}

/* Take the line and check what it returned. */
static void
take_expect(struct input *in, const char *want)
{
	char	*s = input_take(in);

	assert_string_equal(s, want);
	free(s);
	assert_int_equal(in->len, 0);
	assert_int_equal(in->cursor, 0);
}

/* Sent lines go to the history, but not empty ones or repeats. */
static void
test_history_take(void **state)
{
	struct input	*in = *state;

	/* No history: Up and Down do nothing. */
	set_line(in, "draft");
	input_history_prev(in);
	assert_line(in, "draft");
	input_history_next(in);
	assert_line(in, "draft");

	set_line(in, "one");
	take_expect(in, "one");
	take_expect(in, "");
	set_line(in, "two " CJK_WORLD);
	take_expect(in, "two " CJK_WORLD);
	set_line(in, "two " CJK_WORLD);
	take_expect(in, "two " CJK_WORLD);
	set_line(in, "one");
	take_expect(in, "one");
	assert_int_equal(in->nhistory, 3);

	/* Walk back: one, two, one, then it stops at the oldest. */
	input_history_prev(in);
	assert_line(in, "one");
	assert_int_equal(in->cursor, in->len);
	input_history_prev(in);
	assert_line(in, "two " CJK_WORLD);
	input_history_prev(in);
	assert_line(in, "one");
	input_history_prev(in);
	assert_line(in, "one");
	input_history_next(in);
	assert_line(in, "two " CJK_WORLD);
	input_history_next(in);
	assert_line(in, "one");
	input_history_next(in);
	assert_line(in, "");
	input_history_next(in);
	assert_line(in, "");

	/* Sending an entry recalled from history adds it again at the end
	 * (unless it is the newest already). */
	input_history_prev(in);
	input_history_prev(in);
	take_expect(in, "two " CJK_WORLD);
	assert_int_equal(in->nhistory, 4);
	input_history_prev(in);
	assert_line(in, "two " CJK_WORLD);
}

/* Down past the newest entry gives back the line being written. */
static void
test_history_draft(void **state)
{
	struct input	*in = *state;

	set_line(in, "old");
	take_expect(in, "old");
	set_line(in, "new");
	take_expect(in, "new");

	set_line(in, "unsent e" ACUTE " " PARTY);
	input_left(in);
	input_history_prev(in);
	assert_line(in, "new");
	input_history_prev(in);
	assert_line(in, "old");
	input_history_next(in);
	assert_line(in, "new");
	input_history_next(in);
	assert_line(in, "unsent e" ACUTE " " PARTY);
	assert_int_equal(in->cursor, in->len);
	input_history_next(in);
	assert_line(in, "unsent e" ACUTE " " PARTY);

	/* The draft is kept across a second trip, edits to it included. */
	input_backspace(in);
	input_history_prev(in);
	assert_line(in, "new");
	input_history_next(in);
	assert_line(in, "unsent e" ACUTE " ");

	/* Once sent, there is no draft any more. */
	take_expect(in, "unsent e" ACUTE " ");
	input_history_prev(in);
	assert_line(in, "unsent e" ACUTE " ");
	input_history_next(in);
	assert_line(in, "");
}

/* The history keeps the newest INPUT_HISTORY entries. */
static void
test_history_cap(void **state)
{
	struct input	*in = *state;
	char		 line[32];
	const int	 extra = 7;

	for (int i = 0; i < INPUT_HISTORY + extra; i++) {
		snprintf(line, sizeof line, "line %d", i);
		set_line(in, line);
		take_expect(in, line);
		assert_true(in->nhistory <= INPUT_HISTORY);
	}
	assert_int_equal(in->nhistory, INPUT_HISTORY);

	set_line(in, "draft");
	for (int i = INPUT_HISTORY + extra - 1; i >= extra; i--) {
		input_history_prev(in);
		snprintf(line, sizeof line, "line %d", i);
		assert_line(in, line);
	}
	/* The oldest kept is line <extra>; Up stays there. */
	input_history_prev(in);
	snprintf(line, sizeof line, "line %d", extra);
	assert_line(in, line);
	for (int i = 0; i < INPUT_HISTORY; i++)
		input_history_next(in);
	assert_line(in, "draft");
}

/* Candidates for the fake completion callback, and what it was asked. */
struct fake_complete {
	const char	**names;
	int		  calls;
	char		  word[64];
	int		  at_start;
};

/* A completion callback returning the candidates starting with word. */
static size_t
fake_complete(void *arg, const char *word, int at_start, char ***out)
{
	struct fake_complete	*fc = arg;
	size_t			 n = 0;

	fc->calls++;
	snprintf(fc->word, sizeof fc->word, "%s", word);
	fc->at_start = at_start;
	*out = NULL;
	for (size_t i = 0; fc->names[i] != NULL; i++) {
		if (strncmp(fc->names[i], word, strlen(word)) != 0)
			continue;
		*out = realloc(*out, (n + 1) * sizeof **out);
		assert_non_null(*out);
		(*out)[n] = strdup(fc->names[i]);
		assert_non_null((*out)[n]);
		n++;
	}
	return n;
}

/* Tab at the start of the line completes a name with ": " and cycles. */
static void
test_complete_names(void **state)
{
	struct input		*in = *state;
	const char		*names[] = { "alice", "alan", "bob",
	    "zo\xc3\xab", NULL };
	struct fake_complete	 fc = { names, 0, "", -1 };

	set_line(in, "al");
	input_complete(in, fake_complete, &fc);
	assert_int_equal(fc.calls, 1);
	assert_string_equal(fc.word, "al");
	assert_int_equal(fc.at_start, 1);
	assert_line(in, "alice: ");
	assert_int_equal(in->cursor, in->len);
	input_complete(in, fake_complete, &fc);
	assert_line(in, "alan: ");
	assert_int_equal(in->cursor, in->len);
	input_complete(in, fake_complete, &fc);
	assert_line(in, "alice: ");
	input_complete(in, fake_complete, &fc);
	assert_line(in, "alan: ");
	/* Cycling does not ask again. */
	assert_int_equal(fc.calls, 1);

	/* A non-ASCII name, the only match. */
	input_complete_reset(in);
	set_line(in, "z");
	input_complete(in, fake_complete, &fc);
	assert_line(in, "zo\xc3\xab: ");
	assert_int_equal(in->len, 5);
	input_complete(in, fake_complete, &fc);
	assert_line(in, "zo\xc3\xab: ");
	input_complete_reset(in);

	/* An empty word at the start offers every name. */
	set_line(in, "");
	input_complete(in, fake_complete, &fc);
	assert_string_equal(fc.word, "");
	assert_int_equal(fc.at_start, 1);
	assert_line(in, "alice: ");
	input_complete(in, fake_complete, &fc);
	input_complete(in, fake_complete, &fc);
	input_complete(in, fake_complete, &fc);
	assert_line(in, "zo\xc3\xab: ");
}

/* Commands, rooms and words later in the line get a space. */
static void
test_complete_suffix(void **state)
{
	struct input		*in = *state;
	const char		*names[] = { "/quit", "/quality", "#lobby",
	    "alice", NULL };
	struct fake_complete	 fc = { names, 0, "", -1 };

	set_line(in, "/qu");
	input_complete(in, fake_complete, &fc);
	assert_int_equal(fc.at_start, 1);
	assert_line(in, "/quit ");
	input_complete(in, fake_complete, &fc);
	assert_line(in, "/quality ");
	input_complete_reset(in);

	set_line(in, "#l");
	input_complete(in, fake_complete, &fc);
	assert_line(in, "#lobby ");
	input_complete_reset(in);

	set_line(in, "hi al");
	input_complete(in, fake_complete, &fc);
	assert_string_equal(fc.word, "al");
	assert_int_equal(fc.at_start, 0);
	assert_line(in, "hi alice ");
	input_complete_reset(in);

	/* The word before the cursor, with text after it kept. */
	set_line(in, "say al now");
	for (int i = 0; i < 4; i++)
		input_left(in);
	input_complete(in, fake_complete, &fc);
	assert_string_equal(fc.word, "al");
	assert_line(in, "say alice  now");
	assert_int_equal(in->cursor, 10);
	input_complete_reset(in);
}

/* input_complete_reset ends cycling: the next Tab asks again. */
static void
test_complete_reset(void **state)
{
	struct input		*in = *state;
	const char		*names[] = { "alice", "alan", NULL };
	struct fake_complete	 fc = { names, 0, "", -1 };

	set_line(in, "al");
	input_complete(in, fake_complete, &fc);
	assert_line(in, "alice: ");
	input_complete_reset(in);
	input_backspace(in);
	input_backspace(in);
	input_complete(in, fake_complete, &fc);
	assert_int_equal(fc.calls, 2);
	assert_string_equal(fc.word, "alice");
	assert_line(in, "alice: ");
	/* One match now: Tab keeps it. */
	input_complete(in, fake_complete, &fc);
	assert_line(in, "alice: ");
	assert_int_equal(fc.calls, 2);
	input_complete_reset(in);
	input_complete_reset(in);	/* twice is harmless */
}

/* With no match the line is left alone, and the next Tab asks again. */
static void
test_complete_none(void **state)
{
	struct input		*in = *state;
	const char		*names[] = { "alice", NULL };
	struct fake_complete	 fc = { names, 0, "", -1 };

	set_line(in, "hello zz");
	input_left(in);
	input_complete(in, fake_complete, &fc);
	assert_string_equal(fc.word, "z");
	assert_line(in, "hello zz");
	assert_int_equal(in->cursor, 7);
	input_complete(in, fake_complete, &fc);
	assert_int_equal(fc.calls, 2);
	assert_line(in, "hello zz");
	assert_int_equal(in->cursor, 7);
}

/* Return the columns of code points [from, to) of the line. */
static int
span_width(const struct input *in, size_t from, size_t to)
{
	int	w = 0;

	for (size_t i = from; i < to; i++)
		w += screentext_width(in->text[i]);
	return w;
}

/* Call input_view and check what it says against the line. */
static void
check_view(struct input *in, int width)
{
	size_t	first, end;
	int	col;

	first = input_view(in, width, &end, &col);
	if (col < 0 || col >= width)
		fail_msg("width %d cursor %zu: cursor column %d", width,
		    in->cursor, col);
	if (first > in->cursor || in->cursor > end || end > in->len)
		fail_msg("width %d: first %zu cursor %zu end %zu len %zu",
		    width, first, in->cursor, end, in->len);
	if (span_width(in, first, end) > width)
		fail_msg("width %d: visible text is %d columns", width,
		    span_width(in, first, end));
	if (col != span_width(in, first, in->cursor))
		fail_msg("width %d: cursor column %d, text before it %d",
		    width, col, span_width(in, first, in->cursor));
	/* The window is as long as the width allows. */
	if (end < in->len && span_width(in, first, end + 1) <= width)
		fail_msg("width %d: stops at %zu though it fits", width, end);
	/* A window never starts inside a grapheme. */
	if (first > 0 && first < in->len && in->text[first] >= 0x300 &&
	    screentext_width(in->text[first]) == 0)
		fail_msg("width %d cursor %zu: starts at combining mark %zu",
		    width, in->cursor, first);
}

/* Build a random line of ASCII words, CJK, emoji and combined letters. */
static void
random_view_line(struct input *in, size_t graphemes)
{
	input_clear(in);
	for (size_t i = 0; i < graphemes; i++) {
		switch (rng_below(6)) {
		case 0:
			input_insert(in, ' ');
			break;
		case 1:
			input_insert(in, 0x4e00 + rng_below(0x5000));
			break;
		case 2:
			input_insert(in, 0x1f600 + rng_below(0x40));
			break;
		case 3:
			input_insert(in, 'a' + rng_below(26));
			for (uint32_t m = rng_below(3) + 1; m > 0; m--)
				input_insert(in, 0x300 + rng_below(0x30));
			break;
		default:
			input_insert(in, 'a' + rng_below(26));
			break;
		}
	}
}

/* For every width the view keeps the cursor visible and the text fits. */
static void
test_view_properties(void **state)
{
	struct input	*in = *state;
	size_t		 first, end;
	int		 col;

	for (int width = 1; width <= 80; width++) {
		for (int round = 0; round < 6; round++) {
			random_view_line(in, round == 0 ? 0 :
			    rng_below(200) + 1);
			check_view(in, width);
			/* Left to the start, a grapheme at a time. */
			while (in->cursor > 0) {
				input_left(in);
				check_view(in, width);
			}
			first = input_view(in, width, &end, &col);
			assert_int_equal(first, 0);
			assert_int_equal(col, 0);
			/* Right to the end, then random jumps. */
			while (in->cursor < in->len) {
				input_right(in);
				check_view(in, width);
			}
			for (int j = 0; j < 40; j++) {
				switch (rng_below(5)) {
				case 0:
					input_word_left(in);
					break;
				case 1:
					input_word_right(in);
					break;
				case 2:
					input_left(in);
					break;
				case 3:
					input_end(in);
					break;
				default:
					input_right(in);
					break;
				}
				check_view(in, width);
			}
			input_home(in);
			first = input_view(in, width, &end, &col);
			assert_int_equal(first, 0);
			assert_int_equal(col, 0);
			check_view(in, width);
		}
	}
}

/* The view of a line of wide characters in a narrow window. */
static void
test_view_wide(void **state)
{
	struct input	*in = *state;
	size_t		 first, end;
	int		 col;

	/* Ten CJK characters (20 columns) in 7 columns. */
	for (int i = 0; i < 10; i++)
		input_insert(in, 0x4e00 + (uint32_t)i);
	first = input_view(in, 7, &end, &col);
	assert_int_equal(end, 10);
	assert_true(col <= 6);
	assert_int_equal(col, 2 * (int)(10 - first));
	input_home(in);
	first = input_view(in, 7, &end, &col);
	assert_int_equal(first, 0);
	assert_int_equal(end, 3);	/* 3 wide characters: 6 columns */
	assert_int_equal(col, 0);

	/* Width 1: a wide character cannot show, the cursor still can. */
	input_end(in);
	first = input_view(in, 1, &end, &col);
	assert_int_equal(first, 10);
	assert_int_equal(end, 10);
	assert_int_equal(col, 0);
	/* A width below 1 counts as 1. */
	input_home(in);
	first = input_view(in, 0, &end, &col);
	assert_int_equal(first, 0);
	assert_int_equal(end, 0);
	assert_int_equal(col, 0);
}

/*
 * Scrolling back keeps a little context left of the cursor, but never
 * starts the window on a combining mark cut off from its letter.
 */
static void
test_view_grapheme_start(void **state)
{
	struct input	*in = *state;
	size_t		 first, end;
	int		 col;

	/* e U+0301 x, width 2: at the end the window starts at x. */
	set_line(in, "e" ACUTE "x");
	first = input_view(in, 2, &end, &col);
	assert_int_equal(first, 2);
	assert_int_equal(col, 1);
	/* Left: the cursor is on x; the window may show e+U+0301 or not,
	 * but must not start at U+0301 (index 1). */
	input_left(in);
	first = input_view(in, 2, &end, &col);
	assert_true(first == 0 || first == 2);
	assert_int_equal(col, span_width(in, first, in->cursor));

	/* The same in a wide window: a letter with four marks (at 100 to
	 * 104) in a long line, the cursor moving back from the end. */
	input_clear(in);
	for (int i = 0; i < 100; i++)
		input_insert(in, 'a');
	input_insert(in, 'e');
	for (uint32_t m = 0x300; m < 0x304; m++)
		input_insert(in, m);
	for (int i = 0; i < 100; i++)
		input_insert(in, 'b');
	input_view(in, 80, &end, &col);
	while (in->cursor > 100) {
		input_left(in);
		first = input_view(in, 80, &end, &col);
		if (first > 100 && first < 105)
			fail_msg("cursor %zu: window starts at mark %zu",
			    in->cursor, first);
	}
}

/* Assert that the bytes in s (n of them) decode as U+FFFD using 1 byte. */
static void
assert_rejected(const char *s, size_t n)
{
	size_t	used = 99;

	assert_int_equal(utf8_decode((const uint8_t *)s, n, &used), 0xfffd);
	assert_int_equal(used, 1);
}

/* Overlong, surrogate, out-of-range and truncated sequences are refused. */
static void
test_decode_invalid(void **state)
{
	(void)state;
	/* Overlong forms. */
	assert_rejected("\xc0\x80", 2);
	assert_rejected("\xc1\xbf", 2);
	assert_rejected("\xe0\x80\x80", 3);
	assert_rejected("\xe0\x9f\xbf", 3);
	assert_rejected("\xf0\x80\x80\x80", 4);
	assert_rejected("\xf0\x8f\xbf\xbf", 4);
	/* UTF-16 surrogates. */
	assert_rejected("\xed\xa0\x80", 3);
	assert_rejected("\xed\xaf\xbf", 3);
	assert_rejected("\xed\xbf\xbf", 3);
	/* Beyond U+10FFFF, and bytes that never start a sequence. */
	assert_rejected("\xf4\x90\x80\x80", 4);
	assert_rejected("\xf5\x80\x80\x80", 4);
	assert_rejected("\xf8\x88\x80\x80\x80", 5);
	assert_rejected("\xfe", 1);
	assert_rejected("\xff", 1);
	/* Continuation bytes alone. */
	assert_rejected("\x80", 1);
	assert_rejected("\xbf\xbf", 2);
	/* Truncated by the length given (the bytes after it are valid). */
	assert_rejected("\xc3\xa9", 1);
	assert_rejected("\xe4\xb8\x96", 2);
	assert_rejected("\xe4\xb8\x96", 1);
	assert_rejected("\xf0\x9f\x8e\x89", 3);
	/* Truncated by a byte that is not a continuation. */
	assert_rejected("\xc3" "A", 2);
	assert_rejected("\xe4\xb8" "A", 3);
	assert_rejected("\xf0\x9f\x8e" "A", 4);
	assert_rejected("\xe4\xc3\xa9", 3);
}

/* The boundaries of each length decode to the right code point. */
static void
test_decode_valid(void **state)
{
	const struct {
		const char	*s;
		uint32_t	 cp;
	} cases[] = {
		{ "\x00", 0 }, { "\x7f", 0x7f },
		{ "\xc2\x80", 0x80 }, { "\xdf\xbf", 0x7ff },
		{ "\xe0\xa0\x80", 0x800 }, { "\xed\x9f\xbf", 0xd7ff },
		{ "\xee\x80\x80", 0xe000 }, { "\xef\xbf\xbd", 0xfffd },
		{ "\xef\xbf\xbf", 0xffff }, { "\xf0\x90\x80\x80", 0x10000 },
		{ "\xf0\x9f\x8e\x89", 0x1f389 },
		{ "\xf4\x8f\xbf\xbf", 0x10ffff },
	};
	size_t	used;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t	n = cases[i].cp == 0 ? 1 : strlen(cases[i].s);
		char	buf[8];

		/* Bytes after the sequence are not consumed. */
		memcpy(buf, cases[i].s, n);
		memcpy(buf + n, "zz", 2);
		assert_int_equal(utf8_decode((const uint8_t *)buf, n + 2,
		    &used), cases[i].cp);
		assert_int_equal(used, n);
	}
}

/* utf8_encode matches RFC 3629 and utf8_decode inverts it for every
 * Unicode scalar value. */
static void
test_encode_decode_all(void **state)
{
	char	out[8];
	uint8_t	ref[4];
	size_t	n, used;

	(void)state;
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		memset(out, 0x55, sizeof out);
		n = utf8_encode(cp, out);
		if (n != ref_encode(cp, ref) || memcmp(out, ref, n) != 0)
			fail_msg("U+%04X encodes wrongly", (unsigned)cp);
		if ((unsigned char)out[n] != 0x55)
			fail_msg("U+%04X: wrote past its length", (unsigned)cp);
		if (utf8_decode((const uint8_t *)out, n, &used) != cp ||
		    used != n)
			fail_msg("U+%04X does not decode back", (unsigned)cp);
	}
	/* Sampled across ranges with trailing bytes present. */
	for (int i = 0; i < 10000; i++) {
		uint32_t cp = random_scalar();

		n = utf8_encode(cp, out);
		out[n] = 'x';
		assert_int_equal(utf8_decode((const uint8_t *)out, n + 1,
		    &used), cp);
		assert_int_equal(used, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_insert_ascii),
		T(test_insert_wide),
		T(test_combining_moves),
		T(test_combining_delete),
		T(test_home_end),
		T(test_kill_yank),
		T(test_word_moves),
		T(test_insert_controls),
		T(test_paste),
		T(test_max_length),
		T(test_text_roundtrip),
		T(test_history_take),
		T(test_history_draft),
		T(test_history_cap),
		T(test_complete_names),
		T(test_complete_suffix),
		T(test_complete_reset),
		T(test_complete_none),
		T(test_view_properties),
		T(test_view_wide),
		T(test_view_grapheme_start),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_decode_valid),
		cmocka_unit_test(test_encode_decode_all),
#undef T
	};

	/* screentext_width needs wcwidth() in a UTF-8 locale. */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "test_input: no C.UTF-8 locale\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
