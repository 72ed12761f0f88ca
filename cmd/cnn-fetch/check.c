/*
 * check.c - the answer is checked whole before anything is printed: an
 * HTML page (CNN's block page), an empty or cut-off body, or anything
 * but an array of objects is a wrong answer.
 */
#include <string.h>
#include <sysexits.h>

#include "json.h"
#include "log.h"

#include "check.h"

static const char *
kind_name(enum json_kind k)
{
	static const char *const names[] = {
		"nothing", "null", "false", "true", "a number", "a string",
		"an array", "an object"
	};
	return names[k];
}

/* Is the answer an HTML page (a block or error page)? */
static int
is_html(const char *body, size_t len, const char *content_type)
{
	size_t i = 0;

	if (strcasestr(content_type, "html") != NULL)
		return 1;
	while (i < len && strchr(" \t\r\n", body[i]) != NULL)
		i++;
	return i < len && body[i] == '<';
}

int
check_body(const char *body, size_t len, const char *content_type,
    const char *url)
{
	struct json_error jerr;
	struct json_iter it;
	const char *v;
	size_t vlen, n = 0;
	enum json_kind k;

	if (is_html(body, len, content_type)) {
		log_err("%s: an HTML page (%s), not JSON: the site's block or "
		    "error page?", url, content_type[0] ? content_type :
		    "no Content-Type");
		return EX_PROTOCOL;
	}
	if (len == 0) {
		/* No buffer at all then: body may be NULL. */
		log_err("%s: an empty body, not JSON", url);
		return EX_PROTOCOL;
	}
	if (json_validate(body, len, &jerr) == -1) {
		if (jerr.offset >= len)
			log_err("%s: the JSON ends early, at byte %zu: "
			    "truncated body", url, len);
		else
			log_err("%s: not valid JSON: %s at byte %zu", url,
			    jerr.what, jerr.offset);
		return EX_PROTOCOL;
	}
	if (json_array_begin(&it, body, len) == -1) {
		log_err("%s: the body is %s, not an array of quotes", url,
		    kind_name(json_kind_of(body, len)));
		return EX_PROTOCOL;
	}
	while (json_array_next(&it, &v, &vlen)) {
		n++;
		if ((k = json_kind_of(v, vlen)) != JSON_OBJECT) {
			log_err("%s: element %zu of the array is %s, not a "
			    "quote object", url, n, kind_name(k));
			return EX_PROTOCOL;
		}
	}
	return 0;
}
