/*
 * http_test.c - the retry policy's arithmetic, option parsing, the body
 * collector and the reading of header lines.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "num.h"
#include "tap.h"

/* The body collector: growth, the NUL, max, reset and free. */
static void
test_body(void)
{
	struct http_body b = { .max = 10 };
	char big[10000], *mine;
	int ok = 1, i;

	TAP_OK(http_body_add(&b, "", 0) == 0 && b.buf != NULL &&
	    b.buf[0] == '\0' && b.len == 0, "body: adding nothing makes an "
	    "empty string");
	TAP_OK(http_body_add(&b, "hello", 5) == 0 &&
	    http_body_add(&b, "world", 5) == 0 && b.len == 10 &&
	    strcmp(b.buf, "helloworld") == 0, "body: appended, NUL-terminated, "
	    "up to max exactly");
	TAP_OK(http_body_add(&b, "!", 1) == -1 && b.too_big && b.len == 10 &&
	    strcmp(b.buf, "helloworld") == 0, "body: a byte past max refused, "
	    "too_big set, the body kept");
	TAP_OK(http_body_add(&b, "", 0) == -1 && b.len == 10,
	    "body: once too big, nothing more is taken");
	http_body_reset(&b);
	TAP_OK(b.len == 0 && !b.too_big && b.buf != NULL && b.buf[0] == '\0' &&
	    b.max == 10 && http_body_write("abc", 1, 3, &b) == 3 &&
	    strcmp(b.buf, "abc") == 0 && http_body_write("12345678", 1, 8, &b)
	    == 0 && b.too_big, "body: reset empties it; the write callback "
	    "takes all or nothing");
	http_body_free(&b);
	TAP_OK(b.buf == NULL && b.len == 0 && b.cap == 0 && b.max == 10,
	    "body: free leaves it empty, max kept");

	memset(big, 'x', sizeof(big));
	b.max = 0;
	for (i = 0; i < 100; i++)
		if (http_body_add(&b, big, sizeof(big)) == -1 || b.cap <= b.len)
			ok = 0;
	TAP_OK(ok && b.len == 100 * sizeof(big) && b.buf[b.len] == '\0' &&
	    b.buf[b.len - 1] == 'x', "body: max 0 grows without limit");
	http_body_free(&b);

	b.max = 16;
	b.cap = 17;
	mine = b.buf = malloc(b.cap);
	TAP_OK(http_body_add(&b, big, 16) == 0 && b.buf == mine &&
	    b.cap == 17 && http_body_add(&b, big, 1) == -1 && b.buf == mine,
	    "body: a caller's buffer of max + 1 bytes is never moved");
	http_body_free(&b);
}

/* A real transfer (file://) through the write callback. */
static void
test_body_curl(void)
{
	char path[] = "/tmp/http_test.XXXXXX", url[64];
	struct http_body b = { .max = 5 };
	CURLcode res1, res2;
	CURL *c;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (c = curl_easy_init()) == NULL) {
		TAP_OK(0, "curl: a temporary file and an easy handle");
		return;
	}
	(void)!write(fd, "0123456789", 10);
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	res1 = curl_easy_perform(c);
	TAP_OK(res1 == CURLE_WRITE_ERROR && b.too_big,
	    "curl: a body over max stops the transfer (CURLE_WRITE_ERROR, "
	    "too_big)");
	http_body_reset(&b);
	b.max = 10;
	res2 = curl_easy_perform(c);
	TAP_OK(res2 == CURLE_OK && b.len == 10 &&
	    strcmp(b.buf, "0123456789") == 0, "curl: a body of max bytes is "
	    "collected whole");
	curl_easy_cleanup(c);
	unlink(path);
	http_body_free(&b);
}

#define LINE(s) s, sizeof(s) - 1
static void
test_headers(void)
{
	char v[8] = "keep", r[32] = "x";

	TAP_OK(http_header(LINE("ETag: \"v1\"\r\n"), "etag", v, sizeof(v)) &&
	    strcmp(v, "\"v1\"") == 0, "header: the name in any case, the "
	    "value trimmed");
	TAP_OK(http_header(LINE("content-TYPE:\t text/html  \r\n"),
	    "Content-Type", v, sizeof(v)) && strcmp(v, "text/ht") == 0 &&
	    http_header(LINE("Retry-After:\r\n"), "Retry-After", v,
	    sizeof(v)) && v[0] == '\0', "header: a long value cut to fit, an "
	    "empty one empty");
	strcpy(v, "keep");
	TAP_OK(!http_header(LINE("ETags: 1\r\n"), "ETag", v, sizeof(v)) &&
	    !http_header(LINE("X-ETag: 1\r\n"), "ETag", v, sizeof(v)) &&
	    !http_header(LINE("ETag\r\n"), "ETag", v, sizeof(v)) &&
	    !http_header(LINE("ETa"), "ETag", v, sizeof(v)) &&
	    !http_header(LINE("\r\n"), "ETag", v, sizeof(v)) &&
	    strcmp(v, "keep") == 0, "header: another name, a prefix, a line "
	    "without a colon: not it, value untouched");
	TAP_OK(http_status_line(LINE("HTTP/1.1 404 Not Found\r\n"), r,
	    sizeof(r)) && strcmp(r, "Not Found") == 0 &&
	    http_status_line(LINE("HTTP/2 200\r\n"), r, sizeof(r)) &&
	    r[0] == '\0' && http_status_line(LINE("HTTP/1.1 100 Continue\r\n"),
	    NULL, 0), "status line: the reason phrase, or none");
	TAP_OK(!http_status_line(LINE("Http-Foo: 1\r\n"), r, sizeof(r)) &&
	    !http_status_line(LINE("HTTP/"), r, sizeof(r)) &&
	    !http_status_line(LINE("\r\n"), r, sizeof(r)),
	    "status line: a header or a blank line is none");
}

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

	test_body();
	test_body_curl();
	test_headers();
	return TAP_DONE();
}
