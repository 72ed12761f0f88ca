/*
 * s3_test.c - the S3 answers' parsers: ListObjectsV2 pages and
 * CompleteMultipartUpload results, whole, cut and hostile, and the
 * multipart ETag.
 */
#include <string.h>

#include "s3.h"
#include "tap.h"

static int
list(const char *body, struct s3_entry **e, size_t *n, char *next)
{
	char why[128];

	return s3_parse_list(body, strlen(body), e, n, next, 1100, why,
	    sizeof(why));
}

int
main(void)
{
	static char big[16384], key[2048];
	char next[1100], etag[128], *etags[3];
	struct s3_entry *e;
	size_t n, i;
	int rc;

	rc = list("<?xml version=\"1.0\"?><ListBucketResult><Contents>"
	    "<Key>a/&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#xE9;</Key>"
	    "<Size>12</Size><ETag>&quot;0123456789abcdef0123456789abcdef"
	    "&quot;</ETag></Contents><Contents><Key>b</Key><Size>0</Size>"
	    "</Contents><IsTruncated>false</IsTruncated></ListBucketResult>",
	    &e, &n, next);
	TAP_OK(rc == 0 && n == 2, "a page of two objects");
	TAP_OK(rc == 0 && strcmp(e[0].key, "a/&<>\"'AB\xc3\xa9") == 0,
	    "entities and character references decoded (to UTF-8)");
	TAP_OK(rc == 0 && e[0].size == 12 && strcmp(e[0].etag,
	    "\"0123456789abcdef0123456789abcdef\"") == 0 && e[1].size == 0 &&
	    e[1].etag[0] == '\0', "sizes and ETags");
	TAP_OK(rc == 0 && next[0] == '\0', "the last page: no token");
	if (rc == 0)
		s3_list_free(e, n);

	/* A key of 1000 '&', 5000 bytes escaped, then another. */
	strcpy(big, "<ListBucketResult><Contents><Key>");
	for (i = 0; i < 1000; i++)
		strcat(big, "&amp;");
	strcat(big, "</Key></Contents><Contents><Key>z</Key></Contents>"
	    "<IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1"
	    "</NextContinuationToken></ListBucketResult>");
	memset(key, '&', 1000);
	key[1000] = '\0';
	rc = list(big, &e, &n, next);
	TAP_OK(rc == 0 && n == 2 && strcmp(e[0].key, key) == 0 &&
	    strcmp(e[1].key, "z") == 0, "a long escaped key and the one after");
	TAP_OK(rc == 0 && strcmp(next, "t&1") == 0, "the next page's token");
	if (rc == 0)
		s3_list_free(e, n);

	rc = list("<ListBucketResult><Contents><Key>a</Key></Contents>"
	    "<Contents><Key>b</Ke", &e, &n, next);
	TAP_OK(rc == -1, "a page cut short is refused, not half read");
	rc = list("<ListBucketResult><Contents><Key>a</Key></Contents>"
	    "<IsTruncated>true</IsTruncated></ListBucketResult>", &e, &n,
	    next);
	TAP_OK(rc == -1, "a truncated page without a token is refused");
	rc = list("<ListBucketResult><Contents><Key>a</Key><Size>-1</Size>"
	    "</Contents></ListBucketResult>", &e, &n, next);
	TAP_OK(rc == -1, "a negative size is refused");
	rc = list("<ListBucketResult><Contents><Key>&#0;&#xD800;&#99999999;"
	    "&#;&bogus;</Key></Contents></ListBucketResult>", &e, &n, next);
	TAP_OK(rc == 0 && n == 1 && strcmp(e[0].key,
	    "&#0;&#xD800;&#99999999;&#;&bogus;") == 0,
	    "references to no character are kept as text");
	if (rc == 0)
		s3_list_free(e, n);

	{
		const char *ok = "<CompleteMultipartUploadResult><Key>k</Key>"
		    "<ETag>&quot;abc-2&quot;</ETag>"
		    "</CompleteMultipartUploadResult>";

		rc = s3_parse_complete(ok, strlen(ok), etag, sizeof(etag));
		TAP_OK(rc == 0 && strcmp(etag, "\"abc-2\"") == 0,
		    "a Complete answer's ETag");
		rc = s3_parse_complete(ok, strlen(ok) - 10, etag,
		    sizeof(etag));
		TAP_OK(rc == -1, "a Complete answer cut short is refused");
	}

	etags[0] = "\"00000000000000000000000000000000\"";
	etags[1] = "\"ffffffffffffffffffffffffffffffff\"";
	etags[2] = "\"not an md5\"";
	TAP_OK(s3_multipart_etag(etags, 2, etag, sizeof(etag)) == 0 &&
	    strcmp(etag, "\"86c036c1a10384a5673251100457087a-2\"") == 0,
	    "a multipart ETag: MD5 of the MD5s, -N");
	TAP_OK(s3_multipart_etag(etags, 3, etag, sizeof(etag)) == -1,
	    "a part ETag that is no MD5 makes none");
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
