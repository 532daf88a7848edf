/*
 * What crypto.c shares with the rest of the crypto family (senderkey.c,
 * distribution.c, ecc.c): the key itself, and the signing and encoding
 * helpers they use. Not for other modules.
 */
#ifndef TVCHAT_CRYPTO_INTERNAL_H
#define TVCHAT_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "buf.h"
#include "crypto.h"

struct crypto_key {
	gcry_sexp_t	 pub;		/* (public-key (rsa (n)(e))) */
	gcry_sexp_t	 priv;		/* NULL for a public key */
	char		*n_b64;
	char		*e_b64;
	unsigned int	 bits;
	size_t		 modlen;	/* modulus length in bytes */
	char		 fingerprint[CRYPTO_FINGERPRINT_LEN];
};

int		 crypto_sexp_bytes(gcry_sexp_t, const char *, size_t,
		    uint8_t **, size_t *);
void		 crypto_put_string(struct buf *, const void *, size_t);
int		 crypto_pss_sign(const struct crypto_key *, const struct buf *,
		    uint8_t **, size_t *);
int		 crypto_pss_verify(const struct crypto_key *,
		    const struct buf *, const uint8_t *, size_t);
const char	*crypto_exact_string(json_object *);

#endif
