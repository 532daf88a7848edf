/*
 * A session's link to the broker, made reliable: what we send for others
 * is numbered and kept until the broker acknowledges it, and sent again,
 * in order, once a broker (restarted, or the same after a cut) has taken
 * our new link (IPC_REGISTERED); what others sent that we already had is
 * dropped as a repeat (the newest seq per sender slot). The link only
 * moves packets: what they say goes to the session's handler.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "session-private.h"
#include "util.h"
#include "xmalloc.h"

/* Packets waiting for it: this many, plus two rounds of a whole table
 * (a room can hold everyone). */
#define SESSION_BROKER_QUEUE_BASE	16384
/* Packets the broker has not acknowledged, kept to send again: at most
 * this many, or bytes (beyond, the oldest is given up). */
#define UNACKED_MAX		65536
#define UNACKED_MAX_BYTES	(64u * 1024 * 1024)
#define BROKER_SILENT_MS	5000	/* unregistered this long: tell */
#define LEAVE_WAIT_MS		2000	/* for the broker to take our leave */

/* The newest numbered packet had from a sender: repeats are dropped. */
struct session_seen {
	uint32_t	generation;
	uint64_t	seq;
};

/*
 * The link to the broker is gone: connect again soon. What was queued on
 * it goes too; what of it was numbered is still kept (unacked), to be
 * sent again once a broker has taken our new link.
 */
static void
lost(struct session_broker *b)
{
	if (b->fd != -1)
		close(b->fd);
	b->fd = -1;
	b->registered = 0;
	b->retry_at = util_now_ms() + BROKER_RETRY_MS;
	pktq_free(&b->queue);
}

/*
 * Set up b, not yet connected, for the broker at path, a table of
 * capacity slots and our slot ref (filled in later, before connecting);
 * what is for the session goes to on_packet(arg, header, payload).
 */
void
session_broker_init(struct session_broker *b, const char *path,
    uint32_t capacity, const struct presence_ref *ref,
    void (*on_packet)(void *, const struct ipc_header *, const uint8_t *),
    void *arg)
{
	memset(b, 0, sizeof *b);
	b->path = path;
	b->capacity = capacity;
	b->ref = ref;
	b->on_packet = on_packet;
	b->arg = arg;
	b->fd = -1;
	pktq_init(&b->queue, SESSION_BROKER_QUEUE_BASE + 2 * (size_t)capacity);
	pktq_init(&b->unacked, UNACKED_MAX);
	b->seen = xcalloc(capacity, sizeof *b->seen);
}

/* Close the link (what is queued on it goes; what is kept stays). */
void
session_broker_close(struct session_broker *b)
{
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
}

/* Free what b holds (its link is closed by now). */
void
session_broker_free(struct session_broker *b)
{
	pktq_free(&b->queue);
	pktq_free(&b->unacked);
	free(b->seen);
}

/*
 * Return 1 if the session may read its client: the broker is not busy
 * (back-pressure), and unless one has taken our link, what we keep for
 * it has not grown as much.
 */
int
session_broker_ready(const struct session_broker *b)
{
	/* Stop reading the client while the queue has less room than one
	 * more message to a room of everyone needs: back-pressure, never
	 * loss. */
	size_t	high = b->queue.max - b->capacity - 64;

	return b->queue.count < high &&
	    (b->registered || b->unacked.count < high);
}

/* Write what is queued for the broker; a link that broke is dropped. */
void
session_broker_flush(struct session_broker *b)
{
	if (b->fd != -1 && pktq_flush(&b->queue, b->fd) != 0)
		lost(b);
}

/*
 * Connect (or reconnect) to the broker and register our slot; return 0
 * if the link is up (not yet taken: see session_broker_settled()), or -1
 * to try again at retry_at.
 */
int
session_broker_connect(struct session_broker *b)
{
	uint8_t	*p;
	size_t	 len;

	b->registered = 0;	/* until it says so */
	b->fd = ipc_connect(b->path);
	if (b->fd == -1) {
		lost(b);
		return -1;
	}
	p = ipc_packet(IPC_REGISTER, b->ref->slot, b->ref->generation, NULL, 0,
	    &len);
	/* Registration goes first, ahead of anything queued meanwhile. */
	if (send(b->fd, p, len, MSG_NOSIGNAL) != (ssize_t)len)
		lost(b);
	free(p);
	log_debug("broker link %s", b->fd == -1 ? "down" : "up");
	return b->fd == -1 ? -1 : 0;
}

/* Send packet p (ours) to the broker now or as soon as it can take it. */
static void
send_now(struct session_broker *b, uint8_t *p, size_t len)
{
	switch (ipc_send_now(b->fd, &b->queue, p, len)) {
	case -1:
		/* The broker is gone; what is numbered goes again later. */
		lost(b);
		break;
	case -2:
		log_warnx("broker queue full, message dropped");
		break;
	}
}

/*
 * Keep a copy of numbered packet p until the broker acknowledges it. A
 * broker holding that much of ours is holding it for a recipient that
 * does not read: the oldest is given up (once said) rather than stop us.
 */
static void
keep_unacked(struct session_broker *b, const uint8_t *p, size_t len)
{
	struct pktq_item	it;
	uint8_t			*copy = xmalloc(len);

	memcpy(copy, p, len);
	while (b->unacked.count > 0 &&
	    (b->unacked.count >= UNACKED_MAX ||
	    b->unacked.bytes + len > UNACKED_MAX_BYTES)) {
		pktq_pop(&b->unacked, &it);
		free(it.data);
		if (b->given_up++ == 0)
			log_warnx("the broker is holding too much of ours: "
			    "the oldest is no longer kept to send again");
	}
	pktq_push(&b->unacked, copy, len);
}

/*
 * Pass a packet of kind for the slot/generation to the broker. What is
 * for others is numbered and kept until acknowledged; it waits for a
 * link the broker has taken, so that it is never sent on a link the
 * broker refuses (and then lost).
 */
void
session_broker_send(struct session_broker *b, enum ipc_kind kind,
    const struct presence_ref *to, const void *data, size_t len)
{
	uint8_t	*p;
	size_t	 plen;

	p = ipc_packet(kind, to->slot, to->generation, data, len, &plen);
	if (kind == IPC_DELIVER || kind == IPC_BROADCAST) {
		ipc_set_seq(p, ++b->next_seq);
		keep_unacked(b, p, plen);
		if (!b->registered) {
			free(p);
			return;
		}
	}
	send_now(b, p, plen);
}

/* The broker took our link: send what it has not acknowledged, in order. */
static void
resend_unacked(struct session_broker *b)
{
	struct pktq	*q = &b->unacked;
	uint8_t		*copy;

	for (size_t i = 0; i < q->count && b->fd != -1; i++) {
		struct pktq_item *it = &q->items[(q->head + i) % q->cap];

		if (ipc_flags(it->data) & IPC_FLAG_ACKED)
			continue;
		copy = xmalloc(it->len);
		memcpy(copy, it->data, it->len);
		send_now(b, copy, it->len);
	}
}

/* Mark the seqs the broker acknowledged; forget what is done in order. */
static void
on_ack(struct session_broker *b, const uint8_t *payload, size_t len)
{
	struct pktq		*q = &b->unacked;
	struct pktq_item	 it;
	uint8_t			*p;
	uint64_t		 seq, first;

	for (size_t off = 0; off + sizeof seq <= len; off += sizeof seq) {
		memcpy(&seq, payload + off, sizeof seq);
		/* Kept packets are numbered one after another. */
		if (q->count == 0 ||
		    seq < (first = ipc_seq(q->items[q->head].data)) ||
		    seq - first >= q->count)
			continue;	/* given up, or not ours */
		p = q->items[(q->head + (seq - first)) % q->cap].data;
		ipc_set_flags(p, ipc_flags(p) | IPC_FLAG_ACKED);
	}
	while (q->count > 0 &&
	    (ipc_flags(q->items[q->head].data) & IPC_FLAG_ACKED)) {
		pktq_pop(q, &it);
		free(it.data);
	}
}

/*
 * Return 1 if a packet from another session repeats one we had (its
 * sender sent it again after a broker restart), else note it and 0.
 */
static int
seen_before(struct session_broker *b, const struct ipc_header *h)
{
	struct session_seen	*e;

	if (h->seq == 0 || h->from_slot < 0 ||
	    (uint32_t)h->from_slot >= b->capacity)
		return 0;
	e = &b->seen[h->from_slot];
	if (e->generation == h->from_gen && h->seq <= e->seq)
		return 1;
	e->generation = h->from_gen;
	e->seq = h->seq;
	return 0;
}

/*
 * Encode m as a frame and hand it to the broker for everyone (m is
 * released).
 */
void
session_broker_broadcast(struct session_broker *b, json_object *m)
{
	struct buf	frame;

	buf_init(&frame, FRAME_HEADER_LEN + FRAME_MAX_JSON);
	if (msg_encode_free(m, &frame) == 0)
		session_broker_send(b, IPC_BROADCAST, b->ref, buf_ptr(&frame),
		    buf_len(&frame));
	buf_free(&frame);
}

/*
 * Handle one packet from the broker: acknowledgements and the taking of
 * our link here; the rest (but repeats) goes to the session's handler.
 */
static void
handle_packet(struct session_broker *b, const uint8_t *p, size_t len)
{
	struct ipc_header	 h;
	const uint8_t		*payload;

	if (ipc_parse(p, len, &h, &payload) != 0) {
		log_warnx("malformed packet from the broker");
		return;
	}
	switch (h.kind) {
	case IPC_DELIVER:
	case IPC_BROADCAST:
		if (seen_before(b, &h))
			log_debug("a repeat from slot %d dropped", h.from_slot);
		else
			b->on_packet(b->arg, &h, payload);
		break;
	case IPC_ACK:
		on_ack(b, payload, h.len);
		break;
	case IPC_CLAIMED:
		if (h.slot == b->ref->slot &&
		    h.generation == b->ref->generation)
			b->on_packet(b->arg, &h, payload);
		break;
	case IPC_REGISTERED:
		if (h.slot == b->ref->slot &&
		    h.generation == b->ref->generation && !b->registered) {
			b->registered = 1;
			b->missing_since = 0;
			b->told = 0;
			resend_unacked(b);
			b->on_packet(b->arg, &h, payload);
		}
		break;
	}
}

/* Read packets from the broker; on EOF drop the link and retry soon. */
void
session_broker_read(struct session_broker *b)
{
	static uint8_t	pkt[IPC_MAX_PACKET];
	ssize_t		n;

	for (int i = 0; i < 64; i++) {
		n = recv(b->fd, pkt, sizeof pkt, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			log_info("broker link lost; reconnecting");
			lost(b);
			return;
		}
		handle_packet(b, pkt, (size_t)n);
	}
}

/*
 * Wait (at most LEAVE_WAIT_MS) until the broker has taken our link, so
 * that what we send on it is relayed, and if all until it acknowledged
 * all we sent (a broker that dies meanwhile is reconnected and given it
 * again); return 1 if so, else 0.
 */
int
session_broker_settled(struct session_broker *b, int all)
{
	int64_t		until = util_now_ms() + LEAVE_WAIT_MS, now;
	struct pollfd	pfd;

	while (!(b->registered && (!all || b->unacked.count == 0)) &&
	    (now = util_now_ms()) < until) {
		if (b->fd == -1) {
			if (now >= b->retry_at)
				session_broker_connect(b);
			if (b->fd == -1) {
				usleep(BROKER_RETRY_MS * 1000);
				continue;
			}
		}
		pfd = (struct pollfd){ b->fd, POLLIN, 0 };
		if (b->queue.count > 0)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			continue;
		if ((pfd.revents & POLLOUT) &&
		    pktq_flush(&b->queue, b->fd) != 0) {
			lost(b);
			continue;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			session_broker_read(b);
	}
	return b->registered && (!all || b->unacked.count == 0);
}

/*
 * Set *tell (once) if the broker has not taken our link for a while: the
 * client is to be told that messages to and from it wait meanwhile.
 * Returns when to look again (ms, monotonic), or INT64_MAX.
 */
int64_t
session_broker_silence(struct session_broker *b, int64_t now, int *tell)
{
	*tell = 0;
	if (b->registered || b->told)
		return INT64_MAX;
	if (b->missing_since == 0)
		b->missing_since = now;
	if (now < b->missing_since + BROKER_SILENT_MS)
		return b->missing_since + BROKER_SILENT_MS;
	log_warnx("no broker link for %d s", BROKER_SILENT_MS / 1000);
	b->told = 1;
	*tell = 1;
	return INT64_MAX;
}
