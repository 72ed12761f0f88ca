/*
 * sts.c - AssumeRole and AssumeRoleWithWebIdentity (sts.h): a form
 * POSTed to the STS endpoint, the answer's <Credentials> read back.
 * Every buffer that held a secret, a token or the answer is cleansed.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "awscred.h"
#include "http.h"
#include "sigv4.h"
#include "sts.h"
#include "xml.h"

#define STS_TIMEOUT_MS	30000L
#define STS_BODY_MAX	65535
#define STS_TRIES	3

/* A form's "&name=value", the value URI-encoded; -1 if it does not fit. */
static int
form_add(char *form, size_t cap, size_t *len, const char *name,
    const char *value)
{
	size_t need = strlen(name) + 3 * strlen(value) + 3;

	if (*len + need >= cap)
		return -1;
	*len += (size_t)snprintf(form + *len, cap - *len, "%s%s=", *len ? "&" :
	    "", name);
	*len += sigv4_uri_encode(value, 0, form + *len);
	return 0;
}

static void
cleanse_free(char *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
	free(p);
}

int
sts_parse(const char *body, size_t len, struct awscred *out)
{
	static const char *tags[] = { "AccessKeyId", "SecretAccessKey",
	    "SessionToken", "Expiration" };
	char *dst[4] = { out->access_key, out->secret_key, out->token, NULL };
	size_t cap[4] = { sizeof(out->access_key), sizeof(out->secret_key),
	    sizeof(out->token), 0 };
	const char *end = body + len, *c, *next;
	char *v;
	int i, unclosed, rc = 0;

	if ((c = memmem(body, len, "<Credentials>", 13)) == NULL ||
	    memmem(c, (size_t)(end - c), "</Credentials>", 14) == NULL)
		return -1;
	for (i = 0; i < 4 && rc == 0; i++) {
		if ((v = xml_take(c, end, tags[i], &next, &unclosed)) == NULL) {
			rc = -1;
			break;
		}
		if (dst[i] == NULL) {
			struct tm tm;

			memset(&tm, 0, sizeof(tm));
			if (strptime(v, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
				rc = -1;
			else
				out->expires = timegm(&tm);
		} else if (*v == '\0' || strlen(v) >= cap[i])
			rc = -1;
		else
			memcpy(dst[i], v, strlen(v) + 1);
		cleanse_free(v, strlen(v));
	}
	if (rc == -1) {
		OPENSSL_cleanse(out->access_key, sizeof(out->access_key));
		OPENSSL_cleanse(out->secret_key, sizeof(out->secret_key));
		OPENSSL_cleanse(out->token, sizeof(out->token));
		out->expires = 0;
	}
	return rc;
}

/* scheme://authority[/path] of url into host and path ("/" if none). */
static int
split_url(const char *url, char *host, size_t hostlen, char *path,
    size_t pathlen)
{
	const char *a = strstr(url, "://"), *p;

	if (a == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return -1;
	a += 3;
	p = a + strcspn(a, "/?#");
	if (p == a || (size_t)(p - a) >= hostlen)
		return -1;
	snprintf(host, hostlen, "%.*s", (int)(p - a), a);
	if (*p == '/')
		snprintf(path, pathlen, "%.*s", (int)strcspn(p, "?#"), p);
	else
		snprintf(path, pathlen, "/");
	return 0;
}

int
sts_assume(const struct sts_call *r, struct awscred *out, char *why,
    size_t whylen)
{
	char url[1024], host[512], path[512], amz[17], sha[SIGV4_SHA256_HEX];
	char auth[SIGV4_AUTH_MAX], err[512], code[64], msg[256], dur[24];
	char *form = NULL, *hdr = NULL;
	size_t cap, len = 0, hdrcap = 0;
	struct sigv4_header sh[5];
	struct sigv4_request req;
	struct sigv4_key key;
	struct curl_slist *hl = NULL, *nl;
	struct http_body b;
	struct http_call call;
	long status = 0;
	int rc = -1, nh = 0, i, try, transient = 0;
	const char *action = r->signer != NULL ? "AssumeRole" :
	    "AssumeRoleWithWebIdentity";

	/* A buffer of its own that never moves: it will hold secrets. */
	memset(&b, 0, sizeof(b));
	if ((b.buf = malloc(STS_BODY_MAX + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	b.cap = STS_BODY_MAX + 1;
	b.max = STS_BODY_MAX;
	form = NULL;
	cap = 0;
	if (r->endpoint != NULL && *r->endpoint != '\0')
		snprintf(url, sizeof(url), "%s", r->endpoint);
	else if (r->global)
		snprintf(url, sizeof(url), "https://sts.amazonaws.com/");
	else
		snprintf(url, sizeof(url), "https://sts.%s.amazonaws.com/",
		    r->region);
	if (split_url(url, host, sizeof(host), path, sizeof(path)) == -1) {
		snprintf(why, whylen, "STS endpoint %.200s: expected a URL "
		    "such as https://sts.eu-north-1.amazonaws.com", url);
		goto out;
	}
	cap = 512 + 3 * (strlen(r->role_arn) + strlen(r->session_name) +
	    (r->external_id ? strlen(r->external_id) : 0) +
	    (r->web_token ? strlen(r->web_token) : 0));
	if ((form = malloc(cap)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	snprintf(dur, sizeof(dur), "%ld", r->duration);
	if (form_add(form, cap, &len, "Action", action) == -1 ||
	    (r->duration > 0 && form_add(form, cap, &len, "DurationSeconds",
	    dur) == -1) ||
	    (r->external_id != NULL && form_add(form, cap, &len, "ExternalId",
	    r->external_id) == -1) ||
	    form_add(form, cap, &len, "RoleArn", r->role_arn) == -1 ||
	    form_add(form, cap, &len, "RoleSessionName",
	    r->session_name) == -1 ||
	    form_add(form, cap, &len, "Version", "2011-06-15") == -1 ||
	    (r->web_token != NULL && form_add(form, cap, &len,
	    "WebIdentityToken", r->web_token) == -1)) {
		snprintf(why, whylen, "%s: the request does not fit", action);
		goto out;
	}
	for (try = 1; try <= STS_TRIES; try++) {
		curl_slist_free_all(hl);
		hl = NULL;
		nh = 0;
		sigv4_amz_date((long long)time(NULL), amz);
		sigv4_sha256_hex(form, len, sha);
		sh[nh++] = (struct sigv4_header){ "content-type",
		    "application/x-www-form-urlencoded; charset=utf-8" };
		sh[nh++] = (struct sigv4_header){ "host", host };
		sh[nh++] = (struct sigv4_header){ "x-amz-date", amz };
		if (r->signer != NULL && r->signer->token[0] != '\0')
			sh[nh++] = (struct sigv4_header){
			    "x-amz-security-token", r->signer->token };
		auth[0] = '\0';
		if (r->signer != NULL) {
			req = (struct sigv4_request){ "POST", path, "", sh,
			    (size_t)nh, sha };
			key = (struct sigv4_key){ r->signer->access_key,
			    r->signer->secret_key, r->region, "sts" };
			if (sigv4_authorization(&req, &key, amz, auth,
			    sizeof(auth)) == -1) {
				snprintf(why, whylen, "%s: cannot sign the "
				    "request", action);
				goto out;
			}
			sh[nh++] = (struct sigv4_header){ "Authorization",
			    auth };
		}
		for (i = 0; i < nh; i++) {
			size_t n = strlen(sh[i].name) + strlen(sh[i].value) + 3;

			if (n > hdrcap) {
				cleanse_free(hdr, hdrcap);
				if ((hdr = malloc(n)) == NULL) {
					hdrcap = 0;
					snprintf(why, whylen, "out of memory");
					goto out;
				}
				hdrcap = n;
			}
			snprintf(hdr, n, "%s: %s", sh[i].name, sh[i].value);
			if ((nl = curl_slist_append(hl, hdr)) == NULL) {
				snprintf(why, whylen, "out of memory");
				goto out;
			}
			hl = nl;
			OPENSSL_cleanse(hdr, hdrcap);
		}
		call = (struct http_call){ "POST", url, hl, form, len,
		    STS_TIMEOUT_MS, r->ca_bundle, 0 };
		status = http_call(&call, &b, err, sizeof(err));
		code[0] = '\0';
		if (status != 0 && status != 200)
			xml_text(b.buf, "Code", code, sizeof(code));
		/* Not there, 5xx, 429 or STS's Throttling: ask again. */
		transient = status == 0 || status >= 500 || status == 429 ||
		    strcmp(code, "Throttling") == 0;
		if (status == 200 || !transient || try == STS_TRIES)
			break;
		(void)poll(NULL, 0, (int)http_backoff_ms(try, 500, 5000));
	}
	if (status == 200 && b.buf != NULL && sts_parse(b.buf, b.len,
	    out) == 0) {
		rc = 0;
		goto out;
	}
	if (transient)
		rc = -2;	/* still failing after the retries */
	if (status == 0) {
		snprintf(why, whylen, "%s at %s: %s", action, url, err);
		goto out;
	}
	xml_text(b.buf, "Code", code, sizeof(code));
	xml_text(b.buf, "Message", msg, sizeof(msg));
	if (status == 200)
		snprintf(why, whylen, "%s at %s: the answer holds no whole "
		    "<Credentials>", action, url);
	else
		snprintf(why, whylen, "%s at %s: HTTP %ld%s%s%s%s", action,
		    url, status, code[0] ? " " : "", code, msg[0] ? ": " : "",
		    msg);
out:
	curl_slist_free_all(hl);
	cleanse_free(hdr, hdrcap);
	cleanse_free(form, cap);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (b.buf != NULL)
		OPENSSL_cleanse(b.buf, b.cap);
	http_body_free(&b);
	return rc;
}
