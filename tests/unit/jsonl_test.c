/* jsonl_test.c - the JSON-lines reader: limits, CRLF, last line, sizes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "tap.h"

/* Read everything from a temp file holding data; describe it in out. */
static void
read_all(const char *data, size_t len, size_t max_line, char *out,
    size_t outlen)
{
	char path[] = "/tmp/jsonl_test.XXXXXX";
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	size_t n, o = 0;
	int fd = mkstemp(path);

	(void)!write(fd, data, len);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	jsonl_open(&r, fd, "t", max_line);
	out[0] = '\0';
	while ((st = jsonl_next(&r, &line, &n)) != JSONL_EOF &&
	    st != JSONL_ERROR) {
		if (st == JSONL_LINE)
			o += (size_t)snprintf(out + o, outlen - o, "%lu:[%.*s]",
			    r.lineno, (int)n, line);
		else
			o += (size_t)snprintf(out + o, outlen - o, "%lu:LONG",
			    r.lineno);
	}
	jsonl_close(&r);
	close(fd);
}

int
main(void)
{
	char out[4096], *big;
	size_t sz, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	read_all("a\nb\r\n\nc", 7, 100, out, sizeof(out));
	TAP_OK(strcmp(out, "1:[a]2:[b]4:[c]") == 0,
	    "LF, CRLF, empty line (skipped, counted), last line without "
	    "newline: %s", out);
	read_all(" \t\r\n\n{}\n \n", 9, 100, out, sizeof(out));
	TAP_OK(strcmp(out, "3:[{}]") == 0,
	    "blank lines (spaces, tabs, CR) skipped: %s", out);
	read_all("", 0, 100, out, sizeof(out));
	TAP_OK(strcmp(out, "") == 0, "empty input has no lines");
	read_all("12345\n123456\n1234\r\n12345\r\nx", 28, 5, out, sizeof(out));
	TAP_OK(strcmp(out, "1:[12345]2:LONG3:[1234]4:[12345]5:[x]") == 0,
	    "limit counts bytes before CRLF: %s", out);
	/* Found by tests/fuzz/jsonl.c: the last line, without '\n', was
	 * measured with its '\r', so it was "too long" where the same
	 * line with '\n' was not. */
	read_all("12345\r", 6, 5, out, sizeof(out));
	TAP_OK(strcmp(out, "1:[12345]") == 0,
	    "limit counts bytes before a CR on an unterminated last line "
	    "too: %s", out);

	/* A 10 MB line between two good ones, limit 1 MiB. */
	sz = 10 * 1024 * 1024;
	big = malloc(sz + 20);
	memcpy(big, "{\"a\":1}\n", 8);
	for (i = 8; i < sz; i++)
		big[i] = 'x';
	big[sz] = '\n';
	memcpy(big + sz + 1, "{\"b\":2}\n", 8);
	read_all(big, sz + 9, JSONL_DEFAULT_MAX_LINE, out, sizeof(out));
	TAP_OK(strcmp(out, "1:[{\"a\":1}]2:LONG3:[{\"b\":2}]") == 0,
	    "a 10 MB line is reported and skipped, its neighbours kept: %s",
	    out);
	/* The same without a final newline. */
	read_all(big, sz, JSONL_DEFAULT_MAX_LINE, out, sizeof(out));
	TAP_OK(strcmp(out, "1:[{\"a\":1}]2:LONG") == 0,
	    "an unterminated long last line is reported: %s", out);
	free(big);

	{
		/* By path, validating: bad lines are described, good kept. */
		char path[] = "/tmp/jsonl_test.XXXXXX", why[256], got[512];
		struct jsonl_reader r;
		enum jsonl_status st;
		const char *line;
		size_t n, o = 0;
		int fd = mkstemp(path);

		(void)!write(fd, "{\"a\":1}\nNaN\n123456789\n[]", 24);
		close(fd);
		TAP_OK(jsonl_open_path(&r, "/nonexistent/x", 8) == -1 &&
		    errno == ENOENT, "open_path: a missing file is ENOENT");
		jsonl_open_path(&r, path, 8);
		r.validate = 1;
		got[0] = '\0';
		while ((st = jsonl_next(&r, &line, &n)) != JSONL_EOF) {
			if (st == JSONL_LINE)
				o += (size_t)snprintf(got + o, sizeof(got) - o,
				    "[%.*s]", (int)n, line);
			else {
				jsonl_describe(&r, st, why, sizeof(why));
				o += (size_t)snprintf(got + o, sizeof(got) - o,
				    "<%s>", why + strlen(path));
			}
		}
		jsonl_close(&r);
		unlink(path);
		TAP_OK(strcmp(got, "[{\"a\":1}]<:2: invalid JSON at byte 1: "
		    "unexpected character><:3: line longer than 8 bytes>[[]]") == 0,
		    "validate + describe: %s", got);
		TAP_OK(jsonl_open_path(&r, "-", 8) == 0 &&
		    strcmp(r.name, "<stdin>") == 0, "\"-\" is stdin, named <stdin>");
		jsonl_close(&r);
	}
	TAP_OK(jsonl_parse_size("1048576", &sz) == 0 && sz == 1048576 &&
	    jsonl_parse_size("10M", &sz) == 0 && sz == 10485760 &&
	    jsonl_parse_size("64k", &sz) == 0 && sz == 65536,
	    "sizes: plain, M, k");
	TAP_OK(jsonl_parse_size("0", &sz) == -1 &&
	    jsonl_parse_size("12x", &sz) == -1 &&
	    jsonl_parse_size("-1", &sz) == -1 &&
	    jsonl_parse_size("99999999999999999999999", &sz) == -1 &&
	    jsonl_parse_size("", &sz) == -1, "sizes: junk, zero, overflow rejected");
	{
		enum jsonl_policy p;
		TAP_OK(jsonl_policy_parse("fail", &p) == 0 &&
		    p == JSONL_ON_ERROR_FAIL && jsonl_policy_parse("x", &p) == -1,
		    "on-error policy names");
	}
	return TAP_DONE();
}
