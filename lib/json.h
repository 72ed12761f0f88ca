/*
 * json.h - strict JSON scanning without building a tree.
 *
 * The validator follows RFC 8259 exactly (it accepts every y_ case of
 * JSONTestSuite and rejects every n_ case): no NaN, no leading '+', no
 * trailing garbage, strings must be valid UTF-8 with no raw control
 * characters.  Records are never re-serialized, so what is validated is
 * what is passed on, byte for byte.
 */
#ifndef QP_JSON_H
#define QP_JSON_H

#include <stddef.h>
#include <stdint.h>

/*
 * Deeper nesting is rejected, not recursed.  One rule for the whole pipe:
 * a record nests at most JSON_MAX_DEPTH levels, counted from the record;
 * the level an envelope adds around it does not count.
 */
#define JSON_MAX_DEPTH 1024

struct json_error {
	size_t		 offset;	/* byte offset of the problem */
	const char	*what;		/* static text: "unexpected character" ... */
};

/*
 * Validate one JSON text in buf[0..len).  Leading and trailing JSON
 * whitespace is allowed.  Returns 0 if valid; otherwise -1 and, if err is
 * not NULL, fills it in.
 */
int	json_validate(const char *buf, size_t len, struct json_error *err);

/*
 * json_validate() for a line that is a record or an envelope: one level
 * more than JSON_MAX_DEPTH is accepted when it is the envelope's, i.e. a
 * top-level object whose "value" (or kcat's "payload") member holds all
 * that depth.
 */
int	json_validate_line(const char *buf, size_t len,
	    struct json_error *err);

/* Kinds of value json_lookup() can find. */
enum json_kind {
	JSON_MISSING = 0, JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER,
	JSON_STRING, JSON_ARRAY, JSON_OBJECT
};

/*
 * A field path such as ".symbol", ".country.code", ".a[0].b" or
 * '.["odd key"]', compiled once by json_path_compile().
 */
struct json_path;

/*
 * Compile a path.  Returns NULL and writes a message to errbuf when the
 * path is malformed.  Caller frees with json_path_free().
 */
struct json_path *json_path_compile(const char *text, char *errbuf,
	    size_t errlen);
void	json_path_free(struct json_path *);

/*
 * Find the value at path in a text that json_validate() accepted.  On
 * success the value's raw bytes are at *val (borrowed from buf) with
 * length *vlen, and its kind is returned; JSON_MISSING when the path does
 * not lead anywhere (a missing key, an index past the end, or a step
 * into a scalar).
 */
enum json_kind json_lookup(const char *buf, size_t len,
	    const struct json_path *path, const char **val, size_t *vlen);

/*
 * Decode the JSON string literal src[0..len) (quotes included) into dst,
 * which must hold at least len bytes (decoding never grows a string).
 * Returns the decoded length.  Lone surrogate escapes become U+FFFD.
 */
size_t	json_unescape(const char *src, size_t len, char *dst);

/*
 * Is buf[0..len) a JSON text that fits on one line?  True when it is
 * valid and contains no raw '\n' or '\r' byte.
 */
int	json_is_line(const char *buf, size_t len);

/*
 * The kind of the value that starts at buf (after any whitespace) in a
 * text that json_validate() accepted; JSON_MISSING if there is none.
 */
enum json_kind json_kind_of(const char *buf, size_t len);

/*
 * The raw value v[0..vlen) as a whole number within [lo, hi]: a JSON
 * number without fraction or exponent.  Returns 0 with *out, or -1
 * (*out untouched).
 */
int	json_integer(const char *v, size_t vlen, long long lo, long long hi,
	    long long *out);

/*
 * Walk the elements of a validated JSON array.  json_array_begin()
 * returns 0 if the text is an array, -1 otherwise; each
 * json_array_next() then returns 1 with the next element's raw bytes at
 * *val (borrowed from buf), or 0 after the last.
 */
struct json_iter {
	const char	*buf;
	size_t		 len, pos;
};
int	json_array_begin(struct json_iter *, const char *buf, size_t len);
int	json_array_next(struct json_iter *, const char **val, size_t *vlen);

/*
 * The same for the members of a validated JSON object, in the order
 * written: each json_object_next() returns 1 with the member's key (a
 * string literal, quotes included) and value, raw, or 0 after the last.
 */
int	json_object_begin(struct json_iter *, const char *buf, size_t len);
int	json_object_next(struct json_iter *, const char **key, size_t *klen,
	    const char **val, size_t *vlen);

/*
 * Copy the validated JSON text src[0..len) to dst without its
 * insignificant whitespace, so that it fits on one line; every token,
 * numbers and string escapes included, is kept byte for byte.  dst
 * holds at least len bytes.  Returns the length written.
 */
size_t	json_compact(const char *src, size_t len, char *dst);

/*
 * Write src[0..len) as a JSON string literal (quotes included) to dst,
 * which must hold JSON_QUOTE_MAX(len) bytes.  Bytes that are not UTF-8
 * become \ufffd.  Returns the number of bytes written.
 */
#define JSON_QUOTE_MAX(len)	((len) * 6 + 2)
size_t	json_quote(char *dst, const char *src, size_t len);
#endif
