/*
 * http.h - what every libcurl user here needs around a transfer: running
 * it interruptibly, the retry policy, and the answer collected.
 *
 * Owns: http_perform() (a transfer a stop signal can end), the retry
 * policy (http_retryable, http_backoff_ms, http_retry_after_ms), the
 * one body collector (struct http_body: CURLOPT_WRITEFUNCTION into
 * memory, with a limit) and the reading of header lines as
 * CURLOPT_HEADERFUNCTION gives them (http_status_line, http_header).
 * Not here: a tool's requests, URLs and messages; what an answer means.
 *
 * The retry policy is the one good HTTP clients share: retry timeouts,
 * connection errors, 429 and 5xx (and a body cut short), waiting
 * exponentially longer with jitter, or as long as Retry-After says.
 */
#ifndef QP_HTTP_H
#define QP_HTTP_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

/*
 * Run one transfer on easy through multi (both borrowed): every request
 * to S3 and to CNN runs this way (awscred's metadata requests, 1 s each,
 * and lambda-bootstrap's calls to the Runtime API, which Lambda ends
 * itself, do not).  With interruptible set it waits in
 * sig_poll(), so that a stop signal ends the wait at once; otherwise the
 * stop signals stay blocked while it waits (a transfer that must finish,
 * such as an upload s3put has begun).  Returns 0 with the transfer's
 * result in *res, or -1 if a stop signal came first (the transfer is
 * abandoned).
 */
int	http_perform(CURLM *multi, CURL *easy, CURLcode *res,
	    int interruptible);

/*
 * Should a transfer that ended with res and HTTP status (0 if none) be
 * tried again?
 */
int	http_retryable(CURLcode res, long status);

/*
 * How long to wait before retry number attempt (1 for the first): base_ms
 * doubled each time, at most cap_ms, with "equal jitter" (between half
 * and all of it) so that many clients do not retry in step.
 */
long	http_backoff_ms(int attempt, long base_ms, long cap_ms);

/*
 * Parse a Retry-After value, delay-seconds or an HTTP-date, into
 * milliseconds from now.  Returns -1 if it is neither.
 */
long	http_retry_after_ms(const char *value, time_t now);

/*
 * A body collected in memory.  Start from all zeroes with max set; buf
 * stays NULL until something is added, and from then on is
 * NUL-terminated (the NUL not counted in len), so a text answer can be
 * read as a string.  A caller may hand in its own malloc'd buf of cap
 * bytes (cap > 0): it is moved only to grow past cap, so one of max + 1
 * bytes never is (awscred: no copy of a secret is left in freed memory).
 */
struct http_body {
	char	*buf;
	size_t	 len;
	size_t	 cap;		/* bytes allocated at buf */
	size_t	 max;		/* the most len may be; 0: no limit */
	int	 too_big;	/* something was refused for max */
};

/*
 * Append len bytes.  Returns 0, or -1 when they would take len past max
 * (too_big is set, and stays set: nothing more is taken until
 * http_body_reset) or memory ran out; either way the body keeps what it
 * had.  len 0 makes sure buf is there (an empty string).
 */
int	http_body_add(struct http_body *, const void *data, size_t len);

/*
 * The CURLOPT_WRITEFUNCTION, with the struct http_body as
 * CURLOPT_WRITEDATA: http_body_add, whose -1 stops the transfer with
 * CURLE_WRITE_ERROR (too_big tells a refusal from a lack of memory).
 */
size_t	http_body_write(char *data, size_t size, size_t n, void *body);

/* Empty the body for the next answer, keeping buf; max is kept. */
void	http_body_reset(struct http_body *);

/* Free buf; the body is all zeroes but for max, ready for use again. */
void	http_body_free(struct http_body *);

/*
 * One header line as CURLOPT_HEADERFUNCTION gives it: len bytes, not
 * NUL-terminated, its CRLF included.
 *
 * http_status_line: is it a status line ("HTTP/1.1 404 Not Found"),
 * the start of a new answer after a redirect or a 100 Continue, whose
 * headers replace those seen before?  If it is and reason is not NULL,
 * the reason phrase ("Not Found", or "") is copied there, cut to fit.
 *
 * http_header: is it the header name (any case; "ETag", no colon)?  If
 * it is, its value, without the spaces around it, is copied to value,
 * cut to fit valuelen (> 0).  value is untouched otherwise.
 */
int	http_status_line(const char *line, size_t len, char *reason,
	    size_t reasonlen);
int	http_header(const char *line, size_t len, const char *name,
	    char *value, size_t valuelen);

/*
 * One short request with libcurl's easy interface, for the calls the
 * credential chain makes (the metadata endpoints, STS, whose answers
 * are small and whose waits are short): no retry, the answer's body
 * into b.  Returns the HTTP status, or 0 with curl's reason in err (a
 * TLS failure says which setting gives the CA).
 */
struct http_call {
	const char	*method, *url;
	struct curl_slist *headers;	/* borrowed; NULL: none */
	const char	*body;		/* sent as is; NULL: none */
	size_t		 len;
	long		 timeout_ms;
	const char	*ca_bundle;	/* NULL or "": the system's CAs */
	int		 no_proxy;	/* never through a proxy (link-local) */
};
long	http_call(const struct http_call *, struct http_body *b, char *err,
	    size_t errlen);

/* curl's reason for res, with what to do when it is about TLS trust. */
void	http_strerror(CURLcode res, const char *errbuf, char *out,
	    size_t outlen);

#endif
