/*
 * jsonl.h - reading JSON lines: one record per '\n'-terminated line.
 *
 * Lines of any length up to a limit are returned whole; a trailing '\r'
 * is dropped (CRLF input); a last line without '\n' still counts.  A
 * line longer than the limit is reported, skipped to its end, and
 * reading goes on: bad input never stops the good input behind it.
 */
#ifndef QP_JSONL_H
#define QP_JSONL_H

#include <stddef.h>

#include "json.h"

#define JSONL_DEFAULT_MAX_LINE	(1024 * 1024)

enum jsonl_status {
	JSONL_LINE,		/* a line is in line/len */
	JSONL_TOO_LONG,		/* the line at lineno exceeded the limit */
	JSONL_INVALID,		/* not one JSON value (validate set); jerr */
	JSONL_EOF,
	JSONL_ERROR,		/* read error; errno is set */
	JSONL_INTERRUPTED	/* the wait hook asked to stop */
};

/*
 * Called before each read(2) that could block, while every line handed
 * out since the last call is still valid (the buffer moves only after
 * it).  Return 0 to go on with the read, -1 to stop reading
 * (JSONL_INTERRUPTED).
 */
typedef int (*jsonl_wait_fn)(void *arg, int fd);

struct jsonl_reader {
	int		 fd;
	const char	*name;		/* for messages: a path or "<stdin>" */
	size_t		 max_line;
	unsigned long	 lineno;	/* of the line just returned */
	jsonl_wait_fn	 wait;
	void		*wait_arg;
	int		 validate;	/* check each line is one JSON value */
	int		 records_only;	/* ...a record: no envelope's level */
	int		 keep_blank;	/* raw bytes: a blank line is a line */
	struct json_error jerr;		/* why, after JSONL_INVALID */
	/* private */
	int		 own_fd;
	char		*buf;
	size_t		 cap, start, end, scan;
	int		 eof, skipping;
};

/*
 * Set up a reader on fd (borrowed: the caller closes it).  name is
 * borrowed and must outlive the reader.  Returns -1 if out of memory.
 */
int	jsonl_open(struct jsonl_reader *, int fd, const char *name,
	    size_t max_line);

/*
 * Set up a reader on the file at path, "-" meaning stdin (named
 * "<stdin>" in messages).  path is borrowed.  The reader owns the file
 * it opened; jsonl_close() closes it.  Returns -1 with errno set.
 */
int	jsonl_open_path(struct jsonl_reader *, const char *path,
	    size_t max_line);

/*
 * Return the next line that is not blank (blank lines, empty or only
 * spaces, tabs and a '\r', are skipped, their numbers counted; unless
 * keep_blank, for lines taken as raw bytes).  On
 * JSONL_LINE, *line points into the reader's buffer (valid until the
 * next call) and *len excludes the terminator.
 */
enum jsonl_status jsonl_next(struct jsonl_reader *, const char **line,
	    size_t *len);

void	jsonl_close(struct jsonl_reader *);

/*
 * Say what is wrong with the line just returned with JSONL_TOO_LONG or
 * JSONL_INVALID, as "NAME:LINE: why", in buf.
 */
void	jsonl_describe(const struct jsonl_reader *, enum jsonl_status,
	    char *buf, size_t len);

/* What to do about a bad line: DESIGN.md's --on-error policy. */
enum jsonl_policy {
	JSONL_ON_ERROR_COUNT,	/* skip, count, exit EX_DATAERR at the end */
	JSONL_ON_ERROR_FAIL,	/* stop at once, EX_DATAERR */
	JSONL_ON_ERROR_SKIP	/* skip, count, exit 0 */
};

/* Parse "count", "fail" or "skip"; -1 if none of them. */
int	jsonl_policy_parse(const char *, enum jsonl_policy *);

/*
 * Parse a size such as "1048576", "64K", "10M" or "1G" into *out.  Junk,
 * zero and overflow are rejected with -1.
 */
int	jsonl_parse_size(const char *, size_t *out);

#endif
