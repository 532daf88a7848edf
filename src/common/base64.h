/* Base64 (RFC 4648): url-safe unpadded for the wire, standard for display. */
#ifndef TVCHAT_BASE64_H
#define TVCHAT_BASE64_H

#include <stddef.h>
#include <stdint.h>

#define BASE64_ENCODED_LEN(n)	((((n) + 2) / 3) * 4)

char	*base64url_encode(const uint8_t *, size_t);
int	 base64url_decode(const char *, uint8_t **, size_t *);
int	 base64url_canonical(const char *, size_t);
size_t	 base64_decoded_len(size_t);
char	*base64_encode_nopad(const uint8_t *, size_t);

#endif
