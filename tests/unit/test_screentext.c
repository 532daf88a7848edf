/*
 * Unit tests for screentext.c: which code points are never drawn raw,
 * their visible forms and widths, whole strings made safe, and JSON lines
 * made safe for a terminal without changing what they decode to.
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

#include <json-c/json.h>

#include "chatlog.h"
#include "screentext.h"
#include "utf8.h"

#define CJK_WORLD	"\xe4\xb8\x96\xe7\x95\x8c"	/* U+4E16 U+754C */
#define PARTY		"\xf0\x9f\x8e\x89"		/* U+1F389 */
#define ACUTE		"\xcc\x81"			/* U+0301 */
#define RLO		"\xe2\x80\xae"			/* U+202E */
#define CSI		"\xc2\x9b"			/* U+009B */

/* Return screentext_safe() of NUL-terminated s (caller frees). */
static char *
safe(const char *s)
{
	return screentext_safe(s, strlen(s));
}

/* Return the width of NUL-terminated s once made safe. */
static int
width(const char *s)
{
	return screentext_text_width(s, strlen(s));
}

/* Exactly C0, DEL, C1, bidi embeddings/overrides/isolates and the line
 * and paragraph separators are controls. */
static void
test_control_set(void **state)
{
	(void)state;
	for (uint32_t cp = 0; cp < 0x3000; cp++) {
		int want = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
		    cp == 0x2029;

		if (screentext_control(cp) != want)
			fail_msg("U+%04X: control %d, want %d", cp,
			    screentext_control(cp), want);
	}
	assert_false(screentext_control(0x10ffff - 2));
	assert_false(screentext_control(0xa0));
	assert_false(screentext_control(0x200e));	/* LRM: a mark */
}

/* Visible forms: caret notation for C0 and DEL, <U+XXXX> for the rest. */
static void
test_escape_forms(void **state)
{
	char	out[SCREENTEXT_ESCAPE_MAX];

	(void)state;
	assert_int_equal(screentext_escape('\r', out), 2);
	assert_string_equal(out, "^M");
	assert_int_equal(screentext_escape(0, out), 2);
	assert_string_equal(out, "^@");
	assert_int_equal(screentext_escape(0x1b, out), 2);
	assert_string_equal(out, "^[");
	assert_int_equal(screentext_escape(0x1f, out), 2);
	assert_string_equal(out, "^_");
	assert_int_equal(screentext_escape(0x7f, out), 2);
	assert_string_equal(out, "^?");
	assert_int_equal(screentext_escape(0x85, out), 8);
	assert_string_equal(out, "<U+0085>");
	assert_int_equal(screentext_escape(0x202e, out), 8);
	assert_string_equal(out, "<U+202E>");
	assert_int_equal(screentext_escape(0x2069, out), 8);
	assert_string_equal(out, "<U+2069>");
	/* Unassigned: the terminal has no width for it. */
	assert_int_equal(screentext_escape(0xe008d,
	    out), strlen("<U+E008D>"));
	assert_string_equal(out, "<U+E008D>");
	/* Printable ones are drawn as they are. */
	assert_int_equal(screentext_escape('a', out), 0);
	assert_int_equal(screentext_escape(0x4e16, out), 0);
	assert_int_equal(screentext_escape(0x301, out), 0);
	assert_int_equal(screentext_escape(0xfffd, out), 0);
}

/* Widths count what is drawn: a control as its visible form. */
static void
test_widths(void **state)
{
	(void)state;
	assert_int_equal(screentext_width('a'), 1);
	assert_int_equal(screentext_width(0x4e16), 2);
	assert_int_equal(screentext_width(0x1f389), 2);
	assert_int_equal(screentext_width(0x301), 0);
	assert_int_equal(screentext_width(0x07), 2);
	assert_int_equal(screentext_width(0x7f), 2);
	assert_int_equal(screentext_width(0x9b), 8);
	assert_int_equal(screentext_width(0x202e), 8);
	assert_int_equal(width(""), 0);
	assert_int_equal(width("abc"), 3);
	assert_int_equal(width("a b"), 3);
	assert_int_equal(width(CJK_WORLD), 4);
	assert_int_equal(width(PARTY), 2);
	assert_int_equal(width("e" ACUTE), 1);
	assert_int_equal(width("e" ACUTE "\xcc\xa3\xcc\x82"), 1);
	assert_int_equal(width("x" CJK_WORLD "e" ACUTE PARTY), 1 + 4 + 1 + 2);
	/* U+00E9 precomposed, U+00A0 no-break space, U+2014 em dash. */
	assert_int_equal(width("\xc3\xa9\xc2\xa0\xe2\x80\x94"), 3);
	/* Invalid bytes show as U+FFFD, one column each. */
	assert_int_equal(width("a\xff\xfe" "b"), 4);
	assert_int_equal(width("ok\r\b\x1b[2J"), 2 + 2 + 2 + 2 + 3);
	assert_int_equal(width(RLO "abc"), 8 + 3);
	/* The width of a string is the width of its safe form. */
	{
		char *s = safe("x\r" RLO CSI "\x7f" CJK_WORLD);

		assert_int_equal(width(s), width("x\r" RLO CSI "\x7f"
		    CJK_WORLD));
		free(s);
	}
}

/* The forged lines of the attack run come out on one line, visibly. */
static void
test_safe_strings(void **state)
{
	char	*s;

	(void)state;
	s = safe("\r02:03 <alice> wire 500 EUR");
	assert_string_equal(s, "^M02:03 <alice> wire 500 EUR");
	free(s);
	s = safe("ok\b\b<bob> hi");
	assert_string_equal(s, "ok^H^H<bob> hi");
	free(s);
	s = safe("bye\n02:03 -!- alice's key verified OK");
	assert_string_equal(s, "bye^J02:03 -!- alice's key verified OK");
	free(s);
	s = safe("\x1b]0;title\x07" CSI "31m");
	assert_string_equal(s, "^[]0;title^G<U+009B>31m");
	free(s);
	s = safe("abc" RLO "cba\xe2\x81\xa6x\xe2\x81\xa9");
	assert_string_equal(s, "abc<U+202E>cba<U+2066>x<U+2069>");
	free(s);
	s = safe("caf\xc3\xa9 " CJK_WORLD " e" ACUTE " " PARTY);
	assert_string_equal(s, "caf\xc3\xa9 " CJK_WORLD " e" ACUTE " " PARTY);
	free(s);
	s = safe("a\xff" "b");
	assert_string_equal(s, "a\xef\xbf\xbd" "b");
	free(s);
	/* Embedded NULs are shown too (the length is what counts). */
	s = screentext_safe("a\0b", 3);
	assert_string_equal(s, "a^@b");
	free(s);
	s = safe("");
	assert_string_equal(s, "");
	free(s);
}

/* Every result is valid UTF-8 with no control left in it. */
static void
test_safe_all_code_points(void **state)
{
	char	in[5], *s;
	size_t	n, used;

	(void)state;
	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = utf8_encode(cp, in);
		s = screentext_safe(in, n);
		if (!utf8_valid((const uint8_t *)s, strlen(s)))
			fail_msg("U+%04X: not valid UTF-8", cp);
		for (size_t i = 0; s[i] != '\0'; i += used)
			if (screentext_control(utf8_decode(
			    (const uint8_t *)s + i, strlen(s) - i, &used)))
				fail_msg("U+%04X: a control is left", cp);
		if (screentext_text_width(s, strlen(s)) !=
		    screentext_width(cp))
			fail_msg("U+%04X: width %d, safe form %d", cp,
			    screentext_width(cp),
			    screentext_text_width(s, strlen(s)));
		free(s);
	}
}

/* A JSON line keeps its value but loses its raw DEL, C1 and bidi bytes. */
static void
test_json(void **state)
{
	const char *text = "a\x7f" CSI "b" RLO "c\xe2\x80\xa8\xc3\xa9\n";
	json_object	*o = json_object_new_object(), *back;
	char		*line;

	(void)state;
	json_object_object_add(o, "text", json_object_new_string(text));
	line = screentext_json(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	assert_string_equal(line, "{\"text\":\"a\\u007f\\u009bb\\u202ec"
	    "\\u2028\xc3\xa9\\n\"}");
	back = json_tokener_parse(line);
	assert_non_null(back);
	assert_string_equal(json_object_get_string(
	    json_object_object_get(back, "text")), text);
	json_object_put(back);
	json_object_put(o);
	free(line);
	line = screentext_json("{\"a\":[1,2],\"b\":\"" CJK_WORLD "\"}");
	assert_string_equal(line, "{\"a\":[1,2],\"b\":\"" CJK_WORLD "\"}");
	free(line);
}

/* Wrapping counts a control as its visible form and never splits it. */
static void
test_wrap_controls(void **state)
{
	size_t	starts[8], rows;

	(void)state;
	/* "a^M" is 3 columns; "^[" does not fit after it in 4. */
	rows = chatlog_wrap("a\r\x1b" "xy", 4, 4, starts, 8);
	assert_int_equal(rows, 2);
	assert_int_equal(starts[1], 2);
	/* An 8-column override alone on rows of 8. */
	rows = chatlog_wrap("ab" RLO "cd", 8, 8, starts, 8);
	assert_int_equal(rows, 3);
	assert_int_equal(starts[1], 2);
	assert_int_equal(starts[2], 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_set),
		cmocka_unit_test(test_escape_forms),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_safe_strings),
		cmocka_unit_test(test_safe_all_code_points),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_wrap_controls),
	};

	/* Widths come from wcwidth(), which needs a UTF-8 locale. */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "test_screentext: no C.UTF-8 locale\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
