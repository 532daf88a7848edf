/*
 * What one session's video stream sends its client. Messages go through
 * the session at once. Frames are latest-frame-wins: a frame not yet
 * started on the socket is replaced by a newer one and counted as
 * dropped; a frame being written is always finished, and the session
 * writes control and chat bytes before starting a new frame, so chat
 * never waits behind video. A new frame also waits while the kernel holds
 * much for the client already.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sys/ioctl.h>
#include <sys/uio.h>

#include <linux/sockios.h>

#include "frame.h"
#include "msg.h"
#include "proc.h"
#include "stream-out.h"
#include "stream.h"

/* Send an error to the client (not fatal). */
void
stream_out_error(struct stream *st, enum proto_error code, const char *text)
{
	st->send(st->arg, msg_error(code, text));
}

/* Release what an output frame holds. */
void
stream_out_release(struct stream_out *o)
{
	free(o->owned);
	if (o->pin != NULL)
		player_unpin(o->pin);
	memset(o, 0, sizeof *o);
}

/* Drop the frame waiting to be sent (a partly sent one is kept). */
void
stream_out_drop_pending(struct stream *st)
{
	stream_out_release(&st->next);
}

/*
 * Make a frame the one waiting to be sent (the newest wins: one that was
 * waiting is dropped). owned is freed and pin released when done.
 */
void
stream_out_offer(struct stream *st, const struct video_header *h,
    const uint8_t *jpeg, size_t len, uint8_t *owned, struct player_frame *pin)
{
	struct stream_out	*o = &st->next;
	struct video_header	 hh = *h;

	if (o->used) {
		/* The client has not taken the last one: the newest wins,
		 * and is the key frame if the one it replaces was. */
		st->dropped++;
		st->window_drops++;
		if (o->key)
			hh.flags |= VIDEO_FLAG_KEY;
		stream_out_release(o);
	}
	o->used = 1;
	o->key = (hh.flags & VIDEO_FLAG_KEY) != 0;
	frame_encode_header(o->head, FRAME_TYPE_VIDEO,
	    (uint32_t)(VIDEO_HEADER_LEN + len));
	frame_video_encode(o->head + FRAME_HEADER_LEN, &hh);
	o->data = jpeg;
	o->len = len;
	o->off = 0;
	o->owned = owned;
	o->pin = pin;
	st->window_frames++;
}

/*
 * Return 1 if the kernel holds so much for fd not yet sent (SIOCOUTQ)
 * that a new frame should wait: latest-frame-wins must count the socket's
 * own buffer, which grows to megabytes for a slow reader, or frames reach
 * it seconds late and chat queues behind them.
 */
static int
kernel_backlog(int fd)
{
	int	queued;

	return ioctl(fd, SIOCOUTQ, &queued) == 0 &&
	    queued > STREAM_KERNEL_QUEUE_MAX;
}

/*
 * Return 1 if video bytes are waiting to be written to fd now: the rest
 * of a frame begun, or a new one while the kernel's queue is short (else
 * the frame waits, and a newer one replaces it, counted as dropped).
 */
int
stream_pending(struct stream *st, int fd)
{
	st->held = 0;
	if (stream_mid_frame(st))
		return 1;
	if (!st->cur.used && !st->next.used)
		return 0;
	st->held = kernel_backlog(fd);
	return !st->held;
}

/* Return 1 if a frame is partly written (it must be finished first). */
int
stream_mid_frame(const struct stream *st)
{
	return st->cur.used && st->cur.off > 0;
}

/*
 * Write video bytes to fd until it would block or nothing is left.
 * Returns 0, or -1 if the connection broke.
 */
int
stream_write(struct stream *st, int fd)
{
	struct stream_out	*o = &st->cur;
	struct iovec		 iov[2];
	size_t			 hl = sizeof o->head;
	ssize_t			 n;
	int			 k;

	for (;;) {
		if (o->off == 0 && (o->used || st->next.used) &&
		    (st->held = kernel_backlog(fd)))
			return 0;
		if (!o->used) {
			if (!st->next.used)
				return 0;
			*o = st->next;
			memset(&st->next, 0, sizeof st->next);
		}
		k = 0;
		if (o->off < hl) {
			iov[k].iov_base = o->head + o->off;
			iov[k++].iov_len = hl - o->off;
			iov[k].iov_base = (void *)o->data;
			iov[k++].iov_len = o->len;
		} else {
			iov[k].iov_base = (void *)(o->data + (o->off - hl));
			iov[k++].iov_len = o->len - (o->off - hl);
		}
		n = proc_writev(fd, iov, k);
		if (n <= 0)
			return (int)n;
		o->off += (size_t)n;
		if (o->off == hl + o->len) {
			stream_out_release(o);
			st->sent++;
		}
	}
}
