/*
 * The chat pane's scrollback: a ring of the last lines, and word wrapping
 * that measures text in terminal columns as screentext.c draws it (wide
 * CJK and emoji take two, a combining mark none, a control its visible
 * form), never splits a character, and breaks at spaces where it can.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "chatlog.h"
#include "screentext.h"
#include "utf8.h"
#include "xmalloc.h"

/* Initialise an empty log keeping at most max lines. */
void
chatlog_init(struct chatlog *log, size_t max)
{
	memset(log, 0, sizeof *log);
	log->max = max;
	log->ring = xcalloc(max, sizeof *log->ring);
}

/* Free a line's strings. */
static void
line_free(struct chat_line *l)
{
	free(l->from);
	free(l->to);
	free(l->text);
	memset(l, 0, sizeof *l);
}

/* Free the log. */
void
chatlog_free(struct chatlog *log)
{
	for (size_t i = 0; i < log->count; i++)
		line_free(&log->ring[(log->head + i) % log->max]);
	free(log->ring);
	memset(log, 0, sizeof *log);
}

/* Add a line (strings are copied; from and to may be NULL). */
void
chatlog_add(struct chatlog *log, time_t ts, enum line_kind kind, int flags,
    const char *from, const char *to, const char *text)
{
	struct chat_line	*l;

	if (log->count == log->max) {
		line_free(&log->ring[log->head]);
		log->head = (log->head + 1) % log->max;
		log->count--;
	}
	l = &log->ring[(log->head + log->count) % log->max];
	l->ts = ts;
	l->kind = (uint8_t)kind;
	l->flags = (uint8_t)flags;
	l->from = from ? xstrdup(from) : NULL;
	l->to = to ? xstrdup(to) : NULL;
	l->text = xstrdup(text);
	log->count++;
	log->added++;
}

/* Return line i, 0 being the oldest kept, or NULL. */
const struct chat_line *
chatlog_get(const struct chatlog *log, size_t i)
{
	if (i >= log->count)
		return NULL;
	return &log->ring[(log->head + i) % log->max];
}

/*
 * Wrap UTF-8 text into rows: the first row is first_width columns wide,
 * the others width columns. Stores the byte offset where each row starts
 * in starts[] (at most max) and returns the number of rows (at least 1).
 * A row breaks after the last space that fits, or, in a word longer than
 * the row, before the character that does not fit; the spaces at a break
 * are not carried to the next row.
 */
size_t
chatlog_wrap(const char *text, int first_width, int width, size_t *starts,
    size_t max)
{
	size_t	len = strlen(text), i = 0, used, rows = 0, row_start = 0;
	size_t	space = (size_t)-1;
	int	col = 0, limit = first_width, w;

	if (limit < 1)
		limit = 1;
	if (width < 1)
		width = 1;
	if (max > 0)
		starts[rows] = 0;
	rows = 1;
	while (i < len) {
		uint32_t cp = utf8_decode((const uint8_t *)text + i, len - i,
		    &used);

		w = screentext_width(cp);
		/* A combining mark (w == 0) stays with its character. */
		if (col + w > limit && col > 0 && w > 0) {
			size_t next;

			if (cp == ' ')
				next = i;		/* the row is full */
			else if (space != (size_t)-1 && space > row_start)
				next = space + 1;	/* after the space */
			else
				next = i;		/* hard break */
			while (next < len && text[next] == ' ')
				next++;
			if (next >= len)
				break;
			if (rows < max)
				starts[rows] = next;
			rows++;
			row_start = i = next;
			space = (size_t)-1;
			col = 0;
			limit = width;
			continue;
		}
		if (cp == ' ')
			space = i;
		col += w;
		i += used;
	}
	return rows;
}
