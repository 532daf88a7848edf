/*
 * The builder of hiredis' reply trees in cluster mode (see
 * clusterreader.h).
 *
 * hiredis 0.14 builds reply trees without limits (an array header alone
 * makes it allocate up to 16 GB) and its asynchronous dispatcher asserts
 * on what it does not expect (a reply nobody asked for, a pubsub array
 * of the wrong shape): a hostile Redis could stop the broker with one
 * line. So the trees are built here, capped, and each whole reply is
 * shown to a guard that may refuse it; hiredis takes a refusal as out of
 * memory and closes the connection, which cluster-link.c takes as Redis
 * going away.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>

#include "clusterreader.h"
#include "xmalloc.h"

/* hiredis 1.x counts array elements in a size_t. */
#if HIREDIS_MAJOR >= 1
typedef size_t	array_count;
#else
typedef int	array_count;
#endif

#define RESP3	"a RESP3 type (never asked for)"

/* Refuse an object (why: for the log); hiredis gets NULL. */
static void *
refuse(const redisReadTask *task, const char *why)
{
	struct clusterreader_guard	*g = task->privdata;

	if (g != NULL)
		g->refused = why;
	return NULL;
}

/*
 * Put a new object into its parent; if it completes a whole reply (whole:
 * it is not an array still to be filled), show the guard that reply.
 * Returns r, or NULL (r freed) if the guard refused.
 */
static void *
tree_add(const redisReadTask *task, redisReply *r, int whole)
{
	struct clusterreader_guard	*g = task->privdata;
	const redisReadTask		*t;
	redisReply			*parent = NULL, *root = r;

	if (task->parent != NULL) {
		parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	if (!whole || g == NULL || g->accept == NULL)
		return r;
	for (t = task; t->parent != NULL; t = t->parent)
		if (t->idx != t->parent->elements - 1)
			return r;	/* more elements to come */
	if (t != task)
		root = t->obj;
	if (g->accept(g->arg, root))
		return r;
	/* hiredis frees the tree built so far, without this object. */
	if (parent != NULL)
		parent->element[task->idx] = NULL;
	freeReplyObject(r);
	return refuse(task, "a reply nobody asked for, or a pubsub reply of "
	    "the wrong shape");
}

/* A new object of type; freeReplyObject() frees it. */
static redisReply *
object_new(int type)
{
	redisReply	*r = xcalloc(1, sizeof *r);

	r->type = type;
	return r;
}

/* hiredis' builders, each returning its object (NULL: refused): a bulk
 * string, a status or an error. */
static void *
build_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply	*r;

	if (task->type != REDIS_REPLY_STRING &&
	    task->type != REDIS_REPLY_STATUS && task->type != REDIS_REPLY_ERROR)
		return refuse(task, RESP3);
	r = object_new(task->type);
	r->str = xmalloc(len + 1);
	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return tree_add(task, r, 1);
}

/* An array of so many elements, to be filled (none over the cap). */
static void *
build_array(const redisReadTask *task, array_count elements)
{
	redisReply	*r;

	if (task->type != REDIS_REPLY_ARRAY)
		return refuse(task, RESP3);
	/* (A negative int is huge as an unsigned long long.) */
	if ((unsigned long long)elements > CLUSTERREADER_MAX_ELEMENTS)
		return refuse(task, "an array of too many elements");
	r = object_new(REDIS_REPLY_ARRAY);
	if (elements > 0)
		r->element = xcalloc((size_t)elements, sizeof *r->element);
	r->elements = (size_t)elements;
	return tree_add(task, r, elements == 0);
}

/* An integer. */
static void *
build_integer(const redisReadTask *task, long long value)
{
	redisReply	*r = object_new(REDIS_REPLY_INTEGER);

	r->integer = value;
	return tree_add(task, r, 1);
}

/* A nil (a missing string or array). */
static void *
build_nil(const redisReadTask *task)
{
	return tree_add(task, object_new(REDIS_REPLY_NIL), 1);
}

#if HIREDIS_MAJOR >= 1
/* RESP3 doubles and booleans: never asked for (we do not send HELLO 3). */
static void *
build_double(const redisReadTask *task, double d, char *str, size_t len)
{
	return refuse(task, RESP3);
}

/* Likewise. */
static void *
build_bool(const redisReadTask *task, int b)
{
	return refuse(task, RESP3);
}
#endif

static redisReplyObjectFunctions builders = {
	.createString = build_string,
	.createArray = build_array,
	.createInteger = build_integer,
	.createNil = build_nil,
#if HIREDIS_MAJOR >= 1
	.createDouble = build_double,
	.createBool = build_bool,
#endif
	.freeObject = freeReplyObject,
};

/* Make a reader build its trees here, shown to g (NULL: to nobody). */
void
clusterreader_install(redisReader *reader, struct clusterreader_guard *g)
{
	reader->fn = &builders;
	reader->privdata = g;
}

/*
 * Return 1 if hiredis 0.14's pubsub dispatcher (__redisGetSubscribeCallback)
 * can take a whole reply without failing one of its asserts, else 0.
 */
int
clusterreader_pubsub_ok(const redisReply *r)
{
	const char	*kind;

	if (r->type != REDIS_REPLY_ARRAY)
		return 1;
	if (r->elements < 2 || r->element == NULL ||
	    r->element[0] == NULL || r->element[1] == NULL ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		return 0;
	/* As hiredis reads it: up to a NUL, any case, 'p' for patterns. */
	kind = r->element[0]->str;
	if (tolower((unsigned char)kind[0]) == 'p')
		kind++;
	if (strcasecmp(kind, "unsubscribe") != 0)
		return 1;
	return r->elements >= 3 && r->element[2] != NULL &&
	    r->element[2]->type == REDIS_REPLY_INTEGER;
}
