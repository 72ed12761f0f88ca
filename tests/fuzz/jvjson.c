/*
 * jvjson.c - libFuzzer harness for lib/jvjson.c against libjq 1.6.
 *
 * For every input the scanner accepts: jvjson_parse() must build the
 * value libjq's own parser builds (jv_equal), whenever libjq accepts
 * the text (it refuses nesting deeper than 256, which the scanner
 * allows); and jvjson_dump() must write the bytes jv_dump_string()
 * writes (jq -c), both of libjq's value and of ours.  Then the way
 * back: what jvjson_dump() wrote is one valid JSON line that both
 * parsers read back to a value dumped the same again (not jv_equal:
 * an infinity is written as the largest double, as jq does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "jvjson.h"
#include "obuf.h"

#define FUZZ_MAX_LEN	(1 << 16)

/* jvjson_dump(v) (consumed) into a malloc'd string; *len its length. */
static char *
dump(jv v, size_t *len)
{
	struct obuf o;
	char *s;

	/* No fd: the buffer is big enough never to be flushed. */
	if (obuf_open(&o, -1, 8 * FUZZ_MAX_LEN + 64) == -1)
		abort();
	jvjson_dump(&o, v);
	if (o.err != 0 || (s = malloc(o.len + 1)) == NULL)
		abort();
	memcpy(s, o.buf, o.len);
	s[o.len] = '\0';
	*len = o.len;
	o.len = 0;
	obuf_close(&o);
	return s;
}

/* Does jvjson_dump(v) write what libjq writes?  v is consumed. */
static void
same_dump(jv v)
{
	jv want = jv_dump_string(jv_copy(v), 0);
	size_t n;
	char *got = dump(v, &n);

	if (n != (size_t)jv_string_length_bytes(jv_copy(want)) ||
	    memcmp(got, jv_string_value(want), n) != 0) {
		fprintf(stderr, "jq:   %s\nours: %s\n", jv_string_value(want),
		    got);
		abort();
	}
	jv_free(want);
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jv ours, theirs, again;
	char *buf, *out, *out2;
	size_t n, n2;

	if (size > FUZZ_MAX_LEN)
		return 0;
	if ((buf = fuzz_copy(data, size)) == NULL)
		return 0;
	if (json_validate(buf, size, NULL) != 0) {
		free(buf);
		return 0;
	}
	ours = jvjson_parse(buf, size);
	if (!jv_is_valid(ours))
		abort();
	theirs = jv_parse_sized(buf, (int)size);
	if (jv_is_valid(theirs)) {
		if (!jv_equal(jv_copy(ours), jv_copy(theirs))) {
			fprintf(stderr, "jvjson_parse differs from libjq\n");
			abort();
		}
		same_dump(theirs);
	} else
		jv_free(theirs);
	same_dump(jv_copy(ours));
	/* The dump reads back as the same value, by both parsers. */
	out = dump(jv_copy(ours), &n);
	if (json_validate(out, n, NULL) != 0 || !json_is_line(out, n))
		abort();
	again = jvjson_parse(out, n);
	out2 = dump(again, &n2);
	if (n2 != n || memcmp(out, out2, n) != 0)
		abort();
	free(out2);
	again = jv_parse_sized(out, (int)n);
	if (jv_is_valid(again)) {
		out2 = dump(again, &n2);
		if (n2 != n || memcmp(out, out2, n) != 0)
			abort();
		free(out2);
	} else
		jv_free(again);
	jv_free(ours);
	free(out);
	free(buf);
	return 0;
}
