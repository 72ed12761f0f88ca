/*
 * check.h - is CNN's answer one cnn-fetch can print from?
 *
 * Kept apart from main.c so that the fuzzing harness
 * (tests/fuzz/cnncheck.c) can call it without curl.
 */
#ifndef CNN_FETCH_CHECK_H
#define CNN_FETCH_CHECK_H

#include <stddef.h>

/*
 * Check the body of a 200 answer (body may be NULL when len is 0;
 * content_type "" when there was none) is a JSON array of objects.
 * Returns 0, or EX_PROTOCOL with the problem reported on stderr,
 * naming url.
 */
int	check_body(const char *body, size_t len, const char *content_type,
	    const char *url);

#endif
