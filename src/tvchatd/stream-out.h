/*
 * What a stream sends its client (stream-out.c): messages through the
 * session, and frames through a latest-frame-wins queue. For the stream
 * family only.
 */
#ifndef TVCHAT_STREAM_OUT_H
#define TVCHAT_STREAM_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "player.h"
#include "proto.h"
#include "stream.h"

void	stream_out_error(struct stream *, enum proto_error, const char *);
void	stream_out_offer(struct stream *, const struct video_header *,
	    const uint8_t *, size_t, uint8_t *, struct player_frame *);
void	stream_out_drop_pending(struct stream *);
void	stream_out_release(struct stream_out *);

#endif
