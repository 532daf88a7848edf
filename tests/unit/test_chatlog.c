/*
 * Unit tests for chatlog.c: the scrollback ring, text width, and word
 * wrapping by display width (checked as properties over random texts).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "chatlog.h"

#define CJK_WORLD	"\xe4\xb8\x96\xe7\x95\x8c"	/* U+4E16 U+754C */
#define PARTY		"\xf0\x9f\x8e\x89"		/* U+1F389 */
#define ACUTE		"\xcc\x81"			/* U+0301 */

#define TEXT_MAX	1024	/* bytes in a random text */
#define ROWS_MAX	(TEXT_MAX + 1)

/* A small deterministic generator (xorshift64*), so failures repeat. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

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

/* Add line i of a numbered test sequence to log. */
static void
add_numbered(struct chatlog *log, int i)
{
	char	text[32], from[32];

	snprintf(text, sizeof text, "line %d", i);
	snprintf(from, sizeof from, "user%d", i % 7);
	chatlog_add(log, (time_t)1000 + i, LINE_CHAT, i & 0x0f, from, "#lobby",
	    text);
}

/* Assert that l is line i of the numbered sequence. */
static void
assert_numbered(const struct chat_line *l, int i)
{
	char	text[32], from[32];

	assert_non_null(l);
	snprintf(text, sizeof text, "line %d", i);
	snprintf(from, sizeof from, "user%d", i % 7);
	assert_string_equal(l->text, text);
	assert_string_equal(l->from, from);
	assert_string_equal(l->to, "#lobby");
	assert_int_equal(l->ts, 1000 + i);
	assert_int_equal(l->flags, i & 0x0f);
	assert_int_equal(l->kind, LINE_CHAT);
}

/* Lines come back oldest first with every field as added. */
static void
test_add_get(void **state)
{
	struct chatlog		 log;
	const struct chat_line	*l;

	(void)state;
	chatlog_init(&log, 5);
	assert_int_equal(log.count, 0);
	assert_null(chatlog_get(&log, 0));

	chatlog_add(&log, 10, LINE_SYSTEM, 0, NULL, NULL, "alice joined");
	chatlog_add(&log, 11, LINE_CHAT, LINE_SELF | LINE_DIRECT, "me",
	    "alice, bob", "hi " CJK_WORLD);
	chatlog_add(&log, 12, LINE_WARNING, LINE_UNVERIFIED, "mallory", NULL,
	    "");
	assert_int_equal(log.count, 3);
	assert_int_equal(log.added, 3);

	l = chatlog_get(&log, 0);
	assert_non_null(l);
	assert_int_equal(l->ts, 10);
	assert_int_equal(l->kind, LINE_SYSTEM);
	assert_int_equal(l->flags, 0);
	assert_null(l->from);
	assert_null(l->to);
	assert_string_equal(l->text, "alice joined");

	l = chatlog_get(&log, 1);
	assert_non_null(l);
	assert_int_equal(l->ts, 11);
	assert_int_equal(l->kind, LINE_CHAT);
	assert_int_equal(l->flags, LINE_SELF | LINE_DIRECT);
	assert_string_equal(l->from, "me");
	assert_string_equal(l->to, "alice, bob");
	assert_string_equal(l->text, "hi " CJK_WORLD);

	l = chatlog_get(&log, 2);
	assert_non_null(l);
	assert_int_equal(l->kind, LINE_WARNING);
	assert_int_equal(l->flags, LINE_UNVERIFIED);
	assert_string_equal(l->from, "mallory");
	assert_null(l->to);
	assert_string_equal(l->text, "");

	assert_null(chatlog_get(&log, 3));
	assert_null(chatlog_get(&log, 4));
	assert_null(chatlog_get(&log, (size_t)-1));
	chatlog_free(&log);
}

/* Past max lines the oldest go; count stays max and added counts all. */
static void
test_ring_overwrite(void **state)
{
	const size_t	 sizes[] = { 1, 2, 4, 7 };
	struct chatlog	 log;

	(void)state;
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t	max = sizes[s];

		chatlog_init(&log, max);
		for (int i = 0; i < 50; i++) {
			size_t	added = (size_t)i + 1;
			size_t	kept = added < max ? added : max;
			int	oldest = (int)(added - kept);

			add_numbered(&log, i);
			assert_int_equal(log.count, kept);
			assert_int_equal(log.added, (uint64_t)i + 1);
			for (size_t k = 0; k < kept; k++)
				assert_numbered(chatlog_get(&log, k),
				    oldest + (int)k);
			assert_null(chatlog_get(&log, kept));
		}
		chatlog_free(&log);
	}

	/* The real size, well past one lap. */
	chatlog_init(&log, CHATLOG_MAX);
	for (int i = 0; i < CHATLOG_MAX + 123; i++)
		add_numbered(&log, i);
	assert_int_equal(log.count, CHATLOG_MAX);
	assert_int_equal(log.added, CHATLOG_MAX + 123);
	assert_numbered(chatlog_get(&log, 0), 123);
	assert_numbered(chatlog_get(&log, CHATLOG_MAX - 1), CHATLOG_MAX + 122);
	assert_null(chatlog_get(&log, CHATLOG_MAX));
	chatlog_free(&log);
}

/* The log keeps its own copies of the strings it is given. */
static void
test_strings_copied(void **state)
{
	struct chatlog		 log;
	const struct chat_line	*l;
	char			 from[] = "alice", to[] = "#room",
				 text[] = "original text";

	(void)state;
	chatlog_init(&log, 3);
	chatlog_add(&log, 1, LINE_ACTION, 0, from, to, text);
	memset(from, 'X', sizeof from - 1);
	memset(to, 'Y', sizeof to - 1);
	memset(text, 'Z', sizeof text - 1);
	l = chatlog_get(&log, 0);
	assert_string_equal(l->from, "alice");
	assert_string_equal(l->to, "#room");
	assert_string_equal(l->text, "original text");
	assert_ptr_not_equal(l->from, from);
	assert_ptr_not_equal(l->to, to);
	assert_ptr_not_equal(l->text, text);
	chatlog_free(&log);
}

/* Decoded text: each code point with its byte offset and width. */
struct decoded {
	size_t		 n;
	size_t		 off[TEXT_MAX + 1];	/* off[n] == length */
	uint32_t	 cp[TEXT_MAX];
	int		 w[TEXT_MAX];
	int		 col[TEXT_MAX + 1];	/* columns before each */
};

/* Return 1 if cp is a combining mark (joins the character before it). */
static int
is_mark(uint32_t cp)
{
	return cp >= 0x300 && wcwidth((wchar_t)cp) == 0;
}

/* Decode valid UTF-8 text with the C library (not the code under test). */
static void
decode(const char *text, struct decoded *d)
{
	size_t		len = strlen(text), i = 0, r;
	mbstate_t	mbs;
	wchar_t		wc;

	memset(&mbs, 0, sizeof mbs);
	d->n = 0;
	d->col[0] = 0;
	while (i < len) {
		r = mbrtowc(&wc, text + i, len - i, &mbs);
		if (r == 0 || r > 4)
			fail_msg("test text is not valid UTF-8 at %zu", i);
		d->off[d->n] = i;
		d->cp[d->n] = (uint32_t)wc;
		d->w[d->n] = wcwidth(wc);
		if (d->w[d->n] < 0)
			fail_msg("test text has a control at %zu", i);
		d->col[d->n + 1] = d->col[d->n] + d->w[d->n];
		d->n++;
		i += r;
	}
	d->off[d->n] = len;
}

/* Return the index of the code point starting at byte off (n for the
 * end of the text), or -1 if off is inside a code point. */
static long
cp_at(const struct decoded *d, size_t off)
{
	size_t	lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (d->off[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return d->off[lo] == off ? (long)lo : -1;
}

/* Return the columns of bytes [from, to) (both code point boundaries). */
static int
span_width(const struct decoded *d, size_t from, size_t to)
{
	long	a = cp_at(d, from), b = cp_at(d, to);

	if (a < 0 || b < 0 || b < a)
		fail_msg("span [%zu, %zu) not on code points", from, to);
	return d->col[b] - d->col[a];
}

/* Return 1 if bytes [from, to) are one character and its marks. */
static int
one_grapheme(const struct decoded *d, size_t from, size_t to)
{
	long	i = cp_at(d, from);

	if (i < 0 || (size_t)i >= d->n || d->off[i] >= to)
		return 0;
	for (i++; (size_t)i < d->n && d->off[i] < to; i++)
		if (!is_mark(d->cp[i]))
			return 0;
	return 1;
}

/* Copy text without its spaces into out. */
static void
strip_spaces(const char *text, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ')
			*out++ = text[i];
	*out = '\0';
}

/* Fail with the text in hex and the widths, to reproduce a failure. */
static void
wrap_fail(const char *text, int first_width, int width, size_t row,
    const char *why)
{
	char	hex[3 * TEXT_MAX + 1], *p = hex;

	for (const char *s = text; *s != '\0' && p < hex + sizeof hex - 3; s++)
		p += snprintf(p, 4, "%02x ", (unsigned char)*s);
	*p = '\0';
	fail_msg("wrap(first %d, width %d) row %zu: %s; text: %s",
	    first_width, width, row, why, hex);
}

/* Wrap text and check every property of the rows. */
static void
check_wrap(const char *text, int first_width, int width)
{
	static struct decoded	 d;
	static size_t		 starts[ROWS_MAX + 1];
	static char		 joined[TEXT_MAX + 1], a[TEXT_MAX + 1],
				 b[TEXT_MAX + 1];
	size_t			 len = strlen(text), rows, jlen = 0;

	decode(text, &d);
	rows = chatlog_wrap(text, first_width, width, starts, ROWS_MAX);
	if (rows < 1 || rows > ROWS_MAX)
		wrap_fail(text, first_width, width, 0, "row count");
	if (starts[0] != 0)
		wrap_fail(text, first_width, width, 0, "first row not at 0");

	/* Each row starts on a character, after the one before. */
	for (size_t k = 1; k < rows; k++) {
		long	c;

		if (starts[k] <= starts[k - 1] || starts[k] >= len)
			wrap_fail(text, first_width, width, k,
			    "start out of order or past the end");
		if ((c = cp_at(&d, starts[k])) < 0)
			wrap_fail(text, first_width, width, k,
			    "starts inside a UTF-8 sequence");
		if (text[starts[k]] == ' ')
			wrap_fail(text, first_width, width, k,
			    "starts with a space");
		if (is_mark(d.cp[c]))
			wrap_fail(text, first_width, width, k,
			    "starts with a combining mark");
	}

	for (size_t k = 0; k < rows; k++) {
		size_t	from = starts[k], end;
		size_t	to = k + 1 < rows ? starts[k + 1] : len;
		int	limit = k == 0 ? first_width : width;

		if (limit < 1)
			limit = 1;
		end = to;
		while (end > from && text[end - 1] == ' ')
			end--;
		if (end == from && k > 0)
			wrap_fail(text, first_width, width, k, "empty row");
		if (span_width(&d, from, end) > limit &&
		    !one_grapheme(&d, from, end))
			wrap_fail(text, first_width, width, k, "too wide");
		memcpy(joined + jlen, text + from, end - from);
		jlen += end - from;

		if (k + 1 == rows)
			break;
		if (text[to - 1] == ' ') {
			/* Broken at a space: the next word did not fit. */
			size_t word_end = to;

			while (word_end < len && text[word_end] != ' ')
				word_end++;
			if (span_width(&d, from, word_end) <= limit)
				wrap_fail(text, first_width, width, k,
				    "next word would have fitted");
		} else {
			/* Broken inside a word: no space to break at, and
			 * the next character did not fit. */
			size_t	lead = from;
			long	next = cp_at(&d, to);

			while (lead < to && text[lead] == ' ')
				lead++;
			if (memchr(text + lead, ' ', to - lead) != NULL)
				wrap_fail(text, first_width, width, k,
				    "broken in a word though a space fits");
			if (span_width(&d, from, to) + d.w[next] <= limit)
				wrap_fail(text, first_width, width, k,
				    "next character would have fitted");
		}
	}
	joined[jlen] = '\0';
	/* The rows hold all the text's non-space content, in order. */
	strip_spaces(text, len, a);
	strip_spaces(joined, jlen, b);
	if (strcmp(a, b) != 0)
		wrap_fail(text, first_width, width, rows, "content lost");
}

/* With fewer slots than rows, wrap still counts every row and fills the
 * slots it has like the full wrap. */
static void
check_wrap_max(const char *text, int first_width, int width)
{
	static size_t	starts[ROWS_MAX + 1], few[ROWS_MAX + 1];
	size_t		rows, n;

	rows = chatlog_wrap(text, first_width, width, starts, ROWS_MAX);
	n = rows / 2;
	few[n] = 0x5a5a;
	if (chatlog_wrap(text, first_width, width, few, n) != rows)
		wrap_fail(text, first_width, width, n, "count with small max");
	if (memcmp(few, starts, n * sizeof *few) != 0 || few[n] != 0x5a5a)
		wrap_fail(text, first_width, width, n, "starts with small max");
	if (chatlog_wrap(text, first_width, width, NULL, 0) != rows)
		wrap_fail(text, first_width, width, 0, "count with max 0");
}

/* Append s to the text at *len if it fits; return 1 if it did. */
static int
append(char *text, size_t *len, const char *s, size_t n)
{
	if (*len + n >= TEXT_MAX - 8)
		return 0;
	memcpy(text + *len, s, n);
	*len += n;
	text[*len] = '\0';
	return 1;
}

/* Append code point cp as UTF-8 (with the C library's encoder). */
static int
append_cp(char *text, size_t *len, uint32_t cp)
{
	char		buf[MB_LEN_MAX];
	mbstate_t	mbs;
	size_t		n;

	memset(&mbs, 0, sizeof mbs);
	n = wcrtomb(buf, (wchar_t)cp, &mbs);
	assert_true(n >= 1 && n <= 4);
	return append(text, len, buf, n);
}

/* Append one random token: a word of some script, or spaces. */
static int
append_token(char *text, size_t *len, int kind)
{
	int	ok = 1;
	size_t	n;

	switch (kind) {
	case 0:		/* an ASCII word */
		for (n = rng_below(10) + 1; n > 0 && ok; n--)
			ok = append_cp(text, len, 'a' + rng_below(26));
		break;
	case 1:		/* CJK, now and then with a mark */
		for (n = rng_below(6) + 1; n > 0 && ok; n--) {
			ok = append_cp(text, len, 0x4e00 + rng_below(0x5000));
			if (ok && rng_below(8) == 0)
				ok = append_cp(text, len,
				    0x300 + rng_below(0x70));
		}
		break;
	case 2:		/* emoji, now and then with a mark */
		for (n = rng_below(3) + 1; n > 0 && ok; n--) {
			ok = append_cp(text, len, 0x1f600 + rng_below(0x40));
			if (ok && rng_below(8) == 0)
				ok = append_cp(text, len, 0x20e3);
		}
		break;
	case 3:		/* letters with one to three combining marks */
		for (n = rng_below(5) + 1; n > 0 && ok; n--) {
			ok = append_cp(text, len, 'a' + rng_below(26));
			for (uint32_t m = rng_below(3) + 1; m > 0 && ok; m--)
				ok = append_cp(text, len,
				    0x300 + rng_below(0x70));
		}
		break;
	case 4:		/* a long mixed word without spaces */
		for (n = rng_below(80) + 20; n > 0 && ok; n--) {
			switch (rng_below(4)) {
			case 0:
				ok = append_cp(text, len,
				    0x4e00 + rng_below(0x100));
				break;
			case 1:
				ok = append_cp(text, len, 'A' + rng_below(26));
				if (ok && rng_below(4) == 0)
					ok = append_cp(text, len, 0x301);
				break;
			default:
				ok = append_cp(text, len, 'a' + rng_below(26));
				break;
			}
		}
		break;
	default:	/* more spaces */
		ok = append(text, len, "  ", rng_below(2) + 1);
		break;
	}
	return ok;
}

/* Build a random text of words of one script or a mix. */
static void
random_text(char *text)
{
	size_t	len = 0;
	int	script = (int)rng_below(6), tokens = (int)rng_below(40);

	text[0] = '\0';
	for (int t = 0; t < tokens; t++) {
		int kind = script < 5 ? script : (int)rng_below(6);

		/* Long words are rarer in mixed text. */
		if (kind == 4 && script == 5 && rng_below(3) != 0)
			kind = 0;
		if (t > 0 && !append(text, &len, " ", 1))
			break;
		if (!append_token(text, &len, kind))
			break;
	}
	if (rng_below(5) == 0)
		append(text, &len, "   ", rng_below(3) + 1);
}

/* Every property of the wrap for many random texts and widths. */
static void
test_wrap_properties(void **state)
{
	static char	text[TEXT_MAX];

	(void)state;
	for (int round = 0; round < 300; round++) {
		random_text(text);
		for (int width = 1; width <= 60; width++) {
			check_wrap_max(text, width, width);
			check_wrap(text, width, width);
			check_wrap(text, 1, width);
			check_wrap(text, (int)rng_below(62) - 1, width);
			check_wrap(text, width - 12, width);
		}
	}
}

/* Wrap text and compare the row starts with the expected ones. */
static void
assert_wrap(const char *text, int first_width, int width, size_t nwant,
    const size_t *want)
{
	size_t	starts[32], rows;

	rows = chatlog_wrap(text, first_width, width, starts, 32);
	if (rows != nwant)
		fail_msg("\"%s\" (first %d, width %d): %zu rows, want %zu",
		    text, first_width, width, rows, nwant);
	for (size_t i = 0; i < rows; i++)
		if (starts[i] != want[i])
			fail_msg("\"%s\" (first %d, width %d): row %zu at %zu, "
			    "want %zu", text, first_width, width, i,
			    starts[i], want[i]);
	check_wrap(text, first_width, width);
	check_wrap_max(text, first_width, width);
}

/* Small cases with known answers. */
static void
test_wrap_examples(void **state)
{
	(void)state;
	/* The empty text is one empty row; exact fits are one row. */
	assert_wrap("", 10, 10, 1, (size_t[]){ 0 });
	assert_wrap("", 1, 1, 1, (size_t[]){ 0 });
	assert_wrap("hello", 5, 5, 1, (size_t[]){ 0 });
	assert_wrap("hello   ", 5, 5, 1, (size_t[]){ 0 });
	assert_wrap(CJK_WORLD PARTY, 6, 6, 1, (size_t[]){ 0 });
	assert_wrap("e" ACUTE "e" ACUTE "e" ACUTE, 3, 1, 1, (size_t[]){ 0 });
	/* Break after the space, which is dropped. */
	assert_wrap("hello world", 5, 5, 2, (size_t[]){ 0, 6 });
	assert_wrap("hello world", 8, 8, 2, (size_t[]){ 0, 6 });
	assert_wrap("hello   world", 7, 7, 2, (size_t[]){ 0, 8 });
	assert_wrap("aa bb cc", 4, 4, 3, (size_t[]){ 0, 3, 6 });
	/* A word longer than the row is cut where it stops fitting. */
	assert_wrap("abcdefghij", 4, 4, 3, (size_t[]){ 0, 4, 8 });
	assert_wrap("ab cdefghijkl", 5, 5, 3, (size_t[]){ 0, 3, 8 });
	/* Wide characters never straddle the edge. */
	assert_wrap(CJK_WORLD CJK_WORLD, 5, 5, 2, (size_t[]){ 0, 6 });
	assert_wrap("a" CJK_WORLD, 2, 2, 3, (size_t[]){ 0, 1, 4 });
	/* Width 1: a wide character alone on its row. */
	assert_wrap(CJK_WORLD, 1, 1, 2, (size_t[]){ 0, 3 });
	/* A different first row width. */
	assert_wrap("aaa bbb ccc", 3, 7, 2, (size_t[]){ 0, 4 });
	assert_wrap("aaa bbb ccc", 0, 3, 4, (size_t[]){ 0, 1, 4, 8 });
	assert_wrap("aaa bbb ccc", 11, 3, 1, (size_t[]){ 0 });
	/* Combining marks stay with their letter. */
	assert_wrap("ae" ACUTE "b", 2, 2, 2, (size_t[]){ 0, 4 });
}

/*
 * A word that exactly fills the row before a space stays on the row:
 * "ab cd ef" in 5 columns is "ab cd" and "ef".
 */
static void
test_wrap_word_fills_row(void **state)
{
	(void)state;
	assert_wrap("ab cd ef", 5, 5, 2, (size_t[]){ 0, 6 });
	assert_wrap("one two three four", 7, 7, 3, (size_t[]){ 0, 8, 14 });
	assert_wrap("x " CJK_WORLD " y", 6, 6, 2, (size_t[]){ 0, 9 });
}

/*
 * A combining mark after a character wider than the row stays with it:
 * U+4E16 U+0301 in 1 column is one row, not a row for the mark alone.
 */
static void
test_wrap_mark_after_wide(void **state)
{
	(void)state;
	assert_wrap("\xe4\xb8\x96" ACUTE, 1, 1, 1, (size_t[]){ 0 });
	assert_wrap("\xe4\xb8\x96" ACUTE "a", 1, 1, 2, (size_t[]){ 0, 5 });
	assert_wrap(PARTY ACUTE ACUTE " b", 1, 1, 2, (size_t[]){ 0, 9 });
}

/* The returned count is the real one whatever max is. */
static void
test_wrap_count_beyond_max(void **state)
{
	size_t	starts[4] = { 7, 7, 7, 7 };
	size_t	rows;

	(void)state;
	/* Ten words of four letters in four columns: ten rows. */
	rows = chatlog_wrap("abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd",
	    4, 4, starts, 3);
	assert_int_equal(rows, 10);
	assert_int_equal(starts[0], 0);
	assert_int_equal(starts[1], 5);
	assert_int_equal(starts[2], 10);
	assert_int_equal(starts[3], 7);
	assert_int_equal(chatlog_wrap("abcd abcd abcd", 4, 4, NULL, 0), 3);
	assert_int_equal(chatlog_wrap("", 4, 4, NULL, 0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get),
		cmocka_unit_test(test_ring_overwrite),
		cmocka_unit_test(test_strings_copied),
		cmocka_unit_test(test_wrap_examples),
		cmocka_unit_test(test_wrap_word_fills_row),
		cmocka_unit_test(test_wrap_mark_after_wide),
		cmocka_unit_test(test_wrap_count_beyond_max),
		cmocka_unit_test(test_wrap_properties),
	};

	/* Widths come from wcwidth(), which needs a UTF-8 locale. */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "test_chatlog: no C.UTF-8 locale\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
