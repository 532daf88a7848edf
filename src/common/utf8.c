/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or NULs; decoding. */
#include "config.h"

#include "utf8.h"

/*
 * Return the length of the UTF-8 sequence at p[0..len) and store its code
 * point in *out, or return 0 if it is not a valid, shortest-form encoding
 * of a scalar value.
 */
static size_t
utf8_sequence(const uint8_t *p, size_t len, uint32_t *out)
{
	uint32_t	cp;
	size_t		n, i;

	if (p[0] < 0x80) {
		*out = p[0];
		return 1;
	}
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
	*out = cp;
	return n;
}

/* Decode one UTF-8 sequence at p (len bytes); *used gets its length.
 * Invalid bytes decode as U+FFFD one byte at a time. */
uint32_t
utf8_decode(const uint8_t *p, size_t len, size_t *used)
{
	uint32_t	cp;

	if ((*used = utf8_sequence(p, len, &cp)) == 0) {
		*used = 1;
		return 0xfffd;
	}
	return cp;
}

/* Encode cp as UTF-8 into out (4 bytes room); return the length. */
size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Return 1 if p[0..len) is valid UTF-8 without NUL bytes, else 0. */
int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t		i = 0, n;
	uint32_t	cp;

	while (i < len) {
		/* NUL is valid UTF-8 but never valid in our text. */
		if (p[i] == 0 || (n = utf8_sequence(p + i, len - i, &cp)) == 0)
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
