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
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "clock.h"
#include "http.h"
#include "json.h"
#include "log.h"

#define API		"2018-06-01"
#define MAX_RESPONSE	(6 * 1024 * 1024)	/* Lambda's own limit */
#define HANDLER_RESERVE_MS 2500	/* QP_DEADLINE_MS: this much earlier */
#define STOP_MARGIN_MS	1500	/* a handler still running is stopped */
#define KILL_AFTER_MS	300	/* SIGTERM, then SIGKILL this much later */
#define LINGER_MS	200	/* the handler gone, its pipes still open */

extern char **environ;

struct invocation {
	char		 id[128];
	long long	 deadline_ms;
	char		 arn[512], trace[512];
	struct http_body event;
};

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct invocation *inv = arg;
	size_t len = size * n;
	char num[32];

	if (http_header(data, len, "Lambda-Runtime-Deadline-Ms", num,
	    sizeof(num)))
		inv->deadline_ms = strtoll(num, NULL, 10);
	http_header(data, len, "Lambda-Runtime-Aws-Request-Id", inv->id,
	    sizeof(inv->id));
	http_header(data, len, "Lambda-Runtime-Invoked-Function-Arn", inv->arn,
	    sizeof(inv->arn));
	http_header(data, len, "Lambda-Runtime-Trace-Id", inv->trace,
	    sizeof(inv->trace));
	return len;
}

/* POST body to the Runtime API path; returns the HTTP status (0: none). */
static long
post(const char *api, const char *path, const char *body, size_t len,
    const char *error_type)
{
	char url[1024], hdr[160];
	struct curl_slist *h = NULL;
	struct http_body ignored = { 0 };	/* else curl prints it */
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
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ignored);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		log_err("POST %s failed", url);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	http_body_free(&ignored);
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
run(char **cmd, struct invocation *inv, struct http_body *out, char *why,
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
			n = write(in[1], inv->event.buf + off,
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
				http_body_add(out, chunk, (size_t)n);
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
			http_body_add(out, chunk, (size_t)n);
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

/*
 * GET the next invocation into inv (caller frees inv->event with
 * http_body_free).  Returns 0, or -1 when the Runtime API gave none: it
 * has gone, and the environment ends.  An event over MAX_RESPONSE comes
 * back with inv->event.too_big set, for an error to be posted.
 */
static int
next_invocation(const char *url, struct invocation *inv)
{
	long status = 0;
	CURLcode res;
	CURL *c;
	char *q;

	memset(inv, 0, sizeof(*inv));
	inv->event.max = MAX_RESPONSE;
	if ((c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &inv->event);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, inv);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	res = curl_easy_perform(c);
	if (res == CURLE_OK || (res == CURLE_WRITE_ERROR &&
	    inv->event.too_big))
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (status != 200 || inv->id[0] == '\0') {
		log_err("%s: HTTP %ld", url, status);
		http_body_free(&inv->event);
		return -1;
	}
	/* An empty event still has its buffer, for run() to write from. */
	if (!inv->event.too_big && http_body_add(&inv->event, "", 0) == -1) {
		log_err("out of memory");
		http_body_free(&inv->event);
		return -1;
	}
	for (q = inv->id; *q; q++)	/* it goes into a URL path */
		if (strchr("/?#% ", *q))
			*q = '_';
	return 0;
}

/* Post the outcome of inv: out, the handler's stdout (rc 0), or why. */
static void
respond(const char *api, const struct invocation *inv, int rc,
    const struct http_body *out, const char *why)
{
	char path[512], *s;
	size_t n = 0;

	if (rc != 0) {
		snprintf(path, sizeof(path), "runtime/invocation/%s/error",
		    inv->id);
		post_error(api, path, rc == -2 ? "Runtime.Timeout" :
		    "Runtime.HandlerFailed", why);
		return;
	}
	snprintf(path, sizeof(path), "runtime/invocation/%s/response",
	    inv->id);
	if (out->buf != NULL && json_validate(out->buf, out->len, NULL) == 0) {
		post(api, path, out->buf, out->len, NULL);
		return;
	}
	/* Not JSON: the output as a JSON string. */
	if ((s = malloc(JSON_QUOTE_MAX(out->len) + 1)) != NULL)
		n = json_quote(s, out->buf ? out->buf : "", out->len);
	post(api, path, s ? s : "\"\"", s ? n : 2, NULL);
	free(s);
}

/* Invocations, one after the other, until the Runtime API goes. */
static void
serve(const char *api, char **cmd)
{
	struct invocation inv;
	struct http_body out;
	char url[1024], why[2048];
	int rc;

	snprintf(url, sizeof(url), "http://%s/%s/runtime/invocation/next", api,
	    API);
	while (next_invocation(url, &inv) == 0) {
		log_info("invocation %s, %lld ms left", inv.id,
		    inv.deadline_ms - clock_epoch_ms());
		memset(&out, 0, sizeof(out));
		out.max = MAX_RESPONSE;
		if (inv.event.too_big) {
			snprintf(why, sizeof(why), "the event is over Lambda's "
			    "6 MB");
			rc = -1;
		} else if ((rc = run(cmd, &inv, &out, why, sizeof(why))) == 0 &&
		    out.too_big) {
			snprintf(why, sizeof(why), "the response is over "
			    "Lambda's 6 MB");
			rc = -1;
		}
		respond(api, &inv, rc, &out, why);
		http_body_free(&out);
		http_body_free(&inv.event);
	}
}

static const char usage[] =
    "usage: lambda-bootstrap [-hqVv] [COMMAND [ARG ...]]\n";
static const char help[] =
    "A Lambda custom runtime: run COMMAND (else $_HANDLER) for every "
    "invocation,\nthe event on its stdin, its stdout the response.\n\n"
    "  -h, --help     show this help and exit\n"
    "  -q, --quiet    only errors on stderr\n"
    "  -V, --version  print the version and exit\n"
    "  -v, --verbose  more messages on stderr\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_LONGOPTS };
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *handler = getenv("_HANDLER");
	struct cli cli = { .usage = usage, .help = help };
	char *cmd_default[2], **cmd, why[2048];
	int ch, st;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	cli.libs = curl_version();
	/* '+': options end at COMMAND; its own options are its own. */
	while ((ch = getopt_long(argc, argv, "+" CLI_SHORTOPTS, longopts,
	    NULL)) != -1)
		if ((st = cli_common(&cli, ch)) != CLI_GO_ON)
			return st;
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
	serve(api, cmd);
	curl_global_cleanup();
	return EX_UNAVAILABLE;
}
