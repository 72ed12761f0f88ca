/*
 * cnn-fetch - CNN's world-markets quotes as JSON lines.
 *
 * One GET of BASE/markets/world/regions/REGIONS/DATE with the headers a
 * browser sends; the answer, a JSON array of quote objects, is checked
 * whole and then printed one object per line, byte for byte except for
 * whitespace between tokens.  Output is all or nothing: a failed fetch
 * prints no quote.  With --every the fetch repeats forever with
 * conditional requests, printing only the quotes whose last_updated
 * changed.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"
#include "clock.h"
#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "stdfd.h"
#include "num.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "version.h"

#include "check.h"
#include "seen.h"

#define DEFAULT_BASE	"https://production.dataviz.cnn.io"
#define DEFAULT_REGIONS	"Americas,Asia-Pacific,Europe"
#define RETRY_AFTER_MAX_MS (600 * 1000L)	/* longer: give up */
#define BACKOFF_CAP_MS	(60 * 1000L)
#define INTERRUPTED	(-1)
/*
 * Kept back from the deadline to exit: more than kprod keeps back, so
 * that when the fetch runs out of time, it is the fetch that fails and
 * kprod has seen the end of its input before its own deadline.
 */
#define CNN_STOP_MS	1000
#define CNN_MIN_TRY_MS	500	/* no request with less time than that */

enum {
	OPT_BASE_URL = 256, OPT_CACERT, OPT_DATE, OPT_EVERY, OPT_MAX_SIZE,
	OPT_REGIONS, OPT_RETRIES, OPT_RETRY_DELAY, OPT_STATE, OPT_TIMEOUT
};

/* What a browser on edition.cnn.com sends; -H replaces or removes them. */
static const char *const default_headers[] = {
	"Accept: */*",
	"Origin: https://edition.cnn.com",
	"Referer: https://edition.cnn.com/",
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 "
	    "Safari/537.36",
};

/* The parts of an answer that matter, from its header lines. */
struct answer {
	long	 status;
	char	 reason[96];
	char	 content_type[128];
	char	 etag[256];
	char	 last_modified[64];
	char	 retry_after[64];
	char	*body;
	size_t	 len, cap, max;
	int	 too_big;
};

struct fetch {
	/* options */
	const char	*base, *regions, *date, *cacert, *state;
	long long	 timeout_ms, retry_delay_ms, every_ms;
	long long	 retries;
	long long	 deadline;	/* $QP_DEADLINE_MS less CNN_STOP_MS */
	size_t		 max_size;
	struct curl_slist *user_headers;
	/* state */
	CURL		*easy;
	CURLM		*multi;
	struct answer	 ans;
	char		 errbuf[CURL_ERROR_SIZE];
	char		*cond_url;	/* validators below are for this URL */
	char		 cond_etag[256], cond_lm[64];
	struct seen	*seen;		/* --every: last_updated per quote */
	struct json_path *symbol, *updated;
	char		*line;		/* one compacted quote */
	size_t		 line_cap;
	struct obuf	 out;
	/* QP_STATS */
	unsigned long	 nfetches, nfailed, nretries, nquotes, nprinted;
	double		 fetch_ms;	/* the last successful GET */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cnn-fetch [-hqVv] [--base-url URL] [--cacert FILE] "
	    "[--date YYYY-MM-DD]\n"
	    "                 [--every SECONDS] [-H 'Name: value']... "
	    "[--max-size SIZE]\n"
	    "                 [--regions LIST] [--retries N] "
	    "[--retry-delay SECONDS]\n"
	    "                 [--state FILE] [--timeout SECONDS]\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Fetch CNN's world-markets quotes and print one JSON object per "
	    "line.\n\n"
	    "  -H, --header 'Name: value'  an extra request header; 'Name:' "
	    "removes one\n"
	    "  -h, --help             show this help and exit\n"
	    "  -q, --quiet            only errors on stderr\n"
	    "  -V, --version          print the version and exit\n"
	    "  -v, --verbose          more messages on stderr\n"
	    "      --base-url URL     default " DEFAULT_BASE "\n"
	    "      --cacert FILE      trust the CA certificates in FILE\n"
	    "      --date YYYY-MM-DD  the day to fetch (default: today, UTC)\n"
	    "      --every SECONDS    poll forever, printing changed quotes\n"
	    "      --max-size SIZE    largest accepted body (default 64M)\n"
	    "      --regions LIST     default " DEFAULT_REGIONS "\n"
	    "      --retries N        retries of a failed request (default "
	    "3)\n"
	    "      --retry-delay SECONDS  first backoff (default 1), doubled "
	    "each retry\n"
	    "      --state FILE       print only quotes changed since FILE; "
	    "new state\n"
	    "                         to FILE.next (with --every: to FILE)\n"
	    "      --timeout SECONDS  limit for one request (default 30)\n");
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n, cap;
	char *nb;

	if (len > a->max - a->len) {
		a->too_big = 1;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	if (len > a->cap - a->len) {
		cap = a->cap ? a->cap : 65536;
		while (cap - a->len < len)
			cap *= 2;
		if ((nb = realloc(a->body, cap)) == NULL)
			return 0;
		a->body = nb;
		a->cap = cap;
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	return len;
}

/* Forget the last answer; keep the body's buffer. */
static void
answer_reset(struct answer *a)
{
	a->status = 0;
	a->reason[0] = a->content_type[0] = a->etag[0] = '\0';
	a->last_modified[0] = a->retry_after[0] = '\0';
	a->len = 0;
	a->too_big = 0;
}

/* Copy a header's value, trimmed, into dst. */
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

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	static const struct {
		const char	*name;
		size_t		 off, len;
	} want[] = {
#define W(name, f) { name, offsetof(struct answer, f), \
	sizeof(((struct answer *)0)->f) }
		W("content-type:", content_type),
		W("etag:", etag),
		W("last-modified:", last_modified),
		W("retry-after:", retry_after),
#undef W
	};
	struct answer *a = arg;
	size_t len = size * n, i, k;
	const char *sp;

	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100): start over. */
		a->reason[0] = a->content_type[0] = a->etag[0] = '\0';
		a->last_modified[0] = a->retry_after[0] = '\0';
		a->len = 0;
		sp = memchr(data, ' ', len);
		if (sp != NULL && (sp = memchr(sp + 1, ' ',
		    len - (size_t)(sp + 1 - data))) != NULL)
			header_value(sp + 1, len - (size_t)(sp + 1 - data),
			    a->reason, sizeof(a->reason));
		return len;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		k = strlen(want[i].name);
		if (len > k && strncasecmp(data, want[i].name, k) == 0)
			header_value(data + k, len - k,
			    (char *)a + want[i].off, want[i].len);
	}
	return len;
}

/* The header name of "Name: value" or "Name;", its length. */
static size_t
header_name_len(const char *h)
{
	return strcspn(h, ":;");
}

static int
user_has_header(const struct fetch *f, const char *h)
{
	const struct curl_slist *u;
	size_t n = header_name_len(h);

	for (u = f->user_headers; u != NULL; u = u->next)
		if (header_name_len(u->data) == n &&
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

static char *
request_url(const struct fetch *f, const char *date)
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
	else if ((res == CURLE_WRITE_ERROR && f->ans.too_big) ||
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

/*
 * GET url until it answers or the retries run out.  Returns 0 with the
 * body in f->ans, 1 for "not modified", INTERRUPTED, or an exit status
 * (the problem already reported).
 */
static int
get(struct fetch *f, const char *url)
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
		if (http_perform(f->multi, f->easy, &res) == -1) {
			rc = INTERRUPTED;
			break;
		}
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE,
		    &f->ans.status);
		if (res == CURLE_OK && (f->ans.status == 0 ||
		    (f->ans.status >= 200 && f->ans.status < 300))) {
			if (f->ans.status != 0)
				log_info("%s: HTTP %ld, %zu bytes", url,
				    f->ans.status, f->ans.len);
			else
				log_info("%s: %zu bytes", url, f->ans.len);
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
		    CNN_MIN_TRY_MS) {
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

/*
 * Has this quote changed since the last poll?  A quote is known by its
 * symbol and its version by last_updated; without them, by its bytes.
 */
static int
quote_changed(struct fetch *f, const char *q, size_t len)
{
	const char *key = q, *stamp = q;
	size_t klen = len, slen = len;

	if (json_lookup(q, len, f->symbol, &key, &klen) == JSON_MISSING) {
		key = q;
		klen = len;
	}
	if (json_lookup(q, len, f->updated, &stamp, &slen) == JSON_MISSING) {
		stamp = q;
		slen = len;
	}
	return seen_update(f->seen, key, klen, stamp, slen);
}

/*
 * Fetch the quotes for date and print them (with --every, the changed
 * ones).  Returns 0, INTERRUPTED or an exit status.
 */
static int
fetch_date(struct fetch *f, const char *date)
{
	struct json_iter it;
	const char *v;
	size_t vlen, n, printed = 0, total = 0;
	char *url, *nl;
	long long t0;
	int rc;

	if ((url = request_url(f, date)) == NULL) {
		log_err("out of memory");
		return EX_OSERR;
	}
	t0 = clock_mono_ms();
	f->nfetches++;
	if ((rc = get(f, url)) != 0 || (rc = check_body(f->ans.body,
	    f->ans.len, f->ans.content_type, url)) != 0) {
		if (rc != 1 && rc != INTERRUPTED)
			f->nfailed++;
		free(url);
		return rc == 1 ? 0 : rc;
	}
	f->fetch_ms = (double)(clock_mono_ms() - t0);
	if (f->seen != NULL)
		seen_next(f->seen);
	json_array_begin(&it, f->ans.body, f->ans.len);
	while (json_array_next(&it, &v, &vlen)) {
		total++;
		if (vlen + 1 > f->line_cap) {
			if ((nl = realloc(f->line, vlen + 1)) == NULL) {
				free(url);
				log_err("out of memory");
				return EX_OSERR;
			}
			f->line = nl;
			f->line_cap = vlen + 1;
		}
		n = json_compact(v, vlen, f->line);
		if (f->seen != NULL && !quote_changed(f, f->line, n))
			continue;
		f->line[n++] = '\n';
		obuf_write(&f->out, f->line, n);
		printed++;
	}
	log_info("%s: %zu quotes, %zu printed", url, total, printed);
	f->nquotes += total;
	f->nprinted += printed;
	/* Validators for the next conditional request of the same URL. */
	free(f->cond_url);
	f->cond_url = url;
	memcpy(f->cond_etag, f->ans.etag, sizeof(f->cond_etag));
	memcpy(f->cond_lm, f->ans.last_modified, sizeof(f->cond_lm));
	if (obuf_flush(&f->out) != 0) {
		log_err("stdout: %s", strerror(obuf_error(&f->out)));
		return EX_IOERR;
	}
	return 0;
}

static void
today_utc(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* A real calendar date written YYYY-MM-DD. */
static int
valid_date(const char *s)
{
	struct tm tm, back;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10 || (end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    *end != '\0')
		return 0;
	back = tm;
	t = timegm(&back);	/* normalizes: Feb 30 becomes Mar 2 */
	gmtime_r(&t, &back);
	return back.tm_mday == tm.tm_mday && back.tm_mon == tm.tm_mon;
}

/*
 * Wait until deadline (monotonic ms) or a stop signal.  Returns -1 if
 * stdout's reader went away meanwhile (POLLERR on a pipe).
 */
static int
wait_until(long long deadline)
{
	struct pollfd pfd = { STDOUT_FILENO, 0, 0 };
	long long left;

	while (!sig_caught() && (left = deadline - clock_mono_ms()) > 0) {
		if (sig_poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) > 0 &&
		    (pfd.revents & (POLLERR | POLLHUP)))
			return -1;
	}
	return 0;
}

/* QP_STATS: fetches, failures, retries, quotes seen and printed. */
static void
fetch_stats(const struct fetch *f, int final)
{
	struct stat_field s[] = {
		{ "quotes_out", "Count", (double)f->nprinted },
		{ "quotes_seen", "Count", (double)f->nquotes },
		{ "fetches", "Count", (double)f->nfetches },
		{ "failed_fetches", "Count", (double)f->nfailed },
		{ "retries", "Count", (double)f->nretries },
		{ "fetch_ms", "Milliseconds", f->fetch_ms },
	};

	stats_emit(s, 6, final);
}

/* --every: poll until a stop signal.  Returns the exit status. */
static int
poll_forever(struct fetch *f)
{
	char date[16], last[16] = "";
	long long next = clock_mono_ms();
	int rc;

	for (;;) {
		if (f->date != NULL)
			snprintf(date, sizeof(date), "%s", f->date);
		else
			today_utc(date, sizeof(date));
		if (last[0] != '\0' && strcmp(date, last) != 0)
			log_notice("the date rolls over to %s", date);
		memcpy(last, date, sizeof(last));
		rc = fetch_date(f, date);
		if (rc == INTERRUPTED)
			return 0;
		if (stats_due())
			fetch_stats(f, 0);
		if (rc == 0 && f->state != NULL &&
		    seen_save(f->seen, f->state) == -1)
			log_warn("--state %s: %s", f->state, strerror(errno));
		if (rc == EX_IOERR || rc == EX_OSERR || rc == EX_USAGE)
			return rc;
		/* Other failures are reported; the next poll may do better. */
		next += f->every_ms;
		if (next < clock_mono_ms())
			next = clock_mono_ms();
		/*
		 * The deadline ends the polling as a stop signal would, at
		 * once when the next poll could not be done before it.
		 */
		if (f->deadline != 0 && next + CNN_MIN_TRY_MS - clock_mono_ms() >=
		    clock_left_ms(f->deadline, LLONG_MAX)) {
			log_notice("the next poll would end after the deadline "
			    "(QP_DEADLINE_MS): stopping");
			return 0;
		}
		if (wait_until(next) == -1) {
			log_err("stdout: the reader has gone away");
			return EX_IOERR;
		}
		if (sig_caught())
			return 0;
	}
}

static int
setup_curl(struct fetch *f)
{
	if ((f->easy = curl_easy_init()) == NULL ||
	    (f->multi = curl_multi_init()) == NULL)
		return -1;
	curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, &f->ans);
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

static int
parse_seconds_opt(const char *name, const char *arg, long long lo,
    long long *ms)
{
	if (num_parse_seconds(arg, lo, 86400LL * 1000, ms) == -1) {
		log_err("--%s %s: expected seconds such as 30 or 0.5", name,
		    arg);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "base-url", required_argument, NULL, OPT_BASE_URL },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "header", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "regions", required_argument, NULL, OPT_REGIONS },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct fetch f;
	struct curl_slist *nl;
	char date[16], why[64], next[4096];
	int i, ch, verbosity = LOG_NOTICE, status;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	stats_init(argv[0]);
	memset(&f, 0, sizeof(f));
	f.base = DEFAULT_BASE;
	f.regions = DEFAULT_REGIONS;
	f.timeout_ms = 30000;
	f.retries = 3;
	f.retry_delay_ms = 1000;
	f.max_size = 64 * 1024 * 1024;
	status = 0;
	while ((ch = getopt_long(argc, argv, "H:hqVv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'H':
			if (header_name_len(optarg) == 0 ||
			    optarg[header_name_len(optarg)] == '\0' ||
			    strpbrk(optarg, "\r\n") != NULL) {
				log_err("-H %s: expected 'Name: value', "
				    "'Name:' or 'Name;'", optarg);
				status = EX_USAGE;
				goto out;
			}
			if ((nl = curl_slist_append(f.user_headers, optarg)) ==
			    NULL) {
				status = EX_OSERR;
				goto out;
			}
			f.user_headers = nl;
			break;
		case 'h':
			help();
			goto out;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 'V':
			printf("cnn-fetch %s (%s)\n", QP_VERSION,
			    curl_version());
			goto out;
		case 'v':
			verbosity++;
			break;
		case OPT_BASE_URL:
			f.base = optarg;
			break;
		case OPT_CACERT:
			f.cacert = optarg;
			break;
		case OPT_DATE:
			if (!valid_date(optarg)) {
				log_err("--date %s: expected a date as "
				    "YYYY-MM-DD", optarg);
				status = EX_USAGE;
				goto out;
			}
			f.date = optarg;
			break;
		case OPT_EVERY:
			if (parse_seconds_opt("every", optarg, 100,
			    &f.every_ms) == -1) {
				status = EX_USAGE;
				goto out;
			}
			break;
		case OPT_MAX_SIZE:
			if (jsonl_parse_size(optarg, &f.max_size) == -1) {
				log_err("--max-size %s: expected a size such "
				    "as 1048576 or 64M", optarg);
				status = EX_USAGE;
				goto out;
			}
			break;
		case OPT_REGIONS:
			if (*optarg == '\0') {
				log_err("--regions: expected a list such as "
				    DEFAULT_REGIONS);
				status = EX_USAGE;
				goto out;
			}
			f.regions = optarg;
			break;
		case OPT_RETRIES:
			if (num_parse(optarg, 0, 100, &f.retries) == -1) {
				log_err("--retries %s: expected 0 to 100",
				    optarg);
				status = EX_USAGE;
				goto out;
			}
			break;
		case OPT_RETRY_DELAY:
			if (parse_seconds_opt("retry-delay", optarg, 0,
			    &f.retry_delay_ms) == -1) {
				status = EX_USAGE;
				goto out;
			}
			break;
		case OPT_STATE:
			f.state = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds_opt("timeout", optarg, 1,
			    &f.timeout_ms) == -1) {
				status = EX_USAGE;
				goto out;
			}
			break;
		default:
			usage(stderr);
			status = EX_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		usage(stderr);
		status = EX_USAGE;
		goto out;
	}
	log_set_level(verbosity);
	if (clock_deadline(&f.deadline, next, sizeof(next)) == -1) {
		log_err("%s", next);
		status = EX_CONFIG;
		goto out;
	}
	if (f.deadline != 0)
		f.deadline -= CNN_STOP_MS;

	f.ans.max = f.max_size;
	srandom((unsigned)(time(NULL) ^ getpid()));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    setup_curl(&f) == -1 ||
	    obuf_open(&f.out, STDOUT_FILENO, 256 * 1024) == -1 ||
	    ((f.every_ms > 0 || f.state != NULL) && ((f.seen = seen_new()) ==
	    NULL ||
	    (f.symbol = json_path_compile(".symbol", why, sizeof(why))) ==
	    NULL ||
	    (f.updated = json_path_compile(".last_updated", why,
	    sizeof(why))) == NULL))) {
		log_err("cannot start: out of memory");
		status = EX_OSERR;
		goto out;
	}
	if (f.state != NULL && (i = seen_load(f.seen, f.state)) != 0) {
		if (i == -1) {
			log_err("--state %s: %s", f.state, strerror(errno));
			status = EX_NOINPUT;
			goto out;
		}
		log_warn("--state %s: %d lines could not be read", f.state, i);
	}
	sig_install();
	if (f.every_ms > 0)
		status = poll_forever(&f);
	else {
		if (f.date == NULL)
			today_utc(date, sizeof(date));
		status = fetch_date(&f, f.date != NULL ? f.date : date);
		if (status == INTERRUPTED) {
			log_err("interrupted before the quotes arrived");
			status = EX_TEMPFAIL;
		}
		/*
		 * The new state goes to FILE.next: the caller moves it over
		 * FILE once what was printed is safely delivered.
		 */
		if (status == 0 && f.state != NULL) {
			snprintf(next, sizeof(next), "%s.next", f.state);
			if (obuf_flush(&f.out) == 0 &&
			    seen_save(f.seen, next) == -1) {
				log_err("%s: %s", next, strerror(errno));
				status = EX_CANTCREAT;
			}
		}
	}
	fetch_stats(&f, 1);
	if (obuf_close(&f.out) != 0 && status == 0) {
		log_err("stdout: %s", strerror(f.out.err));
		status = EX_IOERR;
	}
out:
	seen_free(f.seen);
	json_path_free(f.symbol);
	json_path_free(f.updated);
	free(f.cond_url);
	free(f.line);
	free(f.ans.body);
	if (f.multi != NULL)
		curl_multi_cleanup(f.multi);
	if (f.easy != NULL)
		curl_easy_cleanup(f.easy);
	curl_slist_free_all(f.user_headers);
	curl_global_cleanup();
	return status;
}
