#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "obuf.h"

int
obuf_open(struct obuf *o, int fd, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->cap = cap;
	if ((o->buf = malloc(cap)) == NULL)
		return -1;
	return 0;
}

int
obuf_flush(struct obuf *o)
{
	size_t off = 0;
	ssize_t n;

	while (off < o->len && o->err == 0) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			break;
		}
		off += (size_t)n;
	}
	o->len = 0;
	return o->err;
}

int
obuf_flush_within(struct obuf *o, long long ms)
{
	struct pollfd pfd = { o->fd, POLLOUT, 0 };
	long long until = clock_mono_ms() + ms, left;
	size_t off = 0;
	ssize_t n;
	int fl;

	if ((fl = fcntl(o->fd, F_GETFL)) == -1 ||
	    fcntl(o->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return obuf_flush(o) != 0 ? -1 : 0;
	while (off < o->len && o->err == 0) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			o->err = errno;
			break;
		}
		if ((left = until - clock_mono_ms()) <= 0)
			break;
		(void)poll(&pfd, 1, left > 200 ? 200 : (int)left);
	}
	(void)fcntl(o->fd, F_SETFL, fl);
	memmove(o->buf, o->buf + off, o->len - off);
	o->len -= off;
	if (o->err != 0)
		return -1;
	return o->len > 0;
}

int
obuf_close(struct obuf *o)
{
	int err = obuf_flush(o);

	free(o->buf);
	o->buf = NULL;
	return err;
}

char *
obuf_reserve(struct obuf *o, size_t n)
{
	char *nb;

	if (o->cap - o->len >= n)
		return o->buf + o->len;
	obuf_flush(o);
	if (o->cap < n) {
		if ((nb = realloc(o->buf, n)) == NULL) {
			if (o->err == 0)
				o->err = ENOMEM;
			return NULL;
		}
		o->buf = nb;
		o->cap = n;
	}
	return o->buf;
}

void
obuf_commit(struct obuf *o, size_t n)
{
	o->len += n;
}

void
obuf_write(struct obuf *o, const void *p, size_t n)
{
	char *d;

	if (o->err != 0)
		return;
	if (n > o->cap) {	/* too big to buffer: write through */
		obuf_flush(o);
		while (n > 0 && o->err == 0) {
			ssize_t w = write(o->fd, p, n);
			if (w < 0) {
				if (errno != EINTR)
					o->err = errno;
				continue;
			}
			p = (const char *)p + w;
			n -= (size_t)w;
		}
		return;
	}
	if ((d = obuf_reserve(o, n)) == NULL)
		return;
	memcpy(d, p, n);
	o->len += n;
}

void
obuf_puts(struct obuf *o, const char *s)
{
	obuf_write(o, s, strlen(s));
}

void
obuf_putc(struct obuf *o, char c)
{
	if (o->len == o->cap)
		obuf_flush(o);
	if (o->err == 0)
		o->buf[o->len++] = c;
}

void
obuf_printf(struct obuf *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	obuf_write(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
	    sizeof(tmp) - 1);
}

void
obuf_json_string(struct obuf *o, const char *s, size_t n)
{
	char *d;

	if (o->err != 0)
		return;
	if ((d = obuf_reserve(o, JSON_QUOTE_MAX(n))) == NULL)
		return;
	o->len += json_quote(d, s, n);
}
