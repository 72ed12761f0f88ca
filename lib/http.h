/*
 * http.h - running libcurl transfers the way every tool here needs:
 * interruptible by SIGINT/SIGTERM, retried with backoff.
 *
 * The retry policy is the one good HTTP clients share: retry timeouts,
 * connection errors, 429 and 5xx (and a body cut short), waiting
 * exponentially longer with jitter, or as long as Retry-After says.
 */
#ifndef QP_HTTP_H
#define QP_HTTP_H

#include <time.h>

#include <curl/curl.h>

/*
 * Run one transfer on easy through multi (both borrowed), waiting in
 * sig_poll() so that a stop signal ends the wait at once.  Returns 0
 * with the transfer's result in *res, or -1 if a stop signal came first
 * (the transfer is abandoned).
 */
int	http_perform(CURLM *multi, CURL *easy, CURLcode *res);

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

#endif
