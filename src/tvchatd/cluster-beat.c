/*
 * Cluster mode's heartbeats: PREFIX node:<node> holds our epoch and
 * expires after the TTL unless we beat (every third of it), which also
 * keeps our users' hash and name claims alive; and every CHECK_MS we ask
 * whether the nodes our remote users live on still beat.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-private.h"
#include "clusterreply.h"
#include "log.h"
#include "xmalloc.h"

/* The heartbeat: set our key, return what it was (nil: it had expired).
 * A script, as SET ... GET needs Redis 6.2. */
static const char beat_script[] =
    "local v = redis.call('GET', KEYS[1]) "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return v";

/* Our heartbeat came back; a missing old value means we had expired. */
static void
on_beat(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster		*c = arg;
	enum clusterreply_beat	 found;
	int			 e;

	c->beat_sent = 0;
	if ((e = clusterreply_beat(r, c->epoch, &found)) != 0) {
		cluster_link_bad_reply(c, CMD_BEAT, e, r);
		return;
	}
	if (found == CLUSTERREPLY_BEAT_EXPIRED && c->state == CLUSTER_UP) {
		log_warnx("cluster: our heartbeat had expired; registering "
		    "again");
		cluster_users_register(c);
	} else if (found == CLUSTERREPLY_BEAT_OTHER && !c->warned_name) {
		log_warnx("cluster: another node uses the name %s; give each "
		    "node its own (--node)", c->cfg->node);
		c->warned_name = 1;
	}
}

/* Which other nodes are still alive. */
struct check {
	struct cluster	*c;
	size_t		 n;
	char		 nodes[][NAME_MAX_LEN + 1];
};

/* The answer to the check: users of a node not alive are lost. */
static void
on_check(redisAsyncContext *ac, void *r, void *arg)
{
	struct check	*k = arg;
	uint8_t		*alive = xcalloc(k->n, 1);
	int		 e;

	if ((e = clusterreply_present(r, k->n, alive)) != 0)
		cluster_link_bad_reply(k->c, CMD_MGET, e, r);
	else if (k->c->state == CLUSTER_UP)
		for (size_t i = 0; i < k->n; i++)
			if (!alive[i])
				cluster_users_gone(k->c, k->nodes[i]);
	free(alive);
	free(k);
}

/* Heartbeat: our key, our users' hash and names live on. */
void
cluster_beat(struct cluster *c, int64_t now)
{
	char	key[KEY_LEN];

	if (c->beat_sent != 0 && now - c->beat_sent > c->cfg->cluster_ttl_ms) {
		log_warnx("cluster: Redis does not answer; reconnecting");
		c->reset = 1;
		return;
	}
	c->next_beat = now + c->cfg->cluster_ttl_ms / 3;
	if (c->beat_sent == 0 && cluster_link_send(c, on_beat, c,
	    "EVAL %s 1 %s %s %d", beat_script, c->key_node, c->epoch,
	    c->cfg->cluster_ttl_ms) == 0)
		c->beat_sent = now;
	cluster_link_fire(c, "SADD %s %s", c->key_nodes, c->cfg->node);
	cluster_link_fire(c, "PEXPIRE %s %d", c->key_users,
	    c->cfg->cluster_ttl_ms);
	for (uint32_t i = 0; i < presence_capacity(c->presence); i++) {
		if (!c->shadow[i].published)
			continue;
		cluster_link_key(key, "name:", c->shadow[i].slot.name, 1);
		cluster_link_fire(c, "PEXPIRE %s %d", key,
		    c->cfg->cluster_ttl_ms);
	}
}

/* Ask whether the nodes our remote users live on are still alive. */
void
cluster_beat_check(struct cluster *c)
{
	size_t		 n = presence_snapshot(c->presence, c->scratch, NULL,
			    presence_capacity(c->presence)), k = 0;
	struct check	*chk;
	const char	**argv;
	size_t		*argl;
	char		(*keys)[KEY_LEN];

	chk = xcalloc(1, sizeof *chk + (n + 1) * sizeof chk->nodes[0]);
	chk->c = c;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (c->scratch[i].node[0] == '\0')
			continue;
		for (j = 0; j < k; j++)
			if (strcmp(chk->nodes[j], c->scratch[i].node) == 0)
				break;
		if (j == k)
			snprintf(chk->nodes[k++], sizeof chk->nodes[0], "%s",
			    c->scratch[i].node);
	}
	if (k == 0 || c->cmd.ac == NULL || c->reset) {
		free(chk);
		return;
	}
	chk->n = k;
	argv = xreallocarray(NULL, k + 1, sizeof *argv);
	argl = xreallocarray(NULL, k + 1, sizeof *argl);
	keys = xreallocarray(NULL, k, sizeof *keys);
	argv[0] = "MGET";
	argl[0] = 4;
	for (size_t i = 0; i < k; i++) {
		cluster_link_key(keys[i], "node:", chk->nodes[i], 0);
		argv[i + 1] = keys[i];
		argl[i + 1] = strlen(keys[i]);
	}
	if (redisAsyncCommandArgv(c->cmd.ac, on_check, chk, (int)k + 1, argv,
	    argl) != REDIS_OK)
		free(chk);
	free(argv);
	free(argl);
	free(keys);
}
