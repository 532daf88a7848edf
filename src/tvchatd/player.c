/*
 * Shared players. The table lives in POSIX shared memory made by the
 * master (unlinked at once, like the presence table). A session that
 * wants a stream nobody plays yet claims a slot (REQUESTED) and nudges
 * the master with SIGUSR1; the master forks a player for it. The player
 * decodes, scales and JPEG-encodes each frame once, paced at the source
 * frame rate, into a ring; each session pins the newest frame while it
 * writes it to its client (so the player never overwrites it) and
 * unpins it after. Pinning and publishing use sequentially consistent
 * atomics in the Dekker style: a reader raises the frame's reader count
 * and then checks its sequence number; the player clears the sequence
 * number and then checks the reader count, so one of them always sees
 * the other. A player whose viewers are gone for a while exits.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "frameenc.h"
#include "library.h"
#include "log.h"
#include "player.h"
#include "video.h"
#include "util.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

/* Take the table's lock (the master repairs it if a holder dies). */
static void
lock(struct player_table *t)
{
	while (sem_wait(&t->lock) != 0)
		if (errno != EINTR)
			fatal("players: sem_wait");
	t->holder = getpid();
}

static void
unlock(struct player_table *t)
{
	t->holder = 0;
	if (sem_post(&t->lock) != 0)
		fatal("players: sem_post");
}

/* Create the table in shared memory; 0 or -1 (errno set). */
int
player_table_create(struct player_table **out)
{
	struct player_table	*t;
	char			 name[64];
	int			 fd;

	snprintf(name, sizeof name, "/tvchatd-players-%ld-%ld",
	    (long)getpid(), (long)time(NULL));
	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
		return -1;
	shm_unlink(name);
	if (ftruncate(fd, sizeof *t) != 0) {
		close(fd);
		return -1;
	}
	t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (t == MAP_FAILED)
		return -1;
	if (sem_init(&t->lock, 1, 1) != 0) {
		munmap(t, sizeof *t);
		return -1;
	}
	t->master = getpid();
	*out = t;
	return 0;
}

/* Unmap the table. */
void
player_table_destroy(struct player_table *t)
{
	if (t != NULL)
		munmap(t, sizeof *t);
}

/* Record pid as a viewer of s (lock held); 0, or -1 if s is full. */
static int
add_viewer(struct player_slot *s, pid_t pid)
{
	for (int i = 0; i < PLAYER_MAX_VIEWERS; i++) {
		if (s->viewer_pids[i] == 0) {
			s->viewer_pids[i] = pid;
			s->viewers++;
			return 0;
		}
	}
	return -1;
}

/* Forget pid as a viewer of s (lock held); 1 if it was one. */
static int
remove_viewer(struct player_slot *s, pid_t pid)
{
	for (int i = 0; i < PLAYER_MAX_VIEWERS; i++) {
		if (s->viewer_pids[i] == pid) {
			s->viewer_pids[i] = 0;
			if (--s->viewers == 0)
				s->idle_since = util_now_ms();
			return 1;
		}
	}
	return 0;
}

/*
 * Join the player of (title, quality, w, h) near position start, or claim
 * a slot for a new one (*created = 1: the caller nudges the master).
 * Returns 0 with *ref set, or -1 if every slot is busy.
 */
int
player_join(struct player_table *t, const char *room, const char *title,
    uint8_t quality, int w, int h, double start, struct player_ref *ref,
    int *created)
{
	struct player_slot	*s, *free_slot = NULL;
	double			 at;

	*created = 0;
	lock(t);
	for (int i = 0; i < PLAYER_SLOTS; i++) {
		s = &t->slots[i];
		if (s->state == PLAYER_FREE) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if ((s->state != PLAYER_RUNNING &&
		    s->state != PLAYER_REQUESTED) ||
		    strcmp(s->title, title) != 0 || s->quality != quality ||
		    s->width != w || s->height != h || s->room[0] != '\0' ||
		    room[0] != '\0')
			continue;
		at = s->state == PLAYER_REQUESTED ? s->start :
		    LOAD(&s->position_ms) / 1000.0;
		if (fabs(at - start) > PLAYER_NEAR_S ||
		    add_viewer(s, getpid()) != 0)
			continue;
		ref->slot = i;
		ref->generation = s->generation;
		unlock(t);
		return 0;
	}
	if (free_slot == NULL) {
		unlock(t);
		return -1;
	}
	s = free_slot;
	memset(s->title, 0, sizeof s->title);
	snprintf(s->title, sizeof s->title, "%s", title);
	snprintf(s->room, sizeof s->room, "%s", room);
	s->control_gen = s->applied_gen = 0;
	s->paused = 0;
	s->quality = quality;
	s->width = (uint16_t)w;
	s->height = (uint16_t)h;
	s->start = start;
	s->viewers = 0;
	memset(s->viewer_pids, 0, sizeof s->viewer_pids);
	add_viewer(s, getpid());
	s->pid = 0;
	s->latest = 0;
	s->position_ms = (uint32_t)(start * 1000);
	s->next_due_ms = util_now_ms() + 1000;
	s->dropped = 0;
	s->error[0] = '\0';
	for (int k = 0; k < PLAYER_RING; k++) {
		s->ring[k].seq = 0;
		s->ring[k].readers = 0;
	}
	s->generation++;
	STORE(&s->state, PLAYER_REQUESTED);
	ref->slot = (int)(s - t->slots);
	ref->generation = s->generation;
	*created = 1;
	unlock(t);
	return 0;
}

/*
 * Join the player a room watches together (the newest if several);
 * returns 0 with *ref set, or -1 if the room watches nothing.
 */
int
player_find_room(struct player_table *t, const char *room,
    struct player_ref *ref)
{
	struct player_slot	*s;
	int			 best = -1;

	lock(t);
	for (int i = 0; i < PLAYER_SLOTS; i++) {
		s = &t->slots[i];
		if ((s->state == PLAYER_RUNNING || s->state == PLAYER_REQUESTED)
		    && proto_name_equal(s->room, room) &&
		    (best < 0 || s->generation > t->slots[best].generation))
			best = i;
	}
	if (best >= 0 && add_viewer(&t->slots[best], getpid()) != 0)
		best = -1;
	if (best >= 0) {
		ref->slot = best;
		ref->generation = t->slots[best].generation;
	}
	unlock(t);
	return best >= 0 ? 0 : -1;
}

/* Set a control request on s (lock held). */
static void
set_control(struct player_slot *s, enum player_action action, double to,
    uint8_t quality, const char *by, int remote)
{
	s->control_action = (uint8_t)action;
	s->control_to = to;
	s->control_quality = quality;
	s->control_remote = (uint8_t)remote;
	snprintf(s->control_by, sizeof s->control_by, "%s", by);
	STORE(&s->control_gen, s->control_gen + 1);
}

/*
 * Ask a watch-together player to pause, resume, seek or change quality;
 * remote says the request comes from another node of a cluster (it is
 * not to be passed on again).
 */
void
player_control(struct player_table *t, const struct player_ref *ref,
    enum player_action action, double to, uint8_t quality, const char *by,
    int remote)
{
	struct player_slot	*s;

	lock(t);
	s = &t->slots[ref->slot];
	if (s->generation == ref->generation)
		set_control(s, action, to, quality, by, remote);
	unlock(t);
}

/* The same for the player of room here, asked by another node; 0 or -1. */
int
player_control_room(struct player_table *t, const char *room,
    enum player_action action, double to, uint8_t quality, const char *by)
{
	struct player_slot	*s;
	int			 r = -1;

	lock(t);
	for (int i = 0; i < PLAYER_SLOTS; i++) {
		s = &t->slots[i];
		if ((s->state == PLAYER_RUNNING || s->state == PLAYER_REQUESTED)
		    && s->room[0] != '\0' && proto_name_equal(s->room, room)) {
			set_control(s, action, to, quality, by, 1);
			r = 0;
		}
	}
	unlock(t);
	return r;
}

/* Record what room watches on another node (replacing the oldest). */
void
player_watch_put(struct player_table *t, const struct player_watch *w)
{
	struct player_watch	*slot = NULL;

	lock(t);
	for (int i = 0; i < PLAYER_WATCHES && slot == NULL; i++)
		if (t->watches[i].room[0] != '\0' &&
		    proto_name_equal(t->watches[i].room, w->room))
			slot = &t->watches[i];
	for (int i = 0; i < PLAYER_WATCHES && slot == NULL; i++)
		if (t->watches[i].room[0] == '\0')
			slot = &t->watches[i];
	if (slot == NULL) {
		slot = &t->watches[0];
		for (int i = 1; i < PLAYER_WATCHES; i++)
			if (t->watches[i].at_ms < slot->at_ms)
				slot = &t->watches[i];
	}
	*slot = *w;
	unlock(t);
}

/* What room watches on another node, heard of lately; 0, or -1. */
int
player_watch_get(struct player_table *t, const char *room,
    struct player_watch *out)
{
	int	r = -1;

	lock(t);
	for (int i = 0; i < PLAYER_WATCHES; i++) {
		if (t->watches[i].room[0] != '\0' &&
		    proto_name_equal(t->watches[i].room, room) &&
		    util_now_ms() - t->watches[i].at_ms <
		    PLAYER_WATCH_STALE_MS) {
			*out = t->watches[i];
			r = 0;
		}
	}
	unlock(t);
	return r;
}

/* Stop viewing: the player notices when its last viewer is gone. */
void
player_leave(struct player_table *t, struct player_ref *ref)
{
	struct player_slot	*s;

	if (ref->slot < 0)
		return;
	lock(t);
	s = &t->slots[ref->slot];
	if (s->generation == ref->generation && remove_viewer(s, getpid()) &&
	    s->viewers == 0 && (s->state == PLAYER_FINISHED ||
	    (s->state == PLAYER_FAILED && s->pid <= 0)))
		s->state = PLAYER_FREE;	/* ended: nothing to wait for */
	unlock(t);
	ref->slot = -1;
}

/* Master: a session died; it views nothing any more. */
void
player_master_forget_viewer(struct player_table *t, pid_t pid)
{
	lock(t);
	for (int i = 0; i < PLAYER_SLOTS; i++) {
		struct player_slot *s = &t->slots[i];

		if (s->state != PLAYER_FREE && remove_viewer(s, pid) &&
		    s->viewers == 0 && s->pid <= 0)
			s->state = PLAYER_FREE;
	}
	unlock(t);
}

/* Master: shutting down; stop every player. */
void
player_master_stop(struct player_table *t)
{
	for (int i = 0; i < PLAYER_SLOTS; i++)
		if (t->slots[i].pid > 0)
			kill(t->slots[i].pid, SIGTERM);
}

/* Return the slot ref still points at, or NULL. */
struct player_slot *
player_get(struct player_table *t, const struct player_ref *ref)
{
	struct player_slot	*s;

	if (ref->slot < 0)
		return NULL;
	s = &t->slots[ref->slot];
	if (s->generation != ref->generation || LOAD(&s->state) == PLAYER_FREE)
		return NULL;
	return s;
}

/*
 * Pin the newest frame if it is newer than seq `after`; return it (send,
 * then player_unpin()), or NULL if there is none.
 */
struct player_frame *
player_pin_latest(struct player_slot *s, uint32_t after)
{
	uint32_t		 seq = LOAD(&s->latest);
	struct player_frame	*f;

	if (seq == 0 || seq <= after)
		return NULL;
	f = &s->ring[LOAD(&s->latest_index) % PLAYER_RING];
	__atomic_add_fetch(&f->readers, 1, __ATOMIC_SEQ_CST);
	if (LOAD(&f->seq) != seq) {
		/* Overwritten meanwhile: try again at the next tick. */
		__atomic_sub_fetch(&f->readers, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	return f;
}

/*
 * Return 1 if a frame after seq was published with the key flag (the
 * first after a start or a seek), else 0: a viewer that skipped it marks
 * the next frame it takes as the key instead.
 */
int
player_keyed_after(struct player_slot *s, uint32_t seq)
{
	return LOAD(&s->key_seq) > seq;
}

/* Release a pinned frame. */
void
player_unpin(struct player_frame *f)
{
	__atomic_sub_fetch(&f->readers, 1, __ATOMIC_SEQ_CST);
}

/*
 * Master: start players for requested slots with spawn(arg, slot), which
 * forks one and returns its pid (or -1).
 */
void
player_master_start(struct player_table *t, pid_t (*spawn)(void *, int),
    void *arg)
{
	pid_t	pid;

	for (int i = 0; i < PLAYER_SLOTS; i++) {
		lock(t);
		if (t->slots[i].state != PLAYER_REQUESTED ||
		    t->slots[i].pid != 0) {
			unlock(t);
			continue;
		}
		t->slots[i].pid = -1;	/* being started */
		unlock(t);
		pid = spawn(arg, i);
		lock(t);
		if (pid > 0)
			t->slots[i].pid = pid;
		else {
			t->slots[i].pid = 0;
			snprintf(t->slots[i].error, sizeof t->slots[i].error,
			    "cannot start a player");
			STORE(&t->slots[i].state, PLAYER_FAILED);
		}
		unlock(t);
	}
}

/*
 * Master: a child died. If it was a player, mark its slot failed (or free
 * it if nobody watches) and return 1; else return 0.
 */
int
player_master_reap(struct player_table *t, pid_t pid, int status)
{
	struct player_slot	*s;

	if (t->holder == pid) {
		t->holder = 0;
		sem_post(&t->lock);
	}
	for (int i = 0; i < PLAYER_SLOTS; i++) {
		s = &t->slots[i];
		if (s->pid != pid)
			continue;
		lock(t);
		s->pid = 0;
		if (s->state == PLAYER_RUNNING || s->state == PLAYER_REQUESTED) {
			snprintf(s->error, sizeof s->error, "the player stopped "
			    "(%s %d)", WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
			STORE(&s->state, PLAYER_FAILED);
		}
		if (s->viewers == 0)
			STORE(&s->state, PLAYER_FREE);
		unlock(t);
		return 1;
	}
	return 0;
}

/* Player: end with state and a message for the viewers. */
static void __attribute__((noreturn))
finish(struct player_table *t, struct player_slot *s, enum player_state state,
    const char *error)
{
	lock(t);
	if (error != NULL)
		snprintf(s->error, sizeof s->error, "%s", error);
	STORE(&s->state, state);
	if (s->viewers == 0)
		STORE(&s->state, PLAYER_FREE);
	s->pid = 0;
	unlock(t);
	exit(0);
}

/*
 * Player: publish the JPEG of one frame into a ring entry nobody is
 * sending; returns 0, or -1 if every entry is pinned (frame dropped).
 */
static int
publish(struct player_slot *s, uint32_t seq, const uint8_t *jpeg, size_t len,
    uint32_t pts_ms, uint8_t flags)
{
	struct player_frame	*f;
	uint32_t		 old;

	for (int k = 1; k <= PLAYER_RING; k++) {
		f = &s->ring[(s->latest_index + (uint32_t)k) % PLAYER_RING];
		if (LOAD(&f->readers) != 0)
			continue;
		old = LOAD(&f->seq);
		STORE(&f->seq, 0);
		if (LOAD(&f->readers) != 0) {
			STORE(&f->seq, old);	/* a reader came: leave it */
			continue;
		}
		memcpy(f->data, jpeg, len);
		f->len = (uint32_t)len;
		f->pts_ms = pts_ms;
		f->width = s->width;
		f->height = s->height;
		f->quality = s->quality;
		f->flags = flags;
		STORE(&f->seq, seq);
		/* Before latest: whoever sees this frame sees its key. */
		if (flags & VIDEO_FLAG_KEY)
			STORE(&s->key_seq, seq);
		STORE(&s->latest_index, (uint32_t)(f - s->ring));
		STORE(&s->position_ms, pts_ms);
		STORE(&s->latest, seq);
		return 0;
	}
	s->dropped++;
	return -1;
}

/*
 * Player: carry out the latest watch-together request (pause, resume,
 * seek, or switching quality at the same position); viewers learn of it
 * from applied_gen.
 */
static void
apply_control(struct player_table *t, struct player_slot *s,
    struct library *lib, struct video **v, struct video_info *info)
{
	const struct library_title	*title;
	struct video			*nv;
	char				 err[VIDEO_ERR_LEN];
	uint32_t			 gen;
	double				 at, to;
	int				 qi, action;
	uint8_t				 quality;

	/* One request, whole: a newer one may land while this one runs. */
	lock(t);
	gen = s->control_gen;
	action = s->control_action;
	to = s->control_to;
	quality = s->control_quality;
	unlock(t);
	switch (action) {
	case PLAYER_PAUSE:
		STORE(&s->paused, 1);
		break;
	case PLAYER_RESUME:
		STORE(&s->paused, 0);
		break;
	case PLAYER_SEEK:
		at = to > info->duration ? info->duration : to;
		if (video_seek(*v, (int64_t)llround(at * info->fps), err) != 0)
			log_warnx("seek: %s", err);
		break;
	case PLAYER_QUALITY:
		title = library_find(lib, s->title);
		qi = library_quality_index((enum quality)quality);
		if (title == NULL || qi < 0 || title->path[qi] == NULL) {
			log_warnx("%s has no %s: staying at %s", s->title,
			    proto_quality_name((enum quality)quality),
			    proto_quality_name((enum quality)s->quality));
			break;
		}
		if (video_open(title->path[qi], &nv, err) != 0) {
			log_warnx("switching quality: %s", err);
			break;
		}
		at = (double)video_position(*v) / info->fps;
		video_get_info(nv, info);
		if (video_seek(nv, (int64_t)llround(at * info->fps), err) != 0)
			log_warnx("switching quality: %s", err);
		video_close(*v);
		*v = nv;
		s->quality = quality;
		break;
	}
	STORE(&s->applied_gen, gen);
}

/*
 * The player process for slot i: play until the end or no viewers. lib is
 * the master's library, inherited: already scanned, and what it refused
 * was logged once, by the master.
 */
void
player_main(struct player_table *t, int i, struct library *lib)
{
	struct player_slot		*s = &t->slots[i];
	const struct library_title	*title;
	struct video			*v;
	struct video_info		 info;
	struct frameenc_frame		 f;
	char				 err[VIDEO_ERR_LEN];
	int64_t				 base, index, now;
	uint32_t			 seq = 0;
	int				 qi, key = 1;

	log_set_prefix("player: ");
	title = library_find(lib, s->title);
	qi = library_quality_index((enum quality)s->quality);
	if (title == NULL || qi < 0 || title->path[qi] == NULL)
		finish(t, s, PLAYER_FAILED, "no such video or quality");
	if (video_open(title->path[qi], &v, err) != 0)
		finish(t, s, PLAYER_FAILED, err);
	video_get_info(v, &info);
	s->fps = info.fps;
	s->frames = info.frames;
	s->duration = info.duration;
	if (s->start > 0 && video_seek(v, (int64_t)llround(s->start *
	    info.fps), err) != 0)
		finish(t, s, PLAYER_FAILED, err);
	STORE(&s->state, PLAYER_RUNNING);
	base = util_now_ms();
	index = video_position(v);
	log_debug("%s %s %dx%d from %.1f s", s->title,
	    proto_quality_name((enum quality)s->quality), s->width, s->height,
	    s->start);
	for (;;) {
		now = util_now_ms();
		if (LOAD(&s->viewers) == 0 && now - s->idle_since >
		    PLAYER_IDLE_MS)
			finish(t, s, PLAYER_FREE, NULL);
		if (LOAD(&s->control_gen) != LOAD(&s->applied_gen)) {
			apply_control(t, s, lib, &v, &info);
			base = util_now_ms();
			index = video_position(v);
			key = 1;
		}
		if (LOAD(&s->paused)) {
			STORE(&s->next_due_ms, now + 100);
			usleep(10000);
			continue;
		}
		int64_t due = base + (int64_t)((double)(video_position(v) -
		    index) * 1000.0 / info.fps);
		STORE(&s->next_due_ms, due);
		if (due > now) {
			usleep((useconds_t)(due - now) * 1000);
			continue;
		}
		int r = frameenc_read(v, &info, err);

		if (r < 0)
			finish(t, s, PLAYER_FAILED, err);
		if (r == 0)
			finish(t, s, PLAYER_FINISHED, NULL);
		r = frameenc_encode(v, &info, s->width, s->height, key,
		    PLAYER_FRAME_MAX, &f, err);
		if (r < 0)
			finish(t, s, PLAYER_FAILED, err);
		seq++;
		if (r > 0)
			publish(s, seq, f.jpeg, f.len, f.pts_ms, f.flags);
		else
			s->dropped++;
		key = 0;
		free(f.jpeg);
	}
}

/* Read by streams. */

/* Return the master's pid, to nudge when a slot is claimed. */
pid_t
player_master_pid(const struct player_table *t)
{
	return t->master;
}

/* Return s's state (enum player_state). */
enum player_state
player_slot_state(const struct player_slot *s)
{
	return (enum player_state)LOAD(&s->state);
}

/* Return the title s plays. */
const char *
player_slot_title(const struct player_slot *s)
{
	return s->title;
}

/* Return the room s plays for, "" unless it is a room's. */
const char *
player_slot_room(const struct player_slot *s)
{
	return s->room;
}

/* Return the quality s plays at (enum quality). */
uint8_t
player_slot_quality(const struct player_slot *s)
{
	return s->quality;
}

/* Set *w and *h to the size s plays at. */
void
player_slot_size(const struct player_slot *s, int *w, int *h)
{
	*w = s->width;
	*h = s->height;
}

/* Return the seq of the newest frame s published (0: none yet). */
uint32_t
player_slot_latest(const struct player_slot *s)
{
	return LOAD(&s->latest);
}

/* Return when s's next frame is due (CLOCK_MONOTONIC ms). */
int64_t
player_slot_next_due_ms(const struct player_slot *s)
{
	return LOAD(&s->next_due_ms);
}

/* Return the generation of the last watch-together request s applied. */
uint32_t
player_slot_applied_gen(const struct player_slot *s)
{
	return LOAD(&s->applied_gen);
}

/*
 * Return the action of the last watch-together request on s (0: none),
 * with where it seeks to, the quality it asks for and who asked.
 */
int
player_slot_control(const struct player_slot *s, double *to,
    uint8_t *quality, const char **by)
{
	*to = s->control_to;
	*quality = s->control_quality;
	*by = s->control_by;
	return s->control_action;
}

/* Return why s failed ("" if it did not say). */
const char *
player_slot_error(const struct player_slot *s)
{
	return s->error;
}

/* Read by cluster mode. */

/*
 * Copy what the slot i's room watches together into *v; 1 if the slot
 * holds a room's player (requested or running), else 0.
 */
int
player_room_view(struct player_table *t, int i, struct player_room_view *v)
{
	struct player_slot	*s = &t->slots[i];
	uint32_t		 state;

	state = __atomic_load_n(&s->state, __ATOMIC_SEQ_CST);
	if ((state != PLAYER_RUNNING && state != PLAYER_REQUESTED) ||
	    s->room[0] == '\0')
		return 0;
	memset(v, 0, sizeof *v);
	v->applied_gen = __atomic_load_n(&s->applied_gen, __ATOMIC_SEQ_CST);
	v->generation = s->generation;
	v->control_remote = s->control_remote;
	v->control_action = s->control_action;
	v->control_to = s->control_to;
	v->control_quality = s->control_quality;
	snprintf(v->control_by, sizeof v->control_by, "%s", s->control_by);
	snprintf(v->watch.room, sizeof v->watch.room, "%s", s->room);
	snprintf(v->watch.title, sizeof v->watch.title, "%s", s->title);
	v->watch.quality = s->quality;
	v->watch.width = s->width;
	v->watch.height = s->height;
	v->watch.position = state == PLAYER_RUNNING ? __atomic_load_n(
	    &s->position_ms, __ATOMIC_SEQ_CST) / 1000.0 : s->start;
	v->watch.paused = __atomic_load_n(&s->paused, __ATOMIC_SEQ_CST);
	return 1;
}
