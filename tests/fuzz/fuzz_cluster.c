/*
 * Fuzz target for what cluster nodes read from Redis (clusternote.c,
 * user.c): the input is a note as published on the shared channel, and
 * also a run of chat parcels as published on a node's own channel.
 * Invariants: parcels never reach past the input and tile it exactly
 * when parsing succeeds; a user record that parses has a valid name,
 * rooms and key members; a watch state that parses is written back as
 * text that parses to the same state; anything else aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusternote.h"
#include "user.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_cluster: %s\n", what);
	abort();
}

/* Check a parsed user record's invariants. */
static void
check_user(const struct presence_slot *u)
{
	if (!proto_name_valid(u->name) || !proto_name_valid(u->node) ||
	    u->key_n[0] == '\0' || u->key_e[0] == '\0' ||
	    u->state != SLOT_ACTIVE || u->remote_slot < 0)
		fail("a record parsed into an invalid user");
	for (int i = 0; i < PRESENCE_MAX_ROOMS; i++)
		if (u->rooms[i][0] != '\0' && !proto_room_valid(u->rooms[i]))
			fail("a record parsed with an invalid room");
}

static void
parcels(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data;
	size_t		 len = size, seen = 0;
	struct parcel	 pc;
	int		 r;

	while ((r = parcel_next(&p, &len, &pc)) == 1) {
		if (pc.frame < data || pc.frame + pc.len > data + size ||
		    pc.slot < 0)
			fail("a parcel outside the input");
		seen += PARCEL_HEADER_LEN + pc.len;
	}
	if (r == 0 && seen != size)
		fail("parcels did not tile the input");
	if (p + len != data + size)
		fail("parcel_next lost track of the rest");
}

static void
watch(const struct note *n)
{
	struct watch_note	wn, again;
	char			*text;

	if (watch_note_parse(n->body, n->len, &wn) != 0)
		return;
	if (!proto_room_valid(wn.w.room) || wn.w.title[0] == '\0' ||
	    (wn.action != 0 && !proto_name_valid(wn.w.by)))
		fail("a watch state parsed with invalid fields");
	text = watch_note_text(&wn);
	if (watch_note_parse((const uint8_t *)text, strlen(text), &again) != 0)
		fail("a watch state written back does not parse");
	if (strcmp(wn.w.room, again.w.room) != 0 ||
	    strcmp(wn.w.title, again.w.title) != 0 ||
	    strcmp(wn.w.by, again.w.by) != 0 ||
	    wn.w.quality != again.w.quality || wn.w.paused != again.w.paused ||
	    wn.w.width != again.w.width || wn.w.height != again.w.height ||
	    wn.action != again.action || wn.quality != again.quality)
		fail("a watch state changed on the way back");
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct note		 n;
	struct presence_slot	 u;
	json_object		*o;

	parcels(data, size);
	if (note_parse(data, size, &n) != 0)
		return 0;
	if (n.body < data || n.body + n.len != data + size ||
	    !proto_name_valid(n.node))
		fail("note_parse split the input wrongly");
	switch (n.kind) {
	case 'N':
	case 'U':
		o = user_parse_json(n.body, n.len);
		if (user_record_parse(o, n.node, &u) == 0)
			check_user(&u);
		json_object_put(o);
		break;
	case 'S':
		o = user_parse_json(n.body, n.len);
		for (size_t i = 0; o != NULL &&
		    json_object_is_type(o, json_type_array) &&
		    i < json_object_array_length(o); i++)
			if (user_record_parse(json_object_array_get_idx(o, i),
			    n.node, &u) == 0)
				check_user(&u);
		json_object_put(o);
		break;
	case 'W':
		watch(&n);
		break;
	}
	return 0;
}
