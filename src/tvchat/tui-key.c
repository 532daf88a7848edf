/*
 * Keys: each key the terminal sends becomes an action (keys.c), applied
 * here to the input line (input.c), the scrollback or the video.
 */
#include "config.h"

#include <stdlib.h>

#include <curses.h>

#include "keys.h"
#include "tui-private.h"

/* Scroll the chat pane by delta rows (positive: back in time). */
static void
scroll_by(struct tui *t, int delta)
{
	t->scroll += delta;
	if (t->scroll <= 0) {
		t->scroll = 0;
		t->unread = 0;
	}
}

/* Send the input line (Enter). */
static void
enter(struct tui *t)
{
	char	*line = input_take(&t->in);

	tui_command_run(t, line);
	free(line);
	t->scroll = 0;
	t->unread = 0;
}

/* Apply one key action. */
static void
key(struct tui *t, enum key_action a, wint_t ch)
{
	int	page = t->lay.chat.h > 2 ? t->lay.chat.h - 1 : 1;

	if (a != KEY_A_COMPLETE)
		input_complete_reset(&t->in);
	switch (a) {
	case KEY_A_INSERT:
		if (input_insert(&t->in, (uint32_t)ch) != 0)
			beep();
		break;
	case KEY_A_ENTER:
		enter(t);
		break;
	case KEY_A_LEFT:
		input_left(&t->in);
		break;
	case KEY_A_RIGHT:
		input_right(&t->in);
		break;
	case KEY_A_HOME:
		if (t->in.len == 0 && ch == KEY_HOME)
			scroll_by(t, 1 << 30);
		else
			input_home(&t->in);
		break;
	case KEY_A_END:
		if (t->in.len == 0 && ch == KEY_END)
			scroll_by(t, -(1 << 30));
		else
			input_end(&t->in);
		break;
	case KEY_A_WORD_LEFT:
		input_word_left(&t->in);
		break;
	case KEY_A_WORD_RIGHT:
		input_word_right(&t->in);
		break;
	case KEY_A_BACKSPACE:
		input_backspace(&t->in);
		break;
	case KEY_A_DELETE:
		input_delete(&t->in);
		break;
	case KEY_A_KILL_END:
		input_kill_to_end(&t->in);
		break;
	case KEY_A_KILL_START:
		input_kill_to_start(&t->in);
		break;
	case KEY_A_KILL_WORD:
		input_kill_word(&t->in);
		break;
	case KEY_A_YANK:
		input_yank(&t->in);
		break;
	case KEY_A_HISTORY_PREV:
		input_history_prev(&t->in);
		break;
	case KEY_A_HISTORY_NEXT:
		input_history_next(&t->in);
		break;
	case KEY_A_COMPLETE:
		input_complete(&t->in, tui_command_complete, t);
		break;
	case KEY_A_PAGE_UP:
		scroll_by(t, page);
		break;
	case KEY_A_PAGE_DOWN:
		scroll_by(t, -page);
		break;
	case KEY_A_REDRAW:
		clearok(curscr, TRUE);
		break;
	case KEY_A_QUIT:
		t->quit = 1;
		break;
	case KEY_A_VIDEO_PAUSE:
		tui_command_run(t, t->video.paused ? "/resume" : "/pause");
		break;
	case KEY_A_VIDEO_BACK:
		tui_command_run(t, "/seek -10");
		break;
	case KEY_A_VIDEO_FORWARD:
		tui_command_run(t, "/seek +10");
		break;
	case KEY_A_VIDEO_STOP:
		tui_command_run(t, "/stop");
		break;
	case KEY_A_RESIZE:
		tui_video_resized(t);
		break;
	case KEY_A_ESCAPE:
	case KEY_A_NONE:
		break;
	}
	t->dirty = 1;
}

/* Read every key waiting. */
void
tui_key_read(struct tui *t)
{
	wint_t	ch, next;
	int	r;

	while ((r = get_wch(&ch)) != ERR) {
		enum key_action a = keys_action(r == KEY_CODE_YES, ch);

		if (a == KEY_A_ESCAPE) {
			/* Alt-x arrives as ESC x; a lone ESC is ignored. */
			if (get_wch(&next) == OK)
				a = keys_alt_action(next);
			else
				a = KEY_A_NONE;
		}
		key(t, a, ch);
	}
}
