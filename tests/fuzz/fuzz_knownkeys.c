/*
 * Fuzz target for the files the client loads: the input is written to a
 * private file (mode 0600) and read both as a known_keys file
 * (knownkeys.c) and as an identity (crypto_identity_load()).
 *
 * known_keys is checked against a model of its format: lines end at '\n',
 * or at "\r\n" (a file edited on Windows); fields are separated by spaces
 * and tabs; a line whose first field starts with '#' is a comment; an
 * entry is "server name fingerprint" with a valid user name and a
 * "SHA256:" fingerprint (more fields are ignored); anything else, a line
 * holding a NUL byte or any other CR included, is skipped and the lines
 * after it still count; the first entry for a (server, name
 * ignoring ASCII case) wins. Lookups must answer as the model does, a few
 * checks and a trust change must act on it as documented, and the file
 * saved must read back as exactly the model, each (server, name) once.
 *
 * An identity must load or fail cleanly; a key that loads must have a
 * fingerprint, a JWK that imports to the same key, sign a hello that its
 * public half verifies, and survive crypto_identity_save() and loading
 * again. The same file readable by others must be refused.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "knownkeys.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define SERVER		"fuzz.example:10000"
#define INPUT_MAX	(64 * 1024)	/* far below knownkeys.c's caps */
#define LOOKUPS_MAX	64
#define FP_OTHER	"SHA256:fuzz-other-key"
#define FP_NEW		"SHA256:fuzz-new-key"
#define FP_SET		"SHA256:fuzz-trusted-key"

/* One (server, name, fingerprint) of the model. */
struct entry {
	char	*server;
	char	*name;
	char	*fp;
};

/* What a known_keys file holds, in file order. */
struct model {
	struct entry	*e;
	size_t		 n;
};

static char	*file_path, *save_path;

/* Make the private directory once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (file_path != NULL)
		return 0;
	fuzz_set_name("fuzz_knownkeys");
	crypto_init();
	file_path = fuzz_path("input");
	save_path = fuzz_path("saved");
	return 0;
}

/* Return the index of (server, name) in m, or -1. */
static ssize_t
model_find(const struct model *m, const char *server, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->e[i].server, server) == 0 &&
		    proto_name_equal(m->e[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* Append an entry (copies of the strings) to m. */
static void
model_add(struct model *m, const char *server, const char *name,
    const char *fp)
{
	m->e = xreallocarray(m->e, m->n + 1, sizeof *m->e);
	m->e[m->n].server = xstrdup(server);
	m->e[m->n].name = xstrdup(name);
	m->e[m->n].fp = xstrdup(fp);
	m->n++;
}

/* Free the model's entries. */
static void
model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].server);
		free(m->e[i].name);
		free(m->e[i].fp);
	}
	free(m->e);
	m->e = NULL;
	m->n = 0;
}

/*
 * Cut the next field out of p[*pos..len) at spaces and tabs; return it as
 * a new string, or NULL if the line has no more.
 */
static char *
next_field(const char *p, size_t len, size_t *pos)
{
	size_t	start;
	char	*f;

	while (*pos < len && (p[*pos] == ' ' || p[*pos] == '\t'))
		(*pos)++;
	if (*pos == len)
		return NULL;
	start = *pos;
	while (*pos < len && p[*pos] != ' ' && p[*pos] != '\t')
		(*pos)++;
	f = xmalloc(*pos - start + 1);
	memcpy(f, p + start, *pos - start);
	f[*pos - start] = '\0';
	return f;
}

/* Read a known_keys text into m as the format above says. */
static void
model_parse(struct model *m, const uint8_t *text, size_t len)
{
	const char	*p = (const char *)text, *end = p + len, *nl;
	char		*f[3];
	size_t		 pos, n;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || memchr(p, '\0', n) != NULL ||
		    memchr(p, '\r', n) != NULL)
			continue;
		pos = 0;
		for (int i = 0; i < 3; i++)
			f[i] = next_field(p, n, &pos);
		if (f[0] != NULL && f[0][0] != '#' && f[2] != NULL &&
		    proto_name_valid(f[1]) &&
		    strncmp(f[2], "SHA256:", 7) == 0 &&
		    model_find(m, f[0], f[1]) == -1)
			model_add(m, f[0], f[1], f[2]);
		for (int i = 0; i < 3; i++)
			free(f[i]);
	}
}

/* Return a copy of name with the case of its letters swapped. */
static char *
swap_case(const char *name)
{
	char	*s = xstrdup(name);

	for (char *c = s; *c != '\0'; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
			*c ^= 0x20;
	return s;
}

/* Check that k answers every lookup on our server as m says. */
static void
check_lookups(struct knownkeys *k, const struct model *m, const char *what)
{
	const char	*got;
	char		*swapped;
	size_t		 done = 0;

	for (size_t i = 0; i < m->n && done < LOOKUPS_MAX; i++) {
		if (strcmp(m->e[i].server, SERVER) != 0)
			continue;
		done++;
		swapped = swap_case(m->e[i].name);
		got = knownkeys_get(k, swapped);
		if (got == NULL || strcmp(got, m->e[i].fp) != 0)
			fuzz_fail(what, m->e[i].name);
		free(swapped);
	}
	got = knownkeys_get(k, "fuzz-absent");
	if ((got == NULL) != (model_find(m, SERVER, "fuzz-absent") == -1))
		fuzz_fail(what, "fuzz-absent");
}

/* Return the index of the n-th entry (from 0) on our server, or -1. */
static ssize_t
nth_on_server(const struct model *m, int n)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->e[i].server, SERVER) == 0 && n-- == 0)
			return (ssize_t)i;
	return -1;
}

/* Check knownkeys_check() of name with fp against m, and update m. */
static void
check_one(struct knownkeys *k, struct model *m, const char *name,
    const char *fp)
{
	ssize_t		i = model_find(m, SERVER, name);
	enum trust	want, got;

	if (i == -1) {
		want = TRUST_NEW;
		model_add(m, SERVER, name, fp);
	} else
		want = strcmp(m->e[i].fp, fp) == 0 ? TRUST_KNOWN :
		    TRUST_CHANGED;
	if ((got = knownkeys_check(k, name, fp)) != want)
		fuzz_fail("knownkeys_check judged wrongly", trust_name(got));
}

/* Trust fp for name with knownkeys_set(), and update m as it should. */
static void
set_one(struct knownkeys *k, struct model *m, const char *name,
    const char *fp)
{
	ssize_t	i = model_find(m, SERVER, name);

	if (i == -1)
		model_add(m, SERVER, name, fp);
	else {
		free(m->e[i].fp);
		m->e[i].fp = xstrdup(fp);
	}
	if (knownkeys_set(k, name, fp) != 0)
		fuzz_fail("knownkeys_set could not save", strerror(errno));
}

/*
 * Read the saved file: a comment, then one "server name fingerprint" line
 * per entry, which must be exactly m's, each (server, name) once.
 */
static void
check_saved(const struct model *m)
{
	struct model	 saved = { NULL, 0 };
	uint8_t		*text;
	char		*line, *next, *f[3];
	size_t		 len;
	ssize_t		 i;
	int		 fd;

	if ((fd = open(file_path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    util_read_file(fd, 16 * INPUT_MAX, &text, &len) != 0)
		fuzz_fail("cannot read the saved file", strerror(errno));
	close(fd);
	if (strlen((char *)text) != len || len == 0 || text[len - 1] != '\n')
		fuzz_fail("the saved file is not lines of text", NULL);
	for (line = (char *)text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (line[0] == '#' && line == (char *)text)
			continue;
		f[0] = line;
		if ((f[1] = strchr(f[0], ' ')) == NULL ||
		    (f[2] = strchr(f[1] + 1, ' ')) == NULL ||
		    strchr(f[2] + 1, ' ') != NULL)
			fuzz_fail("a saved line is not three fields", line);
		*f[1]++ = '\0';
		*f[2]++ = '\0';
		if (model_find(&saved, f[0], f[1]) != -1)
			fuzz_fail("a (server, name) is saved twice", f[1]);
		if ((i = model_find(m, f[0], f[1])) == -1 ||
		    strcmp(m->e[i].name, f[1]) != 0 ||
		    strcmp(m->e[i].fp, f[2]) != 0)
			fuzz_fail("a saved entry differs from the model", f[1]);
		model_add(&saved, f[0], f[1], f[2]);
	}
	if (saved.n != m->n)
		fuzz_fail("the saved file lost entries", NULL);
	model_free(&saved);
	free(text);
}

/* Run the known_keys checks on the input, already in file_path. */
static void
fuzz_known_keys(const uint8_t *data, size_t size)
{
	struct model		 m = { NULL, 0 };
	struct knownkeys	*k;
	ssize_t			 i;
	char			*name;

	model_parse(&m, data, size);
	k = knownkeys_open(file_path, SERVER);
	check_lookups(k, &m, "a lookup after loading differs from the model");

	/* A known name in other case, one with another key, a newcomer. */
	if ((i = nth_on_server(&m, 0)) != -1) {
		name = swap_case(m.e[i].name);
		check_one(k, &m, name, m.e[i].fp);
		free(name);
	}
	if ((i = nth_on_server(&m, 1)) != -1) {
		name = xstrdup(m.e[i].name);
		check_one(k, &m, name, FP_OTHER);
		free(name);
	}
	check_one(k, &m, "Fuzz-New", FP_NEW);
	/* Trust a new key for a recorded name (in other case) or anyone. */
	if ((i = nth_on_server(&m, 2)) != -1) {
		name = swap_case(m.e[i].name);
		set_one(k, &m, name, FP_SET);
		free(name);
	} else
		set_one(k, &m, "fuzz-set", FP_SET);
	check_one(k, &m, "fuzz-late", FP_NEW);
	if (knownkeys_flush(k) != 0)
		fuzz_fail("knownkeys_flush could not save", strerror(errno));
	check_lookups(k, &m, "a lookup after saving differs from the model");
	knownkeys_free(k);

	check_saved(&m);
	k = knownkeys_open(file_path, SERVER);
	check_lookups(k, &m, "a lookup after reloading differs from the model");
	knownkeys_free(k);
	model_free(&m);
}

/* Check what a loaded identity k must do; frees k. */
static void
check_identity(struct crypto_key *k)
{
	static const uint8_t	 nonce[NONCE_LEN] = { 1, 2, 3 };
	struct crypto_key	*pub, *again;
	json_object		*jwk;
	const char		*fp = crypto_key_fingerprint(k);
	char			*sig;
	int			 r;

	if (!crypto_key_has_private(k) ||
	    crypto_key_bits(k) < CRYPTO_RSA_MIN_BITS ||
	    crypto_key_bits(k) > CRYPTO_RSA_MAX_BITS)
		fuzz_fail("a loaded identity is not a private key in range",
		    NULL);
	if (strlen(fp) != CRYPTO_FINGERPRINT_LEN - 1 ||
	    strncmp(fp, "SHA256:", 7) != 0 ||
	    strspn(fp + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/") !=
	    CRYPTO_FINGERPRINT_LEN - 8)
		fuzz_fail("a loaded identity has a bad fingerprint", fp);

	jwk = crypto_key_to_jwk(k);
	if ((r = crypto_key_from_jwk(jwk, &pub)) != CRYPTO_OK)
		fuzz_fail("a loaded identity's JWK does not import",
		    crypto_strerror(r));
	json_object_put(jwk);
	if (!crypto_key_equal(k, pub) || crypto_key_has_private(pub) ||
	    strcmp(crypto_key_fingerprint(pub), fp) != 0)
		fuzz_fail("a loaded identity's JWK is another key", fp);

	if ((r = crypto_hello_sign(k, nonce, sizeof nonce, "fuzz", &sig)) !=
	    CRYPTO_OK)
		fuzz_fail("a loaded identity cannot sign", crypto_strerror(r));
	if ((r = crypto_hello_verify(pub, nonce, sizeof nonce, "fuzz", sig)) !=
	    CRYPTO_OK)
		fuzz_fail("a loaded identity's signature does not verify",
		    crypto_strerror(r));
	free(sig);

	if ((r = crypto_identity_save(k, save_path)) != CRYPTO_OK)
		fuzz_fail("a loaded identity cannot be saved",
		    crypto_strerror(r));
	if ((r = crypto_identity_load(save_path, &again)) != CRYPTO_OK)
		fuzz_fail("a saved identity does not load", crypto_strerror(r));
	if (!crypto_key_equal(k, again) || !crypto_key_has_private(again) ||
	    strcmp(crypto_key_fingerprint(again), fp) != 0)
		fuzz_fail("a saved identity loads as another key", fp);
	crypto_key_free(again);
	crypto_key_free(pub);
	crypto_key_free(k);
	unlink(save_path);
}

/* Run the identity checks on the input, already in file_path (0600). */
static void
fuzz_identity(void)
{
	struct crypto_key	*k = NULL;
	int			 r;

	switch ((r = crypto_identity_load(file_path, &k))) {
	case CRYPTO_OK:
		if (k == NULL)
			fuzz_fail("crypto_identity_load gave no key", NULL);
		check_identity(k);
		break;
	case CRYPTO_E_FORMAT:
	case CRYPTO_E_KEY:
		if (k != NULL)
			fuzz_fail("a failed load left a key",
			    crypto_strerror(r));
		break;
	default:
		fuzz_fail("unexpected crypto_identity_load error",
		    crypto_strerror(r));
	}
	if (chmod(file_path, 0640) != 0)
		fuzz_fail("chmod", strerror(errno));
	if ((r = crypto_identity_load(file_path, &k)) != CRYPTO_E_PERMS ||
	    k != NULL)
		fuzz_fail("an identity readable by others was not refused",
		    crypto_strerror(r));
}

/* libFuzzer entry point: load the input both ways; returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_MAX)
		return 0;
	LLVMFuzzerInitialize(NULL, NULL);
	fuzz_quiet(1);
	fuzz_write_file(file_path, data, size, 0600);
	fuzz_identity();
	fuzz_write_file(file_path, data, size, 0600);
	fuzz_known_keys(data, size);
	fuzz_quiet(0);
	return 0;
}
