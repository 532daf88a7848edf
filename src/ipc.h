/*
 * Packets between the tvchatd processes (master, broker, sessions) over
 * Unix-domain SOCK_SEQPACKET sockets: one packet per message, a small
 * binary routing header and then an opaque payload, usually a complete
 * wire frame to hand to a client as it is. The broker never parses JSON.
 */
#ifndef TVCHAT_IPC_H
#define TVCHAT_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ipc_kind {
	IPC_REGISTER = 1,	/* session -> broker: I own slot/generation */
	IPC_DELIVER = 2,	/* to the session owning slot/generation */
	IPC_BROADCAST = 3,	/* to every registered session but the sender */
	IPC_CLAIM = 4,		/* session -> broker: claim my name cluster-wide */
	IPC_CLAIMED = 5,	/* broker -> session: flags = enum proto_error */
	IPC_REGISTERED = 6,	/* broker -> session: the REGISTER was taken */
};

struct ipc_header {
	uint16_t	kind;
	uint16_t	flags;
	int32_t		slot;		/* destination, or own slot (register) */
	uint32_t	generation;
	uint32_t	len;		/* payload bytes after this header */
};

#define IPC_MAX_PAYLOAD		(FRAME_HEADER_LEN + FRAME_MAX_JSON)
#define IPC_MAX_PACKET		(sizeof(struct ipc_header) + IPC_MAX_PAYLOAD)

/* A queue of packets waiting for a non-blocking socket to drain. */
struct pktq_item {
	uint8_t		*data;
	size_t		 len;
};

struct pktq {
	struct pktq_item *items;
	size_t		 head;
	size_t		 count;
	size_t		 cap;	/* allocated items */
	size_t		 max;	/* refuse to hold more than this many */
	size_t		 bytes;
};

void	 pktq_init(struct pktq *, size_t);
void	 pktq_free(struct pktq *);
int	 pktq_push(struct pktq *, uint8_t *, size_t);
int	 pktq_flush(struct pktq *, int);

uint8_t	*ipc_packet(enum ipc_kind, int32_t, uint32_t, const void *, size_t,
	    size_t *);
int	 ipc_parse(const uint8_t *, size_t, struct ipc_header *,
	    const uint8_t **);
int	 ipc_send_now(int, struct pktq *, uint8_t *, size_t);
int	 ipc_listen(const char *);
int	 ipc_connect(const char *);

#endif
