/*
 * Cluster mode's bottom layer: the hiredis event adapter (hiredis is
 * driven by the broker's own poll loop through its event hooks), the two
 * links to Redis (one for commands, one subscribed to the channels), the
 * keys' names, and the way back into the broker for frames built here.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cluster-private.h"
#include "clusterreply.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

/* hiredis event hooks: remember what the connection waits for. */
static void
ev_add_read(void *p)
{
	((struct cluster_link *)p)->reading = 1;
}

static void
ev_del_read(void *p)
{
	((struct cluster_link *)p)->reading = 0;
}

static void
ev_add_write(void *p)
{
	((struct cluster_link *)p)->writing = 1;
}

static void
ev_del_write(void *p)
{
	((struct cluster_link *)p)->writing = 0;
}

static void
ev_cleanup(void *p)
{
	struct cluster_link	*l = p;

	l->reading = l->writing = 0;
}

/* Write PREFIX + what + name (lowercased if lower) into key. */
void
cluster_link_key(char *key, const char *what, const char *name,
    int lower)
{
	size_t	n;

	n = (size_t)snprintf(key, KEY_LEN, "%s%s%s", PREFIX, what, name);
	if (lower)
		for (size_t i = n - strlen(name); i < n; i++)
			key[i] = (char)tolower((unsigned char)key[i]);
}

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

/*
 * Log a reply a callback cannot use (error: what clusterreply_*() said),
 * once per command and connection; the callback goes on without it.
 */
void
cluster_link_bad_reply(struct cluster *c, enum cluster_command cmd,
    int error, const redisReply *reply)
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
	struct cluster_link	*l = arg;

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
	struct cluster_link	*l = ac->data;

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
	struct cluster_link	*l = ac->data;

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
int
cluster_link_open(struct cluster *c, struct cluster_link *l,
    const char *what)
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
void
cluster_link_close(struct cluster_link *l)
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
int
cluster_link_send(struct cluster *c, redisCallbackFn *fn, void *arg,
    const char *fmt, ...)
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

/* Deliver a frame built here (an error, a join or a leave) locally. */
void
cluster_link_local_frame(struct cluster *c, enum ipc_kind kind,
    int32_t slot, uint32_t generation, json_object *m)
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
