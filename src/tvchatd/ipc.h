/*
 * Packets between the tvchatd processes (master, broker, sessions) over
 * Unix-domain SOCK_SEQPACKET sockets: one packet per message, a small
 * binary routing header and then an opaque payload, usually a complete
 * wire frame to hand to a client as it is. The broker never parses JSON.
 *
 * What a session hands the broker for others carries a sequence number;
 * the broker acknowledges it once every copy is in its recipient's socket
 * (or has no recipient left), and the session keeps it until then, so
 * that a broker that dies loses nothing: the session sends again what was
 * not acknowledged, and receivers drop what they already had.
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
	IPC_ACK = 7,		/* broker -> session: these seqs are through */
};

struct ipc_header {
	uint16_t	kind;
	uint16_t	flags;
	int32_t		slot;		/* destination, or own slot (register) */
	uint32_t	generation;
	uint32_t	len;		/* payload bytes after this header */
	int32_t		from_slot;	/* the sender, stamped by the broker */
	uint32_t	from_gen;
	uint64_t	seq;		/* the sender's, or 0: not acknowledged */
};

/* A flag of a session's own kept copy: the broker acknowledged it. */
#define IPC_FLAG_ACKED		0x8000

#define IPC_MAX_PAYLOAD		(FRAME_HEADER_LEN + FRAME_MAX_JSON)
#define IPC_MAX_PACKET		(sizeof(struct ipc_header) + IPC_MAX_PAYLOAD)

/*
 * A queue of packets waiting for a non-blocking socket to drain. A packet
 * may carry a tag of the caller's, handed to release() once the packet
 * leaves the queue: sent, dropped or freed.
 */
struct pktq_item {
	uint8_t		*data;
	size_t		 len;
	void		*tag;
};

struct pktq {
	struct pktq_item *items;
	size_t		 head;
	size_t		 count;
	size_t		 cap;	/* allocated items */
	size_t		 max;	/* refuse to hold more than this many */
	size_t		 bytes;
	void		(*release)(void *);	/* of tags, or NULL */
};

void	 pktq_init(struct pktq *, size_t);
void	 pktq_free(struct pktq *);
int	 pktq_push(struct pktq *, uint8_t *, size_t);
int	 pktq_push_tagged(struct pktq *, uint8_t *, size_t, void *);
int	 pktq_pop(struct pktq *, struct pktq_item *);
int	 pktq_flush(struct pktq *, int);

uint8_t	*ipc_packet(enum ipc_kind, int32_t, uint32_t, const void *, size_t,
	    size_t *);
int	 ipc_parse(const uint8_t *, size_t, struct ipc_header *,
	    const uint8_t **);
int	 ipc_send_now(int, struct pktq *, uint8_t *, size_t);
int	 ipc_send_tagged(int, struct pktq *, uint8_t *, size_t, void *);
uint64_t ipc_seq(const uint8_t *);
void	 ipc_set_seq(uint8_t *, uint64_t);
uint16_t ipc_flags(const uint8_t *);
void	 ipc_set_flags(uint8_t *, uint16_t);
int	 ipc_listen(const char *);
int	 ipc_connect(const char *);

#endif
