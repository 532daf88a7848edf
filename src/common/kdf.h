/* HMAC-SHA256 and HKDF-SHA256 (RFC 5869) over libgcrypt's gcry_mac. */
#ifndef TVCHAT_KDF_H
#define TVCHAT_KDF_H

#include <stddef.h>
#include <stdint.h>

#define KDF_HASH_LEN	32		/* SHA-256 */
#define KDF_OUT_MAX	(255 * KDF_HASH_LEN)	/* RFC 5869's limit */

int	kdf_hmac(const uint8_t *, size_t, const uint8_t *, size_t,
	    uint8_t [KDF_HASH_LEN]);
int	kdf_hkdf(const uint8_t *, size_t, const uint8_t *, size_t,
	    const uint8_t *, size_t, uint8_t *, size_t);

#endif
