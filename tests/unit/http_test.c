/* http_test.c - the retry policy's arithmetic and option parsing. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "num.h"
#include "tap.h"

int
main(void)
{
	long long ms = -1;
	long d, lo = 1L << 30, hi = 0;
	int i, ok;

	/* 2023-05-12 21:16:26 UTC */
	TAP_OK(http_retry_after_ms("1", 0) == 1000 &&
	    http_retry_after_ms(" 120 ", 0) == 120000,
	    "Retry-After in seconds");
	TAP_OK(http_retry_after_ms("Fri, 12 May 2023 21:16:36 GMT",
	    1683926186) == 10000, "Retry-After as an HTTP-date");
	TAP_OK(http_retry_after_ms("Fri, 12 May 2023 21:16:16 GMT",
	    1683926186) == 0, "an HTTP-date in the past means now");
	TAP_OK(http_retry_after_ms("soon", 0) == -1 &&
	    http_retry_after_ms("1.5", 0) == -1 &&
	    http_retry_after_ms("", 0) == -1, "junk Retry-After is -1");

	for (i = 0; i < 1000; i++) {
		d = http_backoff_ms(3, 100, 60000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	TAP_OK(lo >= 200 && hi <= 400 && hi > lo,
	    "backoff: the 3rd retry of 100 ms waits 200-400 ms, jittered "
	    "(%ld-%ld)", lo, hi);
	ok = 1;
	for (i = 1; i < 40; i++)
		if (http_backoff_ms(i, 1000, 60000) > 60000)
			ok = 0;
	TAP_OK(ok, "backoff: never above the cap, however many retries");

	TAP_OK(http_retryable(CURLE_OK, 503) && http_retryable(CURLE_OK, 429) &&
	    http_retryable(CURLE_OPERATION_TIMEDOUT, 0) &&
	    http_retryable(CURLE_PARTIAL_FILE, 200) &&
	    !http_retryable(CURLE_OK, 404) && !http_retryable(CURLE_OK, 200) &&
	    !http_retryable(CURLE_PEER_FAILED_VERIFICATION, 0),
	    "retryable: 429, 5xx, timeouts, cut bodies; not 404 or TLS");

	TAP_OK(num_parse_seconds("30", 0, 86400000, &ms) == 0 && ms == 30000 &&
	    num_parse_seconds("0.5", 0, 86400000, &ms) == 0 && ms == 500 &&
	    num_parse_seconds("2.25", 0, 86400000, &ms) == 0 && ms == 2250,
	    "seconds: whole and fractional");
	TAP_OK(num_parse_seconds("", 0, 1000, &ms) == -1 &&
	    num_parse_seconds(".5", 0, 1000, &ms) == -1 &&
	    num_parse_seconds("1.", 0, 1000, &ms) == -1 &&
	    num_parse_seconds("-1", 0, 1000, &ms) == -1 &&
	    num_parse_seconds("2", 0, 1000, &ms) == -1 &&
	    num_parse_seconds("0", 1, 1000, &ms) == -1 &&
	    num_parse_seconds("99999999999999999999", 0, 1000, &ms) == -1,
	    "seconds: junk and out of range rejected");
	return TAP_DONE();
}
