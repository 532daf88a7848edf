/*
 * Cluster mode's name claims: a user's name is ours cluster-wide while
 * PREFIX name:<lowercase> holds our claim (node/epoch/slot/generation),
 * which expires after the TTL unless the heartbeat refreshes it. Claims
 * and releases are Lua scripts, so each is one step in Redis.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cluster-private.h"
#include "clusterreply.h"
#include "xmalloc.h"

/* Claim a name if free or ours already; release it only if ours. */
static const char claim_script[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == false or v == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "return 0";
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

/* A claim sent for our session in slot/generation. */
struct claim {
	struct cluster	*c;
	int32_t		 slot;
	uint32_t	 generation;
};

/* The value of our claim of a local user's name. */
static void
claim_value(struct cluster *c, char *out, size_t size, int32_t slot,
    uint32_t generation)
{
	snprintf(out, size, "%s/%s/%d/%u", c->cfg->node, c->epoch, slot,
	    generation);
}

/* Send the claim script for name with fn's callback; 0, or -1. */
static int
send_claim(struct cluster *c, redisCallbackFn *fn, int32_t slot,
    uint32_t generation, const char *name)
{
	struct claim	*cl;
	char		 key[KEY_LEN], value[128];

	cluster_link_key(key, "name:", name, 1);
	claim_value(c, value, sizeof value, slot, generation);
	cl = xcalloc(1, sizeof *cl);
	*cl = (struct claim){ c, slot, generation };
	if (cluster_link_send(c, fn, cl, "EVAL %s 1 %s %s %d", claim_script,
	    key, value, c->cfg->cluster_ttl_ms) != 0) {
		free(cl);
		return -1;
	}
	return 0;
}

/* The answer to a session's claim: tell the broker. */
static void
on_claimed(redisAsyncContext *ac, void *r, void *arg)
{
	struct claim	*cl = arg;
	long long	 ours;
	int		 status = PROTO_E_UNAVAILABLE, e;

	if ((e = clusterreply_integer(r, 0, 1, &ours)) != 0)
		cluster_link_bad_reply(cl->c, CMD_CLAIM, e, r);
	else
		status = ours ? PROTO_OK : PROTO_E_NAME_TAKEN;
	cl->c->ops->claimed(cl->c->arg, cl->slot, cl->generation, status);
	free(cl);
}

/*
 * Claim a name cluster-wide for our session in slot/generation (the
 * broker hears through its claimed hook); 0, or -1 if it was not sent.
 */
int
cluster_names_claim(struct cluster *c, int32_t slot, uint32_t generation,
    const char *name)
{
	return send_claim(c, on_claimed, slot, generation, name);
}

/* The answer to a claim again: a name another node took ends ours. */
static void
on_reclaimed(redisAsyncContext *ac, void *r, void *arg)
{
	struct claim	*rc = arg;
	long long	 ours;
	int		 e;

	if ((e = clusterreply_integer(r, 0, 1, &ours)) != 0)
		/* Kept: we cannot tell. */
		cluster_link_bad_reply(rc->c, CMD_CLAIM, e, r);
	else if (!ours)
		rc->c->ops->claimed(rc->c->arg, rc->slot, rc->generation,
		    PROTO_E_NAME_TAKEN);
	free(rc);
}

/* Claim one of our user's names again, after a reconnection. */
void
cluster_names_reclaim(struct cluster *c, int32_t slot, uint32_t generation,
    const char *name)
{
	(void)send_claim(c, on_reclaimed, slot, generation, name);
}

/* Release our claim of a name (only if it is still ours). */
void
cluster_names_release(struct cluster *c, int32_t slot, uint32_t generation,
    const char *name)
{
	char	key[KEY_LEN], value[128];

	cluster_link_key(key, "name:", name, 1);
	claim_value(c, value, sizeof value, slot, generation);
	cluster_link_fire(c, "EVAL %s 1 %s %s", release_script, key, value);
}

/*
 * Release the names of users who left while we could not say so (the
 * first n entries of the scratch snapshot are who is here now).
 */
void
cluster_names_release_gone(struct cluster *c, size_t n)
{
	uint32_t	cap = presence_capacity(c->presence);
	size_t		i;

	for (uint32_t slot = 0; slot < cap; slot++) {
		struct presence_slot *s = &c->shadow[slot].slot;

		if (!c->shadow[slot].published)
			continue;
		for (i = 0; i < n; i++)
			if (c->refs[i].slot == (int)slot &&
			    c->refs[i].generation == s->generation)
				break;
		if (i < n)
			continue;
		cluster_names_release(c, (int32_t)slot, s->generation,
		    s->name);
	}
}
