/*
 * Strict JSON syntax, RFC 8259, over the raw bytes of a message. json-c,
 * even in its strict mode, takes NaN, Infinity, "1." and raw control
 * characters in strings; what one peer accepts and another refuses is
 * how two implementations come to read one message differently, so every
 * message is checked here first. Also refused: \u escapes of U+0000 (a
 * member name would be cut there) and lone surrogates (json-c makes them
 * U+FFFD). The member count lets the caller find duplicate names, which
 * json-c silently merges. A recursive descent, its depth capped.
 */
#include "config.h"

#include <string.h>

#include "jsonsyntax.h"

struct lexer {
	const uint8_t	*p;
	size_t		 len;
	size_t		 i;
	int		 max_depth;
	size_t		 members;
	enum jsonsyntax	 error;
	const char	*why;
};

static int	value(struct lexer *, int);

/* Record the first error; return -1. */
static int
bad(struct lexer *lx, enum jsonsyntax e, const char *why)
{
	if (lx->error == JSONSYNTAX_OK) {
		lx->error = e;
		lx->why = why;
	}
	return -1;
}

/* Skip RFC 8259 white space. */
static void
skip_ws(struct lexer *lx)
{
	while (lx->i < lx->len && strchr(" \t\r\n", lx->p[lx->i]) != NULL &&
	    lx->p[lx->i] != '\0')
		lx->i++;
}

/* Return the value of four hex digits at p, or -1. */
static int
hex4(const uint8_t *p)
{
	int	v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Read a \u escape after its "\u"; 0 or -1. Surrogates come in pairs. */
static int
unicode_escape(struct lexer *lx)
{
	int	v, w;

	if (lx->len - lx->i < 4 || (v = hex4(lx->p + lx->i)) < 0)
		return bad(lx, JSONSYNTAX_BAD, "a \\u escape needs 4 hex digits");
	lx->i += 4;
	if (v == 0)
		return bad(lx, JSONSYNTAX_ESCAPE, "a \\u escape is U+0000");
	if (v >= 0xdc00 && v <= 0xdfff)
		return bad(lx, JSONSYNTAX_ESCAPE,
		    "a \\u escape is a lone surrogate");
	if (v < 0xd800 || v > 0xdbff)
		return 0;
	if (lx->len - lx->i < 6 || lx->p[lx->i] != '\\' ||
	    lx->p[lx->i + 1] != 'u' || (w = hex4(lx->p + lx->i + 2)) < 0 ||
	    w < 0xdc00 || w > 0xdfff)
		return bad(lx, JSONSYNTAX_ESCAPE,
		    "a \\u escape is a lone surrogate");
	lx->i += 6;
	return 0;
}

/* Read a string at its opening quote; 0 or -1. */
static int
string(struct lexer *lx)
{
	lx->i++;
	while (lx->i < lx->len) {
		uint8_t c = lx->p[lx->i++];

		if (c == '"')
			return 0;
		if (c < 0x20)
			return bad(lx, JSONSYNTAX_BAD,
			    "a control character in a string");
		if (c != '\\')
			continue;
		if (lx->i >= lx->len)
			break;
		c = lx->p[lx->i++];
		if (c == 'u') {
			if (unicode_escape(lx) != 0)
				return -1;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return bad(lx, JSONSYNTAX_BAD, "a bad escape");
	}
	return bad(lx, JSONSYNTAX_BAD, "an unterminated string");
}

/* Skip digits; return how many. */
static size_t
digits(struct lexer *lx)
{
	size_t	start = lx->i;

	while (lx->i < lx->len && lx->p[lx->i] >= '0' && lx->p[lx->i] <= '9')
		lx->i++;
	return lx->i - start;
}

/* Read a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; 0/-1. */
static int
number(struct lexer *lx)
{
	if (lx->p[lx->i] == '-')
		lx->i++;
	if (lx->i < lx->len && lx->p[lx->i] == '0')
		lx->i++;
	else if (digits(lx) == 0)
		return bad(lx, JSONSYNTAX_BAD, "a bad number");
	if (lx->i < lx->len && lx->p[lx->i] == '.') {
		lx->i++;
		if (digits(lx) == 0)
			return bad(lx, JSONSYNTAX_BAD,
			    "a number needs digits after its point");
	}
	if (lx->i < lx->len && (lx->p[lx->i] == 'e' || lx->p[lx->i] == 'E')) {
		lx->i++;
		if (lx->i < lx->len && (lx->p[lx->i] == '+' ||
		    lx->p[lx->i] == '-'))
			lx->i++;
		if (digits(lx) == 0)
			return bad(lx, JSONSYNTAX_BAD,
			    "a number needs digits in its exponent");
	}
	return 0;
}

/* Read the literal word (true, false, null); 0 or -1. */
static int
literal(struct lexer *lx, const char *word)
{
	size_t	n = strlen(word);

	if (lx->len - lx->i < n || memcmp(lx->p + lx->i, word, n) != 0)
		return bad(lx, JSONSYNTAX_BAD,
		    "not a JSON value (NaN and Infinity are not JSON)");
	lx->i += n;
	return 0;
}

/* Read an object or array at its opening bracket; 0 or -1. */
static int
container(struct lexer *lx, int depth)
{
	int	object = lx->p[lx->i] == '{';
	char	close = object ? '}' : ']';

	if (depth >= lx->max_depth)
		return bad(lx, JSONSYNTAX_BAD, "nested too deeply");
	lx->i++;
	skip_ws(lx);
	if (lx->i < lx->len && lx->p[lx->i] == close) {
		lx->i++;
		return 0;
	}
	for (;;) {
		if (object) {
			skip_ws(lx);
			if (lx->i >= lx->len || lx->p[lx->i] != '"')
				return bad(lx, JSONSYNTAX_BAD,
				    "a member name must be a string");
			if (string(lx) != 0)
				return -1;
			skip_ws(lx);
			if (lx->i >= lx->len || lx->p[lx->i] != ':')
				return bad(lx, JSONSYNTAX_BAD,
				    "a ':' must follow a member name");
			lx->i++;
			lx->members++;
		}
		if (value(lx, depth + 1) != 0)
			return -1;
		skip_ws(lx);
		if (lx->i < lx->len && lx->p[lx->i] == ',') {
			lx->i++;
			continue;
		}
		if (lx->i < lx->len && lx->p[lx->i] == close) {
			lx->i++;
			return 0;
		}
		return bad(lx, JSONSYNTAX_BAD, object ?
		    "a ',' or '}' must follow a member" :
		    "a ',' or ']' must follow an element");
	}
}

/* Read one value and the white space around it; 0 or -1. */
static int
value(struct lexer *lx, int depth)
{
	int	r;

	skip_ws(lx);
	if (lx->i >= lx->len)
		return bad(lx, JSONSYNTAX_BAD, "unexpected end");
	switch (lx->p[lx->i]) {
	case '{':
	case '[':
		r = container(lx, depth);
		break;
	case '"':
		r = string(lx);
		break;
	case 't':
		r = literal(lx, "true");
		break;
	case 'f':
		r = literal(lx, "false");
		break;
	case 'n':
		r = literal(lx, "null");
		break;
	default:
		if (lx->p[lx->i] == '-' ||
		    (lx->p[lx->i] >= '0' && lx->p[lx->i] <= '9'))
			r = number(lx);
		else
			r = literal(lx, "null");	/* reports the error */
	}
	skip_ws(lx);
	return r;
}

/*
 * Check that p[0..len) is one JSON value, nested at most max_depth deep.
 * Stores the number of object members in it in *members. Returns
 * JSONSYNTAX_OK, or an error and in *why (static) the first problem.
 */
enum jsonsyntax
jsonsyntax_check(const uint8_t *p, size_t len, int max_depth,
    size_t *members, const char **why)
{
	struct lexer	lx = { p, len, 0, max_depth, 0, JSONSYNTAX_OK, NULL };

	*members = 0;
	*why = NULL;
	if (value(&lx, 0) == 0 && lx.i != len)
		bad(&lx, JSONSYNTAX_BAD, "trailing data after the value");
	*members = lx.members;
	*why = lx.why;
	return lx.error;
}
