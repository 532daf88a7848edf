/*
 * Cluster mode's inbox: what arrives on the subscribed connection. On
 * PREFIX all, notes every node reads: "<kind> <node>\n<body>", the user
 * notes (N, U, D, S: cluster-users.c), B (a wire frame to show every
 * user) and W (a room's watch-together state). On PREFIX to:<node>,
 * parcels for our users, each a 12-byte header (slot, generation,
 * length; big-endian) and a wire frame for the user in that slot here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cluster-private.h"
#include "clusterreply.h"
#include "log.h"
#include "user.h"

/* Handle a note from another node on the all channel. */
static void
on_note(struct cluster *c, const uint8_t *p, size_t len)
{
	struct note		 n;
	json_object		*o;
	struct presence_slot	 u;
	uint8_t			*pkt;
	size_t			 plen;

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
			cluster_users_put(c, &u, n.kind == 'U');
		else
			log_warnx("node %s: a bad user record", n.node);
		json_object_put(o);
		break;
	case 'D':
		if (n.len == 0 || n.len > NAME_MAX_LEN)
			break;
		memcpy(u.name, n.body, n.len);
		u.name[n.len] = '\0';
		cluster_users_left(c, n.node, u.name);
		break;
	case 'S':
		if ((o = user_parse_json(n.body, n.len)) == NULL) {
			log_warnx("node %s: a bad user list", n.node);
			break;
		}
		cluster_users_reconcile(c, n.node, o, 0);
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
		cluster_watch_note(c, &n);
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
		cluster_link_bad_reply(c, CMD_SUBSCRIBE, e, r);
		return;
	}
	if (m.kind == CLUSTERREPLY_SUBSCRIBED) {
		/* Both channels, each counted once. */
		c->subscribed |= 1 << m.channel;
		if (c->subscribed == 3 && c->state == CLUSTER_CONNECTING)
			cluster_users_register(c);
	} else if (m.channel == 0)
		on_note(c, m.data, m.len);
	else
		on_parcels(c, m.data, m.len);
}

/* Subscribe the subscriptions link to both channels. */
void
cluster_inbox_subscribe(struct cluster *c)
{
	redisAsyncCommand(c->sub.ac, on_sub, c, "SUBSCRIBE %s %s", c->chan_all,
	    c->chan_me);
}
