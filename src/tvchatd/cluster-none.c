/*
 * Cluster mode when tvchatd is built without hiredis: there is no
 * cluster (tvchatd refuses --redis), so the broker's hooks do nothing.
 */
#include "config.h"

#include "cluster.h"

/* No cluster without hiredis: return NULL. */
struct cluster *
cluster_new(const struct server_config *cfg, struct presence *presence,
    struct player_table *players, const struct cluster_ops *ops, void *arg)
{
	return NULL;
}

/* Nothing to free. */
void
cluster_free(struct cluster *c)
{
}

/* No connections: return 0. */
size_t
cluster_pollfds(struct cluster *c, struct pollfd *pfd)
{
	return 0;
}

/* No connections, no events. */
void
cluster_events(struct cluster *c, const struct pollfd *pfd, size_t n)
{
}

/* Nothing to wait for: return -1 (no timeout). */
int
cluster_timeout(struct cluster *c)
{
	return -1;
}

/* No timers. */
void
cluster_run(struct cluster *c, int force)
{
}

/* No other nodes to deliver to. */
void
cluster_deliver(struct cluster *c, int32_t from_slot, uint32_t from_gen,
    const struct presence_slot *to, const uint8_t *frame, size_t len)
{
}

/* No other nodes to broadcast to. */
void
cluster_broadcast(struct cluster *c, const uint8_t *frame, size_t len)
{
}

/* No cluster-wide names to claim. */
void
cluster_claim(struct cluster *c, int32_t slot, uint32_t generation,
    const char *name)
{
}

/* Nothing to stop. */
void
cluster_stop(struct cluster *c)
{
}
