/*
 * Cluster mode: the broker's bridge to Redis, through which several
 * tvchatd nodes share presence, name claims, chat and broadcasts. Only
 * the broker calls these; without --redis none of it runs. Built
 * without hiredis, cluster-none.c has them do nothing (cluster_new()
 * returns NULL).
 */
#ifndef TVCHAT_CLUSTER_H
#define TVCHAT_CLUSTER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "player.h"
#include "presence.h"
#include "server.h"

#define CLUSTER_POLLFDS	2

/* What the cluster asks of the broker. */
struct cluster_ops {
	/* Route an IPC_DELIVER packet to one of our sessions. */
	void	(*deliver)(void *, const uint8_t *, size_t);
	/* Send an IPC_BROADCAST packet to all of our sessions. */
	void	(*broadcast)(void *, const uint8_t *, size_t);
	/* Answer a session's IPC_CLAIM (slot, generation, proto_error). */
	void	(*claimed)(void *, int32_t, uint32_t, int);
};

struct cluster;

struct cluster	*cluster_new(const struct server_config *, struct presence *,
		    struct player_table *, const struct cluster_ops *, void *);
void		 cluster_free(struct cluster *);
size_t		 cluster_pollfds(struct cluster *, struct pollfd *);
void		 cluster_events(struct cluster *, const struct pollfd *,
		    size_t);
int		 cluster_timeout(struct cluster *);
void		 cluster_run(struct cluster *, int);
void		 cluster_deliver(struct cluster *, int32_t, uint32_t,
		    const struct presence_slot *, const uint8_t *, size_t);
void		 cluster_broadcast(struct cluster *, const uint8_t *, size_t);
void		 cluster_claim(struct cluster *, int32_t, uint32_t,
		    const char *);
void		 cluster_stop(struct cluster *);

#endif
