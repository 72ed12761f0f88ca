/*
 * tmpl.c - libFuzzer harness for s3put's key templates
 * (cmd/s3put/tmpl.c, linked in).
 *
 * Input: 8 bytes of time, 4 of partition, 8 of offset, 1 for the size
 * of the output buffer, then "TEMPLATE\0TOPIC" (no '\0': no topic, as
 * for a record that is not an envelope).  A template either compiles
 * or is refused with a message; a compiled one renders into a buffer
 * of exactly the size given (so ASan sees a write past it) and returns
 * -1 or a length that is strlen(out); "{offset}" is left in when the
 * offset is not known and tmpl_fill_offset() fills it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/s3put/tmpl.h"

#define HEAD	21

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
check_render(const struct tmpl *t, time_t when, const char *topic,
    int partition, long long offset, size_t outlen)
{
	char *out, *filled;
	int n, m;

	if ((out = malloc(outlen)) == NULL)
		return;
	n = tmpl_render(t, when, topic, partition, offset, out, outlen);
	if (n < -1 || (n >= 0 && ((size_t)n >= outlen ||
	    strlen(out) != (size_t)n)))
		abort();
	if (n >= 0 && tmpl_uses_offset(t) && offset < 0 &&
	    strstr(out, "{offset}") == NULL)
		abort();
	if (n >= 0 && (filled = malloc(outlen)) != NULL) {
		m = tmpl_fill_offset(out, offset < 0 ? 0 : offset, filled,
		    outlen);
		if (m < -1 || (m >= 0 && ((size_t)m >= outlen ||
		    strlen(filled) != (size_t)m ||
		    strstr(filled, "{offset}") != NULL)))
			abort();
		free(filled);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl *t;
	char *text, *topic, err[256];
	time_t when;
	long long offset;
	int partition;
	size_t outlen, n;

	if (size < HEAD || size > 4096)
		return 0;
	when = (time_t)get64(data);
	/* Years that fit in struct tm (gmtime_r fails beyond them). */
	when %= (time_t)1 << 40;
	partition = (int)(get64(data + 4) & 0x7fffffff);
	offset = (long long)get64(data + 12);
	outlen = 1 + data[20] * 4;
	n = size - HEAD;
	if ((text = malloc(n + 1)) == NULL)
		return 0;
	memcpy(text, data + HEAD, n);
	text[n] = '\0';
	topic = strlen(text) < n ? text + strlen(text) + 1 : NULL;
	err[0] = '\0';
	if ((t = tmpl_compile(text, err, sizeof(err))) == NULL) {
		if (err[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	if (tmpl_uses_offset(t) && !tmpl_uses_kafka(t))
		abort();
	check_render(t, when, topic, partition, offset, outlen);
	check_render(t, when, topic, partition, -1, outlen);
	check_render(t, when, topic, partition, offset, 1024);
	tmpl_free(t);
	free(text);
	return 0;
}
