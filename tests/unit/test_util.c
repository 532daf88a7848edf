/* Unit tests for util.c: XDG paths, dirname, mkdir -p and whole-file I/O. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* A private scratch directory for each test, removed afterwards. */
static char	scratch[PATH_MAX];
/* Environment saved around each test. */
static char	*saved_home, *saved_xdg;

/* Return a malloc'd copy of getenv(name), or NULL if unset. */
static char *
save_env(const char *name)
{
	const char *v = getenv(name);

	return v == NULL ? NULL : strdup(v);
}

/* Restore name to value (unset if NULL) and free value. */
static void
restore_env(const char *name, char *value)
{
	if (value == NULL)
		unsetenv(name);
	else
		setenv(name, value, 1);
	free(value);
}

/* Make the scratch directory and save the environment; return 0. */
static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(scratch, sizeof scratch, "%s/test_util.XXXXXX", tmp);
	if (mkdtemp(scratch) == NULL)
		return -1;
	saved_home = save_env("HOME");
	saved_xdg = save_env("XDG_CONFIG_HOME");
	return 0;
}

/* Remove one file or directory found by nftw(); return 0 to continue. */
static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the scratch directory and restore the environment; return 0. */
static int
teardown(void **state)
{
	(void)state;
	restore_env("HOME", saved_home);
	restore_env("XDG_CONFIG_HOME", saved_xdg);
	return nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Return scratch/rel in a static buffer. */
static const char *
in_scratch(const char *rel)
{
	static char path[PATH_MAX * 2];

	snprintf(path, sizeof path, "%s/%s", scratch, rel);
	return path;
}

/* Return the process's umask without changing it. */
static mode_t
current_umask(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return mask;
}

/* Assert that path is a directory with exactly the permission bits mode. */
static void
assert_dir_mode(const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

/* Assert util_xdg_path(env, fallback, rel) returns want. */
static void
assert_xdg(const char *env, const char *fallback, const char *rel,
    const char *want)
{
	char *path = util_xdg_path(env, fallback, rel);

	assert_string_equal(path, want);
	free(path);
}

/* An absolute $XDG_CONFIG_HOME is used as the base. */
static void
test_xdg_absolute(void **state)
{
	(void)state;
	setenv("HOME", "/home/u", 1);
	setenv("XDG_CONFIG_HOME", "/srv/conf", 1);
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat/identity",
	    "/srv/conf/tvchat/identity");
	setenv("XDG_CONFIG_HOME", "/", 1);
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat",
	    "//tvchat");
}

/* A relative value is ignored, as the XDG spec says: $HOME is used. */
static void
test_xdg_relative_ignored(void **state)
{
	(void)state;
	setenv("HOME", "/home/u", 1);
	setenv("XDG_CONFIG_HOME", "conf", 1);
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat/identity",
	    "/home/u/.config/tvchat/identity");
	setenv("XDG_CONFIG_HOME", "./conf", 1);
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat/identity",
	    "/home/u/.config/tvchat/identity");
	setenv("XDG_CONFIG_HOME", "~/conf", 1);
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat/identity",
	    "/home/u/.config/tvchat/identity");
	setenv("XDG_CONFIG_HOME", "", 1);
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat/identity",
	    "/home/u/.config/tvchat/identity");
}

/* An unset variable falls back to $HOME/fallback. */
static void
test_xdg_unset(void **state)
{
	char *path;

	(void)state;
	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CONFIG_HOME");
	assert_xdg("XDG_CONFIG_HOME", ".config", "tvchat/identity",
	    "/home/u/.config/tvchat/identity");
	assert_xdg("TVCHAT_TEST_SURELY_UNSET_VAR", ".local/share", "tvchat",
	    "/home/u/.local/share/tvchat");

	/* Without $HOME the result is still an absolute path. */
	unsetenv("HOME");
	path = util_xdg_path("XDG_CONFIG_HOME", ".config", "tvchat");
	assert_int_equal(path[0], '/');
	assert_non_null(strstr(path, "/.config/tvchat"));
	assert_string_equal(path + strlen(path) - strlen("/.config/tvchat"),
	    "/.config/tvchat");
	free(path);
}

/* util_dirname returns everything before the last slash. */
static void
test_dirname(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a", "." },
		{ "", "." },
		{ "file.txt", "." },
		{ "/a", "/" },
		{ "/", "/" },
		{ "a/b", "a" },
		{ "a/b/c", "a/b" },
		{ "/a/b/c", "/a/b" },
		{ "/home/u/.config/tvchat/identity", "/home/u/.config/tvchat" },
		{ "./x", "." },
		{ "../x", ".." },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *d = util_dirname(cases[i].in);

		if (strcmp(d, cases[i].want) != 0)
			fail_msg("dirname(\"%s\") = \"%s\", want \"%s\"",
			    cases[i].in, d, cases[i].want);
		free(d);
	}
}

/* Return the length of the file at path, or -1; its mode into *mode. */
static off_t
file_size(const char *path, mode_t *mode)
{
	struct stat	st;

	if (stat(path, &st) != 0)
		return -1;
	*mode = st.st_mode & 07777;
	return st.st_size;
}

/* Return the number of entries of dir, . and .. aside. */
static int
entries(const char *dir)
{
	char	cmd[PATH_MAX + 64];
	FILE	*f;
	int	 n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	if ((f = popen(cmd, "r")) != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/*
 * util_write_file_atomic makes the directory, writes the file with the
 * mode asked, replaces an old one whole, leaves no temporary file, and
 * on a failure leaves the old file as it was.
 */
static void
test_write_file_atomic(void **state)
{
	mode_t	 old = umask(022), mode;
	char	 path[PATH_MAX * 2 + 16], dir[PATH_MAX * 2];

	(void)state;
	snprintf(dir, sizeof dir, "%s/w/x", scratch);
	snprintf(path, sizeof path, "%s/f", dir);
	assert_int_equal(util_write_file_atomic(path, "first", 5, 0600), 0);
	assert_dir_mode(in_scratch("w/x"), 0700);
	assert_int_equal(file_size(path, &mode), 5);
	assert_int_equal(mode, 0600);
	assert_int_equal(util_write_file_atomic(path, "second!", 7, 0600), 0);
	assert_int_equal(file_size(path, &mode), 7);
	assert_int_equal(util_write_file_atomic(path, "", 0, 0640), 0);
	assert_int_equal(file_size(path, &mode), 0);
	assert_int_equal(mode, 0640);
	assert_int_equal(entries(dir), 1);

	/* A directory where the file would go: refused, nothing left. */
	snprintf(path, sizeof path, "%s/d", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	errno = 0;
	assert_int_equal(util_write_file_atomic(path, "x", 1, 0600), -1);
	assert_int_not_equal(errno, 0);
	assert_int_equal(entries(dir), 2);

	/* A directory we cannot write to: refused, the old file kept. */
	snprintf(path, sizeof path, "%s/f", dir);
	if (geteuid() != 0) {
		assert_int_equal(chmod(dir, 0500), 0);
		assert_int_equal(util_write_file_atomic(path, "third", 5,
		    0600), -1);
		assert_int_equal(errno, EACCES);
		assert_int_equal(chmod(dir, 0700), 0);
		assert_int_equal(file_size(path, &mode), 0);
	}
	/* A file in the way of the directory. */
	snprintf(path, sizeof path, "%s/f/g", dir);
	assert_int_equal(util_write_file_atomic(path, "x", 1, 0600), -1);
	assert_int_equal(entries(dir), 2);
	umask(old);
}

/* Nested directories are created with the given mode; repeats succeed. */
static void
test_mkdir_p_nested(void **state)
{
	mode_t	old = umask(0);
	char	path[PATH_MAX * 2];

	(void)state;
	snprintf(path, sizeof path, "%s/a/b/c", scratch);
	assert_int_equal(util_mkdir_p(path, 0751), 0);
	assert_dir_mode(in_scratch("a"), 0751);
	assert_dir_mode(in_scratch("a/b"), 0751);
	assert_dir_mode(in_scratch("a/b/c"), 0751);

	/* All there already: fine, and modes are left alone. */
	assert_int_equal(util_mkdir_p(path, 0700), 0);
	assert_dir_mode(in_scratch("a/b/c"), 0751);

	/* Some there: only the missing ones are made. */
	snprintf(path, sizeof path, "%s/a/b/x/y", scratch);
	assert_int_equal(util_mkdir_p(path, 0700), 0);
	assert_dir_mode(in_scratch("a/b"), 0751);
	assert_dir_mode(in_scratch("a/b/x"), 0700);
	assert_dir_mode(in_scratch("a/b/x/y"), 0700);

	/* A trailing slash and doubled slashes are harmless. */
	snprintf(path, sizeof path, "%s/t//u/", scratch);
	assert_int_equal(util_mkdir_p(path, 0700), 0);
	assert_dir_mode(in_scratch("t/u"), 0700);

	/* The scratch directory itself and the root exist. */
	assert_int_equal(util_mkdir_p(scratch, 0700), 0);
	assert_int_equal(util_mkdir_p("/", 0700), 0);
	umask(old);
}

/* The umask still applies to the mode, as with mkdir(2). */
static void
test_mkdir_p_umask(void **state)
{
	mode_t	old = umask(027);
	char	path[PATH_MAX * 2];

	(void)state;
	snprintf(path, sizeof path, "%s/m/n", scratch);
	assert_int_equal(util_mkdir_p(path, 0777), 0);
	assert_dir_mode(in_scratch("m"), 0750);
	assert_dir_mode(in_scratch("m/n"), 0750);
	umask(old);
}

/* Relative paths are made relative to the working directory. */
static void
test_mkdir_p_relative(void **state)
{
	char	cwd[PATH_MAX];
	mode_t	old = umask(0);

	(void)state;
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(scratch), 0);
	assert_int_equal(util_mkdir_p("r/s", 0700), 0);
	assert_int_equal(util_mkdir_p("single", 0700), 0);
	assert_int_equal(util_mkdir_p(".", 0700), 0);
	assert_int_equal(chdir(cwd), 0);
	umask(old);
	assert_dir_mode(in_scratch("r/s"), 0700);
	assert_dir_mode(in_scratch("single"), 0700);
}

/* A regular file in the middle of the path is an error. */
static void
test_mkdir_p_file_in_path(void **state)
{
	char	path[PATH_MAX * 2];
	int	fd;

	(void)state;
	fd = open(in_scratch("f"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	close(fd);
	snprintf(path, sizeof path, "%s/f/sub", scratch);
	errno = 0;
	assert_int_equal(util_mkdir_p(path, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
}

/* A component longer than NAME_MAX is an error even for root. */
static void
test_mkdir_p_name_too_long(void **state)
{
	char	path[PATH_MAX * 2], *p;

	(void)state;
	snprintf(path, sizeof path, "%s/ok/", scratch);
	p = path + strlen(path);
	memset(p, 'n', NAME_MAX + 1);
	strcpy(p + NAME_MAX + 1, "/below");
	errno = 0;
	assert_int_equal(util_mkdir_p(path, 0700), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	/* The parents before the bad component were made. */
	assert_dir_mode(in_scratch("ok"), 0700 & ~current_umask());
}

/*
 * The last component existing as a regular file is not success: the
 * caller asked for a directory (mkdir -p fails the same way).
 */
static void
test_mkdir_p_final_is_file(void **state)
{
	int	fd;

	(void)state;
	fd = open(in_scratch("plain"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	close(fd);
	errno = 0;
	assert_int_equal(util_mkdir_p(in_scratch("plain"), 0700), -1);
	assert_true(errno == EEXIST || errno == ENOTDIR);
}

/*
 * An empty path names no directory: an error, like mkdir(""). Run in a
 * child so that a memory error there fails only this test.
 */
static void
test_mkdir_p_empty(void **state)
{
	pid_t	pid;
	int	status;

	(void)state;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		errno = 0;
		_exit(util_mkdir_p("", 0700) == -1 && errno == ENOENT ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Fill p[0..len) with a pattern derived from seed. */
static void
fill_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		p[i] = (uint8_t)seed;
	}
}

/* Write data with util_write_all to a new scratch file; return its fd. */
static int
write_file(const char *name, const uint8_t *data, size_t len)
{
	int fd = open(in_scratch(name), O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	assert_int_equal(util_write_all(fd, data, len), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* What util_write_all writes, util_read_file reads back, NUL-terminated. */
static void
test_write_read_round_trip(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 4095, 4096, 4097, 100000 };
	uint8_t			*data, *out;
	size_t			 outlen;
	struct stat		 st;
	int			 fd;

	(void)state;
	data = malloc(100000);
	assert_non_null(data);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		fill_pattern(data, sizes[i], (uint32_t)(i + 1));
		fd = write_file("rt", data, sizes[i]);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_size, sizes[i]);
		out = NULL;
		outlen = 12345;
		/* Exactly at the cap, and with room to spare. */
		assert_int_equal(util_read_file(fd, sizes[i], &out, &outlen),
		    0);
		assert_non_null(out);
		assert_int_equal(outlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(out, data, sizes[i]);
		assert_int_equal(out[outlen], '\0');
		free(out);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(util_read_file(fd, 1 << 20, &out, &outlen),
		    0);
		assert_int_equal(outlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(out, data, sizes[i]);
		assert_int_equal(out[outlen], '\0');
		free(out);
		close(fd);
	}
	free(data);
}

/* A file one byte over the cap is refused with EFBIG, nothing returned. */
static void
test_read_file_too_big(void **state)
{
	uint8_t	 data[5000], sentinel, *out = &sentinel;
	size_t	 outlen = 777;
	int	 fd;

	(void)state;
	fill_pattern(data, sizeof data, 99);
	fd = write_file("big", data, sizeof data);
	errno = 0;
	assert_int_equal(util_read_file(fd, sizeof data - 1, &out, &outlen),
	    -1);
	assert_int_equal(errno, EFBIG);
	assert_ptr_equal(out, &sentinel);
	assert_int_equal(outlen, 777);

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	errno = 0;
	assert_int_equal(util_read_file(fd, 0, &out, &outlen), -1);
	assert_int_equal(errno, EFBIG);
	assert_ptr_equal(out, &sentinel);
	close(fd);

	/* An empty file fits a cap of zero. */
	fd = write_file("empty", data, 0);
	assert_int_equal(util_read_file(fd, 0, &out, &outlen), 0);
	assert_int_equal(outlen, 0);
	assert_int_equal(out[0], '\0');
	free(out);
	close(fd);
}

/* Bad descriptors are reported, not ignored. */
static void
test_bad_fd(void **state)
{
	uint8_t	 sentinel, *out = &sentinel;
	size_t	 outlen = 777;
	int	 fds[2];

	(void)state;
	errno = 0;
	assert_int_equal(util_write_all(-1, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(util_read_file(-1, 10, &out, &outlen), -1);
	assert_int_equal(errno, EBADF);
	assert_ptr_equal(out, &sentinel);
	assert_int_equal(outlen, 777);

	/* Writing to a pipe nobody reads: EPIPE (SIGPIPE ignored). */
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	assert_int_equal(util_write_all(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(fds[1]);

	/* Zero bytes is nothing to do, whatever the fd. */
	assert_int_equal(util_write_all(-1, "x", 0), 0);
}

/* Do nothing: a signal handler whose only job is to interrupt write(2). */
static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * Read everything from fd after a pause and compare it with the pattern;
 * the child side of the pipe test. Exits 0 if it all matched.
 */
static void
slow_reader(int fd, size_t len, uint32_t seed)
{
	static uint8_t	want[1 << 20], got[1 << 20];
	size_t		have = 0;
	ssize_t		n;

	fill_pattern(want, len, seed);
	usleep(20000);
	while (have < len + 1) {
		n = read(fd, got + have, len + 1 - have < 3000 ?
		    len + 1 - have : 3000);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		usleep(50);
	}
	_exit(have == len && memcmp(got, want, len) == 0 ? 0 : 1);
}

/*
 * Through a pipe with a slow reader and a signal interrupting the writer,
 * util_write_all delivers every byte in order despite short writes and
 * EINTR, and util_read_file collects a stream that arrives in pieces.
 */
static void
test_pipe_partial_io(void **state)
{
	enum { LEN = 1 << 20 };
	static uint8_t		 data[LEN];
	struct sigaction	 sa, oldsa;
	struct itimerval	 it, oldit;
	uint8_t			*out;
	size_t			 outlen;
	pid_t			 pid;
	int			 fds[2], status;

	(void)state;
	fill_pattern(data, LEN, 7);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(fds[1]);
		slow_reader(fds[0], LEN, 7);
	}
	close(fds[0]);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: write gets EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &oldsa), 0);
	memset(&it, 0, sizeof it);
	it.it_interval.tv_usec = 1000;
	it.it_value.tv_usec = 1000;
	assert_int_equal(setitimer(ITIMER_REAL, &it, &oldit), 0);
	assert_int_equal(util_write_all(fds[1], data, LEN), 0);
	memset(&it, 0, sizeof it);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &oldsa, NULL), 0);
	close(fds[1]);

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* The other direction: a child writes in chunks, we read it all. */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(fds[0]);
		for (size_t off = 0; off < LEN; off += 10000) {
			size_t n = LEN - off < 10000 ? LEN - off : 10000;

			if (util_write_all(fds[1], data + off, n) != 0)
				_exit(1);
			usleep(20);
		}
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(util_read_file(fds[0], LEN, &out, &outlen), 0);
	close(fds[0]);
	assert_int_equal(outlen, LEN);
	assert_memory_equal(out, data, LEN);
	free(out);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Run the util tests, each in a fresh scratch directory. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_xdg_absolute, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_xdg_relative_ignored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_xdg_unset, setup,
		    teardown),
		cmocka_unit_test(test_dirname),
		cmocka_unit_test_setup_teardown(test_mkdir_p_nested, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_umask, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_relative, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_file_in_path,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_name_too_long,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_final_is_file,
		    setup, teardown),
		cmocka_unit_test(test_mkdir_p_empty),
		cmocka_unit_test_setup_teardown(test_write_file_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_read_round_trip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file_too_big, setup,
		    teardown),
		cmocka_unit_test(test_bad_fd),
		cmocka_unit_test(test_pipe_partial_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
