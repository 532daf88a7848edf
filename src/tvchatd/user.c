/*
 * A presence slot as JSON. Clients get user objects (name, key,
 * fingerprint, signed prekey, rooms, watching); nodes of a cluster share records, which
 * add the slot and generation the user has on its own node (to address
 * chat parcels there) and when it joined. Records come from other nodes
 * through Redis, so parsing checks every field as strictly as a client's
 * hello.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "msg.h"
#include "user.h"
#include "utf8.h"
#include "xmalloc.h"

/* Return the user object clients see for a slot. */
json_object *
user_json(const struct presence_slot *slot)
{
	json_object	*u, *rooms = json_object_new_array();

	u = msg_user(slot->name, msg_jwk(slot->key_n, slot->key_e),
	    slot->fingerprint, msg_prekey(slot->prekey.key,
	    slot->prekey.created, slot->prekey.sig));
	for (int i = 0; i < PRESENCE_MAX_ROOMS; i++)
		if (slot->rooms[i][0] != '\0')
			json_object_array_add(rooms,
			    json_object_new_string(slot->rooms[i]));
	json_object_object_add(u, "rooms", rooms);
	if (slot->watching[0] != '\0')
		json_object_object_add(u, "watching",
		    json_object_new_string(slot->watching));
	return u;
}

/* Return the cluster record (a JSON text to free) of our user in slot. */
char *
user_record(const struct presence_slot *slot, int32_t index,
    uint32_t generation)
{
	json_object	*u = user_json(slot);
	char		*text;

	json_object_object_add(u, "slot", json_object_new_int(index));
	json_object_object_add(u, "gen", json_object_new_int64(generation));
	json_object_object_add(u, "joined",
	    json_object_new_int64(slot->joined_at));
	text = xstrdup(json_object_to_json_string_ext(u,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(u);
	return text;
}

/*
 * Parse len bytes of JSON text (no NUL inside, valid UTF-8); or NULL. The
 * cap is a node's whole user list (an S note), not a client message's.
 */
json_object *
user_parse_json(const void *p, size_t len)
{
	json_tokener	*tok;
	json_object	*o;

	if (len == 0 || len > USER_JSON_MAX || memchr(p, '\0', len) != NULL ||
	    !utf8_valid(p, len))
		return NULL;
	tok = json_tokener_new_ex(16);
	o = json_tokener_parse_ex(tok, p, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * Return v's text if v is a string of at most max bytes with no NUL
 * inside (json-c would let one cut it short), else NULL.
 */
const char *
user_json_string(json_object *v, size_t max)
{
	const char	*s;
	size_t		 n;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	return n > max || strlen(s) != n ? NULL : s;
}

/* Copy string member key of o into dst (size bytes); 0, or -1. */
static int
get_str(json_object *o, const char *key, char *dst, size_t size, int need)
{
	json_object	*v;
	const char	*s;

	if (!json_object_object_get_ex(o, key, &v)) {
		dst[0] = '\0';
		return need ? -1 : 0;
	}
	if ((s = user_json_string(v, size - 1)) == NULL)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* Read integer member key of o into *out if it is in [min, max]. */
static int
get_int(json_object *o, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return *out < min || *out > max ? -1 : 0;
}

/* Return 1 if s is non-empty base64url of at most max characters. */
static int
b64_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/*
 * Fill *out from a record of a user of node (a JSON object from another
 * node). Returns 0, or -1 if any field is missing or invalid.
 */
int
user_record_parse(json_object *o, const char *node, struct presence_slot *out)
{
	json_object	*key, *rooms, *pk;
	int64_t		 slot, gen, joined, created;
	size_t		 n;

	memset(out, 0, sizeof *out);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "key", &key) ||
	    !json_object_is_type(key, json_type_object) ||
	    get_str(o, "name", out->name, sizeof out->name, 1) != 0 ||
	    !proto_name_valid(out->name) ||
	    get_str(key, "n", out->key_n, sizeof out->key_n, 1) != 0 ||
	    get_str(key, "e", out->key_e, sizeof out->key_e, 1) != 0 ||
	    !b64_ok(out->key_n) || !b64_ok(out->key_e) ||
	    !json_object_object_get_ex(o, "prekey", &pk) ||
	    !json_object_is_type(pk, json_type_object) ||
	    get_str(pk, "key", out->prekey.key, sizeof out->prekey.key,
	    1) != 0 || strlen(out->prekey.key) != PRESENCE_PREKEY_MAX ||
	    !b64_ok(out->prekey.key) ||
	    get_str(pk, "sig", out->prekey.sig, sizeof out->prekey.sig,
	    1) != 0 || !b64_ok(out->prekey.sig) ||
	    get_int(pk, "created", 0, INT64_MAX, &created) != 0 ||
	    get_str(o, "fingerprint", out->fingerprint,
	    sizeof out->fingerprint, 1) != 0 ||
	    strncmp(out->fingerprint, "SHA256:", 7) != 0 ||
	    get_str(o, "watching", out->watching, sizeof out->watching,
	    0) != 0 ||
	    get_int(o, "slot", 0, 65535, &slot) != 0 ||
	    get_int(o, "gen", 0, UINT32_MAX, &gen) != 0 ||
	    get_int(o, "joined", 0, INT64_MAX, &joined) != 0 ||
	    !json_object_object_get_ex(o, "rooms", &rooms) ||
	    !json_object_is_type(rooms, json_type_array) ||
	    (n = json_object_array_length(rooms)) > PRESENCE_MAX_ROOMS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *s = user_json_string(
		    json_object_array_get_idx(rooms, i), ROOM_MAX_LEN);

		if (s == NULL || !proto_room_valid(s))
			return -1;
		memcpy(out->rooms[i], s, strlen(s) + 1);
	}
	if (strlen(node) >= sizeof out->node || !proto_name_valid(node))
		return -1;
	memcpy(out->node, node, strlen(node) + 1);
	out->remote_slot = (int32_t)slot;
	out->remote_gen = (uint32_t)gen;
	out->joined_at = joined;
	out->prekey.created = created;
	out->state = SLOT_ACTIVE;
	return 0;
}
