/* Trust on first use: the keys this user has seen, per server and name. */
#ifndef TVCHAT_KNOWNKEYS_H
#define TVCHAT_KNOWNKEYS_H

enum trust {
	TRUST_NEW,	/* first time seen: recorded now */
	TRUST_KNOWN,	/* same key as recorded */
	TRUST_CHANGED	/* a different key than recorded: warn */
};

struct knownkeys;

struct knownkeys *knownkeys_open(const char *, const char *);
void		 knownkeys_free(struct knownkeys *);
enum trust	 knownkeys_check(struct knownkeys *, const char *,
		    const char *);
const char	*knownkeys_get(struct knownkeys *, const char *);
int		 knownkeys_set(struct knownkeys *, const char *, const char *);
int		 knownkeys_flush(struct knownkeys *);
const char	*trust_name(enum trust);
char		*knownkeys_default_path(void);

#endif
