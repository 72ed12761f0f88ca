/*
 * json.c - libFuzzer harness for the strict scanner (lib/json.c).
 *
 * Every function of lib/json.h is driven and checked against what its
 * contract says, not only for crashes: an error offset lies inside the
 * input; json_validate_line() accepts what json_validate() does and
 * more only one level deeper, for an envelope's record; compacting a
 * valid text keeps it valid, on one line, and is idempotent; lookups
 * and array elements are valid JSON texts of the kind reported; quoting
 * gives a valid line that unescapes back.
 * An input with a '\n' is also read as "PATH\nDOC": the path compiled
 * and looked up in the document.  The differential against Python's
 * json is a separate step: json_verdict.c and json_diff.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

#define FUZZ_MAX_LEN	(1 << 16)

static const char *const paths[] = {
	".", ".symbol", ".a.b", ".a[0]", ".[0]", ".[1].x", ".[\"\"]",
	".[\"a\\u0000b\"]", ".last_updated", ".[2][0]",
};

static void
check_value(const char *buf, size_t len, const char *v, size_t vlen,
    enum json_kind k)
{
	char *tmp;
	size_t n;

	if (v < buf || vlen > len || v + vlen > buf + len)
		abort();
	if (json_validate(v, vlen, NULL) != 0)
		abort();
	if (json_kind_of(v, vlen) != k)
		abort();
	if (k == JSON_STRING) {
		if ((tmp = malloc(vlen)) == NULL)
			return;
		n = json_unescape(v, vlen, tmp);
		if (n > vlen)
			abort();
		free(tmp);
	}
}

static void
check_valid(const char *buf, size_t len)
{
	struct json_iter it;
	struct json_path *p;
	const char *v;
	size_t vlen, n, n2, i, count = 0;
	char *c1, *c2, err[128];
	enum json_kind k;

	/* json_is_line: valid and no raw CR or LF. */
	if (json_is_line(buf, len) != (memchr(buf, '\n', len) == NULL &&
	    memchr(buf, '\r', len) == NULL))
		abort();
	c1 = malloc(len + 1);
	c2 = malloc(len + 1);
	if (c1 == NULL || c2 == NULL)
		goto out;
	n = json_compact(buf, len, c1);
	if (n > len || json_validate(c1, n, NULL) != 0 ||
	    !json_is_line(c1, n))
		abort();
	n2 = json_compact(c1, n, c2);
	if (n2 != n || memcmp(c1, c2, n) != 0)
		abort();
	if (json_kind_of(buf, len) != json_kind_of(c1, n))
		abort();
	if (json_array_begin(&it, buf, len) == 0) {
		if (json_kind_of(buf, len) != JSON_ARRAY)
			abort();
		while (json_array_next(&it, &v, &vlen)) {
			if (++count > len)
				abort();	/* no progress */
			check_value(buf, len, v, vlen, json_kind_of(v, vlen));
		}
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if ((p = json_path_compile(paths[i], err, sizeof(err))) ==
		    NULL)
			abort();
		if ((k = json_lookup(buf, len, p, &v, &vlen)) != JSON_MISSING)
			check_value(buf, len, v, vlen, k);
		json_path_free(p);
	}
out:
	free(c1);
	free(c2);
}

/* Quoting any bytes gives a one-line JSON string that decodes back. */
static void
check_quote(const char *buf, size_t len)
{
	char *q, *u;
	size_t qn, un;

	if ((q = malloc(JSON_QUOTE_MAX(len))) == NULL)
		return;
	qn = json_quote(q, buf, len);
	if (qn > JSON_QUOTE_MAX(len) || !json_is_line(q, qn) ||
	    json_kind_of(q, qn) != JSON_STRING)
		abort();
	if ((u = malloc(qn)) != NULL) {
		un = json_unescape(q, qn, u);
		/* Invalid UTF-8 becomes \ufffd; otherwise a round trip. */
		if (memmem(q, qn, "\\ufffd", 6) == NULL &&
		    (un != len || memcmp(u, buf, len) != 0))
			abort();
		free(u);
	}
	free(q);
}

/* "PATH\nDOC": a path from the input, looked up in the rest. */
static void
check_path(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len), *doc, *v;
	struct json_path *p;
	size_t dlen, vlen;
	char *text, err[256];
	enum json_kind k;

	if (nl == NULL)
		return;
	if ((text = malloc((size_t)(nl - buf) + 1)) == NULL)
		return;
	memcpy(text, buf, (size_t)(nl - buf));
	text[nl - buf] = '\0';
	p = json_path_compile(text, err, sizeof(err));
	free(text);
	if (p == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return;
	}
	doc = nl + 1;
	dlen = len - (size_t)(doc - buf);
	if (json_validate(doc, dlen, NULL) == 0 &&
	    (k = json_lookup(doc, dlen, p, &v, &vlen)) != JSON_MISSING)
		check_value(doc, dlen, v, vlen, k);
	json_path_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_error jerr;
	char *buf;

	if (size > FUZZ_MAX_LEN)
		return 0;
	if ((buf = fuzz_copy(data, size)) == NULL)
		return 0;
	jerr.offset = (size_t)-1;
	jerr.what = NULL;
	if (json_validate(buf, size, &jerr) == 0) {
		check_valid(buf, size);
		if (json_validate_line(buf, size, NULL) != 0)
			abort();
	} else if (jerr.offset > size || jerr.what == NULL)
		abort();
	else if (json_is_line(buf, size))
		abort();
	else {
		/* Only an envelope's record may be one level deeper. */
		struct json_error lerr = { (size_t)-1, NULL };

		if (json_validate_line(buf, size, &lerr) == 0) {
			if (strcmp(jerr.what, "nesting too deep") != 0 ||
			    json_kind_of(buf, size) != JSON_OBJECT)
				abort();
		} else if (lerr.offset > size || lerr.what == NULL)
			abort();
	}
	check_quote(buf, size);
	check_path(buf, size);
	free(buf);
	return 0;
}
