/*
 * sigv4.h - AWS Signature Version 4 for S3 requests, over OpenSSL.
 *
 * Why not libs3 or libcurl's CURLOPT_AWS_SIGV4: Debian's libs3 signs
 * only Signature V2, which S3 refuses in every region opened since 2014;
 * curl 7.88's signer signs the path as sent, leaves the query unsorted,
 * signs "?uploads" without the "=" S3 expects and sends no
 * x-amz-content-sha256.  Here the caller states the request exactly as
 * it is sent, and the signature covers exactly that.
 */
#ifndef QP_SIGV4_H
#define QP_SIGV4_H

#include <stddef.h>

#define SIGV4_SHA256_HEX	65	/* 64 hex digits and a NUL */
#define SIGV4_AUTH_MAX		1024

struct sigv4_header {
	const char	*name;		/* any case; signed in lower case */
	const char	*value;		/* trimmed, inner spaces folded */
};

struct sigv4_request {
	const char	*method;	/* "PUT" */
	const char	*path;		/* as sent: already URI-encoded */
	const char	*query;		/* as sent: "" or canonical "a=1&b=" */
	const struct sigv4_header *headers;	/* every header to sign */
	size_t		 nheaders;
	const char	*payload_hash;	/* hex SHA-256 of the body */
};

struct sigv4_key {
	const char	*access_key, *secret_key;	/* borrowed */
	const char	*region, *service;
};

/*
 * The Authorization header's value for req, signed at amz_date
 * ("20130524T000000Z", which must also be the x-amz-date header).
 * Returns 0, or -1 if out does not hold it (SIGV4_AUTH_MAX does) or
 * there are more than 32 headers.
 */
int	sigv4_authorization(const struct sigv4_request *,
	    const struct sigv4_key *, const char *amz_date, char *out,
	    size_t outlen);

/* n bytes as lower-case hex into out[2n + 1]. */
void	sigv4_hex(const unsigned char *, size_t n, char *out);

/* Hex SHA-256 of data into out[SIGV4_SHA256_HEX]. */
void	sigv4_sha256_hex(const void *data, size_t len, char *out);

/*
 * URI-encode src as S3 wants a key in a path: every byte but A-Z a-z
 * 0-9 - . _ ~ (and '/' when keep_slash) as %XX.  dst holds 3 * strlen
 * + 1.  Returns the length written.
 */
size_t	sigv4_uri_encode(const char *src, int keep_slash, char *dst);

/* base64 of len bytes into dst (4 * ((len + 2) / 3) + 1 bytes). */
void	sigv4_base64(const unsigned char *src, size_t len, char *dst);

/* "20130524T000000Z" for t into out[17]. */
void	sigv4_amz_date(long long t, char *out);

#endif
