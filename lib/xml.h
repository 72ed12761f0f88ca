/*
 * xml.h - an element's text in the XML that S3 and STS answer.
 */
#ifndef QP_XML_H
#define QP_XML_H

#include <stddef.h>

/*
 * The raw text of the first <tag>...</tag> in the NUL-terminated body
 * (NULL: none) into out, cut to fit; "" if absent.  Entities are left
 * as they are: for codes and messages, never for values used as data.
 */
void	xml_text(const char *body, const char *tag, char *out, size_t outlen);

/*
 * The text of the first <tag>...</tag> in [p, end), entities and
 * character references decoded, as a new string (caller frees); *next
 * just past it.  NULL if absent or unclosed (*unclosed set), or out of
 * memory.
 */
char	*xml_take(const char *p, const char *end, const char *tag,
	    const char **next, int *unclosed);

#endif
