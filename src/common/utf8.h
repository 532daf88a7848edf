/* UTF-8 validation. */
#ifndef TVCHAT_UTF8_H
#define TVCHAT_UTF8_H

#include <stddef.h>
#include <stdint.h>

int		utf8_valid(const uint8_t *, size_t);
uint32_t	utf8_decode(const uint8_t *, size_t, size_t *);
size_t		utf8_encode(uint32_t, char *);
size_t	utf8_count(const uint8_t *, size_t);

#endif
