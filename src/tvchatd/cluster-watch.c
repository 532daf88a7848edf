/*
 * Cluster mode's watch-together: what a room watches on one node is told
 * to the others in W notes (its title, position and the last request a
 * user made), so users of a room on every node watch it together.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-private.h"
#include "log.h"
#include "util.h"

/* Another node's watch-together state: remember it, apply a change. */
void
cluster_watch_note(struct cluster *c, const struct note *n)
{
	struct watch_note	wn;

	if (c->players == NULL)
		return;
	if (watch_note_parse(n->body, n->len, &wn) != 0) {
		log_warnx("node %s: a bad watch note", n->node);
		return;
	}
	wn.w.at_ms = util_now_ms();
	player_watch_put(c->players, &wn.w);
	if (wn.action != 0)
		player_control_room(c->players, wn.w.room, wn.action, wn.to,
		    wn.quality, wn.w.by);
}

/*
 * Tell the other nodes what our rooms watch together: a new room player,
 * a change a user of ours made (not one that came from another node),
 * and every WATCH_REFRESH_MS the state again (for late joiners there).
 */
void
cluster_watch_scan(struct cluster *c, int64_t now)
{
	struct player_room_view	 v;
	struct watch_note	 wn;
	int			 send;
	char			*text;

	c->room_players = 0;
	for (int i = 0; c->players != NULL && i < PLAYER_SLOTS; i++) {
		if (!player_room_view(c->players, i, &v))
			continue;
		c->room_players++;
		memset(&wn, 0, sizeof wn);
		send = 0;
		if (c->wshadow[i].generation != v.generation)
			send = 1;
		else if (c->wshadow[i].applied != v.applied_gen) {
			send = !v.control_remote;
			if (send && v.control_action >= PLAYER_PAUSE &&
			    v.control_action <= PLAYER_QUALITY) {
				wn.action = (enum player_action)
				    v.control_action;
				wn.to = v.control_to;
				wn.quality = v.control_quality;
				snprintf(wn.w.by, sizeof wn.w.by, "%s",
				    v.control_by);
			}
		} else
			send = now - c->wshadow[i].noted >= WATCH_REFRESH_MS;
		c->wshadow[i].generation = v.generation;
		c->wshadow[i].applied = v.applied_gen;
		if (!send)
			continue;
		c->wshadow[i].noted = now;
		snprintf(wn.w.room, sizeof wn.w.room, "%s", v.watch.room);
		snprintf(wn.w.title, sizeof wn.w.title, "%s", v.watch.title);
		wn.w.quality = v.watch.quality;
		wn.w.width = v.watch.width;
		wn.w.height = v.watch.height;
		wn.w.position = v.watch.position;
		wn.w.paused = v.watch.paused;
		text = watch_note_text(&wn);
		cluster_outbox_note(c, 'W', text, strlen(text));
		free(text);
	}
}
