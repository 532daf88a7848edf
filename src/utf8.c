/* Strict UTF-8 validation (RFC 3629): no overlongs, surrogates or NULs. */
#include "config.h"

#include "utf8.h"

/*
 * Return the length of the UTF-8 sequence at p[0..len), or 0 if it is not
 * a valid, shortest-form encoding of a scalar value other than U+0000.
 */
static size_t
utf8_sequence(const uint8_t *p, size_t len)
{
	uint32_t	cp;
	size_t		n, i;

	if (p[0] == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Return 1 if p[0..len) is valid UTF-8 without NUL bytes, else 0. */
int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t	i = 0, n;

	while (i < len) {
		if ((n = utf8_sequence(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Return the number of code points in valid UTF-8 p[0..len). */
size_t
utf8_count(const uint8_t *p, size_t len)
{
	size_t	count = 0;

	for (size_t i = 0; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			count++;
	return count;
}
