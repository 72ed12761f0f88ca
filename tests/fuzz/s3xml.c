/*
 * s3xml.c - libFuzzer harness for S3's XML answers, as lib/s3.c reads
 * them: ListObjectsV2 pages (s3_parse_list), CompleteMultipartUpload
 * results (s3_parse_complete), and the multipart ETag made from the
 * parts' ETags (s3_multipart_etag).
 *
 * Input: byte 0 picks the parser (and the size of the buffers it
 * fills), the rest is the body, in a buffer of exactly len + 1 bytes
 * with its NUL, as lib/s3.c keeps an answer.  Checked: what a parser
 * returns fits where it was put, is freed without a leak, and a
 * refusal leaves nothing behind and says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

#define FUZZ_MAX_LEN	(1 << 18)
#define MAX_PARTS	64

static void
fuzz_list(const char *body, size_t len, size_t nextlen)
{
	struct s3_entry *ents = (struct s3_entry *)1;
	char *next, why[128];
	size_t n = (size_t)-1, i;

	if ((next = malloc(nextlen)) == NULL)
		return;
	why[0] = '\0';
	if (s3_parse_list(body, len, &ents, &n, next, nextlen, why,
	    sizeof(why)) == 0) {
		if (strlen(next) >= nextlen || (n > 0 && ents == NULL))
			abort();
		if (memmem(body, len, "<IsTruncated>true</IsTruncated>", 31) &&
		    next[0] == '\0')
			abort();	/* the next page must not be lost */
		for (i = 0; i < n; i++)
			if (ents[i].key == NULL || strlen(ents[i].key) > len ||
			    memchr(ents[i].etag, '\0',
			    sizeof(ents[i].etag)) == NULL ||
			    ents[i].size < -1)
				abort();
		s3_list_free(ents, n);
	} else if (why[0] == '\0' || ents != NULL || n != 0 ||
	    next[0] != '\0')
		abort();
	free(next);
}

static void
fuzz_complete(const char *body, size_t len, size_t etaglen)
{
	char *etag;

	if ((etag = malloc(etaglen)) == NULL)
		return;
	if (s3_parse_complete(body, len, etag, etaglen) == 0) {
		if (etag[0] == '\0' || strlen(etag) >= etaglen)
			abort();
	} else if (etag[0] != '\0')
		abort();
	free(etag);
}

/* The body as parts' ETags, one a line. */
static void
fuzz_multipart(char *body, size_t len)
{
	char *etags[MAX_PARTS], out[80], *p = body, *nl;
	int n = 0;
	size_t l;

	while (n < MAX_PARTS && p < body + len) {
		etags[n++] = p;
		if ((nl = memchr(p, '\n', (size_t)(body + len - p))) == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	if (s3_multipart_etag(etags, n, out, sizeof(out)) == 0) {
		l = strlen(out);
		if (n < 1 || l < 36 || out[0] != '"' || out[l - 1] != '"' ||
		    out[33] != '-' || strspn(out + 1, "0123456789abcdef") != 32)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;
	size_t len, small;

	if (size < 1 || size > FUZZ_MAX_LEN)
		return 0;
	len = size - 1;
	if ((body = malloc(len + 1)) == NULL)
		return 0;
	memcpy(body, data + 1, len);
	body[len] = '\0';
	small = 1 + (data[0] >> 2);	/* 1..64 bytes */
	switch (data[0] & 3) {
	case 0:
		fuzz_list(body, len, 1024);
		break;
	case 1:
		fuzz_list(body, len, small);
		break;
	case 2:
		fuzz_complete(body, len, data[0] & 4 ? 128 : small);
		break;
	default:
		fuzz_multipart(body, len);
		break;
	}
	free(body);
	return 0;
}
