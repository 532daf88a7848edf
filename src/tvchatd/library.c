/*
 * The video library: the files videos/<name>_<quality>.mp4 (the seed's
 * naming), grouped by name, each quality probed once for its frame rate,
 * length and size. A scan is redone only when the directory's mtime
 * changes, so a new file shows up without restarting the server. Only
 * regular files inside the library are served: a symbolic link counts if
 * it resolves to a regular file inside it, and is served by its target.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "library.h"
#include "log.h"
#include "msg.h"
#include "xmalloc.h"

static const char *const suffixes[LIBRARY_QUALITIES] = {
	"_240p.mp4", "_720p.mp4", "_1440p.mp4"
};

/* Return 0, 1 or 2 for a quality, -1 for auto or an unknown one. */
int
library_quality_index(enum quality q)
{
	switch (q) {
	case QUALITY_240P:
		return 0;
	case QUALITY_720P:
		return 1;
	case QUALITY_1440P:
		return 2;
	default:
		return -1;
	}
}

/* Return the quality at index i (0..2). */
enum quality
library_quality_of(int i)
{
	static const enum quality q[] = {
		QUALITY_240P, QUALITY_720P, QUALITY_1440P
	};

	return q[i];
}

/* Start an empty library for dir (scanned on first use). */
void
library_init(struct library *lib, const char *dir)
{
	memset(lib, 0, sizeof *lib);
	lib->dir = xstrdup(dir);
}

/* Forget every title. */
static void
clear_titles(struct library *lib)
{
	for (size_t i = 0; i < lib->ntitles; i++)
		for (int q = 0; q < LIBRARY_QUALITIES; q++)
			free(lib->titles[i].path[q]);
	free(lib->titles);
	lib->titles = NULL;
	lib->ntitles = 0;
}

/* Free the library. */
void
library_free(struct library *lib)
{
	clear_titles(lib);
	for (size_t i = 0; i < lib->nrefused; i++)
		free(lib->refused[i]);
	free(lib->refused);
	free(lib->dir);
	memset(lib, 0, sizeof *lib);
}

/* Return 1 if name may be a title: 1-64 of [A-Za-z0-9_.-], no leading dot. */
static int
title_valid(const char *name, size_t len)
{
	if (len == 0 || len > VIDEO_NAME_MAX_LEN || name[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_.-", name[i]) == NULL)
			return 0;
	return 1;
}

/* Return the title called name, adding it if new. */
static struct library_title *
title_for(struct library *lib, const char *name, size_t len)
{
	struct library_title	*t;

	for (size_t i = 0; i < lib->ntitles; i++)
		if (strlen(lib->titles[i].name) == len &&
		    strncmp(lib->titles[i].name, name, len) == 0)
			return &lib->titles[i];
	lib->titles = xreallocarray(lib->titles, lib->ntitles + 1,
	    sizeof *lib->titles);
	t = &lib->titles[lib->ntitles++];
	memset(t, 0, sizeof *t);
	memcpy(t->name, name, len);
	return t;
}

/* Compare titles by name, for a stable listing. */
static int
compare_titles(const void *a, const void *b)
{
	return strcmp(((const struct library_title *)a)->name,
	    ((const struct library_title *)b)->name);
}

/* Log that file is refused, and why, unless it was said already. */
static void
refuse(struct library *lib, const char *file, const char *why,
    const char *target)
{
	for (size_t i = 0; i < lib->nrefused; i++)
		if (strcmp(lib->refused[i], file) == 0)
			return;
	lib->refused = xreallocarray(lib->refused, lib->nrefused + 1,
	    sizeof *lib->refused);
	lib->refused[lib->nrefused++] = xstrdup(file);
	log_warnx("library: %s: %s%s%s (refused)", file, why,
	    target != NULL ? " " : "", target != NULL ? target : "");
}

/*
 * Return the path to open for file of the library (real path realdir),
 * a new string: the file itself if it is a regular file, the target of a
 * symbolic link that resolves to a regular file inside the library; or
 * NULL, having said why.
 */
static char *
serve_path(struct library *lib, int dirfd, const char *realdir,
    const char *file)
{
	struct stat	 st;
	char		*path, *target;
	size_t		 n = strlen(realdir);

	if (fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return NULL;	/* gone since readdir */
	xasprintf(&path, "%s/%s", lib->dir, file);
	if (S_ISREG(st.st_mode))
		return path;
	if (!S_ISLNK(st.st_mode)) {
		refuse(lib, file, "not a regular file", NULL);
		free(path);
		return NULL;
	}
	target = realpath(path, NULL);
	free(path);
	if (target == NULL) {
		refuse(lib, file, "a symbolic link that does not resolve",
		    NULL);
		return NULL;
	}
	if (strncmp(target, realdir, n) != 0 || target[n] != '/') {
		refuse(lib, file, "a symbolic link out of the library, to",
		    target);
		free(target);
		return NULL;
	}
	if (stat(target, &st) != 0 || !S_ISREG(st.st_mode)) {
		refuse(lib, file, "a symbolic link to something not a regular "
		    "file:", target);
		free(target);
		return NULL;
	}
	return target;
}

/* Probe one file; on success record it as quality q of its title. */
static void
add_file(struct library *lib, int dirfd, const char *realdir,
    const char *file, size_t namelen, int q)
{
	struct library_title	*t;
	struct video		*v;
	char			*path, err[VIDEO_ERR_LEN];

	if ((path = serve_path(lib, dirfd, realdir, file)) == NULL)
		return;
	if (video_open(path, &v, err) != 0) {
		refuse(lib, file, err, NULL);
		free(path);
		return;
	}
	t = title_for(lib, file, namelen);
	free(t->path[q]);
	t->path[q] = path;
	video_get_info(v, &t->info[q]);
	video_close(v);
}

/*
 * Scan the directory if it changed since the last scan. Returns the
 * number of titles, or -1 if the directory cannot be read (the library
 * is then empty).
 */
int
library_scan(struct library *lib)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*realdir;
	size_t		 len, slen;

	if (stat(lib->dir, &st) != 0) {
		clear_titles(lib);
		lib->scanned = 0;
		return -1;
	}
	if (lib->scanned && st.st_mtim.tv_sec == lib->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == lib->mtime.tv_nsec)
		return (int)lib->ntitles;
	if ((d = opendir(lib->dir)) == NULL ||
	    (realdir = realpath(lib->dir, NULL)) == NULL) {
		if (d != NULL)
			closedir(d);
		clear_titles(lib);
		return -1;
	}
	clear_titles(lib);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		for (int q = 0; q < LIBRARY_QUALITIES; q++) {
			slen = strlen(suffixes[q]);
			if (len > slen && strcmp(de->d_name + len - slen,
			    suffixes[q]) == 0 &&
			    title_valid(de->d_name, len - slen))
				add_file(lib, dirfd(d), realdir, de->d_name,
				    len - slen, q);
		}
	}
	closedir(d);
	free(realdir);
	if (lib->ntitles > 1)
		qsort(lib->titles, lib->ntitles, sizeof *lib->titles,
		    compare_titles);
	lib->mtime = st.st_mtim;
	lib->scanned = 1;
	return (int)lib->ntitles;
}

/* Return the title called name (exactly), or NULL. */
const struct library_title *
library_find(struct library *lib, const char *name)
{
	library_scan(lib);
	for (size_t i = 0; i < lib->ntitles; i++)
		if (strcmp(lib->titles[i].name, name) == 0)
			return &lib->titles[i];
	return NULL;
}

/* Return the "videos" array of the protocol for the current library. */
json_object *
library_json(struct library *lib)
{
	json_object	*list = json_object_new_array(), *qs;
	int		 best;

	library_scan(lib);
	for (size_t i = 0; i < lib->ntitles; i++) {
		struct library_title *t = &lib->titles[i];

		qs = json_object_new_array();
		best = -1;
		for (int q = 0; q < LIBRARY_QUALITIES; q++) {
			if (t->path[q] == NULL)
				continue;
			json_object_array_add(qs, json_object_new_string(
			    proto_quality_name(library_quality_of(q))));
			best = q;
		}
		json_object_array_add(list, msg_video_info(t->name, qs,
		    t->info[best].fps, t->info[best].duration,
		    t->info[best].frames));
	}
	return list;
}
