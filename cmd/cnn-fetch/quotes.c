/*
 * quotes.c - an answer's quotes printed, one compact object a line: all
 * of them, or with --every and --state those whose last_updated changed;
 * --every's polling, and the run's QP_STATS.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"

#include "check.h"
#include "cnn-fetch.h"
#include "seen.h"

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

int
quotes_fetch(struct fetch *f, const char *date)
{
	struct json_iter it;
	const char *v;
	size_t vlen, n, printed = 0, total = 0;
	char *url, *nl;
	long long t0;
	int rc;

	if ((url = fetch_url(f, date)) == NULL) {
		log_err("out of memory");
		return EX_OSERR;
	}
	t0 = clock_mono_ms();
	f->nfetches++;
	if ((rc = fetch_get(f, url)) != 0 || (rc = check_body(f->ans.body.buf,
	    f->ans.body.len, f->ans.content_type, url)) != 0) {
		if (rc != 1 && rc != INTERRUPTED)
			f->nfailed++;
		free(url);
		return rc == 1 ? 0 : rc;
	}
	f->fetch_ms = (double)(clock_mono_ms() - t0);
	if (f->seen != NULL)
		seen_next(f->seen);
	json_array_begin(&it, f->ans.body.buf, f->ans.body.len);
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
		(void)cli_stdout_error(obuf_error(&f->out));	/* EPIPE: quiet */
		return EX_IOERR;
	}
	return 0;
}

void
quotes_today(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
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

void
quotes_stats(const struct fetch *f, int final)
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

int
quotes_poll(struct fetch *f)
{
	char date[16], last[16] = "";
	long long next = clock_mono_ms();
	int rc;

	for (;;) {
		if (f->date != NULL)
			snprintf(date, sizeof(date), "%s", f->date);
		else
			quotes_today(date, sizeof(date));
		if (last[0] != '\0' && strcmp(date, last) != 0)
			log_notice("the date rolls over to %s", date);
		memcpy(last, date, sizeof(last));
		rc = quotes_fetch(f, date);
		if (rc == INTERRUPTED)
			return 0;
		if (stats_due())
			quotes_stats(f, 0);
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
			f->out.err = EPIPE;	/* the reader has gone away */
			return EX_IOERR;
		}
		if (sig_caught())
			return 0;
	}
}
