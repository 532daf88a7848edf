/* Strict JSON syntax (RFC 8259), checked before json-c parses a message. */
#ifndef TVCHAT_JSONSYNTAX_H
#define TVCHAT_JSONSYNTAX_H

#include <stddef.h>
#include <stdint.h>

enum jsonsyntax {
	JSONSYNTAX_OK,
	JSONSYNTAX_BAD,		/* not RFC 8259 JSON */
	JSONSYNTAX_ESCAPE	/* a \u escape of U+0000 or a lone surrogate */
};

enum jsonsyntax	jsonsyntax_check(const uint8_t *, size_t, int, size_t *,
		    const char **);

#endif
