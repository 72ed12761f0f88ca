/*
 * json_verdict.c - the scanner's verdict on each file named, one line
 * each, for json_diff.py to hold against Python's json:
 *
 *	accept	PATH
 *	reject	OFFSET	WHY	PATH
 *
 * A directory is read file by file (not recursively).  With no PATH,
 * the inputs are records on stdin, each a decimal length, '\n' and that
 * many bytes, and PATH is "#N", N counted from 0.  Exits 0, or 1 if a
 * file could not be read.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void
say(const char *buf, size_t len, const char *path)
{
	struct json_error jerr;

	if (json_validate(buf, len, &jerr) == 0)
		printf("accept\t%s\n", path);
	else
		printf("reject\t%zu\t%s\t%s\n", jerr.offset, jerr.what, path);
}

/* The records of stdin; 1 if one is cut short. */
static int
records(void)
{
	char name[32], *buf;
	unsigned long long n = 0;
	size_t i;

	for (i = 0; scanf("%llu", &n) == 1 && getchar() == '\n'; i++) {
		if (n > 64 * 1024 * 1024 || (buf = malloc(n ? n : 1)) == NULL)
			errx(1, "record %zu: %llu bytes", i, n);
		if (fread(buf, 1, n, stdin) != n)
			errx(1, "record %zu: cut short", i);
		snprintf(name, sizeof(name), "#%zu", i);
		say(buf, n, name);
		free(buf);
	}
	return ferror(stdin) || !feof(stdin);
}

static int
verdict(const char *path)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		warn("%s", path);
		return 1;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				err(1, "out of memory");
		}
		if ((n = fread(buf + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	if (ferror(fp)) {
		warn("%s", path);
		fclose(fp);
		free(buf);
		return 1;
	}
	fclose(fp);
	say(buf, len, path);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int i, rc = 0;

	if (argc == 1)
		rc = records();
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			warn("%s", argv[i]);
			rc = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc |= verdict(argv[i]);
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			warn("%s", argv[i]);
			rc = 1;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				rc |= verdict(path);
		}
		closedir(d);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return rc;
}
