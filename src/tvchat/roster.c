/*
 * The roster: the users the server says are here, each with its identity
 * key, the trust we have in it (known_keys) and its prekey, checked
 * against that identity before anything is sealed to it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-private.h"
#include "distribution.h"
#include "msg.h"
#include "xmalloc.h"

/* Forget every peer. */
void
roster_clear(struct client *c)
{
	for (size_t i = 0; i < c->npeers; i++) {
		crypto_key_free(c->peers[i].key);
		json_object_put(c->peers[i].rooms);
	}
	free(c->peers);
	c->peers = NULL;
	c->npeers = 0;
}

/* Return the peer called name (ignoring case), or NULL. */
struct peer *
client_peer(struct client *c, const char *name)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (proto_name_equal(c->peers[i].name, name))
			return &c->peers[i];
	return NULL;
}

/* Describe a peer as an event member object. */
json_object *
roster_object(const struct peer *p)
{
	json_object	*o = json_object_new_object();

	client_add_str(o, "name", p->name);
	client_add_str(o, "fingerprint", crypto_key_fingerprint(p->key));
	client_add_str(o, "trust", trust_name(p->trust));
	if (p->rooms != NULL)
		json_object_object_add(o, "rooms", json_object_get(p->rooms));
	if (p->watching[0] != '\0')
		client_add_str(o, "watching", p->watching);
	return o;
}

/*
 * Add or update a peer from a user object of the server; returns it, or
 * NULL (with an event) if its key is unusable.
 */
struct peer *
roster_add(struct client *c, json_object *user)
{
	struct crypto_key	*key;
	struct peer		*p;
	const char		*name = msg_get_str(user, "name");
	const char		*watching = msg_get_str(user, "watching");
	json_object		*ev;
	char			 old_fp[CRYPTO_FINGERPRINT_LEN] = "";
	int			 r;

	if ((r = crypto_key_from_jwk(msg_get(user, "key"), &key)) != 0) {
		ev = client_event("bad-key");
		client_add_str(ev, "name", name);
		client_add_str(ev, "message", crypto_strerror(r));
		client_emit(c, ev);
		return NULL;
	}
	if ((p = client_peer(c, name)) == NULL) {
		c->peers = xreallocarray(c->peers, c->npeers + 1,
		    sizeof *c->peers);
		p = &c->peers[c->npeers++];
		memset(p, 0, sizeof *p);
	} else {
		snprintf(old_fp, sizeof old_fp, "%s",
		    crypto_key_fingerprint(p->key));
		crypto_key_free(p->key);
		json_object_put(p->rooms);
		p->rooms = NULL;
	}
	snprintf(p->name, sizeof p->name, "%s", name);
	p->key = key;
	snprintf(p->watching, sizeof p->watching, "%s",
	    watching ? watching : "");
	if (msg_get(user, "rooms") != NULL)
		p->rooms = json_object_get(msg_get(user, "rooms"));
	p->prekey_ok = prekey_verify_json(msg_get(user, "prekey"), key, name,
	    &p->prekey) == CRYPTO_OK;
	if (proto_name_equal(name, c->name))
		p->trust = crypto_key_equal(key, c->identity) ? TRUST_KNOWN :
		    TRUST_CHANGED;
	else
		p->trust = knownkeys_check(c->known, name,
		    crypto_key_fingerprint(key));
	p->key_changed = old_fp[0] != '\0' &&
	    strcmp(old_fp, crypto_key_fingerprint(key)) != 0;
	if (p->trust == TRUST_CHANGED) {
		ev = client_event("key-changed");
		client_add_str(ev, "name", name);
		client_add_str(ev, "known", knownkeys_get(c->known, name));
		client_add_str(ev, "fingerprint", crypto_key_fingerprint(key));
		client_add_str(ev, "message", "WARNING: this user's key has "
		    "changed. Their messages are marked unverified until you "
		    "check the fingerprint with them and /trust them.");
		client_emit(c, ev);
	}
	return p;
}

/* Remove a peer. */
void
roster_remove(struct client *c, const char *name)
{
	struct peer	*p = client_peer(c, name);

	if (p == NULL)
		return;
	crypto_key_free(p->key);
	json_object_put(p->rooms);
	*p = c->peers[--c->npeers];
}

