/*
 * sigv4.c - canonical request, string to sign, signing key, signature;
 * each step as AWS's "Signature Calculations for the Authorization
 * Header" describes it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sigv4.h"

#define MAX_HEADERS	32

void
sigv4_hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	sigv4_hex(md, sizeof(md), out);
}

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char *out)
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &n);
}

size_t
sigv4_uri_encode(const char *src, int keep_slash, char *dst)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)src;
	char *d = dst;

	for (; *s != '\0'; s++) {
		if (isalnum(*s) || *s == '-' || *s == '.' || *s == '_' ||
		    *s == '~' || (keep_slash && *s == '/'))
			*d++ = (char)*s;
		else {
			*d++ = '%';
			*d++ = digits[*s >> 4];
			*d++ = digits[*s & 15];
		}
	}
	*d = '\0';
	return (size_t)(d - dst);
}

void
sigv4_base64(const unsigned char *src, size_t len, char *dst)
{
	EVP_EncodeBlock((unsigned char *)dst, src, (int)len);
}

void
sigv4_amz_date(long long t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* An appending writer that remembers overflow. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 over;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->over || n >= b->cap - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* A header value trimmed, runs of spaces folded into one. */
static void
sb_value(struct sbuf *b, const char *v)
{
	int space = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space)
			sb_put(b, " ", 1);
		space = 0;
		sb_put(b, v, 1);
	}
}

static int
cmp_header(const void *a, const void *b)
{
	return strcasecmp(((const struct sigv4_header *)a)->name,
	    ((const struct sigv4_header *)b)->name);
}

static void
sb_lower(struct sbuf *b, const char *s)
{
	char c;

	for (; *s != '\0'; s++) {
		c = (char)tolower((unsigned char)*s);
		sb_put(b, &c, 1);
	}
}

int
sigv4_authorization(const struct sigv4_request *req,
    const struct sigv4_key *key, const char *amz_date, char *out,
    size_t outlen)
{
	struct sigv4_header h[MAX_HEADERS];
	char creq[8192], signed_names[1024], sts[512], date[9];
	char creq_hash[SIGV4_SHA256_HEX], kbuf[256], sig[65];
	unsigned char k1[32], k2[32], k3[32], k4[32], mac[32];
	struct sbuf c = { creq, 0, sizeof(creq), 0 };
	struct sbuf sn = { signed_names, 0, sizeof(signed_names), 0 };
	struct sbuf s = { sts, 0, sizeof(sts), 0 };
	struct sbuf o = { out, 0, outlen, 0 };
	size_t i;

	if (req->nheaders > MAX_HEADERS || strlen(amz_date) != 16)
		return -1;
	memcpy(h, req->headers, req->nheaders * sizeof(h[0]));
	qsort(h, req->nheaders, sizeof(h[0]), cmp_header);
	creq[0] = signed_names[0] = '\0';

	/* 1. The canonical request. */
	sb_puts(&c, req->method);
	sb_puts(&c, "\n");
	sb_puts(&c, req->path);
	sb_puts(&c, "\n");
	sb_puts(&c, req->query);
	sb_puts(&c, "\n");
	for (i = 0; i < req->nheaders; i++) {
		sb_lower(&c, h[i].name);
		sb_puts(&c, ":");
		sb_value(&c, h[i].value);
		sb_puts(&c, "\n");
		if (i > 0)
			sb_puts(&sn, ";");
		sb_lower(&sn, h[i].name);
	}
	sb_puts(&c, "\n");
	sb_puts(&c, signed_names);
	sb_puts(&c, "\n");
	sb_puts(&c, req->payload_hash);
	if (c.over || sn.over)
		return -1;
	sigv4_sha256_hex(creq, c.len, creq_hash);

	/* 2. The string to sign. */
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	sts[0] = '\0';
	sb_puts(&s, "AWS4-HMAC-SHA256\n");
	sb_puts(&s, amz_date);
	sb_puts(&s, "\n");
	sb_puts(&s, date);
	sb_puts(&s, "/");
	sb_puts(&s, key->region);
	sb_puts(&s, "/");
	sb_puts(&s, key->service);
	sb_puts(&s, "/aws4_request\n");
	sb_puts(&s, creq_hash);
	if (s.over)
		return -1;

	/* 3. The signing key, 4. the signature. */
	if (snprintf(kbuf, sizeof(kbuf), "AWS4%s", key->secret_key) >=
	    (int)sizeof(kbuf))
		return -1;
	hmac(kbuf, strlen(kbuf), date, k1);
	hmac(k1, 32, key->region, k2);
	hmac(k2, 32, key->service, k3);
	hmac(k3, 32, "aws4_request", k4);
	hmac(k4, 32, sts, mac);
	sigv4_hex(mac, 32, sig);
	OPENSSL_cleanse(kbuf, sizeof(kbuf));
	OPENSSL_cleanse(k1, 32);
	OPENSSL_cleanse(k4, 32);

	out[0] = '\0';
	sb_puts(&o, "AWS4-HMAC-SHA256 Credential=");
	sb_puts(&o, key->access_key);
	sb_puts(&o, "/");
	sb_puts(&o, date);
	sb_puts(&o, "/");
	sb_puts(&o, key->region);
	sb_puts(&o, "/");
	sb_puts(&o, key->service);
	sb_puts(&o, "/aws4_request,SignedHeaders=");
	sb_puts(&o, signed_names);
	sb_puts(&o, ",Signature=");
	sb_puts(&o, sig);
	return o.over ? -1 : 0;
}
