/*
 * Protocol 1's per-message RSA scheme (seal-v1.c), kept for bench/crypto.c
 * to measure beside sender keys. Not part of tvchat.
 */
#ifndef SEAL_V1_H
#define SEAL_V1_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct crypto_key;

/* A recipient of a sealed message: name as on the roster, public key. */
struct crypto_recipient {
	const char			*name;
	const struct crypto_key		*key;
};

int	crypto_seal(const struct crypto_key *, const char *, json_object *,
	    const char *, const struct crypto_recipient *, size_t,
	    const uint8_t *, size_t, json_object **);
int	crypto_open(const struct crypto_key *, const char *,
	    const struct crypto_key *, const char *, json_object *,
	    const char *, json_object *, uint8_t **, size_t *);

#endif
