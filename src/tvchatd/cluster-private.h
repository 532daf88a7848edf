/*
 * Cluster mode's own header, shared by the cluster-* files only: the
 * state of the bridge to Redis (struct cluster) and what each file offers
 * the others. Layered: cluster-link.c (the hiredis adapter and the
 * connections) at the bottom; cluster-outbox.c, cluster-names.c and
 * cluster-watch.c above it; cluster-users.c, then cluster-beat.c and
 * cluster-inbox.c; cluster.c, the public entry points, on top.
 */
#ifndef TVCHAT_CLUSTER_PRIVATE_H
#define TVCHAT_CLUSTER_PRIVATE_H

#include <sys/queue.h>

#include <json-c/json.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "cluster.h"
#include "clusternote.h"
#include "clusterreader.h"
#include "ipc.h"

#define PREFIX			"tvchat:"
#define KEY_LEN			(sizeof PREFIX + 16 + NAME_MAX_LEN)
#define CHECK_MS		500	/* are the other nodes alive? */
#define SYNC_MS			100	/* publish table changes */
#define WATCH_REFRESH_MS	2000	/* a room's watch state again */
#define AUDIT_MS		5000	/* compare with every node's hash */
#define TOMBSTONES		64	/* users we heard leave lately */
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000

enum cluster_state {
	CLUSTER_DOWN,		/* waiting to reconnect */
	CLUSTER_CONNECTING,
	CLUSTER_SYNCING,	/* subscribed; registering and loading */
	CLUSTER_UP,
};

struct cluster_link {
	struct cluster		*c;
	redisAsyncContext	*ac;
	int			 reading, writing;
	int			 connected;
	const char		*what;
	struct clusterreader_guard guard;
};

/* The commands whose replies the callbacks read, for the log. */
enum cluster_command {
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

/* What we last published about one of our users. */
struct cluster_shadow {
	int			published;
	struct presence_slot	slot;
};

/* One PUBLISH waiting in the outbox (cluster-outbox.c). */
struct cluster_item;
TAILQ_HEAD(cluster_item_list, cluster_item);

struct cluster {
	const struct server_config *cfg;
	struct presence		*presence;
	const struct cluster_ops *ops;
	void			*arg;
	struct cluster_link	 cmd, sub;
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
	struct cluster_item_list outbox;
	size_t			 outbox_bytes;
	int			 round;		/* replies awaited */
	struct cluster_shadow	*shadow;
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
	unsigned int		 warned_reply;	/* bits: cluster_command */
};

/* cluster-link.c: the hiredis event adapter, the links, the broker. */
void	cluster_link_key(char *, const char *, const char *, int);
void	cluster_link_bad_reply(struct cluster *, enum cluster_command, int,
	    const redisReply *);
int	cluster_link_open(struct cluster *, struct cluster_link *,
	    const char *);
void	cluster_link_close(struct cluster_link *);
int	cluster_link_send(struct cluster *, redisCallbackFn *, void *,
	    const char *, ...);
#define cluster_link_fire(c, ...) \
	((void)cluster_link_send((c), NULL, NULL, __VA_ARGS__))
void	cluster_link_local_frame(struct cluster *, enum ipc_kind, int32_t,
	    uint32_t, json_object *);

/* cluster-outbox.c: what we publish, in order, in rounds. */
int	cluster_outbox_note(struct cluster *, char, const void *, size_t);
void	cluster_outbox_note_first(struct cluster *, char, const void *,
	    size_t);
void	cluster_outbox_flush(struct cluster *);
void	cluster_outbox_expire(struct cluster *, int64_t);
int64_t	cluster_outbox_next_retry(struct cluster *, int64_t);
void	cluster_outbox_drop_node(struct cluster *, const char *);
void	cluster_outbox_drop_presence(struct cluster *);
void	cluster_outbox_reset(struct cluster *);
void	cluster_outbox_free(struct cluster *);

/* cluster-names.c: cluster-wide name claims. */
int	cluster_names_claim(struct cluster *, int32_t, uint32_t,
	    const char *);
void	cluster_names_reclaim(struct cluster *, int32_t, uint32_t,
	    const char *);
void	cluster_names_release(struct cluster *, int32_t, uint32_t,
	    const char *);
void	cluster_names_release_gone(struct cluster *, size_t);

/* cluster-watch.c: watch-together across nodes. */
void	cluster_watch_scan(struct cluster *, int64_t);
void	cluster_watch_note(struct cluster *, const struct note *);

/* cluster-users.c: our users out, other nodes' users in. */
void	cluster_users_sync(struct cluster *);
void	cluster_users_register(struct cluster *);
int	cluster_users_audit(struct cluster *);
void	cluster_users_put(struct cluster *, const struct presence_slot *,
	    int);
void	cluster_users_left(struct cluster *, const char *, const char *);
void	cluster_users_reconcile(struct cluster *, const char *,
	    json_object *, int64_t);
void	cluster_users_gone(struct cluster *, const char *);

/* cluster-beat.c: heartbeats, ours and the other nodes'. */
void	cluster_beat(struct cluster *, int64_t);
void	cluster_beat_check(struct cluster *);

/* cluster-inbox.c: what arrives on the subscribed connection. */
void	cluster_inbox_subscribe(struct cluster *);

#endif
