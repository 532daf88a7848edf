/*
 * Cluster mode: the broker bridges its node to Redis (hiredis, driven by
 * the broker's own poll loop through hiredis' event hooks). Two
 * connections: one for commands, one subscribed to the channels.
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
 * user record: a change), D (a name: that user left), S (a JSON array of every user of the node,
 * sent when it (re)registers), B (a wire frame to show every user).
 * Parcels on a node channel are each a 12-byte header (slot, generation,
 * length; big-endian) and a wire frame for the user in that slot there.
 *
 * Everything a node publishes goes through one ordered outbox, in rounds:
 * a round is sent pipelined and the next one waits for all its replies,
 * so notes and parcels keep their order and batch themselves under load.
 * PUBLISH answers how many nodes heard it; a parcel nobody heard (its
 * node is not subscribed, e.g. while Redis restarts) is sent again until
 * its node is declared gone, when each sender is told it was not
 * delivered. While Redis is away the node keeps serving its own users,
 * holds what it would publish (bounded), refuses new names it cannot
 * claim, and reconnects with backoff; then it registers everything again.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "buf.h"
#include "cluster.h"
#include "clusternote.h"
#include "clusterreader.h"
#include "clusterreply.h"
#include "crypto.h"
#include "frame.h"
#include "ipc.h"
#include "log.h"
#include "msg.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

#define PREFIX			"tvchat:"
#define KEY_LEN			(sizeof PREFIX + 16 + NAME_MAX_LEN)
#define ITEM_MAX_BYTES		(1024 * 1024)	/* one PUBLISH */
#define OUTBOX_MAX_BYTES	(32 * 1024 * 1024)
#define HOLD_MS			30000	/* most time a parcel waits */
#define RETRY_MS		200
#define CHECK_MS		500	/* are the other nodes alive? */
#define SYNC_MS			100	/* publish table changes */
#define WATCH_REFRESH_MS	2000	/* a room's watch state again */
#define AUDIT_MS		5000	/* compare with every node's hash */
#define TOMBSTONES		64	/* users we heard leave lately */
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000

/* Claim a name if free or ours already; release it only if ours. */
static const char claim_script[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == false or v == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "return 0";
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";
/* The heartbeat: set our key, return what it was (nil: it had expired).
 * A script, as SET ... GET needs Redis 6.2. */
static const char beat_script[] =
    "local v = redis.call('GET', KEYS[1]) "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return v";
/* Forget a node only if its heartbeat is really gone. */
static const char forget_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then "
    "redis.call('DEL', KEYS[2]) redis.call('SREM', KEYS[3], ARGV[1]) end "
    "return 0";

enum cluster_state {
	CLUSTER_DOWN,		/* waiting to reconnect */
	CLUSTER_CONNECTING,
	CLUSTER_SYNCING,	/* subscribed; registering and loading */
	CLUSTER_UP,
};

/* Who sent a parcel, to tell them if it cannot be delivered. */
struct parcel_from {
	int32_t		slot;
	uint32_t	generation;
	char		to[NAME_MAX_LEN + 1];
};

/* One PUBLISH waiting in the outbox. */
struct item {
	TAILQ_ENTRY(item)	 entry;
	char			 node[NAME_MAX_LEN + 1];  /* "": all */
	uint8_t			*data;
	size_t			 len, cap;
	struct parcel_from	*from;
	size_t			 nfrom;
	int			 inflight;
	int64_t			 created, retry_at;
	struct cluster		*c;
};
TAILQ_HEAD(item_list, item);

struct link {
	struct cluster		*c;
	redisAsyncContext	*ac;
	int			 reading, writing;
	int			 connected;
	const char		*what;
	struct clusterreader_guard guard;
};

/* The commands whose replies the callbacks read, for the log. */
enum command {
	CMD_PUBLISH,
	CMD_SUBSCRIBE,
	CMD_EXISTS,
	CMD_HGETALL,
	CMD_SMEMBERS,
	CMD_CLAIM,
	CMD_BEAT,
	CMD_MGET,
	CMD_AUTH,
};
static const char *const command_names[] = {
	[CMD_PUBLISH] = "PUBLISH",
	[CMD_SUBSCRIBE] = "SUBSCRIBE",
	[CMD_EXISTS] = "EXISTS",
	[CMD_HGETALL] = "HGETALL",
	[CMD_SMEMBERS] = "SMEMBERS",
	[CMD_CLAIM] = "the name claim",
	[CMD_BEAT] = "the heartbeat",
	[CMD_MGET] = "MGET",
	[CMD_AUTH] = "AUTH",
};

/* What we last published about one of our users. */
struct shadow {
	int			published;
	struct presence_slot	slot;
};

struct cluster {
	const struct server_config *cfg;
	struct presence		*presence;
	const struct cluster_ops *ops;
	void			*arg;
	struct link		 cmd, sub;
	enum cluster_state	 state;
	int			 subscribed;	/* bit 0: all, 1: ours */
	int			 reset;
	int			 stopping;
	int64_t			 next_attempt, backoff;
	int64_t			 next_beat, next_check, next_sync;
	int64_t			 next_watch;
	int			 room_players;	/* at the last scan */
	int64_t			 state_since;	/* connecting or syncing */
	int64_t			 beat_sent;	/* 0: none unanswered */
	int			 loading;	/* snapshots awaited */
	uint32_t		 seen_generation;
	const char		*epoch;
	int			 warned_name;
	char			 key_node[KEY_LEN], key_users[KEY_LEN];
	char			 key_nodes[KEY_LEN];
	char			 chan_all[KEY_LEN], chan_me[KEY_LEN];
	struct item_list	 outbox;
	size_t			 outbox_bytes;
	int			 round;		/* replies awaited */
	struct shadow		*shadow;
	struct player_table	*players;	/* NULL: no shared players */
	struct {
		uint32_t	generation, applied;
		int64_t		noted;
	}			 wshadow[PLAYER_SLOTS];
	struct presence_slot	*scratch;
	struct presence_ref	*refs;
	/* When a note last told us of a remote slot's user, and who we
	 * heard leave: a snapshot older than that does not undo it. */
	int64_t			*noted;
	struct {
		char		node[NAME_MAX_LEN + 1];
		char		name[NAME_MAX_LEN + 1];
		int64_t		at;
	}			 tombstones[TOMBSTONES];
	unsigned int		 next_tombstone;
	struct {
		char		node[NAME_MAX_LEN + 1];
		int64_t		at;
	}			 gone[8];	/* nodes given up lately */
	unsigned int		 next_gone;
	int64_t			 next_audit;
	int			 auditing;
	int			 warned_down;
	int			 warned_auth;
	unsigned int		 warned_reply;	/* bits: enum command */
};

static void	start_sync(struct cluster *);
static void	flush(struct cluster *);

/* hiredis event hooks: remember what the connection waits for. */
static void
ev_add_read(void *p)
{
	((struct link *)p)->reading = 1;
}

static void
ev_del_read(void *p)
{
	((struct link *)p)->reading = 0;
}

static void
ev_add_write(void *p)
{
	((struct link *)p)->writing = 1;
}

static void
ev_del_write(void *p)
{
	((struct link *)p)->writing = 0;
}

static void
ev_cleanup(void *p)
{
	struct link	*l = p;

	l->reading = l->writing = 0;
}

/* Write PREFIX + what + name (lowercased if lower) into key. */
static void
make_key(char *key, const char *what, const char *name, int lower)
{
	size_t	n;

	n = (size_t)snprintf(key, KEY_LEN, "%s%s%s", PREFIX, what, name);
	if (lower)
		for (size_t i = n - strlen(name); i < n; i++)
			key[i] = (char)tolower((unsigned char)key[i]);
}

/* The value of our claim of a local user's name. */
static void
claim_value(struct cluster *c, char *out, size_t size, int32_t slot,
    uint32_t generation)
{
	snprintf(out, size, "%s/%s/%d/%u", c->cfg->node, c->epoch, slot,
	    generation);
}

/*
 * Log a reply a callback cannot use (error: what clusterreply_*() said),
 * once per command and connection; the callback goes on without it.
 */
static void
bad_reply(struct cluster *c, enum command cmd, int error,
    const redisReply *reply)
{
	char	text[CLUSTERREPLY_TEXT_MAX];

	/* No reply at all: the link went down, which is logged itself. */
	if (error == CLUSTERREPLY_E_NONE || (c->warned_reply & (1u << cmd)))
		return;
	c->warned_reply |= 1u << cmd;
	if (error == CLUSTERREPLY_E_REDIS) {
		clusterreply_text(reply, text, sizeof text);
		log_warnx("cluster: %s: Redis said: %s", command_names[cmd],
		    text);
	} else
		log_warnx("cluster: %s: a malformed reply from Redis (%s); "
		    "ignored", command_names[cmd],
		    clusterreply_strerror(error));
}

/*
 * Let hiredis have a whole reply only if it will not crash on it: one
 * nobody asked for, unless an error, trips its asserts (0: refuse).
 */
static int
link_accept(void *arg, const redisReply *reply)
{
	struct link	*l = arg;

	if (l->ac == NULL || l->ac->replies.head != NULL ||
	    reply->type == REDIS_REPLY_ERROR)
		return 1;
	if (l->ac->c.flags & REDIS_SUBSCRIBED)
		return clusterreader_pubsub_ok(reply);
	return 0;
}

/* A link broke (or failed to connect): both are torn down soon. */
static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct link	*l = ac->data;

	if (l->guard.refused != NULL)
		log_warnx("cluster: Redis sent the %s connection a reply it "
		    "cannot take (%s); reconnecting", l->what,
		    l->guard.refused);
	l->ac = NULL;
	l->connected = 0;
	l->reading = l->writing = 0;
	l->c->reset = 1;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct link	*l = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this returns. */
		l->ac = NULL;
		l->reading = l->writing = 0;
		l->c->reset = 1;
		return;
	}
	l->connected = 1;
}

/* Start connecting a link; 0, or -1. */
static int
link_open(struct cluster *c, struct link *l, const char *what)
{
	redisAsyncContext	*ac;

	memset(l, 0, sizeof *l);
	l->c = c;
	l->what = what;
	ac = redisAsyncConnect(c->cfg->redis_host, c->cfg->redis_port);
	if (ac == NULL)
		return -1;
	if (ac->err) {
		if (!c->warned_down)
			log_warnx("redis %s:%d: %s", c->cfg->redis_host,
			    c->cfg->redis_port, ac->errstr);
		redisAsyncFree(ac);
		return -1;
	}
	l->ac = ac;
	l->guard.accept = link_accept;
	l->guard.arg = l;
	clusterreader_install(ac->c.reader, &l->guard);
	ac->data = l;
	ac->ev.data = l;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	return 0;
}

/* Close a link (callbacks of its pending commands get NULL replies). */
static void
link_close(struct link *l)
{
	redisAsyncContext	*ac = l->ac;

	if (ac == NULL)
		return;
	l->ac = NULL;
	redisAsyncFree(ac);
	l->connected = 0;
	l->reading = l->writing = 0;
}

/*
 * Send a command on the command link if it is up (a link that broke in
 * this round is not); 0, or -1 (the callback will not run).
 */
static int
send_cmd(struct cluster *c, redisCallbackFn *fn, void *arg, const char *fmt,
    ...)
{
	va_list	ap;
	int	r;

	if (c->cmd.ac == NULL || c->reset)
		return -1;
	va_start(ap, fmt);
	r = redisvAsyncCommand(c->cmd.ac, fn, arg, fmt, ap);
	va_end(ap);
	return r == REDIS_OK ? 0 : -1;
}

#define fire(c, ...)	((void)send_cmd((c), NULL, NULL, __VA_ARGS__))

/* Deliver a frame built here (an error, a join or a leave) locally. */
static void
local_frame(struct cluster *c, enum ipc_kind kind, int32_t slot,
    uint32_t generation, json_object *m)
{
	struct buf	 b;
	uint8_t		*p;
	size_t		 len;

	buf_init(&b, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(m, &b) == 0) {
		p = ipc_packet(kind, slot, generation, buf_ptr(&b),
		    buf_len(&b), &len);
		if (kind == IPC_DELIVER)
			c->ops->deliver(c->arg, p, len);
		else
			c->ops->broadcast(c->arg, p, len);
		free(p);
	}
	buf_free(&b);
}

/* Tell the senders of the parcels in it that they were not delivered. */
static void
item_fail(struct cluster *c, struct item *it, const char *why)
{
	char	text[MESSAGE_TEXT_MAX];

	for (size_t i = 0; i < it->nfrom; i++) {
		if (it->from[i].slot < 0)
			continue;
		snprintf(text, sizeof text, "not delivered to %s: %s",
		    it->from[i].to, why);
		local_frame(c, IPC_DELIVER, it->from[i].slot,
		    it->from[i].generation,
		    msg_error(PROTO_E_UNAVAILABLE, text));
	}
	if (it->nfrom > 0)
		log_warnx("%zu parcels for node %s not delivered: %s",
		    it->nfrom, it->node, why);
}

static void
item_free(struct cluster *c, struct item *it)
{
	TAILQ_REMOVE(&c->outbox, it, entry);
	c->outbox_bytes -= it->len;
	free(it->data);
	free(it->from);
	free(it);
}

/* Append bytes to an item. */
static void
item_put(struct cluster *c, struct item *it, const void *p, size_t len)
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
static struct item *
item_new(struct cluster *c, const char *node)
{
	struct item	*it = xcalloc(1, sizeof *it);

	snprintf(it->node, sizeof it->node, "%s", node);
	it->created = util_now_ms();
	it->c = c;
	TAILQ_INSERT_TAIL(&c->outbox, it, entry);
	return it;
}

/* Queue a note of kind with body for every node; 0, or -1 if full. */
static int
note(struct cluster *c, char kind, const void *body, size_t len)
{
	struct item	*it;
	char		 head[NAME_MAX_LEN + 8];

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
	struct item	*it;
	uint8_t		 head[PARCEL_HEADER_LEN];

	if (c->outbox_bytes + len > OUTBOX_MAX_BYTES) {
		struct item fake = { .nfrom = 1 };
		struct parcel_from f = { from_slot, from_gen, "" };

		snprintf(f.to, sizeof f.to, "%s", to->name);
		snprintf(fake.node, sizeof fake.node, "%s", to->node);
		fake.from = &f;
		item_fail(c, &fake, "too much is waiting for the cluster");
		return;
	}
	/* Append to the node's newest parcel batch if it is not out yet. */
	TAILQ_FOREACH_REVERSE(it, &c->outbox, item_list, entry)
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

static void	sync_local(struct cluster *);
static void	scan_watches(struct cluster *, int64_t);

/*
 * Queue a wire frame for every user of every other node, after whatever
 * changed in our table (a join notice must not overtake its user).
 */
void
cluster_broadcast(struct cluster *c, const uint8_t *frame, size_t len)
{
	sync_local(c);
	scan_watches(c, util_now_ms());	/* a watch notice's room state */
	note(c, 'B', frame, len);
}

/* Return 1 if the item's node was given up on after the item was made. */
static int
given_up(struct cluster *c, const struct item *it)
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
	struct item	*it = arg;
	struct cluster	*c = it->c;
	long long	 heard;
	int		 e;

	c->round--;
	it->inflight = 0;
	if ((e = clusterreply_integer(r, 0, LLONG_MAX, &heard)) != 0) {
		if (e == CLUSTERREPLY_E_NONE)
			return;		/* disconnected: sent again later */
		bad_reply(c, CMD_PUBLISH, e, r);
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
static void
expire_items(struct cluster *c, int64_t now)
{
	struct item	*it, *next;

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
static void
flush(struct cluster *c)
{
	struct item	*it;
	char		 blocked[8][NAME_MAX_LEN + 1], chan[KEY_LEN];
	int		 nblocked = 0, skip;
	int64_t		 now = util_now_ms();

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
			make_key(chan, "to:", it->node, 0);
		if (send_cmd(c, on_published, it, "PUBLISH %s %b", chan,
		    it->data, it->len) != 0)
			break;
		it->inflight = 1;
		it->retry_at = 0;
		c->round++;
	}
}

/*
 * Publish one of our users: the hash, and an N note for a newcomer (whose
 * session announces the join itself) or a U note for a change.
 */
static void
publish_user(struct cluster *c, const struct presence_slot *s, int32_t slot)
{
	char	*rec = user_record(s, slot, s->generation);

	fire(c, "HSET %s %s %s", c->key_users, s->name, rec);
	note(c, c->shadow[slot].published ? 'U' : 'N', rec, strlen(rec));
	free(rec);
	c->shadow[slot].published = 1;
	memcpy(&c->shadow[slot].slot, s, sizeof *s);
}

/* One of our users left: the hash, its name claim, a D note. */
static void
unpublish_user(struct cluster *c, int32_t slot)
{
	struct presence_slot	*s = &c->shadow[slot].slot;
	char			 key[KEY_LEN], value[128];

	make_key(key, "name:", s->name, 1);
	claim_value(c, value, sizeof value, slot, s->generation);
	fire(c, "HDEL %s %s", c->key_users, s->name);
	fire(c, "EVAL %s 1 %s %s", release_script, key, value);
	note(c, 'D', s->name, strlen(s->name));
	c->shadow[slot].published = 0;
}

/* Publish what changed among our users since the last time. */
static void
sync_local(struct cluster *c)
{
	struct shadow	*sh;
	size_t		 n, cap = c->presence->hdr->capacity;
	char		*seen;

	if (c->state != CLUSTER_UP && c->state != CLUSTER_SYNCING)
		return;
	c->seen_generation = __atomic_load_n(&c->presence->hdr->generation,
	    __ATOMIC_ACQUIRE);
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
static void
put_remote(struct cluster *c, const struct presence_slot *u, int announce)
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
		local_frame(c, IPC_BROADCAST, -2, 0, msg_join(user_json(u)));
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
		local_frame(c, IPC_BROADCAST, -2, 0,
		    msg_leave(gone.name, why));
}

/*
 * Make our copy of node's users what records (a JSON array, or NULL for
 * none) says: new ones are announced as joins, missing ones as lost. A
 * snapshot read from Redis at time since (0: an S note, which is in
 * order with the other notes) does not undo what a later note said.
 */
static void
reconcile(struct cluster *c, const char *node, json_object *records,
    int64_t since)
{
	size_t			 n, cap = c->presence->hdr->capacity, k;
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
		put_remote(c, &u, 1);
	}
	for (size_t j = 0; j < n; j++)
		if (!keep[j] && strcmp(c->scratch[j].node, node) == 0 &&
		    (since == 0 || c->noted[c->refs[j].slot] <= since))
			drop_remote(c, &c->refs[j], "lost");
	free(keep);
}

/* A node stopped its heartbeat: its users are lost. */
static void
node_gone(struct cluster *c, const char *node)
{
	struct item	*it, *next;
	char		 key_node[KEY_LEN], key_users[KEY_LEN];
	unsigned int	 i;

	log_warnx("node %s is gone (no heartbeat for %d ms)", node,
	    c->cfg->cluster_ttl_ms);
	i = c->next_gone++ % (sizeof c->gone / sizeof c->gone[0]);
	snprintf(c->gone[i].node, sizeof c->gone[i].node, "%s", node);
	c->gone[i].at = util_now_ms();
	reconcile(c, node, NULL, 0);
	for (it = TAILQ_FIRST(&c->outbox); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (!it->inflight && strcmp(it->node, node) == 0) {
			item_fail(c, it, "their server left the cluster");
			item_free(c, it);
		}
	}
	make_key(key_node, "node:", node, 0);
	make_key(key_users, "users:", node, 0);
	fire(c, "EVAL %s 3 %s %s %s %s", forget_script, key_node, key_users,
	    c->key_nodes, node);
}

/* Another node's watch-together state: remember it, apply a change. */
static void
on_watch_note(struct cluster *c, const struct note *n)
{
	struct watch_note	wn;

	if (c->players == NULL)
		return;
	if (watch_note_parse(n->body, n->len, &wn) != 0) {
		log_warnx("node %s: a bad watch note", n->node);
		return;
	}
	wn.w.at_ms = util_now_ms();
	player_watch_put(c->players, &wn.w);
	if (wn.action != 0)
		player_control_room(c->players, wn.w.room, wn.action, wn.to,
		    wn.quality, wn.w.by);
}

/* Handle a note from another node on the all channel. */
static void
on_note(struct cluster *c, const uint8_t *p, size_t len)
{
	struct note		 n;
	json_object		*o;
	struct presence_slot	 u;
	struct presence_ref	*ref;
	uint8_t			*pkt;
	size_t			 plen, k;

	if (note_parse(p, len, &n) != 0) {
		log_warnx("a malformed cluster note (%zu bytes)", len);
		return;
	}
	if (strcmp(n.node, c->cfg->node) == 0)
		return;		/* our own */
	switch (n.kind) {
	case 'N':
	case 'U':
		/* A change to a user we do not know (we had given up on its
		 * node) is announced: the newcomer's join comes by itself. */
		o = user_parse_json(n.body, n.len);
		if (user_record_parse(o, n.node, &u) == 0)
			put_remote(c, &u, n.kind == 'U');
		else
			log_warnx("node %s: a bad user record", n.node);
		json_object_put(o);
		break;
	case 'D':
		if (n.len == 0 || n.len > NAME_MAX_LEN)
			break;
		memcpy(u.name, n.body, n.len);
		u.name[n.len] = '\0';
		k = presence_snapshot(c->presence, c->scratch, c->refs,
		    c->presence->hdr->capacity);
		if (find_remote(c, k, n.node, u.name, &ref) != NULL)
			drop_remote(c, ref, NULL);
		tombstone(c, n.node, u.name);
		break;
	case 'S':
		if ((o = user_parse_json(n.body, n.len)) == NULL) {
			log_warnx("node %s: a bad user list", n.node);
			break;
		}
		reconcile(c, n.node, o, 0);
		json_object_put(o);
		break;
	case 'B':
		if (!note_frame_ok(n.body, n.len)) {
			log_warnx("node %s: a malformed notice", n.node);
			break;
		}
		pkt = ipc_packet(IPC_BROADCAST, -2, 0, n.body, n.len, &plen);
		c->ops->broadcast(c->arg, pkt, plen);
		free(pkt);
		break;
	case 'W':
		on_watch_note(c, &n);
		break;
	default:
		log_warnx("node %s: a note of unknown kind", n.node);
	}
}

/* Handle parcels for our users from another node. */
static void
on_parcels(struct cluster *c, const uint8_t *p, size_t len)
{
	struct parcel	 pc;
	uint8_t		*pkt;
	size_t		 plen;
	int		 r;

	while ((r = parcel_next(&p, &len, &pc)) == 1) {
		pkt = ipc_packet(IPC_DELIVER, pc.slot, pc.generation, pc.frame,
		    pc.len, &plen);
		c->ops->deliver(c->arg, pkt, plen);
		free(pkt);
	}
	if (r != 0)
		log_warnx("malformed parcels from the cluster");
}

/* Replies on the subscribed connection: confirmations, then messages. */
static void
on_sub(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster			*c = arg;
	const char			*channels[] = { c->chan_all, c->chan_me };
	struct clusterreply_message	 m;
	int				 e;

	if ((e = clusterreply_message(r, channels, 2, &m)) != 0) {
		bad_reply(c, CMD_SUBSCRIBE, e, r);
		return;
	}
	if (m.kind == CLUSTERREPLY_SUBSCRIBED) {
		/* Both channels, each counted once. */
		c->subscribed |= 1 << m.channel;
		if (c->subscribed == 3 && c->state == CLUSTER_CONNECTING)
			start_sync(c);
	} else if (m.channel == 0)
		on_note(c, m.data, m.len);
	else
		on_parcels(c, m.data, m.len);
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
		bad_reply(l->c, CMD_EXISTS, e, r);
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
			node_gone(c, l->node);
		else if (l->alive == 1 &&
		    (e = clusterreply_values(r, &v)) != 0)
			bad_reply(c, CMD_HGETALL, e, r);
		else if (l->alive == 1) {
			records = json_object_new_array();
			for (size_t i = 0; i < v.n; i++)
				json_object_array_add(records,
				    user_parse_json(v.value[i].p,
				    v.value[i].len));
			clusterreply_values_free(&v);
			reconcile(c, l->node, records, l->since);
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
		bad_reply(c, CMD_SMEMBERS, e, r);
		loaded(c);
		return;
	}
	if (nodes.invalid > 0)
		bad_reply(c, CMD_SMEMBERS, CLUSTERREPLY_E_NAME, r);
	for (size_t i = 0; i < nodes.n; i++) {
		if (strcmp(nodes.name[i], c->cfg->node) == 0)
			continue;
		l = xcalloc(1, sizeof *l);
		l->c = c;
		l->alive = -1;
		l->since = since;
		snprintf(l->node, sizeof l->node, "%s", nodes.name[i]);
		make_key(key, "node:", l->node, 0);
		if (send_cmd(c, on_alive, l, "EXISTS %s", key) != 0) {
			free(l);
			break;
		}
		make_key(key, "users:", l->node, 0);
		/* on_alive runs first; this one frees l. */
		if (send_cmd(c, on_snapshot, l, "HGETALL %s", key) != 0)
			break;
		c->loading++;
	}
	/* Users of nodes no longer in the set are lost. */
	n = presence_snapshot(c->presence, c->scratch, c->refs,
	    c->presence->hdr->capacity);
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

/* The claim of one of our names again, after a reconnection. */
struct reclaim {
	struct cluster	*c;
	int32_t		 slot;
	uint32_t	 generation;
};

static void
on_reclaimed(redisAsyncContext *ac, void *r, void *arg)
{
	struct reclaim	*rc = arg;
	long long	 ours;
	int		 e;

	if ((e = clusterreply_integer(r, 0, 1, &ours)) != 0)
		bad_reply(rc->c, CMD_CLAIM, e, r);	/* kept, unsure */
	else if (!ours)
		rc->c->ops->claimed(rc->c->arg, rc->slot, rc->generation,
		    PROTO_E_NAME_TAKEN);
	free(rc);
}

/*
 * Release the names of users who left while we could not say so (the
 * first n entries of the scratch snapshot are who is here now).
 */
static void
release_gone(struct cluster *c, size_t n)
{
	char	key[KEY_LEN], value[128];
	size_t	i;

	for (uint32_t slot = 0; slot < c->presence->hdr->capacity; slot++) {
		struct presence_slot *s = &c->shadow[slot].slot;

		if (!c->shadow[slot].published)
			continue;
		for (i = 0; i < n; i++)
			if (c->refs[i].slot == (int)slot &&
			    c->refs[i].generation == s->generation)
				break;
		if (i < n)
			continue;
		make_key(key, "name:", s->name, 1);
		claim_value(c, value, sizeof value, (int32_t)slot,
		    s->generation);
		fire(c, "EVAL %s 1 %s %s", release_script, key, value);
	}
}

/*
 * Connected and subscribed: register this node and all its users again
 * (a name another node took meanwhile ends our user's session), tell the
 * others (an S note), then load every other node's users.
 */
static void
start_sync(struct cluster *c)
{
	size_t		 n, cap = c->presence->hdr->capacity;
	json_object	*all = json_object_new_array();
	const char	*text;
	char		 key[KEY_LEN], value[128], *rec;
	struct reclaim	*rc;
	struct item	*it, *next;

	if (c->cmd.ac == NULL || c->reset)
		return;		/* a link broke: cluster_run() starts over */
	c->state = CLUSTER_SYNCING;
	c->state_since = util_now_ms();
	c->backoff = BACKOFF_MIN_MS;
	if (c->warned_down)
		log_info("cluster: Redis is back; registering again");
	c->warned_down = 0;
	/* Presence notes held while away are stale: the S note says it all
	 * (notices for everyone, watch states and chat still go). */
	for (it = TAILQ_FIRST(&c->outbox); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (!it->inflight && it->node[0] == '\0' && it->len > 0 &&
		    strchr("NUDS", it->data[0]) != NULL)
			item_free(c, it);
	}
	c->auditing = 0;
	c->next_audit = util_now_ms() + AUDIT_MS;
	fire(c, "SADD %s %s", c->key_nodes, c->cfg->node);
	fire(c, "SET %s %s PX %d", c->key_node, c->epoch,
	    c->cfg->cluster_ttl_ms);
	fire(c, "DEL %s", c->key_users);
	n = presence_local(c->presence, c->scratch, c->refs, cap);
	release_gone(c, n);
	memset(c->shadow, 0, cap * sizeof *c->shadow);
	for (size_t i = 0; i < n; i++) {
		struct presence_slot *s = &c->scratch[i];
		int32_t slot = c->refs[i].slot;

		make_key(key, "name:", s->name, 1);
		claim_value(c, value, sizeof value, slot, s->generation);
		rc = xcalloc(1, sizeof *rc);
		*rc = (struct reclaim){ c, slot, s->generation };
		if (send_cmd(c, on_reclaimed, rc, "EVAL %s 1 %s %s %d",
		    claim_script, key, value, c->cfg->cluster_ttl_ms) != 0)
			free(rc);
		rec = user_record(s, slot, s->generation);
		fire(c, "HSET %s %s %s", c->key_users, s->name, rec);
		json_object_array_add(all, user_parse_json(rec, strlen(rec)));
		free(rec);
		c->shadow[slot].published = 1;
		memcpy(&c->shadow[slot].slot, s, sizeof *s);
	}
	fire(c, "PEXPIRE %s %d", c->key_users, c->cfg->cluster_ttl_ms);
	text = json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN);
	/* The S note goes ahead of anything held while we were away. */
	if (note(c, 'S', text, strlen(text)) == 0 &&
	    TAILQ_LAST(&c->outbox, item_list) != TAILQ_FIRST(&c->outbox)) {
		struct item *s = TAILQ_LAST(&c->outbox, item_list);

		TAILQ_REMOVE(&c->outbox, s, entry);
		TAILQ_INSERT_HEAD(&c->outbox, s, entry);
	}
	json_object_put(all);
	send_cmd(c, on_members, c, "SMEMBERS %s", c->key_nodes);
	c->next_beat = util_now_ms() + c->cfg->cluster_ttl_ms / 3;
}

/* Our heartbeat came back; a missing old value means we had expired. */
static void
on_beat(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster		*c = arg;
	enum clusterreply_beat	 found;
	int			 e;

	c->beat_sent = 0;
	if ((e = clusterreply_beat(r, c->epoch, &found)) != 0) {
		bad_reply(c, CMD_BEAT, e, r);
		return;
	}
	if (found == CLUSTERREPLY_BEAT_EXPIRED && c->state == CLUSTER_UP) {
		log_warnx("cluster: our heartbeat had expired; registering "
		    "again");
		start_sync(c);
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

static void
on_check(redisAsyncContext *ac, void *r, void *arg)
{
	struct check	*k = arg;
	uint8_t		*alive = xcalloc(k->n, 1);
	int		 e;

	if ((e = clusterreply_present(r, k->n, alive)) != 0)
		bad_reply(k->c, CMD_MGET, e, r);
	else if (k->c->state == CLUSTER_UP)
		for (size_t i = 0; i < k->n; i++)
			if (!alive[i])
				node_gone(k->c, k->nodes[i]);
	free(alive);
	free(k);
}

/* Heartbeat: our key, our users' hash and names live on. */
static void
beat(struct cluster *c, int64_t now)
{
	char	key[KEY_LEN];

	if (c->beat_sent != 0 && now - c->beat_sent > c->cfg->cluster_ttl_ms) {
		log_warnx("cluster: Redis does not answer; reconnecting");
		c->reset = 1;
		return;
	}
	c->next_beat = now + c->cfg->cluster_ttl_ms / 3;
	if (c->beat_sent == 0 && send_cmd(c, on_beat, c, "EVAL %s 1 %s %s %d",
	    beat_script, c->key_node, c->epoch, c->cfg->cluster_ttl_ms) == 0)
		c->beat_sent = now;
	fire(c, "SADD %s %s", c->key_nodes, c->cfg->node);
	fire(c, "PEXPIRE %s %d", c->key_users, c->cfg->cluster_ttl_ms);
	for (uint32_t i = 0; i < c->presence->hdr->capacity; i++) {
		if (!c->shadow[i].published)
			continue;
		make_key(key, "name:", c->shadow[i].slot.name, 1);
		fire(c, "PEXPIRE %s %d", key, c->cfg->cluster_ttl_ms);
	}
}

/* Ask whether the nodes our remote users live on are still alive. */
static void
check_nodes(struct cluster *c)
{
	size_t		 n = presence_snapshot(c->presence, c->scratch, NULL,
			    c->presence->hdr->capacity), k = 0;
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
		make_key(keys[i], "node:", chk->nodes[i], 0);
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

/* Claim a name cluster-wide for our session in slot/generation. */
struct claim {
	struct cluster	*c;
	int32_t		 slot;
	uint32_t	 generation;
};

static void
on_claimed(redisAsyncContext *ac, void *r, void *arg)
{
	struct claim	*cl = arg;
	long long	 ours;
	int		 status = PROTO_E_UNAVAILABLE, e;

	if ((e = clusterreply_integer(r, 0, 1, &ours)) != 0)
		bad_reply(cl->c, CMD_CLAIM, e, r);
	else
		status = ours ? PROTO_OK : PROTO_E_NAME_TAKEN;
	cl->c->ops->claimed(cl->c->arg, cl->slot, cl->generation, status);
	free(cl);
}

void
cluster_claim(struct cluster *c, int32_t slot, uint32_t generation,
    const char *name)
{
	struct claim	*cl;
	char		 key[KEY_LEN], value[128];

	if ((c->state != CLUSTER_UP && c->state != CLUSTER_SYNCING) ||
	    c->cmd.ac == NULL || c->reset || !proto_name_valid(name)) {
		c->ops->claimed(c->arg, slot, generation, PROTO_E_UNAVAILABLE);
		return;
	}
	make_key(key, "name:", name, 1);
	claim_value(c, value, sizeof value, slot, generation);
	/* What changed first: a release of the name (a user who just
	 * left) goes before this claim on the same connection. */
	sync_local(c);
	cl = xcalloc(1, sizeof *cl);
	*cl = (struct claim){ c, slot, generation };
	if (send_cmd(c, on_claimed, cl, "EVAL %s 1 %s %s %d", claim_script,
	    key, value, c->cfg->cluster_ttl_ms) != 0) {
		free(cl);
		c->ops->claimed(c->arg, slot, generation, PROTO_E_UNAVAILABLE);
	}
}

/* Tear both links down and plan the next attempt. */
static void
go_down(struct cluster *c, int64_t now)
{
	struct item	*it;

	if (c->state != CLUSTER_DOWN && !c->warned_down) {
		log_warnx("cluster: lost Redis at %s:%d; serving local users, "
		    "retrying", c->cfg->redis_host, c->cfg->redis_port);
		c->warned_down = 1;
	}
	link_close(&c->cmd);
	link_close(&c->sub);
	TAILQ_FOREACH(it, &c->outbox, entry)
		it->inflight = 0;
	c->round = 0;
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
			bad_reply(c, CMD_AUTH, e, r);
		c->warned_auth = 0;
	}
}

/* Start connecting both links (authenticating first if asked to). */
static void
connect_links(struct cluster *c, int64_t now)
{
	if (link_open(c, &c->cmd, "commands") != 0 ||
	    link_open(c, &c->sub, "subscriptions") != 0) {
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
	redisAsyncCommand(c->sub.ac, on_sub, c, "SUBSCRIBE %s %s", c->chan_all,
	    c->chan_me);
}

/*
 * Tell the other nodes what our rooms watch together: a new room player,
 * a change a user of ours made (not one that came from another node),
 * and every WATCH_REFRESH_MS the state again (for late joiners there).
 */
static void
scan_watches(struct cluster *c, int64_t now)
{
	struct player_slot	*s;
	struct watch_note	 wn;
	uint32_t		 state, applied;
	int			 send;
	char			*text;

	c->room_players = 0;
	for (int i = 0; c->players != NULL && i < PLAYER_SLOTS; i++) {
		s = &c->players->slots[i];
		state = __atomic_load_n(&s->state, __ATOMIC_SEQ_CST);
		if ((state != PLAYER_RUNNING && state != PLAYER_REQUESTED) ||
		    s->room[0] == '\0')
			continue;
		c->room_players++;
		applied = __atomic_load_n(&s->applied_gen, __ATOMIC_SEQ_CST);
		memset(&wn, 0, sizeof wn);
		send = 0;
		if (c->wshadow[i].generation != s->generation)
			send = 1;
		else if (c->wshadow[i].applied != applied) {
			send = !s->control_remote;
			if (send && s->control_action >= PLAYER_PAUSE &&
			    s->control_action <= PLAYER_QUALITY) {
				wn.action = (enum player_action)
				    s->control_action;
				wn.to = s->control_to;
				wn.quality = s->control_quality;
				snprintf(wn.w.by, sizeof wn.w.by, "%s",
				    s->control_by);
			}
		} else
			send = now - c->wshadow[i].noted >= WATCH_REFRESH_MS;
		c->wshadow[i].generation = s->generation;
		c->wshadow[i].applied = applied;
		if (!send)
			continue;
		c->wshadow[i].noted = now;
		snprintf(wn.w.room, sizeof wn.w.room, "%s", s->room);
		snprintf(wn.w.title, sizeof wn.w.title, "%s", s->title);
		wn.w.quality = s->quality;
		wn.w.width = s->width;
		wn.w.height = s->height;
		wn.w.position = state == PLAYER_RUNNING ? __atomic_load_n(
		    &s->position_ms, __ATOMIC_SEQ_CST) / 1000.0 : s->start;
		wn.w.paused = __atomic_load_n(&s->paused, __ATOMIC_SEQ_CST);
		text = watch_note_text(&wn);
		note(c, 'W', text, strlen(text));
		free(text);
	}
}

struct cluster *
cluster_new(const struct server_config *cfg, struct presence *presence,
    struct player_table *players, const struct cluster_ops *ops, void *arg)
{
	struct cluster	*c = xcalloc(1, sizeof *c);
	size_t		 cap = presence->hdr->capacity;
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
	make_key(c->key_node, "node:", cfg->node, 0);
	make_key(c->key_users, "users:", cfg->node, 0);
	make_key(c->chan_me, "to:", cfg->node, 0);
	c->state = CLUSTER_DOWN;
	connect_links(c, util_now_ms());
	return c;
}

/* The connections' poll entries; returns how many were filled. */
size_t
cluster_pollfds(struct cluster *c, struct pollfd *pfd)
{
	struct link	*links[2] = { &c->cmd, &c->sub };
	size_t		 n = 0;

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
	struct link	*links[2] = { &c->cmd, &c->sub };
	size_t		 k = 0;

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
	int64_t		now = util_now_ms(), next = now + CHECK_MS;
	struct item	*it;

	if (c->state == CLUSTER_DOWN)
		next = c->next_attempt;
	else if (c->state == CLUSTER_UP) {
		if (c->next_beat < next)
			next = c->next_beat;
		TAILQ_FOREACH(it, &c->outbox, entry)
			if (it->retry_at != 0 && it->retry_at < next)
				next = it->retry_at;
		if (c->seen_generation != c->presence->hdr->generation &&
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
	expire_items(c, now);
	if (c->state != CLUSTER_UP)
		return;
	if (force || (c->seen_generation != c->presence->hdr->generation &&
	    now >= c->next_sync)) {
		sync_local(c);
		c->next_sync = now + SYNC_MS;
	}
	if (now >= c->next_watch) {
		/* Often while rooms watch (pauses and seeks cross quickly);
		 * a new room player is also noticed with its watch notice. */
		scan_watches(c, now);
		c->next_watch = now + (c->room_players > 0 ? SYNC_MS :
		    WATCH_REFRESH_MS);
	}
	if (now >= c->next_beat)
		beat(c, now);
	if (now >= c->next_check) {
		check_nodes(c);
		c->next_check = now + CHECK_MS;
	}
	if (now >= c->next_audit && !c->auditing) {
		c->next_audit = now + AUDIT_MS;
		if (send_cmd(c, on_members, c, "SMEMBERS %s",
		    c->key_nodes) == 0)
			c->auditing = 1;
	}
	flush(c);
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
		sync_local(c);
		note(c, 'S', "[]", 2);
		c->stopping = 1;
		while (util_now_ms() < until && c->cmd.ac != NULL &&
		    (!TAILQ_EMPTY(&c->outbox) || c->round > 0)) {
			flush(c);
			n = cluster_pollfds(c, pfd);
			if (poll(pfd, n, 50) > 0)
				cluster_events(c, pfd, n);
			if (c->reset)
				break;
		}
		fire(c, "DEL %s %s", c->key_users, c->key_node);
		fire(c, "SREM %s %s", c->key_nodes, c->cfg->node);
		while (util_now_ms() < until && c->cmd.ac != NULL &&
		    c->cmd.writing) {
			n = cluster_pollfds(c, pfd);
			if (poll(pfd, n, 50) > 0)
				cluster_events(c, pfd, n);
		}
	}
	cluster_free(c);
}

void
cluster_free(struct cluster *c)
{
	struct item	*it;

	if (c == NULL)
		return;
	link_close(&c->cmd);
	link_close(&c->sub);
	while ((it = TAILQ_FIRST(&c->outbox)) != NULL)
		item_free(c, it);
	free(c->shadow);
	free(c->scratch);
	free(c->refs);
	free(c->noted);
	free(c);
}
