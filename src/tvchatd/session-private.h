/*
 * A session process's state, shared by its files only: session.c (the
 * loop and the client protocol), session-chat.c (chat, rooms, roster),
 * session-client.c (what goes to the client) and session-broker.c (the
 * link to the broker, which knows nothing of the others).
 */
#ifndef TVCHAT_SESSION_PRIVATE_H
#define TVCHAT_SESSION_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "crypto.h"
#include "frame.h"
#include "ipc.h"
#include "library.h"
#include "presence.h"
#include "proto.h"
#include "server.h"
#include "stream.h"

#define BROKER_RETRY_MS		50	/* between attempts to connect */

enum session_state {
	SESSION_HANDSHAKE,
	SESSION_CLAIMING,	/* cluster mode: the broker claims our name */
	SESSION_ACTIVE,
};

struct session_seen;

/* The link to the broker (session-broker.c). */
struct session_broker {
	const char		*path;
	const struct presence_ref *ref;		/* our slot */
	uint32_t		 capacity;	/* of the presence table */
	int			 fd;
	struct pktq		 queue;		/* waiting to be written */
	int64_t			 retry_at;
	int			 registered;	/* it took our link */
	int64_t			 missing_since;	/* ms, or 0 */
	int			 told;	/* the client knows */
	uint64_t		 next_seq;	/* of our numbered packets */
	struct pktq		 unacked;	/* numbered, in order */
	size_t			 given_up;	/* unacknowledged, forgotten */
	struct session_seen	*seen;		/* per sender slot */
	void			(*on_packet)(void *, const struct ipc_header *,
				    const uint8_t *);
	void			*arg;
};

/* A token bucket: tokens left, refilled at a rate since at (ms). */
struct bucket {
	double		tokens;
	int64_t		at;
};

struct session {
	struct session_env	*env;
	const struct server_config *cfg;
	struct presence		*presence;
	enum session_state	 state;
	int			 fd;
	struct frame_decoder	 dec;
	uint8_t			*unread;	/* read, not yet handled */
	size_t			 nunread;
	struct buf		 out;
	struct session_broker	 broker;
	struct presence_ref	 ref;
	int			 claimed;
	int64_t			 claim_until;	/* ms: the cluster's answer */
	char			 name[NAME_MAX_LEN + 1];
	char			 log_prefix[NAME_MAX_LEN + 3];
	struct crypto_key	*key;
	uint8_t			 nonce[NONCE_LEN];
	int64_t			 started;	/* ms, monotonic */
	int64_t			 last_input;	/* ms, monotonic */
	int64_t			 last_ping;	/* ms, monotonic */
	struct bucket		 chat_bucket;	/* chat, rooms */
	struct bucket		 key_bucket;	/* sender keys */
	int			 done;
	const char		*leave_reason;
	struct library		*lib;
	struct stream		 stream;
	int			 watching;	/* presence shows a title */
};

/* session-client.c */
void		 session_send(struct session *, json_object *);
void		 session_send_raw(struct session *, const uint8_t *, size_t);
void		 session_send_error(struct session *, enum proto_error,
		    const char *);
void		 session_fail(struct session *, enum proto_error, const char *,
		    const char *);
int		 session_flush(struct session *);
void		 session_close(struct session *);

/* session-chat.c */
/* Users per welcome, who or users frame: each is at most ~2 KiB. */
#define SESSION_USERS_PER_FRAME	96
json_object	*session_roster(struct session *, const char *);
void		 session_send_users(struct session *, json_object *,
		    json_object *);
void		 session_on_chat(struct session *, json_object *);
void		 session_on_sender_key(struct session *, json_object *);
void		 session_on_who(struct session *, json_object *);
void		 session_on_room(struct session *, json_object *);

/* session-broker.c */
void		 session_broker_init(struct session_broker *, const char *,
		    uint32_t, const struct presence_ref *,
		    void (*)(void *, const struct ipc_header *,
		    const uint8_t *), void *);
void		 session_broker_close(struct session_broker *);
void		 session_broker_free(struct session_broker *);
int		 session_broker_connect(struct session_broker *);
int		 session_broker_ready(const struct session_broker *);
void		 session_broker_flush(struct session_broker *);
void		 session_broker_send(struct session_broker *, enum ipc_kind,
		    const struct presence_ref *, const void *, size_t);
void		 session_broker_broadcast(struct session_broker *,
		    json_object *);
void		 session_broker_read(struct session_broker *);
int		 session_broker_settled(struct session_broker *, int);
int64_t		 session_broker_silence(struct session_broker *, int64_t,
		    int *);

#endif
