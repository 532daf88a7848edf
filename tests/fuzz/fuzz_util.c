/*
 * Helpers shared by the fuzz targets that run the client and its files:
 * failing loudly, a private temporary directory removed at exit, loading
 * the TEST-ONLY identities, and the check every client event must pass to
 * be printed by --batch.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "ecc.h"
#include "fuzz_util.h"
#include "keystore.h"
#include "msg.h"
#include "screentext.h"
#include "util.h"
#include "utf8.h"
#include "xmalloc.h"

#define EVENT_DEPTH	32	/* json-c's default, as --batch readers use */

static const char	*fuzz_name = "fuzz";
static char		*fuzz_dir;
static FILE		*real_stderr;	/* while quiet */

/* Name the target in failure messages (fuzz-corpora.sh looks for it). */
void
fuzz_set_name(const char *name)
{
	fuzz_name = name;
}

/* Stop the process loudly, naming the broken invariant. */
void
fuzz_fail(const char *what, const char *detail)
{
	fprintf(real_stderr != NULL ? real_stderr : stderr, "%s: %s%s%s\n",
	    fuzz_name, what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/*
 * Send what the code under test logs to stdio's stderr to /dev/null
 * (quiet 1) or back (0): its warnings about each malformed line would
 * flood a fuzzing run. Failures and the sanitizers still print.
 */
void
fuzz_quiet(int quiet)
{
	static FILE	*devnull;

	if (quiet && real_stderr == NULL) {
		if (devnull == NULL &&
		    (devnull = fopen("/dev/null", "w")) == NULL)
			fuzz_fail("/dev/null", strerror(errno));
		real_stderr = stderr;
		stderr = devnull;
	} else if (!quiet && real_stderr != NULL) {
		stderr = real_stderr;
		real_stderr = NULL;
	}
}

/* Remove the temporary directory and what the targets left in it. */
static void
remove_tempdir(void)
{
	struct dirent	*de;
	DIR		*d;
	char		*path;

	if (fuzz_dir == NULL || (d = opendir(fuzz_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&path, "%s/%s", fuzz_dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(fuzz_dir);
	free(fuzz_dir);
	fuzz_dir = NULL;
}

/*
 * Return the target's private directory under $TMPDIR (or /tmp), made
 * with mode 0700 on the first call and removed when the process exits.
 */
char *
fuzz_tempdir(void)
{
	const char	*tmp = getenv("TMPDIR");

	if (fuzz_dir != NULL)
		return fuzz_dir;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&fuzz_dir, "%s/%s.XXXXXX", tmp, fuzz_name);
	if (mkdtemp(fuzz_dir) == NULL)
		fuzz_fail("mkdtemp", strerror(errno));
	atexit(remove_tempdir);
	return fuzz_dir;
}

/* Return the path of file name in the private directory (a new string). */
char *
fuzz_path(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", fuzz_tempdir(), name);
	return path;
}

/* Replace the file at path with len bytes at p, with the given mode. */
void
fuzz_write_file(const char *path, const void *p, size_t len, mode_t mode)
{
	int	fd;

	if (unlink(path) != 0 && errno != ENOENT)
		fuzz_fail("unlink", strerror(errno));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
	    -1)
		fuzz_fail("open", strerror(errno));
	if ((len > 0 && write(fd, p, len) != (ssize_t)len) || close(fd) != 0)
		fuzz_fail("cannot write a temporary file", path);
	if (chmod(path, mode) != 0)	/* whatever the umask */
		fuzz_fail("chmod", strerror(errno));
}

/* Load an identity from its S-expression text; return the key. */
struct crypto_key *
fuzz_load_key(const char *text)
{
	struct crypto_key	*k;
	char			*path = fuzz_path("identity");
	int			 r;

	fuzz_write_file(path, text, strlen(text), 0600);
	r = crypto_identity_load(path, &k);
	unlink(path);
	free(path);
	if (r != CRYPTO_OK)
		fuzz_fail("cannot load a test key", crypto_strerror(r));
	return k;
}

/*
 * Check an event as tvchat --batch prints it: an object with an "event"
 * string, whose text is valid UTF-8 and, once made safe for a terminal,
 * one line of strict JSON that decodes to the same event.
 */
void
fuzz_check_event(json_object *ev)
{
	struct json_tokener	*tok;
	json_object		*back;
	const char		*text, *name;
	char			*line;
	size_t			 len;

	if (!json_object_is_type(ev, json_type_object) ||
	    (name = msg_get_str(ev, "event")) == NULL || *name == '\0')
		fuzz_fail("an event without an \"event\" name",
		    json_object_to_json_string(ev));
	text = msg_text(ev);
	if (text == NULL || !utf8_valid((const uint8_t *)text, strlen(text)))
		fuzz_fail("an event is not UTF-8", name);
	line = screentext_json(text);
	len = strlen(line);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			fuzz_fail("an event line holds a control character",
			    line);
	if (len > INT32_MAX || (tok = json_tokener_new_ex(EVENT_DEPTH)) == NULL)
		fuzz_fail("out of memory", NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	back = json_tokener_parse_ex(tok, line, (int)len);
	if (back == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		fuzz_fail("an event line is not one JSON object", line);
	json_tokener_free(tok);
	if (!json_object_equal(back, ev))
		fuzz_fail("an event line decodes to another event", line);
	json_object_put(back);
	free(line);
}

/* Return the size of the next write, from a chunking byte and a state:
 * 0 all at once, 1..127 that many bytes, else 1..64 varying. */
size_t
fuzz_next_chunk(uint8_t mode, uint32_t *state)
{
	if (mode == 0)
		return SIZE_MAX;
	if ((mode & 0x80) == 0)
		return mode;
	*state = *state * 1103515245u + 12345u;
	return ((*state >> 16) & 63) + 1;
}

/*
 * Check event ev as fuzz_check_event() does, and that nothing comes after
 * "closed"; *closed counts the "closed" events so far.
 */
void
fuzz_check_event_order(json_object *ev, int *closed)
{
	fuzz_check_event(ev);
	if (*closed)
		fuzz_fail("an event after \"closed\"", msg_get_str(ev, "event"));
	if (strcmp(msg_get_str(ev, "event"), "closed") == 0)
		(*closed)++;
}

const uint8_t fuzz_bob_prekey[ECC_KEY_LEN] = {
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
	0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
};

/*
 * Return a new in-memory keystore whose current prekey is the fixed
 * fuzz_bob_prekey, signed by id for name (signed once, then copied: the
 * caller must pass the same id and name every time).
 */
struct keystore *
fuzz_keystore(const struct crypto_key *id, const char *name)
{
	static struct prekey	 pk;
	static uint8_t		*sig;
	static size_t		 siglen;
	struct keystore		*ks;
	char			 err[256];

	if (sig == NULL) {
		memcpy(pk.secret, fuzz_bob_prekey, ECC_KEY_LEN);
		if (ecc_dh_public(pk.secret, pk.pub) != CRYPTO_OK)
			fuzz_fail("cannot make the fixed prekey", NULL);
		pk.created = util_now_ms();
		if (prekey_sign(id, name, &pk, &sig, &siglen) != CRYPTO_OK)
			fuzz_fail("cannot sign the fixed prekey", name);
	}
	if (keystore_open(NULL, &ks, err, sizeof err) != 0)
		fuzz_fail("cannot make a keystore", err);
	snprintf(ks->name, sizeof ks->name, "%s", name);
	ks->prekey = pk;
	ks->prekey_sig = xmalloc(siglen);
	memcpy(ks->prekey_sig, sig, siglen);
	ks->prekey_siglen = siglen;
	return ks;
}

/* Make a fresh X25519 prekey, created now. */
void
fuzz_prekey_new(struct prekey *pk)
{
	ecc_dh_generate(pk->secret, pk->pub);
	pk->created = util_now_ms();
}

/* Return prekey pk signed for name by identity k, as a user object has it. */
json_object *
fuzz_prekey_json(const struct crypto_key *k, const char *name,
    const struct prekey *pk)
{
	json_object	*o;
	uint8_t		*sig;
	size_t		 siglen;
	char		*key, *sig64;

	if (prekey_sign(k, name, pk, &sig, &siglen) != CRYPTO_OK)
		fuzz_fail("cannot sign a prekey", name);
	key = base64url_encode(pk->pub, sizeof pk->pub);
	sig64 = base64url_encode(sig, siglen);
	o = msg_prekey(key, pk->created, sig64);
	free(key);
	free(sig64);
	free(sig);
	return o;
}
