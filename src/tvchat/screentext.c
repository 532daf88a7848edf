/*
 * Strings from the network reach the terminal only through here. A peer
 * or a hostile server could otherwise move the cursor (CR, BS, LF), write
 * escape sequences (ESC, C1's CSI), or reorder what is shown (the bidi
 * embeddings, overrides and isolates of Trojan Source), and so forge a
 * line that seems to come from someone else. Such code points are drawn
 * in a visible form instead: C0 controls and DEL in caret notation ("^M",
 * "^?"), the others as "<U+202E>"; so are code points the terminal has no
 * width for (unassigned ones), which would otherwise be drawn by ncurses
 * at a width we did not count. Every width here is the width of what is
 * really drawn, so wrapping and columns stay exact.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "screentext.h"
#include "utf8.h"
#include "xmalloc.h"

/*
 * Return 1 if cp is never written raw, whatever the locale: C0 controls,
 * DEL, C1 controls, the bidi embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators
 * (U+2028, U+2029); else 0.
 */
int
screentext_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029;
}

/* Return wcwidth(cp), or -1 for what the locale cannot print. */
static int
terminal_width(uint32_t cp)
{
	if (screentext_control(cp))
		return -1;
	if (cp < 0x7f)
		return 1;
	return wcwidth((wchar_t)cp);
}

/*
 * If cp must not be drawn as it is, write its visible form ("^M",
 * "<U+202E>") and a NUL into out (SCREENTEXT_ESCAPE_MAX bytes) and return
 * the form's length; else return 0.
 */
size_t
screentext_escape(uint32_t cp, char *out)
{
	int	n;

	if (terminal_width(cp) >= 0)
		return 0;
	if (cp < 0x20 || cp == 0x7f) {
		out[0] = '^';
		out[1] = (char)(cp ^ 0x40);	/* ^@ .. ^_, and ^? for DEL */
		out[2] = '\0';
		return 2;
	}
	n = snprintf(out, SCREENTEXT_ESCAPE_MAX, "<U+%04X>", (unsigned)cp);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Return the columns cp takes on the screen once made safe: 0 for
 * combining marks, 2 for wide characters (CJK, most emoji), the width of
 * its visible form for one that is escaped, else 1. Needs a UTF-8
 * LC_CTYPE for wcwidth().
 */
int
screentext_width(uint32_t cp)
{
	char	form[SCREENTEXT_ESCAPE_MAX];
	int	w = terminal_width(cp);

	if (w >= 0)
		return w;
	return (int)screentext_escape(cp, form);
}

/* Return the columns UTF-8 text s[0..len) takes once made safe. */
int
screentext_text_width(const char *s, size_t len)
{
	size_t	used;
	int	w = 0;

	for (size_t i = 0; i < len; i += used)
		w += screentext_width(utf8_decode((const uint8_t *)s + i,
		    len - i, &used));
	return w;
}

/*
 * Return a new string: UTF-8 s[0..len) with each code point that must not
 * be drawn raw replaced by its visible form, and invalid bytes by U+FFFD.
 */
char *
screentext_safe(const char *s, size_t len)
{
	char	*out, *o;
	size_t	 used;

	/* Each input byte grows at most to one visible form. */
	out = o = xreallocarray(NULL, len + 1, SCREENTEXT_ESCAPE_MAX);
	for (size_t i = 0; i < len; i += used) {
		uint32_t cp = utf8_decode((const uint8_t *)s + i, len - i,
		    &used);
		size_t n = screentext_escape(cp, o);

		if (n == 0)
			n = utf8_encode(cp, o);
		o += n;
	}
	*o = '\0';
	return out;
}

/*
 * Return a new copy of JSON text json (valid UTF-8, as json-c writes it)
 * in which DEL and every other code point screentext_control() names above
 * it is written as a \uXXXX escape: the same JSON value, but bytes a
 * terminal can show as they are. Such code points can only occur inside
 * strings, where the escape means the same; C0 controls are escaped there
 * by any JSON writer already, and outside strings are whitespace.
 */
char *
screentext_json(const char *json)
{
	size_t	 len = strlen(json), used;
	char	*out, *o;

	out = o = xreallocarray(NULL, len + 1, 6);	/* "\u202e" */
	for (size_t i = 0; i < len; i += used) {
		uint32_t cp = utf8_decode((const uint8_t *)json + i, len - i,
		    &used);

		if (cp >= 0x7f && screentext_control(cp)) {
			snprintf(o, 7, "\\u%04x", (unsigned)(cp & 0xffff));
			o += 6;
		} else {
			memcpy(o, json + i, used);
			o += used;
		}
	}
	*o = '\0';
	return out;
}
