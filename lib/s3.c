/*
 * s3.c - requests as S3's API reference describes them: PutObject,
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, HeadBucket.  Every body carries Content-MD5 and
 * x-amz-content-sha256, so S3 checks what it stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "http.h"
#include "log.h"
#include "s3.h"
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

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct s3 *s = arg;
	size_t len = size * n, k;
	long status = 0;
	char *nb;

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
			s->sink_off += len - k;
			return size * n;
		}
	}

	if (s->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->len + len + 1)
			cap *= 2;
		if (cap > 1 << 20 || (nb = realloc(s->body, cap)) == NULL)
			return 0;	/* answers are small XML */
		s->body = nb;
		s->cap = cap;
	}
	memcpy(s->body + s->len, data, len);
	s->len += len;
	s->body[s->len] = '\0';
	return len;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct s3 *s = arg;
	size_t len = size * n, k;

	if (len > 5 && strncasecmp(data, "ETag:", 5) == 0) {
		data += 5;
		len -= 5;
		while (len > 0 && (*data == ' ' || *data == '\t'))
			data++, len--;
		while (len > 0 && (data[len - 1] == '\r' ||
		    data[len - 1] == '\n' || data[len - 1] == ' '))
			len--;
		k = len < sizeof(s->etag) - 1 ? len : sizeof(s->etag) - 1;
		memcpy(s->etag, data, k);
		s->etag[k] = '\0';
	}
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

const char *
s3_region(const char *opt)
{
	const char *env[] = { "AWS_REGION", "AWS_DEFAULT_REGION" };
	size_t i;

	for (i = 0; (opt == NULL || *opt == '\0') && i < 2; i++)
		opt = getenv(env[i]);
	return opt != NULL && *opt != '\0' ? opt : "us-east-1";
}

int
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
			return -1;
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
	if (awscred_load(&s->cred, why, whylen) == -1)
		return -1;
	if ((s->easy = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

void
s3_close(struct s3 *s)
{
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	s->easy = NULL;
	free(s->body);
	s->body = NULL;
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
		return http_retryable(res, 0) || res == CURLE_SSL_CONNECT_ERROR;
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
	long delay;
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
			log_warn("refreshing AWS credentials: %s", why);
		sigv4_amz_date((long long)time(NULL), amz);
		nh = 0;
		sh[nh++] = (struct sigv4_header){ "host", s->host };
		sh[nh++] = (struct sigv4_header){ "x-amz-date", amz };
		sh[nh++] = (struct sigv4_header){ "x-amz-content-sha256", sha };
		if (md5)
			sh[nh++] = (struct sigv4_header){ "content-md5",
			    md5b64 };
		if (data != NULL && s->content_type != NULL &&
		    strcmp(method, "PUT") == 0 && strstr(query, "partNumber")
		    == NULL)
			sh[nh++] = (struct sigv4_header){ "content-type",
			    s->content_type };
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
		if (strcmp(method, "PUT") == 0) {
			src = (struct upload_src){ data, len, 0 };
			curl_easy_setopt(s->easy, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(s->easy, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(s->easy, CURLOPT_READDATA, &src);
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
		s->len = 0;
		if (s->body != NULL)
			s->body[0] = '\0';
		s->skip = 0;
		res = curl_easy_perform(s->easy);
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
		xml_text(s->body, "Code", s->code, sizeof(s->code));
		if (res == CURLE_OK)
			xml_text(s->body, "Message", s->message,
			    sizeof(s->message));
		/* CompleteMultipartUpload can fail inside a 200. */
		if (res == CURLE_OK && s->status == 200 && s->body != NULL &&
		    strstr(s->body, "<Error>") != NULL)
			s->status = 500;
		if (res == CURLE_OK && s->status >= 200 && s->status < 300) {
			rc = 0;
			break;
		}
		s->retryable = retryable(s, res);
		if (!s->retryable || attempt > s->retries)
			break;
		delay = http_backoff_ms(attempt, s->retry_delay_ms, 20000);
		s3_strerror(s, why, sizeof(why));
		log_warn("%s s3://%s/%s: %s; retry %d of %d in %.1f s", method,
		    s->bucket, key ? key : "", why, attempt, s->retries,
		    delay / 1000.0);
		s->nretries++;
		{
			struct timespec ts = { delay / 1000,
			    (delay % 1000) * 1000000L };
			while (nanosleep(&ts, &ts) == -1)
				;
		}
	}
	OPENSSL_cleanse(auth, sizeof(auth));
	return rc;
}

int
s3_get(struct s3 *s, const char *key, s3_sink_fn sink, void *arg)
{
	int rc;

	s->sink = sink;
	s->sink_arg = arg;
	s->sink_off = s->skip = 0;
	s->sink_failed = 0;
	rc = request(s, "GET", key, "", NULL, 0, 0);
	s->sink = NULL;
	return rc;
}

/* Decode the five XML entities in place. */
static void
xml_unescape(char *t)
{
	static const struct { const char *e; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	char *r = t, *w = t;
	size_t i;

	while (*r != '\0') {
		for (i = 0; i < 5; i++)
			if (strncmp(r, ents[i].e, strlen(ents[i].e)) == 0)
				break;
		if (i < 5) {
			*w++ = ents[i].c;
			r += strlen(ents[i].e);
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

int
s3_list(struct s3 *s, const char *prefix, const char *token, char ***keys,
    size_t *nkeys, char *next, size_t nextlen)
{
	char q[8192], ep[3 * 1024 + 1], et[3 * 1024 + 1], key[1100];
	const char *p, *e;
	char **k = NULL, **nk;
	size_t n = 0, len;

	*keys = NULL;
	*nkeys = 0;
	next[0] = '\0';
	if (strlen(prefix) > 1024 || strlen(token) > 1024)
		return -1;
	sigv4_uri_encode(prefix, 0, ep);
	sigv4_uri_encode(token, 0, et);
	/* The canonical query: its parameters sorted by name. */
	if (*token)
		snprintf(q, sizeof(q), "continuation-token=%s&list-type=2&"
		    "prefix=%s", et, ep);
	else
		snprintf(q, sizeof(q), "list-type=2&prefix=%s", ep);
	if (request(s, "GET", NULL, q, NULL, 0, 0) == -1)
		return -1;
	for (p = s->body; p != NULL && (p = strstr(p, "<Key>")) != NULL;
	    p = e) {
		p += 5;
		if ((e = strstr(p, "</Key>")) == NULL ||
		    (len = (size_t)(e - p)) >= sizeof(key))
			break;
		memcpy(key, p, len);
		key[len] = '\0';
		xml_unescape(key);
		if ((nk = realloc(k, (n + 1) * sizeof(*k))) == NULL ||
		    (nk[n] = strdup(key)) == NULL) {
			k = nk != NULL ? nk : k;
			while (n > 0)
				free(k[--n]);
			free(k);
			return -1;
		}
		k = nk;
		n++;
	}
	if (s->body != NULL && strstr(s->body,
	    "<IsTruncated>true</IsTruncated>") != NULL) {
		xml_text(s->body, "NextContinuationToken", next, nextlen);
		xml_unescape(next);
	}
	*keys = k;
	*nkeys = n;
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
	if (request(s, "POST", key, "uploads=", NULL, 0, 0) == -1)
		return -1;
	xml_text(s->body, "UploadId", upload_id, idlen);
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
s3_complete_multipart(struct s3 *s, const char *key, const char *upload_id,
    char *const *etags, int nparts)
{
	char q[1200], *xml;
	size_t cap = 128 + (size_t)nparts * 192, len;
	int i, rc;

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
	rc = request(s, "POST", key, q, xml, len, 1);
	free(xml);
	if (rc == 0 && s->etag[0] == '\0') {
		/* The object's ETag is in the answer, &quot;-escaped. */
		char raw[sizeof(s->etag)], *r, *w;

		xml_text(s->body, "ETag", raw, sizeof(raw));
		for (r = raw, w = s->etag; *r != '\0'; )
			if (strncmp(r, "&quot;", 6) == 0) {
				*w++ = '"';
				r += 6;
			} else
				*w++ = *r++;
		*w = '\0';
	}
	return rc;
}

int
s3_abort_multipart(struct s3 *s, const char *key, const char *upload_id)
{
	char q[1200];

	id_query(q, sizeof(q), 0, upload_id);
	return request(s, "DELETE", key, q, NULL, 0, 0);
}
