/*
 * tvchat-cryptotool: a command-line face of crypto.c, so that a test can
 * check its formats against an independent implementation. Exit status:
 * 0 success, 1 crypto failure (reason on stderr), 2 usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "crypto.h"
#include "log.h"
#include "proto.h"
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

/* seal IDFILE FROM TO ID RCPTS: seal stdin (max bytes) for {name: jwk}. */
static int
cmd_seal(char **argv, int max)
{
	struct crypto_key	*me = NULL, *keys[CHAT_MAX_RECIPIENTS];
	struct crypto_recipient	 rcpt[CHAT_MAX_RECIPIENTS];
	json_object		*to = NULL, *rcpts = NULL, *sealed;
	uint8_t			*plain = NULL;
	size_t			 plen, n = 0;
	int			 r;

	if ((r = parse_json(argv[2], &to)) != 0 ||
	    (r = parse_json(argv[4], &rcpts)) != 0 ||
	    (r = read_stdin((size_t)max, &plain, &plen)) != 0 ||
	    (r = key_arg(argv[0], KEY_ID, &me)) != 0)
		goto out;
	if (!json_object_is_type(rcpts, json_type_object) ||
	    json_object_object_length(rcpts) > CHAT_MAX_RECIPIENTS) {
		r = usage();
		goto out;
	}
	json_object_object_foreach(rcpts, name, jwk) {
		if ((r = crypto_key_from_jwk(jwk, &keys[n])) != 0) {
			r = fail(name, r);
			goto out;
		}
		rcpt[n].name = name;
		rcpt[n].key = keys[n];
		n++;
	}
	if ((r = crypto_seal(me, argv[1], to, argv[3], rcpt, n, plain, plen,
	    &sealed)) != 0)
		r = fail("seal", r);
	else {
		puts(json_object_to_json_string_ext(sealed, JSON_FLAGS));
		json_object_put(sealed);
	}
out:
	while (n > 0)
		crypto_key_free(keys[--n]);
	crypto_key_free(me);
	free(plain);
	json_object_put(to);
	json_object_put(rcpts);
	return r;
}

/* open IDFILE MYNAME SENDERJWK FROM TO ID: open the sealed JSON on stdin. */
static int
cmd_open(char **argv, int max)
{
	struct crypto_key	*me = NULL, *sender = NULL;
	json_object		*to = NULL, *sealed = NULL;
	uint8_t			*text = NULL, *plain;
	size_t			 len, plen;
	int			 r;

	if ((r = parse_json(argv[4], &to)) != 0 ||
	    (r = read_stdin((size_t)max, &text, &len)) != 0 ||
	    (r = parse_json((const char *)text, &sealed)) != 0 ||
	    (r = key_arg(argv[0], KEY_ID, &me)) != 0 ||
	    (r = key_arg(argv[2], KEY_JWK, &sender)) != 0)
		goto out;
	if ((r = crypto_open(me, argv[1], sender, argv[3], to, argv[5],
	    sealed, &plain, &plen)) != 0)
		r = fail("open", r);
	else if (fwrite(plain, 1, plen, stdout) != plen ||
	    fflush(stdout) != 0) {
		log_warn("stdout");
		r = 1;
	}
	freezero(plain, plen + 1);
out:
	crypto_key_free(me);
	crypto_key_free(sender);
	free(text);
	json_object_put(to);
	json_object_put(sealed);
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
	{ "seal", 5, FRAME_MAX_JSON,
	    "IDFILE FROM TOJSON ID RCPTSJSON <PLAINTEXT", cmd_seal },
	{ "open", 6, 8 * FRAME_MAX_JSON,
	    "IDFILE MYNAME SENDERJWKJSON FROM TOJSON ID <SEALED", cmd_open },
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
