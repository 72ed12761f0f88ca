/*
 * http.c - interruptible libcurl transfers, the retry policy, the
 * answer's body and header lines (http.h).
 *
 * libcurl's own waits cannot be interrupted by our blocked stop
 * signals, so transfers run through the multi interface and every wait
 * is a sig_poll() on curl's descriptors.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>

#include "http.h"
#include "sig.h"

int
http_perform(CURLM *multi, CURL *easy, CURLcode *res, int interruptible)
{
	struct pollfd pfd[64];
	fd_set rd, wr, ex;
	CURLMsg *msg;
	CURLMcode mc;
	long timeout;
	int running = 1, maxfd, fd, n, left, done = 0;

	if ((mc = curl_multi_add_handle(multi, easy)) != CURLM_OK) {
		*res = CURLE_OUT_OF_MEMORY;
		return 0;
	}
	*res = CURLE_OK;
	while (!done) {
		if ((mc = curl_multi_perform(multi, &running)) != CURLM_OK) {
			*res = CURLE_OUT_OF_MEMORY;
			break;
		}
		while ((msg = curl_multi_info_read(multi, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
				*res = msg->data.result;
				done = 1;
			}
		if (done || running == 0)
			break;
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_ZERO(&ex);
		maxfd = -1;
		curl_multi_fdset(multi, &rd, &wr, &ex, &maxfd);
		curl_multi_timeout(multi, &timeout);
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		n = 0;
		for (fd = 0; fd <= maxfd && n < 64; fd++) {
			short ev = 0;
			if (FD_ISSET(fd, &rd))
				ev |= POLLIN;
			if (FD_ISSET(fd, &wr))
				ev |= POLLOUT;
			if (FD_ISSET(fd, &ex))
				ev |= POLLPRI;
			if (ev) {
				pfd[n].fd = fd;
				pfd[n].events = ev;
				pfd[n].revents = 0;
				n++;
			}
		}
		if (n == 0 && timeout > 100)
			timeout = 100;	/* curl's advice when it has no fd */
		if (timeout > 0 && !interruptible)
			(void)poll(pfd, (nfds_t)n, (int)timeout);
		else if (timeout > 0 && sig_poll(pfd, (nfds_t)n,
		    (int)timeout) == -1 && errno == EINTR && sig_caught())
			break;
		if (interruptible && sig_caught())
			break;
	}
	curl_multi_remove_handle(multi, easy);
	return done || !interruptible || !sig_caught() ? 0 : -1;
}

int
http_retryable(CURLcode res, long status)
{
	switch (res) {
	case CURLE_OK:
		return status == 408 || status == 429 || status >= 500;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

long
http_backoff_ms(int attempt, long base_ms, long cap_ms)
{
	long d = base_ms;
	int i;

	for (i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (d < 2)
		return d;
	return d / 2 + random() % (d / 2 + 1);
}

long
http_retry_after_ms(const char *value, time_t now)
{
	struct tm tm;
	const char *end;
	long long secs = 0;
	time_t when;

	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		for (end = value; *end >= '0' && *end <= '9'; end++)
			if ((secs = secs * 10 + (*end - '0')) > 86400 * 365)
				return -1;
		while (*end == ' ' || *end == '\t' || *end == '\r' ||
		    *end == '\n')
			end++;
		return *end == '\0' ? (long)(secs * 1000) : -1;
	}
	/* IMF-fixdate, the form RFC 9110 requires senders to use. */
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL)
		return -1;
	when = timegm(&tm);
	if (when <= now)
		return 0;
	if (when - now > 86400 * 365)
		return -1;
	return (long)(when - now) * 1000;
}

int
http_body_add(struct http_body *b, const void *data, size_t len)
{
	size_t cap;
	char *nb;

	if (b->too_big || (b->max != 0 && len > b->max - b->len)) {
		b->too_big = 1;
		return -1;
	}
	if (len >= b->cap - b->len) {	/* no room for len and the NUL */
		if (len > SIZE_MAX / 4 - b->len)
			return -1;
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len <= len)
			cap *= 2;
		if (b->max != 0 && cap - 1 > b->max)
			cap = b->max + 1;
		if ((nb = realloc(b->buf, cap)) == NULL)
			return -1;
		b->buf = nb;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

size_t
http_body_write(char *data, size_t size, size_t n, void *body)
{
	return http_body_add(body, data, size * n) == 0 ? size * n : 0;
}

void
http_body_reset(struct http_body *b)
{
	b->len = 0;
	b->too_big = 0;
	if (b->buf != NULL)
		b->buf[0] = '\0';
}

void
http_body_free(struct http_body *b)
{
	size_t max = b->max;

	free(b->buf);
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Copy v (n bytes), without the blanks and line end around it. */
static void
header_value(const char *v, size_t n, char *dst, size_t dstlen)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

int
http_status_line(const char *line, size_t len, char *reason,
    size_t reasonlen)
{
	const char *sp;

	if (len <= 5 || strncmp(line, "HTTP/", 5) != 0)
		return 0;
	if (reason == NULL)
		return 1;
	reason[0] = '\0';
	/* "HTTP/1.1 200 OK": the phrase is after the second space. */
	if ((sp = memchr(line, ' ', len)) != NULL && (sp = memchr(sp + 1,
	    ' ', len - (size_t)(sp + 1 - line))) != NULL)
		header_value(sp + 1, len - (size_t)(sp + 1 - line), reason,
		    reasonlen);
	return 1;
}

int
http_header(const char *line, size_t len, const char *name, char *value,
    size_t valuelen)
{
	size_t k = strlen(name);

	if (len <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return 0;
	header_value(line + k + 1, len - k - 1, value, valuelen);
	return 1;
}

void
http_strerror(CURLcode res, const char *errbuf, char *out, size_t outlen)
{
	const char *why = errbuf != NULL && *errbuf ? errbuf :
	    curl_easy_strerror(res);

	if (res == CURLE_PEER_FAILED_VERIFICATION ||
	    res == CURLE_SSL_CACERT_BADFILE || res == CURLE_SSL_CERTPROBLEM)
		snprintf(out, outlen, "%s (the server's certificate is not "
		    "signed by a CA trusted here: give its CA with "
		    "--ca-bundle, AWS_CA_BUNDLE or ca_bundle in the profile)",
		    why);
	else
		snprintf(out, outlen, "%s", why);
}

long
http_call(const struct http_call *r, struct http_body *b, char *err,
    size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode res;
	long status = 0;

	http_body_reset(b);
	err[0] = '\0';
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (r->no_proxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (r->ca_bundle != NULL && *r->ca_bundle != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_bundle);
	if (r->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->len);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	if ((res = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		http_strerror(res, ebuf, err, errlen);
	curl_easy_cleanup(c);
	return status;
}
