/*
 * jsonl.c - the JSON-lines reader.
 *
 * One buffer that grows up to max_line (+1 for the '\n'); lines are
 * handed out as pointers into it, so the common case copies nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"

#define JSONL_READ_SIZE	(256 * 1024)

int
jsonl_open(struct jsonl_reader *r, int fd, const char *name, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->max_line = max_line;
	r->cap = JSONL_READ_SIZE * 4;
	if ((r->buf = malloc(r->cap)) == NULL)
		return -1;
	return 0;
}

int
jsonl_open_path(struct jsonl_reader *r, const char *path, size_t max_line)
{
	int fd, saved;

	if (strcmp(path, "-") == 0)
		return jsonl_open(r, STDIN_FILENO, "<stdin>", max_line);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (jsonl_open(r, fd, path, max_line) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	r->own_fd = 1;
	return 0;
}

void
jsonl_close(struct jsonl_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	if (r->own_fd)
		close(r->fd);
	r->own_fd = 0;
}

void
jsonl_describe(const struct jsonl_reader *r, enum jsonl_status st,
    char *buf, size_t len)
{
	if (st == JSONL_INVALID)
		snprintf(buf, len, "%s:%lu: invalid JSON at byte %zu: %s",
		    r->name, r->lineno, r->jerr.offset + 1, r->jerr.what);
	else
		snprintf(buf, len, "%s:%lu: line longer than %zu bytes",
		    r->name, r->lineno, r->max_line);
}

/* Make room to read more; returns -1 if out of memory. */
static int
make_room(struct jsonl_reader *r)
{
	size_t used = r->end - r->start, want;
	char *nb;

	if (r->start > 0 && (r->cap - r->end < JSONL_READ_SIZE ||
	    r->start >= r->cap / 2)) {
		memmove(r->buf, r->buf + r->start, used);
		r->scan -= r->start;
		r->start = 0;
		r->end = used;
	}
	if (r->cap - r->end >= JSONL_READ_SIZE / 4)
		return 0;
	want = r->cap * 2;
	if ((nb = realloc(r->buf, want)) == NULL)
		return -1;
	r->buf = nb;
	r->cap = want;
	return 0;
}

/* Read once into the buffer: >0 bytes read, 0 at EOF, -1 error, -2 stop. */
static ssize_t
fill(struct jsonl_reader *r)
{
	ssize_t n;

	/* The hook runs before the buffer may move, so lines handed out
	 * so far are still valid inside it (kprod sends them then). */
	if (r->wait != NULL && r->wait(r->wait_arg, r->fd) == -1)
		return -2;
	if (make_room(r) == -1) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return -1;
		if (r->wait != NULL && r->wait(r->wait_arg, r->fd) == -1)
			return -2;
	}
	r->end += (size_t)n;
	return n;
}

static int blank(const char *, size_t);
static enum jsonl_status next_line(struct jsonl_reader *, const char **,
    size_t *);

enum jsonl_status
jsonl_next(struct jsonl_reader *r, const char **line, size_t *len)
{
	enum jsonl_status st;

	/*
	 * A blank line (nothing, or only blanks) is no record and no error:
	 * jq reads whitespace between values, and a file's last line often
	 * ends in two newlines.  Its line number is counted all the same.
	 */
	while ((st = next_line(r, line, len)) == JSONL_LINE &&
	    !r->keep_blank && blank(*line, *len))
		;
	if (st == JSONL_LINE && r->validate && (r->records_only ?
	    json_validate(*line, *len, &r->jerr) :
	    json_validate_line(*line, *len, &r->jerr)) == -1)
		return JSONL_INVALID;
	return st;
}

static int
blank(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		n--;
	return n == 0;
}

static enum jsonl_status
next_line(struct jsonl_reader *r, const char **line, size_t *len)
{
	char *nl;
	size_t n;
	ssize_t got;

	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl != NULL) {
			n = (size_t)(nl - (r->buf + r->start));
			*line = r->buf + r->start;
			r->start = r->scan = (size_t)(nl - r->buf) + 1;
			r->lineno++;
			if (r->skipping) {
				r->skipping = 0;
				return JSONL_TOO_LONG;
			}
			if (n > r->max_line + 1 ||
			    (n == r->max_line + 1 && (*line)[n - 1] != '\r'))
				return JSONL_TOO_LONG;
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			*len = n;
			return JSONL_LINE;
		}
		r->scan = r->end;
		if (r->end - r->start > r->max_line + 1) {
			/* Too long: drop what we have, find the line's end. */
			r->skipping = 1;
			r->start = r->scan = r->end = 0;
		}
		if (r->eof) {
			if (r->end == r->start && !r->skipping)
				return JSONL_EOF;
			/* A last line with no '\n'. */
			n = r->end - r->start;
			*line = r->buf + r->start;
			r->start = r->scan = r->end;
			r->lineno++;
			/* The limit is on the bytes before a '\r', as
			 * for a line ended by '\n'. */
			if (r->skipping || n > r->max_line + 1 ||
			    (n == r->max_line + 1 && (*line)[n - 1] != '\r')) {
				r->skipping = 0;
				return JSONL_TOO_LONG;
			}
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			*len = n;
			return JSONL_LINE;
		}
		got = fill(r);
		if (got == -2)
			return JSONL_INTERRUPTED;
		if (got == -1)
			return JSONL_ERROR;
		if (got == 0)
			r->eof = 1;
	}
}

int
jsonl_policy_parse(const char *s, enum jsonl_policy *p)
{
	if (strcmp(s, "count") == 0)
		*p = JSONL_ON_ERROR_COUNT;
	else if (strcmp(s, "fail") == 0)
		*p = JSONL_ON_ERROR_FAIL;
	else if (strcmp(s, "skip") == 0)
		*p = JSONL_ON_ERROR_SKIP;
	else
		return -1;
	return 0;
}

int
jsonl_parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mul = 1ULL << 10; p++; break;
	case 'm': case 'M': mul = 1ULL << 20; p++; break;
	case 'g': case 'G': mul = 1ULL << 30; p++; break;
	default: return -1;
	}
	if (*p != '\0' || v == 0 || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}
