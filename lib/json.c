/*
 * json.c - strict JSON validation, path lookup and string (un)escaping.
 *
 * The validator is a single forward pass with an explicit stack, so
 * hostile nesting cannot exhaust the C stack; strings are scanned with a
 * byte-class table, which is where most of the time goes on quote
 * records.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "json.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Byte classes inside a string: 0 = ordinary ASCII, no action needed. */
enum { C_OK = 0, C_QUOTE, C_BSLASH, C_CTRL, C_HIGH };

/* Constant tables: no first-use set-up, so no race between threads. */
static const unsigned char str_class[256] = {
	[0x00 ... 0x1f] = C_CTRL,
	['"'] = C_QUOTE,
	['\\'] = C_BSLASH,
	[0x80 ... 0xff] = C_HIGH,
};
static const unsigned char ws_class[256] = {	/* 1 for JSON whitespace */
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int
hex_val(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * Check one UTF-8 sequence starting at p (whose lead byte is >= 0x80).
 * Returns its length, or 0 if it is not well-formed (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/*
 * Scan a string whose opening quote is at p.  Returns a pointer just past
 * the closing quote, or NULL with *why set.
 */
static const unsigned char *
scan_string(const unsigned char *p, const unsigned char *end,
    const unsigned char **at, const char **why)
{
	size_t n;

	p++;
	for (;;) {
#ifdef __SSE2__
		/*
		 * Sixteen bytes at a time: one signed compare finds both
		 * control characters (< 0x20) and non-ASCII bytes (negative
		 * as signed), two more find '"' and '\\'.
		 */
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			__m128i m = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
			unsigned mask = (unsigned)_mm_movemask_epi8(m);
			if (mask != 0) {
				p += __builtin_ctz(mask);
				break;
			}
			p += 16;
		}
#endif
		while (end - p >= 4 && str_class[p[0]] == C_OK &&
		    str_class[p[1]] == C_OK && str_class[p[2]] == C_OK &&
		    str_class[p[3]] == C_OK)
			p += 4;
		if (p >= end) {
			*at = p;
			*why = "unterminated string";
			return NULL;
		}
		switch (str_class[*p]) {
		case C_OK:
			p++;
			break;
		case C_QUOTE:
			return p + 1;
		case C_BSLASH:
			if (end - p < 2)
				goto unterminated;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u':
				if (end - p < 6)
					goto unterminated;
				if (!is_hex(p[2]) || !is_hex(p[3]) ||
				    !is_hex(p[4]) || !is_hex(p[5])) {
					*at = p;
					*why = "bad \\u escape";
					return NULL;
				}
				p += 6;
				break;
			default:
				*at = p;
				*why = "bad escape in string";
				return NULL;
			}
			break;
		case C_CTRL:
			*at = p;
			*why = "control character in string";
			return NULL;
		default:
			if ((n = utf8_seq(p, end)) == 0) {
				*at = p;
				*why = "invalid UTF-8";
				return NULL;
			}
			p += n;
			break;
		}
	}
unterminated:
	*at = end;
	*why = "unterminated string";
	return NULL;
}

/* Skip a run of ASCII digits. */
static inline const unsigned char *
skip_digits(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i t = _mm_sub_epi8(v, _mm_set1_epi8('0'));
		/* A digit is a byte whose t is at most 9, unsigned. */
		__m128i d = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t);
		unsigned mask = ~(unsigned)_mm_movemask_epi8(d) & 0xFFFFu;
		if (mask != 0)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

static const unsigned char *
scan_number(const unsigned char *p, const unsigned char *end,
    const unsigned char **at, const char **why)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		goto bad;
	if (*p == '0')
		p++;
	else
		p = skip_digits(p, end);
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		p = skip_digits(p, end);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
bad:
	*at = p;
	*why = "malformed number";
	return NULL;
}

/*
 * json_validate() with at most max_depth (up to JSON_MAX_DEPTH + 1)
 * levels of nesting; *deepest is set to the most levels seen.
 */
static int
validate_depth(const char *buf, size_t len, size_t max_depth,
    size_t *deepest, struct json_error *err)
{
	const unsigned char *p, *end, *at;
	const char *why = NULL;
	unsigned char stack[JSON_MAX_DEPTH + 1];
	size_t depth = 0;

	*deepest = 0;

	/* An empty text may come with no buffer: NULL + 0 is undefined. */
	if (len == 0) {
		if (err != NULL) {
			err->offset = 0;
			err->what = "empty input";
		}
		return -1;
	}
	p = at = (const unsigned char *)buf;
	end = p + len;
	while (p < end && ws_class[*p])
		p++;
value:
	if (p >= end) {
		at = p;
		why = "unexpected end of input";
		goto fail;
	}
	switch (*p) {
	case '{':
	case '[':
		if (depth == max_depth) {
			at = p;
			why = "nesting too deep";
			goto fail;
		}
		stack[depth++] = *p++;
		if (depth > *deepest)
			*deepest = depth;
		while (p < end && ws_class[*p])
			p++;
		if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']')) {
			p++;
			depth--;
			goto after;
		}
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	case '"':
		if ((p = scan_string(p, end, &at, &why)) == NULL)
			goto fail;
		goto after;
	case 't':
		if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			p += 4;
			goto after;
		}
		break;
	case 'f':
		if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			p += 5;
			goto after;
		}
		break;
	case 'n':
		if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			p += 4;
			goto after;
		}
		break;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			if ((p = scan_number(p, end, &at, &why)) == NULL)
				goto fail;
			goto after;
		}
		break;
	}
	at = p;
	why = "unexpected character";
	goto fail;

key:
	if (p >= end || *p != '"') {
		at = p;
		why = p >= end ? "unexpected end of input" :
		    "expected a string key";
		goto fail;
	}
	if ((p = scan_string(p, end, &at, &why)) == NULL)
		goto fail;
	while (p < end && ws_class[*p])
		p++;
	if (p >= end || *p != ':') {
		at = p;
		why = "expected ':'";
		goto fail;
	}
	p++;
	while (p < end && ws_class[*p])
		p++;
	goto value;

after:
	while (p < end && ws_class[*p])
		p++;
	if (depth == 0) {
		if (p == end)
			return 0;
		at = p;
		why = "trailing characters after the value";
		goto fail;
	}
	if (p >= end) {
		at = p;
		why = "unexpected end of input";
		goto fail;
	}
	if (*p == ',') {
		p++;
		while (p < end && ws_class[*p])
			p++;
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (*p == (stack[depth - 1] == '{' ? '}' : ']')) {
		p++;
		depth--;
		goto after;
	}
	at = p;
	why = stack[depth - 1] == '{' ? "expected ',' or '}'" :
	    "expected ',' or ']'";
fail:
	if (err != NULL) {
		err->offset = (size_t)(at - (const unsigned char *)buf);
		err->what = why;
	}
	return -1;
}

int
json_validate(const char *buf, size_t len, struct json_error *err)
{
	size_t deepest;

	return validate_depth(buf, len, JSON_MAX_DEPTH, &deepest, err);
}

static const unsigned char *skip_ws(const unsigned char *,
    const unsigned char *);
static const unsigned char *skip_string(const unsigned char *,
    const unsigned char *);
static const unsigned char *skip_value(const unsigned char *,
    const unsigned char *);

/* The levels of nesting of one value in validated text. */
static size_t
nesting(const unsigned char *p, const unsigned char *end)
{
	size_t depth = 0, deepest = 0;

	while (p < end) {
		if (*p == '"') {
			p = skip_string(p, end);
			continue;
		}
		if (*p == '{' || *p == '[') {
			if (++depth > deepest)
				deepest = depth;
		} else if ((*p == '}' || *p == ']') && --depth == 0)
			break;
		p++;
	}
	return deepest;
}

int
json_validate_line(const char *buf, size_t len, struct json_error *err)
{
	const unsigned char *p, *end, *k, *v;
	size_t deepest;

	if (validate_depth(buf, len, JSON_MAX_DEPTH + 1, &deepest, err) == -1)
		return -1;
	if (deepest <= JSON_MAX_DEPTH)
		return 0;
	/*
	 * One level more than a record may have: only as an envelope, an
	 * object whose record (value, or kcat's payload) is the deep part.
	 */
	p = (const unsigned char *)buf;
	end = p + len;
	p = skip_ws(p, end);
	if (*p == '{')
		for (p = skip_ws(p + 1, end); p < end && *p == '"';
		    p = skip_ws(p, end)) {
			k = p;
			p = skip_ws(skip_string(p, end), end) + 1;
			v = p = skip_ws(p, end);
			p = skip_ws(skip_value(p, end), end);
			if (nesting(v, p) >= JSON_MAX_DEPTH &&
			    !((p - k > 7 && memcmp(k, "\"value\"", 7) == 0 &&
			    (k[7] == ':' || ws_class[k[7]])) ||
			    (p - k > 9 && memcmp(k, "\"payload\"", 9) == 0 &&
			    (k[9] == ':' || ws_class[k[9]])))) {
				p = v;		/* the error is there */
				break;
			}
			if (p < end && *p == ',')
				p = skip_ws(p + 1, end);
			else
				return 0;
		}
	if (err != NULL) {
		err->offset = (size_t)(p - (const unsigned char *)buf);
		err->what = "nesting too deep";
	}
	return -1;
}

int
json_is_line(const char *buf, size_t len)
{
	if (len == 0)
		return 0;	/* buf may be NULL */
	if (memchr(buf, '\n', len) != NULL || memchr(buf, '\r', len) != NULL)
		return 0;
	return json_validate(buf, len, NULL) == 0;
}

/* ---- path lookup over validated text ---- */

struct json_step {
	char	*key;		/* NULL for an index step */
	size_t	 keylen;
	size_t	 index;
};

struct json_path {
	size_t		  nsteps;
	struct json_step *steps;
};

void
json_path_free(struct json_path *path)
{
	size_t i;

	if (path == NULL)
		return;
	for (i = 0; i < path->nsteps; i++)
		free(path->steps[i].key);
	free(path->steps);
	free(path);
}

static int
path_add(struct json_path *path, const char *key, size_t keylen,
    size_t index)
{
	struct json_step *s;

	s = realloc(path->steps, (path->nsteps + 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	path->steps = s;
	s = &s[path->nsteps];
	s->key = NULL;
	s->keylen = keylen;
	s->index = index;
	if (key != NULL) {
		if ((s->key = malloc(keylen + 1)) == NULL)
			return -1;
		memcpy(s->key, key, keylen);
		s->key[keylen] = '\0';
	}
	path->nsteps++;
	return 0;
}

struct json_path *
json_path_compile(const char *text, char *errbuf, size_t errlen)
{
	struct json_path *path;
	const char *p = text, *q, *why = NULL;
	char *tmp;
	size_t n, idx;

	if ((path = calloc(1, sizeof(*path))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (*p != '.') {
		why = "must start with '.'";
		goto bad;
	}
	if (strcmp(p, ".") == 0)
		return path;		/* the whole record */
	while (*p != '\0') {
		if (*p == '.' && p[1] != '[') {
			p++;
			for (q = p; *q == '_' || (*q >= 'a' && *q <= 'z') ||
			    (*q >= 'A' && *q <= 'Z') ||
			    (q > p && *q >= '0' && *q <= '9'); q++)
				;
			if (q == p) {
				why = "expected a field name after '.'";
				goto bad;
			}
			if (path_add(path, p, (size_t)(q - p), 0) == -1)
				goto oom;
			p = q;
		} else if (*p == '[' || (*p == '.' && p[1] == '[')) {
			p += *p == '.' ? 2 : 1;
			if (*p == '"') {
				/* A quoted key: a JSON string literal. */
				const unsigned char *at, *e;
				e = scan_string((const unsigned char *)p,
				    (const unsigned char *)p + strlen(p), &at,
				    &why);
				if (e == NULL)
					goto bad;
				n = (size_t)((const char *)e - p);
				if ((tmp = malloc(n)) == NULL)
					goto oom;
				n = json_unescape(p, n, tmp);
				if (path_add(path, tmp, n, 0) == -1) {
					free(tmp);
					goto oom;
				}
				free(tmp);
				p = (const char *)e;
			} else if (*p >= '0' && *p <= '9') {
				for (idx = 0; *p >= '0' && *p <= '9'; p++) {
					if (idx > (SIZE_MAX - 9) / 10) {
						why = "index too large";
						goto bad;
					}
					idx = idx * 10 + (size_t)(*p - '0');
				}
				if (path_add(path, NULL, 0, idx) == -1)
					goto oom;
			} else {
				why = "expected an index or a quoted key in []";
				goto bad;
			}
			if (*p != ']') {
				why = "expected ']'";
				goto bad;
			}
			p++;
		} else {
			why = "unexpected character";
			goto bad;
		}
	}
	return path;
oom:
	why = "out of memory";
bad:
	snprintf(errbuf, errlen, "bad path '%s': %s", text, why);
	json_path_free(path);
	return NULL;
}

static const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && ws_class[*p])
		p++;
	return p;
}

/* Skip a string in validated text; p at the opening quote. */
static const unsigned char *
skip_string(const unsigned char *p, const unsigned char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return end;
}

/* Skip one value in validated text. */
static const unsigned char *
skip_value(const unsigned char *p, const unsigned char *end)
{
	size_t depth = 0;

	do {
		if (p >= end)
			return end;
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			depth--;
			break;
		default:
			if (depth == 0) {
				while (p < end && *p != ',' && *p != ']' &&
				    *p != '}' && !ws_class[*p])
					p++;
				return p;
			}
		}
		p++;
	} while (depth > 0);
	return p;
}

static int
key_equal(const unsigned char *k, size_t klen, const struct json_step *s)
{
	char small[256], *tmp;
	size_t n;
	int eq;

	/* k includes both quotes. */
	if (memchr(k, '\\', klen) == NULL)
		return klen - 2 == s->keylen && memcmp(k + 1, s->key,
		    s->keylen) == 0;
	tmp = klen <= sizeof(small) ? small : malloc(klen);
	if (tmp == NULL)
		return 0;
	n = json_unescape((const char *)k, klen, tmp);
	eq = n == s->keylen && memcmp(tmp, s->key, n) == 0;
	if (tmp != small)
		free(tmp);
	return eq;
}

enum json_kind
json_lookup(const char *buf, size_t len, const struct json_path *path,
    const char **val, size_t *vlen)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	const unsigned char *k, *v;
	size_t i, idx;
	int found;

	p = skip_ws(p, end);
	for (i = 0; i < path->nsteps; i++) {
		const struct json_step *s = &path->steps[i];

		if (p >= end)
			return JSON_MISSING;
		found = 0;
		if (s->key != NULL) {
			if (*p != '{')
				return JSON_MISSING;
			p = skip_ws(p + 1, end);
			while (p < end && *p == '"') {
				k = p;
				p = skip_string(p, end);
				found = key_equal(k, (size_t)(p - k), s);
				p = skip_ws(p, end);
				p = skip_ws(p + 1, end);	/* ':' */
				if (found)
					break;
				p = skip_ws(skip_value(p, end), end);
				if (p < end && *p == ',')
					p = skip_ws(p + 1, end);
			}
		} else {
			if (*p != '[')
				return JSON_MISSING;
			p = skip_ws(p + 1, end);
			for (idx = 0; p < end && *p != ']'; idx++) {
				if (idx == s->index) {
					found = 1;
					break;
				}
				p = skip_ws(skip_value(p, end), end);
				if (p < end && *p == ',')
					p = skip_ws(p + 1, end);
			}
		}
		if (!found)
			return JSON_MISSING;
	}
	if (p >= end)
		return JSON_MISSING;
	v = skip_value(p, end);
	*val = (const char *)p;
	*vlen = (size_t)(v - p);
	switch (*p) {
	case 'n': return JSON_NULL;
	case 't': return JSON_TRUE;
	case 'f': return JSON_FALSE;
	case '"': return JSON_STRING;
	case '[': return JSON_ARRAY;
	case '{': return JSON_OBJECT;
	default: return JSON_NUMBER;
	}
}

static size_t
utf8_put(char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xC0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xE0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		d[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | (cp >> 18));
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	d[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static unsigned long
hex4(const unsigned char *p)
{
	return (unsigned long)(hex_val(p[0]) << 12 | hex_val(p[1]) << 8 |
	    hex_val(p[2]) << 4 | hex_val(p[3]));
}

size_t
json_unescape(const char *src, size_t len, char *dst)
{
	const unsigned char *p = (const unsigned char *)src + 1;
	const unsigned char *end = (const unsigned char *)src + len - 1;
	unsigned long cp, lo;
	char *d = dst;

	while (p < end) {
		if (*p != '\\') {
			*d++ = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *d++ = '\b'; p += 2; break;
		case 'f': *d++ = '\f'; p += 2; break;
		case 'n': *d++ = '\n'; p += 2; break;
		case 'r': *d++ = '\r'; p += 2; break;
		case 't': *d++ = '\t'; p += 2; break;
		case 'u':
			cp = hex4(p + 2);
			p += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    (lo = hex4(p + 2)) >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;
			d += utf8_put(d, cp);
			break;
		default:	/* '"', '\\', '/' */
			*d++ = (char)p[1];
			p += 2;
			break;
		}
	}
	return (size_t)(d - dst);
}

size_t
json_quote(char *dst, const char *src, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)src, *end = p + len;
	char *d = dst;
	size_t n;

	*d++ = '"';
	while (p < end) {
		switch (str_class[*p]) {
		case C_OK:
			*d++ = (char)*p++;
			break;
		case C_QUOTE:
		case C_BSLASH:
			*d++ = '\\';
			*d++ = (char)*p++;
			break;
		case C_CTRL:
			*d++ = '\\';
			switch (*p) {
			case '\b': *d++ = 'b'; break;
			case '\f': *d++ = 'f'; break;
			case '\n': *d++ = 'n'; break;
			case '\r': *d++ = 'r'; break;
			case '\t': *d++ = 't'; break;
			default:
				*d++ = 'u';
				*d++ = '0';
				*d++ = '0';
				*d++ = hexd[*p >> 4];
				*d++ = hexd[*p & 0xF];
			}
			p++;
			break;
		default:
			if ((n = utf8_seq(p, end)) == 0) {
				memcpy(d, "\\ufffd", 6);	/* not UTF-8 */
				d += 6;
				p++;
			} else {
				memcpy(d, p, n);
				d += n;
				p += n;
			}
		}
	}
	*d++ = '"';
	return (size_t)(d - dst);
}

enum json_kind
json_kind_of(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;

	if (len == 0)
		return JSON_MISSING;	/* buf may be NULL */
	p = skip_ws(p, p + len);
	if (p == (const unsigned char *)buf + len)
		return JSON_MISSING;
	switch (*p) {
	case '{':	return JSON_OBJECT;
	case '[':	return JSON_ARRAY;
	case '"':	return JSON_STRING;
	case 't':	return JSON_TRUE;
	case 'f':	return JSON_FALSE;
	case 'n':	return JSON_NULL;
	default:	return JSON_NUMBER;
	}
}

/* Start walking a value of kind (an array or an object), past its '[' or '{'. */
static int
iter_begin(struct json_iter *it, const char *buf, size_t len,
    enum json_kind kind)
{
	const unsigned char *p = (const unsigned char *)buf;

	if (json_kind_of(buf, len) != kind)
		return -1;
	p = skip_ws(p, p + len);
	it->buf = buf;
	it->len = len;
	it->pos = (size_t)((const char *)p - buf) + 1;
	return 0;
}

int
json_array_begin(struct json_iter *it, const char *buf, size_t len)
{
	return iter_begin(it, buf, len, JSON_ARRAY);
}

int
json_array_next(struct json_iter *it, const char **val, size_t *vlen)
{
	const unsigned char *b = (const unsigned char *)it->buf;
	const unsigned char *end = b + it->len, *p, *v;

	p = skip_ws(b + it->pos, end);
	if (p < end && *p == ',')
		p = skip_ws(p + 1, end);
	if (p >= end || *p == ']') {
		it->pos = it->len;
		return 0;
	}
	v = p;
	p = skip_value(p, end);
	*val = (const char *)v;
	*vlen = (size_t)(p - v);
	it->pos = (size_t)(p - b);
	return 1;
}

int
json_integer(const char *v, size_t vlen, long long lo, long long hi,
    long long *out)
{
	unsigned long long n = 0, lim;
	long long r;
	size_t i = 0;
	int neg = 0;

	if (vlen > 0 && v[0] == '-')
		neg = 1, i = 1;
	if (i == vlen || vlen - i > 19 || (v[i] == '0' && vlen - i > 1))
		return -1;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (unsigned)(v[i] - '0');
		if (n > lim)
			return -1;
	}
	if (neg)
		r = n == lim ? LLONG_MIN : -(long long)n;
	else
		r = (long long)n;
	if (r < lo || r > hi)
		return -1;
	*out = r;
	return 0;
}

int
json_object_begin(struct json_iter *it, const char *buf, size_t len)
{
	return iter_begin(it, buf, len, JSON_OBJECT);
}

int
json_object_next(struct json_iter *it, const char **key, size_t *klen,
    const char **val, size_t *vlen)
{
	const unsigned char *b = (const unsigned char *)it->buf;
	const unsigned char *end = b + it->len, *p, *k;

	p = skip_ws(b + it->pos, end);
	if (p < end && *p == ',')
		p = skip_ws(p + 1, end);
	if (p >= end || *p != '"') {
		it->pos = it->len;
		return 0;
	}
	k = p;
	p = skip_string(p, end);
	*key = (const char *)k;
	*klen = (size_t)(p - k);
	p = skip_ws(p, end);
	p = skip_ws(p + 1, end);		/* past ':' */
	*val = (const char *)p;
	p = skip_value(p, end);
	*vlen = (size_t)(p - (const unsigned char *)*val);
	it->pos = (size_t)(p - b);
	return 1;
}

size_t
json_compact(const char *src, size_t len, char *dst)
{
	const unsigned char *p = (const unsigned char *)src;
	const unsigned char *end = p + len, *s;
	char *d = dst;

	while (p < end) {
		if (ws_class[*p]) {
			p++;
			continue;
		}
		if (*p == '"') {
			s = skip_string(p, end);
			memcpy(d, p, (size_t)(s - p));
			d += s - p;
			p = s;
			continue;
		}
		*d++ = (char)*p++;
	}
	return (size_t)(d - dst);
}
