/* Wire protocol constants shared by tvchatd and tvchat (tvchat-protocol(5)). */
#ifndef TVCHAT_PROTO_H
#define TVCHAT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_VERSION	2

/* Frame header: 1-byte type, 4-byte big-endian payload length. */
#define FRAME_HEADER_LEN	5
#define FRAME_TYPE_JSON		1
#define FRAME_TYPE_VIDEO	2

#define FRAME_MAX_JSON		(256u * 1024u)
#define FRAME_MAX_VIDEO		(4u * 1024u * 1024u)

/* Video payload header (before the JPEG), big-endian. */
#define VIDEO_HEADER_LEN	20

/* Quality ladder, in the order used by the video header's quality byte. */
enum quality {
	QUALITY_240P = 1,
	QUALITY_720P = 2,
	QUALITY_1440P = 3,
	QUALITY_AUTO = 255,	/* only in requests, never in a frame */
};

/* Limits on message fields. */
#define NAME_MAX_LEN		32
#define ROOM_MAX_LEN		33	/* '#' + up to 32 name characters */
#define CHAT_MAX_RECIPIENTS	256
/* Wrapped keys in a chat: a key for each recipient and the sender's own. */
#define CHAT_ID_RANDOM		16	/* random bytes in a message id */
#define CHAT_ID_MAX_LEN		64
/* Sealed text, before base64. With the largest target it keeps what a
 * message's Ed25519 signature covers under ECC_DATA_MAX. */
#define CHAT_MAX_PLAINTEXT	(32 * 1024)
#define MESSAGE_TEXT_MAX	512	/* error/motd/reason text */
#define VIDEO_NAME_MAX_LEN	64
#define NONCE_LEN		32
#define VIDEO_SIZE_MAX		4096	/* largest width/height asked for */

#define DEFAULT_PORT		10000
#define DEFAULT_ROOM		"#lobby"

/*
 * Protocol error codes. The strings (proto_error_name) are part of the
 * protocol and never change meaning; see tvchat-protocol(5).
 */
enum proto_error {
	PROTO_OK = 0,
	PROTO_E_TOO_BIG,	/* "too-big": payload length over the cap */
	PROTO_E_FRAME_TYPE,	/* "bad-frame-type": unknown frame type byte */
	PROTO_E_EMPTY,		/* "empty": zero-length JSON payload */
	PROTO_E_UTF8,		/* "bad-utf8" */
	PROTO_E_JSON,		/* "bad-json" */
	PROTO_E_TYPE,		/* "bad-type": missing or unknown "type" */
	PROTO_E_MESSAGE,	/* "bad-message": fields missing or invalid */
	PROTO_E_VERSION,	/* "version" */
	PROTO_E_NAME,		/* "bad-name" */
	PROTO_E_NAME_TAKEN,	/* "name-taken" */
	PROTO_E_SERVER_FULL,	/* "server-full" */
	PROTO_E_KEY,		/* "bad-key" */
	PROTO_E_SIGNATURE,	/* "bad-signature" */
	PROTO_E_UNEXPECTED,	/* "unexpected": valid message, wrong state */
	PROTO_E_NO_SUCH_USER,	/* "no-such-user" */
	PROTO_E_NO_SUCH_ROOM,	/* "no-such-room" */
	PROTO_E_NO_SUCH_VIDEO,	/* "no-such-video" */
	PROTO_E_NO_SUCH_QUALITY,/* "no-such-quality" */
	PROTO_E_VIDEO,		/* "video-error" */
	PROTO_E_RATE,		/* "rate-limited" */
	PROTO_E_TOO_SLOW,	/* "too-slow" */
	PROTO_E_TIMEOUT,	/* "timeout" */
	PROTO_E_SHUTDOWN,	/* "shutdown" */
	PROTO_E_INTERNAL,	/* "internal" */
	PROTO_E_UNAVAILABLE,	/* "unavailable": cannot serve now; try again */
	PROTO_E_COUNT
};

const char	*proto_error_name(enum proto_error);
enum proto_error proto_error_from_name(const char *);
const char	*proto_quality_name(enum quality);
int		 proto_quality_from_name(const char *, enum quality *);
int		 proto_name_valid(const char *);
int		 proto_room_valid(const char *);
int		 proto_name_equal(const char *, const char *);
void		 proto_standard_size(int, int, int *, int *);

#endif
