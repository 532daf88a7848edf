/* The protocol side of tvchat: connection, handshake, roster, chat. */
#ifndef TVCHAT_CLIENT_H
#define TVCHAT_CLIENT_H

#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "crypto.h"
#include "distribution.h"
#include "frame.h"
#include "keystore.h"
#include "knownkeys.h"

enum client_state {
	CLIENT_HANDSHAKE,
	CLIENT_ACTIVE,
	CLIENT_CLOSED
};

struct peer {
	char			 name[NAME_MAX_LEN + 1];
	struct crypto_key	*key;
	enum trust		 trust;
	json_object		*rooms;
	char			 watching[VIDEO_NAME_MAX_LEN + 1];
	struct prekey		 prekey;	/* public half only */
	int			 prekey_ok;	/* signed by key */
	int			 key_changed;	/* by the last roster_add */
};

/* A chat whose session has not arrived: shown when it does, or reported
 * as undecryptable at until. */
struct held {
	json_object		*m;
	int64_t			 until;		/* util_now_ms() */
	uint8_t			 sid[SK_SID_LEN];	/* its session */
	uint32_t		 index;
};

/* Called for every event, as a JSON object the callee may keep (get). */
typedef void (*client_emit_fn)(void *, json_object *);
/* Called for every video frame: its header and JPEG. */
typedef void (*client_frame_fn)(void *, const struct video_header *,
    const uint8_t *, size_t);

#define CLIENT_SEEN	256
#define CLIENT_HOLD_MS	10000	/* for a session to arrive */
#define CLIENT_HOLD_MAX	4096	/* chats held at once */
#define CLIENT_HANDSHAKE_MS	15000	/* for the server to let us in */
#define JOIN_PING_BASE	((int64_t)1 << 62)	/* our ping ids */

struct client {
	int			 fd;
	enum client_state	 state;
	struct frame_decoder	 dec;
	struct buf		 out;
	struct crypto_key	*identity;
	char			 name[NAME_MAX_LEN + 1];
	char			 server[300];	/* "host:port" */
	struct knownkeys	*known;
	struct peer		*peers;
	size_t			 npeers;
	char			 room[ROOM_MAX_LEN + 1];	/* current */
	/* A room asked for and not yet accepted, and the id of the ping
	 * sent after the request: its pong says the server has answered. */
	char			 joining[ROOM_MAX_LEN + 1];
	int64_t			 join_ping;
	int64_t			 handshake_until;	/* util_now_ms() */
	uint64_t		 pings;		/* sent by us */
	uint64_t		 bytes_written;	/* to the server */
	/* The newest chat messages shown, "from\nid": a replayed or
	 * duplicated one (signatures cover the id) is shown once. */
	char			 seen[CLIENT_SEEN][NAME_MAX_LEN + CHAT_ID_MAX_LEN + 2];
	unsigned int		 seen_next;
	json_object		*roster_event;	/* awaiting "users" */
	struct keystore		*ks;	/* end-to-end state */
	int			 ks_owned;	/* ours to free */
	struct held		*held;
	size_t			 nheld;
	client_emit_fn		 emit;
	client_frame_fn		 on_frame;	/* may be NULL */
	void			*emit_arg;
};

int	client_connect(const char *, int, int, char *, size_t);
void	client_init(struct client *, int, const char *, struct crypto_key *,
	    const char *, struct knownkeys *, client_emit_fn, void *);
void	client_use_keystore(struct client *, struct keystore *);
int	client_rotate(struct client *, const char *);
void	client_free(struct client *);
int	client_read(struct client *);
int	client_timeout(struct client *);
void	client_set_handshake_timeout(int);
int	client_flush(struct client *);
int	client_say(struct client *, json_object *, const char *, int);
void	client_send(struct client *, json_object *);
void	client_send_checked(struct client *, json_object *);
void	client_who(struct client *, const char *);
void	client_room(struct client *, int, const char *);
int	client_joining(const struct client *);
void	client_verify(struct client *, const char *);
void	client_trust(struct client *, const char *);
struct peer *client_peer(struct client *, const char *);

#endif
