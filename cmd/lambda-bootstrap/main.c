/*
 * lambda-bootstrap - a custom AWS Lambda runtime that runs a command per
 * invocation, such as the producer side (examples/producer.sh).
 *
 * It speaks the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API:
 * GET .../runtime/invocation/next for an event, then POST
 * .../invocation/ID/response or .../invocation/ID/error; a handler that
 * cannot run is reported to .../runtime/init/error before the first
 * event.  The event goes to the command's stdin; its stdout becomes the
 * response (as is when it is one JSON value, else as a JSON string); its
 * stderr goes to the function's log, and its last line is the error
 * message when the command fails.
 *
 * The invocation's deadline (Lambda-Runtime-Deadline-Ms) is passed on
 * as QP_DEADLINE_MS, HANDLER_RESERVE_MS earlier: the toolkit's stages
 * give up by then with their own message (kprod names the broker
 * failure), so the error posted is the handler's, not a bare timeout.
 * A command still running STOP_MARGIN_MS before the deadline is stopped
 * with its whole process group (SIGTERM, then SIGKILL) and a
 * Runtime.Timeout error posted, with its last words, while Lambda still
 * listens.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "stdfd.h"
#include "version.h"

#define API		"2018-06-01"
#define MAX_RESPONSE	(6 * 1024 * 1024)	/* Lambda's own limit */
#define HANDLER_RESERVE_MS 2500	/* QP_DEADLINE_MS: this much earlier */
#define STOP_MARGIN_MS	1500	/* a handler still running is stopped */
#define KILL_AFTER_MS	300	/* SIGTERM, then SIGKILL this much later */
#define LINGER_MS	200	/* the handler gone, its pipes still open */

extern char **environ;

struct buf {
	char	*p;
	size_t	 len, cap, max;
	int	 over;
};

struct invocation {
	char		 id[128];
	long long	 deadline_ms;
	char		 arn[512], trace[512];
	struct buf	 event;
};

static int
buf_add(struct buf *b, const char *data, size_t len)
{
	size_t cap;
	char *np;

	if (b->max && len > b->max - b->len) {
		b->over = 1;
		len = b->max - b->len;
	}
	if (len + 1 > b->cap - b->len) {
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < len + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	return buf_add(arg, data, size * n) == 0 ? size * n : 0;
}

static void
header_copy(const char *data, size_t len, size_t skip, char *dst, size_t dl)
{
	data += skip;
	len -= skip;
	while (len > 0 && (*data == ' ' || *data == '\t'))
		data++, len--;
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len >= dl)
		len = dl - 1;
	memcpy(dst, data, len);
	dst[len] = '\0';
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct invocation *inv = arg;
	size_t len = size * n;
	char num[32];

#define IS(h) (len > sizeof(h) - 1 && strncasecmp(data, h, sizeof(h) - 1) == 0)
	if (IS("Lambda-Runtime-Aws-Request-Id:"))
		header_copy(data, len, 30, inv->id, sizeof(inv->id));
	else if (IS("Lambda-Runtime-Deadline-Ms:")) {
		header_copy(data, len, 27, num, sizeof(num));
		inv->deadline_ms = strtoll(num, NULL, 10);
	} else if (IS("Lambda-Runtime-Invoked-Function-Arn:"))
		header_copy(data, len, 36, inv->arn, sizeof(inv->arn));
	else if (IS("Lambda-Runtime-Trace-Id:"))
		header_copy(data, len, 24, inv->trace, sizeof(inv->trace));
#undef IS
	return len;
}

/* POST body to the Runtime API path; returns the HTTP status (0: none). */
static long
post(const char *api, const char *path, const char *body, size_t len,
    const char *error_type)
{
	char url[1024], hdr[160];
	struct curl_slist *h = NULL;
	struct buf ignored = { 0 };
	CURL *c = curl_easy_init();
	long status = 0;

	if (c == NULL)
		return 0;
	snprintf(url, sizeof(url), "http://%s/%s/%s", api, API, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (error_type != NULL) {
		snprintf(hdr, sizeof(hdr), "Lambda-Runtime-Function-Error-Type: "
		    "%s", error_type);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ignored);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		log_err("POST %s failed", url);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(ignored.p);
	return status;
}

/* {"errorMessage": message, "errorType": type} posted to path. */
static void
post_error(const char *api, const char *path, const char *type,
    const char *message)
{
	size_t mlen = strnlen(message, 2000), tlen = strlen(type), len = 0;
	char *body = malloc(JSON_QUOTE_MAX(mlen) + JSON_QUOTE_MAX(tlen) + 32);

	log_err("%s: %s", type, message);
	if (body == NULL)
		return;
	memcpy(body, "{\"errorMessage\":", 16);
	len = 16 + json_quote(body + 16, message, mlen);
	memcpy(body + len, ",\"errorType\":", 13);
	len += 13;
	len += json_quote(body + len, type, tlen);
	body[len++] = '}';
	post(api, path, body, len, "Unhandled");
	free(body);
}

/* Is cmd runnable: a path that is executable, or a name on PATH? */
static int
runnable(const char *cmd)
{
	const char *path = getenv("PATH"), *p, *e;
	char buf[4096];

	if (strchr(cmd, '/') != NULL)
		return access(cmd, X_OK) == 0;
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p, cmd);
		if (access(buf, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* The handler's stderr, passed through to the log; its last line kept. */
struct tail {
	char	 line[4096];
	size_t	 len;
	char	 last[1024];
};

/*
 * Read what is there on fd into the log.  Returns 1 when it read some,
 * 0 when there was nothing to read yet, -1 at its end (the caller
 * closes it).
 */
static int
tail_read(struct tail *t, int fd)
{
	char chunk[65536];
	ssize_t n, i;

	if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
		return n == -1 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
	fwrite(chunk, 1, (size_t)n, stderr);
	for (i = 0; i < n; i++) {
		if (chunk[i] == '\n') {
			if (t->len > 0)
				snprintf(t->last, sizeof(t->last), "%.*s",
				    (int)t->len, t->line);
			t->len = 0;
		} else if (t->len < sizeof(t->line))
			t->line[t->len++] = chunk[i];
	}
	return 1;
}

/*
 * Stop the handler's process group: SIGTERM, then SIGKILL if it is still
 * there KILL_AFTER_MS later, reading its last words meanwhile.  Returns
 * with the handler reaped (*status) when it could be.
 */
static void
stop_group(pid_t pid, int *status, struct pollfd *err, struct tail *t)
{
	long long until = clock_mono_ms() + KILL_AFTER_MS, left;
	int reaped = 0;

	kill(-pid, SIGTERM);
	while ((left = until - clock_mono_ms()) > 0) {
		if (!reaped && waitpid(pid, status, WNOHANG) == pid)
			reaped = 1;
		if (reaped && err->fd < 0)
			break;
		if (err->fd < 0) {
			usleep(10000);
			continue;
		}
		if (poll(err, 1, (int)(left < 10 ? left : 10)) > 0 &&
		    tail_read(t, err->fd) == -1) {
			close(err->fd);
			err->fd = -1;
		}
	}
	kill(-pid, SIGKILL);
}

/*
 * Run the handler on one event.  Returns 0 (out holds its stdout), -1
 * for a failure with why filled, -2 for the deadline.
 */
static int
run(char **cmd, struct invocation *inv, struct buf *out, char *why,
    size_t whylen)
{
	int in[2], o[2], e[2], status = 0, timed_out = 0, reaped = 0;
	long long reaped_at = 0;
	char chunk[65536], id[160], dl[64], qdl[64];
	struct tail t;
	struct pollfd pfd[3];
	long long left;
	pid_t pid;
	ssize_t n;
	size_t off = 0;

	memset(&t, 0, sizeof(t));
	if (pipe(in) == -1 || pipe(o) == -1 || pipe(e) == -1) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	snprintf(id, sizeof(id), "%s", inv->id);
	snprintf(dl, sizeof(dl), "%lld", inv->deadline_ms);
	snprintf(qdl, sizeof(qdl), "%lld", inv->deadline_ms -
	    HANDLER_RESERVE_MS);
	if ((pid = fork()) == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* A group of its own, so that a stop reaches every stage. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);	/* ours is ignored */
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(in[0]); close(in[1]); close(o[0]); close(o[1]);
		close(e[0]); close(e[1]);
		setenv("LAMBDA_REQUEST_ID", id, 1);
		setenv("LAMBDA_DEADLINE_MS", dl, 1);
		setenv("QP_DEADLINE_MS", qdl, 1);
		if (inv->trace[0])
			setenv("_X_AMZN_TRACE_ID", inv->trace, 1);
		execvp(cmd[0], cmd);
		fprintf(stderr, "%s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* as the child does: whichever runs first */
	close(in[0]);
	close(o[1]);
	close(e[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	pfd[0] = (struct pollfd){ o[0], POLLIN, 0 };
	pfd[1] = (struct pollfd){ e[0], POLLIN, 0 };
	pfd[2] = (struct pollfd){ in[1], POLLOUT, 0 };
	/*
	 * Until the handler has exited and its pipes are closed, or the
	 * stop time.  Whatever of its process group outlives it is ended
	 * LINGER_MS later: nothing of one invocation runs into the next.
	 */
	while (!reaped || pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		left = inv->deadline_ms - STOP_MARGIN_MS - clock_epoch_ms();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
			reaped = 1;
			reaped_at = clock_mono_ms();
		}
		if (reaped && clock_mono_ms() - reaped_at >= LINGER_MS)
			break;
		if (poll(pfd, 3, (int)(left > 50 ? 50 : left)) == -1 &&
		    errno != EINTR)
			break;
		if (pfd[2].fd >= 0 && (pfd[2].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			n = write(in[1], inv->event.p + off,
			    inv->event.len - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 || off == inv->event.len) {
				close(in[1]);
				pfd[2].fd = -1;
			}
		}
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			if ((n = read(o[0], chunk, sizeof(chunk))) > 0)
				buf_add(out, chunk, (size_t)n);
			else {
				close(o[0]);
				pfd[0].fd = -1;
			}
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
		    tail_read(&t, e[0]) == -1) {
			close(e[0]);
			pfd[1].fd = -1;
		}
	}
	if (pfd[2].fd >= 0)
		close(in[1]);
	/* What the handler wrote before it went is still to be read. */
	if (pfd[0].fd >= 0) {
		fcntl(o[0], F_SETFL, O_NONBLOCK);
		while ((n = read(o[0], chunk, sizeof(chunk))) > 0)
			buf_add(out, chunk, (size_t)n);
		close(o[0]);
	}
	if (pfd[1].fd >= 0) {
		fcntl(e[0], F_SETFL, O_NONBLOCK);
		while (tail_read(&t, e[0]) == 1)
			;
	}
	if (timed_out && !reaped)
		stop_group(pid, &status, &pfd[1], &t);
	kill(-pid, SIGKILL);	/* what is left of the group */
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	while (!reaped && waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (t.len > 0)
		snprintf(t.last, sizeof(t.last), "%.*s", (int)t.len, t.line);
	if (timed_out) {
		snprintf(why, whylen, "%s was stopped %d ms before the "
		    "deadline%s%s", cmd[0], STOP_MARGIN_MS, t.last[0] ?
		    "; its last words: " : "", t.last);
		return -2;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, whylen, "%s exited %d%s%s", cmd[0],
		    WEXITSTATUS(status), t.last[0] ? ": " : "", t.last);
	else
		snprintf(why, whylen, "%s killed by signal %d%s%s", cmd[0],
		    WTERMSIG(status), t.last[0] ? ": " : "", t.last);
	return -1;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: lambda-bootstrap [-hqVv] [COMMAND [ARG ...]]\n");
}

int
main(int argc, char **argv)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *handler = getenv("_HANDLER");
	struct invocation inv;
	struct buf out;
	char *cmd_default[2], **cmd, url[1024], path[512], why[2048], *q;
	int ch, rc, verbosity = LOG_NOTICE;
	long status;
	CURL *c;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	/* '+': options end at COMMAND; its own options are its own. */
	while ((ch = getopt_long(argc, argv, "+hqVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			printf("\nA Lambda custom runtime: run COMMAND (else "
			    "$_HANDLER) for every invocation,\nthe event on its "
			    "stdin, its stdout the response.\n\n"
			    "  -h, --help     show this help and exit\n"
			    "  -q, --quiet    only errors on stderr\n"
			    "  -V, --version  print the version and exit\n"
			    "  -v, --verbose  more messages on stderr\n");
			return 0;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 'V':
			printf("lambda-bootstrap %s\n", QP_VERSION);
			return 0;
		case 'v':
			verbosity++;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	log_set_level(verbosity);
	if (api == NULL || *api == '\0') {
		log_err("AWS_LAMBDA_RUNTIME_API is not set: not running in "
		    "Lambda");
		return EX_CONFIG;
	}
	/* A handler that does not read its event must not end us. */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (optind < argc)
		cmd = argv + optind;
	else {
		cmd_default[0] = (char *)(handler ? handler : "");
		cmd_default[1] = NULL;
		cmd = cmd_default;
	}
	if (cmd[0][0] == '\0' || !runnable(cmd[0])) {
		snprintf(why, sizeof(why), "the handler %s cannot be run",
		    cmd[0][0] ? cmd[0] : "(none: give a COMMAND or _HANDLER)");
		post_error(api, "runtime/init/error", "Runtime.InvalidHandler",
		    why);
		curl_global_cleanup();
		return EX_CONFIG;
	}
	snprintf(url, sizeof(url), "http://%s/%s/runtime/invocation/next", api,
	    API);
	for (;;) {
		memset(&inv, 0, sizeof(inv));
		inv.event.max = MAX_RESPONSE;
		if ((c = curl_easy_init()) == NULL)
			break;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &inv.event);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &inv);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		status = 0;
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		if (status != 200 || inv.id[0] == '\0') {
			/* The Runtime API going away ends the environment. */
			log_err("%s: HTTP %ld", url, status);
			free(inv.event.p);
			break;
		}
		for (q = inv.id; *q; q++)	/* it goes into a URL path */
			if (strchr("/?#% ", *q))
				*q = '_';
		if (inv.event.p == NULL)
			buf_add(&inv.event, "", 0);
		log_info("invocation %s, %lld ms left", inv.id,
		    inv.deadline_ms - clock_epoch_ms());
		memset(&out, 0, sizeof(out));
		out.max = MAX_RESPONSE;
		rc = run(cmd, &inv, &out, why, sizeof(why));
		if (rc == 0 && out.over) {
			snprintf(why, sizeof(why), "the response is over "
			    "Lambda's 6 MB");
			rc = -1;
		}
		if (rc == 0) {
			snprintf(path, sizeof(path), "runtime/invocation/%s/"
			    "response", inv.id);
			if (out.p != NULL && json_validate(out.p, out.len, NULL)
			    == 0)
				post(api, path, out.p, out.len, NULL);
			else {
				/* Not JSON: the output as a JSON string. */
				char *s = malloc(JSON_QUOTE_MAX(out.len) + 1);
				size_t n = 0;

				if (s != NULL)
					n = json_quote(s, out.p ? out.p : "",
					    out.len);
				post(api, path, s ? s : "\"\"", s ? n : 2,
				    NULL);
				free(s);
			}
		} else {
			snprintf(path, sizeof(path), "runtime/invocation/%s/"
			    "error", inv.id);
			post_error(api, path, rc == -2 ? "Runtime.Timeout" :
			    "Runtime.HandlerFailed", why);
		}
		free(out.p);
		free(inv.event.p);
	}
	curl_global_cleanup();
	return EX_UNAVAILABLE;
}
