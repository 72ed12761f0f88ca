/*
 * cnn-fetch.h - what cnn-fetch's files share: a run's options and state
 * (struct fetch) and the answer to one GET (struct answer).
 *
 * main.c reads the options and starts the run; fetch.c is the HTTP (the
 * request, its retries, the answer); quotes.c prints an answer's quotes,
 * once or --every.  check.c and seen.c have headers of their own.
 */
#ifndef CNN_FETCH_H
#define CNN_FETCH_H

#include <stddef.h>

#include <curl/curl.h>

#include "http.h"
#include "obuf.h"

struct json_path;
struct seen;

#define DEFAULT_BASE	"https://production.dataviz.cnn.io"
#define DEFAULT_REGIONS	"Americas,Asia-Pacific,Europe"
#define INTERRUPTED	(-1)
/*
 * Kept back from the deadline to exit: more than kprod keeps back, so
 * that when the fetch runs out of time, it is the fetch that fails and
 * kprod has seen the end of its input before its own deadline.
 */
#define CNN_STOP_MS	1000
#define CNN_MIN_TRY_MS	500	/* no request with less time than that */
#define CNN_SLEEP_SLACK_MS 100	/* what a retry's sleep may overrun by */

/* The parts of an answer that matter, from its header lines. */
struct answer {
	long		 status;
	char		 reason[96];
	char		 content_type[128];
	char		 etag[256];
	char		 last_modified[64];
	char		 retry_after[64];
	struct http_body body;		/* max: --max-size */
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

/* ---- fetch.c: the HTTP ---- */

/* The easy and multi handles, set up for the options.  0, or -1: ENOMEM. */
int	fetch_setup(struct fetch *);

/* The length of the header name of "Name: value", "Name:" or "Name;". */
size_t	fetch_header_name_len(const char *);

/* BASE/markets/world/regions/REGIONS/date; caller frees.  NULL: ENOMEM. */
char	*fetch_url(const struct fetch *, const char *date);

/*
 * GET url until it answers or the retries run out.  Returns 0 with the
 * body in f->ans, 1 for "not modified", INTERRUPTED, or an exit status
 * (the problem already reported).
 */
int	fetch_get(struct fetch *, const char *url);

/* ---- quotes.c: the quotes printed ---- */

/*
 * Fetch the quotes for date and print them (with --every or --state,
 * the changed ones).  Returns 0, INTERRUPTED or an exit status.
 */
int	quotes_fetch(struct fetch *, const char *date);

/* --every: poll until a stop signal.  Returns the exit status. */
int	quotes_poll(struct fetch *);

/* Today's date in UTC, YYYY-MM-DD. */
void	quotes_today(char *buf, size_t len);

/* QP_STATS: fetches, failures, retries, quotes seen and printed. */
void	quotes_stats(const struct fetch *, int final);

#endif
