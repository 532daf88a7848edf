/* Key presses (as curses get_wch() reports them) to actions. */
#include "config.h"

#include <curses.h>

#include "keys.h"

#define CTRL(c)	((c) & 0x1f)

/*
 * Return the action for a key: is_code says ch is a curses KEY_ code
 * rather than a character.
 */
enum key_action
keys_action(int is_code, wint_t ch)
{
	if (is_code) {
		switch (ch) {
		case KEY_LEFT:
			return KEY_A_LEFT;
		case KEY_RIGHT:
			return KEY_A_RIGHT;
		case KEY_HOME:
			return KEY_A_HOME;
		case KEY_END:
			return KEY_A_END;
		case KEY_UP:
			return KEY_A_HISTORY_PREV;
		case KEY_DOWN:
			return KEY_A_HISTORY_NEXT;
		case KEY_BACKSPACE:
			return KEY_A_BACKSPACE;
		case KEY_DC:
			return KEY_A_DELETE;
		case KEY_PPAGE:
			return KEY_A_PAGE_UP;
		case KEY_NPAGE:
			return KEY_A_PAGE_DOWN;
		case KEY_ENTER:
			return KEY_A_ENTER;
		case KEY_RESIZE:
			return KEY_A_RESIZE;
		}
		/* Video keys: F-keys, so they never steal typing. */
		if (ch == (wint_t)KEY_F(5))
			return KEY_A_VIDEO_PAUSE;
		if (ch == (wint_t)KEY_F(6))
			return KEY_A_VIDEO_BACK;
		if (ch == (wint_t)KEY_F(7))
			return KEY_A_VIDEO_FORWARD;
		if (ch == (wint_t)KEY_F(8))
			return KEY_A_VIDEO_STOP;
		/* Ctrl-Left/Right as xterm reports them through terminfo. */
		return KEY_A_NONE;
	}
	switch (ch) {
	case '\r':
	case '\n':
		return KEY_A_ENTER;
	case '\t':
		return KEY_A_COMPLETE;
	case 0x7f:
	case CTRL('H'):
		return KEY_A_BACKSPACE;
	case CTRL('A'):
		return KEY_A_HOME;
	case CTRL('E'):
		return KEY_A_END;
	case CTRL('B'):
		return KEY_A_LEFT;
	case CTRL('F'):
		return KEY_A_RIGHT;
	case CTRL('D'):
		return KEY_A_DELETE;
	case CTRL('K'):
		return KEY_A_KILL_END;
	case CTRL('U'):
		return KEY_A_KILL_START;
	case CTRL('W'):
		return KEY_A_KILL_WORD;
	case CTRL('Y'):
		return KEY_A_YANK;
	case CTRL('P'):
		return KEY_A_HISTORY_PREV;
	case CTRL('N'):
		return KEY_A_HISTORY_NEXT;
	case CTRL('L'):
		return KEY_A_REDRAW;
	case CTRL('C'):
		return KEY_A_QUIT;
	case 0x1b:
		return KEY_A_ESCAPE;
	}
	if (ch < 0x20)
		return KEY_A_NONE;
	return KEY_A_INSERT;
}

/* Return the action for Alt-ch (ESC then ch). */
enum key_action
keys_alt_action(wint_t ch)
{
	switch (ch) {
	case 'b':
		return KEY_A_WORD_LEFT;
	case 'f':
		return KEY_A_WORD_RIGHT;
	case 0x7f:
	case CTRL('H'):
		return KEY_A_KILL_WORD;
	case 'v':
		return KEY_A_PAGE_UP;
	}
	return KEY_A_NONE;
}
