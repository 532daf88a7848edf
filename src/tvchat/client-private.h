/*
 * What the files of the client's protocol side share: events for the
 * front end and messages for the server (client-out.c), the roster
 * (roster.c) and chat (chat.c). Front ends use client.h only.
 */
#ifndef TVCHAT_CLIENT_PRIVATE_H
#define TVCHAT_CLIENT_PRIVATE_H

#include "client.h"

/* client-out.c */
json_object	*client_event(const char *);
void		 client_add_str(json_object *, const char *, const char *);
void		 client_emit(struct client *, json_object *);
void		 client_error(struct client *, const char *, const char *);

/* roster.c */
struct peer	*roster_add(struct client *, json_object *);
void		 roster_remove(struct client *, const char *);
void		 roster_clear(struct client *);
json_object	*roster_object(const struct peer *);

/* chat.c */
void		 chat_on_chat(struct client *, json_object *);
void		 chat_on_sender_key(struct client *, json_object *);
void		 chat_gone(struct client *, const char *, const char *, int);
int		 chat_prekey(struct client *, json_object **);
int		 chat_timeout(struct client *);
void		 chat_flush(struct client *);
void		 chat_closed(struct client *);
void		 chat_free(struct client *);

#endif
