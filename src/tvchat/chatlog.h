/* The chat pane's scrollback, and word wrapping by display width. */
#ifndef TVCHAT_CHATLOG_H
#define TVCHAT_CHATLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CHATLOG_MAX	20000	/* lines kept */

enum line_kind {
	LINE_CHAT,	/* <from> text */
	LINE_ACTION,	/* * from text */
	LINE_SYSTEM,	/* -!- text: joins, leaves, notices */
	LINE_ERROR,	/* errors */
	LINE_WARNING,	/* key changes, unverified messages: loud */
};

#define LINE_DIRECT	0x01	/* a direct message */
#define LINE_UNVERIFIED	0x02	/* signature or key not verified */
#define LINE_SELF	0x04	/* sent by us */
#define LINE_MENTION	0x08	/* mentions our name */

struct chat_line {
	time_t		 ts;
	uint8_t		 kind;
	uint8_t		 flags;
	char		*from;		/* may be NULL */
	char		*to;		/* room or "a, b" for direct; may be NULL */
	char		*text;
};

struct chatlog {
	struct chat_line *ring;	/* oldest at head */
	size_t		  head;		/* oldest */
	size_t		  count;
	size_t		  max;
	uint64_t	  added;	/* lines ever added */
};

void			 chatlog_init(struct chatlog *, size_t);
void			 chatlog_free(struct chatlog *);
void			 chatlog_add(struct chatlog *, time_t, enum line_kind,
			    int, const char *, const char *, const char *);
const struct chat_line	*chatlog_get(const struct chatlog *, size_t);
size_t			 chatlog_wrap(const char *, int, int, size_t *,
			    size_t);

#endif
