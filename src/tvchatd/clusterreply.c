/*
 * What Redis answers cluster nodes, read strictly (see clusterreply.h).
 *
 * Redis is not trusted: a compromised or wrong one may answer anything
 * RESP can say. Each clusterreply_*() below takes a reply tree, returns
 * CLUSTERREPLY_OK and plain values only if the tree has the one shape
 * its command answers with, and a negative code saying what is wrong
 * otherwise. They read lengths, never NULs, and trust no count (the
 * trees themselves are built by clusterreader.c).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clusterreply.h"
#include "proto.h"
#include "xmalloc.h"

static const char *const errors[] = {
	"success",
	"no reply (the connection closed)",
	"Redis answered with an error",
	"a reply of the wrong type",
	"a value out of range",
	"too many or too few elements",
	"an element of the wrong type",
	"a message of an unknown kind",
	"a message on a channel not subscribed to",
	"a node name that is not valid",
};

/* Return a human description of a clusterreply_error. */
const char *
clusterreply_strerror(int e)
{
	if (e > 0 || -e >= (int)(sizeof errors / sizeof errors[0]))
		return "unknown reply error";
	return errors[-e];
}

/* Return CLUSTERREPLY_OK if r is of type, else what it is instead. */
static int
expect(const redisReply *r, int type)
{
	if (r == NULL)
		return CLUSTERREPLY_E_NONE;
	if (r->type == REDIS_REPLY_ERROR && type != REDIS_REPLY_ERROR)
		return CLUSTERREPLY_E_REDIS;
	return r->type == type ? CLUSTERREPLY_OK : CLUSTERREPLY_E_TYPE;
}

/* Element i of an array reply, or NULL. */
static const redisReply *
element(const redisReply *r, size_t i)
{
	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element == NULL)
		return NULL;
	return r->element[i];
}

/* Return 1 if r is a string of exactly the bytes of s. */
static int
string_is(const redisReply *r, int type, const char *s)
{
	size_t	n = strlen(s);

	return r != NULL && r->type == type && r->str != NULL &&
	    r->len == n && memcmp(r->str, s, n) == 0;
}

/* Copy the text of an error (or status, or string) for the log. */
void
clusterreply_text(const redisReply *r, char *buf, size_t size)
{
	size_t		n = 0;
	unsigned char	ch;

	if (size == 0)
		return;
	if (r != NULL && r->str != NULL && (r->type == REDIS_REPLY_ERROR ||
	    r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING)) {
		for (; n < r->len && n < size - 1; n++) {
			ch = (unsigned char)r->str[n];
			buf[n] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
	}
	buf[n] = '\0';
}

/* An integer from min to max (PUBLISH, EXISTS, the claim scripts). */
int
clusterreply_integer(const redisReply *r, long long min, long long max,
    long long *value)
{
	int	e;

	if ((e = expect(r, REDIS_REPLY_INTEGER)) != CLUSTERREPLY_OK)
		return e;
	if (r->integer < min || r->integer > max)
		return CLUSTERREPLY_E_VALUE;
	*value = r->integer;
	return CLUSTERREPLY_OK;
}

/* The status OK (AUTH). */
int
clusterreply_ok(const redisReply *r)
{
	int	e;

	if ((e = expect(r, REDIS_REPLY_STATUS)) != CLUSTERREPLY_OK)
		return e;
	return string_is(r, REDIS_REPLY_STATUS, "OK") ? CLUSTERREPLY_OK :
	    CLUSTERREPLY_E_VALUE;
}

/* What the heartbeat script found: our epoch, nil, or another. */
int
clusterreply_beat(const redisReply *r, const char *epoch,
    enum clusterreply_beat *found)
{
	int	e;

	if (r != NULL && r->type == REDIS_REPLY_NIL) {
		*found = CLUSTERREPLY_BEAT_EXPIRED;
		return CLUSTERREPLY_OK;
	}
	if ((e = expect(r, REDIS_REPLY_STRING)) != CLUSTERREPLY_OK)
		return e;
	*found = string_is(r, REDIS_REPLY_STRING, epoch) ?
	    CLUSTERREPLY_BEAT_OURS : CLUSTERREPLY_BEAT_OTHER;
	return CLUSTERREPLY_OK;
}

/* What a reply on the subscribed connection may be, by its first element. */
static const struct {
	const char		*name;
	enum clusterreply_kind	 kind;
	int			 third;	/* the type of the last element */
} message_kinds[] = {
	{ "subscribe", CLUSTERREPLY_SUBSCRIBED, REDIS_REPLY_INTEGER },
	{ "message", CLUSTERREPLY_MESSAGE, REDIS_REPLY_STRING },
};

/*
 * A subscription confirmed or a message, on one of the n channels asked
 * about (m->channel is its index); a message's data points into r.
 */
int
clusterreply_message(const redisReply *r, const char *const *channels,
    size_t n, struct clusterreply_message *m)
{
	const redisReply	*channel, *third;
	size_t			 i, j;
	int			 e;

	memset(m, 0, sizeof *m);
	m->channel = -1;
	if ((e = expect(r, REDIS_REPLY_ARRAY)) != CLUSTERREPLY_OK)
		return e;
	if (r->elements != 3)
		return CLUSTERREPLY_E_COUNT;
	for (i = 0; i < sizeof message_kinds / sizeof message_kinds[0]; i++)
		if (string_is(element(r, 0), REDIS_REPLY_STRING,
		    message_kinds[i].name))
			break;
	if (i == sizeof message_kinds / sizeof message_kinds[0])
		return CLUSTERREPLY_E_KIND;
	channel = element(r, 1);
	third = element(r, 2);
	if (channel == NULL || channel->type != REDIS_REPLY_STRING ||
	    third == NULL || third->type != message_kinds[i].third)
		return CLUSTERREPLY_E_ELEMENT;
	if (third->type == REDIS_REPLY_INTEGER && third->integer < 1)
		return CLUSTERREPLY_E_VALUE;	/* channels subscribed to */
	for (j = 0; j < n && j < INT_MAX; j++)
		if (string_is(channel, REDIS_REPLY_STRING, channels[j]))
			break;
	if (j == n || j == INT_MAX)
		return CLUSTERREPLY_E_CHANNEL;
	m->kind = message_kinds[i].kind;
	m->channel = (int)j;
	if (m->kind == CLUSTERREPLY_MESSAGE) {
		m->data = (const uint8_t *)third->str;
		m->len = third->len;
	}
	return CLUSTERREPLY_OK;
}

/* Order two node names, for qsort() and bsearch(). */
static int
name_compare(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The node names of a set (SMEMBERS): every element a string, those that
 * are not valid names left out and counted; free with _names_free().
 */
int
clusterreply_names(const redisReply *r, struct clusterreply_names *names)
{
	const redisReply	*e;
	size_t			 i, k;
	int			 error;

	memset(names, 0, sizeof *names);
	if ((error = expect(r, REDIS_REPLY_ARRAY)) != CLUSTERREPLY_OK)
		return error;
	for (i = 0; i < r->elements; i++) {
		if ((e = element(r, i)) == NULL ||
		    e->type != REDIS_REPLY_STRING || e->str == NULL)
			return CLUSTERREPLY_E_ELEMENT;
	}
	names->name = xreallocarray(NULL, r->elements + 1,
	    sizeof *names->name);
	for (i = 0; i < r->elements; i++) {
		e = r->element[i];
		if (e->len == 0 || e->len > NAME_MAX_LEN ||
		    memchr(e->str, '\0', e->len) != NULL) {
			names->invalid++;
			continue;
		}
		memcpy(names->name[names->n], e->str, e->len);
		names->name[names->n][e->len] = '\0';
		if (proto_name_valid(names->name[names->n]))
			names->n++;
		else
			names->invalid++;
	}
	/* Sorted, to look names up in any number of them. */
	qsort(names->name, names->n, sizeof *names->name, name_compare);
	for (i = k = 0; i < names->n; i++)
		if (k == 0 || strcmp(names->name[k - 1], names->name[i]) != 0)
			memmove(names->name[k++], names->name[i],
			    sizeof *names->name);
	names->n = k;
	return CLUSTERREPLY_OK;
}

/* Return 1 if name is one of names. */
int
clusterreply_names_has(const struct clusterreply_names *names,
    const char *name)
{
	if (names->n == 0)
		return 0;
	return bsearch(name, names->name, names->n, sizeof *names->name,
	    name_compare) != NULL;
}

/* Free what clusterreply_names() filled in. */
void
clusterreply_names_free(struct clusterreply_names *names)
{
	free(names->name);
	memset(names, 0, sizeof *names);
}

/*
 * The values of a hash (HGETALL: field, value, field, value...), every
 * element a string; free with _values_free().
 */
int
clusterreply_values(const redisReply *r, struct clusterreply_values *v)
{
	const redisReply	*e;
	size_t			 i;
	int			 error;

	memset(v, 0, sizeof *v);
	if ((error = expect(r, REDIS_REPLY_ARRAY)) != CLUSTERREPLY_OK)
		return error;
	if (r->elements % 2 != 0)
		return CLUSTERREPLY_E_COUNT;
	for (i = 0; i < r->elements; i++) {
		if ((e = element(r, i)) == NULL ||
		    e->type != REDIS_REPLY_STRING || e->str == NULL)
			return CLUSTERREPLY_E_ELEMENT;
	}
	v->value = xreallocarray(NULL, r->elements / 2 + 1, sizeof *v->value);
	for (i = 1; i < r->elements; i += 2) {
		v->value[v->n].p = (const uint8_t *)r->element[i]->str;
		v->value[v->n].len = r->element[i]->len;
		v->n++;
	}
	return CLUSTERREPLY_OK;
}

/* Free what clusterreply_values() filled in. */
void
clusterreply_values_free(struct clusterreply_values *v)
{
	free(v->value);
	memset(v, 0, sizeof *v);
}

/*
 * Which of n keys exist (MGET): exactly n elements, each a string (1 in
 * present) or nil (0).
 */
int
clusterreply_present(const redisReply *r, size_t n, uint8_t *present)
{
	const redisReply	*e;
	int			 error;

	if ((error = expect(r, REDIS_REPLY_ARRAY)) != CLUSTERREPLY_OK)
		return error;
	if (r->elements != n)
		return CLUSTERREPLY_E_COUNT;
	for (size_t i = 0; i < n; i++) {
		if ((e = element(r, i)) == NULL || (e->type != REDIS_REPLY_NIL &&
		    e->type != REDIS_REPLY_STRING))
			return CLUSTERREPLY_E_ELEMENT;
		present[i] = e->type == REDIS_REPLY_STRING;
	}
	return CLUSTERREPLY_OK;
}
