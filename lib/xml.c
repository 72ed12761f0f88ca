/*
 * xml.c - the little of XML that AWS's answers need: an element's text,
 * entities decoded.  Not a parser: S3 and STS answer flat documents
 * whose elements of interest are never nested in one of their own name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

/* The text of <tag>...</tag> in the answer, or "". */
void
xml_text(const char *body, const char *tag, char *out, size_t outlen)
{
	char open[64], close[64];
	const char *a, *b;
	size_t n;

	out[0] = '\0';
	if (body == NULL)
		return;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = strstr(body, open)) == NULL ||
	    (b = strstr(a, close)) == NULL)
		return;
	a += strlen(open);
	n = (size_t)(b - a) < outlen - 1 ? (size_t)(b - a) : outlen - 1;
	memcpy(out, a, n);
	out[n] = '\0';
}

/* Put code point c as UTF-8 at w; the bytes written (0: not one). */
static size_t
utf8_put(unsigned long c, char *w)
{
	if (c == 0 || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	if (c < 0x80) {
		w[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		w[0] = (char)(0xc0 | c >> 6);
		w[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		w[0] = (char)(0xe0 | c >> 12);
		w[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		w[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | c >> 18);
	w[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	w[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * Decode XML's five named entities and its character references
 * (&#13; &#x1F;) in place: never longer than the input.
 */
static void
xml_unescape(char *t)
{
	static const struct { const char *e; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	char *r = t, *w = t, *e;
	unsigned long c;
	size_t i, k;

	while (*r != '\0') {
		if (*r != '&') {
			*w++ = *r++;
			continue;
		}
		for (i = 0; i < 5; i++)
			if (strncmp(r, ents[i].e, strlen(ents[i].e)) == 0)
				break;
		if (i < 5) {
			*w++ = ents[i].c;
			r += strlen(ents[i].e);
			continue;
		}
		if (r[1] == '#' && (isdigit((unsigned char)r[2]) ||
		    ((r[2] == 'x' || r[2] == 'X') &&
		    isxdigit((unsigned char)r[3])))) {
			errno = 0;
			c = r[2] == 'x' || r[2] == 'X' ? strtoul(r + 3, &e, 16) :
			    strtoul(r + 2, &e, 10);
			/* "&#65;" is 5 bytes, its UTF-8 at most 4. */
			if (*e == ';' && errno == 0 && (size_t)(e + 1 - r) >= 4 &&
			    (k = utf8_put(c, w)) > 0) {
				w += k;
				r = e + 1;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/*
 * The text of the first <tag>...</tag> in [p, end), entities decoded,
 * as a new string; *next just past it.  NULL if absent or unclosed
 * (*unclosed set), or out of memory.
 */
char *
xml_take(const char *p, const char *end, const char *tag, const char **next,
    int *unclosed)
{
	char open[64], close[64], *out;
	const char *a, *b;
	size_t n;

	*unclosed = 0;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = memmem(p, (size_t)(end - p), open, strlen(open))) == NULL)
		return NULL;
	a += strlen(open);
	if ((b = memmem(a, (size_t)(end - a), close, strlen(close))) == NULL) {
		*unclosed = 1;
		return NULL;
	}
	n = (size_t)(b - a);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, a, n);
	out[n] = '\0';
	xml_unescape(out);
	*next = b + strlen(close);
	return out;
}

