/* Internal packets over SOCK_SEQPACKET: building, parsing, queueing. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "ipc.h"
#include "xmalloc.h"

/* Initialise an empty queue that holds at most max packets. */
void
pktq_init(struct pktq *q, size_t max)
{
	memset(q, 0, sizeof *q);
	q->max = max;
}

/* Let go of one packet that leaves the queue. */
static void
item_done(struct pktq *q, struct pktq_item *it)
{
	free(it->data);
	if (it->tag != NULL && q->release != NULL)
		q->release(it->tag);
}

/* Free every queued packet (releasing their tags). */
void
pktq_free(struct pktq *q)
{
	void	(*release)(void *) = q->release;

	for (size_t i = 0; i < q->count; i++)
		item_done(q, &q->items[(q->head + i) % q->cap]);
	free(q->items);
	pktq_init(q, q->max);
	q->release = release;
}

/* Queue a packet (taking ownership); return 0, or -1 if the queue is full. */
int
pktq_push(struct pktq *q, uint8_t *data, size_t len)
{
	return pktq_push_tagged(q, data, len, NULL);
}

/*
 * Queue a packet with a tag (taking ownership of the packet, not of the
 * tag: on -1, the queue being full, both are the caller's again).
 */
int
pktq_push_tagged(struct pktq *q, uint8_t *data, size_t len, void *tag)
{
	struct pktq_item	*items;
	size_t			 ncap;

	if (q->count >= q->max)
		return -1;
	if (q->count == q->cap) {
		ncap = q->cap == 0 ? 16 : q->cap * 2;
		items = xreallocarray(NULL, ncap, sizeof *items);
		for (size_t i = 0; i < q->count; i++)
			items[i] = q->items[(q->head + i) % q->cap];
		free(q->items);
		q->items = items;
		q->cap = ncap;
		q->head = 0;
	}
	q->items[(q->head + q->count) % q->cap] =
	    (struct pktq_item){ data, len, tag };
	q->count++;
	q->bytes += len;
	return 0;
}

/* Take the first packet out, data and tag now the caller's; 0, or -1. */
int
pktq_pop(struct pktq *q, struct pktq_item *it)
{
	if (q->count == 0)
		return -1;
	*it = q->items[q->head];
	q->bytes -= it->len;
	q->head = (q->head + 1) % q->cap;
	q->count--;
	return 0;
}

/*
 * Send queued packets on fd until it would block, in batches with
 * sendmmsg(). Returns 0 (queue may be non-empty), or -1 if the peer is
 * gone or another error happened.
 */
int
pktq_flush(struct pktq *q, int fd)
{
	struct mmsghdr	msgs[64];
	struct iovec	iov[64];
	int		n, sent;

	while (q->count > 0) {
		n = q->count < 64 ? (int)q->count : 64;
		memset(msgs, 0, sizeof msgs[0] * (size_t)n);
		for (int i = 0; i < n; i++) {
			struct pktq_item *it =
			    &q->items[(q->head + (size_t)i) % q->cap];

			iov[i].iov_base = it->data;
			iov[i].iov_len = it->len;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(fd, msgs, (unsigned int)n, MSG_NOSIGNAL);
		if (sent == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				return 0;
			return -1;
		}
		for (int i = 0; i < sent; i++) {
			struct pktq_item it;

			if (pktq_pop(q, &it) == 0)
				item_done(q, &it);
		}
		if (sent < n)
			return 0;
	}
	return 0;
}

/* Return a new packet of kind for slot/generation with payload. */
uint8_t *
ipc_packet(enum ipc_kind kind, int32_t slot, uint32_t generation,
    const void *payload, size_t len, size_t *outlen)
{
	struct ipc_header	 h = { 0 };
	uint8_t			*p = xmalloc(sizeof h + len);

	h.kind = (uint16_t)kind;
	h.slot = slot;
	h.generation = generation;
	h.len = (uint32_t)len;
	memcpy(p, &h, sizeof h);
	if (len > 0)
		memcpy(p + sizeof h, payload, len);
	*outlen = sizeof h + len;
	return p;
}

/* Parse a received packet; return 0, or -1 if it is malformed. */
int
ipc_parse(const uint8_t *p, size_t len, struct ipc_header *h,
    const uint8_t **payload)
{
	if (len < sizeof *h)
		return -1;
	memcpy(h, p, sizeof *h);
	if (h->len != len - sizeof *h || h->len > IPC_MAX_PAYLOAD)
		return -1;
	if (h->kind < IPC_REGISTER || h->kind > IPC_ACK)
		return -1;
	*payload = p + sizeof *h;
	return 0;
}

/*
 * Send a packet at once if nothing is queued before it, else queue it
 * (taking ownership either way). Returns 0; -1 if the socket failed (the
 * packet stays queued, to be sent on a new connection); or -2 if the
 * queue is full (the packet is dropped).
 */
int
ipc_send_now(int fd, struct pktq *q, uint8_t *p, size_t len)
{
	return ipc_send_tagged(fd, q, p, len, NULL);
}

/*
 * The same for a packet with a tag for the queue's release(): called at
 * once if the packet is sent or dropped now, else when it leaves the
 * queue.
 */
int
ipc_send_tagged(int fd, struct pktq *q, uint8_t *p, size_t len, void *tag)
{
	struct pktq_item	it = { p, len, tag };
	ssize_t			n;
	int			r = 0;

	if (q->count == 0 && fd != -1) {
		do {
			n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		} while (n == -1 && errno == EINTR);
		if (n == (ssize_t)len) {
			item_done(q, &it);
			return 0;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS)
			r = -1;
	}
	if (pktq_push_tagged(q, p, len, tag) != 0) {
		item_done(q, &it);
		return -2;
	}
	return r;
}

/*
 * The sequence number and flags in the header of packet p (at least a
 * header long, any alignment), read and written in place.
 */
uint64_t
ipc_seq(const uint8_t *p)
{
	uint64_t	seq;

	memcpy(&seq, p + offsetof(struct ipc_header, seq), sizeof seq);
	return seq;
}

void
ipc_set_seq(uint8_t *p, uint64_t seq)
{
	memcpy(p + offsetof(struct ipc_header, seq), &seq, sizeof seq);
}

uint16_t
ipc_flags(const uint8_t *p)
{
	uint16_t	flags;

	memcpy(&flags, p + offsetof(struct ipc_header, flags), sizeof flags);
	return flags;
}

void
ipc_set_flags(uint8_t *p, uint16_t flags)
{
	memcpy(p + offsetof(struct ipc_header, flags), &flags, sizeof flags);
}

/* Fill a sockaddr_un for path; return 0 or -1 (ENAMETOOLONG). */
static int
unix_address(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* Listen on a new SOCK_SEQPACKET socket at path; return the fd or -1. */
int
ipc_listen(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	if (unix_address(&sun, path) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, 512) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect a non-blocking SOCK_SEQPACKET socket to path; fd or -1. */
int
ipc_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, sndbuf = 1 << 20;

	if (unix_address(&sun, path) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Non-blocking even here: when the listener's backlog is full (it
	 * cannot keep up or accept), this fails with EAGAIN instead of
	 * stalling the caller, who tries again later. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	return fd;
}
