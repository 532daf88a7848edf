/*
 * Cluster mode's outbox: everything a node publishes goes through it, in
 * order, in rounds. A round is sent pipelined and the next one waits for
 * all its replies, so notes and parcels keep their order and batch
 * themselves under load. PUBLISH answers how many nodes heard it; a
 * parcel nobody heard (its node is not subscribed, e.g. while Redis
 * restarts) is sent again until its node is declared gone, when each
 * sender is told it was not delivered. While Redis is away what we would
 * publish is held (bounded).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-private.h"
#include "clusterreply.h"
#include "log.h"
#include "msg.h"
#include "util.h"
#include "xmalloc.h"

#define ITEM_MAX_BYTES		(1024 * 1024)	/* one PUBLISH */
#define OUTBOX_MAX_BYTES	(32 * 1024 * 1024)
#define HOLD_MS			30000	/* most time a parcel waits */
#define RETRY_MS		200

/* Who sent a parcel, to tell them if it cannot be delivered. */
struct parcel_from {
	int32_t		slot;
	uint32_t	generation;
	char		to[NAME_MAX_LEN + 1];
};

/* One PUBLISH waiting in the outbox. */
struct cluster_item {
	TAILQ_ENTRY(cluster_item) entry;
	char			 node[NAME_MAX_LEN + 1];  /* "": all */
	uint8_t			*data;
	size_t			 len, cap;
	struct parcel_from	*from;
	size_t			 nfrom;
	int			 inflight;
	int64_t			 created, retry_at;
	struct cluster		*c;
};

/* Free an item, taking it out of the outbox. */
static void
item_free(struct cluster *c, struct cluster_item *it)
{
	TAILQ_REMOVE(&c->outbox, it, entry);
	c->outbox_bytes -= it->len;
	free(it->data);
	free(it->from);
	free(it);
}

/* Tell the senders of the parcels in it that they were not delivered. */
static void
item_fail(struct cluster *c, struct cluster_item *it, const char *why)
{
	char	text[MESSAGE_TEXT_MAX];

	for (size_t i = 0; i < it->nfrom; i++) {
		if (it->from[i].slot < 0)
			continue;
		snprintf(text, sizeof text, "not delivered to %s: %s",
		    it->from[i].to, why);
		cluster_link_local_frame(c, IPC_DELIVER, it->from[i].slot,
		    it->from[i].generation,
		    msg_error(PROTO_E_UNAVAILABLE, text));
	}
	if (it->nfrom > 0)
		log_warnx("%zu parcels for node %s not delivered: %s",
		    it->nfrom, it->node, why);
}

/* Append bytes to an item. */
static void
item_put(struct cluster *c, struct cluster_item *it, const void *p,
    size_t len)
{
	if (len == 0)
		return;
	if (it->len + len > it->cap) {
		it->cap = it->len + len > it->cap * 2 ? it->len + len :
		    it->cap * 2;
		it->data = xreallocarray(it->data, it->cap, 1);
	}
	memcpy(it->data + it->len, p, len);
	it->len += len;
	c->outbox_bytes += len;
}

/* A new item at the end of the outbox for node ("" for everyone). */
static struct cluster_item *
item_new(struct cluster *c, const char *node)
{
	struct cluster_item	*it = xcalloc(1, sizeof *it);

	snprintf(it->node, sizeof it->node, "%s", node);
	it->created = util_now_ms();
	it->c = c;
	TAILQ_INSERT_TAIL(&c->outbox, it, entry);
	return it;
}

/* Queue a note of kind with body for every node; 0, or -1 if full. */
int
cluster_outbox_note(struct cluster *c, char kind, const void *body,
    size_t len)
{
	struct cluster_item	*it;
	char			 head[NAME_MAX_LEN + 8];

	if (c->outbox_bytes + len > OUTBOX_MAX_BYTES) {
		log_warnx("cluster outbox full: a '%c' note is lost", kind);
		return -1;
	}
	it = item_new(c, "");
	item_put(c, it, head, note_header(head, sizeof head, kind,
	    c->cfg->node));
	item_put(c, it, body, len);
	return 0;
}

/*
 * Queue a chat parcel (a wire frame) for a user of another node, sent by
 * our session in from_slot (for an error if it cannot be delivered).
 */
void
cluster_deliver(struct cluster *c, int32_t from_slot, uint32_t from_gen,
    const struct presence_slot *to, const uint8_t *frame, size_t len)
{
	struct cluster_item	*it;
	uint8_t			 head[PARCEL_HEADER_LEN];

	if (c->outbox_bytes + len > OUTBOX_MAX_BYTES) {
		struct cluster_item fake = { .nfrom = 1 };
		struct parcel_from f = { from_slot, from_gen, "" };

		snprintf(f.to, sizeof f.to, "%s", to->name);
		snprintf(fake.node, sizeof fake.node, "%s", to->node);
		fake.from = &f;
		item_fail(c, &fake, "too much is waiting for the cluster");
		return;
	}
	/* Append to the node's newest parcel batch if it is not out yet. */
	TAILQ_FOREACH_REVERSE(it, &c->outbox, cluster_item_list, entry)
		if (strcmp(it->node, to->node) == 0)
			break;
	if (it == NULL || it->inflight || it->retry_at != 0 ||
	    it->len + len > ITEM_MAX_BYTES)
		it = item_new(c, to->node);
	parcel_header(head, to->remote_slot, to->remote_gen, len);
	item_put(c, it, head, sizeof head);
	item_put(c, it, frame, len);
	it->from = xreallocarray(it->from, it->nfrom + 1, sizeof *it->from);
	it->from[it->nfrom].slot = from_slot;
	it->from[it->nfrom].generation = from_gen;
	snprintf(it->from[it->nfrom].to, sizeof it->from[0].to, "%s",
	    to->name);
	it->nfrom++;
}

/* Return 1 if the item's node was given up on after the item was made. */
static int
given_up(struct cluster *c, const struct cluster_item *it)
{
	for (size_t i = 0; i < sizeof c->gone / sizeof c->gone[0]; i++)
		if (c->gone[i].at >= it->created &&
		    strcmp(c->gone[i].node, it->node) == 0)
			return 1;
	return 0;
}

/* The answer to a PUBLISH: done, or to be sent again. */
static void
on_published(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_item	*it = arg;
	struct cluster		*c = it->c;
	long long		 heard;
	int			 e;

	c->round--;
	it->inflight = 0;
	if ((e = clusterreply_integer(r, 0, LLONG_MAX, &heard)) != 0) {
		if (e == CLUSTERREPLY_E_NONE)
			return;		/* disconnected: sent again later */
		cluster_link_bad_reply(c, CMD_PUBLISH, e, r);
		item_fail(c, it, "the cluster refused it");
		item_free(c, it);
		return;
	}
	if (heard == 0 && it->node[0] != '\0') {
		if (given_up(c, it)) {
			item_fail(c, it, "their server left the cluster");
			item_free(c, it);
			return;
		}
		/* Nobody heard it: the node is not subscribed (yet). */
		it->retry_at = util_now_ms() + RETRY_MS;
		return;
	}
	item_free(c, it);
}

/* Give up on parcels that waited too long. */
void
cluster_outbox_expire(struct cluster *c, int64_t now)
{
	struct cluster_item	*it, *next;

	for (it = TAILQ_FIRST(&c->outbox); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (it->inflight || now - it->created < HOLD_MS)
			continue;
		item_fail(c, it, it->node[0] != '\0' ?
		    "their server has not answered for too long" :
		    "the cluster has been out of reach for too long");
		item_free(c, it);
	}
}

/*
 * Send a round: every item not waiting for a retry, in order; an item
 * for a node that has one waiting waits too (parcels keep their order).
 */
void
cluster_outbox_flush(struct cluster *c)
{
	struct cluster_item	*it;
	char			 blocked[8][NAME_MAX_LEN + 1];
	char			 chan[KEY_LEN];
	int			 nblocked = 0, skip;
	int64_t			 now = util_now_ms();

	if (c->state != CLUSTER_UP || c->round > 0 || c->cmd.ac == NULL)
		return;
	TAILQ_FOREACH(it, &c->outbox, entry) {
		skip = it->retry_at > now;
		for (int i = 0; i < nblocked && !skip; i++)
			skip = strcmp(blocked[i], it->node) == 0;
		if (skip) {
			if (nblocked < 8)
				snprintf(blocked[nblocked++],
				    sizeof blocked[0], "%s", it->node);
			else
				break;
			continue;
		}
		if (it->node[0] == '\0')
			snprintf(chan, sizeof chan, "%s", c->chan_all);
		else
			cluster_link_key(chan, "to:", it->node, 0);
		if (cluster_link_send(c, on_published, it, "PUBLISH %s %b",
		    chan, it->data, it->len) != 0)
			break;
		it->inflight = 1;
		it->retry_at = 0;
		c->round++;
	}
}

/* Queue a note as cluster_outbox_note() does, ahead of what is held. */
void
cluster_outbox_note_first(struct cluster *c, char kind, const void *body,
    size_t len)
{
	struct cluster_item	*it;

	if (cluster_outbox_note(c, kind, body, len) == 0 &&
	    TAILQ_LAST(&c->outbox, cluster_item_list) !=
	    TAILQ_FIRST(&c->outbox)) {
		it = TAILQ_LAST(&c->outbox, cluster_item_list);
		TAILQ_REMOVE(&c->outbox, it, entry);
		TAILQ_INSERT_HEAD(&c->outbox, it, entry);
	}
}

/* Return the earlier of next and the time of the first retry due. */
int64_t
cluster_outbox_next_retry(struct cluster *c, int64_t next)
{
	struct cluster_item	*it;

	TAILQ_FOREACH(it, &c->outbox, entry)
		if (it->retry_at != 0 && it->retry_at < next)
			next = it->retry_at;
	return next;
}

/* A node is gone: fail and drop what waits for it (not in flight). */
void
cluster_outbox_drop_node(struct cluster *c, const char *node)
{
	struct cluster_item	*it, *next;

	for (it = TAILQ_FIRST(&c->outbox); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (!it->inflight && strcmp(it->node, node) == 0) {
			item_fail(c, it, "their server left the cluster");
			item_free(c, it);
		}
	}
}

/*
 * Drop the presence notes held while away: they are stale, as the S note
 * says it all (notices for everyone, watch states and chat still go).
 */
void
cluster_outbox_drop_presence(struct cluster *c)
{
	struct cluster_item	*it, *next;

	for (it = TAILQ_FIRST(&c->outbox); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (!it->inflight && it->node[0] == '\0' && it->len > 0 &&
		    strchr("NUDS", it->data[0]) != NULL)
			item_free(c, it);
	}
}

/* The links went down: nothing is in flight, all is sent again. */
void
cluster_outbox_reset(struct cluster *c)
{
	struct cluster_item	*it;

	TAILQ_FOREACH(it, &c->outbox, entry)
		it->inflight = 0;
	c->round = 0;
}

/* Free everything still in the outbox. */
void
cluster_outbox_free(struct cluster *c)
{
	struct cluster_item	*it;

	while ((it = TAILQ_FIRST(&c->outbox)) != NULL)
		item_free(c, it);
}
