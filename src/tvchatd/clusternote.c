/*
 * What cluster nodes say to each other through Redis. A note is
 * "<kind> <node>\n<body>"; a parcel is a 12-byte header (slot,
 * generation, length: big-endian) and a wire frame; a watch-together
 * state is a JSON object. Everything here comes from other nodes, so
 * parsing checks every byte and every field.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusternote.h"
#include "frame.h"
#include "ipc.h"
#include "user.h"
#include "xmalloc.h"

static const char *const actions[] = {
	"state", "pause", "resume", "seek", "quality"
};

/* Write a note's head into buf; return its length. */
size_t
note_header(char *buf, size_t size, char kind, const char *node)
{
	int	n = snprintf(buf, size, "%c %s\n", kind, node);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* Split a note into kind, node and body; 0, or -1 if malformed. */
int
note_parse(const uint8_t *p, size_t len, struct note *n)
{
	const uint8_t	*nl;
	size_t		 nodelen;

	if (len < 4 || p[1] != ' ' ||
	    (nl = memchr(p + 2, '\n', len - 2)) == NULL)
		return -1;
	nodelen = (size_t)(nl - p - 2);
	if (nodelen == 0 || nodelen > NAME_MAX_LEN ||
	    memchr(p + 2, '\0', nodelen) != NULL)
		return -1;
	memcpy(n->node, p + 2, nodelen);
	n->node[nodelen] = '\0';
	if (!proto_name_valid(n->node))
		return -1;
	n->kind = (char)p[0];
	n->body = nl + 1;
	n->len = len - (size_t)(n->body - p);
	return 0;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Return 1 if p is exactly one JSON wire frame (what a client may get). */
int
note_frame_ok(const uint8_t *p, size_t len)
{
	return len > FRAME_HEADER_LEN && len <= IPC_MAX_PAYLOAD &&
	    p[0] == FRAME_TYPE_JSON && get32(p + 1) == len - FRAME_HEADER_LEN;
}

/* Write a parcel's header for a frame of len bytes. */
void
parcel_header(uint8_t *out, int32_t slot, uint32_t generation, size_t len)
{
	put32(out, (uint32_t)slot);
	put32(out + 4, generation);
	put32(out + 8, (uint32_t)len);
}

/*
 * Take the next parcel from *p (len bytes left), advancing both. Returns
 * 1 with *out set, 0 at the end, or -1 if the rest is malformed.
 */
int
parcel_next(const uint8_t **p, size_t *len, struct parcel *out)
{
	uint32_t	slot, flen;

	if (*len == 0)
		return 0;
	if (*len < PARCEL_HEADER_LEN)
		return -1;
	slot = get32(*p);
	flen = get32(*p + 8);
	if (slot > INT32_MAX || flen > IPC_MAX_PAYLOAD ||
	    flen > *len - PARCEL_HEADER_LEN ||
	    !note_frame_ok(*p + PARCEL_HEADER_LEN, flen))
		return -1;
	out->slot = (int32_t)slot;
	out->generation = get32(*p + 4);
	out->frame = *p + PARCEL_HEADER_LEN;
	out->len = flen;
	*p += PARCEL_HEADER_LEN + flen;
	*len -= PARCEL_HEADER_LEN + flen;
	return 1;
}

/* Return a watch state as JSON text (to free). */
char *
watch_note_text(const struct watch_note *wn)
{
	json_object	*o = json_object_new_object(), *size;
	char		*text;

	json_object_object_add(o, "room", json_object_new_string(wn->w.room));
	json_object_object_add(o, "title",
	    json_object_new_string(wn->w.title));
	json_object_object_add(o, "quality", json_object_new_string(
	    proto_quality_name((enum quality)wn->w.quality)));
	size = json_object_new_array();
	json_object_array_add(size, json_object_new_int(wn->w.width));
	json_object_array_add(size, json_object_new_int(wn->w.height));
	json_object_object_add(o, "size", size);
	json_object_object_add(o, "position",
	    json_object_new_double(wn->w.position));
	json_object_object_add(o, "paused",
	    json_object_new_boolean(wn->w.paused != 0));
	json_object_object_add(o, "action",
	    json_object_new_string(actions[wn->action]));
	if (wn->w.by[0] != '\0')
		json_object_object_add(o, "by",
		    json_object_new_string(wn->w.by));
	if (wn->action == PLAYER_SEEK)
		json_object_object_add(o, "to", json_object_new_double(wn->to));
	if (wn->action == PLAYER_QUALITY)
		json_object_object_add(o, "to_quality", json_object_new_string(
		    proto_quality_name((enum quality)wn->quality)));
	text = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/* A string member of at most max bytes (need: must be there); or NULL. */
static const char *
str_of(json_object *o, const char *key, size_t max, int need, int *bad)
{
	json_object	*v;
	const char	*s;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (need)
			*bad = 1;
		return NULL;
	}
	if ((s = user_json_string(v, max)) == NULL)
		*bad = 1;
	return s;
}

/* A number member in [0, 1e7] seconds; or -1. */
static double
seconds_of(json_object *o, const char *key)
{
	json_object	*v;
	double		 d;

	if (!json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int)))
		return -1;
	d = json_object_get_double(v);
	return isfinite(d) && d >= 0 && d <= 1e7 ? d : -1;
}

/* Parse a watch state from another node; 0, or -1 if anything is off. */
int
watch_note_parse(const uint8_t *p, size_t len, struct watch_note *wn)
{
	json_object	*o = user_parse_json(p, len), *size, *paused;
	const char	*room, *title, *quality, *action, *by, *toq;
	enum quality	 q;
	int		 bad = 0, w, h, r = -1;
	size_t		 i;

	memset(wn, 0, sizeof *wn);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		goto out;
	room = str_of(o, "room", ROOM_MAX_LEN, 1, &bad);
	title = str_of(o, "title", VIDEO_NAME_MAX_LEN, 1, &bad);
	quality = str_of(o, "quality", 16, 1, &bad);
	action = str_of(o, "action", 16, 1, &bad);
	by = str_of(o, "by", NAME_MAX_LEN, 0, &bad);
	toq = str_of(o, "to_quality", 16, 0, &bad);
	if (bad || !proto_room_valid(room) || title[0] == '\0' ||
	    strchr(title, '/') != NULL ||
	    proto_quality_from_name(quality, &q) != 0 || q == QUALITY_AUTO ||
	    (by != NULL && !proto_name_valid(by)) ||
	    !json_object_object_get_ex(o, "size", &size) ||
	    !json_object_is_type(size, json_type_array) ||
	    json_object_array_length(size) != 2 ||
	    !json_object_object_get_ex(o, "paused", &paused) ||
	    !json_object_is_type(paused, json_type_boolean) ||
	    (wn->w.position = seconds_of(o, "position")) < 0)
		goto out;
	w = json_object_get_int(json_object_array_get_idx(size, 0));
	h = json_object_get_int(json_object_array_get_idx(size, 1));
	if (!json_object_is_type(json_object_array_get_idx(size, 0),
	    json_type_int) || !json_object_is_type(json_object_array_get_idx(
	    size, 1), json_type_int) || w < 1 || h < 1 ||
	    w > VIDEO_SIZE_MAX || h > VIDEO_SIZE_MAX)
		goto out;
	for (i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(action, actions[i]) == 0)
			break;
	if (i == sizeof actions / sizeof actions[0])
		goto out;
	wn->action = (enum player_action)i;
	if (wn->action == PLAYER_SEEK && (wn->to = seconds_of(o, "to")) < 0)
		goto out;
	if (wn->action == PLAYER_QUALITY) {
		if (toq == NULL || proto_quality_from_name(toq, &q) != 0 ||
		    q == QUALITY_AUTO)
			goto out;
		wn->quality = (uint8_t)q;
	}
	if (wn->action != 0 && by == NULL)
		goto out;
	snprintf(wn->w.room, sizeof wn->w.room, "%s", room);
	snprintf(wn->w.title, sizeof wn->w.title, "%s", title);
	proto_quality_from_name(quality, &q);
	wn->w.quality = (uint8_t)q;
	wn->w.width = (uint16_t)w;
	wn->w.height = (uint16_t)h;
	wn->w.paused = json_object_get_boolean(paused);
	if (by != NULL)
		snprintf(wn->w.by, sizeof wn->w.by, "%s", by);
	r = 0;
out:
	json_object_put(o);
	return r;
}
