/*
 * jvjson.c - a recursive descent over validated JSON.  Recursion is
 * bounded by JSON_MAX_DEPTH + 1 (a record in an envelope), which the
 * validator enforces.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jvjson.h"
#include "obuf.h"

struct jvb {
	const unsigned char	*p, *end;
	char			*tmp;	/* unescaped strings, number tokens */
	size_t			 tmpcap;
};

static jv	value(struct jvb *);

static void
skip_ws(struct jvb *b)
{
	while (b->p < b->end && (*b->p == ' ' || *b->p == '\n' ||
	    *b->p == '\r' || *b->p == '\t'))
		b->p++;
}

/* Scratch space.  Out of memory aborts, as libjq's own allocator does. */
static char *
tmp(struct jvb *b, size_t n)
{
	char *nt;

	if (n > b->tmpcap) {
		if ((nt = realloc(b->tmp, n)) == NULL)
			abort();
		b->tmp = nt;
		b->tmpcap = n;
	}
	return b->tmp;
}

/* A string; b->p at its opening quote. */
static jv
string(struct jvb *b)
{
	const unsigned char *s = b->p + 1, *q = s;
	int escaped = 0;
	size_t n;
	char *d;

	while (q < b->end && *q != '"') {
		if (*q == '\\') {
			escaped = 1;
			q++;
		}
		q++;
	}
	if (q > b->end)
		q = b->end;
	b->p = q < b->end ? q + 1 : q;
	if (!escaped)
		return jv_string_sized((const char *)s, (int)(q - s));
	/* json_unescape() takes the literal with its quotes. */
	d = tmp(b, (size_t)(q - s) + 2);
	n = json_unescape((const char *)s - 1, (size_t)(q - s) + 2, d);
	return jv_string_sized(d, (int)n);
}

static jv
number(struct jvb *b)
{
	const unsigned char *s = b->p;
	char small[64], *t = small;
	size_t n;

	while (b->p < b->end && ((*b->p >= '0' && *b->p <= '9') ||
	    *b->p == '-' || *b->p == '+' || *b->p == '.' || *b->p == 'e' ||
	    *b->p == 'E'))
		b->p++;
	n = (size_t)(b->p - s);
	if (n >= sizeof(small))
		t = tmp(b, n + 1);
	memcpy(t, s, n);
	t[n] = '\0';	/* strtod must not read past the token */
	return jv_number(strtod(t, NULL));
}

static jv
array(struct jvb *b)
{
	jv a = jv_array();

	b->p++;
	skip_ws(b);
	if (b->p < b->end && *b->p == ']') {
		b->p++;
		return a;
	}
	while (b->p < b->end) {
		a = jv_array_append(a, value(b));
		skip_ws(b);
		if (b->p >= b->end || *b->p++ != ',')
			break;
	}
	return a;
}

static jv
object(struct jvb *b)
{
	jv o = jv_object(), k;

	b->p++;
	skip_ws(b);
	if (b->p < b->end && *b->p == '}') {
		b->p++;
		return o;
	}
	while (b->p < b->end && *b->p == '"') {
		k = string(b);
		skip_ws(b);
		if (b->p < b->end)
			b->p++;		/* ':' */
		o = jv_object_set(o, k, value(b));
		skip_ws(b);
		if (b->p >= b->end || *b->p++ != ',')
			break;
		skip_ws(b);
	}
	return o;
}

static jv
value(struct jvb *b)
{
	skip_ws(b);
	if (b->p >= b->end)
		return jv_null();
	switch (*b->p) {
	case '{':
		return object(b);
	case '[':
		return array(b);
	case '"':
		return string(b);
	case 't':
		b->p += b->end - b->p >= 4 ? 4 : b->end - b->p;
		return jv_true();
	case 'f':
		b->p += b->end - b->p >= 5 ? 5 : b->end - b->p;
		return jv_false();
	case 'n':
		b->p += b->end - b->p >= 4 ? 4 : b->end - b->p;
		return jv_null();
	default:
		return number(b);
	}
}

jv
jvjson_parse(const char *buf, size_t len)
{
	struct jvb b = { (const unsigned char *)buf,
	    (const unsigned char *)buf + len, NULL, 0 };
	jv v = value(&b);

	free(b.tmp);
	return v;
}

/* Does 0.DIG x 10^decpt read back as d? */
static int
reads_back(const char *dig, size_t n, int decpt, double d)
{
	char s[48];

	snprintf(s, sizeof(s), "0.%.*se%d", (int)n, dig, decpt);
	return strtod(s, NULL) == d;
}

/* The next n-digit decimal up: 0.DIG + 10^(decpt - n). */
static void
digits_up(char *dig, size_t n, int *decpt)
{
	size_t i = n;

	while (i > 0 && dig[i - 1] == '9')
		dig[--i] = '0';
	if (i > 0) {
		dig[i - 1]++;
		return;
	}
	dig[0] = '1';		/* 0.999 + 0.001 = 0.1 x 10 */
	(*decpt)++;
}

/*
 * Numbers as jq 1.6 prints them: the shortest digits that read back as
 * the same double (what its dtoa mode 0 gives), laid out by its
 * jvp_dtoa_fmt(): plain when the decimal exponent is within
 * [-3, digits + 15], else d.ddde+XX with at least two exponent digits.
 * NaN is null and infinities are clamped to the largest double, as in
 * jv_dump_term().
 */
static size_t
digits_of(double d, char *dig, int *decpt)
{
	char buf[40], *p;
	size_t n = 0;
	int prec;

	/* Integers below 2^53 are exact: their digits are the shortest. */
	if (d < 9007199254740992.0 && d == (double)(long long)d) {
		long long v = (long long)d;
		char rev[24];
		size_t k = 0;

		do
			rev[k++] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
		*decpt = (int)k;
		while (n + 1 < k && rev[n] == '0')	/* trailing zeros out */
			n++;
		for (prec = 0; k > n; )
			dig[prec++] = rev[--k];
		return (size_t)prec;
	}
	/*
	 * dtoa picks, of the shortest decimals that read back as d, the
	 * closest.  For normal doubles at most one 15-digit decimal reads
	 * back, so shorter ones need no try; subnormals have fewer bits and
	 * may need fewer digits.
	 */
	for (prec = d < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		for (n = 0, p = buf; *p != 'e'; p++)
			if (*p != '.')
				dig[n++] = *p;
		*decpt = (int)strtol(p + 1, NULL, 10) + 1;
		if (prec == 17 || reads_back(dig, n, *decpt, d))
			break;
		/*
		 * The closest p-digit decimal can fall just outside what
		 * reads back as d while the next one up is inside: a tie
		 * that printf rounded to even, or a power of two, whose
		 * interval is half as wide below it.  The one below never
		 * is: the interval is never wider below d than above.
		 */
		if (strtod(buf, NULL) < d) {
			digits_up(dig, n, decpt);
			if (reads_back(dig, n, *decpt, d))
				break;
		}
	}
	while (n > 1 && dig[n - 1] == '0')
		n--;
	return n;
}

static void
dump_number(struct obuf *o, double d)
{
	char dig[24] = "0", out[48], *b = out;
	int decpt, e, k;
	size_t n, i;

	if (d != d) {
		obuf_write(o, "null", 4);
		return;
	}
	if (d > DBL_MAX)
		d = DBL_MAX;
	if (d < -DBL_MAX)
		d = -DBL_MAX;
	if (d == 0) {
		if (signbit(d))
			*b++ = '-';
		*b++ = '0';
		obuf_write(o, out, (size_t)(b - out));
		return;
	}
	if (d < 0) {
		*b++ = '-';
		d = -d;
	}
	n = digits_of(d, dig, &decpt);
	if (decpt <= -4 || decpt > (int)n + 15) {
		*b++ = dig[0];
		if (n > 1) {
			*b++ = '.';
			memcpy(b, dig + 1, n - 1);
			b += n - 1;
		}
		*b++ = 'e';
		e = decpt - 1;
		*b++ = e < 0 ? '-' : '+';
		if (e < 0)
			e = -e;
		for (k = 10; k * 10 <= e; k *= 10)
			;
		for (; k > 0; k /= 10)
			*b++ = (char)('0' + e / k % 10);
	} else if (decpt <= 0) {
		*b++ = '0';
		*b++ = '.';
		for (; decpt < 0; decpt++)
			*b++ = '0';
		memcpy(b, dig, n);
		b += n;
	} else {
		for (i = 0; i < n; i++) {
			*b++ = dig[i];
			if (--decpt == 0 && i + 1 < n)
				*b++ = '.';
		}
		for (; decpt > 0; decpt--)
			*b++ = '0';
	}
	obuf_write(o, out, (size_t)(b - out));
}

/* A string as jq 1.6's jvp_dump_string() writes it (UTF-8 kept). */
static void
dump_string(struct obuf *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len, *run;
	char esc[8];
	unsigned char c;

	obuf_putc(o, '"');
	while (p < end) {
		for (run = p; p < end && *p >= 0x20 && *p != '"' &&
		    *p != '\\' && *p != 0x7f; p++)
			;
		if (p > run)
			obuf_write(o, run, (size_t)(p - run));
		if (p == end)
			break;
		c = *p++;
		esc[0] = '\\';
		switch (c) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			obuf_write(o, esc, 6);
			continue;
		}
		obuf_write(o, esc, 2);
	}
	obuf_putc(o, '"');
}

void
jvjson_dump(struct obuf *o, jv v)
{
	jv k;
	int i, n, first;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		obuf_write(o, "null", 4);
		break;
	case JV_KIND_TRUE:
		obuf_write(o, "true", 4);
		break;
	case JV_KIND_FALSE:
		obuf_write(o, "false", 5);
		break;
	case JV_KIND_NUMBER:
		dump_number(o, jv_number_value(v));
		break;
	case JV_KIND_STRING:
		dump_string(o, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY:
		obuf_putc(o, '[');
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			if (i > 0)
				obuf_putc(o, ',');
			jvjson_dump(o, jv_array_get(jv_copy(v), i));
		}
		obuf_putc(o, ']');
		break;
	case JV_KIND_OBJECT:
		obuf_putc(o, '{');
		first = 1;
		for (i = jv_object_iter(v); jv_object_iter_valid(v, i);
		    i = jv_object_iter_next(v, i)) {
			if (!first)
				obuf_putc(o, ',');
			first = 0;
			k = jv_object_iter_key(v, i);
			dump_string(o, jv_string_value(k),
			    (size_t)jv_string_length_bytes(jv_copy(k)));
			jv_free(k);
			obuf_putc(o, ':');
			jvjson_dump(o, jv_object_iter_value(v, i));
		}
		obuf_putc(o, '}');
		break;
	default:	/* invalid: jq never outputs one */
		break;
	}
	jv_free(v);
}
