/*
 * tvchat-cryptotool: a command-line face of crypto.c and of the sender
 * keys (senderkey.c, distribution.c), so that a test can check their
 * formats against an independent implementation. Byte strings (keys,
 * session ids, chain keys, blobs, signatures) travel as unpadded
 * base64url, public identities as JWK JSON. Exit status: 0 success,
 * 1 crypto failure (reason on stderr), 2 usage error.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "crypto.h"
#include "distribution.h"
#include "ecc.h"
#include "log.h"
#include "proto.h"
#include "senderkey.h"
#include "util.h"
#include "xmalloc.h"

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
enum { KEY_ID = 0, KEY_JWK = 1, KEY_NEW = 2, KEY_PRINT_JWK = 4 };

struct command {
	const char	*name;
	int		 argc;
	int		 arg;		/* to run: key mode or stdin cap */
	const char	*args;
	int		(*run)(char **, int);
};

static const struct command commands[];

/* Print the usage message to stderr and return the usage exit status. */
static int
usage(void)
{
	fprintf(stderr, "usage: tvchat-cryptotool command args...\n");
	for (const struct command *c = commands; c->name != NULL; c++)
		fprintf(stderr, "  %s %s\n", c->name, c->args);
	return 2;
}

/* Report crypto error r about what; returns the failure exit status. */
static int
fail(const char *what, int r)
{
	log_warnx("%s: %s", what, crypto_strerror(r));
	return 1;
}

/* Parse JSON text into *out; returns 0, or the usage exit status. */
static int
parse_json(const char *text, json_object **out)
{
	if ((*out = json_tokener_parse(text)) == NULL)
		log_warnx("not JSON: %.40s", text);
	return *out == NULL ? 2 : 0;
}

/* Load *k (NULL before) from an identity file or JWK text; returns status. */
static int
key_arg(const char *arg, int jwk, struct crypto_key **k)
{
	json_object	*obj;
	int		 r;

	if (!jwk)
		return (r = crypto_identity_load(arg, k)) ? fail(arg, r) : 0;
	if ((r = parse_json(arg, &obj)) != 0)
		return r;
	r = crypto_key_from_jwk(obj, k);
	json_object_put(obj);
	return r ? fail("jwk", r) : 0;
}

/* Read all of stdin, at most max bytes; returns 0 or an exit status. */
static int
read_stdin(size_t max, uint8_t **out, size_t *len)
{
	if (util_read_file(0, max, out, len) == 0)
		return 0;
	log_warn("stdin");
	return 1;
}

/* Make and save a new identity (KEY_NEW) or load a key (KEY_ID, KEY_JWK);
 * print its JWK (KEY_PRINT_JWK) or fingerprint; returns an exit status. */
static int
cmd_key(char **argv, int what)
{
	struct crypto_key	*k = NULL;
	int			 r;

	if ((what & KEY_NEW) == 0)
		r = key_arg(argv[0], what & KEY_JWK, &k);
	else if ((r = crypto_key_generate(&k)) != 0 ||
	    (r = crypto_identity_save(k, argv[0])) != 0)
		r = fail(argv[0], r);
	if (r == 0 && (what & KEY_PRINT_JWK)) {
		json_object *jwk = crypto_key_to_jwk(k);

		puts(json_object_to_json_string_ext(jwk, JSON_FLAGS));
		json_object_put(jwk);
	} else if (r == 0)
		puts(crypto_key_fingerprint(k));
	crypto_key_free(k);
	return r;
}

/* Sign (IDFILE NONCE NAME) or verify (JWK NONCE NAME SIG) a hello. */
static int
cmd_hello(char **argv, int verify)
{
	struct crypto_key	*k = NULL;
	uint8_t			*nonce;
	size_t			 len;
	char			*sig;
	int			 r;

	if (base64url_decode(argv[1], &nonce, &len) != 0)
		return usage();
	if ((r = key_arg(argv[0], verify, &k)) != 0)
		goto out;
	if (verify)
		r = crypto_hello_verify(k, nonce, len, argv[2], argv[3]);
	else if ((r = crypto_hello_sign(k, nonce, len, argv[2], &sig)) == 0) {
		puts(sig);
		free(sig);
	}
	if (r != 0)
		r = fail(verify ? "hello-verify" : "hello-sign", r);
out:
	crypto_key_free(k);
	free(nonce);
	return r;
}

/* Decode base64url arg (what it is) into exactly len bytes of out. */
static int
bytes_arg(const char *what, const char *arg, uint8_t *out, size_t len)
{
	uint8_t	*raw;
	size_t	 rawlen;

	if (base64url_decode(arg, &raw, &rawlen) != 0) {
		log_warnx("%s: not base64url: %.40s", what, arg);
		return 2;
	}
	if (rawlen != len) {
		log_warnx("%s: %zu bytes, not %zu", what, rawlen, len);
		freezero(raw, rawlen);
		return 2;
	}
	memcpy(out, raw, len);
	freezero(raw, rawlen);
	return 0;
}

/* Parse decimal arg into *v, within [min, max]; returns 0 or status. */
static int
number_arg(const char *what, const char *arg, long long min, long long max,
    long long *v)
{
	char	*end;

	errno = 0;
	*v = strtoll(arg, &end, 10);
	if (errno == 0 && end != arg && *end == '\0' && *v >= min && *v <= max)
		return 0;
	log_warnx("%s: not a number from %lld to %lld: %.40s", what, min, max,
	    arg);
	return 2;
}

/* Load a chain position from argv: SID INDEX CK. Returns 0 or status. */
static int
chain_arg(char **argv, struct sk_chain *c)
{
	long long	index;
	int		r;

	if ((r = bytes_arg("sid", argv[0], c->sid, SK_SID_LEN)) != 0 ||
	    (r = number_arg("index", argv[1], 0, UINT32_MAX, &index)) != 0 ||
	    (r = bytes_arg("ck", argv[2], c->ck, SK_CHAIN_LEN)) != 0)
		return r;
	c->index = (uint32_t)index;
	return 0;
}

/* Make the Ed25519 signer of base64url seed arg. Returns 0 or status. */
static int
signer_arg(const char *arg, struct ecc_signer *k)
{
	uint8_t	seed[ECC_KEY_LEN];
	int	r;

	if ((r = bytes_arg("seed", arg, seed, sizeof seed)) != 0)
		return r;
	r = ecc_sign_from_secret(k, seed);
	explicit_bzero(seed, sizeof seed);
	return r ? fail("ed25519", r) : 0;
}

/* The canonical target of TOJSON sent by sender into target. */
static int
target_arg(const char *tojson, const char *sender, char *target, size_t len)
{
	json_object	*to;
	int		 r;

	if ((r = parse_json(tojson, &to)) != 0)
		return r;
	r = sk_target(to, sender, target, len);
	json_object_put(to);
	return r ? fail("target", r) : 0;
}

/* Add member name to obj: len bytes of p in base64url. */
static void
add_bytes(json_object *obj, const char *name, const uint8_t *p, size_t len)
{
	char	*s = base64url_encode(p, len);

	json_object_object_add(obj, name, json_object_new_string(s));
	free(s);
}

/* Add a chain position to obj as sid, index and ck. */
static void
add_chain(json_object *obj, const struct sk_chain *c)
{
	add_bytes(obj, "sid", c->sid, SK_SID_LEN);
	json_object_object_add(obj, "index", json_object_new_int64(c->index));
	add_bytes(obj, "ck", c->ck, SK_CHAIN_LEN);
}

/* Print obj as one line of JSON and free it. */
static void
print_json(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_FLAGS));
	json_object_put(obj);
}

/* Print len bytes of p as one line of base64url. */
static void
print_bytes(const uint8_t *p, size_t len)
{
	char	*s = base64url_encode(p, len);

	puts(s);
	free(s);
}

/* sk-target FROM TOJSON: print the canonical target. */
static int
cmd_sk_target(char **argv, int unused)
{
	char	target[SK_TARGET_MAX];
	int	r;

	if ((r = target_arg(argv[1], argv[0], target, sizeof target)) == 0)
		puts(target);
	return r;
}

/* ed25519-pub SEED, x25519-pub SECRET: print the public key. */
static int
cmd_ecc_pub(char **argv, int dh)
{
	struct ecc_signer	k;
	uint8_t			secret[ECC_KEY_LEN], pub[ECC_KEY_LEN];
	int			r;

	if (!dh) {
		if ((r = signer_arg(argv[0], &k)) == 0)
			print_bytes(k.pub, sizeof k.pub);
		explicit_bzero(&k, sizeof k);
		return r;
	}
	if ((r = bytes_arg("secret", argv[0], secret, sizeof secret)) != 0)
		return r;
	if ((r = ecc_dh_public(secret, pub)) != 0)
		r = fail("x25519", r);
	else
		print_bytes(pub, sizeof pub);
	explicit_bzero(secret, sizeof secret);
	return r;
}

/*
 * sk-seal SEED SID INDEX CK FROM TOJSON: seal stdin (max bytes) with the
 * chain at INDEX; print {blob, sid, index, ck}, the chain moved on.
 */
static int
cmd_sk_seal(char **argv, int max)
{
	struct ecc_signer	 k;
	struct sk_chain		 c;
	json_object		*out;
	char			 target[SK_TARGET_MAX];
	uint8_t			*plain = NULL, *blob;
	size_t			 plen, len;
	int			 r;

	if ((r = signer_arg(argv[0], &k)) != 0 ||
	    (r = chain_arg(argv + 1, &c)) != 0 ||
	    (r = target_arg(argv[5], argv[4], target, sizeof target)) != 0 ||
	    (r = read_stdin((size_t)max, &plain, &plen)) != 0)
		goto out;
	if ((r = sk_seal(&c, &k, argv[4], target, plain, plen, &blob,
	    &len)) != 0) {
		r = fail("sk-seal", r);
		goto out;
	}
	out = json_object_new_object();
	add_bytes(out, "blob", blob, len);
	add_chain(out, &c);
	print_json(out);
	free(blob);
out:
	explicit_bzero(&k, sizeof k);
	explicit_bzero(&c, sizeof c);
	free(plain);
	return r;
}

/*
 * sk-open SIGPUB SID INDEX CK FROM TOJSON: open the base64url blobs on
 * stdin (one a line), in order, as one receiver of the chain at INDEX;
 * write their plaintexts. Stops at the first that does not open.
 */
static int
cmd_sk_open(char **argv, int max)
{
	struct sk_inbound	 in;
	struct sk_message	 m;
	struct sk_chain		 c;
	uint8_t			 sigpub[ECC_KEY_LEN];
	uint8_t			*text = NULL, *blob, *plain;
	char			 target[SK_TARGET_MAX], *line, *next;
	size_t			 len, bloblen, plen;
	int			 r;

	if ((r = bytes_arg("sigpub", argv[0], sigpub, sizeof sigpub)) != 0 ||
	    (r = chain_arg(argv + 1, &c)) != 0 ||
	    (r = target_arg(argv[5], argv[4], target, sizeof target)) != 0 ||
	    (r = read_stdin((size_t)max, &text, &len)) != 0)
		goto out;
	sk_inbound_init(&in, &c, sigpub);
	for (line = (char *)text; r == 0 && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line == '\0')
			continue;
		if (base64url_decode(line, &blob, &bloblen) != 0) {
			log_warnx("blob: not base64url: %.40s", line);
			r = 1;
			break;
		}
		if ((r = sk_message_parse(blob, bloblen, &m)) != 0 ||
		    (r = sk_open(&in, argv[4], target, &m, &plain,
		    &plen)) != 0)
			r = fail("sk-open", r);
		else {
			if (fwrite(plain, 1, plen, stdout) != plen ||
			    fflush(stdout) != 0) {
				log_warn("stdout");
				r = 1;
			}
			freezero(plain, plen + 1);
		}
		free(blob);
	}
	sk_inbound_free(&in);
out:
	explicit_bzero(&c, sizeof c);
	free(text);
	return r;
}

/*
 * prekey-sign IDFILE NAME PUB CREATED: print the identity's signature of
 * the prekey; prekey-verify JWKJSON NAME PUB CREATED SIG: check one.
 */
static int
cmd_prekey(char **argv, int verify)
{
	struct crypto_key	*k = NULL;
	struct prekey		 pk;
	long long		 created;
	uint8_t			*sig = NULL;
	size_t			 len;
	int			 r;

	memset(&pk, 0, sizeof pk);
	if ((r = bytes_arg("prekey", argv[2], pk.pub, sizeof pk.pub)) != 0 ||
	    (r = number_arg("created", argv[3], INT64_MIN, INT64_MAX,
	    &created)) != 0)
		return r;
	pk.created = created;
	if (verify && base64url_decode(argv[4], &sig, &len) != 0) {
		log_warnx("sig: not base64url: %.40s", argv[4]);
		return 2;
	}
	if ((r = key_arg(argv[0], verify, &k)) != 0)
		goto out;
	if (verify)
		r = prekey_verify(k, argv[1], &pk, sig, len);
	else if ((r = prekey_sign(k, argv[1], &pk, &sig, &len)) == 0)
		print_bytes(sig, len);
	if (r != 0)
		r = fail(verify ? "prekey-verify" : "prekey-sign", r);
out:
	crypto_key_free(k);
	free(sig);
	return r;
}

/*
 * dist-seal IDFILE SEED SID INDEX CK CREATED FROM TOJSON RCPT PREKEY: sign
 * the session (SEED's key, made at CREATED) and its chain at INDEX, seal
 * it for RCPT to PREKEY and print the envelope in base64url.
 */
static int
cmd_dist_seal(char **argv, int unused)
{
	struct crypto_key	*id = NULL;
	struct dist_session	 s;
	struct ecc_signer	 k;
	uint8_t			 prekey[ECC_KEY_LEN], *blob;
	long long		 created;
	size_t			 len;
	int			 r;

	memset(&s, 0, sizeof s);
	if ((r = signer_arg(argv[1], &k)) != 0 ||
	    (r = chain_arg(argv + 2, &s.chain)) != 0 ||
	    (r = number_arg("created", argv[5], INT64_MIN, INT64_MAX,
	    &created)) != 0 ||
	    (r = target_arg(argv[7], argv[6], s.target,
	    sizeof s.target)) != 0 ||
	    (r = bytes_arg("prekey", argv[9], prekey, sizeof prekey)) != 0)
		goto out;
	if (strlen(argv[6]) >= sizeof s.sender) {
		r = usage();
		goto out;
	}
	memcpy(s.sender, argv[6], strlen(argv[6]) + 1);
	memcpy(s.sigpub, k.pub, sizeof s.sigpub);
	s.created = created;
	if ((r = key_arg(argv[0], KEY_ID, &id)) != 0)
		goto out;
	if ((r = dist_session_sign(&s, id, &k)) != 0 ||
	    (r = dist_seal(&s, argv[8], prekey, &blob, &len)) != 0)
		r = fail("dist-seal", r);
	else {
		print_bytes(blob, len);
		free(blob);
	}
out:
	crypto_key_free(id);
	explicit_bzero(&k, sizeof k);
	explicit_bzero(&s, sizeof s);
	return r;
}

/*
 * dist-open SECRET MYNAME SENDERJWK FROM TOJSON: open the base64url
 * envelope on stdin with the prekey of SECRET; print the session's
 * {sender, target, sigpub, created, sid, index, ck}.
 */
static int
cmd_dist_open(char **argv, int max)
{
	struct crypto_key	*id = NULL;
	struct dist_session	 s;
	struct prekey		 pk;
	json_object		*out;
	char			 target[SK_TARGET_MAX];
	uint8_t			*text = NULL, *blob = NULL;
	size_t			 len, bloblen;
	int			 r;

	memset(&pk, 0, sizeof pk);
	if ((r = bytes_arg("secret", argv[0], pk.secret,
	    sizeof pk.secret)) != 0 ||
	    (r = target_arg(argv[4], argv[3], target, sizeof target)) != 0 ||
	    (r = read_stdin((size_t)max, &text, &len)) != 0 ||
	    (r = key_arg(argv[2], KEY_JWK, &id)) != 0)
		goto out;
	if ((r = ecc_dh_public(pk.secret, pk.pub)) != 0) {
		r = fail("x25519", r);
		goto out;
	}
	text[strcspn((char *)text, "\n")] = '\0';
	if (base64url_decode((char *)text, &blob, &bloblen) != 0) {
		log_warnx("envelope: not base64url");
		r = 1;
		goto out;
	}
	if ((r = dist_open(blob, bloblen, &pk, argv[3], argv[1], target, id,
	    &s)) != 0) {
		r = fail("dist-open", r);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "sender", json_object_new_string(s.sender));
	json_object_object_add(out, "target", json_object_new_string(s.target));
	add_bytes(out, "sigpub", s.sigpub, sizeof s.sigpub);
	json_object_object_add(out, "created",
	    json_object_new_int64(s.created));
	add_chain(out, &s.chain);
	print_json(out);
	explicit_bzero(&s, sizeof s);
out:
	crypto_key_free(id);
	explicit_bzero(&pk, sizeof pk);
	free(blob);
	free(text);
	return r;
}

static const struct command commands[] = {
	{ "keygen", 1, KEY_NEW, "IDFILE", cmd_key },
	{ "jwk", 1, KEY_ID | KEY_PRINT_JWK, "IDFILE", cmd_key },
	{ "fingerprint", 1, KEY_ID, "IDFILE", cmd_key },
	{ "fingerprint-jwk", 1, KEY_JWK, "JWKJSON", cmd_key },
	{ "hello-sign", 3, KEY_ID, "IDFILE NONCE_B64URL NAME", cmd_hello },
	{ "hello-verify", 4, KEY_JWK, "JWKJSON NONCE_B64URL NAME SIG",
	    cmd_hello },
	{ "sk-target", 2, 0, "FROM TOJSON", cmd_sk_target },
	{ "ed25519-pub", 1, 0, "SEED", cmd_ecc_pub },
	{ "x25519-pub", 1, 1, "SECRET", cmd_ecc_pub },
	{ "sk-seal", 6, FRAME_MAX_JSON,
	    "SEED SID INDEX CK FROM TOJSON <PLAINTEXT", cmd_sk_seal },
	{ "sk-open", 6, 8 * FRAME_MAX_JSON,
	    "SIGPUB SID INDEX CK FROM TOJSON <BLOBS", cmd_sk_open },
	{ "prekey-sign", 4, 0, "IDFILE NAME PREKEY CREATED", cmd_prekey },
	{ "prekey-verify", 5, 1, "JWKJSON NAME PREKEY CREATED SIG",
	    cmd_prekey },
	{ "dist-seal", 10, 0,
	    "IDFILE SEED SID INDEX CK CREATED FROM TOJSON RCPT PREKEY",
	    cmd_dist_seal },
	{ "dist-open", 5, 4 * DIST_MAX,
	    "SECRET MYNAME SENDERJWKJSON FROM TOJSON <ENVELOPE",
	    cmd_dist_open },
	{ NULL, 0, 0, NULL, NULL }
};

/* Run the command named by argv[1]; returns its exit status. */
int
main(int argc, char **argv)
{
	log_open("tvchat-cryptotool", LOG_TO_STDERR, 0);
	for (const struct command *c = commands; argc > 1 && c->name; c++) {
		if (strcmp(argv[1], c->name) != 0)
			continue;
		if (argc - 2 != c->argc)
			break;
		crypto_init();
		return c->run(argv + 2, c->arg);
	}
	return usage();
}
