/*
 * format.c - kcons -f: kcat's format strings, so that a kcat user's
 * -f 'Topic %t [%p] at offset %o: key %k: %s\n' prints the same bytes.
 *
 * The string is compiled once into pieces (literal bytes, or a token),
 * as kcat 1.7 reads it: first cut at each %, a token (%t %p %o %k %K %s
 * %S %R %T %h, %% a %), then the backslashes of the text between: \n
 * \r \t; \ and decimal digits, or \x and hex digits after a decimal
 * one, the number's low byte; \x before anything else nothing; a
 * backslash before any other character that character, before a % or
 * at the end itself.  An unknown or a lone % is refused when compiled,
 * not met on each message.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "num.h"
#include "obuf.h"

#include "kcons.h"

struct kfmt_piece {
	char		 token;		/* 0: literal */
	size_t		 off, len;	/* the literal's bytes in lit */
};

struct kfmt {
	struct kfmt_piece *pieces;
	size_t		 npieces;
	char		*lit;		/* every literal's bytes */
	size_t		 litlen;
};

/* Add one piece; a literal byte joins the literal before it. */
static void
add(struct kfmt *f, char token, char byte)
{
	struct kfmt_piece *p;

	if (token == 0 && f->npieces > 0 &&
	    f->pieces[f->npieces - 1].token == 0) {
		f->lit[f->litlen++] = byte;
		f->pieces[f->npieces - 1].len++;
		return;
	}
	p = f->pieces + f->npieces++;
	p->token = token;
	p->off = f->litlen;
	p->len = 0;
	if (token == 0) {
		f->lit[f->litlen++] = byte;
		p->len = 1;
	}
}

/*
 * The digits after s[*i] in base 10 or 16, as strtoul reads them (a
 * number too big is ULONG_MAX), to their low byte; *i at the last.
 */
static char
number(const char *s, size_t n, size_t *i, int base)
{
	unsigned long v = 0;
	int d;

	while (*i + 1 < n && (d = num_hexval(s[*i + 1])) != -1 && d < base) {
		v = v > (ULONG_MAX - (unsigned long)d) / (unsigned long)base ?
		    ULONG_MAX : v * (unsigned long)base + (unsigned long)d;
		(*i)++;
	}
	return (char)(unsigned char)(v & 0xff);
}

struct kfmt *
kfmt_compile(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s), i;
	struct kfmt *f;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->pieces = calloc(n + 1, sizeof(*f->pieces))) == NULL ||
	    (f->lit = malloc(n + 1)) == NULL) {
		kfmt_free(f);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (++i == n) {
				snprintf(why, whylen, "a %% at the end: "
				    "nothing to format (%%%% for a %%)");
				goto bad;
			}
			if (s[i] == '%')
				add(f, 0, '%');
			else if (strchr("tpokKsSRTh", s[i]) != NULL)
				add(f, s[i], 0);
			else {
				snprintf(why, whylen, "%%%c: not a token "
				    "(%%t %%p %%o %%k %%K %%s %%S %%R %%T %%h "
				    "%%%%)", s[i]);
				goto bad;
			}
		} else if (s[i] == '\\' && i + 1 < n && s[i + 1] != '%') {
			switch (s[++i]) {
			case 'n':
				add(f, 0, '\n');
				break;
			case 'r':
				add(f, 0, '\r');
				break;
			case 't':
				add(f, 0, '\t');
				break;
			case 'x':
				if (i + 1 < n && s[i + 1] >= '0' &&
				    s[i + 1] <= '9')
					add(f, 0, number(s, n, &i, 16));
				break;
			default:
				if (s[i] >= '0' && s[i] <= '9') {
					i--;
					add(f, 0, number(s, n, &i, 10));
				} else
					add(f, 0, s[i]);
			}
		} else
			add(f, 0, s[i]);
	}
	return f;
bad:
	kfmt_free(f);
	return NULL;
}

void
kfmt_free(struct kfmt *f)
{
	if (f == NULL)
		return;
	free(f->pieces);
	free(f->lit);
	free(f);
}

/* kcat's %h: name=value, comma-separated; a null value is "NULL". */
static void
put_headers(struct obuf *o, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs = NULL;
	const char *name;
	const void *val;
	size_t vlen, i;

	if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
		if (i > 0)
			obuf_putc(o, ',');
		obuf_puts(o, name);
		obuf_putc(o, '=');
		if (val == NULL)
			obuf_puts(o, "NULL");
		else
			obuf_write(o, val, vlen);
	}
}

void
kfmt_put(struct obuf *o, const struct kfmt *f, const rd_kafka_message_t *m)
{
	const struct kfmt_piece *p;
	rd_kafka_timestamp_type_t tstype;
	unsigned char be[4];
	uint32_t u;
	size_t i;

	for (i = 0; i < f->npieces; i++) {
		p = f->pieces + i;
		switch (p->token) {
		case 0:
			obuf_write(o, f->lit + p->off, p->len);
			break;
		case 't':
			obuf_puts(o, rd_kafka_topic_name(m->rkt));
			break;
		case 'p':
			obuf_printf(o, "%d", (int)m->partition);
			break;
		case 'o':
			obuf_printf(o, "%lld", (long long)m->offset);
			break;
		case 'k':
			if (m->key != NULL)
				obuf_write(o, m->key, m->key_len);
			break;
		case 'K':
			obuf_printf(o, "%lld", m->key != NULL ?
			    (long long)m->key_len : -1LL);
			break;
		case 's':
			if (m->payload != NULL)
				obuf_write(o, m->payload, m->len);
			break;
		case 'S':
			obuf_printf(o, "%lld", m->payload != NULL ?
			    (long long)m->len : -1LL);
			break;
		case 'R':
			u = m->payload != NULL ? (uint32_t)m->len :
			    UINT32_MAX;
			be[0] = (unsigned char)(u >> 24);
			be[1] = (unsigned char)(u >> 16);
			be[2] = (unsigned char)(u >> 8);
			be[3] = (unsigned char)u;
			obuf_write(o, be, 4);
			break;
		case 'T':
			obuf_printf(o, "%lld", (long long)
			    rd_kafka_message_timestamp(m, &tstype));
			break;
		case 'h':
			put_headers(o, m);
			break;
		}
	}
}
