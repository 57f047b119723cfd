/* replay files through a fuzz target without libFuzzer: any compiler, any sanitizer */

#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* the largest input replayed: the seeds are below 64 KiB */
#define ONEFILE_MAX	(16 * 1024 * 1024)

static int	replay(const char *);

/* one input file, read whole and handed to the target once */
static int
replay_file(const char *path)
{
	FILE	*fp;
	uint8_t	*buf;
	long	 n;
	size_t	 got;

	if ((fp = fopen(path, "rb")) == NULL) {
		warn("%s", path);
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) == -1 ||
	    fseek(fp, 0, SEEK_SET) == -1) {
		warn("%s", path);
		fclose(fp);
		return -1;
	}
	if (n > ONEFILE_MAX) {
		warnx("%s: larger than %d bytes", path, ONEFILE_MAX);
		fclose(fp);
		return -1;
	}
	/* malloc(n) exactly, so that a read past the input is caught */
	if ((buf = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		err(1, "malloc");
	got = fread(buf, 1, (size_t)n, fp);
	fclose(fp);
	if (got != (size_t)n) {
		warnx("%s: short read", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

/* every regular file of a directory (a corpus), not recursing */
static int
replay_dir(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[4096];
	int		 rv = 0;

	if ((d = opendir(path)) == NULL) {
		warn("%s", path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", path,
		    de->d_name) >= sizeof(p)) {
			warnx("%s/%s: path too long", path, de->d_name);
			rv = -1;
			continue;
		}
		if (replay(p) == -1)
			rv = -1;
	}
	closedir(d);
	return rv;
}

static int
replay(const char *path)
{
	struct stat	 sb;

	if (stat(path, &sb) == -1) {
		warn("%s", path);
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return replay_dir(path);
	return replay_file(path);
}

int
main(int argc, char **argv)
{
	int	 i, rv = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|directory ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay(argv[i]) == -1)
			rv = 1;
	return rv;
}
