/*
 * The client's end-to-end state in one JSON file under XDG_DATA_HOME:
 * prekeys (the current one with its identity signature, retired ones
 * until their grace ends), our sender sessions (their chain saved
 * KS_AHEAD indices beyond use, so a crash never makes us reuse a message
 * key) and the sessions others gave us (their chain where it is, and the
 * message keys kept for messages not yet arrived). It is written whole to
 * a temporary file, fsync'ed and renamed: a crash leaves the old file or
 * the new one, never a mix. What it protects and what not is in
 * tvchat(1), "FILES".
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "keystore.h"
#include "util.h"
#include "xmalloc.h"

#define KS_FILE_VERSION	1
#define KS_FILE_MAX	(256u * 1024 * 1024)

/* Return the default state file for name on server ("host:port"). */
char *
keystore_default_path(const char *server, const char *name)
{
	char	*rel, *path;
	char	 lower[NAME_MAX_LEN + 1];
	size_t	 i;

	for (i = 0; name[i] != '\0' && i < NAME_MAX_LEN; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] - 'A' + 'a' : name[i]);
	lower[i] = '\0';
	/* A server name is a host and port: no '/' can reach the path. */
	xasprintf(&rel, "tvchat/state/%s/%s", server, lower);
	for (char *p = rel + strlen("tvchat/state/"); *p != '\0'; p++)
		if (*p == '/' && p != strrchr(rel, '/'))
			*p = '_';
	path = util_xdg_path("XDG_DATA_HOME", ".local/share", rel);
	free(rel);
	return path;
}

static void
put_b64(json_object *o, const char *k, const uint8_t *p, size_t len)
{
	char	*s = base64url_encode(p, len);

	json_object_object_add(o, k, json_object_new_string(s));
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Read base64url member k of o into out: exactly len bytes; 0 or -1. */
static int
get_b64(json_object *o, const char *k, uint8_t *out, size_t len)
{
	json_object	*v;
	uint8_t		*p;
	size_t		 n;
	int		 r;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    base64url_decode(json_object_get_string(v), &p, &n) != 0)
		return -1;
	if ((r = n == len ? 0 : -1) == 0)
		memcpy(out, p, len);
	freezero(p, n);
	return r;
}

/* Read base64url member k of o, 1..max bytes, into *out (allocated). */
static int
get_b64_alloc(json_object *o, const char *k, size_t max, uint8_t **out,
    size_t *len)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    base64url_decode(json_object_get_string(v), out, len) != 0)
		return -1;
	if (*len == 0 || *len > max) {
		free(*out);
		return -1;
	}
	return 0;
}

static int
get_int(json_object *o, const char *k, int64_t min, int64_t max, int64_t *out)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return *out < min || *out > max ? -1 : 0;
}

static int
get_str(json_object *o, const char *k, char *out, size_t size)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= size)
		return -1;
	memcpy(out, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v) + 1);
	return strlen(out) == (size_t)json_object_get_string_len(v) ? 0 : -1;
}

static json_object *
prekey_json(const struct prekey *pk, int with_secret)
{
	json_object	*o = json_object_new_object();

	if (with_secret)
		put_b64(o, "secret", pk->secret, sizeof pk->secret);
	put_b64(o, "pub", pk->pub, sizeof pk->pub);
	json_object_object_add(o, "created",
	    json_object_new_int64(pk->created));
	return o;
}

static int
prekey_parse(json_object *o, struct prekey *pk)
{
	uint8_t	pub[ECC_KEY_LEN];

	if (get_b64(o, "secret", pk->secret, sizeof pk->secret) != 0 ||
	    get_b64(o, "pub", pk->pub, sizeof pk->pub) != 0 ||
	    get_int(o, "created", 0, INT64_MAX, &pk->created) != 0 ||
	    ecc_dh_public(pk->secret, pub) != CRYPTO_OK ||
	    memcmp(pub, pk->pub, sizeof pub) != 0)
		return -1;
	return 0;
}

static int	holder_cmp(const void *, const void *);

static json_object *
chain_json(json_object *o, const struct sk_chain *c)
{
	put_b64(o, "sid", c->sid, sizeof c->sid);
	json_object_object_add(o, "index", json_object_new_int64(c->index));
	put_b64(o, "ck", c->ck, sizeof c->ck);
	return o;
}

static int
chain_parse(json_object *o, struct sk_chain *c)
{
	int64_t	index;

	if (get_b64(o, "sid", c->sid, sizeof c->sid) != 0 ||
	    get_int(o, "index", 0, UINT32_MAX, &index) != 0 ||
	    get_b64(o, "ck", c->ck, sizeof c->ck) != 0)
		return -1;
	c->index = (uint32_t)index;
	return 0;
}

/* Our session as saved: its chain where the file says (saved). */
static json_object *
out_json(const struct ks_out *o)
{
	json_object	*j = json_object_new_object(), *given;
	struct sk_chain	 ahead = o->s.chain;

	if (ahead.index < o->saved)
		sk_chain_advance(&ahead, o->saved);
	json_object_object_add(j, "target",
	    json_object_new_string(o->s.target));
	chain_json(j, &ahead);
	explicit_bzero(&ahead, sizeof ahead);
	put_b64(j, "signer", o->signer.secret, sizeof o->signer.secret);
	json_object_object_add(j, "created",
	    json_object_new_int64(o->s.created));
	put_b64(j, "idsig", o->s.idsig, o->s.idsiglen);
	json_object_object_add(j, "sent", json_object_new_int64(o->sent));
	json_object_object_add(j, "stale", json_object_new_int(o->stale));
	given = json_object_new_array();
	for (size_t i = 0; i < o->ngiven; i++)
		json_object_array_add(given, json_object_new_string(o->given[i]));
	json_object_object_add(j, "given", given);
	return j;
}

static int
out_parse(json_object *j, const char *name, struct ks_out *o)
{
	json_object	*given, *stale;
	uint8_t		*sig;
	size_t		 len;
	int64_t		 sent;

	memset(o, 0, sizeof *o);
	snprintf(o->s.sender, sizeof o->s.sender, "%s", name);
	if (get_str(j, "target", o->s.target, sizeof o->s.target) != 0 ||
	    chain_parse(j, &o->s.chain) != 0 ||
	    get_b64(j, "signer", o->signer.secret, ECC_KEY_LEN) != 0 ||
	    ecc_sign_from_secret(&o->signer, o->signer.secret) != CRYPTO_OK ||
	    get_int(j, "created", 0, INT64_MAX, &o->s.created) != 0 ||
	    get_int(j, "sent", 0, UINT32_MAX, &sent) != 0 ||
	    get_b64_alloc(j, "idsig", DIST_SIG_MAX, &sig, &len) != 0)
		return -1;
	memcpy(o->s.idsig, sig, len);
	o->s.idsiglen = len;
	free(sig);
	memcpy(o->s.sigpub, o->signer.pub, ECC_KEY_LEN);
	o->saved = o->s.chain.index;
	o->sent = (uint32_t)sent;
	if (json_object_object_get_ex(j, "stale", &stale) &&
	    json_object_is_type(stale, json_type_int))
		o->stale = json_object_get_int(stale) == KS_STALE_LEFT ?
		    KS_STALE_LEFT : json_object_get_int(stale) != 0 ?
		    KS_STALE_ROTATE : 0;
	else
		return -1;
	if (!json_object_object_get_ex(j, "given", &given) ||
	    !json_object_is_type(given, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(given); i++) {
		const char *g = json_object_get_string(
		    json_object_array_get_idx(given, i));

		if (g == NULL || strlen(g) > NAME_MAX_LEN +
		    CRYPTO_FINGERPRINT_LEN || strchr(g, ' ') == NULL)
			return -1;
		o->given = xreallocarray(o->given, o->ngiven + 1,
		    sizeof *o->given);
		o->given[o->ngiven++] = xstrdup(g);
	}
	/* Kept sorted for keystore_out_given, whatever the file's order. */
	if (o->ngiven > 1)
		qsort(o->given, o->ngiven, sizeof *o->given, holder_cmp);
	return 0;
}

static json_object *
in_json(const struct ks_in *e)
{
	json_object	*j = json_object_new_object(), *sk;

	json_object_object_add(j, "sender", json_object_new_string(e->sender));
	json_object_object_add(j, "target", json_object_new_string(e->target));
	json_object_object_add(j, "created", json_object_new_int64(e->created));
	chain_json(j, &e->in.chain);
	put_b64(j, "sigpub", e->in.sigpub, sizeof e->in.sigpub);
	json_object_object_add(j, "first", json_object_new_int64(e->in.first));
	json_object_object_add(j, "dropped",
	    json_object_new_int64(e->in.dropped));
	sk = json_object_new_array();
	for (size_t i = 0; i < e->in.nskipped; i++) {
		json_object *k = json_object_new_object();

		json_object_object_add(k, "index",
		    json_object_new_int64(e->in.skipped[i].index));
		put_b64(k, "mk", e->in.skipped[i].mk, SK_CHAIN_LEN);
		json_object_array_add(sk, k);
	}
	json_object_object_add(j, "skipped", sk);
	return j;
}

static int
in_parse(json_object *j, struct ks_in *e)
{
	json_object	*sk;
	struct sk_chain	 c;
	uint8_t		 sigpub[ECC_KEY_LEN];
	int64_t		 first, dropped, index;
	size_t		 n;

	memset(e, 0, sizeof *e);
	if (get_str(j, "sender", e->sender, sizeof e->sender) != 0 ||
	    get_str(j, "target", e->target, sizeof e->target) != 0 ||
	    get_int(j, "created", 0, INT64_MAX, &e->created) != 0 ||
	    chain_parse(j, &c) != 0 ||
	    get_b64(j, "sigpub", sigpub, sizeof sigpub) != 0 ||
	    get_int(j, "first", 0, UINT32_MAX, &first) != 0 ||
	    get_int(j, "dropped", 0, UINT32_MAX, &dropped) != 0 ||
	    !json_object_object_get_ex(j, "skipped", &sk) ||
	    !json_object_is_type(sk, json_type_array) ||
	    (n = json_object_array_length(sk)) > SK_SKIPPED_MAX)
		return -1;
	sk_inbound_init(&e->in, &c, sigpub);
	explicit_bzero(&c, sizeof c);
	e->in.first = (uint32_t)first;
	e->in.dropped = (uint32_t)dropped;
	if (n > 0) {
		e->in.skipped = xcalloc(n, sizeof *e->in.skipped);
		e->in.cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *k = json_object_array_get_idx(sk, i);

		if (get_int(k, "index", 0, UINT32_MAX, &index) != 0 ||
		    get_b64(k, "mk", e->in.skipped[i].mk, SK_CHAIN_LEN) != 0) {
			sk_inbound_free(&e->in);
			return -1;
		}
		e->in.skipped[i].index = (uint32_t)index;
		e->in.nskipped++;
	}
	return 0;
}

/* Fill k from the parsed file o; 0, or -1 if anything is malformed. */
static int
parse(struct keystore *k, json_object *o)
{
	json_object	*v, *arr;
	int64_t		 version, until;

	if (get_int(o, "version", 0, INT32_MAX, &version) != 0 ||
	    version != KS_FILE_VERSION ||
	    get_str(o, "name", k->name, sizeof k->name) != 0)
		return -1;
	if (json_object_object_get_ex(o, "prekey", &v)) {
		if (prekey_parse(v, &k->prekey) != 0 ||
		    get_b64_alloc(v, "sig", DIST_SIG_MAX, &k->prekey_sig,
		    &k->prekey_siglen) != 0)
			return -1;
	}
	if (json_object_object_get_ex(o, "old_prekeys", &arr)) {
		if (!json_object_is_type(arr, json_type_array) ||
		    json_object_array_length(arr) > KS_OLD_PREKEYS)
			return -1;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			v = json_object_array_get_idx(arr, i);
			if (prekey_parse(v, &k->old[i]) != 0 ||
			    get_int(v, "until", 0, INT64_MAX, &until) != 0)
				return -1;
			k->old_until[i] = until;
			k->nold++;
		}
	}
	if (!json_object_object_get_ex(o, "out", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return -1;
	k->out = xcalloc(json_object_array_length(arr) + 1, sizeof *k->out);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (out_parse(json_object_array_get_idx(arr, i), k->name,
		    &k->out[k->nout]) != 0)
			return -1;
		k->nout++;
	}
	if (!json_object_object_get_ex(o, "in", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) > KS_IN_MAX)
		return -1;
	k->in = xcalloc(json_object_array_length(arr) + 1, sizeof *k->in);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (in_parse(json_object_array_get_idx(arr, i),
		    &k->in[k->nin]) != 0)
			return -1;
		k->nin++;
	}
	return 0;
}

/*
 * Open the state file at path into *out: a missing file gives an empty
 * store (written on the first change), and so does a NULL path (one
 * kept in memory only, for tests). Returns 0, or -1 with why in err:
 * the file is not ours alone, unreadable, or malformed (then it is left
 * as it is: it holds keys nothing else has).
 */
int
keystore_open(const char *path, struct keystore **out, char *err,
    size_t errlen)
{
	struct keystore	*k = xcalloc(1, sizeof *k);
	struct stat	 st;
	json_object	*o;
	uint8_t		*text = NULL;
	size_t		 len;
	int		 fd, r;

	*out = k;
	if (path == NULL)
		return 0;	/* in memory only */
	k->path = xstrdup(path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file of mode 0600",
		    path);
		goto fail;
	}
	r = util_read_file(fd, KS_FILE_MAX, &text, &len);
	close(fd);
	if (r != 0) {
		snprintf(err, errlen, "%s: cannot read it", path);
		goto fail;
	}
	o = json_tokener_parse((const char *)text);
	freezero(text, len);
	r = o == NULL ? -1 : parse(k, o);
	json_object_put(o);
	if (r == 0)
		return 0;
	snprintf(err, errlen, "%s: malformed; move it away to start with "
	    "new keys (others will need to send theirs again)", path);
fail:
	keystore_free(k);
	*out = NULL;
	return -1;
}

/* Forget k, wiping every key. */
void
keystore_free(struct keystore *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->nout; i++) {
		for (size_t j = 0; j < k->out[i].ngiven; j++)
			free(k->out[i].given[j]);
		free(k->out[i].given);
	}
	if (k->out != NULL)
		freezero(k->out, k->nout * sizeof *k->out);
	for (size_t i = 0; i < k->nin; i++)
		sk_inbound_free(&k->in[i].in);
	free(k->in);
	if (k->prekey_sig != NULL)
		free(k->prekey_sig);
	free(k->path);
	freezero(k, sizeof *k);
}

/* Write k to its file (whole, fsync'ed, renamed); 0, or -1 (errno). */
int
keystore_save(struct keystore *k)
{
	json_object	*o, *arr, *pk;
	const char	*text;
	int		 r, saved;

	if (k->path == NULL) {
		k->dirty = 0;
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "version",
	    json_object_new_int(KS_FILE_VERSION));
	json_object_object_add(o, "name", json_object_new_string(k->name));
	if (k->prekey_sig != NULL) {
		pk = prekey_json(&k->prekey, 1);
		put_b64(pk, "sig", k->prekey_sig, k->prekey_siglen);
		json_object_object_add(o, "prekey", pk);
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < k->nold; i++) {
		pk = prekey_json(&k->old[i], 1);
		json_object_object_add(pk, "until",
		    json_object_new_int64(k->old_until[i]));
		json_object_array_add(arr, pk);
	}
	json_object_object_add(o, "old_prekeys", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < k->nout; i++)
		json_object_array_add(arr, out_json(&k->out[i]));
	json_object_object_add(o, "out", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < k->nin; i++)
		json_object_array_add(arr, in_json(&k->in[i]));
	json_object_object_add(o, "in", arr);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r = util_write_file_atomic(k->path, text, strlen(text), 0600);
	saved = errno;
	/* The text held every key: wipe it before json-c frees it. */
	explicit_bzero((char *)text, strlen(text));
	json_object_put(o);
	errno = saved;
	if (r == 0)
		k->dirty = 0;
	return r;
}

/*
 * Make sure k has a current prekey for name signed by identity: a new
 * one if there is none, it is older than KS_PREKEY_LIFE_MS or was signed
 * for another name; the old one is kept for KS_PREKEY_GRACE_MS (for
 * sessions sealed to it still on their way), and expired ones go.
 * Returns CRYPTO_OK or an error.
 */
int
keystore_prekey(struct keystore *k, const struct crypto_key *identity,
    const char *name, int64_t now)
{
	size_t	i, j;
	int	r;

	for (i = j = 0; i < k->nold; i++) {
		if (k->old_until[i] <= now) {
			explicit_bzero(&k->old[i], sizeof k->old[i]);
			k->dirty = 1;
			continue;
		}
		k->old[j] = k->old[i];
		k->old_until[j++] = k->old_until[i];
	}
	k->nold = j;
	if (k->prekey_sig != NULL && strcmp(k->name, name) == 0 &&
	    now - k->prekey.created < KS_PREKEY_LIFE_MS &&
	    k->prekey.created <= now)
		return CRYPTO_OK;
	if (k->prekey_sig != NULL) {
		if (k->nold == KS_OLD_PREKEYS) {
			explicit_bzero(&k->old[0], sizeof k->old[0]);
			memmove(k->old, k->old + 1, --k->nold * sizeof k->old[0]);
			memmove(k->old_until, k->old_until + 1,
			    k->nold * sizeof k->old_until[0]);
		}
		k->old[k->nold] = k->prekey;
		k->old_until[k->nold++] = now + KS_PREKEY_GRACE_MS;
		free(k->prekey_sig);
		k->prekey_sig = NULL;
	}
	snprintf(k->name, sizeof k->name, "%s", name);
	ecc_dh_generate(k->prekey.secret, k->prekey.pub);
	k->prekey.created = now;
	r = prekey_sign(identity, name, &k->prekey, &k->prekey_sig,
	    &k->prekey_siglen);
	k->dirty = 1;
	return r;
}

/* Return our prekey (current or retired) whose public half is pub. */
const struct prekey *
keystore_prekey_for(const struct keystore *k, const uint8_t pub[ECC_KEY_LEN])
{
	if (k->prekey_sig != NULL &&
	    memcmp(k->prekey.pub, pub, ECC_KEY_LEN) == 0)
		return &k->prekey;
	for (size_t i = 0; i < k->nold; i++)
		if (memcmp(k->old[i].pub, pub, ECC_KEY_LEN) == 0)
			return &k->old[i];
	return NULL;
}

/* Return our session for target (canonical), or NULL. */
struct ks_out *
keystore_out(struct keystore *k, const char *target)
{
	for (size_t i = 0; i < k->nout; i++)
		if (strcmp(k->out[i].s.target, target) == 0)
			return &k->out[i];
	return NULL;
}

/* Forget our session at index i of k->out, wiping it. */
static void
out_drop(struct keystore *k, size_t i)
{
	for (size_t j = 0; j < k->out[i].ngiven; j++)
		free(k->out[i].given[j]);
	free(k->out[i].given);
	explicit_bzero(&k->out[i], sizeof k->out[i]);
	k->out[i] = k->out[--k->nout];
	explicit_bzero(&k->out[k->nout], sizeof k->out[k->nout]);
}

/*
 * Start a new session of ours (name) for target, replacing the one there
 * was: a new chain and signing key, signed by identity. Returns it, or
 * NULL if signing failed.
 */
struct ks_out *
keystore_out_new(struct keystore *k, const char *target, const char *name,
    const struct crypto_key *identity, int64_t now)
{
	struct ks_out	 fresh, *grown;

	memset(&fresh, 0, sizeof fresh);
	snprintf(fresh.s.sender, sizeof fresh.s.sender, "%s", name);
	snprintf(fresh.s.target, sizeof fresh.s.target, "%s", target);
	sk_chain_new(&fresh.s.chain);
	if (ecc_sign_generate(&fresh.signer) != CRYPTO_OK)
		return NULL;
	memcpy(fresh.s.sigpub, fresh.signer.pub, ECC_KEY_LEN);
	fresh.s.created = now;
	if (dist_session_sign(&fresh.s, identity, &fresh.signer) !=
	    CRYPTO_OK) {
		explicit_bzero(&fresh, sizeof fresh);
		return NULL;
	}
	for (size_t i = 0; i < k->nout; i++)
		if (strcmp(k->out[i].s.target, target) == 0)
			out_drop(k, i);
	/* Not realloc: the old copy of the keys is wiped. */
	grown = xcalloc(k->nout + 1, sizeof *grown);
	if (k->nout > 0)
		memcpy(grown, k->out, k->nout * sizeof *grown);
	if (k->out != NULL)
		freezero(k->out, k->nout * sizeof *k->out);
	k->out = grown;
	k->out[k->nout] = fresh;
	explicit_bzero(&fresh, sizeof fresh);
	k->dirty = 1;
	return &k->out[k->nout++];
}

/*
 * Before o seals its next message: if the file does not hold a chain
 * beyond that index, save it KS_AHEAD further on first, so a crash never
 * reuses a message key. Returns 0, or -1 if the file cannot be written
 * (then nothing may be sealed).
 */
int
keystore_out_reserve(struct keystore *k, struct ks_out *o)
{
	uint32_t	was = o->saved;

	if (o->s.chain.index < o->saved)
		return 0;
	o->saved = o->s.chain.index + KS_AHEAD;
	if (keystore_save(k) != 0) {
		o->saved = was;
		return -1;
	}
	return 0;
}

/*
 * Order holder entry e ("name fingerprint") against name: by the name,
 * ignoring ASCII case, as proto_name_equal compares names.
 */
static int
holder_name_cmp(const char *e, const char *name)
{
	int	a, b;

	for (;; e++, name++) {
		a = *e == ' ' ? '\0' : *e;
		b = *name;
		a = a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a;
		b = b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b;
		if (a != b || a == '\0')
			return a - b;
	}
}

/* qsort order of holder entries: by name, then fingerprint. */
static int
holder_cmp(const void *x, const void *y)
{
	const char	*a = *(char *const *)x, *b = *(char *const *)y;
	char		 name[NAME_MAX_LEN + 1];
	size_t		 n = strcspn(b, " ");
	int		 r;

	snprintf(name, sizeof name, "%.*s", (int)n, b);
	if ((r = holder_name_cmp(a, name)) != 0)
		return r;
	return strcmp(a + strcspn(a, " "), b + n);
}

/* Return the index of o's first holder not ordered before name. */
static size_t
holder_first(const struct ks_out *o, const char *name)
{
	size_t	lo = 0, hi = o->ngiven, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (holder_name_cmp(o->given[mid], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Return 1 if member name, with the key of fingerprint fp (NULL: any),
 * holds session o. Its holders are kept as "name fingerprint", sorted
 * (holder_cmp): a distribution checks every member of a room, so this
 * must not be a scan of them all.
 */
int
keystore_out_given(const struct ks_out *o, const char *name, const char *fp)
{
	for (size_t i = holder_first(o, name); i < o->ngiven &&
	    holder_name_cmp(o->given[i], name) == 0; i++)
		if (fp == NULL || strcmp(strchr(o->given[i], ' ') + 1, fp) ==
		    0)
			return 1;
	return 0;
}

/*
 * Copy the name of o's i-th holder into who; return its key's
 * fingerprint (NULL if the entry is malformed).
 */
const char *
keystore_out_holder(const struct ks_out *o, size_t i,
    char who[NAME_MAX_LEN + 1])
{
	const char	*sp = strchr(o->given[i], ' ');
	size_t		 n = sp != NULL ? (size_t)(sp - o->given[i]) : 0;

	who[0] = '\0';
	if (sp == NULL || n > NAME_MAX_LEN)
		return NULL;
	memcpy(who, o->given[i], n);
	who[n] = '\0';
	return sp + 1;
}

/* Record that member name, with the key of fingerprint fp, holds o. */
void
keystore_out_give(struct ks_out *o, const char *name, const char *fp)
{
	char	*e;
	size_t	 at;

	if (keystore_out_given(o, name, fp))
		return;
	xasprintf(&e, "%s %s", name, fp);
	/* After the entries of the same name: the order stays sorted. */
	for (at = holder_first(o, name); at < o->ngiven &&
	    holder_cmp(&o->given[at], &e) < 0; at++)
		;
	o->given = xreallocarray(o->given, o->ngiven + 1, sizeof *o->given);
	memmove(o->given + at + 1, o->given + at,
	    (o->ngiven++ - at) * sizeof *o->given);
	o->given[at] = e;
}

/*
 * Member name may be gone (left: how KS_STALE_LEFT; its key changed or
 * /rotate: KS_STALE_ROTATE; name NULL: anyone): every session of ours for
 * target (NULL: any) it held is marked, and the next message there
 * checks who holds it (KS_STALE_LEFT) or starts a new one.
 */
void
keystore_out_forget(struct keystore *k, const char *name, const char *target,
    int how)
{
	for (size_t i = 0; i < k->nout; i++)
		if (k->out[i].stale < how && (name == NULL ||
		    keystore_out_given(&k->out[i], name, NULL)) &&
		    (target == NULL ||
		    strcmp(k->out[i].s.target, target) == 0)) {
			k->out[i].stale = how;
			k->dirty = 1;
		}
}

/* Return the session sid that sender gave us, or NULL. */
struct ks_in *
keystore_in(struct keystore *k, const char *sender, const uint8_t *sid)
{
	for (size_t i = 0; i < k->nin; i++)
		if (proto_name_equal(k->in[i].sender, sender) &&
		    memcmp(k->in[i].in.chain.sid, sid, SK_SID_LEN) == 0)
			return &k->in[i];
	return NULL;
}

/* Drop the oldest session sender gave for target if it has too many. */
static void
in_prune(struct keystore *k, const char *sender, const char *target)
{
	size_t	n = 0, oldest = 0;

	for (size_t i = 0; i < k->nin; i++) {
		if (!proto_name_equal(k->in[i].sender, sender) ||
		    strcmp(k->in[i].target, target) != 0)
			continue;
		if (n++ == 0 || k->in[i].created < k->in[oldest].created)
			oldest = i;
	}
	if (n < KS_IN_PER_SENDER && k->nin < KS_IN_MAX)
		return;
	if (n == 0)		/* the store is full: drop the oldest of all */
		for (size_t i = 0; i < k->nin; i++)
			if (k->in[i].created < k->in[oldest].created)
				oldest = i;
	sk_inbound_free(&k->in[oldest].in);
	k->in[oldest] = k->in[--k->nin];
}

/*
 * Keep a session someone gave us (opened and checked by dist_open); a
 * session we hold already is kept as it is (a second copy must not undo
 * the ratchet). Returns the entry.
 */
struct ks_in *
keystore_in_add(struct keystore *k, const struct dist_session *s)
{
	struct ks_in	*e;

	if ((e = keystore_in(k, s->sender, s->chain.sid)) != NULL)
		return e;
	in_prune(k, s->sender, s->target);
	k->in = xreallocarray(k->in, k->nin + 1, sizeof *k->in);
	e = &k->in[k->nin++];
	memset(e, 0, sizeof *e);
	snprintf(e->sender, sizeof e->sender, "%s", s->sender);
	snprintf(e->target, sizeof e->target, "%s", s->target);
	e->created = s->created;
	sk_inbound_init(&e->in, &s->chain, s->sigpub);
	k->dirty = 1;
	return e;
}
