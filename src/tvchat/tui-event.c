/*
 * Protocol events into the scrollback: each event the client reports
 * (client.c) has a handler in the table at the end, which turns it into
 * chat or system lines (chatlog.c). The video's events are tui-video.c's;
 * tui.c dispatches to both tables.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "msg.h"
#include "tui-private.h"
#include "xmalloc.h"

/* Add a system line (printf style) to the scrollback. */
void
tui_system(struct tui *t, enum line_kind kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	chatlog_add(&t->log, time(NULL), kind, 0, NULL, NULL, text);
	if (t->scroll > 0)
		t->unread++;
	free(text);
	t->dirty = 1;
}

/* Return string member k of event ev, or "". */
const char *
tui_event_str(json_object *ev, const char *k)
{
	const char	*s = msg_get_str(ev, k);

	return s != NULL ? s : "";
}

/* Return 1 if text mentions name as a word (any case). */
static int
mentions(const char *text, const char *name)
{
	size_t	n = strlen(name);

	for (const char *p = text; (p = strcasestr(p, name)) != NULL; p++) {
		if ((p == text || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]))
			return 1;
	}
	return 0;
}

/* Return a target or a list ("#room" or "a, b") as a new string. */
char *
tui_event_list(json_object *to)
{
	char	*s;
	size_t	 len = 0;

	if (json_object_is_type(to, json_type_string))
		return xstrdup(json_object_get_string(to));
	s = xstrdup("");
	for (size_t i = 0; to != NULL && i < json_object_array_length(to);
	    i++) {
		const char *n = json_object_get_string(
		    json_object_array_get_idx(to, i));

		s = xreallocarray(s, len + strlen(n) + 3, 1);
		len += (size_t)sprintf(s + len, "%s%s", i ? ", " : "", n);
	}
	return s;
}

/* A chat event becomes a chat or action line. */
static void
event_chat(struct tui *t, json_object *ev)
{
	const char	*from = tui_event_str(ev, "from");
	const char	*text = tui_event_str(ev, "text");
	char		*to = tui_event_list(msg_get(ev, "to"));
	int		 flags = 0;

	if (json_object_get_boolean(msg_get(ev, "direct")))
		flags |= LINE_DIRECT;
	if (!json_object_get_boolean(msg_get(ev, "verified")))
		flags |= LINE_UNVERIFIED;
	if (proto_name_equal(from, t->client.name))
		flags |= LINE_SELF;
	else if (mentions(text, t->client.name))
		flags |= LINE_MENTION;
	chatlog_add(&t->log, (time_t)(msg_get_int(ev, "ts", 0) / 1000),
	    json_object_get_boolean(msg_get(ev, "action")) ? LINE_ACTION :
	    LINE_CHAT, flags, from, to, text);
	if (t->scroll > 0)
		t->unread++;
	free(to);
}

/* welcome: we are in. */
static void
event_welcome(struct tui *t, json_object *ev)
{
	json_object	*users = msg_get(ev, "users");

	t->backoff_ms = 0;
	tui_system(t, LINE_SYSTEM, "Connected to %s as %s (%zu here). "
	    "Your fingerprint: %s", tui_event_str(ev, "server"),
	    tui_event_str(ev, "name"), users ? json_object_array_length(users) :
	    0, tui_event_str(ev, "fingerprint"));
	if (*tui_event_str(ev, "motd") != '\0')
		tui_system(t, LINE_SYSTEM, "%s", tui_event_str(ev, "motd"));
	tui_system(t, LINE_SYSTEM, "Type to talk in %s; /help lists "
	    "the commands.", t->client.room);
}

/* join: a user came. */
static void
event_join(struct tui *t, json_object *ev)
{
	json_object	*u = msg_get(ev, "user");

	tui_system(t, strcmp(tui_event_str(u, "trust"), "changed") == 0 ?
	    LINE_WARNING : LINE_SYSTEM, "%s joined (%s%s)",
	    tui_event_str(ev, "name"), tui_event_str(u, "fingerprint"),
	    strcmp(tui_event_str(u, "trust"), "new") == 0 ?
	    ", first time seen: not verified yet" :
	    strcmp(tui_event_str(u, "trust"), "changed") == 0 ?
	    ", KEY CHANGED: unverified" : "");
}

/* leave: a user went. */
static void
event_leave(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "%s left (%s)", tui_event_str(ev, "name"),
	    tui_event_str(ev, "reason"));
}

/* room-join: a user joined a room. */
static void
event_room_join(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "%s joined %s", tui_event_str(ev, "name"),
	    tui_event_str(ev, "room"));
}

/* room-leave: a user left a room. */
static void
event_room_leave(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "%s left %s", tui_event_str(ev, "name"),
	    tui_event_str(ev, "room"));
}

/* key-changed: a known user came with another key. */
static void
event_key_changed(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_WARNING, "WARNING: %s's KEY HAS CHANGED!",
	    tui_event_str(ev, "name"));
	tui_system(t, LINE_WARNING, "known: %s", tui_event_str(ev, "known"));
	tui_system(t, LINE_WARNING, "now:   %s",
	    tui_event_str(ev, "fingerprint"));
	tui_system(t, LINE_WARNING, "Their messages are marked "
	    "UNVERIFIED. Compare fingerprints with them another way, "
	    "then /trust %s.", tui_event_str(ev, "name"));
}

/* duplicate: a chat message came again. */
static void
event_duplicate(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "A copy of a message from %s came "
	    "again; it is shown once.", tui_event_str(ev, "from"));
}

/* chat-failed: a chat message did not open or verify. */
static void
event_chat_failed(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_WARNING, "A message claiming to be from %s "
	    "was rejected: %s", tui_event_str(ev, "from"),
	    tui_event_str(ev, "reason"));
}

/* before-join: a message sent before we could read the conversation. */
static void
event_before_join(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "A message from %s was sent before you "
	    "joined; it cannot be read here.", tui_event_str(ev, "from"));
}

/* sender-key-failed: a member's session key could not be taken. */
static void
event_sender_key_failed(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_WARNING, "A session key claiming to be from %s "
	    "was rejected: %s", tui_event_str(ev, "from"),
	    tui_event_str(ev, "reason"));
}

/* rotated: our next message there starts a new session key. */
static void
event_rotated(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "Your next message in %s starts a new "
	    "session key.", tui_event_str(ev, "room"));
}

/* bad-key: a user's key cannot be used. */
static void
event_bad_key(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_WARNING, "%s has an unusable key: %s",
	    tui_event_str(ev, "name"), tui_event_str(ev, "message"));
}

/* error: from the server or the client. */
static void
event_error(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_ERROR, "%s [%s]", tui_event_str(ev, "message"),
	    tui_event_str(ev, "code"));
}

/* who: the users (of a room). */
static void
event_who(struct tui *t, json_object *ev)
{
	json_object	*users = msg_get(ev, "users");

	tui_system(t, LINE_SYSTEM, "%zu %s%s:", users ?
	    json_object_array_length(users) : 0, "users",
	    *tui_event_str(ev, "room") ? " in the room" : " here");
	for (size_t i = 0; users && i < json_object_array_length(users);
	    i++) {
		json_object *u = json_object_array_get_idx(users, i);

		tui_system(t, LINE_SYSTEM, "  %-16s %s %s",
		    tui_event_str(u, "name"), tui_event_str(u, "fingerprint"),
		    strcmp(tui_event_str(u, "trust"), "changed") == 0 ?
		    "KEY CHANGED" : "");
	}
}

/* verify: a user's key fingerprints. */
static void
event_verify(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "%s: key now %s, recorded %s (%s)",
	    tui_event_str(ev, "name"), *tui_event_str(ev, "fingerprint") ?
	    tui_event_str(ev, "fingerprint") : "(not here)",
	    *tui_event_str(ev, "known") ? tui_event_str(ev, "known") :
	    "(never seen)",
	    *tui_event_str(ev, "trust") ? tui_event_str(ev, "trust") : "-");
}

/* trusted: we trust a key now. */
static void
event_trusted(struct tui *t, json_object *ev)
{
	tui_system(t, LINE_SYSTEM, "You now trust %s's key %s",
	    tui_event_str(ev, "name"), tui_event_str(ev, "fingerprint"));
}

const struct tui_handler tui_event_handlers[] = {
	{ "chat", event_chat },
	{ "welcome", event_welcome },
	{ "join", event_join },
	{ "leave", event_leave },
	{ "room-join", event_room_join },
	{ "room-leave", event_room_leave },
	{ "key-changed", event_key_changed },
	{ "duplicate", event_duplicate },
	{ "chat-failed", event_chat_failed },
	{ "before-join", event_before_join },
	{ "sender-key-failed", event_sender_key_failed },
	{ "rotated", event_rotated },
	{ "bad-key", event_bad_key },
	{ "error", event_error },
	{ "who", event_who },
	{ "verify", event_verify },
	{ "trusted", event_trusted },
	{ NULL, NULL }
};
