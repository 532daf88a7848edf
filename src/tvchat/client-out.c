/*
 * What the client's protocol side puts out: events for the front end
 * (JSON objects, the --batch output format, through one callback) and
 * messages queued for the server.
 */
#include "config.h"

#include "client-private.h"
#include "msg.h"

/* Emit an event object (released after the callback). */
void
client_emit(struct client *c, json_object *ev)
{
	c->emit(c->emit_arg, ev);
	json_object_put(ev);
}

/* Return a new event {"event": name}. */
json_object *
client_event(const char *name)
{
	json_object	*ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string(name));
	return ev;
}

/* Add string member k (if v is not NULL). */
void
client_add_str(json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

/* Emit a local error event (not from the server). */
void
client_error(struct client *c, const char *code, const char *text)
{
	json_object	*ev = client_event("error");

	client_add_str(ev, "code", code);
	client_add_str(ev, "message", text);
	json_object_object_add(ev, "local", json_object_new_boolean(1));
	client_emit(c, ev);
}

/* Queue a message for the server (m is released). */
void
client_send(struct client *c, json_object *m)
{
	if (msg_encode_free(m, &c->out) != 0)
		client_error(c, "too-big", "message not sent: too big or the "
		    "connection is not keeping up");
}

