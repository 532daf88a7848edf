/* Key presses to editing and scrolling actions. */
#ifndef TVCHAT_KEYS_H
#define TVCHAT_KEYS_H

#include <wchar.h>

enum key_action {
	KEY_A_NONE,
	KEY_A_INSERT,		/* a printable character */
	KEY_A_ENTER,
	KEY_A_LEFT, KEY_A_RIGHT, KEY_A_HOME, KEY_A_END,
	KEY_A_WORD_LEFT, KEY_A_WORD_RIGHT,
	KEY_A_BACKSPACE, KEY_A_DELETE,
	KEY_A_KILL_END, KEY_A_KILL_START, KEY_A_KILL_WORD, KEY_A_YANK,
	KEY_A_HISTORY_PREV, KEY_A_HISTORY_NEXT,
	KEY_A_COMPLETE,
	KEY_A_PAGE_UP, KEY_A_PAGE_DOWN,
	KEY_A_REDRAW,
	KEY_A_QUIT,
	KEY_A_RESIZE,
	KEY_A_ESCAPE,		/* ESC: an Alt- sequence may follow */
	KEY_A_VIDEO_PAUSE,	/* F5: pause or resume */
	KEY_A_VIDEO_BACK,	/* F6: seek back 10 s */
	KEY_A_VIDEO_FORWARD,	/* F7: seek forward 10 s */
	KEY_A_VIDEO_STOP,	/* F8: stop */
};

enum key_action	keys_action(int, wint_t);
enum key_action	keys_alt_action(wint_t);

#endif
