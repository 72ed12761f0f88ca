/*
 * http.c - interruptible libcurl transfers and the retry policy.
 *
 * libcurl's own waits cannot be interrupted by our blocked stop
 * signals, so transfers run through the multi interface and every wait
 * is a sig_poll() on curl's descriptors.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>

#include "http.h"
#include "sig.h"

int
http_perform(CURLM *multi, CURL *easy, CURLcode *res)
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
		if (timeout > 0 && sig_poll(pfd, (nfds_t)n, (int)timeout) ==
		    -1 && errno == EINTR && sig_caught())
			break;
		if (sig_caught())
			break;
	}
	curl_multi_remove_handle(multi, easy);
	return done || !sig_caught() ? 0 : -1;
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
