/*
 * The builder of hiredis' reply trees in cluster mode: it caps them and
 * shows each whole reply to a guard, which may refuse one that hiredis
 * itself would crash on; hiredis then closes the connection. No I/O.
 */
#ifndef TVCHAT_CLUSTERREADER_H
#define TVCHAT_CLUSTERREADER_H

#include <hiredis/hiredis.h>

#include "presence.h"

/* The most elements of one array: a users hash holds two per user. */
#define CLUSTERREADER_MAX_ELEMENTS	(4 * PRESENCE_MAX_SLOTS)

/* accept returns 0 to refuse a whole reply; refused says why (or NULL). */
struct clusterreader_guard {
	int		(*accept)(void *, const redisReply *);
	void		 *arg;
	const char	 *refused;
};

void	clusterreader_install(redisReader *, struct clusterreader_guard *);
int	clusterreader_pubsub_ok(const redisReply *);

#endif
