/* AES-256-GCM with a 12-byte nonce and a 16-byte tag (libgcrypt). */
#ifndef TVCHAT_AEAD_H
#define TVCHAT_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define AEAD_KEY_LEN	32
#define AEAD_NONCE_LEN	12
#define AEAD_TAG_LEN	16

int	aead_seal(const uint8_t [AEAD_KEY_LEN], const uint8_t [AEAD_NONCE_LEN],
	    const uint8_t *, size_t, const uint8_t *, size_t, uint8_t *,
	    uint8_t [AEAD_TAG_LEN]);
int	aead_open(const uint8_t [AEAD_KEY_LEN], const uint8_t [AEAD_NONCE_LEN],
	    const uint8_t *, size_t, const uint8_t *, size_t,
	    const uint8_t [AEAD_TAG_LEN], uint8_t *);

#endif
