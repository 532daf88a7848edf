/*
 * What Redis answers cluster nodes (see cluster.c), read strictly: each
 * reply is checked (types, element counts, nil, integer ranges, string
 * lengths) and turned into plain C values before the node acts on it.
 * No I/O.
 */
#ifndef TVCHAT_CLUSTERREPLY_H
#define TVCHAT_CLUSTERREPLY_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "proto.h"

#define CLUSTERREPLY_TEXT_MAX		128	/* an error's text, logged */

enum clusterreply_error {
	CLUSTERREPLY_OK = 0,
	CLUSTERREPLY_E_NONE = -1,	/* no reply: the connection closed */
	CLUSTERREPLY_E_REDIS = -2,	/* Redis answered with an error */
	CLUSTERREPLY_E_TYPE = -3,
	CLUSTERREPLY_E_VALUE = -4,
	CLUSTERREPLY_E_COUNT = -5,
	CLUSTERREPLY_E_ELEMENT = -6,
	CLUSTERREPLY_E_KIND = -7,
	CLUSTERREPLY_E_CHANNEL = -8,
	CLUSTERREPLY_E_NAME = -9,
};

/* What the heartbeat script found under our key. */
enum clusterreply_beat {
	CLUSTERREPLY_BEAT_OURS,
	CLUSTERREPLY_BEAT_EXPIRED,	/* nil: the key had expired */
	CLUSTERREPLY_BEAT_OTHER,	/* another node's epoch */
};

/* A reply on the subscribed connection. */
enum clusterreply_kind {
	CLUSTERREPLY_SUBSCRIBED = 1,
	CLUSTERREPLY_MESSAGE,
};
struct clusterreply_message {
	enum clusterreply_kind	 kind;
	int			 channel;	/* index in those asked about */
	const uint8_t		*data;		/* a message's, in the reply */
	size_t			 len;
};

/* The valid node names of a set, sorted, each once. */
struct clusterreply_names {
	size_t		  n;
	char		(*name)[NAME_MAX_LEN + 1];
	size_t		  invalid;	/* strings left out */
};

/* The values of a hash, pointing into the reply. */
struct clusterreply_values {
	size_t		  n;
	struct {
		const uint8_t	*p;
		size_t		 len;
	}		 *value;
};

const char	*clusterreply_strerror(int);
void		 clusterreply_text(const redisReply *, char *, size_t);
int		 clusterreply_integer(const redisReply *, long long, long long,
		    long long *);
int		 clusterreply_ok(const redisReply *);
int		 clusterreply_beat(const redisReply *, const char *,
		    enum clusterreply_beat *);
int		 clusterreply_message(const redisReply *, const char *const *,
		    size_t, struct clusterreply_message *);
int		 clusterreply_names(const redisReply *,
		    struct clusterreply_names *);
int		 clusterreply_names_has(const struct clusterreply_names *,
		    const char *);
void		 clusterreply_names_free(struct clusterreply_names *);
int		 clusterreply_values(const redisReply *,
		    struct clusterreply_values *);
void		 clusterreply_values_free(struct clusterreply_values *);
int		 clusterreply_present(const redisReply *, size_t, uint8_t *);

#endif
