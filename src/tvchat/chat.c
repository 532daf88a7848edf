/*
 * Chat with sender keys (tvchat-protocol(5), "Sender keys"). Sending: one
 * session of ours per conversation (a room, or a set of names), given to
 * each member the roster shows before the first message that needs it,
 * sealed to that member's signed prekey; a new session after a member
 * leaves, after KS_SESSION_MESSAGES messages or KS_SESSION_LIFE_MS, and
 * on /rotate; then one sealed blob per message for everyone. Receiving:
 * sessions others give us, checked against their identity; a chat whose
 * session has not arrived is held until it does (then shown, in order)
 * or reported undecryptable after CLIENT_HOLD_MS. Nothing is dropped
 * without an event saying so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "client-private.h"
#include "msg.h"
#include "util.h"
#include "xmalloc.h"

/* Make sure c has a keystore: an in-memory one if the front end gave none. */
static struct keystore *
store(struct client *c)
{
	char	err[8];

	if (c->ks == NULL) {
		keystore_open(NULL, &c->ks, err, sizeof err);
		c->ks_owned = 1;
	}
	return c->ks;
}

/*
 * Set *out to our signed prekey for the hello (a new one first if it is
 * due), saved before it is published: what is sealed to it must stay
 * openable. Returns 0, or -1 (an error event says why).
 */
int
chat_prekey(struct client *c, json_object **out)
{
	struct keystore	*k = store(c);
	char		*pub, *sig;
	int		 r;

	if ((r = keystore_prekey(k, c->identity, c->name, util_now_ms())) !=
	    CRYPTO_OK) {
		client_error(c, "internal", crypto_strerror(r));
		return -1;
	}
	if (k->dirty && keystore_save(k) != 0) {
		client_error(c, "io", "cannot save the state file");
		return -1;
	}
	pub = base64url_encode(k->prekey.pub, sizeof k->prekey.pub);
	sig = base64url_encode(k->prekey_sig, k->prekey_siglen);
	*out = msg_prekey(pub, k->prekey.created, sig);
	free(pub);
	free(sig);
	return 0;
}

/* Return 1 if p is in room (ignoring case). */
static int
in_room(const struct peer *p, const char *room)
{
	for (size_t j = 0; p->rooms != NULL &&
	    j < json_object_array_length(p->rooms); j++)
		if (proto_name_equal(json_object_get_string(
		    json_object_array_get_idx(p->rooms, j)), room))
			return 1;
	return 0;
}

/* Return 1 if peer p is a member of target (a room, or names). */
static int
is_member(const struct peer *p, json_object *target)
{
	if (json_object_is_type(target, json_type_string))
		return in_room(p, json_object_get_string(target));
	for (size_t j = 0; j < json_object_array_length(target); j++)
		if (proto_name_equal(json_object_get_string(
		    json_object_array_get_idx(target, j)), p->name))
			return 1;
	return 0;
}

/*
 * Return 1 if everyone holding o is still a member of target with the
 * key it had (a reconnection, not a departure), else 0.
 */
static int
holders_here(struct client *c, const struct ks_out *o, json_object *target)
{
	char		 who[NAME_MAX_LEN + 1];
	const char	*fp;
	struct peer	*p;

	for (size_t i = 0; i < o->ngiven; i++) {
		fp = keystore_out_holder(o, i, who);
		if (fp == NULL || (p = client_peer(c, who)) == NULL ||
		    !is_member(p, target) ||
		    strcmp(fp, crypto_key_fingerprint(p->key)) != 0)
			return 0;
	}
	return 1;
}

/*
 * Return our session for target (canonical t), a new one if it is due:
 * after a holder left (and is not back), KS_SESSION_MESSAGES messages,
 * KS_SESSION_LIFE_MS, or /rotate.
 */
static struct ks_out *
session_for(struct client *c, json_object *target, const char *t)
{
	struct keystore	*k = store(c);
	struct ks_out	*o = keystore_out(k, t);
	int64_t		 now = util_now_ms();

	if (o != NULL && o->stale == KS_STALE_LEFT &&
	    holders_here(c, o, target)) {
		o->stale = 0;
		k->dirty = 1;
	}
	if (o != NULL && !o->stale && o->sent < KS_SESSION_MESSAGES &&
	    now - o->s.created < KS_SESSION_LIFE_MS && now >= o->s.created)
		return o;
	if ((o = keystore_out_new(k, t, c->name, c->identity, now)) == NULL)
		return NULL;
	/* Our own echo opens like anyone's. */
	keystore_in_add(k, &o->s);
	return o;
}

/*
 * Give session o for target to every member the roster shows who does
 * not hold it; those without a usable prekey are named in an error.
 */
static void
distribute(struct client *c, struct ks_out *o, json_object *target)
{
	json_object	*missing = json_object_new_array();
	uint8_t		*blob;
	size_t		 len;
	char		*b64, text[MESSAGE_TEXT_MAX];
	int		 signed_now = 0, r;

	for (size_t i = 0; i < c->npeers; i++) {
		struct peer *p = &c->peers[i];

		if (proto_name_equal(p->name, c->name) || !is_member(p, target) ||
		    keystore_out_given(o, p->name,
		    crypto_key_fingerprint(p->key)))
			continue;
		if (!signed_now) {
			/* The position handed out is where the chain is. */
			if (dist_chain_sign(&o->s, &o->signer) != CRYPTO_OK)
				break;
			signed_now = 1;
		}
		r = p->prekey_ok ? dist_seal(&o->s, p->name, p->prekey.pub,
		    &blob, &len) : CRYPTO_E_KEY;
		if (r != CRYPTO_OK) {
			json_object_array_add(missing,
			    json_object_new_string(p->name));
			continue;
		}
		b64 = base64url_encode(blob, len);
		free(blob);
		client_send(c, msg_sender_key("to", p->name,
		    json_object_get(target), b64));
		free(b64);
		keystore_out_give(o, p->name, crypto_key_fingerprint(p->key));
		c->ks->dirty = 1;
	}
	if (json_object_array_length(missing) > 0) {
		snprintf(text, sizeof text, "%s cannot read this: no prekey "
		    "signed by their key", msg_text(missing));
		client_error(c, "no-prekey", text);
	}
	json_object_put(missing);
}

/*
 * Seal text for target (a room string or an array of names; taken) and
 * send it. action marks a /me. Returns 0, or -1 (an error event says why).
 */
int
client_say(struct client *c, json_object *target, const char *text,
    int action)
{
	json_object	*inner;
	struct ks_out	*o;
	const char	*plain;
	uint8_t		 rnd[CHAT_ID_RANDOM], *blob;
	size_t		 len;
	char		 t[SK_TARGET_MAX], *id, *b64;
	int		 r;

	if (c->state != CLIENT_ACTIVE) {
		json_object_put(target);
		client_error(c, "not-connected", "not connected");
		return -1;
	}
	if ((r = sk_target(target, c->name, t, sizeof t)) != CRYPTO_OK ||
	    (o = session_for(c, target, t)) == NULL) {
		json_object_put(target);
		client_error(c, "not-sent", crypto_strerror(r != CRYPTO_OK ?
		    r : CRYPTO_E_KEY));
		return -1;
	}
	distribute(c, o, target);
	if (keystore_out_reserve(c->ks, o) != 0) {
		json_object_put(target);
		client_error(c, "io", "not sent: cannot save the state file");
		return -1;
	}
	/* 128 random bits: receivers show a (sender, id) once; the id is
	 * sealed inside too, so the server cannot swap it. */
	crypto_random(rnd, sizeof rnd);
	id = base64url_encode(rnd, sizeof rnd);
	inner = json_object_new_object();
	client_add_str(inner, "id", id);
	client_add_str(inner, "text", text);
	if (action)
		json_object_object_add(inner, "action",
		    json_object_new_boolean(1));
	plain = msg_text(inner);
	r = sk_seal(&o->s.chain, &o->signer, c->name, t,
	    (const uint8_t *)plain, strlen(plain), &blob, &len);
	json_object_put(inner);
	if (r != CRYPTO_OK) {
		free(id);
		json_object_put(target);
		client_error(c, "not-sent", crypto_strerror(r));
		return -1;
	}
	o->sent++;
	b64 = base64url_encode(blob, len);
	free(blob);
	client_send(c, msg_chat_send(target, id, b64));
	free(b64);
	free(id);
	return 0;
}

/* Write room's canonical target (sk_target's) into t. */
static int
room_target(struct client *c, const char *room, char t[SK_TARGET_MAX])
{
	json_object	*to = json_object_new_string(room);
	int		 r = sk_target(to, c->name, t, SK_TARGET_MAX);

	json_object_put(to);
	return r;
}

/*
 * Start a new session for room before the next message there (/rotate);
 * an event says so. Returns 0, or -1 if room is not a room name.
 */
int
client_rotate(struct client *c, const char *room)
{
	json_object	*ev;
	char		 t[SK_TARGET_MAX];

	if (room_target(c, room, t) != CRYPTO_OK)
		return -1;
	keystore_out_forget(store(c), NULL, t, KS_STALE_ROTATE);
	ev = client_event("rotated");
	client_add_str(ev, "room", room);
	client_emit(c, ev);
	return 0;
}

/*
 * Member name left target (a room; NULL: the server, or its key changed):
 * our sessions it held there are stale. name NULL: anyone may have.
 */
void
chat_gone(struct client *c, const char *name, const char *room, int how)
{
	char	t[SK_TARGET_MAX];

	if (room != NULL && room_target(c, room, t) != CRYPTO_OK)
		return;		/* not a room: nothing of ours is for it */
	keystore_out_forget(store(c), name, room != NULL ? t : NULL, how);
}

/* Report chat m as not shown, with why; before: it predates us. */
static void
chat_failed(struct client *c, json_object *m, const char *why, int code)
{
	json_object	*ev;

	ev = client_event(code == CRYPTO_E_BEFORE ? "before-join" :
	    "chat-failed");
	client_add_str(ev, "from", msg_get_str(m, "from"));
	client_add_str(ev, "id", msg_get_str(m, "id"));
	json_object_object_add(ev, "to", json_object_get(msg_get(m, "to")));
	client_add_str(ev, "reason", why);
	client_emit(c, ev);
}

/* Report the oldest held chat as not shown, with why, and drop it. */
static void
give_up_oldest(struct client *c, const char *why)
{
	chat_failed(c, c->held[0].m, why, CRYPTO_E_NO_SESSION);
	json_object_put(c->held[0].m);
	memmove(c->held, c->held + 1, --c->nheld * sizeof *c->held);
}

/* Hold chat m (message msg, whose session has not arrived). */
static void
hold(struct client *c, json_object *m, const struct sk_message *msg)
{
	struct held	*h;

	if (c->nheld == CLIENT_HOLD_MAX)
		give_up_oldest(c, "no session key arrived for it (too many "
		    "messages waiting)");
	c->held = xreallocarray(c->held, c->nheld + 1, sizeof *c->held);
	h = &c->held[c->nheld++];
	h->m = json_object_get(m);
	h->until = util_now_ms() + CLIENT_HOLD_MS;
	memcpy(h->sid, msg->sid, SK_SID_LEN);
	h->index = msg->index;
}

/* Emit chat m, opened as plain (a JSON object with id and text). */
static void
show(struct client *c, json_object *m, const struct peer *p,
    const uint8_t *plain, int *r)
{
	json_object	*inner, *text, *id, *ev;

	inner = json_tokener_parse((const char *)plain);
	if (inner == NULL || !json_object_object_get_ex(inner, "text", &text) ||
	    !json_object_is_type(text, json_type_string) ||
	    !json_object_object_get_ex(inner, "id", &id) ||
	    !json_object_is_type(id, json_type_string) ||
	    strcmp(json_object_get_string(id), msg_get_str(m, "id")) != 0) {
		json_object_put(inner);
		*r = CRYPTO_E_FORMAT;
		return;
	}
	ev = client_event("chat");
	client_add_str(ev, "id", msg_get_str(m, "id"));
	client_add_str(ev, "from", msg_get_str(m, "from"));
	json_object_object_add(ev, "to", json_object_get(msg_get(m, "to")));
	json_object_object_add(ev, "ts", json_object_new_int64(
	    msg_get_int(m, "ts", 0)));
	client_add_str(ev, "text", json_object_get_string(text));
	json_object_object_add(ev, "action", json_object_new_boolean(
	    json_object_get_boolean(msg_get(inner, "action"))));
	json_object_object_add(ev, "direct", json_object_new_boolean(
	    json_object_is_type(msg_get(m, "to"), json_type_array)));
	json_object_object_add(ev, "verified",
	    json_object_new_boolean(p->trust != TRUST_CHANGED));
	client_emit(c, ev);
	json_object_put(inner);
}

/* chat: open it with the sender's session, hold it, or say why not. */
void
chat_on_chat(struct client *c, json_object *m)
{
	const char		*from = msg_get_str(m, "from");
	struct peer		*p = client_peer(c, from);
	struct sk_message	 msg;
	struct ks_in		*e;
	uint8_t			*blob = NULL, *plain = NULL;
	size_t			 len, plen;
	char			 t[SK_TARGET_MAX];
	int			 r;

	if (p == NULL) {
		chat_failed(c, m, "sender is not on the roster", 0);
		return;
	}
	if (base64url_decode(msg_get_str(m, "sealed"), &blob, &len) != 0 ||
	    (r = sk_message_parse(blob, len, &msg)) != CRYPTO_OK ||
	    (r = sk_target(msg_get(m, "to"), from, t, sizeof t)) !=
	    CRYPTO_OK) {
		chat_failed(c, m, crypto_strerror(CRYPTO_E_FORMAT), 0);
		free(blob);
		return;
	}
	if ((e = keystore_in(store(c), from, msg.sid)) == NULL) {
		hold(c, m, &msg);
		free(blob);
		return;
	}
	r = strcmp(e->target, t) != 0 ? CRYPTO_E_TARGET :
	    sk_open(&e->in, from, t, &msg, &plain, &plen);
	free(blob);
	if (r == CRYPTO_OK) {
		c->ks->dirty = 1;
		show(c, m, p, plain, &r);
		freezero(plain, plen);
	}
	if (r == CRYPTO_E_REPLAY) {
		/* The same sealed message again: a replay, or a cluster's
		 * re-send. Shown once, and said so. */
		json_object *ev = client_event("duplicate");

		client_add_str(ev, "id", msg_get_str(m, "id"));
		client_add_str(ev, "from", from);
		client_emit(c, ev);
	} else if (r == CRYPTO_E_BEFORE)
		chat_failed(c, m, "sent before you joined the conversation", r);
	else if (r != CRYPTO_OK)
		chat_failed(c, m, crypto_strerror(r), r);
}

static int
cmp_held(const void *a, const void *b)
{
	const struct held	*x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Show, in order, what was held for session sid of sender. */
static void
release(struct client *c, const char *sender, const uint8_t *sid)
{
	struct held	*ready;
	size_t		 n = 0, j = 0;

	ready = xreallocarray(NULL, c->nheld + 1, sizeof *ready);
	for (size_t i = 0; i < c->nheld; i++) {
		if (proto_name_equal(msg_get_str(c->held[i].m, "from"),
		    sender) && memcmp(c->held[i].sid, sid, SK_SID_LEN) == 0)
			ready[n++] = c->held[i];
		else
			c->held[j++] = c->held[i];
	}
	c->nheld = j;
	qsort(ready, n, sizeof *ready, cmp_held);
	for (size_t i = 0; i < n; i++) {
		chat_on_chat(c, ready[i].m);
		json_object_put(ready[i].m);
	}
	free(ready);
}

/* Report a session from m's sender that could not be taken. */
static void
key_failed(struct client *c, json_object *m, const char *why)
{
	json_object	*ev = client_event("sender-key-failed");

	client_add_str(ev, "from", msg_get_str(m, "from"));
	json_object_object_add(ev, "target",
	    json_object_get(msg_get(m, "target")));
	client_add_str(ev, "reason", why);
	client_emit(c, ev);
}

/* sender-key: a member's session for us; keep it, show what waited. */
void
chat_on_sender_key(struct client *c, json_object *m)
{
	const char		*from = msg_get_str(m, "from");
	struct peer		*p = client_peer(c, from);
	struct dist_session	 s;
	const struct prekey	*pk;
	uint8_t			*blob = NULL, pub[ECC_KEY_LEN];
	size_t			 len;
	char			 t[SK_TARGET_MAX];
	int			 r;

	if (p == NULL) {
		key_failed(c, m, "sender is not on the roster");
		return;
	}
	if (base64url_decode(msg_get_str(m, "blob"), &blob, &len) != 0 ||
	    dist_prekey_of(blob, len, pub) != CRYPTO_OK ||
	    sk_target(msg_get(m, "target"), from, t, sizeof t) != CRYPTO_OK) {
		key_failed(c, m, crypto_strerror(CRYPTO_E_FORMAT));
		free(blob);
		return;
	}
	if ((pk = keystore_prekey_for(store(c), pub)) == NULL) {
		key_failed(c, m, "sealed to a prekey we no longer have");
		free(blob);
		return;
	}
	r = dist_open(blob, len, pk, from, c->name, t, p->key, &s);
	free(blob);
	if (r != CRYPTO_OK) {
		key_failed(c, m, crypto_strerror(r));
		return;
	}
	keystore_in_add(c->ks, &s);
	memcpy(pub, s.chain.sid, SK_SID_LEN);
	explicit_bzero(&s, sizeof s);
	release(c, from, pub);
}

/*
 * Return the ms until the oldest held chat gives up (-1: none held);
 * report those whose time is up.
 */
int
chat_timeout(struct client *c)
{
	int64_t	now = util_now_ms();

	while (c->nheld > 0 && c->held[0].until <= now)
		give_up_oldest(c, "undecryptable: its session key never "
		    "arrived");
	return c->nheld > 0 ? (int)(c->held[0].until - now) : -1;
}

/* Save the state file if it changed (after a batch of messages). */
void
chat_flush(struct client *c)
{
	if (c->ks != NULL && c->ks->dirty && keystore_save(c->ks) != 0)
		client_error(c, "io", "cannot save the state file: a restart "
		    "may not read what arrives now");
}

/* The connection is over: report what was held, save the state. */
void
chat_closed(struct client *c)
{
	for (size_t i = 0; i < c->nheld; i++) {
		chat_failed(c, c->held[i].m, "undecryptable: the connection "
		    "ended before its session key arrived", CRYPTO_E_NO_SESSION);
		json_object_put(c->held[i].m);
	}
	c->nheld = 0;
	chat_flush(c);
}

/* Let go of what chat holds (the front end's keystore stays). */
void
chat_free(struct client *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		json_object_put(c->held[i].m);
	free(c->held);
	c->held = NULL;
	c->nheld = 0;
	chat_flush(c);
	if (c->ks_owned) {
		keystore_free(c->ks);
		c->ks = NULL;
		c->ks_owned = 0;
	}
}
