/*
 * Cluster mode: the broker bridges its node to Redis (hiredis, driven by
 * the broker's own poll loop through hiredis' event hooks). Two
 * connections: one for commands, one subscribed to the channels. This
 * file holds the entry points and the links' life cycle; the rest is in
 * the cluster-*.c files (see cluster-private.h).
 *
 * In Redis (PREFIX is "tvchat:"):
 *   PREFIX nodes            set of node names
 *   PREFIX node:<node>      the node's heartbeat, expiring after the TTL
 *   PREFIX users:<node>     hash: user name -> user record (JSON)
 *   PREFIX name:<lowercase> the cluster-wide claim of a name, expiring
 *                           after the TTL unless its node refreshes it
 *   PREFIX all              channel: notes every node reads
 *   PREFIX to:<node>        channel: chat parcels for that node's users
 * A note is "<kind> <node>\n<body>": N (a user record: a newcomer), U (a
 * user record: a change), D (a name: that user left), S (a JSON array of
 * every user of the node, sent when it (re)registers), B (a wire frame to
 * show every user), W (a room's watch-together state).
 * Parcels on a node channel are each a 12-byte header (slot, generation,
 * length; big-endian) and a wire frame for the user in that slot there.
 *
 * Everything a node publishes goes through one ordered outbox
 * (cluster-outbox.c). While Redis is away the node keeps serving its own
 * users, holds what it would publish (bounded), refuses new names it
 * cannot claim, and reconnects with backoff; then it registers
 * everything again.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cluster-private.h"
#include "clusterreply.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Queue a wire frame for every user of every other node, after whatever
 * changed in our table (a join notice must not overtake its user).
 */
void
cluster_broadcast(struct cluster *c, const uint8_t *frame, size_t len)
{
	cluster_users_sync(c);
	cluster_watch_scan(c, util_now_ms()); /* a watch notice's room state */
	cluster_outbox_note(c, 'B', frame, len);
}

/*
 * Claim a name cluster-wide for our session in slot/generation; the
 * answer comes through the claimed hook (now, if it cannot be asked).
 */
void
cluster_claim(struct cluster *c, int32_t slot, uint32_t generation,
    const char *name)
{
	if ((c->state != CLUSTER_UP && c->state != CLUSTER_SYNCING) ||
	    c->cmd.ac == NULL || c->reset || !proto_name_valid(name)) {
		c->ops->claimed(c->arg, slot, generation, PROTO_E_UNAVAILABLE);
		return;
	}
	/* What changed first: a release of the name (a user who just
	 * left) goes before this claim on the same connection. */
	cluster_users_sync(c);
	if (cluster_names_claim(c, slot, generation, name) != 0)
		c->ops->claimed(c->arg, slot, generation, PROTO_E_UNAVAILABLE);
}

/* Tear both links down and plan the next attempt. */
static void
go_down(struct cluster *c, int64_t now)
{
	if (c->state != CLUSTER_DOWN && !c->warned_down) {
		log_warnx("cluster: lost Redis at %s:%d; serving local users, "
		    "retrying", c->cfg->redis_host, c->cfg->redis_port);
		c->warned_down = 1;
	}
	cluster_link_close(&c->cmd);
	cluster_link_close(&c->sub);
	cluster_outbox_reset(c);
	c->beat_sent = 0;
	c->loading = 0;
	c->auditing = 0;
	c->subscribed = 0;
	c->reset = 0;
	c->state = CLUSTER_DOWN;
	c->next_attempt = now + c->backoff;
	c->backoff = c->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    c->backoff * 2;
}

/* The answer to AUTH: a refused password takes the links down. */
static void
on_auth(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster	*c = arg;
	char		 text[CLUSTERREPLY_TEXT_MAX];
	int		 e;

	if ((e = clusterreply_ok(r)) == CLUSTERREPLY_E_REDIS) {
		if (!c->warned_auth) {
			clusterreply_text(r, text, sizeof text);
			log_warnx("redis %s:%d: AUTH: %s", c->cfg->redis_host,
			    c->cfg->redis_port, text);
		}
		c->warned_auth = 1;
		c->reset = 1;
	} else if (e != CLUSTERREPLY_E_NONE) {
		/* Not refused; if not OK either, the link's next replies
		 * tell what is wrong. */
		if (e != 0)
			cluster_link_bad_reply(c, CMD_AUTH, e, r);
		c->warned_auth = 0;
	}
}

/* Start connecting both links (authenticating first if asked to). */
static void
connect_links(struct cluster *c, int64_t now)
{
	if (cluster_link_open(c, &c->cmd, "commands") != 0 ||
	    cluster_link_open(c, &c->sub, "subscriptions") != 0) {
		c->state = CLUSTER_CONNECTING;
		go_down(c, now);
		return;
	}
	c->state = CLUSTER_CONNECTING;
	c->state_since = now;
	c->subscribed = 0;
	c->warned_reply = 0;
	if (c->cfg->redis_password != NULL) {
		redisAsyncCommand(c->cmd.ac, on_auth, c, "AUTH %s",
		    c->cfg->redis_password);
		redisAsyncCommand(c->sub.ac, on_auth, c, "AUTH %s",
		    c->cfg->redis_password);
	}
	cluster_inbox_subscribe(c);
}

/* Start cluster mode: the broker's bridge to Redis at cfg's address. */
struct cluster *
cluster_new(const struct server_config *cfg, struct presence *presence,
    struct player_table *players, const struct cluster_ops *ops, void *arg)
{
	struct cluster	*c = xcalloc(1, sizeof *c);
	size_t		 cap = presence_capacity(presence);
	c->cfg = cfg;
	c->presence = presence;
	c->players = players;
	c->ops = ops;
	c->arg = arg;
	TAILQ_INIT(&c->outbox);
	c->shadow = xcalloc(cap, sizeof *c->shadow);
	c->scratch = xreallocarray(NULL, cap, sizeof *c->scratch);
	c->refs = xreallocarray(NULL, cap, sizeof *c->refs);
	c->noted = xcalloc(cap, sizeof *c->noted);
	c->backoff = BACKOFF_MIN_MS;
	c->epoch = cfg->cluster_epoch;
	snprintf(c->key_nodes, sizeof c->key_nodes, "%snodes", PREFIX);
	snprintf(c->chan_all, sizeof c->chan_all, "%sall", PREFIX);
	cluster_link_key(c->key_node, "node:", cfg->node, 0);
	cluster_link_key(c->key_users, "users:", cfg->node, 0);
	cluster_link_key(c->chan_me, "to:", cfg->node, 0);
	c->state = CLUSTER_DOWN;
	connect_links(c, util_now_ms());
	return c;
}

/* The connections' poll entries; returns how many were filled. */
size_t
cluster_pollfds(struct cluster *c, struct pollfd *pfd)
{
	struct cluster_link	*links[2] = { &c->cmd, &c->sub };
	size_t			 n = 0;

	for (int i = 0; i < 2; i++) {
		if (links[i]->ac == NULL)
			continue;
		pfd[n].fd = links[i]->ac->c.fd;
		pfd[n].events = (short)((links[i]->reading ? POLLIN : 0) |
		    (links[i]->writing ? POLLOUT : 0));
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

/* Handle what poll() said about the entries cluster_pollfds() filled. */
void
cluster_events(struct cluster *c, const struct pollfd *pfd, size_t n)
{
	struct cluster_link	*links[2] = { &c->cmd, &c->sub };
	size_t			 k = 0;

	for (int i = 0; i < 2 && k < n; i++) {
		if (links[i]->ac == NULL || pfd[k].fd != links[i]->ac->c.fd)
			continue;
		if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
			redisAsyncHandleRead(links[i]->ac);
		if (links[i]->ac != NULL && (pfd[k].revents & POLLOUT))
			redisAsyncHandleWrite(links[i]->ac);
		k++;
	}
}

/* Milliseconds until cluster_run() has something to do. */
int
cluster_timeout(struct cluster *c)
{
	int64_t	now = util_now_ms(), next = now + CHECK_MS;

	if (c->state == CLUSTER_DOWN)
		next = c->next_attempt;
	else if (c->state == CLUSTER_UP) {
		if (c->next_beat < next)
			next = c->next_beat;
		next = cluster_outbox_next_retry(c, next);
		if (c->seen_generation != presence_generation(c->presence) &&
		    c->next_sync < next)
			next = c->next_sync;
		if (c->players != NULL && c->next_watch < next)
			next = c->next_watch;
	}
	return next > now ? (int)(next - now) : 0;
}

/*
 * Timers and housekeeping, after each round of the broker's loop; force
 * publishes table changes now (a join or leave is about to be relayed).
 */
void
cluster_run(struct cluster *c, int force)
{
	int64_t	now = util_now_ms();

	if (c->reset)
		go_down(c, now);
	if (c->state == CLUSTER_DOWN && now >= c->next_attempt)
		connect_links(c, now);
	if (c->state == CLUSTER_CONNECTING && c->cmd.ac == NULL)
		go_down(c, now);
	/* Connecting or registering must not take longer than a TTL. */
	if ((c->state == CLUSTER_CONNECTING || c->state == CLUSTER_SYNCING) &&
	    now - c->state_since > c->cfg->cluster_ttl_ms) {
		log_warnx("cluster: Redis does not answer; reconnecting");
		go_down(c, now);
	}
	cluster_outbox_expire(c, now);
	if (c->state != CLUSTER_UP)
		return;
	if (force || (c->seen_generation != presence_generation(c->presence)
	    && now >= c->next_sync)) {
		cluster_users_sync(c);
		c->next_sync = now + SYNC_MS;
	}
	if (now >= c->next_watch) {
		/* Often while rooms watch (pauses and seeks cross quickly);
		 * a new room player is also noticed with its watch notice. */
		cluster_watch_scan(c, now);
		c->next_watch = now + (c->room_players > 0 ? SYNC_MS :
		    WATCH_REFRESH_MS);
	}
	if (now >= c->next_beat)
		cluster_beat(c, now);
	if (now >= c->next_check) {
		cluster_beat_check(c);
		c->next_check = now + CHECK_MS;
	}
	if (now >= c->next_audit && !c->auditing) {
		c->next_audit = now + AUDIT_MS;
		if (cluster_users_audit(c) == 0)
			c->auditing = 1;
	}
	cluster_outbox_flush(c);
}

/*
 * The node is stopping: publish our users' departure, forget our keys,
 * and wait (at most a second) for Redis to take it all.
 */
void
cluster_stop(struct cluster *c)
{
	struct pollfd	pfd[CLUSTER_POLLFDS];
	int64_t		until = util_now_ms() + 1000;
	size_t		n;

	if (c->state == CLUSTER_UP) {
		cluster_users_sync(c);
		cluster_outbox_note(c, 'S', "[]", 2);
		c->stopping = 1;
		while (util_now_ms() < until && c->cmd.ac != NULL &&
		    (!TAILQ_EMPTY(&c->outbox) || c->round > 0)) {
			cluster_outbox_flush(c);
			n = cluster_pollfds(c, pfd);
			if (poll(pfd, n, 50) > 0)
				cluster_events(c, pfd, n);
			if (c->reset)
				break;
		}
		cluster_link_fire(c, "DEL %s %s", c->key_users, c->key_node);
		cluster_link_fire(c, "SREM %s %s", c->key_nodes, c->cfg->node);
		while (util_now_ms() < until && c->cmd.ac != NULL &&
		    c->cmd.writing) {
			n = cluster_pollfds(c, pfd);
			if (poll(pfd, n, 50) > 0)
				cluster_events(c, pfd, n);
		}
	}
	cluster_free(c);
}

/* Free the cluster without a word to Redis (NULL: nothing). */
void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	cluster_link_close(&c->cmd);
	cluster_link_close(&c->sub);
	cluster_outbox_free(c);
	free(c->shadow);
	free(c->scratch);
	free(c->refs);
	free(c->noted);
	free(c);
}
