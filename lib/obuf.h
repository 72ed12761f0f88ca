/*
 * obuf.h - a large output buffer over a file descriptor.
 *
 * Output is written in big blocks for speed; the tools call obuf_flush()
 * whenever they are about to wait, so a slow stream never sits in here.
 * The first write error sticks: later calls do nothing and obuf_error()
 * returns its errno.
 */
#ifndef QP_OBUF_H
#define QP_OBUF_H

#include <stddef.h>

struct obuf {
	int	 fd;
	char	*buf;
	size_t	 cap, len;
	int	 err;		/* errno of the first failed write, or 0 */
};

int	obuf_open(struct obuf *, int fd, size_t cap);
/* Flush and free; returns 0 or the sticky errno.  fd is not closed. */
int	obuf_close(struct obuf *);

int	obuf_flush(struct obuf *);
/*
 * Flush, waiting at most ms for the reader: 0 all written, 1 the time
 * ran out (what is left stays buffered), -1 an error (obuf_error()).
 */
int	obuf_flush_within(struct obuf *, long long ms);
void	obuf_write(struct obuf *, const void *, size_t);
/* Room for at least n bytes at the end; commit with obuf_commit(). */
char	*obuf_reserve(struct obuf *, size_t n);
void	obuf_commit(struct obuf *, size_t n);

void	obuf_puts(struct obuf *, const char *);
void	obuf_putc(struct obuf *, char);
void	obuf_printf(struct obuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Write bytes as a JSON string literal (see json_quote()). */
void	obuf_json_string(struct obuf *, const char *, size_t);

static inline int
obuf_error(const struct obuf *o)
{
	return o->err;
}

#endif
