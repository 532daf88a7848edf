/* The input line: UTF-8 editing, history and completion (no curses). */
#ifndef TVCHAT_INPUT_H
#define TVCHAT_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

#define INPUT_MAX		(64 * 1024)	/* code points on one line */
#define INPUT_HISTORY		500

struct input {
	uint32_t	*text;		/* code points */
	size_t		 len;
	size_t		 cap;
	size_t		 cursor;	/* index into text */
	size_t		 scroll;	/* first code point shown */
	char		**history;	/* oldest first */
	size_t		 nhistory;
	size_t		 hpos;		/* == nhistory: the draft */
	char		*draft;
	char		*killed;	/* last text cut (Ctrl-U/K/W), for Ctrl-Y */
	/* Tab completion state: cycling through matches. */
	char		**matches;
	size_t		 nmatches;
	size_t		 match;
	size_t		 word_start;
};

/* Completion candidates for a word: fills *out (strings owned by caller). */
typedef size_t (*input_complete_fn)(void *, const char *, int, char ***);

void	 input_init(struct input *);
void	 input_free(struct input *);
void	 input_clear(struct input *);
int	 input_insert(struct input *, uint32_t);
int	 input_insert_utf8(struct input *, const char *, size_t);
void	 input_left(struct input *);
void	 input_right(struct input *);
void	 input_home(struct input *);
void	 input_end(struct input *);
void	 input_word_left(struct input *);
void	 input_word_right(struct input *);
void	 input_backspace(struct input *);
void	 input_delete(struct input *);
void	 input_kill_to_end(struct input *);
void	 input_kill_to_start(struct input *);
void	 input_kill_word(struct input *);
void	 input_yank(struct input *);
char	*input_text(const struct input *);
char	*input_take(struct input *);
void	 input_history_prev(struct input *);
void	 input_history_next(struct input *);
void	 input_complete(struct input *, input_complete_fn, void *);
void	 input_complete_reset(struct input *);
size_t	 input_view(struct input *, int, size_t *, int *);


#endif
