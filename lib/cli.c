/*
 * cli.c - the options every tool has, option values, the bad-line
 * summary (cli.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "num.h"
#include "stats.h"
#include "stdfd.h"
#include "version.h"

static char **cli_argv;		/* for the option a user wrote */

int
cli_start(struct cli *c, char **argv)
{
	char why[256];

	cli_argv = argv;
	opterr = 0;			/* said here, in one line */
	if (stdfd_open() == -1)		/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	if (stats_init(argv[0], why, sizeof(why)) == -1) {
		log_err("%s", why);
		return EX_CONFIG;
	}
	c->verbosity = LOG_NOTICE;
	return CLI_GO_ON;
}

int
cli_usage(const struct cli *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	(void)c;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_err("%s", why);
	return EX_USAGE;
}

/*
 * The option getopt_long() just refused, as the user wrote it: "-P",
 * "--region" (a value after '=' left out).
 */
static void
refused_option(int ch, char *buf, size_t len)
{
	const char *arg = cli_argv != NULL && optind > 0 ?
	    cli_argv[optind - 1] : NULL;

	/*
	 * An unknown long option leaves optopt 0, a long option given a
	 * value it does not take (--quiet=1) or denied its value has its
	 * own letter or number there: their names come from argv.  An
	 * unknown short option is in optopt, and argv may not be its word
	 * yet (the middle of "-vZq").
	 */
	if (arg != NULL && strncmp(arg, "--", 2) == 0 && (optopt == 0 ||
	    ch == ':' || strchr(arg, '=') != NULL))
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt > ' ' && optopt < 127)
		snprintf(buf, len, "-%c", optopt);
	else if (optopt != 0)
		snprintf(buf, len, "-\\x%02x", (unsigned)optopt & 0xff);
	else
		snprintf(buf, len, "%s", arg != NULL ? arg : "?");
}

/* getopt's '?' and ':', said in one line with what to do. */
static int
cli_refused(const struct cli *c, int ch)
{
	const struct cli_hint *h;
	char opt[80];

	refused_option(ch, opt, sizeof(opt));
	if (ch == '?' && optopt != 0 && opt[0] == '-' && opt[1] == '-') {
		log_err("%s takes no value (%s --help shows it)", opt,
		    log_progname());
		return EX_USAGE;
	}
	if (ch == ':') {
		log_err("%s needs a value (%s --help shows it)", opt,
		    log_progname());
		return EX_USAGE;
	}
	for (h = c->hints; h != NULL && h->option != NULL; h++)
		if (strcmp(h->option, opt) == 0) {
			log_err("%s: %s", opt, h->instead);
			return EX_USAGE;
		}
	log_err("%s: no such option (%s --help lists them)", opt,
	    log_progname());
	return EX_USAGE;
}

int
cli_stdout_done(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return cli_stdout_error(errno);
}

int
cli_stdout_error(int err)
{
	if (err == EPIPE) {
		log_debug("stdout: the reader has gone away: stopping");
		return 0;
	}
	log_err("stdout: %s", strerror(err));
	return EX_IOERR;
}

int
cli_common(struct cli *c, int ch)
{
	switch (ch) {
	case 'h':
		fputs(c->usage, stdout);
		printf("\n%s", c->help);
		return cli_stdout_done();
	case 'V':
		printf("%s %s", log_progname(), QP_VERSION);
		printf(c->libs != NULL ? " (%s)\n" : "\n", c->libs);
		return cli_stdout_done();
	case 'q':
		c->verbosity = LOG_ERR;
		break;
	case 'v':
		c->verbosity++;
		break;
	default:
		return cli_refused(c, ch);
	}
	log_set_level(c->verbosity);
	return CLI_GO_ON;
}

int
cli_number(const char *opt, const char *arg, long long lo, long long hi,
    long long *out)
{
	if (num_parse(arg, lo, hi, out) == 0)
		return 0;
	if (hi == LLONG_MAX)
		log_err("%s %s: expected a whole number, at least %lld", opt,
		    arg, lo);
	else
		log_err("%s %s: expected a whole number from %lld to %lld",
		    opt, arg, lo, hi);
	return -1;
}

int
cli_size(const char *opt, const char *arg, size_t *out)
{
	if (jsonl_parse_size(arg, out) == 0)
		return 0;
	log_err("%s %s: expected a size such as 1048576 or 8M", opt, arg);
	return -1;
}

/* Milliseconds as seconds the way a user writes them: "0.001", "86400". */
static const char *
seconds(long long ms, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%lld.%03lld", ms / 1000, ms % 1000);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

int
cli_seconds(const char *opt, const char *arg, long long lo_ms,
    long long hi_ms, long long *ms)
{
	char lo[32], hi[32];

	if (num_parse_seconds(arg, lo_ms, hi_ms, ms) == 0)
		return 0;
	log_err("%s %s: expected seconds such as 30 or 0.5, from %s to %s",
	    opt, arg, seconds(lo_ms, lo, sizeof(lo)),
	    seconds(hi_ms, hi, sizeof(hi)));
	return -1;
}

int
cli_on_error(const char *arg, enum jsonl_policy *out)
{
	if (jsonl_policy_parse(arg, out) == 0)
		return 0;
	log_err("--on-error %s: expected count, fail or skip", arg);
	return -1;
}

int
cli_path(const char *opt, const char *arg, struct json_path **out)
{
	char why[256];

	json_path_free(*out);
	if ((*out = json_path_compile(arg, why, sizeof(why))) != NULL)
		return 0;
	log_err("%s: %s", opt, why);	/* why names the path */
	return -1;
}

int
cli_input(struct cli_input *in, const char *path)
{
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	char why[512];
	size_t len;
	int rc = 0, bad, e;

	if (jsonl_open_path(&r, path, in->max_line) == -1) {
		e = errno;
		log_err("%s: %s", path, strerror(e));
		in->err = e == ENOMEM ? EX_OSERR : EX_NOINPUT;
		return e == ENOMEM ? -1 : 0;
	}
	r.wait = in->wait;
	r.wait_arg = in->arg;
	r.validate = in->validate;
	r.records_only = in->records_only;
	r.keep_blank = in->keep_blank;
	while ((st = jsonl_next(&r, &line, &len)) != JSONL_EOF) {
		if (st == JSONL_INTERRUPTED) {
			rc = -1;
			break;
		}
		if (st == JSONL_ERROR) {
			log_err("%s: %s", r.name, strerror(errno));
			in->err = EX_IOERR;
			break;
		}
		in->nread++;
		if (st != JSONL_LINE) {
			jsonl_describe(&r, st, why, sizeof(why));
			log_err("%s", why);
			bad = 1;
		} else
			bad = in->take(in->arg, r.name, r.lineno, line, len) ==
			    -1;
		if (bad) {
			in->nbad++;
			if (in->on_error == JSONL_ON_ERROR_FAIL) {
				rc = -1;
				break;
			}
		}
		if (in->next != NULL && in->next(in->arg) == -1) {
			rc = -1;
			break;
		}
	}
	if (in->done != NULL)
		in->done(in->arg);
	jsonl_close(&r);
	return rc;
}

int
cli_deadline(long long *deadline, long long stop_ms)
{
	char why[256];

	if (clock_deadline(deadline, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return EX_CONFIG;
	}
	if (*deadline != 0)
		*deadline -= stop_ms;
	return CLI_GO_ON;
}

int
cli_bad_lines(unsigned long nbad, enum jsonl_policy policy)
{
	if (nbad == 0)
		return 0;
	log_msg(policy == JSONL_ON_ERROR_SKIP ? LOG_NOTICE : LOG_ERR,
	    "%lu bad line%s %s", nbad, nbad == 1 ? "" : "s",
	    policy == JSONL_ON_ERROR_FAIL ? "(stopped at the first)" :
	    "skipped");
	return policy == JSONL_ON_ERROR_SKIP ? 0 : EX_DATAERR;
}
