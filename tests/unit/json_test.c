/*
 * json_test.c - the strict scanner against JSONTestSuite and by hand.
 *
 * argv[1] is JSONTestSuite's test_parsing folder; when it is absent the
 * conformance part is skipped (the hand-written cases still run).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "tap.h"

static void
suite(const char *dir)
{
	char path[4096], *buf;
	struct dirent *de;
	size_t len, y = 0, n = 0, i = 0, ybad = 0, nbad = 0, cbad = 0, clen;
	char *c1, *c2;
	DIR *d;
	int rc;

	if ((d = opendir(dir)) == NULL) {
		printf("# JSONTestSuite not found at %s: skipped\n", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || de->d_name[1] != '_')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((buf = tap_slurp(path, &len)) == NULL)
			continue;
		rc = json_validate(buf, len, NULL);
		switch (de->d_name[0]) {
		case 'y':
			y++;
			if (rc != 0) {
				ybad++;
				printf("# rejected %s\n", de->d_name);
			}
			/* Compacting keeps it valid, on one line, stable. */
			c1 = malloc(len + 1);
			c2 = malloc(len + 1);
			clen = json_compact(buf, len, c1);
			if (json_validate(c1, clen, NULL) != 0 ||
			    !json_is_line(c1, clen) ||
			    json_compact(c1, clen, c2) != clen ||
			    memcmp(c1, c2, clen) != 0) {
				cbad++;
				printf("# compact broke %s\n", de->d_name);
			}
			free(c1);
			free(c2);
			break;
		case 'n':
			n++;
			if (rc == 0) {
				nbad++;
				printf("# accepted %s\n", de->d_name);
			}
			break;
		default:
			i++;	/* any answer; surviving is the test */
		}
		free(buf);
	}
	closedir(d);
	TAP_OK(y > 0 && ybad == 0, "JSONTestSuite: all %zu y_ cases accepted",
	    y);
	TAP_OK(n > 0 && nbad == 0, "JSONTestSuite: all %zu n_ cases rejected",
	    n);
	TAP_OK(i > 0, "JSONTestSuite: %zu i_ cases survived", i);
	TAP_OK(y > 0 && cbad == 0, "JSONTestSuite: json_compact keeps all "
	    "%zu y_ cases valid, on one line, and is idempotent", y);
}

static int
valid(const char *s)
{
	return json_validate(s, strlen(s), NULL) == 0;
}

static int
lookup_is(const char *doc, const char *path, enum json_kind kind,
    const char *want)
{
	char err[256];
	struct json_path *jp = json_path_compile(path, err, sizeof(err));
	const char *v = NULL;
	size_t vlen = 0;
	enum json_kind k;
	int ok;

	if (jp == NULL)
		return 0;
	k = json_lookup(doc, strlen(doc), jp, &v, &vlen);
	json_path_free(jp);
	ok = k == kind;
	if (ok && want != NULL)
		ok = vlen == strlen(want) && memcmp(v, want, vlen) == 0;
	return ok;
}

int
main(int argc, char **argv)
{
	struct json_error e;
	char out[64], err[256];
	size_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		suite(argv[1]);

	/* What libjq 1.6 wrongly accepts. */
	TAP_OK(!valid("NaN") && !valid("+1") && !valid(".2e-3") &&
	    !valid("[1] x") && !valid("01") && !valid("1.") &&
	    !valid("{\"a\":1,}") && !valid("[1,]") && !valid("'a'"),
	    "rejects NaN, +1, .2e-3, trailing garbage, 01, 1., trailing commas");
	TAP_OK(valid("1e300") && valid("12345678901234567890123") &&
	    valid(" {\"a\" : [1, -0.5e+3, true, false, null]}\r\n") &&
	    valid("\"\\u00e9\\ud83d\\ude00\""),
	    "accepts big numbers, whitespace, escapes");
	TAP_OK(!valid("\"\xc3\x28\"") && !valid("\"\xed\xa0\x80\"") &&
	    !valid("\"\xc0\xaf\"") && !valid("\"\xf4\x90\x80\x80\"") &&
	    valid("\"\xe2\x82\xac\xf0\x9f\x98\x80\""),
	    "UTF-8: rejects bad, overlong, surrogate, >U+10FFFF; accepts good");
	TAP_OK(!valid("\"a\tb\"") && !valid(""), "rejects raw tab in string, empty");
	/* An empty body may have no buffer: NULL + 0 is undefined in C
	 * (clang's UBSan stops on it), so no arithmetic may touch it. */
	e.what = NULL;
	TAP_OK(json_validate(NULL, 0, &e) == -1 && e.offset == 0 &&
	    e.what != NULL && !json_is_line(NULL, 0) &&
	    json_kind_of(NULL, 0) == JSON_MISSING,
	    "(NULL, 0) is empty input, not undefined behaviour");
	TAP_OK(json_validate("{\"a\":1 \"b\"}", 11, &e) == -1 && e.offset == 7,
	    "error offset points at the problem (%zu: %s)", e.offset, e.what);
	{
		char deep[JSON_MAX_DEPTH * 2 + 4];
		memset(deep, '[', JSON_MAX_DEPTH + 1);
		memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
		TAP_OK(json_validate(deep, 2 * (JSON_MAX_DEPTH + 1), NULL)
		    == -1, "nesting beyond %d is rejected, not recursed",
		    JSON_MAX_DEPTH);
	}
	{
		/* One depth rule: an envelope's own level does not count. */
		static char line[2 * JSON_MAX_DEPTH + 64];
		const char *pre[] = { "{\"value\":", "{\"t\":1, \"payload\" :",
		    "{\"key\":", "[", "{\"value\":[1],\"h\":" };
		const int want[] = { 0, 0, -1, -1, -1 };
		size_t i, n, d;
		int bad = 0;

		for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
			for (d = JSON_MAX_DEPTH - 1; d <= JSON_MAX_DEPTH; d++) {
				n = (size_t)snprintf(line, sizeof(line), "%s",
				    pre[i]);
				memset(line + n, '[', d);
				memset(line + n + d, ']', d);
				n += 2 * d;
				line[n++] = pre[i][0] == '[' ? ']' : '}';
				if (json_validate_line(line, n, NULL) !=
				    (d < JSON_MAX_DEPTH ? 0 : want[i]) ||
				    json_validate(line, n, NULL) !=
				    (d < JSON_MAX_DEPTH ? 0 : -1))
					bad++;
			}
		}
		TAP_OK(bad == 0, "json_validate_line: a record of %d levels in "
		    "an envelope's value or payload, nowhere else (%d wrong)",
		    JSON_MAX_DEPTH, bad);
	}

	{
		/* Every position of a bad byte in strings and numbers of
		 * every length: the 16-byte paths and their tails agree. */
		char buf[80];
		int len, pos, bad = 0;
		const char specials[] = { '\x01', '\x1f', '\x80', '\xff' };
		size_t k;
		for (len = 0; len < 60; len++) {
			buf[0] = '"';
			memset(buf + 1, 'a', (size_t)len);
			buf[len + 1] = '"';
			if (json_validate(buf, (size_t)len + 2, NULL) != 0)
				bad++;
			for (pos = 1; pos <= len; pos++)
				for (k = 0; k < sizeof(specials); k++) {
					buf[pos] = specials[k];
					if (json_validate(buf, (size_t)len + 2,
					    NULL) == 0)
						bad++;
					buf[pos] = 'a';
				}
			memset(buf, '7', (size_t)len + 1);
			if (json_validate(buf, (size_t)len + 1, NULL) != 0)
				bad++;
			for (pos = 1; pos <= len; pos++) {
				buf[pos] = 'x';
				if (json_validate(buf, (size_t)len + 1, NULL) == 0)
					bad++;
				buf[pos] = '7';
			}
		}
		TAP_OK(bad == 0, "strings and digit runs of 0..59 bytes with a "
		    "bad byte at every position (%d wrong)", bad);
	}
	TAP_OK(lookup_is("{\"symbol\":\"COMP-USA\",\"x\":1}", ".symbol",
	    JSON_STRING, "\"COMP-USA\""), "lookup .symbol");
	TAP_OK(lookup_is("{\"a\":{\"s\":\"x\\\"y\"},\"country\":{\"code\":\"USA\"}}",
	    ".country.code", JSON_STRING, "\"USA\""), "lookup nested .country.code");
	TAP_OK(lookup_is("{\"a\":[1,{\"b\":[true]}]}", ".a[1].b[0]", JSON_TRUE,
	    "true"), "lookup through arrays");
	TAP_OK(lookup_is("{\"k\\u0065y\":12.5}", ".key", JSON_NUMBER, "12.5"),
	    "lookup matches escaped keys");
	TAP_OK(lookup_is("{\"odd key\":null}", ".[\"odd key\"]", JSON_NULL,
	    "null"), "lookup quoted key");
	TAP_OK(lookup_is("{\"a\":1}", ".b", JSON_MISSING, NULL) &&
	    lookup_is("[1]", ".a", JSON_MISSING, NULL) &&
	    lookup_is("{\"a\":1}", ".a.b", JSON_MISSING, NULL),
	    "missing paths are JSON_MISSING");
	{
		struct json_path *whole = json_path_compile(".", err,
		    sizeof(err));
		TAP_OK(json_path_compile("symbol", err, sizeof(err)) == NULL &&
		    json_path_compile(".a[x]", err, sizeof(err)) == NULL &&
		    whole != NULL, "bad paths rejected with a message (%s)",
		    err);
		json_path_free(whole);
	}

	{
		const char *lit = "\"a\\n\\u00e9\\ud83d\\ude00\\ud800\"";
		n = json_unescape(lit, strlen(lit), out);
	}
	TAP_OK(n == 11 && memcmp(out, "a\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd",
	    n) == 0, "unescape: escapes, pairs, lone surrogate");
	n = json_quote(out, "a\"\n\x01\xff\xc3\xa9", 7);
	out[n] = '\0';
	TAP_OK(strcmp(out, "\"a\\\"\\n\\u0001\\ufffd\xc3\xa9\"") == 0,
	    "quote: escapes, control, invalid UTF-8 -> \\ufffd (%s)", out);
	{
		const char *pretty = "[\n  {\"a\" : 1e300, \"s\": \" x \\\" ]\"},"
		    "\r\n\t-0.50 , \"t\" ,[ ] ,true\n]\n";
		const char *want[] = { "{\"a\" : 1e300, \"s\": \" x \\\" ]\"}",
		    "-0.50", "\"t\"", "[ ]", "true" };
		struct json_iter it;
		const char *v;
		size_t vlen, k = 0, bad = 0;

		json_array_begin(&it, pretty, strlen(pretty));
		while (json_array_next(&it, &v, &vlen)) {
			if (k >= 5 || vlen != strlen(want[k]) ||
			    memcmp(v, want[k], vlen) != 0)
				bad++;
			k++;
		}
		TAP_OK(k == 5 && bad == 0, "json_array_next: each element's "
		    "bytes, scalars and nested arrays included");
		TAP_OK(json_array_begin(&it, " []", 3) == 0 &&
		    !json_array_next(&it, &v, &vlen) &&
		    json_array_begin(&it, "{}", 2) == -1,
		    "json_array_begin: empty arrays, non-arrays");
		TAP_OK(json_kind_of(" {}", 3) == JSON_OBJECT &&
		    json_kind_of("\"\"", 2) == JSON_STRING &&
		    json_kind_of("-1", 2) == JSON_NUMBER &&
		    json_kind_of(" ", 1) == JSON_MISSING, "json_kind_of");
		n = json_compact(pretty, strlen(pretty), out);
		out[n] = '\0';
		TAP_OK(strcmp(out, "[{\"a\":1e300,\"s\":\" x \\\" ]\"},-0.50,"
		    "\"t\",[],true]") == 0, "json_compact: whitespace out, "
		    "tokens kept byte for byte (%s)", out);
	}
	TAP_OK(json_is_line("{\"a\":1}", 7) && !json_is_line("{\"a\":\n1}", 8) &&
	    !json_is_line("hello", 5), "json_is_line");
	return TAP_DONE();
}
