/*
 * Cluster mode's user replication. Our users go out: each change in the
 * presence table is written to PREFIX users:<node> (a hash: user name ->
 * user record) and told in a note (N: a newcomer, U: a change, D: that
 * user left, S: every user of the node, sent when it (re)registers).
 * Other nodes' users come in: from their notes, and from their hashes
 * when we register and every AUDIT_MS; a snapshot read from Redis does
 * not undo what a later note said (the tombstones of who left lately).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-private.h"
#include "clusterreply.h"
#include "log.h"
#include "msg.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

/* Forget a node only if its heartbeat is really gone. */
static const char forget_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then "
    "redis.call('DEL', KEYS[2]) redis.call('SREM', KEYS[3], ARGV[1]) end "
    "return 0";

static void	on_members(redisAsyncContext *, void *, void *);

/*
 * Publish one of our users: the hash, and an N note for a newcomer (whose
 * session announces the join itself) or a U note for a change.
 */
static void
publish_user(struct cluster *c, const struct presence_slot *s, int32_t slot)
{
	char	*rec = user_record(s, slot, s->generation);

	cluster_link_fire(c, "HSET %s %s %s", c->key_users, s->name, rec);
	cluster_outbox_note(c, c->shadow[slot].published ? 'U' : 'N', rec,
	    strlen(rec));
	free(rec);
	c->shadow[slot].published = 1;
	memcpy(&c->shadow[slot].slot, s, sizeof *s);
}

/* One of our users left: the hash, its name claim, a D note. */
static void
unpublish_user(struct cluster *c, int32_t slot)
{
	struct presence_slot	*s = &c->shadow[slot].slot;

	cluster_link_fire(c, "HDEL %s %s", c->key_users, s->name);
	cluster_names_release(c, slot, s->generation, s->name);
	cluster_outbox_note(c, 'D', s->name, strlen(s->name));
	c->shadow[slot].published = 0;
}

/* Publish what changed among our users since the last time. */
void
cluster_users_sync(struct cluster *c)
{
	struct cluster_shadow	*sh;
	size_t			 n, cap = presence_capacity(c->presence);
	char			*seen;

	if (c->state != CLUSTER_UP && c->state != CLUSTER_SYNCING)
		return;
	c->seen_generation = presence_generation(c->presence);
	n = presence_local(c->presence, c->scratch, c->refs, cap);
	seen = xcalloc(cap, 1);
	for (size_t i = 0; i < n; i++) {
		int32_t slot = c->refs[i].slot;
		struct presence_slot *s = &c->scratch[i];

		seen[slot] = 1;
		sh = &c->shadow[slot];
		if (sh->published && sh->slot.generation == s->generation &&
		    memcmp(sh->slot.rooms, s->rooms, sizeof s->rooms) == 0 &&
		    strcmp(sh->slot.watching, s->watching) == 0)
			continue;
		if (sh->published && sh->slot.generation != s->generation)
			unpublish_user(c, slot);	/* clears published */
		publish_user(c, s, slot);
	}
	for (size_t slot = 0; slot < cap; slot++)
		if (c->shadow[slot].published && !seen[slot])
			unpublish_user(c, (int32_t)slot);
	free(seen);
}

/* Find the remote user of node called name in the scratch snapshot. */
static struct presence_slot *
find_remote(struct cluster *c, size_t n, const char *node, const char *name,
    struct presence_ref **ref)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c->scratch[i].node, node) == 0 &&
		    proto_name_equal(c->scratch[i].name, name)) {
			*ref = &c->refs[i];
			return &c->scratch[i];
		}
	}
	return NULL;
}

/* Add or update a user of another node; tell ours if announce is set. */
void
cluster_users_put(struct cluster *c, const struct presence_slot *u,
    int announce)
{
	struct presence_ref	ref;
	int			created, r;

	r = presence_remote_put(c->presence, u, &ref, &created);
	if (r != PROTO_OK) {
		log_warnx("user %s of node %s not shown here: %s", u->name,
		    u->node, r == PROTO_E_NAME_TAKEN ? "the name is taken" :
		    "the table is full");
		return;
	}
	c->noted[ref.slot] = util_now_ms();
	if (created && announce)
		cluster_link_local_frame(c, IPC_BROADCAST, -2, 0,
		    msg_join(user_json(u)));
}

/* Remember that node's user name left (a note said so). */
static void
tombstone(struct cluster *c, const char *node, const char *name)
{
	unsigned int	i = c->next_tombstone++ % TOMBSTONES;

	snprintf(c->tombstones[i].node, sizeof c->tombstones[i].node, "%s",
	    node);
	snprintf(c->tombstones[i].name, sizeof c->tombstones[i].name, "%s",
	    name);
	c->tombstones[i].at = util_now_ms();
}

/* Return 1 if a note said node's user name left after since. */
static int
left_since(struct cluster *c, const char *node, const char *name,
    int64_t since)
{
	for (int i = 0; i < TOMBSTONES; i++)
		if (c->tombstones[i].at > since &&
		    strcmp(c->tombstones[i].node, node) == 0 &&
		    proto_name_equal(c->tombstones[i].name, name))
			return 1;
	return 0;
}

/* Remove a user of another node; tell ours (why: NULL for silently). */
static void
drop_remote(struct cluster *c, const struct presence_ref *ref,
    const char *why)
{
	struct presence_slot	gone;

	if (presence_remote_drop(c->presence, ref, &gone) == 0 && why != NULL)
		cluster_link_local_frame(c, IPC_BROADCAST, -2, 0,
		    msg_leave(gone.name, why));
}

/* A note said node's user name left: drop it silently, remember it. */
void
cluster_users_left(struct cluster *c, const char *node, const char *name)
{
	struct presence_ref	*ref;
	size_t			 k;

	k = presence_snapshot(c->presence, c->scratch, c->refs,
	    presence_capacity(c->presence));
	if (find_remote(c, k, node, name, &ref) != NULL)
		drop_remote(c, ref, NULL);
	tombstone(c, node, name);
}

/*
 * Make our copy of node's users what records (a JSON array, or NULL for
 * none) says: new ones are announced as joins, missing ones as lost. A
 * snapshot read from Redis at time since (0: an S note, which is in
 * order with the other notes) does not undo what a later note said.
 */
void
cluster_users_reconcile(struct cluster *c, const char *node,
    json_object *records, int64_t since)
{
	size_t			 n, k, cap = presence_capacity(c->presence);
	struct presence_slot	 u;
	char			*keep;

	n = presence_snapshot(c->presence, c->scratch, c->refs, cap);
	keep = xcalloc(n + 1, 1);
	k = records != NULL && json_object_is_type(records, json_type_array) ?
	    json_object_array_length(records) : 0;
	for (size_t i = 0; i < k; i++) {
		if (user_record_parse(json_object_array_get_idx(records, i),
		    node, &u) != 0) {
			log_warnx("node %s: a bad user record", node);
			continue;
		}
		if (since != 0 && left_since(c, node, u.name, since))
			continue;
		for (size_t j = 0; j < n; j++)
			if (strcmp(c->scratch[j].node, node) == 0 &&
			    proto_name_equal(c->scratch[j].name, u.name))
				keep[j] = 1;
		cluster_users_put(c, &u, 1);
	}
	for (size_t j = 0; j < n; j++)
		if (!keep[j] && strcmp(c->scratch[j].node, node) == 0 &&
		    (since == 0 || c->noted[c->refs[j].slot] <= since))
			drop_remote(c, &c->refs[j], "lost");
	free(keep);
}

/* A node stopped its heartbeat: its users are lost. */
void
cluster_users_gone(struct cluster *c, const char *node)
{
	char		key_node[KEY_LEN], key_users[KEY_LEN];
	unsigned int	i;

	log_warnx("node %s is gone (no heartbeat for %d ms)", node,
	    c->cfg->cluster_ttl_ms);
	i = c->next_gone++ % (sizeof c->gone / sizeof c->gone[0]);
	snprintf(c->gone[i].node, sizeof c->gone[i].node, "%s", node);
	c->gone[i].at = util_now_ms();
	cluster_users_reconcile(c, node, NULL, 0);
	cluster_outbox_drop_node(c, node);
	cluster_link_key(key_node, "node:", node, 0);
	cluster_link_key(key_users, "users:", node, 0);
	cluster_link_fire(c, "EVAL %s 3 %s %s %s %s", forget_script, key_node,
	    key_users, c->key_nodes, node);
}

/* Ask for the set of nodes, to audit our copy of theirs; 0, or -1. */
int
cluster_users_audit(struct cluster *c)
{
	return cluster_link_send(c, on_members, c, "SMEMBERS %s",
	    c->key_nodes);
}

/* Loading every other node's users: on registering, and as an audit. */
struct load {
	struct cluster	*c;
	char		 node[NAME_MAX_LEN + 1];
	int		 alive;		/* -1: we could not tell */
	int64_t		 since;		/* when we asked */
};

/* Loading is over: registered, or the audit done. */
static void
loaded(struct cluster *c)
{
	if (--c->loading > 0)
		return;
	c->auditing = 0;
	if (c->state == CLUSTER_SYNCING) {
		c->state = CLUSTER_UP;
		log_info("cluster: node %s registered", c->cfg->node);
	}
}

static void
on_alive(redisAsyncContext *ac, void *r, void *arg)
{
	struct load	*l = arg;
	long long	 exists;
	int		 e;

	if ((e = clusterreply_integer(r, 0, 1, &exists)) == 0)
		l->alive = (int)exists;
	else {
		cluster_link_bad_reply(l->c, CMD_EXISTS, e, r);
		l->alive = -1;
	}
}

/* A snapshot of another node's users has arrived. */
static void
on_snapshot(redisAsyncContext *ac, void *r, void *arg)
{
	struct load			*l = arg;
	struct cluster			*c = l->c;
	struct clusterreply_values	 v;
	json_object			*records;
	int				 e;

	if (r != NULL && (c->state == CLUSTER_SYNCING ||
	    (c->state == CLUSTER_UP && c->auditing))) {
		/* A node we cannot tell about is left as it is. */
		if (l->alive == 0)
			cluster_users_gone(c, l->node);
		else if (l->alive == 1 &&
		    (e = clusterreply_values(r, &v)) != 0)
			cluster_link_bad_reply(c, CMD_HGETALL, e, r);
		else if (l->alive == 1) {
			records = json_object_new_array();
			for (size_t i = 0; i < v.n; i++)
				json_object_array_add(records,
				    user_parse_json(v.value[i].p,
				    v.value[i].len));
			clusterreply_values_free(&v);
			cluster_users_reconcile(c, l->node, records,
			    l->since);
			json_object_put(records);
		}
		loaded(c);
	}
	free(l);
}

/*
 * The set of nodes: load each other one's users (when registering, or
 * every AUDIT_MS to mend what a lost or refused note left wrong).
 */
static void
on_members(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster			*c = arg;
	struct clusterreply_names	 nodes;
	struct load			*l;
	char				 key[KEY_LEN];
	size_t				 n;
	int64_t				 since = util_now_ms();
	int				 e;

	if (r == NULL || (c->state != CLUSTER_SYNCING &&
	    !(c->state == CLUSTER_UP && c->auditing))) {
		c->auditing = 0;
		return;
	}
	c->loading = 1;
	if ((e = clusterreply_names(r, &nodes)) != 0) {
		/* Nothing learnt, nothing dropped: the next audit retries. */
		cluster_link_bad_reply(c, CMD_SMEMBERS, e, r);
		loaded(c);
		return;
	}
	if (nodes.invalid > 0)
		cluster_link_bad_reply(c, CMD_SMEMBERS, CLUSTERREPLY_E_NAME,
		    r);
	for (size_t i = 0; i < nodes.n; i++) {
		if (strcmp(nodes.name[i], c->cfg->node) == 0)
			continue;
		l = xcalloc(1, sizeof *l);
		l->c = c;
		l->alive = -1;
		l->since = since;
		snprintf(l->node, sizeof l->node, "%s", nodes.name[i]);
		cluster_link_key(key, "node:", l->node, 0);
		if (cluster_link_send(c, on_alive, l, "EXISTS %s",
		    key) != 0) {
			free(l);
			break;
		}
		cluster_link_key(key, "users:", l->node, 0);
		/* on_alive runs first; this one frees l. */
		if (cluster_link_send(c, on_snapshot, l, "HGETALL %s",
		    key) != 0)
			break;
		c->loading++;
	}
	/* Users of nodes no longer in the set are lost. */
	n = presence_snapshot(c->presence, c->scratch, c->refs,
	    presence_capacity(c->presence));
	for (size_t j = 0; j < n; j++) {
		if (c->scratch[j].node[0] == '\0' ||
		    c->noted[c->refs[j].slot] > since)
			continue;
		if (!clusterreply_names_has(&nodes, c->scratch[j].node))
			drop_remote(c, &c->refs[j], "lost");
	}
	clusterreply_names_free(&nodes);
	loaded(c);
}

/*
 * Connected and subscribed: register this node and all its users again
 * (a name another node took meanwhile ends our user's session), tell the
 * others (an S note), then load every other node's users.
 */
void
cluster_users_register(struct cluster *c)
{
	size_t		 n, cap = presence_capacity(c->presence);
	json_object	*all = json_object_new_array();
	const char	*text;
	char		*rec;

	if (c->cmd.ac == NULL || c->reset)
		return;		/* a link broke: cluster_run() starts over */
	c->state = CLUSTER_SYNCING;
	c->state_since = util_now_ms();
	c->backoff = BACKOFF_MIN_MS;
	if (c->warned_down)
		log_info("cluster: Redis is back; registering again");
	c->warned_down = 0;
	cluster_outbox_drop_presence(c);
	c->auditing = 0;
	c->next_audit = util_now_ms() + AUDIT_MS;
	cluster_link_fire(c, "SADD %s %s", c->key_nodes, c->cfg->node);
	cluster_link_fire(c, "SET %s %s PX %d", c->key_node, c->epoch,
	    c->cfg->cluster_ttl_ms);
	cluster_link_fire(c, "DEL %s", c->key_users);
	n = presence_local(c->presence, c->scratch, c->refs, cap);
	cluster_names_release_gone(c, n);
	memset(c->shadow, 0, cap * sizeof *c->shadow);
	for (size_t i = 0; i < n; i++) {
		struct presence_slot *s = &c->scratch[i];
		int32_t slot = c->refs[i].slot;

		cluster_names_reclaim(c, slot, s->generation, s->name);
		rec = user_record(s, slot, s->generation);
		cluster_link_fire(c, "HSET %s %s %s", c->key_users, s->name,
		    rec);
		json_object_array_add(all, user_parse_json(rec, strlen(rec)));
		free(rec);
		c->shadow[slot].published = 1;
		memcpy(&c->shadow[slot].slot, s, sizeof *s);
	}
	cluster_link_fire(c, "PEXPIRE %s %d", c->key_users,
	    c->cfg->cluster_ttl_ms);
	text = json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN);
	/* The S note goes ahead of anything held while we were away. */
	cluster_outbox_note_first(c, 'S', text, strlen(text));
	json_object_put(all);
	cluster_link_send(c, on_members, c, "SMEMBERS %s", c->key_nodes);
	c->next_beat = util_now_ms() + c->cfg->cluster_ttl_ms / 3;
}
