/*
 * awscred.c - the credential chain.  The endpoints are plain HTTP on a
 * link-local address, asked with short timeouts and no retry, as the
 * AWS CLI does, so a machine outside AWS finds out in about a second.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "awscred.h"
#include "http.h"
#include "json.h"

#define META_TIMEOUT_MS	1000L
/* A credentials file is a few profiles: /dev/zero or a log is not one. */
#define CRED_FILE_MAX	(1024 * 1024)

/*
 * A body is at most this: credentials are a few hundred bytes.  Its
 * buffer is allocated whole (never moved) and cleansed before it is
 * freed, so a secret leaves no copy behind.
 */
#define BODY_MAX	16383

static int
body_new(struct http_body *b)
{
	memset(b, 0, sizeof(*b));
	if ((b->buf = malloc(BODY_MAX + 1)) == NULL)
		return -1;
	b->cap = BODY_MAX + 1;
	b->max = BODY_MAX;
	return 0;
}

static void
body_free(struct http_body *b)
{
	OPENSSL_cleanse(b->buf, b->cap);
	http_body_free(b);
}

/* One request; returns the HTTP status (0 if none) with the body in b. */
static long
fetch(const char *method, const char *url, const char *header,
    struct http_body *b)
{
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;

	http_body_reset(b);
	if (c == NULL)
		return 0;
	if (header != NULL)
		h = curl_slist_append(NULL, header);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, META_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, META_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static int
copy(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* A string field of a JSON answer, unescaped into dst. */
static int
json_field(const char *doc, size_t len, const char *name, char *dst,
    size_t dstlen)
{
	char path[64], err[64], tmp[4096];
	struct json_path *p;
	const char *v;
	size_t vlen, n;
	enum json_kind k;

	snprintf(path, sizeof(path), ".%s", name);
	if ((p = json_path_compile(path, err, sizeof(err))) == NULL)
		return -1;
	k = json_lookup(doc, len, p, &v, &vlen);
	json_path_free(p);
	if (k != JSON_STRING || vlen > sizeof(tmp))
		return -1;
	n = json_unescape(v, vlen, tmp);
	return copy(dst, dstlen, tmp, n);
}

/* "2026-11-26T10:00:00Z" */
static time_t
parse_expiration(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

/* The JSON the container and instance endpoints answer. */
static int
from_json(struct awscred *c, const char *doc, size_t len, const char *id,
    const char *secret, const char *token)
{
	char exp[64];

	if (json_validate(doc, len, NULL) == -1 ||
	    json_field(doc, len, id, c->access_key,
	    sizeof(c->access_key)) == -1 ||
	    json_field(doc, len, secret, c->secret_key,
	    sizeof(c->secret_key)) == -1)
		return -1;
	/* "" is no key: an answer without them is not credentials. */
	if (c->access_key[0] == '\0' || c->secret_key[0] == '\0') {
		awscred_clear(c);
		return -1;
	}
	if (json_field(doc, len, token, c->token, sizeof(c->token)) == -1)
		c->token[0] = '\0';
	if (json_field(doc, len, "Expiration", exp, sizeof(exp)) == 0)
		c->expires = parse_expiration(exp);
	return 0;
}

static int
from_env(struct awscred *c)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (id == NULL || secret == NULL || *id == '\0' || *secret == '\0')
		return 1;
	if (copy(c->access_key, sizeof(c->access_key), id, strlen(id)) ||
	    copy(c->secret_key, sizeof(c->secret_key), secret,
	    strlen(secret)))
		return -1;
	if (token != NULL && copy(c->token, sizeof(c->token), token,
	    strlen(token)))
		return -1;
	snprintf(c->source, sizeof(c->source), "the environment");
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * The whole of fp, at most CRED_FILE_MAX bytes, NUL-terminated, into
 * *bufp (caller cleanses and frees).  Returns its length, or -1 with
 * errbuf set (a read error, or a file larger than that).
 */
static ssize_t
read_small(FILE *fp, const char *path, char **bufp, char *errbuf,
    size_t errlen)
{
	char *buf;
	size_t n;

	if ((*bufp = buf = malloc(CRED_FILE_MAX + 1)) == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(buf, 1, CRED_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (n > CRED_FILE_MAX) {
		snprintf(errbuf, errlen, "%s: larger than %d KiB, not an AWS "
		    "credentials file", path, CRED_FILE_MAX / 1024);
		return -1;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/*
 * The shared credentials file.  Returns 0 found, 1 not there (file or
 * profile), -1 with errbuf set when the profile was asked for by name
 * and is missing or incomplete, or the file cannot be read or is too
 * large (read to the end, /dev/zero would never end).
 */
static int
from_file(struct awscred *c, char *errbuf, size_t errlen)
{
	const char *path = getenv("AWS_SHARED_CREDENTIALS_FILE");
	const char *profile = getenv("AWS_PROFILE");
	const char *home = getenv("HOME");
	char def[4096], line[4096], *k, *v, *eq, *buf, *p, *nl;
	int in = 0, found = 0, named = profile != NULL && *profile != '\0';
	ssize_t len;
	size_t n;
	FILE *fp;

	if (!named)
		profile = "default";
	if (path == NULL || *path == '\0') {
		snprintf(def, sizeof(def), "%s/.aws/credentials",
		    home != NULL ? home : "");
		path = def;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		if (named) {
			snprintf(errbuf, errlen, "AWS_PROFILE=%s, but %s: %s",
			    profile, path, strerror(errno));
			return -1;
		}
		return 1;
	}
	len = read_small(fp, path, &buf, errbuf, errlen);
	fclose(fp);
	if (len == -1) {
		if (buf != NULL)
			OPENSSL_cleanse(buf, CRED_FILE_MAX + 1);
		free(buf);
		return -1;
	}
	for (p = buf; p < buf + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			nl = buf + len;
		n = (size_t)(nl - p) < sizeof(line) - 1 ? (size_t)(nl - p) :
		    sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		k = trim(line);
		if (*k == '[') {
			v = strchr(k, ']');
			if (v != NULL)
				*v = '\0';
			in = strcmp(trim(k + 1), profile) == 0;
			found |= in;
			continue;
		}
		if (!in || *k == '#' || *k == ';' ||
		    (eq = strchr(k, '=')) == NULL)
			continue;
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		if (strcmp(k, "aws_access_key_id") == 0)
			copy(c->access_key, sizeof(c->access_key), v,
			    strlen(v));
		else if (strcmp(k, "aws_secret_access_key") == 0)
			copy(c->secret_key, sizeof(c->secret_key), v,
			    strlen(v));
		else if (strcmp(k, "aws_session_token") == 0)
			copy(c->token, sizeof(c->token), v, strlen(v));
	}
	OPENSSL_cleanse(buf, (size_t)len);
	free(buf);
	OPENSSL_cleanse(line, sizeof(line));
	if (c->access_key[0] != '\0' && c->secret_key[0] != '\0') {
		snprintf(c->source, sizeof(c->source), "%.60s [%.30s]", path,
		    profile);
		return 0;
	}
	awscred_clear(c);
	if (named) {
		snprintf(errbuf, errlen, "AWS_PROFILE=%s: %s in %s", profile,
		    found ? "no aws_access_key_id and aws_secret_access_key" :
		    "no such profile", path);
		return -1;
	}
	return 1;
}

static int
from_container(struct awscred *c, char *errbuf, size_t errlen)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char url[2048], auth[2048];
	struct http_body b;
	long status;
	int rc;

	if (rel != NULL && *rel != '\0')
		snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
	else if (full != NULL && *full != '\0')
		snprintf(url, sizeof(url), "%s", full);
	else
		return 1;
	if (tok != NULL && *tok != '\0')
		snprintf(auth, sizeof(auth), "Authorization: %s", tok);
	if (body_new(&b) == -1)
		return -1;
	status = fetch("GET", url, tok != NULL && *tok != '\0' ? auth : NULL,
	    &b);
	rc = status == 200 ? from_json(c, b.buf, b.len, "AccessKeyId",
	    "SecretAccessKey", "Token") : -1;
	body_free(&b);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (rc == -1) {
		snprintf(errbuf, errlen, "the container credentials endpoint "
		    "%s answered %ld, not credentials", url, status);
		return -1;
	}
	snprintf(c->source, sizeof(c->source), "the container endpoint");
	return 0;
}

static int
from_imds(struct awscred *c, char *errbuf, size_t errlen)
{
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	char url[1024], hdr[1200], role[256];
	struct http_body b;
	long status;
	size_t n;
	int rc = -1;

	if (off != NULL && strcasecmp(off, "true") == 0)
		return 1;
	if (base == NULL || *base == '\0')
		base = "http://169.254.169.254";
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (body_new(&b) == -1)
		return -1;
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)n, base);
	status = fetch("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: "
	    "21600", &b);
	if (status != 200 || b.len == 0 || b.len > 1000) {
		body_free(&b);
		return 1;	/* no instance metadata here */
	}
	snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %.1000s", b.buf);
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/"
	    "security-credentials/", (int)n, base);
	status = fetch("GET", url, hdr, &b);
	if (status != 200 || b.len == 0 ||
	    copy(role, sizeof(role), b.buf, strcspn(b.buf, "\r\n"))) {
		snprintf(errbuf, errlen, "instance metadata at %.*s has no "
		    "IAM role (HTTP %ld)", (int)n, base, status);
		goto out;
	}
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/"
	    "security-credentials/%s", (int)n, base, role);
	status = fetch("GET", url, hdr, &b);
	if (status != 200 || from_json(c, b.buf, b.len, "AccessKeyId",
	    "SecretAccessKey", "Token") == -1) {
		snprintf(errbuf, errlen, "instance metadata at %.*s: role %s "
		    "answered %ld, not credentials", (int)n, base, role,
		    status);
		goto out;
	}
	snprintf(c->source, sizeof(c->source), "instance metadata (role "
	    "%.60s)", role);
	rc = 0;
out:
	body_free(&b);
	OPENSSL_cleanse(hdr, sizeof(hdr));
	return rc;
}

int
awscred_load(struct awscred *c, char *errbuf, size_t errlen)
{
	int rc;

	awscred_clear(c);
	if ((rc = from_env(c)) <= 0 ||
	    (rc = from_file(c, errbuf, errlen)) <= 0 ||
	    (rc = from_container(c, errbuf, errlen)) <= 0 ||
	    (rc = from_imds(c, errbuf, errlen)) <= 0) {
		if (rc == -1 && errbuf[0] == '\0')
			snprintf(errbuf, errlen, "credentials too long");
		return rc;
	}
	snprintf(errbuf, errlen, "no AWS credentials: not in the "
	    "environment (AWS_ACCESS_KEY_ID), the shared credentials file, "
	    "the container endpoint or instance metadata");
	return -1;
}

int
awscred_stale(const struct awscred *c, time_t now)
{
	return c->expires != 0 && c->expires - now < 300;
}

void
awscred_describe(const struct awscred *c, char *buf, size_t len)
{
	size_t n = strlen(c->access_key);

	snprintf(buf, len, "access key ****%s from %s",
	    n > 4 ? c->access_key + n - 4 : "", c->source);
}

void
awscred_clear(struct awscred *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
	memset(c, 0, sizeof(*c));
}
