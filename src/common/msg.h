/* JSON protocol messages: validation of what arrives, builders for what goes. */
#ifndef TVCHAT_MSG_H
#define TVCHAT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "proto.h"

struct buf;

/* Which way a message travels: its fields differ (e.g. "chat", "who"). */
enum msg_dir {
	MSG_TO_SERVER,
	MSG_TO_CLIENT
};

#define MSG_WHY_LEN	160

enum proto_error msg_parse(const uint8_t *, size_t, enum msg_dir,
		    json_object **, char *, size_t);
enum proto_error msg_validate(json_object *, enum msg_dir, char *, size_t);
const char	*msg_type(json_object *);
const char	*msg_get_str(json_object *, const char *);
int64_t		 msg_get_int(json_object *, const char *, int64_t);
double		 msg_get_num(json_object *, const char *, double);
json_object	*msg_get(json_object *, const char *);
int		 msg_encode(json_object *, struct buf *);
int		 msg_encode_free(json_object *, struct buf *);
const char	*msg_text(json_object *);

/* msg-build.c: the builders. */
json_object	*msg_new(const char *);
json_object	*msg_jwk(const char *, const char *);
json_object	*msg_user(const char *, json_object *, const char *,
		    json_object *);
json_object	*msg_prekey(const char *, int64_t, const char *);
json_object	*msg_challenge(const char *, const uint8_t *, size_t);
json_object	*msg_hello(const char *, json_object *, const char *,
		    json_object *);
json_object	*msg_welcome(const char *, json_object *, json_object *,
		    const char *);
json_object	*msg_users(json_object *, int);
json_object	*msg_error(enum proto_error, const char *);
json_object	*msg_join(json_object *);
json_object	*msg_leave(const char *, const char *);
json_object	*msg_who_request(const char *);
json_object	*msg_who_reply(json_object *);
json_object	*msg_room(const char *, const char *, const char *);
json_object	*msg_chat_send(json_object *, const char *, const char *);
void		 msg_chat_deliver_frame(struct buf *, const char *,
		    json_object *, const char *, int64_t, const char *);
json_object	*msg_sender_key(const char *, const char *, json_object *,
		    const char *);
json_object	*msg_ping(int64_t);
json_object	*msg_pong(int64_t);
json_object	*msg_videos_reply(json_object *);
json_object	*msg_video_info(const char *, json_object *, double, double,
		    int64_t);
json_object	*msg_play(const char *, enum quality, int, int, double);
json_object	*msg_watch_request(const char *, const char *, enum quality,
		    int, int);
json_object	*msg_seek(double);
json_object	*msg_quality(enum quality);
json_object	*msg_resize(int, int);
json_object	*msg_stream(uint32_t, const char *, enum quality, double,
		    int64_t, double, int, int);
json_object	*msg_stream_end(uint32_t, const char *, const char *);
json_object	*msg_quality_changed(enum quality, const char *);

#endif
