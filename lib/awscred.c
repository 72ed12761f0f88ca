/*
 * awscred.c - the credential chain (awscred.h).  The metadata endpoints
 * are plain HTTP on a link-local address, asked with short timeouts and
 * no retry, as the AWS CLI does, so a machine outside AWS finds out in
 * about a second; STS and credential_process are lib/sts.c's and a
 * child process's.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "awsconf.h"
#include "awscred.h"
#include "clock.h"
#include "http.h"
#include "json.h"
#include "sts.h"

extern char **environ;

#define META_TIMEOUT_MS	1000L
/* The AWS CLI waits for a credential_process forever; not a pipeline. */
#define PROCESS_TIMEOUT_MS	120000
/* Role chains deeper than this are a loop the checks did not see. */
#define CHAIN_MAX	8

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

/* One request to a metadata endpoint; the HTTP status (0 if none). */
static long
fetch(const char *method, const char *url, const char *header,
    struct http_body *b)
{
	struct curl_slist *h = NULL;
	struct http_call call;
	char err[256];
	long status;

	if (header != NULL && (h = curl_slist_append(NULL, header)) == NULL)
		return 0;
	call = (struct http_call){ method, url, h, NULL, 0, META_TIMEOUT_MS,
	    NULL, 1 };
	status = http_call(&call, b, err, sizeof(err));
	curl_slist_free_all(h);
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

/* A top-level field of a JSON answer: its kind, its text in *v. */
static enum json_kind
json_top(const char *doc, size_t len, const char *name, const char **v,
    size_t *vlen)
{
	char path[64], err[64];
	struct json_path *p;
	enum json_kind k;

	snprintf(path, sizeof(path), ".%s", name);
	if ((p = json_path_compile(path, err, sizeof(err))) == NULL)
		return JSON_MISSING;
	k = json_lookup(doc, len, p, v, vlen);
	json_path_free(p);
	return k;
}

/* A string field of a JSON answer, unescaped into dst. */
static int
json_field(const char *doc, size_t len, const char *name, char *dst,
    size_t dstlen)
{
	char tmp[4096];
	const char *v;
	size_t vlen;

	int rc;

	if (json_top(doc, len, name, &v, &vlen) != JSON_STRING ||
	    vlen > sizeof(tmp))
		return -1;
	rc = copy(dst, dstlen, tmp, json_unescape(v, vlen, tmp));
	OPENSSL_cleanse(tmp, sizeof(tmp));	/* it may be a secret */
	return rc;
}

/* A number field of a JSON answer, as written, into dst. */
static int
json_number_text(const char *doc, size_t len, const char *name, char *dst,
    size_t dstlen)
{
	const char *v;
	size_t vlen;

	if (json_top(doc, len, name, &v, &vlen) != JSON_NUMBER)
		return -1;
	return copy(dst, dstlen, v, vlen);
}

/* "2026-11-26T10:00:00Z" */
static time_t
parse_expiration(const char *s)
{
	struct tm tm;
	const char *e;
	long off = 0;

	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*e == '.')			/* a fraction of a second */
		for (e++; isdigit((unsigned char)*e); e++)
			;
	/* Z, or an offset (credential_process may write +01:00). */
	if ((e[0] == '+' || e[0] == '-') && isdigit((unsigned char)e[1]) &&
	    isdigit((unsigned char)e[2]) && e[3] == ':' &&
	    isdigit((unsigned char)e[4]) && isdigit((unsigned char)e[5]))
		off = (e[0] == '-' ? -1 : 1) * ((e[1] - '0') * 36000L +
		    (e[2] - '0') * 3600L + (e[4] - '0') * 600L +
		    (e[5] - '0') * 60L);
	return timegm(&tm) - off;
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

	if ((id == NULL || *id == '\0') && (secret == NULL || *secret == '\0'))
		return 1;
	if (id == NULL || secret == NULL || *id == '\0' || *secret == '\0')
		return 2;	/* half a pair: the AWS CLI refuses it */
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

/* from_env, with half a key pair said: 0, 1 none, -1 errbuf set. */
static int
from_env_said(struct awscred *c, char *errbuf, size_t errlen)
{
	int rc = from_env(c);

	if (rc == 2)
		snprintf(errbuf, errlen, "partial credentials in the "
		    "environment: %s is set but %s is not",
		    getenv("AWS_ACCESS_KEY_ID") != NULL &&
		    *getenv("AWS_ACCESS_KEY_ID") ? "AWS_ACCESS_KEY_ID" :
		    "AWS_SECRET_ACCESS_KEY", getenv("AWS_ACCESS_KEY_ID") !=
		    NULL && *getenv("AWS_ACCESS_KEY_ID") ?
		    "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	return rc == 2 ? -1 : rc;
}

/*
 * Keys in one of the files (creds: the credentials file, else the
 * config file).  0 found, 1 none there, -1 only one of the two (the
 * AWS CLI refuses partial credentials too).
 */
static int
from_keys(struct awscred *c, const struct awsconf *conf, const char *profile,
    int creds, char *errbuf, size_t errlen)
{
	const char *(*get)(const struct awsconf *, const char *,
	    const char *) = creds ? awsconf_get_creds : awsconf_get_config;
	const char *id = get(conf, profile, "aws_access_key_id");
	const char *secret = get(conf, profile, "aws_secret_access_key");
	/* botocore asks for the older name first. */
	const char *token = get(conf, profile, "aws_security_token");

	if (token == NULL)
		token = get(conf, profile, "aws_session_token");
	/* No key id: not this provider's (botocore skips it too). */
	if (id == NULL || *id == '\0')
		return 1;
	if (id == NULL || secret == NULL || *id == '\0' || *secret == '\0') {
		snprintf(errbuf, errlen, "profile %s in %s has %s but not %s",
		    profile, creds ? conf->creds_path : conf->config_path,
		    id != NULL && *id ? "aws_access_key_id" :
		    "aws_secret_access_key", id != NULL && *id ?
		    "aws_secret_access_key" : "aws_access_key_id");
		return -1;
	}
	if (copy(c->access_key, sizeof(c->access_key), id, strlen(id)) ||
	    copy(c->secret_key, sizeof(c->secret_key), secret,
	    strlen(secret)) || (token != NULL && copy(c->token,
	    sizeof(c->token), token, strlen(token)))) {
		awscred_clear(c);
		snprintf(errbuf, errlen, "profile %s in %s: a key or token "
		    "too long", profile, creds ? conf->creds_path :
		    conf->config_path);
		return -1;
	}
	snprintf(c->source, sizeof(c->source), "%.100s [%.60s]", creds ?
	    conf->creds_path : conf->config_path, profile);
	return 0;
}

/*
 * A command line split as a POSIX shell splits words (botocore's
 * shlex.split): blanks separate, '...' is literal, "..." allows \" and
 * \\, a backslash outside quotes quotes the next byte.  Writes the words
 * into buf (as long as line), pointers into argv[max].  Returns the
 * count, or -1 (an open quote, too many words).
 */
static int
split_words(const char *line, char *buf, char **argv, int max)
{
	const char *s = line;
	char *d = buf;
	int n = 0, in_word = 0;
	char q = 0;

	for (; *s != '\0'; s++) {
		if (q == 0 && (*s == ' ' || *s == '\t' || *s == '\n')) {
			if (in_word) {
				*d++ = '\0';
				in_word = 0;
			}
			continue;
		}
		if (!in_word) {
			if (n == max - 1)
				return -1;
			argv[n++] = d;
			in_word = 1;
		}
		if (q == 0 && (*s == '\'' || *s == '"'))
			q = *s;
		else if (q != 0 && *s == q)
			q = 0;
		else if (*s == '\\' && q != '\'' && s[1] != '\0' &&
		    (q == 0 || s[1] == '"' || s[1] == '\\'))
			*d++ = *++s;
		else
			*d++ = *s;
	}
	if (q != 0)
		return -1;
	if (in_word)
		*d++ = '\0';
	argv[n] = NULL;
	return n;
}

/*
 * credential_process: the command run (no shell, as the AWS CLI runs
 * it), its stdout the JSON of the published format (Version 1,
 * AccessKeyId, SecretAccessKey, SessionToken, Expiration); its stderr
 * is the user's.  0, or -1 with errbuf set.
 */
static int
from_process(struct awscred *c, const char *cmd, const char *profile,
    char *errbuf, size_t errlen)
{
	char *words, *argv[64], ver[16];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	struct http_body b;
	long long deadline;
	int fds[2], st, rc = -1, timed_out = 0;
	pid_t pid;
	ssize_t n;

	if ((words = malloc(strlen(cmd) + 1)) == NULL)
		return -1;
	if (split_words(cmd, words, argv, 64) < 1) {
		snprintf(errbuf, errlen, "profile %s: credential_process is "
		    "not a command line (an open quote, or empty)", profile);
		free(words);
		return -1;
	}
	if (body_new(&b) == -1 || pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(errbuf, errlen, "profile %s: credential_process: %s",
		    profile, strerror(errno));
		free(words);
		body_free(&b);
		return -1;
	}
	/*
	 * Its stdin is not ours (that is the data s3put stores), and it
	 * starts with the signals a command expects: none blocked, SIGPIPE
	 * and SIGXFSZ not ignored as they may be here.
	 */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGXFSZ);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	st = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (st != 0) {
		snprintf(errbuf, errlen, "profile %s: credential_process "
		    "%.200s: %s", profile, argv[0], strerror(st));
		close(fds[0]);
		goto out;
	}
	/* Bounded: a helper that never answers must not hang the run. */
	deadline = clock_mono_ms() + PROCESS_TIMEOUT_MS;
	for (;;) {
		char chunk[4096];
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		long long left = deadline - clock_mono_ms();

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) <= 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		(void)http_body_add(&b, chunk, (size_t)n);
		OPENSSL_cleanse(chunk, sizeof(chunk));
	}
	close(fds[0]);
	/* Its stdout closed, it may still run: wait, within the bound. */
	for (;;) {
		pid_t w = waitpid(pid, &st, timed_out ? 0 : WNOHANG);

		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			st = -1;	/* not ours to wait for: a failure */
			break;
		}
		if (w == 0 && clock_mono_ms() >= deadline) {
			timed_out = 1;
			kill(pid, SIGKILL);
		} else if (w == 0)
			(void)poll(NULL, 0, 20);
	}
	if (timed_out) {
		snprintf(errbuf, errlen, "profile %s: credential_process "
		    "%.200s did not answer within %d s", profile, argv[0],
		    PROCESS_TIMEOUT_MS / 1000);
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(errbuf, errlen, "profile %s: credential_process "
		    "%.200s %s %d", profile, argv[0], WIFEXITED(st) ?
		    "exited" : "was killed by signal", WIFEXITED(st) ?
		    WEXITSTATUS(st) : WTERMSIG(st));
		goto out;
	}
	if (b.too_big || b.buf == NULL || json_validate(b.buf, b.len,
	    NULL) == -1) {
		snprintf(errbuf, errlen, "profile %s: credential_process "
		    "%.200s: its output is not %s", profile, argv[0],
		    b.too_big ? "a few KiB" : "JSON");
		goto out;
	}
	if (json_number_text(b.buf, b.len, "Version", ver, sizeof(ver)) ==
	    -1 || strcmp(ver, "1") != 0) {
		snprintf(errbuf, errlen, "profile %s: credential_process "
		    "%.200s: Version is not 1", profile, argv[0]);
		goto out;
	}
	if (from_json(c, b.buf, b.len, "AccessKeyId", "SecretAccessKey",
	    "SessionToken") == -1) {
		snprintf(errbuf, errlen, "profile %s: credential_process "
		    "%.200s: no AccessKeyId and SecretAccessKey in its output",
		    profile, argv[0]);
		goto out;
	}
	snprintf(c->source, sizeof(c->source), "credential_process of "
	    "profile %.100s", profile);
	rc = 0;
out:
	body_free(&b);
	free(words);
	return rc;
}

/*
 * May the container token be sent to full?  HTTPS anywhere; plain HTTP
 * only to ECS's and EKS's link-local endpoints and to loopback (the AWS
 * SDKs' rule; the AWS CLI 2.9 allowed only 169.254.170.2, localhost and
 * 127.0.0.1).  A user:password@ is refused: the host is not what it
 * seems.
 */
static int
container_host_ok(const char *full)
{
	static const char *hosts[] = { "169.254.170.2", "169.254.170.23",
	    "localhost", "[::1]", "[fd00:ec2::23]", NULL };
	const char *h;
	size_t n, i;

	if (strncasecmp(full, "https://", 8) == 0)
		h = full + 8;
	else if (strncasecmp(full, "http://", 7) == 0)
		h = full + 7;
	else
		return 0;
	n = strcspn(h, "/?#");
	if (memchr(h, '@', n) != NULL)
		return 0;
	if (h == full + 8)
		return 1;
	if (h[0] != '[')
		n = strcspn(h, ":/?#");
	else if (memchr(h, ']', n) != NULL)
		n = (size_t)((const char *)memchr(h, ']', n) - h) + 1;
	for (i = 0; hosts[i] != NULL; i++)
		if (strlen(hosts[i]) == n && strncasecmp(h, hosts[i], n) == 0)
			return 1;
	return n > 4 && strncmp(h, "127.", 4) == 0 &&
	    strspn(h, "0123456789.") == n;
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
	else if (full != NULL && *full != '\0') {
		if (!container_host_ok(full)) {
			snprintf(errbuf, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_"
			    "URI %.200s: over plain HTTP only the container "
			    "endpoints (169.254.170.2, 169.254.170.23) and this "
			    "machine are asked, as the AWS SDKs do: the "
			    "authorization token goes nowhere else", full);
			return -1;
		}
		snprintf(url, sizeof(url), "%s", full);
	} else
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

/* The path of a web identity token file: its contents, trimmed. */
static char *
read_token(const char *path, char *errbuf, size_t errlen)
{
	struct http_body b;
	char chunk[4096], *t;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "web identity token file %.200s: %s",
		    path, strerror(errno));
		return NULL;
	}
	if (body_new(&b) == -1) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		(void)http_body_add(&b, chunk, (size_t)n);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	if (n == -1 || b.too_big || b.buf == NULL) {
		snprintf(errbuf, errlen, "web identity token file %.200s: %s",
		    path, n == -1 ? strerror(errno) : b.too_big ?
		    "larger than 16 KiB" : "empty");
		body_free(&b);
		return NULL;
	}
	while (b.len > 0 && isspace((unsigned char)b.buf[b.len - 1]))
		b.buf[--b.len] = '\0';
	for (t = b.buf; isspace((unsigned char)*t); t++)
		;
	if (*t == '\0') {
		snprintf(errbuf, errlen, "web identity token file %.200s: "
		    "empty", path);
		body_free(&b);
		return NULL;
	}
	memmove(b.buf, t, strlen(t) + 1);
	return b.buf;	/* caller cleanses BODY_MAX + 1 bytes and frees */
}

/* The session name the AWS CLI makes when none is set. */
static void
default_session(char *buf, size_t len)
{
	snprintf(buf, len, "botocore-session-%lld", (long long)time(NULL));
}

/* An STS call for conf's region and STS endpoint. */
static void
sts_setup(struct sts_call *r, const struct awsconf *conf, char *url,
    size_t urllen)
{
	char from[256];

	awsconf_endpoint(conf, "sts", url, urllen, from, sizeof(from));
	memset(r, 0, sizeof(*r));
	r->endpoint = url;
	r->region = conf->region;
	r->global = strcmp(conf->region_from, "the default") == 0;
	r->ca_bundle = conf->ca_bundle;
}

static int
web_identity(struct awscred *c, const struct awsconf *conf,
    const char *profile, int env_ok, char *errbuf, size_t errlen)
{
	const char *file = NULL, *arn = NULL, *name = NULL;
	char session[64], url[1024], *token;
	struct sts_call r;
	int rc;

	if (env_ok) {
		file = getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
		arn = getenv("AWS_ROLE_ARN");
		name = getenv("AWS_ROLE_SESSION_NAME");
	}
	if (file == NULL || *file == '\0')
		file = awsconf_get(conf, profile, "web_identity_token_file");
	if (file == NULL || *file == '\0')
		return 1;
	if (arn == NULL || *arn == '\0')
		arn = awsconf_get(conf, profile, "role_arn");
	if (name == NULL || *name == '\0')
		name = awsconf_get(conf, profile, "role_session_name");
	if (arn == NULL || *arn == '\0') {
		snprintf(errbuf, errlen, "a web identity token file (%.200s) "
		    "but no role ARN (AWS_ROLE_ARN, or role_arn in profile "
		    "%s)", file, profile);
		return -1;
	}
	if (name == NULL || *name == '\0') {
		default_session(session, sizeof(session));
		name = session;
	}
	if ((token = read_token(file, errbuf, errlen)) == NULL)
		return -1;
	sts_setup(&r, conf, url, sizeof(url));
	r.role_arn = arn;
	r.session_name = name;
	r.web_token = token;
	rc = sts_assume(&r, c, errbuf, errlen);
	OPENSSL_cleanse(token, BODY_MAX + 1);
	free(token);
	if (rc == 0)
		snprintf(c->source, sizeof(c->source), "role %.160s "
		    "(AssumeRoleWithWebIdentity)", arn);
	return rc;
}

static int	from_profile(struct awscred *, const struct awsconf *,
		    const char *, int, int, const char **, int, char *,
		    size_t);

/* credential_source: one of the three the AWS CLI names. */
static int
from_source(struct awscred *c, const char *src, const char *profile,
    char *errbuf, size_t errlen)
{
	int rc;

	if (strcmp(src, "Environment") == 0)
		rc = from_env_said(c, errbuf, errlen);
	else if (strcmp(src, "EcsContainer") == 0)
		rc = from_container(c, errbuf, errlen);
	else if (strcmp(src, "Ec2InstanceMetadata") == 0)
		rc = from_imds(c, errbuf, errlen);
	else {
		snprintf(errbuf, errlen, "profile %s: credential_source %.40s "
		    "is not Environment, Ec2InstanceMetadata or EcsContainer",
		    profile, src);
		return -1;
	}
	if (rc == 1)
		snprintf(errbuf, errlen, "profile %s: no credentials from "
		    "its credential_source %s", profile, src);
	if (rc == -1 && errbuf[0] == '\0')
		snprintf(errbuf, errlen, "profile %s: credential_source %s: "
		    "credentials too long", profile, src);
	return rc == 0 ? 0 : -1;
}

/*
 * role_arn: the source's credentials, then AssumeRole with them.
 * visited holds the profiles met on the way (a loop is an error, but a
 * profile may be its own source when it has keys of its own).
 */
static int
assume_role(struct awscred *c, const struct awsconf *conf,
    const char *profile, const char **visited, int nvisited, char *errbuf,
    size_t errlen)
{
	const char *arn = awsconf_get(conf, profile, "role_arn");
	const char *sp = awsconf_get(conf, profile, "source_profile");
	const char *cs = awsconf_get(conf, profile, "credential_source");
	const char *ext = awsconf_get(conf, profile, "external_id");
	const char *name = awsconf_get(conf, profile, "role_session_name");
	const char *dur = awsconf_get(conf, profile, "duration_seconds");
	char session[64], url[1024], how[160];
	struct awscred src;
	struct sts_call r;
	long long d = 0;
	int rc, i, keys;

	if (sp != NULL && cs != NULL) {
		snprintf(errbuf, errlen, "profile %s has both source_profile "
		    "and credential_source", profile);
		return -1;
	}
	if (sp == NULL && cs == NULL) {
		snprintf(errbuf, errlen, "profile %s has role_arn but neither "
		    "source_profile nor credential_source", profile);
		return -1;
	}
	if (awsconf_get(conf, profile, "mfa_serial") != NULL) {
		snprintf(errbuf, errlen, "profile %s: mfa_serial asks for a "
		    "code typed in, which a pipeline cannot do: assume the "
		    "role first (aws sts assume-role) and pass the "
		    "credentials in the environment", profile);
		return -1;
	}
	if (dur != NULL) {
		char *e;

		errno = 0;
		d = strtoll(dur, &e, 10);
		if (*dur == '\0' || *e != '\0' || errno != 0 || d < 1 ||
		    d > 43200)
			d = 0;	/* the AWS CLI ignores what is not a number */
	}
	awscred_clear(&src);
	if (cs != NULL) {
		if (from_source(&src, cs, profile, errbuf, errlen) == -1)
			return -1;
		snprintf(how, sizeof(how), "credential_source %.40s", cs);
	} else {
		if (!awsconf_has_profile(conf, sp)) {
			snprintf(errbuf, errlen, "the source_profile %.60s of "
			    "profile %s is in neither %s nor %s", sp, profile,
			    conf->config_path, conf->creds_path);
			return -1;
		}
		keys = awsconf_get(conf, sp, "aws_access_key_id") != NULL ||
		    awsconf_get(conf, sp, "aws_secret_access_key") != NULL;
		for (i = 0; i < nvisited; i++)
			if (strcmp(visited[i], sp) == 0 &&
			    (strcmp(sp, profile) != 0 || !keys)) {
				snprintf(errbuf, errlen, "profile %s: its "
				    "source_profile %.60s makes a loop",
				    profile, sp);
				return -1;
			}
		if (nvisited >= CHAIN_MAX) {
			snprintf(errbuf, errlen, "profile %s: a chain of more "
			    "than %d roles", profile, CHAIN_MAX);
			return -1;
		}
		visited[nvisited] = sp;
		/* A source with keys, or no role, is read as a profile. */
		rc = from_profile(&src, conf, sp, 0, keys ||
		    awsconf_get(conf, sp, "role_arn") == NULL, visited,
		    nvisited + 1, errbuf, errlen);
		if (rc == 1)
			snprintf(errbuf, errlen, "the source_profile %.60s of "
			    "profile %s has no credentials", sp, profile);
		if (rc != 0)
			return rc == -2 ? -2 : -1;
		snprintf(how, sizeof(how), "source profile %.60s", sp);
	}
	if (name == NULL || *name == '\0') {
		default_session(session, sizeof(session));
		name = session;
	}
	sts_setup(&r, conf, url, sizeof(url));
	r.signer = &src;
	r.role_arn = arn;
	r.session_name = name;
	r.external_id = ext;
	r.duration = (long)d;
	rc = sts_assume(&r, c, errbuf, errlen);
	awscred_clear(&src);
	if (rc == 0)
		snprintf(c->source, sizeof(c->source), "role %.150s "
		    "(AssumeRole with %.80s)", arn, how);
	return rc;
}

/*
 * The providers that read a profile, in botocore's order: its role
 * (unless no_role: a source profile with keys), web identity (the
 * environment's only if env_ok), the credentials file, the
 * credential_process, the config file.  0 found, 1 nothing there, -1
 * errbuf says why.
 */
static int
from_profile(struct awscred *c, const struct awsconf *conf,
    const char *profile, int env_ok, int no_role, const char **visited,
    int nvisited, char *errbuf, size_t errlen)
{
	const char *proc;
	int rc;

	if (!no_role && awsconf_get(conf, profile, "role_arn") != NULL &&
	    awsconf_get(conf, profile, "web_identity_token_file") == NULL)
		return assume_role(c, conf, profile, visited, nvisited, errbuf,
		    errlen);
	if ((rc = web_identity(c, conf, profile, env_ok, errbuf, errlen)) <= 0)
		return rc;
	if ((rc = from_keys(c, conf, profile, 1, errbuf, errlen)) <= 0)
		return rc;
	if ((proc = awsconf_get(conf, profile, "credential_process")) != NULL &&
	    *proc != '\0')
		return from_process(c, proc, profile, errbuf, errlen);
	if ((rc = from_keys(c, conf, profile, 0, errbuf, errlen)) <= 0)
		return rc;
	/* Said only when nothing else in the profile gives credentials. */
	if (awsconf_get(conf, profile, "sso_start_url") != NULL ||
	    awsconf_get(conf, profile, "sso_session") != NULL) {
		snprintf(errbuf, errlen, "profile %s uses IAM Identity Center "
		    "(sso_*), whose token cache this tool does not read: give "
		    "it a credential_process, or pass credentials in the "
		    "environment", profile);
		return -1;
	}
	return 1;
}

int
awscred_load(struct awscred *c, const struct awsconf *conf, char *errbuf,
    size_t errlen)
{
	const char *visited[CHAIN_MAX + 1];
	int explicit = strcmp(conf->profile_from, "--profile") == 0, rc;

	awscred_clear(c);
	errbuf[0] = '\0';
	visited[0] = conf->profile;
	/* --profile names the source: the environment's keys step aside. */
	if ((!explicit && (rc = from_env_said(c, errbuf, errlen)) <= 0) ||
	    (rc = from_profile(c, conf, conf->profile, !explicit, 0, visited,
	    1, errbuf, errlen)) <= 0 ||
	    (rc = from_container(c, errbuf, errlen)) <= 0 ||
	    (rc = from_imds(c, errbuf, errlen)) <= 0) {
		if (rc < 0 && errbuf[0] == '\0')
			snprintf(errbuf, errlen, "credentials too long");
		if (rc < 0)
			awscred_clear(c);
		return rc;
	}
	snprintf(errbuf, errlen, "no AWS credentials: not in the "
	    "environment (AWS_ACCESS_KEY_ID), the profile %s (%s, %s), the "
	    "container endpoint or instance metadata", conf->profile,
	    conf->creds_path, conf->config_path);
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
