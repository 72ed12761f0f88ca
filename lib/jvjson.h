/*
 * jvjson.h - libjq values straight from validated JSON text.
 *
 * libjq 1.6's parser reads a byte at a time through a state machine and
 * was half of quote-xform's time on simple programs.  Text that
 * json_validate() has accepted needs no second check, so this builds
 * the same jv with the same libjq calls (jv_object_set, jv_array_append,
 * jv_string_sized, strtod's correctly rounded double), in one pass.
 */
#ifndef QP_JVJSON_H
#define QP_JVJSON_H

#include <stddef.h>

#include <jv.h>

/*
 * The value of buf[0..len), which json_validate() must have accepted.
 * Returns a new jv the caller owns; the result for any other text is
 * unspecified (but memory-safe).
 */
jv	jvjson_parse(const char *buf, size_t len);

struct obuf;

/*
 * Write v compact to o, byte for byte as jq -c (jq 1.6) prints it, but
 * into the buffer directly instead of through a jv string.  Consumes v.
 */
void	jvjson_dump(struct obuf *o, jv v);

#endif
