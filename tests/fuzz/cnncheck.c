/*
 * cnncheck.c - libFuzzer harness for cnn-fetch's check of CNN's answer
 * (cmd/cnn-fetch/check.c, linked in).
 *
 * Input: byte 0 picks the Content-Type, the rest is the body, given in
 * a buffer of exactly its size (an empty body as NULL, as cnn-fetch
 * has it when nothing came).  An answer accepted must be what
 * cnn-fetch then prints from: valid JSON, an array, every element an
 * object that compacts to one valid line.  The messages are formatted
 * (so their arguments are read) but not printed: this file's
 * log_msg() stands in for lib/log.c's.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "json.h"
#include "log.h"

#include "../../cmd/cnn-fetch/check.h"

#define FUZZ_MAX_LEN	(1 << 20)

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

static const char *const types[] = {
	"", "application/json", "application/json; charset=utf-8",
	"text/html", "TEXT/HTML; charset=utf-8", "text/plain",
};

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *type, *v;
	struct json_iter it;
	char *body = NULL, *line;
	size_t len, vlen, n;
	int rc;

	if (size < 1 || size > FUZZ_MAX_LEN)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	len = size - 1;
	if (len > 0) {
		if ((body = malloc(len)) == NULL)
			return 0;
		memcpy(body, data + 1, len);
	}
	rc = check_body(body, len, type, "http://127.0.0.1/fuzz");
	if (rc != 0 && rc != EX_PROTOCOL)
		abort();
	if (rc == 0) {
		if (strstr(type, "html") != NULL || strstr(type, "HTML"))
			abort();
		if (json_validate(body, len, NULL) != 0 ||
		    json_array_begin(&it, body, len) != 0)
			abort();
		/* What fetch_date() does with each element. */
		while (json_array_next(&it, &v, &vlen)) {
			if (json_kind_of(v, vlen) != JSON_OBJECT ||
			    (line = malloc(vlen + 1)) == NULL)
				abort();
			n = json_compact(v, vlen, line);
			if (!json_is_line(line, n) ||
			    json_kind_of(line, n) != JSON_OBJECT)
				abort();
			free(line);
		}
	}
	free(body);
	return 0;
}
