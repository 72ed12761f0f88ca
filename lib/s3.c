/*
 * s3.c - requests as S3's API reference describes them: PutObject,
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, HeadBucket.  Every body carries Content-MD5 and
 * x-amz-content-sha256, so S3 checks what it stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "http.h"
#include "s3.h"
#include "sig.h"
#include "sigv4.h"
#include "xml.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct upload_src {
	const char	*data;
	size_t		 len, pos;
};

static size_t
on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct upload_src *u = arg;
	size_t k = size * n;

	if (k > u->len - u->pos)
		k = u->len - u->pos;
	memcpy(buf, u->data + u->pos, k);
	u->pos += k;
	return k;
}

/* curl rewinds the body to send it again (a reused connection died). */
static int
on_seek(void *arg, curl_off_t off, int origin)
{
	struct upload_src *u = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > u->len)
		return CURL_SEEKFUNC_CANTSEEK;
	u->pos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* An MD5 as S3 gives it for a PUT: "\"<32 hex>\"" in out[35]. */
static void
md5_etag(const unsigned char *d, char *out)
{
	out[0] = '"';
	sigv4_hex(d, 16, out + 1);
	out[33] = '"';
	out[34] = '\0';
}

/* Two ETags alike, whatever their case and quotes. */
static int
etag_eq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na >= 2 && a[0] == '"' && a[na - 1] == '"')
		a++, na -= 2;
	if (nb >= 2 && b[0] == '"' && b[nb - 1] == '"')
		b++, nb -= 2;
	return na == nb && na > 0 && strncasecmp(a, b, na) == 0;
}

/* An ETag that is an MD5 (32 hex, quoted or not) to 16 bytes; else -1. */
static int
etag_md5(const char *etag, unsigned char *d)
{
	size_t n = strlen(etag);
	unsigned int v;
	int i;

	if (n == 34 && etag[0] == '"' && etag[33] == '"')
		etag++, n -= 2;
	if (n != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)etag[2 * i]) ||
		    !isxdigit((unsigned char)etag[2 * i + 1]) ||
		    sscanf(etag + 2 * i, "%2x", &v) != 1)
			return -1;
		d[i] = (unsigned char)v;
	}
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct s3 *s = arg;
	size_t len = size * n, k;
	long status = 0;

	if (s->sink != NULL) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 || status == 206) {
			k = s->skip < len ? (size_t)s->skip : len;
			s->skip -= k;
			if (len > k && s->sink(s->sink_arg, data + k, len - k) ==
			    -1) {
				s->sink_failed = 1;
				return 0;
			}
			if (len > k && s->sink_md5 != NULL)
				EVP_DigestUpdate(s->sink_md5, data + k, len - k);
			s->sink_off += len - k;
			return size * n;
		}
	}

	/* A page of 1000 long, &-escaped keys stays well below the max. */
	return http_body_write(data, size, n, &s->body);
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct s3 *s = arg;
	size_t len = size * n;
	char v[64];

	/* SSE-KMS and SSE-C objects' ETags are not MD5s of their bytes. */
	if ((http_header(data, len, "x-amz-server-side-encryption", v,
	    sizeof(v)) && strstr(v, "aws:kms") != NULL) || http_header(data,
	    len, "x-amz-server-side-encryption-customer-algorithm", v,
	    sizeof(v)))
		s->etag_not_md5 = 1;
	(void)http_header(data, len, "ETag", s->etag, sizeof(s->etag));
	(void)http_header(data, len, "x-amz-bucket-region", s->bucket_region,
	    sizeof(s->bucket_region));
	if (s->reading_meta) {
		char name[64];
		int i;

		for (i = 0; i < s->nmeta; i++) {
			snprintf(name, sizeof(name), "x-amz-meta-%s",
			    s->meta[i].name);
			(void)http_header(data, len, name, s->meta[i].value,
			    sizeof(s->meta[i].value));
		}
	}
	return size * n;
}

int
s3_parse_url(const char *url, char *bucket, size_t bucketlen,
    const char **rest, char *why, size_t whylen)
{
	const char *b = url + 5, *slash;
	size_t n;

	if (strncmp(url, "s3://", 5) != 0) {
		snprintf(why, whylen, "%s: expected s3://BUCKET/...", url);
		return -1;
	}
	slash = strchr(b, '/');
	n = slash != NULL ? (size_t)(slash - b) : strlen(b);
	if (n < 3 || n > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789.-") < n || n >= bucketlen) {
		snprintf(why, whylen, "%s: '%.*s' is not a bucket name (3 to "
		    "63 lower-case letters, digits, '.' and '-')", url,
		    (int)(n < 80 ? n : 80), b);
		return -1;
	}
	memcpy(bucket, b, n);
	bucket[n] = '\0';
	*rest = slash != NULL ? slash + 1 : b + n;
	return 0;
}

/* Is host (no port) an IP address literal: 127.0.0.1, [::1]? */
static int
is_ip(const char *host, size_t n)
{
	size_t i, dots = 0;

	if (n > 0 && host[0] == '[')
		return 1;
	for (i = 0; i < n; i++)
		if (host[i] == '.')
			dots++;
		else if (host[i] < '0' || host[i] > '9')
			return 0;
	return dots == 3;
}

/*
 * Where requests go: the endpoint configured, path-style unless the
 * addressing style says virtual (as the AWS CLI does with a custom
 * endpoint), or AWS's own, virtual-hosted unless the bucket's name has
 * a dot (it would not match the wildcard certificate) or the style says
 * path.  -1 if the endpoint is not a URL.
 */
static int
s3_route(struct s3 *s, char *why, size_t whylen)
{
	enum awsconf_style style = s->conf.style;
	const char *e = s->endpoint, *h, *p;
	size_t n, hn;

	s->prefix[0] = '\0';
	if (*e == '\0') {
		/* No region set anywhere: the global endpoint, as the CLI. */
		char svc[80];

		if (s->region_global)
			snprintf(svc, sizeof(svc), "s3.amazonaws.com");
		else
			snprintf(svc, sizeof(svc), "s3.%s.amazonaws.com",
			    s->region);
		s->path_style = style == AWSCONF_PATH ||
		    (style == AWSCONF_AUTO && strchr(s->bucket, '.') != NULL);
		if (s->path_style)
			snprintf(s->host, sizeof(s->host), "%s", svc);
		else
			snprintf(s->host, sizeof(s->host), "%s.%s", s->bucket,
			    svc);
		snprintf(s->base, sizeof(s->base), "https://%s", s->host);
		return 0;
	}
	/* scheme://host[:port][/path], path-style: .../BUCKET/KEY */
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		n--;
	if ((strncmp(e, "http://", 7) != 0 && strncmp(e, "https://", 8) != 0) ||
	    n >= sizeof(s->base) - 64 || strcspn(e, "?# \t") < n) {
		snprintf(why, whylen, "%s %.200s: expected a URL such as "
		    "http://127.0.0.1:4568", s->endpoint_from, e);
		return -1;
	}
	h = strstr(e, "://") + 3;
	p = memchr(h, '/', n - (size_t)(h - e));
	if (p == NULL)
		p = e + n;
	hn = strcspn(h, ":/");
	if (p == h || hn == 0) {
		snprintf(why, whylen, "%s %.200s: no host in the URL",
		    s->endpoint_from, e);
		return -1;
	}
	/* user:password@ would be sent as the Host signed, and printed. */
	if (memchr(h, '@', (size_t)(p - h)) != NULL) {
		snprintf(why, whylen, "%s: a URL with a user name or password "
		    "in it (user@host): give credentials as the AWS CLI takes "
		    "them, not in the URL", s->endpoint_from);
		return -1;
	}
	if ((size_t)(e + n - p) >= sizeof(s->prefix)) {
		snprintf(why, whylen, "%s %.200s...: a path longer than %zu "
		    "bytes", s->endpoint_from, e, sizeof(s->prefix) - 1);
		return -1;
	}
	snprintf(s->prefix, sizeof(s->prefix), "%.*s", (int)(e + n - p), p);
	s->path_style = style != AWSCONF_VIRTUAL || is_ip(h, hn);
	if (s->path_style) {
		snprintf(s->base, sizeof(s->base), "%.*s", (int)(p - e), e);
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(p - h), h);
	} else {
		snprintf(s->host, sizeof(s->host), "%s.%.*s", s->bucket,
		    (int)(p - h), h);
		snprintf(s->base, sizeof(s->base), "%.*s%s", (int)(h - e), e,
		    s->host);
	}
	return 0;
}

enum s3_init_err
s3_init(struct s3 *s, char *why, size_t whylen)
{
	if (awsconf_load(&s->conf, why, whylen) == -1)
		return S3_INIT_CONFIG;
	snprintf(s->region_buf, sizeof(s->region_buf), "%s", s->conf.region);
	s->region = s->region_buf;
	s->region_global = strcmp(s->conf.region_from, "the default") == 0;
	awsconf_endpoint(&s->conf, "s3", s->endpoint, sizeof(s->endpoint),
	    s->endpoint_from, sizeof(s->endpoint_from));
	if (s3_route(s, why, whylen) == -1)
		return S3_INIT_ENDPOINT;
	s->body.max = (64 << 20) - 1;
	switch (awscred_load(&s->cred, &s->conf, why, whylen)) {
	case 0:
		break;
	case -2:
		return S3_INIT_UNAVAILABLE;
	default:
		return S3_INIT_CREDENTIALS;
	}
	if ((s->easy = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return S3_INIT_NOMEM;
	}
	return S3_INIT_OK;
}

void
s3_close(struct s3 *s)
{
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	s->easy = NULL;
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi);
	s->multi = NULL;
	http_body_free(&s->body);
	awscred_clear(&s->cred);
	awsconf_free(&s->conf);
}

void
s3_strerror(const struct s3 *s, char *buf, size_t len)
{
	if (s->status == 0)
		snprintf(buf, len, "%s", s->message);
	else if (s->code[0] != '\0')
		snprintf(buf, len, "HTTP %ld %s%s%s", s->status, s->code,
		    s->message[0] ? ": " : "", s->message);
	else
		snprintf(buf, len, "HTTP %ld", s->status);
}

static int
retryable(const struct s3 *s, CURLcode res)
{
	if (res != CURLE_OK)
		return http_retryable(res, 0) || res == CURLE_SSL_CONNECT_ERROR ||
		    res == CURLE_SEND_FAIL_REWIND;
	return s->status >= 500 || s->status == 429 ||
	    strcmp(s->code, "RequestTimeout") == 0 ||
	    strcmp(s->code, "SlowDown") == 0 ||
	    strcmp(s->code, "InternalError") == 0;
}

/*
 * The headers to send: every signed one as signed, Authorization, and
 * an empty Expect (no 100-continue round trip).  NULL if out of memory.
 */
static struct curl_slist *
header_list(const struct sigv4_header *sh, size_t nh, const char *auth)
{
	struct curl_slist *hl = NULL, *nl;
	const char *name, *value;
	char *line;
	size_t i, n;

	for (i = 0; i < nh + 2; i++) {
		name = i < nh ? sh[i].name : i == nh ? "Authorization" :
		    "Expect";
		value = i < nh ? sh[i].value : i == nh ? auth : "";
		n = strlen(name) + strlen(value) + 3;
		if ((line = malloc(n)) == NULL)
			goto fail;
		snprintf(line, n, "%s:%s%s", name, *value ? " " : "", value);
		nl = curl_slist_append(hl, line);
		OPENSSL_cleanse(line, n);	/* it may hold a token */
		free(line);
		if (nl == NULL)
			goto fail;
		hl = nl;
	}
	return hl;
fail:
	curl_slist_free_all(hl);
	return NULL;
}

/*
 * Say what is wrong with an answer.  Returns -2 if asking again may
 * help (retry), else -1; bad: the answer is wrong, not only cut short.
 */
static int
fault(struct s3 *s, int retry, int bad, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fault(struct s3 *s, int retry, int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
	s->status = 0;
	s->code[0] = '\0';
	s->wrong = bad;
	return retry ? -2 : -1;
}
#define cut(s, ...)		fault(s, 1, 0, __VA_ARGS__)
#define wrong(s, retry, ...)	fault(s, retry, 1, __VA_ARGS__)

/*
 * Is a 2xx answer what S3 says when it did the job?  0 yes; -2 no, but
 * asking again may help (a cut body); -1 no.  md5: what a PUT sent.
 */
static int
confirmed(struct s3 *s, const char *method, const unsigned char *md5)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	char want[40];
	unsigned int n;

	if (md5 != NULL && strcmp(method, "PUT") == 0 && !s->etag_not_md5) {
		/* S3's ETag of a PUT or a part is the MD5 of its bytes. */
		md5_etag(md5, want);
		if (!etag_eq(s->etag, want))
			return wrong(s, 1, "the answer's ETag %s is not the "
			    "MD5 of what was sent (%s)", s->etag[0] ?
			    s->etag : "(none)", want);
	}
	if (s->expect != NULL) {
		char close[80];

		snprintf(close, sizeof(close), "</%s>", s->expect);
		if (s->body.buf == NULL || strstr(s->body.buf, close) == NULL)
			return cut(s, "the answer is cut short (no %s in "
			    "its %zu bytes)", close, s->body.len);
	}
	if (s->sink != NULL && s->want_size >= 0 &&
	    s->sink_off != (unsigned long long)s->want_size) {
		if (s->sink_off > (unsigned long long)s->want_size)
			return wrong(s, 0, "the body has %llu bytes, the "
			    "listing said %lld", s->sink_off, s->want_size);
		/* Cut short without a Content-Length: resume (Range). */
		return cut(s, "the body stopped after %llu of %lld bytes",
		    s->sink_off, s->want_size);
	}
	if (s->sink != NULL && s->sink_md5 != NULL && !s->etag_not_md5 &&
	    etag_md5(s->want_etag[0] ?
	    s->want_etag : s->etag, d) == 0) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		if (c == NULL || EVP_MD_CTX_copy_ex(c, s->sink_md5) != 1 ||
		    EVP_DigestFinal_ex(c, d, &n) != 1) {
			EVP_MD_CTX_free(c);
			return wrong(s, 0, "out of memory");
		}
		EVP_MD_CTX_free(c);
		md5_etag(d, want);
		if (!etag_eq(want, s->want_etag[0] ? s->want_etag : s->etag))
			return wrong(s, 0, "%llu bytes whose MD5 %s is not "
			    "the object's ETag %s (cut short, or changed)",
			    s->sink_off, want, s->want_etag[0] ? s->want_etag :
			    s->etag);
	}
	return 0;
}

/* Tell the tool something, if it listens (s3.h: note). */
static void
note(struct s3 *s, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (s->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->note(s->note_arg, text);
}

/*
 * Say why a request is tried again, and wait before retry number
 * attempt.  -1 if a stop signal came (interruptible requests only).
 */
static int
backoff(struct s3 *s, const char *method, const char *key, int attempt)
{
	char why[512];
	long delay;

	delay = http_backoff_ms(attempt, s->retry_delay_ms, 20000);
	s3_strerror(s, why, sizeof(why));
	note(s, "%s s3://%s/%s: %s; retry %d of %d in %.1f s", method,
	    s->bucket, key ? key : "", why, attempt + s->retry_base,
	    s->retries + s->retry_base, delay / 1000.0);
	s->nretries++;
	if (s->interruptible) {
		sig_sleep((int)delay);
		if (sig_caught()) {
			snprintf(s->message, sizeof(s->message),
			    "stopped by a signal");
			s->status = 0;
			s->interrupted = 1;
			s->retryable = 0;
			return -1;
		}
	} else
		(void)poll(NULL, 0, (int)delay);	/* signals stay blocked */
	return 0;
}

/*
 * Read the credential chain again into a copy, and take it only if it
 * gave credentials: a refresh that fails (STS throttled, a helper that
 * failed once) keeps those in hand, good until they expire, and is
 * tried again a minute later, not before every request.  0, or -1
 * (said, with what).
 */
static int
refresh(struct s3 *s, const char *what)
{
	struct awscred *fresh;
	char why[512];
	int rc;

	if ((fresh = malloc(sizeof(*fresh))) == NULL)
		return -1;
	if ((rc = awscred_load(fresh, &s->conf, why, sizeof(why))) == 0) {
		awscred_clear(&s->cred);
		s->cred = *fresh;
		s->refresh_after = 0;
	} else {
		note(s, "%s: %s", what, why);
		s->refresh_after = time(NULL) + 60;
	}
	awscred_clear(fresh);
	free(fresh);
	return rc == 0 ? 0 : -1;
}

/*
 * Did S3 answer that the bucket is in another region (301, 302 or 307
 * with x-amz-bucket-region; 400 AuthorizationHeaderMalformed, or a 400
 * to a HEAD, which has no body: a request signed for the wrong one)?
 * Then say so, naming it, and switch to it, as the AWS CLI does: the
 * caller asks again there.  0 if not, or if S3 did not say which.
 */
static int
other_region(struct s3 *s)
{
	char region[64], old[64], why[64];

	if (s->status != 301 && s->status != 302 && s->status != 307 &&
	    (s->status != 400 || (strcmp(s->code,
	    "AuthorizationHeaderMalformed") != 0 && s->body.len > 0)))
		return 0;
	snprintf(region, sizeof(region), "%s", s->bucket_region);
	if (region[0] == '\0' && strcmp(s->code, "AuthorizationHeaderMalformed")
	    == 0)
		xml_text(s->body.buf, "Region", region, sizeof(region));
	if (region[0] == '\0') {
		if (s->status == 301)
			snprintf(s->message, sizeof(s->message), "s3://%s is "
			    "in another region than %s, and S3 did not say "
			    "which", s->bucket, s->region);
		return 0;
	}
	if (strcmp(region, s->region) == 0 || strspn(region,
	    "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
		return 0;
	snprintf(old, sizeof(old), "%s", s->region);
	snprintf(s->region_buf, sizeof(s->region_buf), "%s", region);
	s->region = s->region_buf;
	s->region_global = 0;
	if (s->endpoint[0] == '\0')
		(void)s3_route(s, why, sizeof(why));
	note(s, "s3://%s is in region %s, not %s (%s): asking there; set "
	    "--region %s or region = %s in the profile to go there at once",
	    s->bucket, region, old, s->conf.region_from, region, region);
	return 1;
}

/*
 * One request, retried.  query is canonical ("", "uploads=",
 * "partNumber=1&uploadId=..."); key NULL addresses the bucket.
 */
static int
request(struct s3 *s, const char *method, const char *key,
    const char *query, const void *data, size_t len, int md5)
{
	char path[4096], url[5120], sha[SIGV4_SHA256_HEX], amz[17];
	char auth[SIGV4_AUTH_MAX], why[512], md5b64[32], range[48], *enc;
	unsigned char digest[16];
	struct sigv4_header sh[16];
	struct sigv4_request req;
	struct sigv4_key sk;
	struct curl_slist *hl;
	struct upload_src src;
	CURLcode res;
	size_t nh;
	char metaname[S3_META_MAX][64];
	int attempt, rc = -1, redirected, object, i;

	/* The headers that say how a new object is stored. */
	object = (data != NULL && strcmp(method, "PUT") == 0 &&
	    strstr(query, "partNumber") == NULL) || strcmp(query, "uploads=") == 0;

	/* The path as sent is the path signed: keys are encoded here. */
	if ((enc = malloc(3 * (key ? strlen(key) : 0) + 1)) == NULL)
		return -1;
	sigv4_uri_encode(key ? key : "", 1, enc);
	if (s->path_style)
		snprintf(path, sizeof(path), "%s/%s/%s", s->prefix, s->bucket,
		    enc);
	else
		snprintf(path, sizeof(path), "%s/%s", s->prefix, enc);
	free(enc);
	s->refreshed = redirected = 0;
	if (data != NULL)
		sigv4_sha256_hex(data, len, sha);
	else
		snprintf(sha, sizeof(sha), "%s", EMPTY_SHA256);
	if (md5) {
		EVP_Digest(data, len, digest, NULL, EVP_md5(), NULL);
		sigv4_base64(digest, sizeof(digest), md5b64);
	}

	for (attempt = 1;; attempt++) {
		snprintf(url, sizeof(url), "%s%s%s%s", s->base, path,
		    *query ? "?" : "", query);
		if (awscred_stale(&s->cred, time(NULL)) &&
		    time(NULL) >= s->refresh_after)
			(void)refresh(s, "refreshing AWS credentials");
		sigv4_amz_date((long long)time(NULL), amz);
		nh = 0;
		sh[nh++] = (struct sigv4_header){ "host", s->host };
		sh[nh++] = (struct sigv4_header){ "x-amz-date", amz };
		sh[nh++] = (struct sigv4_header){ "x-amz-content-sha256", sha };
		if (md5)
			sh[nh++] = (struct sigv4_header){ "content-md5",
			    md5b64 };
		if (s->content_type != NULL && object)
			sh[nh++] = (struct sigv4_header){ "content-type",
			    s->content_type };	/* the object's */
		else if (strcmp(method, "POST") == 0)
			sh[nh++] = (struct sigv4_header){ "content-type",
			    "application/xml" };	/* not curl's form type */
		if (s->cred.token[0] != '\0')
			sh[nh++] = (struct sigv4_header){
			    "x-amz-security-token", s->cred.token };
		if (object && s->acl != NULL)
			sh[nh++] = (struct sigv4_header){ "x-amz-acl", s->acl };
		if (object && s->sse != NULL)
			sh[nh++] = (struct sigv4_header){
			    "x-amz-server-side-encryption", s->sse };
		if (object && s->sse_kms_key_id != NULL)
			sh[nh++] = (struct sigv4_header){
			    "x-amz-server-side-encryption-aws-kms-key-id",
			    s->sse_kms_key_id };
		if (object && s->storage_class != NULL)
			sh[nh++] = (struct sigv4_header){ "x-amz-storage-class",
			    s->storage_class };
		for (i = 0; object && i < s->nmeta; i++) {
			snprintf(metaname[i], sizeof(metaname[i]),
			    "x-amz-meta-%s", s->meta[i].name);
			sh[nh++] = (struct sigv4_header){ metaname[i],
			    s->meta[i].value };
		}
		if (s->sink != NULL && s->sink_off > 0) {
			/* Resume a cut GET where it stopped. */
			snprintf(range, sizeof(range), "bytes=%llu-",
			    s->sink_off);
			sh[nh++] = (struct sigv4_header){ "range", range };
		}
		req = (struct sigv4_request){ method, path, query, sh, nh,
		    sha };
		sk = (struct sigv4_key){ s->cred.access_key,
		    s->cred.secret_key, s->region, "s3" };
		if (sigv4_authorization(&req, &sk, amz, auth,
		    sizeof(auth)) == -1) {
			snprintf(s->message, sizeof(s->message),
			    "cannot sign the request");
			s->status = 0;
			break;
		}
		if ((hl = header_list(sh, nh, auth)) == NULL) {
			snprintf(s->message, sizeof(s->message),
			    "out of memory");
			s->status = 0;
			break;
		}

		curl_easy_reset(s->easy);
		curl_easy_setopt(s->easy, CURLOPT_URL, url);
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
		curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
		curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, s->timeout_ms);
		curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS,
		    s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
		curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		/* The path sent is the key signed and acked: no "/../". */
		curl_easy_setopt(s->easy, CURLOPT_PATH_AS_IS, 1L);
		if (s->conf.ca_bundle[0] != '\0')
			curl_easy_setopt(s->easy, CURLOPT_CAINFO,
			    s->conf.ca_bundle);
		if (strcmp(method, "PUT") == 0) {
			src = (struct upload_src){ data, len, 0 };
			curl_easy_setopt(s->easy, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(s->easy, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(s->easy, CURLOPT_READDATA, &src);
			curl_easy_setopt(s->easy, CURLOPT_SEEKFUNCTION, on_seek);
			curl_easy_setopt(s->easy, CURLOPT_SEEKDATA, &src);
			curl_easy_setopt(s->easy, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)len);
		} else if (strcmp(method, "POST") == 0) {
			curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS,
			    data != NULL ? (const char *)data : "");
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)len);
		} else if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(s->easy, CURLOPT_NOBODY, 1L);
		else
			curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, method);

		s->status = 0;
		s->etag[0] = s->code[0] = s->message[0] = s->errbuf[0] = '\0';
		s->bucket_region[0] = '\0';
		http_body_reset(&s->body);
		s->skip = 0;
		s->wrong = s->etag_not_md5 = 0;
		if ((s->multi == NULL && (s->multi = curl_multi_init()) ==
		    NULL) || http_perform(s->multi, s->easy, &res,
		    s->interruptible) == -1) {
			snprintf(s->message, sizeof(s->message), s->multi ?
			    "stopped by a signal" : "out of memory");
			s->interrupted = s->multi != NULL;
			curl_slist_free_all(hl);
			s->retryable = 0;
			break;
		}
		if (s->sink != NULL && s->sink_off > 0 && res == CURLE_OK) {
			long st = 0;
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &st);
			if (st == 200)	/* Range ignored: whole body again */
				s->skip = s->sink_off;
		}
		if (s->sink_failed) {
			snprintf(s->message, sizeof(s->message), "the output "
			    "failed");
			curl_slist_free_all(hl);
			s->retryable = 0;
			break;
		}
		curl_slist_free_all(hl);
		if (res == CURLE_OK)
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE,
			    &s->status);
		else
			http_strerror(res, s->errbuf, s->message,
			    sizeof(s->message));
		xml_text(s->body.buf, "Code", s->code, sizeof(s->code));
		if (res == CURLE_OK)
			xml_text(s->body.buf, "Message", s->message,
			    sizeof(s->message));
		/* CompleteMultipartUpload can fail inside a 200. */
		if (res == CURLE_OK && s->status == 200 && s->body.buf != NULL &&
		    strstr(s->body.buf, "<Error>") != NULL)
			s->status = 500;
		if (res == CURLE_OK && !redirected && other_region(s)) {
			redirected = 1;
			attempt--;
			continue;
		}
		if (res == CURLE_OK && s->status == 400 && !s->refreshed &&
		    strcmp(s->code, "ExpiredToken") == 0) {
			s->refreshed = 1;
			if (refresh(s, "reading AWS credentials again after "
			    "ExpiredToken") == 0) {
				awscred_describe(&s->cred, why, sizeof(why));
				note(s, "%s s3://%s/%s: the session token has "
				    "expired (ExpiredToken): credentials read "
				    "again, %s", method, s->bucket, key ? key :
				    "", why);
				attempt--;
				continue;
			}
		}
		if (res == CURLE_OK && s->status >= 200 && s->status < 300) {
			if ((rc = confirmed(s, method, data != NULL && md5 ?
			    digest : NULL)) == 0)
				break;
			s->retryable = rc == -2;
		} else
			s->retryable = retryable(s, res);
		rc = -1;
		if (!s->retryable || attempt > s->retries)
			break;
		if (backoff(s, method, key, attempt) == -1)
			break;
	}
	OPENSSL_cleanse(auth, sizeof(auth));
	return rc;
}

int
s3_get(struct s3 *s, const char *key, long long size, const char *etag,
    s3_sink_fn sink, void *arg)
{
	EVP_MD_CTX *md5;
	int rc;

	if ((md5 = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md5, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(md5);
		snprintf(s->message, sizeof(s->message), "out of memory");
		s->status = 0;
		return -1;
	}
	s->sink = sink;
	s->sink_arg = arg;
	s->sink_off = s->skip = 0;
	s->sink_failed = 0;
	s->sink_md5 = md5;
	s->want_size = size;
	snprintf(s->want_etag, sizeof(s->want_etag), "%s", etag ? etag : "");
	rc = request(s, "GET", key, "", NULL, 0, 0);
	s->sink = NULL;
	s->sink_md5 = NULL;
	s->want_size = -1;
	s->want_etag[0] = '\0';
	EVP_MD_CTX_free(md5);
	return rc;
}

void
s3_list_free(struct s3_entry *e, size_t n)
{
	while (n > 0)
		free(e[--n].key);
	free(e);
}

int
s3_parse_list(const char *body, size_t len, struct s3_entry **ents,
    size_t *nents, char *next, size_t nextlen, char *why, size_t whylen)
{
	const char *p, *c, *ce, *end = body + len, *q;
	struct s3_entry *e = NULL, *ne;
	size_t n = 0;
	char *v;
	int unclosed;

	*ents = NULL;
	*nents = 0;
	next[0] = '\0';
	if (memmem(body, len, "<ListBucketResult", 17) == NULL ||
	    memmem(body, len, "</ListBucketResult>", 19) == NULL) {
		snprintf(why, whylen, "not a whole ListBucketResult");
		return -1;
	}
	for (p = body; (c = memmem(p, (size_t)(end - p), "<Contents>", 10)) !=
	    NULL; p = ce + 11) {
		c += 10;
		if ((ce = memmem(c, (size_t)(end - c), "</Contents>", 11)) ==
		    NULL) {
			snprintf(why, whylen, "an unclosed <Contents>");
			goto fail;
		}
		if ((ne = realloc(e, (n + 1) * sizeof(*e))) == NULL)
			goto oom;
		e = ne;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].size = -1;
		if ((e[n].key = xml_take(c, ce, "Key", &q, &unclosed)) == NULL) {
			snprintf(why, whylen, unclosed ? "an unclosed <Key>" :
			    "a <Contents> without a <Key>");
			goto fail;
		}
		n++;
		if ((v = xml_take(c, ce, "Size", &q, &unclosed)) != NULL) {
			char *ep;

			errno = 0;
			e[n - 1].size = strtoll(v, &ep, 10);
			if (*v == '\0' || *ep != '\0' || errno != 0 ||
			    e[n - 1].size < 0) {
				snprintf(why, whylen, "a <Size> that is not a "
				    "size");
				free(v);
				goto fail;
			}
			free(v);
		}
		if ((v = xml_take(c, ce, "ETag", &q, &unclosed)) != NULL) {
			snprintf(e[n - 1].etag, sizeof(e[n - 1].etag), "%s", v);
			free(v);
		}
	}
	if (memmem(body, len, "<IsTruncated>true</IsTruncated>", 31) != NULL) {
		if ((v = xml_take(body, end, "NextContinuationToken", &q,
		    &unclosed)) == NULL || *v == '\0' ||
		    strlen(v) >= nextlen) {
			free(v);
			snprintf(why, whylen, "a truncated listing without a "
			    "usable NextContinuationToken");
			goto fail;
		}
		snprintf(next, nextlen, "%s", v);
		free(v);
	}
	*ents = e;
	*nents = n;
	return 0;
oom:
	snprintf(why, whylen, "out of memory");
fail:
	s3_list_free(e, n);
	next[0] = '\0';
	return -1;
}

int
s3_list(struct s3 *s, const char *prefix, const char *token,
    struct s3_entry **ents, size_t *nents, char *next, size_t nextlen)
{
	return s3_list_after(s, prefix, "", token, ents, nents, next,
	    nextlen);
}

int
s3_list_after(struct s3 *s, const char *prefix, const char *after,
    const char *token, struct s3_entry **ents, size_t *nents, char *next,
    size_t nextlen)
{
	char q[12288], ep[3 * 1024 + 1], et[3 * 1024 + 1], ea[3 * 1024 + 1];
	char why[128];
	int rc;

	*ents = NULL;
	*nents = 0;
	next[0] = '\0';
	if (strlen(prefix) > 1024 || strlen(token) > 1024 ||
	    strlen(after) > 1024) {
		snprintf(s->message, sizeof(s->message), "a prefix, key or "
		    "token longer than 1024 bytes");
		s->status = 0;
		return -1;
	}
	sigv4_uri_encode(prefix, 0, ep);
	sigv4_uri_encode(token, 0, et);
	sigv4_uri_encode(after, 0, ea);
	/* The canonical query: its parameters sorted by name. */
	snprintf(q, sizeof(q), "%s%s%slist-type=2&prefix=%s%s%s",
	    *token ? "continuation-token=" : "", et, *token ? "&" : "", ep,
	    *after ? "&start-after=" : "", ea);
	s->expect = "ListBucketResult";
	rc = request(s, "GET", NULL, q, NULL, 0, 0);
	s->expect = NULL;
	if (rc == -1)
		return -1;
	if (s3_parse_list(s->body.buf, s->body.len, ents, nents, next, nextlen, why,
	    sizeof(why)) == -1) {
		wrong(s, 0, "the listing is wrong: %s", why);
		return -1;
	}
	return 0;
}

int
s3_delete(struct s3 *s, const char *key)
{
	return request(s, "DELETE", key, "", NULL, 0, 0);
}

int
s3_head_bucket(struct s3 *s)
{
	return request(s, "HEAD", NULL, "", NULL, 0, 0);
}

int
s3_put(struct s3 *s, const char *key, const void *data, size_t len)
{
	return request(s, "PUT", key, "", data, len, 1);
}

int
s3_create_multipart(struct s3 *s, const char *key, char *upload_id,
    size_t idlen)
{
	int rc;

	s->expect = "InitiateMultipartUploadResult";
	rc = request(s, "POST", key, "uploads=", NULL, 0, 0);
	s->expect = NULL;
	if (rc == -1)
		return -1;
	xml_text(s->body.buf, "UploadId", upload_id, idlen);
	if (upload_id[0] == '\0') {
		snprintf(s->message, sizeof(s->message), "no UploadId in the "
		    "answer to CreateMultipartUpload");
		return -1;
	}
	return 0;
}

/* An upload id in a query: S3's ids are URL-safe, but encode anyway. */
static void
id_query(char *q, size_t qlen, int partno, const char *upload_id)
{
	char enc[1024];

	if (strlen(upload_id) * 3 >= sizeof(enc)) {
		q[0] = '\0';
		return;
	}
	sigv4_uri_encode(upload_id, 0, enc);
	if (partno > 0)
		snprintf(q, qlen, "partNumber=%d&uploadId=%s", partno, enc);
	else
		snprintf(q, qlen, "uploadId=%s", enc);
}

int
s3_upload_part(struct s3 *s, const char *key, const char *upload_id,
    int partno, const void *data, size_t len)
{
	char q[1200];

	id_query(q, sizeof(q), partno, upload_id);
	return request(s, "PUT", key, q, data, len, 1);
}

int
s3_multipart_etag(char *const *etags, int nparts, char *out, size_t outlen)
{
	unsigned char *all, d[EVP_MAX_MD_SIZE];
	char h[33];
	unsigned int n;
	int i;

	if (nparts < 1 || (all = malloc((size_t)nparts * 16)) == NULL)
		return -1;
	for (i = 0; i < nparts; i++)
		if (etag_md5(etags[i], all + 16 * i) == -1) {
			free(all);
			return -1;
		}
	EVP_Digest(all, (size_t)nparts * 16, d, &n, EVP_md5(), NULL);
	free(all);
	sigv4_hex(d, 16, h);
	snprintf(out, outlen, "\"%s-%d\"", h, nparts);
	return 0;
}

/* N of an ETag "...-N"; 0 if it has none. */
static int
parts_of(const char *etag)
{
	const char *d = strrchr(etag, '-');

	return d != NULL ? atoi(d + 1) : 0;
}

int
s3_parse_complete(const char *body, size_t len, char *etag, size_t etaglen)
{
	const char *end = body + len, *a, *q;
	char *v;
	int unclosed;

	etag[0] = '\0';
	if ((a = memmem(body, len, "<CompleteMultipartUploadResult", 30)) ==
	    NULL || memmem(a, (size_t)(end - a),
	    "</CompleteMultipartUploadResult>", 32) == NULL ||
	    (v = xml_take(a, end, "ETag", &q, &unclosed)) == NULL)
		return -1;
	if (*v == '\0' || strlen(v) >= etaglen) {
		free(v);
		return -1;
	}
	snprintf(etag, etaglen, "%s", v);
	free(v);
	return 0;
}

int
s3_complete_multipart(struct s3 *s, const char *key, const char *upload_id,
    char *const *etags, int nparts, const unsigned char *md5)
{
	char q[1200], want[80], whole[40], got[sizeof(s->etag)], *xml;
	size_t cap = 128 + (size_t)nparts * 192, len;
	long long size;
	struct s3 saved;
	int i, rc = -1, retries, pass, again;

	s->retry_base = 0;

	if (s3_multipart_etag(etags, nparts, want, sizeof(want)) == -1) {
		wrong(s, 0, "a part's ETag is not an MD5");
		return -1;
	}
	/* Some S3-compatible servers (s3rver) give the MD5 of the bytes. */
	whole[0] = '\0';
	if (md5 != NULL)
		md5_etag(md5, whole);
	if ((xml = malloc(cap)) == NULL)
		return -1;
	len = (size_t)snprintf(xml, cap, "<CompleteMultipartUpload>");
	for (i = 0; i < nparts; i++)
		len += (size_t)snprintf(xml + len, cap - len, "<Part>"
		    "<PartNumber>%d</PartNumber><ETag>%.128s</ETag></Part>",
		    i + 1, etags[i]);
	len += (size_t)snprintf(xml + len, cap - len,
	    "</CompleteMultipartUpload>");
	id_query(q, sizeof(q), 0, upload_id);
	/*
	 * Once without retries: if the answer is lost, cut or wrong, the
	 * object is looked at (HEAD) before asking again, since a Complete
	 * asked again after it was done fails (NoSuchUpload, or worse).
	 */
	retries = s->retries;
	for (pass = 0; pass < 2; pass++) {
		s->retries = pass == 0 || retries == 0 ? 0 : retries - 1;
		s->retry_base = pass;
		s->expect = "CompleteMultipartUploadResult";
		rc = request(s, "POST", key, q, xml, len, 1);
		s->expect = NULL;
		s->retries = retries;
		s->retry_base = 0;
		again = rc == -1 && s->retryable;
		if (rc == 0 && s3_parse_complete(s->body.buf, s->body.len, got,
		    sizeof(got)) == 0 && (etag_eq(got, want) ||
		    etag_eq(got, whole) || s->etag_not_md5)) {
			snprintf(s->etag, sizeof(s->etag), "%s", got);
			break;
		}
		if (rc == 0)
			wrong(s, 0, got[0] != '\0' ? "the answer's ETag is "
			    "not the one the parts make" : "no ETag in the "
			    "answer");
		if (s->interrupted)
			break;
		if (rc == -1 && s->status != 0 && again && pass == 0) {
			/* S3 said it did not do it: the retries, as always. */
			if (retries == 0 || backoff(s, "POST", key, 1) == -1)
				break;
			continue;
		}
		/* Whether the object is there is S3's to say, not a guess. */
		saved = *s;
		if (s3_head_object(s, key, &size) == 0) {
			if (etag_eq(s->etag, want) || etag_eq(s->etag, whole) ||
			    (s->etag_not_md5 && parts_of(s->etag) == nparts)) {
				rc = 0;
				break;
			}
			snprintf(got, sizeof(got), "%s", s->etag);
			rc = -1;
			if (!again || pass == 1) {
				wrong(s, 0, "CompleteMultipartUpload was not "
				    "confirmed (%s), and the object in S3 has "
				    "ETag %s, not the one the parts make (%s)",
				    saved.message, got, want);
				break;
			}
			continue;
		}
		/* Not there (or not to be seen): the Complete's failure. */
		s->status = saved.status;
		s->wrong = saved.wrong;
		s->retryable = saved.retryable;
		memcpy(s->code, saved.code, sizeof(s->code));
		memcpy(s->message, saved.message, sizeof(s->message));
		rc = -1;
		if (!again)
			break;
	}
	free(xml);
	return rc;
}

int
s3_head_object(struct s3 *s, const char *key, long long *size)
{
	curl_off_t n = -1;
	int i, rc;

	*size = -1;
	for (i = 0; i < s->nmeta; i++)
		s->meta[i].value[0] = '\0';
	s->reading_meta = 1;
	rc = request(s, "HEAD", key, "", NULL, 0, 0);
	s->reading_meta = 0;
	if (rc == -1)
		return -1;
	curl_easy_getinfo(s->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &n);
	*size = n;
	return 0;
}

int
s3_abort_multipart(struct s3 *s, const char *key, const char *upload_id)
{
	char q[1200];

	id_query(q, sizeof(q), 0, upload_id);
	return request(s, "DELETE", key, q, NULL, 0, 0);
}
