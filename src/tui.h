/* The full-screen ncurses interface of tvchat. */
#ifndef TVCHAT_TUI_H
#define TVCHAT_TUI_H

#include <stdint.h>

#include "chatlog.h"
#include "client.h"
#include "input.h"
#include "layout.h"

/* How to (re)connect: kept for reconnecting with backoff. */
struct tui_target {
	const char		*host;
	int			 port;
	const char		*name;
	struct crypto_key	*identity;
	struct knownkeys	*known;
	char			 server[300];
};

struct tui {
	struct tui_target	*target;
	struct client		 client;
	int			 connected;
	int64_t			 reconnect_at;	/* ms, monotonic; 0: none */
	int			 backoff_ms;
	struct chatlog		 log;
	struct input		 in;
	struct layout		 lay;
	int			 cols, rows;
	int			 scroll;	/* rows up from the bottom */
	size_t			 unread;	/* lines added while scrolled */
	int			 colors;	/* terminal has colours */
	int			 quit;
	int			 dirty;
};

int	tui_run(struct tui_target *);
void	tui_system(struct tui *, enum line_kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	tui_command(struct tui *, const char *);
size_t	tui_complete(void *, const char *, int, char ***);

#endif
