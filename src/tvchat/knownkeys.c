/*
 * Trust on first use. $XDG_DATA_HOME/tvchat/known_keys holds one line per
 * (server, name): "server name fingerprint". A name seen for the first time
 * is recorded; the same name with another key is reported as changed and
 * stays so until the user trusts the new key. Entries are per server
 * because names are only unique within one server.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knownkeys.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

#define KNOWNKEYS_MAX_FILE	(4 * 1024 * 1024)
/* Names one server can have recorded: a hostile server announcing
 * endless newcomers must not grow the file past what load() reads. */
#define KNOWNKEYS_MAX_PER_SERVER	10000

struct knownkey {
	char	*server;
	char	*name;
	char	*fingerprint;
};

struct knownkeys {
	char		*path;
	char		*server;
	struct knownkey	*keys;
	size_t		 n;
	size_t		*index;		/* open addressing: keys[i] + 1, 0 free */
	size_t		 index_cap;	/* a power of two, or 0 */
	size_t		 on_server;	/* entries for our server */
	int		 dirty;		/* recorded, not yet saved */
	int		 full_told;
};

/* Return the default path of the known_keys file (a new string). */
char *
knownkeys_default_path(void)
{
	return util_xdg_path("XDG_DATA_HOME", ".local/share",
	    "tvchat/known_keys");
}

/* Return "new", "known" or "changed". */
const char *
trust_name(enum trust t)
{
	switch (t) {
	case TRUST_NEW:
		return "new";
	case TRUST_KNOWN:
		return "known";
	case TRUST_CHANGED:
		return "changed";
	}
	return "?";
}

/* Return the hash of (server, name), names ignoring ASCII case. */
static size_t
key_hash(const char *server, const char *name)
{
	uint64_t	h = 1469598103934665603ull;	/* FNV-1a */

	for (const char *p = server; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '\n') * 1099511628211ull;
	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)tolower((unsigned char)*p)) *
		    1099511628211ull;
	return (size_t)h;
}

/* Put entry i into the index (which has room). */
static void
index_put(struct knownkeys *k, size_t i)
{
	size_t	mask = k->index_cap - 1;
	size_t	h = key_hash(k->keys[i].server, k->keys[i].name) & mask;

	while (k->index[h] != 0)
		h = (h + 1) & mask;
	k->index[h] = i + 1;
}

/* Keep the index at most half full, for one more entry. */
static void
index_grow(struct knownkeys *k)
{
	if (2 * (k->n + 1) <= k->index_cap)
		return;
	k->index_cap = k->index_cap ? 2 * k->index_cap : 64;
	free(k->index);
	k->index = xcalloc(k->index_cap, sizeof *k->index);
	for (size_t i = 0; i < k->n; i++)
		index_put(k, i);
}

/* Add an entry in memory. */
static void
add(struct knownkeys *k, const char *server, const char *name, const char *fp)
{
	index_grow(k);
	k->keys = xreallocarray(k->keys, k->n + 1, sizeof *k->keys);
	k->keys[k->n].server = xstrdup(server);
	k->keys[k->n].name = xstrdup(name);
	k->keys[k->n].fingerprint = xstrdup(fp);
	index_put(k, k->n);
	k->n++;
	if (strcmp(server, k->server) == 0)
		k->on_server++;
}

/* Return the entry for (server, name), or NULL. */
static struct knownkey *
find_on(struct knownkeys *k, const char *server, const char *name)
{
	size_t	mask = k->index_cap - 1, h, i;

	if (k->index_cap == 0)
		return NULL;
	for (h = key_hash(server, name) & mask; (i = k->index[h]) != 0;
	    h = (h + 1) & mask) {
		struct knownkey *e = &k->keys[i - 1];

		if (strcmp(e->server, server) == 0 &&
		    proto_name_equal(e->name, name))
			return e;
	}
	return NULL;
}

/*
 * Read the file into k, adding the entries k does not have yet (k's own
 * win: they are newer). Malformed lines are skipped with a warning.
 */
static void
load(struct knownkeys *k, int quiet)
{
	uint8_t		*text;
	size_t		 len;
	char		*line, *nl, *eol, *end, *srv, *name, *fp;
	const char	*path = k->path;
	struct stat	 st;
	int		 fd, lineno = 0;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (!quiet)
			log_warnx("%s: not a regular file; ignored", path);
		close(fd);
		return;
	}
	if (util_read_file(fd, KNOWNKEYS_MAX_FILE, &text, &len) != 0) {
		log_warn("%s", path);
		close(fd);
		return;
	}
	close(fd);
	end = (char *)text + len;
	for (line = (char *)text; line < end; line = nl + 1) {
		char *fsave;

		/* Lines are cut by hand so that a NUL byte spoils only its
		 * own line, not every entry after it. */
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		*nl = '\0';
		lineno++;
		/* A file edited on Windows ends its lines in CR LF; a CR
		 * anywhere else spoils the line (it is in no valid field). */
		eol = nl;
		if (eol > line && eol[-1] == '\r')
			*--eol = '\0';
		if (line == eol)
			continue;
		srv = name = fp = NULL;
		if (strlen(line) == (size_t)(eol - line) &&
		    strchr(line, '\r') == NULL &&
		    (srv = strtok_r(line, " \t", &fsave)) != NULL) {
			/* A comment's first field starts with '#': save()
			 * could not write such an entry back. */
			if (srv[0] == '#')
				continue;
			name = strtok_r(NULL, " \t", &fsave);
			fp = strtok_r(NULL, " \t", &fsave);
		}
		if (srv == NULL || name == NULL || fp == NULL ||
		    !proto_name_valid(name) || strncmp(fp, "SHA256:", 7) != 0) {
			if (!quiet)
				log_warnx("%s:%d: malformed line ignored", path,
				    lineno);
			continue;
		}
		if (find_on(k, srv, name) == NULL)
			add(k, srv, name, fp);
	}
	free(text);
}

/*
 * Load the known keys at path for server ("host:port"). A missing file is
 * an empty list. Never NULL.
 */
struct knownkeys *
knownkeys_open(const char *path, const char *server)
{
	struct knownkeys	*k = xcalloc(1, sizeof *k);

	k->path = xstrdup(path);
	k->server = xstrdup(server);
	load(k, 0);
	return k;
}

/* Free the list. */
void
knownkeys_free(struct knownkeys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i].server);
		free(k->keys[i].name);
		free(k->keys[i].fingerprint);
	}
	free(k->keys);
	free(k->index);
	free(k->path);
	free(k->server);
	free(k);
}

/* Return the entry for name on our server, or NULL. */
static struct knownkey *
find(struct knownkeys *k, const char *name)
{
	return find_on(k, k->server, name);
}

/* Return the recorded fingerprint of name, or NULL. */
const char *
knownkeys_get(struct knownkeys *k, const char *name)
{
	struct knownkey	*e = find(k, name);

	return e == NULL ? NULL : e->fingerprint;
}

/* Rewrite the file from memory (atomically); return 0 or -1. */
static int
save(struct knownkeys *k)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f;
	int	 r;

	/* Another tvchat may have added keys since we read the file. */
	load(k, 1);
	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	fprintf(f, "# tvchat known keys: server name fingerprint\n");
	for (size_t i = 0; i < k->n; i++)
		fprintf(f, "%s %s %s\n", k->keys[i].server, k->keys[i].name,
		    k->keys[i].fingerprint);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	r = util_write_file_atomic(k->path, text, len, 0600);
	free(text);
	return r;
}

/*
 * Check the key fingerprint fp presented for name: record it if the name
 * is new (trust on first use; saved by knownkeys_flush(), so a burst of
 * newcomers costs one write). Returns the trust state.
 */
enum trust
knownkeys_check(struct knownkeys *k, const char *name, const char *fp)
{
	struct knownkey	*e = find(k, name);

	if (e == NULL) {
		if (k->on_server >= KNOWNKEYS_MAX_PER_SERVER) {
			if (!k->full_told)
				log_warnx("%s: %d names are recorded for %s; "
				    "no more are", k->path,
				    KNOWNKEYS_MAX_PER_SERVER, k->server);
			k->full_told = 1;
			return TRUST_NEW;
		}
		add(k, k->server, name, fp);
		k->dirty = 1;
		return TRUST_NEW;
	}
	return strcmp(e->fingerprint, fp) == 0 ? TRUST_KNOWN : TRUST_CHANGED;
}

/* Save what knownkeys_check() recorded, if anything; 0 or -1. */
int
knownkeys_flush(struct knownkeys *k)
{
	if (k == NULL || !k->dirty)
		return 0;
	k->dirty = 0;
	if (save(k) != 0) {
		log_warn("cannot save %s", k->path);
		return -1;
	}
	return 0;
}

/* Trust fp for name from now on (replacing any old key); 0 or -1. */
int
knownkeys_set(struct knownkeys *k, const char *name, const char *fp)
{
	struct knownkey	*e = find(k, name);

	if (e == NULL)
		add(k, k->server, name, fp);
	else {
		free(e->fingerprint);
		e->fingerprint = xstrdup(fp);
	}
	k->dirty = 0;
	return save(k);
}
