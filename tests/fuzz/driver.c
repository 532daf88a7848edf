/*
 * Replay driver for builds without libFuzzer: runs LLVMFuzzerTestOneInput
 * once over every file named on the command line (directories are walked
 * one level deep), so `make check` keeps every fuzz target's corpus
 * passing under the ordinary compiler and the sanitizers.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

/* Run the target over one file; return 0, or -1 if it cannot be read. */
static int
run_file(const char *path)
{
	FILE		*f;
	uint8_t		*data = NULL;
	size_t		 len = 0, size = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == size) {
			size = size ? size * 2 : 4096;
			if ((data = realloc(data, size)) == NULL) {
				fprintf(stderr, "driver: out of memory\n");
				exit(2);
			}
		}
		n = fread(data + len, 1, size - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*dir;
	char		 path[4096];
	int		 i, runs = 0, bad = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;	/* libFuzzer flags */
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((dir = opendir(argv[i])) == NULL) {
				bad++;
				continue;
			}
			while ((de = readdir(dir)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof path, "%s/%s", argv[i],
				    de->d_name);
				bad += run_file(path) != 0;
				runs++;
			}
			closedir(dir);
		} else {
			bad += run_file(argv[i]) != 0;
			runs++;
		}
	}
	fprintf(stderr, "driver: ran %d inputs\n", runs);
	return bad == 0 && runs > 0 ? 0 : 1;
}
