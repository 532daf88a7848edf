/*
 * Fuzz target for what untrusted text goes through before the screen:
 * screentext_safe(), the widths, chatlog_wrap() and screentext_json().
 * The first two bytes are the first row's width and the other rows'
 * (1 to 64 columns); the rest is the text, as a peer or server could send
 * it. The safe form must be valid UTF-8 with no control left and the same
 * width as the text; the rows must start on code points, in order, each
 * within its width unless it is a single character too wide for any row;
 * a JSON line made safe must decode to the same string.
 */
#include "config.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chatlog.h"
#include "screentext.h"
#include "utf8.h"
#include "xmalloc.h"

#define ROWS_MAX	512

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Stop with a message: libFuzzer records the input. */
static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_screentext: %s\n", why);
	abort();
}

/* Check the safe form of text[0..len). */
static void
check_safe(const char *text, size_t len)
{
	char	*s = screentext_safe(text, len);
	size_t	 n = strlen(s), used;

	if (!utf8_valid((const uint8_t *)s, n))
		fail("safe form is not valid UTF-8");
	for (size_t i = 0; i < n; i += used)
		if (screentext_control(utf8_decode((const uint8_t *)s + i,
		    n - i, &used)))
			fail("a control is left in the safe form");
	if (screentext_text_width(s, n) != screentext_text_width(text, len))
		fail("the safe form's width differs");
	free(s);
}

/* Return how many code points of s[0..len) take columns. */
static size_t
visible(const char *s, size_t len)
{
	size_t	n = 0, used;

	for (size_t i = 0; i < len; i += used)
		if (screentext_width(utf8_decode((const uint8_t *)s + i,
		    len - i, &used)) > 0)
			n++;
	return n;
}

/* Check the rows chatlog_wrap() cuts text (NUL-terminated) into. */
static void
check_wrap(const char *text, int first, int width)
{
	static size_t	starts[ROWS_MAX];
	size_t		len = strlen(text), rows, end;

	rows = chatlog_wrap(text, first, width, starts, ROWS_MAX);
	if (rows == 0 || starts[0] != 0)
		fail("no first row");
	/* Past ROWS_MAX only the count is known: check the rows stored. */
	if (rows > ROWS_MAX) {
		rows = ROWS_MAX - 1;
		len = starts[ROWS_MAX - 1];
	}
	for (size_t r = 0; r < rows; r++) {
		end = r + 1 < rows ? starts[r + 1] : len;
		if (end < starts[r] || end > len)
			fail("rows out of order");
		if (r > 0 && end == starts[r])
			fail("an empty row");
		/* A row starts on a code point boundary. */
		if (starts[r] < len &&
		    (((uint8_t)text[starts[r]] & 0xc0) == 0x80 &&
		    utf8_valid((const uint8_t *)text, len)))
			fail("a row starts inside a character");
		while (end > starts[r] && text[end - 1] == ' ')
			end--;
		/* Too wide only if one character (with its marks) is. */
		if (screentext_text_width(text + starts[r], end - starts[r]) >
		    (r == 0 ? first : width) &&
		    visible(text + starts[r], end - starts[r]) > 1)
			fail("a row is wider than its width");
	}
}

/* Check that a JSON line made safe decodes to the same string. */
static void
check_json(const char *text)
{
	json_object	*o = json_object_new_string(text), *back;
	char		*line;

	line = screentext_json(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	for (size_t i = 0; line[i] != '\0'; i++)
		if ((uint8_t)line[i] == 0x7f)
			fail("DEL left in a JSON line");
	if ((back = json_tokener_parse(line)) == NULL ||
	    strcmp(json_object_get_string(back), text) != 0)
		fail("the JSON line decodes to another string");
	json_object_put(back);
	json_object_put(o);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 locale_set;
	char		*text;
	int		 first, width;

	if (!locale_set) {
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
			fail("no C.UTF-8 locale");
		locale_set = 1;
	}
	if (size < 2)
		return 0;
	first = 1 + data[0] % 64;
	width = 1 + data[1] % 64;
	data += 2;
	size -= 2;
	check_safe((const char *)data, size);
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	check_wrap(text, first, width);
	/* json-c takes only valid UTF-8 strings without NUL. */
	if (utf8_valid(data, size))
		check_json(text);
	free(text);
	return 0;
}
