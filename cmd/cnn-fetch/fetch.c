/*
 * fetch.c - cnn-fetch's HTTP: the request (a browser's headers, -H, the
 * validators of the last answer), the GET retried with backoff within
 * the deadline, the answer's headers, and a failure said in one line
 * with the exit status it makes.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include <curl/curl.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "sig.h"

#include "cnn-fetch.h"

#define RETRY_AFTER_MAX_MS (600 * 1000L)	/* longer: give up */
#define BACKOFF_CAP_MS	(60 * 1000L)

/* What a browser on edition.cnn.com sends; -H replaces or removes them. */
static const char *const default_headers[] = {
	"Accept: */*",
	"Origin: https://edition.cnn.com",
	"Referer: https://edition.cnn.com/",
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 "
	    "Safari/537.36",
};

/* Forget the last answer; keep the body's buffer. */
static void
answer_reset(struct answer *a)
{
	a->status = 0;
	a->reason[0] = a->content_type[0] = a->etag[0] = '\0';
	a->last_modified[0] = a->retry_after[0] = '\0';
	http_body_reset(&a->body);
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	static const struct {
		const char	*name;
		size_t		 off, len;
	} want[] = {
#define W(name, f) { name, offsetof(struct answer, f), \
	sizeof(((struct answer *)0)->f) }
		W("Content-Type", content_type),
		W("ETag", etag),
		W("Last-Modified", last_modified),
		W("Retry-After", retry_after),
#undef W
	};
	struct answer *a = arg;
	char reason[sizeof(a->reason)];
	size_t len = size * n, i;

	if (http_status_line(data, len, reason, sizeof(reason))) {
		/* A new response (after a redirect or 100): start over. */
		answer_reset(a);
		memcpy(a->reason, reason, sizeof(reason));
		return len;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (http_header(data, len, want[i].name, (char *)a +
		    want[i].off, want[i].len))
			break;
	return len;
}

size_t
fetch_header_name_len(const char *h)
{
	return strcspn(h, ":;");
}

static int
user_has_header(const struct fetch *f, const char *h)
{
	const struct curl_slist *u;
	size_t n = fetch_header_name_len(h);

	for (u = f->user_headers; u != NULL; u = u->next)
		if (fetch_header_name_len(u->data) == n &&
		    strncasecmp(u->data, h, n) == 0)
			return 1;
	return 0;
}

/* The request headers: defaults, then -H, then validators.  NULL: ENOMEM. */
static struct curl_slist *
request_headers(const struct fetch *f, int conditional)
{
	struct curl_slist *list = NULL, *nl;
	const struct curl_slist *u;
	char buf[320];
	size_t i;

#define ADD(s) do { \
	if ((nl = curl_slist_append(list, (s))) == NULL) \
		goto fail; \
	list = nl; \
} while (0)
	for (i = 0; i < sizeof(default_headers) / sizeof(default_headers[0]);
	    i++)
		if (!user_has_header(f, default_headers[i]))
			ADD(default_headers[i]);
	for (u = f->user_headers; u != NULL; u = u->next)
		ADD(u->data);
	if (conditional && f->cond_etag[0] != '\0') {
		snprintf(buf, sizeof(buf), "If-None-Match: %s", f->cond_etag);
		ADD(buf);
	}
	if (conditional && f->cond_lm[0] != '\0') {
		snprintf(buf, sizeof(buf), "If-Modified-Since: %s", f->cond_lm);
		ADD(buf);
	}
#undef ADD
	return list;
fail:
	curl_slist_free_all(list);
	return NULL;
}

char *
fetch_url(const struct fetch *f, const char *date)
{
	char *regions, *url, *p;
	size_t baselen = strlen(f->base), n;

	while (baselen > 0 && f->base[baselen - 1] == '/')
		baselen--;
	if ((regions = curl_easy_escape(f->easy, f->regions, 0)) == NULL)
		return NULL;
	/* The list separator stays a comma, as the site writes it. */
	for (p = regions; (p = strstr(p, "%2C")) != NULL; p++) {
		*p = ',';
		memmove(p + 1, p + 3, strlen(p + 3) + 1);
	}
	n = baselen + strlen(regions) + strlen(date) + 32;
	if ((url = malloc(n)) != NULL)
		snprintf(url, n, "%.*s/markets/world/regions/%s/%s",
		    (int)baselen, f->base, regions, date);
	curl_free(regions);
	return url;
}

/* One-line description of a failed attempt, for messages. */
static void
describe_failure(const struct fetch *f, CURLcode res, char *buf, size_t len)
{
	if (res == CURLE_OK)
		snprintf(buf, len, "HTTP %ld%s%s", f->ans.status,
		    f->ans.reason[0] ? " " : "", f->ans.reason);
	else if ((res == CURLE_WRITE_ERROR && f->ans.body.too_big) ||
	    res == CURLE_FILESIZE_EXCEEDED)
		snprintf(buf, len, "the body is larger than --max-size (%zu "
		    "bytes)", f->max_size);
	else if (res == CURLE_PARTIAL_FILE)
		snprintf(buf, len, "truncated body: %s", f->errbuf[0] ?
		    f->errbuf : curl_easy_strerror(res));
	else
		snprintf(buf, len, "%s", f->errbuf[0] ? f->errbuf :
		    curl_easy_strerror(res));
}

/*
 * One rule for every tool: a service still failing after the retries (or
 * by the deadline), like one that retrying cannot help, is 69
 * (EX_UNAVAILABLE); 75 (EX_TEMPFAIL) is kept for a signal that came
 * before the answer.
 */
static int
failure_status(CURLcode res, int retryable)
{
	if (retryable)
		return EX_UNAVAILABLE;
	switch (res) {
	case CURLE_OK:
	case CURLE_WRITE_ERROR:		/* too big */
	case CURLE_FILESIZE_EXCEEDED:
		return EX_PROTOCOL;
	case CURLE_FILE_COULDNT_READ_FILE:
		return EX_NOINPUT;
	case CURLE_OUT_OF_MEMORY:
		return EX_OSERR;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return EX_USAGE;
	default:
		return EX_UNAVAILABLE;
	}
}

int
fetch_get(struct fetch *f, const char *url)
{
	struct curl_slist *hdrs;
	char why[CURL_ERROR_SIZE + 128];
	CURLcode res;
	long long left;
	long delay, ra;
	int attempt, conditional, retryable, rc;

	conditional = f->cond_url != NULL && strcmp(f->cond_url, url) == 0;
	if ((hdrs = request_headers(f, conditional)) == NULL) {
		log_err("out of memory");
		return EX_OSERR;
	}
	curl_easy_setopt(f->easy, CURLOPT_URL, url);
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, hdrs);
	for (attempt = 1;; attempt++) {
		/* No request may outlast the deadline. */
		left = clock_left_ms(f->deadline, f->timeout_ms);
		if (f->deadline != 0 && left < CNN_MIN_TRY_MS) {
			log_err("%s: gave up: the deadline (QP_DEADLINE_MS) "
			    "has come%s%s", url, attempt > 1 ? " after " : "",
			    attempt > 1 ? why : "");
			rc = EX_UNAVAILABLE;
			break;
		}
		curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, (long)left);
		curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(left < 10000 ? left : 10000));
		answer_reset(&f->ans);
		f->errbuf[0] = '\0';
		log_info("GET %s%s", url, conditional ? " (conditional)" : "");
		if (http_perform(f->multi, f->easy, &res, 1) == -1) {
			rc = INTERRUPTED;
			break;
		}
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE,
		    &f->ans.status);
		if (res == CURLE_OK && (f->ans.status == 0 ||
		    (f->ans.status >= 200 && f->ans.status < 300))) {
			if (f->ans.status != 0)
				log_info("%s: HTTP %ld, %zu bytes", url,
				    f->ans.status, f->ans.body.len);
			else
				log_info("%s: %zu bytes", url, f->ans.body.len);
			rc = 0;
			break;
		}
		if (res == CURLE_OK && f->ans.status == 304 && conditional) {
			log_info("%s: not modified", url);
			rc = 1;
			break;
		}
		describe_failure(f, res, why, sizeof(why));
		retryable = http_retryable(res, f->ans.status);
		delay = http_backoff_ms(attempt, (long)f->retry_delay_ms,
		    BACKOFF_CAP_MS);
		if (retryable && res == CURLE_OK && f->ans.retry_after[0] &&
		    (ra = http_retry_after_ms(f->ans.retry_after,
		    time(NULL))) >= 0) {
			if (ra > RETRY_AFTER_MAX_MS) {
				log_err("%s: %s, and Retry-After asks for %ld "
				    "s: giving up", url, why, ra / 1000);
				rc = EX_UNAVAILABLE;
				break;
			}
			delay = ra;
		}
		if (retryable && f->deadline != 0 && attempt <= f->retries &&
		    clock_left_ms(f->deadline, LLONG_MAX) < delay +
		    CNN_MIN_TRY_MS + CNN_SLEEP_SLACK_MS) {
			log_err("%s: %s (gave up after %d attempt%s: no time "
			    "for another before the deadline)", url, why,
			    attempt, attempt == 1 ? "" : "s");
			rc = EX_UNAVAILABLE;
			break;
		}
		if (!retryable || attempt > f->retries) {
			if (retryable && f->retries > 0)
				log_err("%s: %s (gave up after %d attempts)",
				    url, why, attempt);
			else
				log_err("%s: %s", url, why);
			rc = failure_status(res, retryable);
			break;
		}
		log_warn("%s: %s; retry %d of %lld in %.1f s", url, why,
		    attempt, f->retries, delay / 1000.0);
		f->nretries++;
		sig_sleep((int)delay);
		if (sig_caught()) {
			rc = INTERRUPTED;
			break;
		}
	}
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return rc;
}

int
fetch_setup(struct fetch *f)
{
	if ((f->easy = curl_easy_init()) == NULL ||
	    (f->multi = curl_multi_init()) == NULL)
		return -1;
	curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, &f->ans.body);
	curl_easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->easy, CURLOPT_HEADERDATA, &f->ans);
	curl_easy_setopt(f->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(f->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(f->easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(f->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)f->max_size);
	curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
	/* TLS is verified (libcurl's default), said here so it stays. */
	curl_easy_setopt(f->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->cacert != NULL)
		curl_easy_setopt(f->easy, CURLOPT_CAINFO, f->cacert);
	return 0;
}
