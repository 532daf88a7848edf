/*
 * A stream of one's own (stream-private.c): decoded by the session,
 * counted among the server's private streams. For stream.c only.
 */
#ifndef TVCHAT_STREAM_PRIVATE_H
#define TVCHAT_STREAM_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "stream.h"

int	stream_private_take(struct stream *);
void	stream_private_close(struct stream *);
void	stream_private_busy(const struct stream *, char *, size_t);
void	stream_private_reschedule(struct stream *, int64_t);
void	stream_private_fit(struct stream *);
int	stream_private_open(struct stream *, int, double, int64_t);
void	stream_private_set_quality(struct stream *, json_object *, int64_t);
int	stream_private_timeout(const struct stream *, int64_t);
int	stream_private_tick(struct stream *, int64_t, char *);

#endif
