/*
 * Base64 of RFC 4648: the url-safe alphabet without padding (section 5) is
 * what travels on the wire; the standard alphabet without padding is used
 * for fingerprints, as OpenSSH prints them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "xmalloc.h"

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encode p[0..len) with alphabet, unpadded; return a new string. */
static char *
encode(const char *alphabet, const uint8_t *p, size_t len)
{
	char	*out, *o;
	size_t	 i;
	uint32_t v;

	out = o = xmalloc(BASE64_ENCODED_LEN(len) + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
		*o++ = alphabet[(v >> 18) & 63];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = alphabet[(v >> 18) & 63];
		*o++ = alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
		*o++ = alphabet[(v >> 18) & 63];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
	}
	*o = '\0';
	return out;
}

/* Return the unpadded base64url encoding of p[0..len) as a new string. */
char *
base64url_encode(const uint8_t *p, size_t len)
{
	return encode(b64url, p, len);
}

/* Return the unpadded standard base64 encoding of p[0..len). */
char *
base64_encode_nopad(const uint8_t *p, size_t len)
{
	return encode(b64std, p, len);
}

/* Return the 6-bit value of a base64url character, or -1. */
static int
url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Return 1 if s[0..len) is what base64url_decode() accepts: the url-safe
 * alphabet, no padding, not 1 mod 4 long, the unused trailing bits zero;
 * else 0.
 */
int
base64url_canonical(const char *s, size_t len)
{
	int	last;

	if (len % 4 == 1)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (url_value((unsigned char)s[i]) < 0)
			return 0;
	if (len % 4 == 0)
		return 1;
	last = url_value((unsigned char)s[len - 1]);
	return (last & (len % 4 == 2 ? 0x0f : 0x03)) == 0;
}

/* Return the number of bytes len characters of unpadded base64 encode. */
size_t
base64_decoded_len(size_t len)
{
	return len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
}

/*
 * Decode unpadded base64url s into a new buffer at *out (*outlen bytes).
 * Strict: rejects padding, whitespace, other characters, a length of 1
 * mod 4, and non-zero unused trailing bits, so every byte string has
 * exactly one accepted encoding. Returns 0, or -1 with nothing allocated.
 */
int
base64url_decode(const char *s, uint8_t **out, size_t *outlen)
{
	size_t	 len = strlen(s), i, o = 0;
	uint8_t	*buf;
	uint32_t v = 0;
	int	 bits = 0, c;

	if (len % 4 == 1)
		return -1;
	buf = xmalloc(len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if ((c = url_value((unsigned char)s[i])) < 0) {
			free(buf);
			return -1;
		}
		v = (v << 6) | (uint32_t)c;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	if (v != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = o;
	return 0;
}
