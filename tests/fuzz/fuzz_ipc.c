/*
 * Fuzz target for the packets between tvchatd's processes (ipc.c): the
 * whole input is first parsed as one received packet, whose header must
 * then describe exactly the bytes there are. The input is then replayed
 * as operations on a small packet queue over a real SOCK_SEQPACKET pair
 * (push, send, pop, flush, drain the far end, free), each packet tagged:
 * every tag must be released exactly once, by the queue or by us, what
 * arrives must be what was sent in order, and the queue's counts must
 * stay true. Anything else aborts.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define OPS_QUEUE_MAX	6
#define TAGS_MAX	512

/* A tag: how often it was released. */
struct tag {
	int	released;
	uint8_t	id;
};

static struct tag	tags[TAGS_MAX];
static size_t		ntags;

/* Stop the process loudly: an invariant of the code under test broke. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_ipc: %s\n", what);
	abort();
}

/* The queue's release(): count it. */
static void
release(void *arg)
{
	struct tag	*t = arg;

	if (t->released++ != 0)
		fail("a tag released twice");
}

/* Check one received packet's parse. */
static void
check_parse(const uint8_t *p, size_t len)
{
	struct ipc_header	 h;
	const uint8_t		*payload;

	if (ipc_parse(p, len, &h, &payload) != 0)
		return;
	if (len < sizeof h || payload != p + sizeof h ||
	    h.len != len - sizeof h || h.len > IPC_MAX_PAYLOAD)
		fail("a packet parsed that its header does not describe");
	if (h.kind < IPC_REGISTER || h.kind > IPC_ACK)
		fail("a packet of no kind parsed");
	if (ipc_seq(p) != h.seq || ipc_flags(p) != h.flags)
		fail("ipc_seq or ipc_flags disagrees with the header");
}

/* Check that the queue's counts add up. */
static void
check_queue(const struct pktq *q)
{
	size_t	bytes = 0;

	if (q->count > q->max || (q->count > 0 && q->count > q->cap))
		fail("queue count out of bounds");
	for (size_t i = 0; i < q->count; i++)
		bytes += q->items[(q->head + i) % q->cap].len;
	if (bytes != q->bytes)
		fail("queue bytes wrong");
}

/* A new tagged packet numbered id, of len payload bytes. */
static uint8_t *
new_packet(int32_t id, size_t len, size_t *plen, struct tag **t)
{
	uint8_t	payload[256];

	memset(payload, (uint8_t)id, sizeof payload);
	if (ntags == TAGS_MAX)
		return NULL;
	*t = &tags[ntags++];
	**t = (struct tag){ 0, (uint8_t)id };
	return ipc_packet(IPC_DELIVER, id, 0, payload, len, plen);
}

/* Read what waits at the far end: in the order sent, each once. */
static size_t
drain(int fd, int32_t *last_in)
{
	uint8_t			buf[sizeof(struct ipc_header) + 256];
	struct ipc_header	h;
	const uint8_t		*payload;
	ssize_t			n;
	size_t			got = 0;

	while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
		if (ipc_parse(buf, (size_t)n, &h, &payload) != 0)
			fail("a packet we sent does not parse");
		if (h.slot <= *last_in)
			fail("packets out of order, or twice");
		for (uint32_t i = 0; i < h.len; i++)
			if (payload[i] != (uint8_t)h.slot)
				fail("a packet's bytes changed");
		*last_in = h.slot;
		got++;
	}
	return got;
}

/*
 * Replay data as queue operations. Every packet made ends exactly one
 * way: received at the far end, taken out (pop), dropped (queue full),
 * or freed with the queue.
 */
static void
run_ops(const uint8_t *data, size_t size)
{
	struct pktq	 q;
	struct pktq_item it;
	struct tag	*t;
	uint8_t		*p;
	size_t		 plen, made = 0, ended = 0;
	int32_t		 next_id = 0, last_in = -1;
	int		 sv[2], sndbuf = 4096, r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) != 0)
		return;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	ntags = 0;
	pktq_init(&q, OPS_QUEUE_MAX);
	q.release = release;
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i] % 6, arg = data[i + 1];

		switch (op) {
		case 0:		/* queue a packet */
		case 1:		/* send one now, or queue it */
			if ((p = new_packet(next_id++, arg, &plen, &t)) == NULL)
				break;
			made++;
			if (op == 0) {
				if (pktq_push_tagged(&q, p, plen, t) != 0) {
					if (q.count < q.max)
						fail("a push with room failed");
					free(p);
					release(t);	/* ours again */
					ended++;
				}
			} else {
				r = ipc_send_tagged(sv[0], &q, p, plen, t);
				if (r == -1)
					fail("a live socket failed");
				if (r == -2) {
					if (t->released != 1)
						fail("a dropped tag kept");
					ended++;
				}
			}
			break;
		case 2:		/* take the first out, as the broker does */
			if (pktq_pop(&q, &it) == 0) {
				free(it.data);
				release(it.tag);
				ended++;
			}
			break;
		case 3:
			if (pktq_flush(&q, sv[0]) != 0)
				fail("a flush to a live socket failed");
			break;
		case 4:
			ended += drain(sv[1], &last_in);
			break;
		case 5:
			ended += q.count;
			pktq_free(&q);
			if (q.release != release)
				fail("pktq_free lost the release function");
			break;
		}
		check_queue(&q);
	}
	/* Send and read the rest. */
	while (q.count > 0) {
		if (pktq_flush(&q, sv[0]) != 0)
			fail("a flush to a live socket failed");
		ended += drain(sv[1], &last_in);
	}
	ended += drain(sv[1], &last_in);
	if (ended != made)
		fail("a packet neither arrived nor was let go");
	for (size_t i = 0; i < ntags; i++)
		if (tags[i].released != 1)
			fail("a tag never released");
	pktq_free(&q);
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	run_ops(data, size);
	return 0;
}
