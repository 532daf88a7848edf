/*
 * The input line of the TUI, without curses: a buffer of code points with
 * a cursor, editing by grapheme (a base character and the combining marks
 * after it), a kill buffer, history with the unsent draft kept, Tab
 * completion that cycles through matches, and the arithmetic of which part
 * of a long line is visible in a given width.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "input.h"
#include "screentext.h"
#include "xmalloc.h"

/* Initialise an empty input line. */
void
input_init(struct input *in)
{
	memset(in, 0, sizeof *in);
}

/* Forget completion state (after any key but Tab). */
void
input_complete_reset(struct input *in)
{
	for (size_t i = 0; i < in->nmatches; i++)
		free(in->matches[i]);
	free(in->matches);
	in->matches = NULL;
	in->nmatches = 0;
}

/* Free everything. */
void
input_free(struct input *in)
{
	input_complete_reset(in);
	for (size_t i = 0; i < in->nhistory; i++)
		free(in->history[i]);
	free(in->history);
	free(in->text);
	free(in->draft);
	free(in->killed);
	input_init(in);
}

/* Empty the line (history is kept). */
void
input_clear(struct input *in)
{
	in->len = in->cursor = in->scroll = 0;
}

/* Insert n code points at the cursor; return 0, or -1 if too long. */
static int
insert_many(struct input *in, const uint32_t *cps, size_t n)
{
	if (n > INPUT_MAX - in->len)
		return -1;
	if (in->len + n > in->cap) {
		in->cap = (in->len + n) * 2 + 64;
		in->text = xreallocarray(in->text, in->cap, sizeof *in->text);
	}
	memmove(in->text + in->cursor + n, in->text + in->cursor,
	    (in->len - in->cursor) * sizeof *in->text);
	memcpy(in->text + in->cursor, cps, n * sizeof *cps);
	in->len += n;
	in->cursor += n;
	return 0;
}

/* Insert one printable code point; control characters are ignored. */
int
input_insert(struct input *in, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return insert_many(in, &cp, 1);
}

/*
 * Insert UTF-8 text (a paste); control characters become spaces except
 * that the text is cut at the first newline. Returns 0, or -1 if the line
 * would be too long (nothing is inserted then).
 */
int
input_insert_utf8(struct input *in, const char *s, size_t len)
{
	uint32_t	*cps = xreallocarray(NULL, len + 1, sizeof *cps);
	size_t		 n = 0, used;
	int		 r;

	for (size_t i = 0; i < len; i += used) {
		uint32_t cp = utf8_decode((const uint8_t *)s + i, len - i,
		    &used);

		if (cp == '\n' || cp == '\r')
			break;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			cp = ' ';
		cps[n++] = cp;
	}
	r = insert_many(in, cps, n);
	free(cps);
	return r;
}

/* Return 1 if cp joins the character before it (a combining mark). */
static int
is_joining(uint32_t cp)
{
	return cp >= 0x300 && screentext_width(cp) == 0;
}

/* Move left by one grapheme. */
void
input_left(struct input *in)
{
	while (in->cursor > 0) {
		in->cursor--;
		if (!is_joining(in->text[in->cursor]))
			break;
	}
}

/* Move right by one grapheme. */
void
input_right(struct input *in)
{
	if (in->cursor < in->len)
		in->cursor++;
	while (in->cursor < in->len && is_joining(in->text[in->cursor]))
		in->cursor++;
}

void
input_home(struct input *in)
{
	in->cursor = 0;
}

void
input_end(struct input *in)
{
	in->cursor = in->len;
}

/* Return 1 if cp is part of a word (for word motion and Ctrl-W). */
static int
is_word(uint32_t cp)
{
	return cp != ' ' && cp != '\t';
}

/* Move to the start of the word before the cursor. */
void
input_word_left(struct input *in)
{
	while (in->cursor > 0 && !is_word(in->text[in->cursor - 1]))
		in->cursor--;
	while (in->cursor > 0 && is_word(in->text[in->cursor - 1]))
		in->cursor--;
}

/* Move past the end of the word after the cursor. */
void
input_word_right(struct input *in)
{
	while (in->cursor < in->len && !is_word(in->text[in->cursor]))
		in->cursor++;
	while (in->cursor < in->len && is_word(in->text[in->cursor]))
		in->cursor++;
}

/* Return code points [from, to) as a new UTF-8 string. */
static char *
range_utf8(const struct input *in, size_t from, size_t to)
{
	char	*s = xmalloc((to - from) * 4 + 1), *o = s;

	for (size_t i = from; i < to; i++)
		o += utf8_encode(in->text[i], o);
	*o = '\0';
	return s;
}

/* Remove code points [from, to), keeping them for yank if kill is set. */
static void
cut(struct input *in, size_t from, size_t to, int kill)
{
	if (from >= to)
		return;
	if (kill) {
		free(in->killed);
		in->killed = range_utf8(in, from, to);
	}
	memmove(in->text + from, in->text + to,
	    (in->len - to) * sizeof *in->text);
	in->len -= to - from;
	if (in->cursor > to)
		in->cursor -= to - from;
	else if (in->cursor > from)
		in->cursor = from;
}

/* Delete the grapheme before the cursor. */
void
input_backspace(struct input *in)
{
	size_t	end = in->cursor;

	input_left(in);
	cut(in, in->cursor, end, 0);
}

/* Delete the grapheme under the cursor. */
void
input_delete(struct input *in)
{
	size_t	start = in->cursor;

	input_right(in);
	cut(in, start, in->cursor, 0);
	in->cursor = start;
}

/* Ctrl-K: cut from the cursor to the end. */
void
input_kill_to_end(struct input *in)
{
	cut(in, in->cursor, in->len, 1);
}

/* Ctrl-U: cut from the start to the cursor. */
void
input_kill_to_start(struct input *in)
{
	cut(in, 0, in->cursor, 1);
}

/* Ctrl-W: cut the word before the cursor (and the spaces after it). */
void
input_kill_word(struct input *in)
{
	size_t	end = in->cursor;

	input_word_left(in);
	cut(in, in->cursor, end, 1);
}

/* Ctrl-Y: paste the last cut text at the cursor. */
void
input_yank(struct input *in)
{
	if (in->killed != NULL)
		input_insert_utf8(in, in->killed, strlen(in->killed));
}

/* Return the whole line as a new UTF-8 string. */
char *
input_text(const struct input *in)
{
	return range_utf8(in, 0, in->len);
}

/* Replace the line with UTF-8 text s, cursor at the end. */
static void
set_text(struct input *in, const char *s)
{
	input_clear(in);
	input_insert_utf8(in, s, strlen(s));
}

/*
 * Take the line for sending: return it as a new string, add it to the
 * history (unless empty or equal to the last entry) and clear the line.
 */
char *
input_take(struct input *in)
{
	char	*s = input_text(in);

	if (s[0] != '\0' && (in->nhistory == 0 ||
	    strcmp(in->history[in->nhistory - 1], s) != 0)) {
		if (in->nhistory == INPUT_HISTORY) {
			free(in->history[0]);
			memmove(in->history, in->history + 1,
			    (INPUT_HISTORY - 1) * sizeof *in->history);
			in->nhistory--;
		}
		in->history = xreallocarray(in->history, in->nhistory + 1,
		    sizeof *in->history);
		in->history[in->nhistory++] = xstrdup(s);
	}
	in->hpos = in->nhistory;
	free(in->draft);
	in->draft = NULL;
	input_clear(in);
	return s;
}

/* Up: show the previous history entry (the draft is kept). */
void
input_history_prev(struct input *in)
{
	if (in->hpos == 0)
		return;
	if (in->hpos == in->nhistory) {
		free(in->draft);
		in->draft = input_text(in);
	}
	in->hpos--;
	set_text(in, in->history[in->hpos]);
}

/* Down: show the next history entry, or the draft after the last. */
void
input_history_next(struct input *in)
{
	if (in->hpos >= in->nhistory)
		return;
	in->hpos++;
	if (in->hpos == in->nhistory)
		set_text(in, in->draft != NULL ? in->draft : "");
	else
		set_text(in, in->history[in->hpos]);
}

/*
 * Tab: complete the word before the cursor with the candidates fn gives
 * (told whether the word starts the line); the first Tab inserts the
 * first match, the next ones cycle. A name completed at the start of the
 * line gets ": " after it, anything else a space.
 */
void
input_complete(struct input *in, input_complete_fn fn, void *arg)
{
	char	*word, suffix[3];
	size_t	 start;

	if (in->nmatches == 0) {
		start = in->cursor;
		while (start > 0 && is_word(in->text[start - 1]))
			start--;
		word = range_utf8(in, start, in->cursor);
		in->nmatches = fn(arg, word, start == 0, &in->matches);
		free(word);
		if (in->nmatches == 0)
			return;
		in->match = 0;
		in->word_start = start;
	} else {
		in->match = (in->match + 1) % in->nmatches;
	}
	cut(in, in->word_start, in->cursor, 0);
	in->cursor = in->word_start;
	input_insert_utf8(in, in->matches[in->match],
	    strlen(in->matches[in->match]));
	if (in->word_start == 0 && in->matches[in->match][0] != '/' &&
	    in->matches[in->match][0] != '#')
		strcpy(suffix, ": ");
	else
		strcpy(suffix, " ");
	input_insert_utf8(in, suffix, strlen(suffix));
}

/*
 * Work out what to show in width columns: returns the index of the first
 * visible code point (kept so the cursor stays visible, with a margin),
 * sets *end to one past the last visible one and *cursor_col to the
 * cursor's column.
 */
size_t
input_view(struct input *in, int width, size_t *end, int *cursor_col)
{
	int	col, w;
	size_t	i;

	if (width < 1)
		width = 1;
	if (in->scroll > in->cursor)
		in->scroll = in->cursor;
	/* Move the start right until the cursor fits (with 1 column spare
	 * for the cursor itself at the end of the line). */
	for (;;) {
		col = 0;
		for (i = in->scroll; i < in->cursor; i++)
			col += screentext_width(in->text[i]);
		if (col < width || in->scroll >= in->cursor)
			break;
		in->scroll++;
		while (in->scroll < in->cursor &&
		    is_joining(in->text[in->scroll]))
			in->scroll++;
	}
	/* Keep a little context on the left when scrolling back, a whole
	 * grapheme at a time so a mark never shows without its letter. */
	while (in->scroll > 0 && in->cursor - in->scroll < 4) {
		size_t	g = in->scroll;
		int	gw = 0;

		while (g > 0) {
			gw += screentext_width(in->text[--g]);
			if (!is_joining(in->text[g]))
				break;
		}
		if (col + gw >= width / 2)
			break;
		in->scroll = g;
		col += gw;
	}
	*cursor_col = col;
	col = 0;
	for (i = in->scroll; i < in->len; i++) {
		w = screentext_width(in->text[i]);
		if (col + w > width)
			break;
		col += w;
	}
	*end = i;
	return in->scroll;
}
