/*
 * Fuzz target for crypto_open(): the input is a chat message as the server
 * delivers it ({"type":"chat","from","to","id","ts","sealed":{...,"key"}})
 * or as a client uploads it (with "keys"). Bob opens it as coming from
 * alice, after msg_parse() as the client does; when msg.c refuses it, any
 * JSON object still goes straight to crypto_open() to reach its own
 * checks. The keys are the fixed test identities in fuzz_keys.h. The
 * signature is verified before the private-key operation, so only inputs
 * that keep a valid signature cost an RSA decryption.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "crypto.h"
#include "msg.h"
#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define JSON_DEPTH	16	/* as msg.c parses messages */

static struct crypto_key	*alice, *bob;

/* Stop the process loudly, naming the broken invariant. */
static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_open: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	abort();
}

/*
 * Load an identity from its S-expression text through a private temporary
 * file, as crypto_identity_load() only reads files; return the key.
 */
static struct crypto_key *
load_key(const char *text)
{
	struct crypto_key	*k;
	const char		*dir = getenv("TMPDIR");
	char			 path[4096];
	size_t			 len = strlen(text);
	int			 fd, r;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof path, "%s/fuzz_open.XXXXXX", dir) >=
	    sizeof path)
		fail("TMPDIR is too long", dir);
	/* mkstemp() creates the file with mode 0600, as the loader wants. */
	if ((fd = mkstemp(path)) == -1)
		fail("mkstemp", strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || close(fd) != 0) {
		unlink(path);
		fail("cannot write the test key", path);
	}
	r = crypto_identity_load(path, &k);
	unlink(path);
	if (r != CRYPTO_OK)
		fail("cannot load the test key", crypto_strerror(r));
	return k;
}

/* Load the two test identities once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (bob != NULL)
		return 0;
	crypto_init();
	alice = load_key(fuzz_alice_key);
	bob = load_key(fuzz_bob_key);
	return 0;
}

/*
 * Have bob open the message obj from alice, with from defaulting to
 * "alice" (the server stamps it on uploads) and id to "". Checks what
 * crypto_open() promises about its results.
 */
static void
open_as_bob(json_object *obj)
{
	const char		*from, *id;
	uint8_t			*plain;
	volatile uint8_t	 sink;
	size_t			 plen;
	int			 r;

	if ((from = msg_get_str(obj, "from")) == NULL)
		from = "alice";
	if ((id = msg_get_str(obj, "id")) == NULL)
		id = "";
	/* Set outputs, so a failure must visibly reset them. */
	plain = (uint8_t *)"";
	plen = 1;
	r = crypto_open(bob, "bob", alice, from, msg_get(obj, "to"), id,
	    msg_get(obj, "sealed"), &plain, &plen);
	switch (r) {
	case CRYPTO_OK:
		if (plain == NULL || plain[plen] != '\0')
			fail("opened plaintext is not NUL-terminated", NULL);
		/* Read every byte so the sanitizers check the length. */
		sink = 0;
		for (size_t i = 0; i < plen; i++)
			sink ^= plain[i];
		(void)sink;
		free(plain);
		break;
	case CRYPTO_E_FORMAT:
	case CRYPTO_E_NOT_RECIPIENT:
	case CRYPTO_E_SIGNATURE:
	case CRYPTO_E_UNWRAP:
	case CRYPTO_E_AUTH:
		if (plain != NULL || plen != 0)
			fail("failed open left a result", crypto_strerror(r));
		break;
	default:
		fail("unexpected crypto_open error", crypto_strerror(r));
	}
}

/* Parse data as any JSON text (json-c's own checks only), or NULL. */
static json_object *
parse_raw(const uint8_t *data, size_t size)
{
	struct json_tokener	*tok;
	json_object		*obj;

	if (size > INT32_MAX)
		return NULL;
	if ((tok = json_tokener_new_ex(JSON_DEPTH)) == NULL)
		fail("out of memory", NULL);
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	return obj;
}

/* libFuzzer entry point: open one chat message as bob; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object	*obj;
	char		 why[MSG_WHY_LEN];
	int		 valid = 0;

	LLVMFuzzerInitialize(NULL, NULL);
	/* As delivered to a client, then as uploaded to the server. */
	if (msg_parse(data, size, MSG_TO_CLIENT, &obj, why, sizeof why) ==
	    PROTO_OK) {
		if (strcmp(msg_type(obj), "chat") == 0)
			open_as_bob(obj);
		json_object_put(obj);
		valid = 1;
	}
	if (msg_parse(data, size, MSG_TO_SERVER, &obj, why, sizeof why) ==
	    PROTO_OK) {
		if (strcmp(msg_type(obj), "chat") == 0)
			open_as_bob(obj);
		json_object_put(obj);
		valid = 1;
	}
	if (valid)
		return 0;
	/* msg.c refused it: crypto_open() must still cope on its own. */
	if ((obj = parse_raw(data, size)) == NULL)
		return 0;
	if (json_object_is_type(obj, json_type_object))
		open_as_bob(obj);
	json_object_put(obj);
	return 0;
}
