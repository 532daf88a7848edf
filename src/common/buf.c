/* A growable byte buffer that refuses to grow past its cap. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Initialise an empty buffer that will hold at most max unread bytes. */
void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

/* Release the buffer's memory; it is empty and reusable afterwards. */
void
buf_free(struct buf *b)
{
	size_t	max = b->max;

	free(b->data);
	buf_init(b, max);
}

/* Drop all unread bytes, keeping the allocation. */
void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

/* Return how many more bytes the cap allows. */
size_t
buf_room(const struct buf *b)
{
	return b->max - b->len;
}

/*
 * Return a pointer to n writable bytes after the unread data, growing or
 * compacting as needed; NULL if that would exceed the cap. Pair with
 * buf_commit() once the bytes are filled.
 */
uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t	need, newsize;

	if (n > buf_room(b))
		return NULL;
	need = b->len + n;
	if (b->off + need > b->size && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	if (b->off + need > b->size || b->data == NULL) {
		newsize = b->size < 256 ? 256 : b->size;
		while (newsize < need)
			newsize = newsize > b->max / 2 ? b->max : newsize * 2;
		b->data = xreallocarray(b->data, 1, newsize);
		b->size = newsize;
	}
	return b->data + b->off + b->len;
}

/* Mark n bytes, written after buf_reserve(), as unread data. */
void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

/* Append n bytes; return 0, or -1 (nothing appended) if over the cap. */
int
buf_append(struct buf *b, const void *p, size_t n)
{
	uint8_t	*dst;

	if (n == 0)
		return 0;
	if ((dst = buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(dst, p, n);
	buf_commit(b, n);
	return 0;
}

/* Discard the first n unread bytes (n is clamped to what is there). */
void
buf_consume(struct buf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}
