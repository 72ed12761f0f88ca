/*
 * ini.h - the AWS CLI's shared files (~/.aws/config, ~/.aws/credentials)
 * read as botocore's configloader reads them, so that a file the AWS CLI
 * takes means the same here and a file it refuses is refused here too.
 *
 * The format (Python's configparser, strict, with botocore's nesting):
 * "[section]" headers, the name everything between the first '[' and
 * the last ']'; "key = value" or "key: value" lines, split at the first
 * '=' or ':', the key in lower case, both trimmed, no inline comments
 * ("region = x # y" is "x # y"); whole-line comments starting '#' or ';';
 * an indented line continues the value above it, and a key whose value
 * is only such lines is a nested section ("s3 =\n  addressing_style =
 * path"), kept as its own keys ("s3.addressing_style").  A setting
 * before any header, a line that is none of these, a section or key
 * given twice: the file is refused, as the AWS CLI refuses it.
 *
 * Secrets live in these files: the copy kept here is cleansed when it
 * is freed, and no message quotes a value.
 */
#ifndef QP_INI_H
#define QP_INI_H

#include <stddef.h>

struct ini;

/*
 * Read path.  Returns 0 with *out set (caller frees with ini_free), 1
 * when there is no such file (*out NULL), or -1 with why naming the
 * file and line (not readable, larger than 1 MiB, not in the format).
 */
int	ini_load(const char *path, struct ini **out, char *why, size_t whylen);

/*
 * Parse len bytes (not NUL-terminated) as the file name says; as
 * ini_load, without the 1.
 */
int	ini_parse(const char *name, const char *data, size_t len,
	    struct ini **out, char *why, size_t whylen);

/*
 * The value of key ("region", or "s3.addressing_style" for a nested
 * one) in section, exactly as the header names it; NULL if absent.
 * Borrowed, valid until ini_free.
 */
const char *ini_get(const struct ini *, const char *section,
	    const char *key);

/* Section number i, in the file's order; NULL past the last. */
const char *ini_section(const struct ini *, size_t i);

void	ini_free(struct ini *);

#endif
