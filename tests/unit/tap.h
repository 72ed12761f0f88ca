/* tap.h - a minimal TAP producer for the C unit tests. */
#ifndef QP_TAP_H
#define QP_TAP_H
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...) do {						\
	tap_n++;							\
	if (!(cond)) {							\
		tap_failed++;						\
		printf("not ok %d - ", tap_n);				\
	} else								\
		printf("ok %d - ", tap_n);				\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

/* A whole file, NUL-terminated, in malloc'd memory; NULL if unreadable. */
static inline char *
tap_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* Write text to path, whole, or end the test (status 2). */
static inline void
tap_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

#define TAP_DONE() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)
#endif
