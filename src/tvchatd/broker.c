/*
 * The broker: one poll() loop over a Unix-domain SOCK_SEQPACKET listening
 * socket and one connection per session (and one from the master). It
 * routes packets: a delivery to the session owning a slot, a broadcast to
 * every session but the sender. Writes are non-blocking with a bounded
 * queue per connection; a connection whose queue overflows is dropped, so
 * one stuck session never stalls the others. Packets for a user whose
 * session has not (re)connected yet, as after a broker restart, wait in a
 * small per-slot queue until it registers or leaves.
 *
 * A packet a session numbered is acknowledged to it once every copy has
 * left us: written into its recipient's socket, where it outlives us, or
 * dropped because its recipient is gone (or was cut off for not keeping
 * up). A ticket per packet counts the copies still queued here; the acks
 * of one round go to each session in one packet.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

#define BROKER_CONN_QUEUE	16384	/* packets queued to one session */
#define BROKER_PENDING_MAX	1024	/* held for an unregistered session */
#define BROKER_SWEEP_MS		1000
#define BROKER_ACCEPT_PAUSE_MS	100	/* after running out of descriptors */
#define BROKER_MASTER_SLOT	(-1)
#define BROKER_ACKS_MAX		((IPC_MAX_PAYLOAD) / sizeof(uint64_t))

/* A numbered packet of a session's, until every copy has left us. */
struct broker_ticket {
	int32_t		 slot;		/* the sender */
	uint32_t	 generation;
	uint64_t	 seq;
	uint32_t	 refs;		/* copies queued, +1 while routing */
};

struct broker_conn {
	int		 fd;
	int		 registered;
	int32_t		 slot;
	uint32_t	 generation;
	pid_t		 pid;
	struct pktq	 q;
	int		 broken;	/* no more writes: conn_broken() */
	uint64_t	*acks;		/* seqs to acknowledge this round */
	size_t		 nacks;
	size_t		 acks_cap;
};

struct broker {
	const struct server_config *cfg;
	struct presence		*presence;
	int			 listen_fd;
	struct broker_conn	*conns;
	size_t			 nconns;
	size_t			 cap;
	int32_t			*by_slot;	/* slot -> index in conns, -1 */
	uint32_t		*lost;		/* per slot: dropped, to tell */
	uint32_t		*lost_gen;	/* generation they were for */
	struct pktq		*pending;	/* per slot, until it registers */
	uint32_t		*pending_gen;	/* generation they are for */
	size_t			 npending;	/* slots with pending packets */
	int64_t			 accept_paused_until;	/* ms, monotonic */
	int			 out_of_fds;	/* this shortage is logged */
	int			 quit;
	pid_t			 master;
	struct cluster		*cluster;	/* NULL: a single node */
};

static struct broker	broker;

static void	ticket_release(void *);

/* A ticket for a numbered packet from slot/generation, held by routing. */
static struct broker_ticket *
ticket_new(int32_t slot, uint32_t generation, uint64_t seq)
{
	struct broker_ticket	*t = xmalloc(sizeof *t);

	*t = (struct broker_ticket){ slot, generation, seq, 1 };
	return t;
}

/* One more copy of t's packet is queued (t may be NULL: not numbered). */
static void *
ticket_ref(struct broker_ticket *t)
{
	if (t != NULL)
		t->refs++;
	return t;
}

/*
 * A copy of a ticket's packet has left us; after the last, the sender is
 * to be told, if its link is still the one it was sent on (a sender that
 * reconnected sends the packet again; its receivers drop the repeat).
 */
static void
ticket_release(void *arg)
{
	struct broker		*b = &broker;
	struct broker_ticket	*t = arg;
	struct broker_conn	*c;
	int32_t			 di;

	if (--t->refs > 0)
		return;
	if ((di = b->by_slot[t->slot]) != -1 &&
	    (c = &b->conns[di])->generation == t->generation && !c->broken) {
		if (c->nacks == c->acks_cap) {
			c->acks_cap = c->acks_cap ? c->acks_cap * 2 : 64;
			c->acks = xreallocarray(c->acks, c->acks_cap,
			    sizeof *c->acks);
		}
		c->acks[c->nacks++] = t->seq;
	}
	free(t);
}

/*
 * Accept every pending connection. Out of descriptors, accepting pauses
 * for a moment (logged once per shortage) rather than spin on a listening
 * socket that stays readable; the sessions wait in its backlog meanwhile.
 */
static void
accept_conns(struct broker *b)
{
	int	fd;

	for (;;) {
		fd = accept4(b->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				if (!b->out_of_fds)
					log_warn("accept: session links wait");
				b->out_of_fds = 1;
				b->accept_paused_until = util_now_ms() +
				    BROKER_ACCEPT_PAUSE_MS;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		b->out_of_fds = 0;
		if (b->nconns == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 64;
			b->conns = xreallocarray(b->conns, b->cap,
			    sizeof *b->conns);
		}
		memset(&b->conns[b->nconns], 0, sizeof b->conns[0]);
		b->conns[b->nconns].fd = fd;
		b->conns[b->nconns].slot = BROKER_MASTER_SLOT - 1;
		pktq_init(&b->conns[b->nconns].q, BROKER_CONN_QUEUE);
		b->conns[b->nconns].q.release = ticket_release;
		b->nconns++;
	}
}

/* Close connection i (the last one moves into its place). */
static void
drop_conn(struct broker *b, size_t i)
{
	struct broker_conn	*c = &b->conns[i];

	if (c->registered && c->slot >= 0 && b->by_slot[c->slot] == (int32_t)i)
		b->by_slot[c->slot] = -1;
	close(c->fd);
	pktq_free(&c->q);
	free(c->acks);
	b->nconns--;
	if (i != b->nconns) {
		b->conns[i] = b->conns[b->nconns];
		c = &b->conns[i];
		if (c->registered && c->slot >= 0 &&
		    b->by_slot[c->slot] == (int32_t)b->nconns)
			b->by_slot[c->slot] = (int32_t)i;
	}
}

/* Count n packets for c's session dropped, to tell it when it is back. */
static void
count_lost(struct broker_conn *c, size_t n)
{
	struct broker	*b = &broker;

	if (!c->registered || c->slot < 0 || n == 0)
		return;
	if (b->lost_gen[c->slot] != c->generation)
		b->lost[c->slot] = 0;
	b->lost_gen[c->slot] = c->generation;
	if (b->lost[c->slot] < UINT32_MAX - n)
		b->lost[c->slot] += (uint32_t)n;
}

/*
 * Stop writing to connection c (its session is gone or not keeping up)
 * but go on reading it to the end: what the session sent before, such as
 * its leave notice, is still relayed. Shutting the link down for reading
 * too, as before, threw that away. The session sees the end of the link
 * and connects again, if it still runs.
 */
static void
conn_broken(struct broker_conn *c)
{
	if (c->broken)
		return;
	/* What is dropped with the queue is counted, to tell the session
	 * when it registers again. */
	count_lost(c, c->q.count);
	c->broken = 1;
	shutdown(c->fd, SHUT_WR);
	pktq_free(&c->q);
	c->nacks = 0;
}

/* Queue a copy of packet p (ticket t) for c; 0, or -1 on overflow. */
static int
enqueue(struct broker_conn *c, const uint8_t *p, size_t len,
    struct broker_ticket *t)
{
	uint8_t	*copy;
	int	 r;

	if (c->broken) {
		count_lost(c, 1);
		return 0;
	}
	copy = xmalloc(len);
	memcpy(copy, p, len);
	if ((r = ipc_send_tagged(c->fd, &c->q, copy, len,
	    ticket_ref(t))) == -2) {
		log_warnx("session %ld not keeping up; link dropped",
		    (long)c->pid);
		count_lost(c, 1);	/* this one, not queued */
	}
	return r == 0 ? 0 : -1;
}

/* Drop the packets held for slot. */
static void
pending_drop(struct broker *b, int32_t slot)
{
	if (b->pending[slot].count == 0)
		return;
	pktq_free(&b->pending[slot]);
	b->npending--;
}

/*
 * Hold a copy of a packet for slot/generation, whose session is active in
 * the table but not connected to us (yet).
 */
static void
pending_add(struct broker *b, int32_t slot, uint32_t generation,
    const uint8_t *p, size_t len, struct broker_ticket *t)
{
	uint8_t	*copy;

	if (b->pending[slot].count > 0 && b->pending_gen[slot] != generation)
		pending_drop(b, slot);
	copy = xmalloc(len);
	memcpy(copy, p, len);
	if (b->pending[slot].count == 0)
		b->npending++;
	b->pending_gen[slot] = generation;
	if (pktq_push_tagged(&b->pending[slot], copy, len, ticket_ref(t)) !=
	    0) {
		free(copy);
		if (t != NULL)
			ticket_release(t);
		log_warnx("slot %d: too much waiting for its session", slot);
	}
}

/* Forget held packets whose slot was freed or claimed by someone else. */
static void
pending_sweep(struct broker *b)
{
	uint32_t	cap = presence_capacity(b->presence);

	for (uint32_t i = 0; i < cap && b->npending; i++) {
		if (b->pending[i].count == 0)
			continue;
		if (!presence_slot_active(b->presence, i, b->pending_gen[i]))
			pending_drop(b, (int32_t)i);
	}
}

/*
 * Check a REGISTER against the peer's credentials and the table; return
 * -1 to refuse it (the link is closed: the session tries again, by when a
 * link of its own that is still draining here will have ended).
 */
static int
register_conn(struct broker *b, size_t i, const struct ipc_header *h)
{
	struct broker_conn	*c = &b->conns[i];
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	uint8_t			*ack;
	size_t			 acklen;

	if (c->registered ||
	    getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return -1;
	if (h->slot == BROKER_MASTER_SLOT) {
		if (cred.pid != getppid())
			return -1;
	} else {
		if (h->slot < 0 ||
		    (uint32_t)h->slot >= presence_capacity(b->presence) ||
		    !presence_slot_owned(b->presence, (uint32_t)h->slot,
		    h->generation, cred.pid))
			return -1;
		/* A link of the slot's previous user (still draining) gives
		 * way to its current one; the same session's old link is
		 * read to its end before its new one is taken. */
		if (b->by_slot[h->slot] != -1 &&
		    b->by_slot[h->slot] != (int32_t)i &&
		    b->conns[b->by_slot[h->slot]].generation == h->generation)
			return -1;
		b->by_slot[h->slot] = (int32_t)i;
	}
	c->registered = 1;
	c->slot = h->slot;
	c->generation = h->generation;
	c->pid = cred.pid;
	/* The session is told, so that it knows its link is in use, and how
	 * many packets for it a link of its own cut off lost. */
	if (h->slot >= 0) {
		ack = ipc_packet(IPC_REGISTERED, h->slot, h->generation, NULL,
		    0, &acklen);
		if (b->lost_gen[h->slot] == h->generation &&
		    b->lost[h->slot] > 0) {
			ipc_set_flags(ack, b->lost[h->slot] > UINT16_MAX ?
			    UINT16_MAX : (uint16_t)b->lost[h->slot]);
			b->lost[h->slot] = 0;
		}
		if (ipc_send_now(c->fd, &c->q, ack, acklen) == -2)
			log_warnx("slot %d: queue full", h->slot);
	}
	/* Hand over what waited for this session, in order. */
	if (h->slot >= 0 && b->pending[h->slot].count > 0) {
		struct pktq	*q = &b->pending[h->slot];
		struct pktq_item it;

		if (b->pending_gen[h->slot] == h->generation) {
			/* Each packet moves with its ticket's reference. */
			while (pktq_pop(q, &it) == 0)
				if (ipc_send_tagged(c->fd, &c->q, it.data,
				    it.len, it.tag) == -2)
					log_warnx("slot %d: queue full", h->slot);
			pktq_free(q);
			b->npending--;
		} else
			pending_drop(b, h->slot);
	}
	return 0;
}

/*
 * Deliver a packet to the session owning its slot/generation: now, or
 * when it registers; one for a user of another node goes to the cluster
 * (from_slot/from_gen: the sender, told if it cannot be delivered).
 */
static void
deliver(struct broker *b, const struct ipc_header *h, const uint8_t *p,
    size_t len, int32_t from_slot, uint32_t from_gen, struct broker_ticket *t)
{
	struct broker_conn	*d;
	int32_t			 di;

	if (h->slot < 0 || (uint32_t)h->slot >= presence_capacity(b->presence))
		return;
	if ((di = b->by_slot[h->slot]) == -1) {
		struct presence_ref	ref = { h->slot, h->generation };
		struct presence_slot	to;

		if (b->cluster != NULL &&
		    presence_slot_remote(b->presence, (uint32_t)h->slot) &&
		    presence_get(b->presence, &ref, &to) == 0 &&
		    to.node[0] != '\0') {
			cluster_deliver(b->cluster, from_slot, from_gen, &to,
			    p + sizeof *h, h->len);
			return;
		}
		if (presence_slot_active(b->presence, (uint32_t)h->slot,
		    h->generation))
			pending_add(b, h->slot, h->generation, p, len, t);
		return;
	}
	d = &b->conns[di];
	if (d->generation == h->generation && enqueue(d, p, len, t) != 0)
		conn_broken(d);
}

/* Send a packet to every session of ours but the one in slot except. */
static void
broadcast(struct broker *b, int32_t except, const uint8_t *p, size_t len,
    struct broker_ticket *t)
{
	uint32_t	cap = presence_capacity(b->presence), gen;
	int32_t		di;

	for (uint32_t slot = 0; slot < cap; slot++) {
		if ((int32_t)slot == except ||
		    presence_slot_remote(b->presence, slot))
			continue;
		gen = presence_slot_generation(b->presence, slot);
		/* A link of the slot's last user (leaving) is not its new
		 * user's: what is for the newcomer waits for its link. */
		if ((di = b->by_slot[slot]) != -1 &&
		    b->conns[di].generation == gen) {
			if (enqueue(&b->conns[di], p, len, t) != 0)
				conn_broken(&b->conns[di]);
		} else if (presence_slot_active(b->presence, slot, gen))
			pending_add(b, (int32_t)slot, gen, p, len, t);
	}
}

/* Answer a session's claim of its name (cluster mode). */
static void
claimed(struct broker *b, int32_t slot, uint32_t generation, int status)
{
	uint8_t	*p;
	size_t	 len;
	int32_t	 di;

	if (slot < 0 || (uint32_t)slot >= presence_capacity(b->presence) ||
	    (di = b->by_slot[slot]) == -1 ||
	    b->conns[di].generation != generation)
		return;
	p = ipc_packet(IPC_CLAIMED, slot, generation, NULL, 0, &len);
	ipc_set_flags(p, (uint16_t)status);
	if (ipc_send_now(b->conns[di].fd, &b->conns[di].q, p, len) == -2)
		conn_broken(&b->conns[di]);
}

/*
 * Route one packet that arrived on connection i (p is ours to stamp);
 * return -1 if the connection is to be closed.
 */
static int
route(struct broker *b, size_t i, uint8_t *p, size_t len)
{
	struct ipc_header	 h;
	const uint8_t		*payload;
	struct broker_conn	*c = &b->conns[i];
	struct broker_ticket	*t = NULL;
	char			 name[NAME_MAX_LEN + 1];

	if (ipc_parse(p, len, &h, &payload) != 0)
		return 0;
	if (h.kind == IPC_REGISTER)
		return register_conn(b, i, &h);
	if (!c->registered)
		return 0;
	if ((h.kind == IPC_DELIVER || h.kind == IPC_BROADCAST) &&
	    c->slot >= 0) {
		/* Receivers tell senders apart by what we stamp. */
		h.from_slot = c->slot;
		h.from_gen = c->generation;
		memcpy(p, &h, sizeof h);
		if (h.seq != 0)
			t = ticket_new(c->slot, c->generation, h.seq);
	}
	switch (h.kind) {
	case IPC_DELIVER:
		deliver(b, &h, p, len, c->slot, c->generation, t);
		break;
	case IPC_BROADCAST:
		broadcast(b, c->slot, p, len, t);
		if (b->cluster != NULL)
			cluster_broadcast(b->cluster, payload, h.len);
		break;
	case IPC_CLAIM:
		if (h.len > NAME_MAX_LEN || c->slot < 0)
			return 0;
		memcpy(name, payload, h.len);
		name[h.len] = '\0';
		if (b->cluster != NULL) {
			cluster_claim(b->cluster, c->slot, c->generation,
			    name);
			break;
		}
		claimed(b, c->slot, c->generation, PROTO_OK);
		break;
	}
	if (t != NULL)
		ticket_release(t);	/* routing's own reference */
	return 0;
}

/* Acknowledge to each session what it numbered and has left us. */
static void
send_acks(struct broker *b)
{
	struct broker_conn	*c;
	uint8_t			*p;
	size_t			 len, n;

	for (size_t i = 0; i < b->nconns; i++) {
		c = &b->conns[i];
		for (size_t off = 0; off < c->nacks; off += n) {
			n = c->nacks - off < BROKER_ACKS_MAX ?
			    c->nacks - off : BROKER_ACKS_MAX;
			p = ipc_packet(IPC_ACK, c->slot, c->generation,
			    c->acks + off, n * sizeof *c->acks, &len);
			if (ipc_send_now(c->fd, &c->q, p, len) != 0) {
				conn_broken(c);
				break;
			}
		}
		c->nacks = 0;
	}
}

/* The cluster's ways into the broker. */
static void
cluster_deliver_cb(void *arg, const uint8_t *p, size_t len)
{
	struct ipc_header	 h;
	const uint8_t		*payload;

	if (ipc_parse(p, len, &h, &payload) == 0 && h.kind == IPC_DELIVER)
		deliver(arg, &h, p, len, -1, 0, NULL);
}

static void
cluster_broadcast_cb(void *arg, const uint8_t *p, size_t len)
{
	broadcast(arg, -2, p, len, NULL);
}

static void
cluster_claimed_cb(void *arg, int32_t slot, uint32_t generation, int status)
{
	claimed(arg, slot, generation, status);
}

static const struct cluster_ops cluster_ops = {
	cluster_deliver_cb, cluster_broadcast_cb, cluster_claimed_cb
};

/* Read every packet waiting on connection i; return -1 if it closed. */
static int
read_conn(struct broker *b, size_t i)
{
	static uint8_t	pkt[IPC_MAX_PACKET];
	ssize_t		n;

	for (int k = 0; k < 256; k++) {
		n = recv(b->conns[i].fd, pkt, sizeof pkt, MSG_DONTWAIT);
		/* A session that closed its link with our packets unread
		 * makes the next read fail with ECONNRESET, before what it
		 * sent last (its leave notice): the error is reported once,
		 * and the reads after it return those packets. */
		if (n == -1 && (errno == EINTR || errno == ECONNRESET))
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0 || route(b, i, pkt, (size_t)n) != 0)
			return -1;
	}
	return 0;
}

/* Run the broker until SIGTERM; never returns. */
void
broker_main(const struct server_config *cfg, struct presence *presence,
    struct player_table *players, int listen_fd)
{
	static const struct proc_signal signals[] = {
		{ SIGTERM, PROC_WAKE }, { SIGINT, PROC_IGNORE },
		{ SIGPIPE, PROC_IGNORE }, { SIGHUP, PROC_IGNORE },
		{ SIGCHLD, PROC_DEFAULT },
	};
	struct broker		*b = &broker;
	struct pollfd		*pfd = NULL;
	size_t			 pcap = 0, n, nc = 0;
	uint32_t		 cap = presence_capacity(presence);
	int			 timeout;
	int64_t			 now;

	memset(b, 0, sizeof *b);
	b->cfg = cfg;
	b->presence = presence;
	b->listen_fd = listen_fd;
	b->master = getppid();
	b->by_slot = xreallocarray(NULL, cap, sizeof *b->by_slot);
	for (uint32_t i = 0; i < cap; i++)
		b->by_slot[i] = -1;
	b->lost = xcalloc(cap, sizeof *b->lost);
	b->lost_gen = xcalloc(cap, sizeof *b->lost_gen);
	b->pending = xcalloc(cap, sizeof *b->pending);
	b->pending_gen = xcalloc(cap, sizeof *b->pending_gen);
	for (uint32_t i = 0; i < cap; i++) {
		pktq_init(&b->pending[i], BROKER_PENDING_MAX);
		b->pending[i].release = ticket_release;
	}
	log_set_prefix("broker: ");
	proc_signals(signals, sizeof signals / sizeof signals[0]);
	log_debug("started");
	if (cfg->redis_host != NULL)
		b->cluster = cluster_new(cfg, presence, players,
		    &cluster_ops, b);

	while (!b->quit) {
		/* The listener, the sessions' links, the self-pipe. */
		n = b->nconns + 2;
		if (n + CLUSTER_POLLFDS > pcap) {
			pcap = (n + CLUSTER_POLLFDS) * 2;
			pfd = xreallocarray(pfd, pcap, sizeof *pfd);
		}
		now = util_now_ms();
		pfd[0] = (struct pollfd){ now < b->accept_paused_until ? -1 :
		    b->listen_fd, POLLIN, 0 };
		for (size_t i = 0; i < b->nconns; i++) {
			pfd[i + 1] = (struct pollfd){ b->conns[i].fd, POLLIN, 0 };
			if (b->conns[i].q.count > 0 && !b->conns[i].broken)
				pfd[i + 1].events |= POLLOUT;
		}
		pfd[n - 1] = (struct pollfd){ proc_signal_fd(), POLLIN, 0 };
		timeout = b->npending > 0 ? BROKER_SWEEP_MS : -1;
		if (now < b->accept_paused_until && (timeout == -1 ||
		    b->accept_paused_until - now < timeout))
			timeout = (int)(b->accept_paused_until - now);
		if (b->cluster != NULL) {
			nc = cluster_pollfds(b->cluster, pfd + n);
			if (timeout == -1 || cluster_timeout(b->cluster) < timeout)
				timeout = cluster_timeout(b->cluster);
		}
		if (poll(pfd, n + nc, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (b->cluster != NULL)
			cluster_events(b->cluster, pfd + n, nc);
		if ((pfd[n - 1].revents & POLLIN) && proc_take_signals() != 0)
			b->quit = 1;	/* SIGTERM: finish this round */
		if (b->npending > 0)
			pending_sweep(b);
		/* Walk backwards: drop_conn() moves the last entry. */
		for (size_t i = b->nconns; i-- > 0; ) {
			short re = pfd[i + 1].revents;

			if (i >= b->nconns || re == 0)
				continue;
			if ((re & (POLLIN | POLLHUP | POLLERR)) &&
			    read_conn(b, i) != 0) {
				drop_conn(b, i);
				continue;
			}
			if ((re & POLLOUT) && !b->conns[i].broken &&
			    pktq_flush(&b->conns[i].q, b->conns[i].fd) != 0)
				conn_broken(&b->conns[i]);
		}
		send_acks(b);
		if (pfd[0].revents & POLLIN)
			accept_conns(b);
		if (b->cluster != NULL)
			cluster_run(b->cluster, 0);
	}
	if (b->cluster != NULL) {
		/* Relay what the sessions said last (their leave notices). */
		for (size_t i = b->nconns; i-- > 0; )
			read_conn(b, i);
		cluster_stop(b->cluster);
	}
	/* Orphaned (the master was killed): nobody else will clean up. */
	if (getppid() != b->master) {
		unlink(cfg->broker_path);
		rmdir(cfg->runtime_dir);
	}
	exit(0);
}
