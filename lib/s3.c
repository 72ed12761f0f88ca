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
	return size * n;
}

/* The text of <tag>...</tag> in the answer, or "". */
static void
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

const char *
s3_region(const char *opt)
{
	const char *env[] = { "AWS_REGION", "AWS_DEFAULT_REGION" };
	size_t i;

	for (i = 0; (opt == NULL || *opt == '\0') && i < 2; i++)
		opt = getenv(env[i]);
	return opt != NULL && *opt != '\0' ? opt : "us-east-1";
}

enum s3_init_err
s3_init(struct s3 *s, char *why, size_t whylen)
{
	const char *p, *h;
	size_t n;

	if (s->endpoint != NULL) {
		/* path-style: http://127.0.0.1:4568/BUCKET/KEY */
		n = strlen(s->endpoint);
		while (n > 0 && s->endpoint[n - 1] == '/')
			n--;
		if ((h = strstr(s->endpoint, "://")) == NULL ||
		    n >= sizeof(s->base)) {
			snprintf(why, whylen, "--endpoint %s: expected a URL "
			    "such as http://127.0.0.1:4568", s->endpoint);
			return S3_INIT_ENDPOINT;
		}
		h += 3;
		p = memchr(h, '/', n - (size_t)(h - s->endpoint));
		if (p == NULL)
			p = s->endpoint + n;
		snprintf(s->base, sizeof(s->base), "%.*s",
		    (int)(p - s->endpoint), s->endpoint);
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(p - h), h);
		s->path_style = 1;
	} else {
		snprintf(s->host, sizeof(s->host), "%s.s3.%s.amazonaws.com",
		    s->bucket, s->region);
		snprintf(s->base, sizeof(s->base), "https://%s", s->host);
		/* Dotted names do not match the wildcard certificate. */
		if (strchr(s->bucket, '.') != NULL) {
			snprintf(s->host, sizeof(s->host),
			    "s3.%s.amazonaws.com", s->region);
			snprintf(s->base, sizeof(s->base), "https://%s",
			    s->host);
			s->path_style = 1;
		}
	}
	s->body.max = (64 << 20) - 1;
	if (awscred_load(&s->cred, why, whylen) == -1)
		return S3_INIT_CREDENTIALS;
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
	struct sigv4_header sh[8];
	struct sigv4_request req;
	struct sigv4_key sk;
	struct curl_slist *hl;
	struct upload_src src;
	CURLcode res;
	size_t nh;
	int attempt, rc = -1;

	/* The path as sent is the path signed: keys are encoded here. */
	if ((enc = malloc(3 * (key ? strlen(key) : 0) + 1)) == NULL)
		return -1;
	sigv4_uri_encode(key ? key : "", 1, enc);
	if (s->path_style)
		snprintf(path, sizeof(path), "/%s/%s", s->bucket, enc);
	else
		snprintf(path, sizeof(path), "/%s", enc);
	free(enc);
	snprintf(url, sizeof(url), "%s%s%s%s", s->base, path,
	    *query ? "?" : "", query);
	if (data != NULL)
		sigv4_sha256_hex(data, len, sha);
	else
		snprintf(sha, sizeof(sha), "%s", EMPTY_SHA256);
	if (md5) {
		EVP_Digest(data, len, digest, NULL, EVP_md5(), NULL);
		sigv4_base64(digest, sizeof(digest), md5b64);
	}

	for (attempt = 1;; attempt++) {
		if (awscred_stale(&s->cred, time(NULL)) &&
		    awscred_load(&s->cred, why, sizeof(why)) == -1)
			note(s, "refreshing AWS credentials: %s", why);
		sigv4_amz_date((long long)time(NULL), amz);
		nh = 0;
		sh[nh++] = (struct sigv4_header){ "host", s->host };
		sh[nh++] = (struct sigv4_header){ "x-amz-date", amz };
		sh[nh++] = (struct sigv4_header){ "x-amz-content-sha256", sha };
		if (md5)
			sh[nh++] = (struct sigv4_header){ "content-md5",
			    md5b64 };
		if (s->content_type != NULL && ((data != NULL &&
		    strcmp(method, "PUT") == 0 && strstr(query, "partNumber")
		    == NULL) || strcmp(query, "uploads=") == 0))
			sh[nh++] = (struct sigv4_header){ "content-type",
			    s->content_type };	/* the object's */
		else if (strcmp(method, "POST") == 0)
			sh[nh++] = (struct sigv4_header){ "content-type",
			    "application/xml" };	/* not curl's form type */
		if (s->cred.token[0] != '\0')
			sh[nh++] = (struct sigv4_header){
			    "x-amz-security-token", s->cred.token };
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
			snprintf(s->message, sizeof(s->message), "%s",
			    s->errbuf[0] ? s->errbuf : curl_easy_strerror(res));
		xml_text(s->body.buf, "Code", s->code, sizeof(s->code));
		if (res == CURLE_OK)
			xml_text(s->body.buf, "Message", s->message,
			    sizeof(s->message));
		/* CompleteMultipartUpload can fail inside a 200. */
		if (res == CURLE_OK && s->status == 200 && s->body.buf != NULL &&
		    strstr(s->body.buf, "<Error>") != NULL)
			s->status = 500;
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
static char *
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
	char q[8192], ep[3 * 1024 + 1], et[3 * 1024 + 1], why[128];
	int rc;

	*ents = NULL;
	*nents = 0;
	next[0] = '\0';
	if (strlen(prefix) > 1024 || strlen(token) > 1024) {
		snprintf(s->message, sizeof(s->message), "a prefix or token "
		    "longer than 1024 bytes");
		s->status = 0;
		return -1;
	}
	sigv4_uri_encode(prefix, 0, ep);
	sigv4_uri_encode(token, 0, et);
	/* The canonical query: its parameters sorted by name. */
	if (*token)
		snprintf(q, sizeof(q), "continuation-token=%s&list-type=2&"
		    "prefix=%s", et, ep);
	else
		snprintf(q, sizeof(q), "list-type=2&prefix=%s", ep);
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

	*size = -1;
	if (request(s, "HEAD", key, "", NULL, 0, 0) == -1)
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
