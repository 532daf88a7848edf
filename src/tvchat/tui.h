/* The full-screen ncurses interface of tvchat. */
#ifndef TVCHAT_TUI_H
#define TVCHAT_TUI_H

#include "crypto.h"
#include "knownkeys.h"

/* How to (re)connect: kept for reconnecting with backoff. */
struct keystore;

struct tui_target {
	const char		*host;
	int			 port;
	const char		*name;
	struct crypto_key	*identity;
	struct knownkeys	*known;
	struct keystore		*ks;		/* end-to-end state */
	char			 server[300];
	int			 want_window;	/* --window */
	const char		*render;	/* --render, or NULL */
	double			 max_output;	/* --max-output KB/s, 0: none */
};

int	tui_run(struct tui_target *);

#endif
