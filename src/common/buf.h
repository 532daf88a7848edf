/* A growable byte buffer with a hard cap, and big-endian helpers. */
#ifndef TVCHAT_BUF_H
#define TVCHAT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 off;	/* start of unread bytes */
	size_t	 len;	/* unread bytes after off */
	size_t	 size;	/* allocated */
	size_t	 max;	/* never hold more than this many unread bytes */
};

void		 buf_init(struct buf *, size_t);
void		 buf_free(struct buf *);
void		 buf_reset(struct buf *);
int		 buf_append(struct buf *, const void *, size_t);
uint8_t		*buf_reserve(struct buf *, size_t);
void		 buf_commit(struct buf *, size_t);
void		 buf_consume(struct buf *, size_t);
size_t		 buf_room(const struct buf *);

/* Unread bytes and their count. */
static inline const uint8_t *
buf_ptr(const struct buf *b)
{
	return b->data == NULL ? (const uint8_t *)"" : b->data + b->off;
}

static inline size_t
buf_len(const struct buf *b)
{
	return b->len;
}

static inline void
be16enc(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32enc(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t
be16dec(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
be32dec(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

#endif
