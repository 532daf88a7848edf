/* Ed25519 signatures and X25519 key agreement on raw 32-byte keys. */
#ifndef TVCHAT_ECC_H
#define TVCHAT_ECC_H

#include <stddef.h>
#include <stdint.h>

#define ECC_KEY_LEN	32	/* an Ed25519 or X25519 key, either half */
#define ECC_SIG_LEN	64	/* an Ed25519 signature: R | S */
/* The longest data signed or verified: libgcrypt's S-expressions have
 * 16-bit lengths, and 1.10.1 aborts the process from 65490 bytes on. */
#define ECC_DATA_MAX	(60 * 1024)

/* An Ed25519 key pair: the secret is RFC 8032's 32-byte seed. */
struct ecc_signer {
	uint8_t	secret[ECC_KEY_LEN];
	uint8_t	pub[ECC_KEY_LEN];
};

int	ecc_sign_generate(struct ecc_signer *);
int	ecc_sign_from_secret(struct ecc_signer *, const uint8_t *);
int	ecc_sign(const struct ecc_signer *, const uint8_t *, size_t,
	    uint8_t [ECC_SIG_LEN]);
int	ecc_verify(const uint8_t [ECC_KEY_LEN], const uint8_t *, size_t,
	    const uint8_t [ECC_SIG_LEN]);

void	ecc_dh_generate(uint8_t [ECC_KEY_LEN], uint8_t [ECC_KEY_LEN]);
int	ecc_dh_public(const uint8_t [ECC_KEY_LEN], uint8_t [ECC_KEY_LEN]);
int	ecc_dh(const uint8_t [ECC_KEY_LEN], const uint8_t [ECC_KEY_LEN],
	    uint8_t [ECC_KEY_LEN]);

#endif
