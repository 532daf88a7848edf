/*
 * Shared players: one process per playing (title, quality, size) decodes
 * and encodes each frame once into a ring in POSIX shared memory, from
 * which every session showing that stream sends it.
 */
#ifndef TVCHAT_PLAYER_H
#define TVCHAT_PLAYER_H

#include <sys/types.h>

#include <semaphore.h>
#include <stdint.h>

#include "proto.h"

#define PLAYER_SLOTS		8
#define PLAYER_RING		8
#define PLAYER_FRAME_MAX	(256 * 1024)	/* JPEG bytes per frame */
#define PLAYER_IDLE_MS		2000	/* no viewers this long: exit */
#define PLAYER_NEAR_S		5.0	/* join a player this close in time */
#define PLAYER_MAX_VIEWERS	512

enum player_state {
	PLAYER_FREE = 0,
	PLAYER_REQUESTED,	/* a session asked; the master will fork */
	PLAYER_RUNNING,
	PLAYER_FINISHED,	/* played to the end */
	PLAYER_FAILED,		/* could not play, or crashed */
};

struct player_frame {
	uint32_t	seq;		/* 0 while being written */
	uint32_t	readers;	/* sessions sending it now */
	uint32_t	pts_ms;
	uint16_t	width, height;
	uint8_t		quality;
	uint8_t		flags;
	uint32_t	len;
	uint8_t		data[PLAYER_FRAME_MAX];
};

/* A participant's request to a watch-together player. */
enum player_action {
	PLAYER_PAUSE = 1,
	PLAYER_RESUME,
	PLAYER_SEEK,
	PLAYER_QUALITY,
};

struct player_slot {
	uint32_t		state;
	uint32_t		generation;
	pid_t			pid;
	char			room[ROOM_MAX_LEN + 1];	/* "" unless shared
							 * by a room */
	char			title[VIDEO_NAME_MAX_LEN + 1];
	uint8_t			quality;
	uint16_t		width, height;
	double			start;		/* seconds */
	int32_t			viewers;
	pid_t			viewer_pids[PLAYER_MAX_VIEWERS];
	int64_t			idle_since;	/* ms, when viewers hit 0 */
	double			fps;
	int64_t			frames;
	double			duration;
	uint32_t		key_seq;	/* newest published with KEY */
	uint32_t		latest;		/* newest published seq */
	uint32_t		latest_index;
	uint32_t		position_ms;	/* of the newest frame */
	int64_t			next_due_ms;	/* CLOCK_MONOTONIC */
	uint64_t		dropped;	/* no free ring entry */
	/* Watch together: the last request, and the last one applied. */
	uint32_t		control_gen;
	uint32_t		applied_gen;
	uint8_t			control_action;
	double			control_to;
	uint8_t			control_quality;
	char			control_by[NAME_MAX_LEN + 1];
	uint8_t			control_remote;	/* from another node */
	uint32_t		paused;
	char			error[128];
	struct player_frame	ring[PLAYER_RING];
};

/*
 * Cluster mode: what a room watches together on other nodes (the broker
 * keeps it from their notes), so a user here can join in with a player
 * of this node's own.
 */
#define PLAYER_WATCHES		16
#define PLAYER_WATCH_STALE_MS	10000	/* not heard of this long: over */

struct player_watch {
	char		room[ROOM_MAX_LEN + 1];
	char		title[VIDEO_NAME_MAX_LEN + 1];
	uint8_t		quality;
	uint16_t	width, height;
	double		position;	/* seconds, at at_ms */
	int64_t		at_ms;		/* CLOCK_MONOTONIC */
	uint32_t	paused;
	char		by[NAME_MAX_LEN + 1];
};

struct player_table {
	sem_t			lock;
	pid_t			holder;		/* pid holding the lock, or 0 */
	pid_t			master;
	struct player_slot	slots[PLAYER_SLOTS];
	struct player_watch	watches[PLAYER_WATCHES];
};

/* A session's hold on a player slot. */
struct player_ref {
	int		slot;
	uint32_t	generation;
};

int		 player_table_create(struct player_table **);
void		 player_table_destroy(struct player_table *);
int		 player_join(struct player_table *, const char *, const char *,
		    uint8_t, int, int, double, struct player_ref *, int *);
int		 player_find_room(struct player_table *, const char *,
		    struct player_ref *);
void		 player_control(struct player_table *, const struct player_ref *,
		    enum player_action, double, uint8_t, const char *, int);
int		 player_control_room(struct player_table *, const char *,
		    enum player_action, double, uint8_t, const char *);
void		 player_watch_put(struct player_table *,
		    const struct player_watch *);
int		 player_watch_get(struct player_table *, const char *,
		    struct player_watch *);
void		 player_leave(struct player_table *, struct player_ref *);
struct player_slot *player_get(struct player_table *,
		    const struct player_ref *);
struct player_frame *player_pin_latest(struct player_slot *, uint32_t);
void		 player_unpin(struct player_frame *);
int		 player_keyed_after(struct player_slot *, uint32_t);
void		 player_master_start(struct player_table *,
		    pid_t (*)(void *, int), void *);
int		 player_master_reap(struct player_table *, pid_t, int);
void		 player_master_forget_viewer(struct player_table *, pid_t);
void		 player_master_stop(struct player_table *);
struct library;
void		 player_main(struct player_table *, int, struct library *)
		    __attribute__((noreturn));

/* Read by streams. */
pid_t		 player_master_pid(const struct player_table *);
enum player_state player_slot_state(const struct player_slot *);
const char	*player_slot_title(const struct player_slot *);
const char	*player_slot_room(const struct player_slot *);
uint8_t		 player_slot_quality(const struct player_slot *);
void		 player_slot_size(const struct player_slot *, int *, int *);
uint32_t	 player_slot_latest(const struct player_slot *);
int64_t		 player_slot_next_due_ms(const struct player_slot *);
uint32_t	 player_slot_applied_gen(const struct player_slot *);
int		 player_slot_control(const struct player_slot *, double *,
		    uint8_t *, const char **);
const char	*player_slot_error(const struct player_slot *);

/* Read by cluster mode. */

/* What a room's player watches, and its last watch-together request
 * (watch.at_ms and watch.by are left 0). */
struct player_room_view {
	uint32_t		generation;
	uint32_t		applied_gen;
	int			control_remote;	/* from another node */
	uint8_t			control_action;
	double			control_to;
	uint8_t			control_quality;
	char			control_by[NAME_MAX_LEN + 1];
	struct player_watch	watch;
};

int		 player_room_view(struct player_table *, int,
		    struct player_room_view *);

#endif
