/*
 * The client's end of a session: the capped queue of what goes to it
 * (a client that lets it overflow is "too slow"), errors, fatal or not,
 * writing it out beside the video stream, and the graceful close.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "msg.h"
#include "proc.h"
#include "session-private.h"
#include "util.h"

#define DRAIN_MS		500	/* reading after an error, before close */

/* The client let its queue overflow: tell it (if it ever reads) and end. */
static void
too_slow(struct session *s)
{
	if (!s->done)
		session_fail(s, PROTO_E_TOO_SLOW,
		    "too slow: you were not reading", "too slow");
}

/* Queue one message for the client; too much queued ends the session. */
void
session_send(struct session *s, json_object *m)
{
	if (msg_encode_free(m, &s->out) != 0)
		too_slow(s);
}

/* Queue raw frame bytes (from the broker) for the client. */
void
session_send_raw(struct session *s, const uint8_t *p, size_t len)
{
	if (buf_append(&s->out, p, len) != 0)
		too_slow(s);
}

/* Send a non-fatal error to the client. */
void
session_send_error(struct session *s, enum proto_error code, const char *text)
{
	session_send(s, msg_error(code, text));
}

/* Send a fatal error, flush, and end the session (see session_close()). */
void
session_fail(struct session *s, enum proto_error code, const char *text,
    const char *reason)
{
	/* The error must reach the client even when the queue is full. */
	s->out.max += 2 * MESSAGE_TEXT_MAX + 256;
	session_send_error(s, code, text);
	s->done = 1;
	s->leave_reason = reason;
}

/*
 * Write queued bytes to the client; return -1 if the connection broke.
 * Control and chat go first; a video frame already started is finished
 * before anything else (frames cannot interleave), and a new frame starts
 * only when no control bytes wait.
 */
int
session_flush(struct session *s)
{
	ssize_t	n;

	for (;;) {
		if (stream_mid_frame(&s->stream)) {
			if (stream_write(&s->stream, s->fd) != 0)
				return -1;
			if (stream_mid_frame(&s->stream))
				return 0;	/* would block */
			continue;
		}
		if (buf_len(&s->out) > 0) {
			n = proc_write(s->fd, buf_ptr(&s->out),
			    buf_len(&s->out));
			if (n == -1)
				return -1;
			buf_consume(&s->out, (size_t)n);
			if (buf_len(&s->out) > 0)
				return 0;	/* would block */
			continue;
		}
		return stream_write(&s->stream, s->fd);
	}
}

/*
 * Close gracefully: flush what is queued (bounded), shut down our side,
 * drain the client's input briefly so the kernel sends FIN rather than a
 * reset that could destroy the error message, then close.
 */
void
session_close(struct session *s)
{
	struct pollfd	pfd = { .fd = s->fd };
	int64_t		until = util_now_ms() + DRAIN_MS;
	uint8_t		sink[4096];
	ssize_t		n;

	while (buf_len(&s->out) > 0 && util_now_ms() < until) {
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)(until - util_now_ms())) <= 0 ||
		    session_flush(s) != 0)
			break;
	}
	shutdown(s->fd, SHUT_WR);
	while (util_now_ms() < until) {
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - util_now_ms())) <= 0)
			break;
		n = read(s->fd, sink, sizeof sink);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(s->fd);
}
