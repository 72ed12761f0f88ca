/*
 * cnn-fetch - CNN's world-markets quotes as JSON lines.
 *
 * One GET of BASE/markets/world/regions/REGIONS/DATE with the headers a
 * browser sends; the answer, a JSON array of quote objects, is checked
 * whole and then printed one object per line, byte for byte except for
 * whitespace between tokens.  Output is all or nothing: a failed fetch
 * prints no quote.  With --every the fetch repeats forever with
 * conditional requests, printing only the quotes whose last_updated
 * changed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"

#include "cnn-fetch.h"
#include "seen.h"

#define DAY_MS		(86400LL * 1000)	/* the longest wait */

enum {
	OPT_BASE_URL = CLI_LONG, OPT_CACERT, OPT_DATE, OPT_EVERY, OPT_MAX_SIZE,
	OPT_REGIONS, OPT_RETRIES, OPT_RETRY_DELAY, OPT_STATE, OPT_TIMEOUT
};

static const char usage[] =
    "usage: cnn-fetch [-hqVv] [--base-url URL] [--cacert FILE] "
    "[--date YYYY-MM-DD]\n"
    "                 [--every SECONDS] [-H 'Name: value']... "
    "[--max-size SIZE]\n"
    "                 [--regions LIST] [--retries N] "
    "[--retry-delay SECONDS]\n"
    "                 [--state FILE] [--timeout SECONDS]\n";

static const char help[] =
    "Fetch CNN's world-markets quotes and print one JSON object per "
    "line.\n\n"
    "  -H, --header 'Name: value'  an extra request header; 'Name:' "
    "removes one\n"
    "  -h, --help             show this help and exit\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -V, --version          print the version and exit\n"
    "  -v, --verbose          more messages on stderr\n"
    "      --base-url URL     default " DEFAULT_BASE "\n"
    "      --cacert FILE      trust the CA certificates in FILE\n"
    "      --date YYYY-MM-DD  the day to fetch (default: today, UTC)\n"
    "      --every SECONDS    poll forever, printing changed quotes\n"
    "      --max-size SIZE    largest accepted body (default 64M)\n"
    "      --regions LIST     default " DEFAULT_REGIONS "\n"
    "      --retries N        retries of a failed request (default "
    "3)\n"
    "      --retry-delay SECONDS  first backoff (default 1), doubled "
    "each retry\n"
    "      --state FILE       print only quotes changed since FILE; "
    "new state\n"
    "                         to FILE.next (with --every: to FILE)\n"
    "      --timeout SECONDS  limit for one request (default 30)\n";

/* A real calendar date written YYYY-MM-DD. */
static int
valid_date(const char *s)
{
	struct tm tm, back;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10 || (end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    *end != '\0')
		return 0;
	back = tm;
	t = timegm(&back);	/* normalizes: Feb 30 becomes Mar 2 */
	gmtime_r(&t, &back);
	return back.tm_mday == tm.tm_mday && back.tm_mon == tm.tm_mon;
}

/* -H: 'Name: value', 'Name:' or 'Name;'.  CLI_GO_ON or the status. */
static int
add_header(struct fetch *f, const char *h)
{
	struct curl_slist *nl;
	size_t n = fetch_header_name_len(h);

	if (n == 0 || h[n] == '\0' || strpbrk(h, "\r\n") != NULL) {
		log_err("-H %s: expected 'Name: value', 'Name:' or 'Name;'", h);
		return EX_USAGE;
	}
	if ((nl = curl_slist_append(f->user_headers, h)) == NULL)
		return EX_OSERR;
	f->user_headers = nl;
	return CLI_GO_ON;
}

/* One option: CLI_GO_ON, or the status to exit with (said). */
static int
option(struct fetch *f, struct cli *cli, int ch, const char *arg)
{
	int bad = 0;

	switch (ch) {
	case 'H':
		return add_header(f, arg);
	case OPT_BASE_URL:
		/*
		 * A directory given as is would be read as a host name and
		 * fail only after the retries' DNS lookups.
		 */
		if (strncasecmp(arg, "http://", 7) != 0 &&
		    strncasecmp(arg, "https://", 8) != 0 &&
		    strncasecmp(arg, "file://", 7) != 0) {
			char *dir = realpath(arg, NULL);
			int st;

			st = cli_usage(cli, "--base-url %s: needs http://, "
			    "https:// or file://%s%s%s", arg, dir != NULL ?
			    " (the directory: file://" : "", dir != NULL ?
			    dir : "", dir != NULL ? ")" : "");
			free(dir);
			return st;
		}
		f->base = arg;
		break;
	case OPT_CACERT:
		f->cacert = arg;
		break;
	case OPT_DATE:
		if ((bad = !valid_date(arg)))
			log_err("--date %s: expected a date as YYYY-MM-DD", arg);
		f->date = arg;
		break;
	case OPT_EVERY:
		bad = cli_seconds("--every", arg, 100, DAY_MS, &f->every_ms);
		break;
	case OPT_MAX_SIZE:
		bad = cli_size("--max-size", arg, &f->max_size);
		break;
	case OPT_REGIONS:
		if ((bad = *arg == '\0'))
			log_err("--regions: expected a list such as "
			    DEFAULT_REGIONS);
		f->regions = arg;
		break;
	case OPT_RETRIES:
		bad = cli_number("--retries", arg, 0, 100, &f->retries);
		break;
	case OPT_RETRY_DELAY:
		bad = cli_seconds("--retry-delay", arg, 0, DAY_MS,
		    &f->retry_delay_ms);
		break;
	case OPT_STATE:
		f->state = arg;
		break;
	case OPT_TIMEOUT:
		bad = cli_seconds("--timeout", arg, 1, DAY_MS, &f->timeout_ms);
		break;
	default:
		return cli_common(cli, ch);
	}
	return bad ? EX_USAGE : CLI_GO_ON;
}

static int
options(struct fetch *f, struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "base-url", required_argument, NULL, OPT_BASE_URL },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "header", required_argument, NULL, 'H' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "regions", required_argument, NULL, OPT_REGIONS },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		CLI_LONGOPTS
	};
	int ch, st;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "H:", longopts,
	    NULL)) != -1)
		if ((st = option(f, cli, ch, optarg)) != CLI_GO_ON)
			return st;
	if (optind < argc)
		return cli_usage(cli, "%s: cnn-fetch takes no operands (the "
		    "source is --base-url URL)", argv[optind]);
	return CLI_GO_ON;
}

/*
 * What the run needs: the deadline, curl, stdout's buffer, and for
 * --every or --state the table of quotes seen.  CLI_GO_ON or the status.
 */
static int
start(struct fetch *f)
{
	char why[4096];
	int i, st;

	if ((st = cli_deadline(&f->deadline, CNN_STOP_MS)) != CLI_GO_ON)
		return st;
	f->ans.body.max = f->max_size;
	srandom((unsigned)(time(NULL) ^ getpid()));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    fetch_setup(f) == -1 ||
	    obuf_open(&f->out, STDOUT_FILENO, 256 * 1024) == -1 ||
	    ((f->every_ms > 0 || f->state != NULL) &&
	    ((f->seen = seen_new()) == NULL ||
	    (f->symbol = json_path_compile(".symbol", why, sizeof(why))) ==
	    NULL ||
	    (f->updated = json_path_compile(".last_updated", why,
	    sizeof(why))) == NULL))) {
		log_err("cannot start: out of memory");
		return EX_OSERR;
	}
	if (f->state != NULL && (i = seen_load(f->seen, f->state)) != 0) {
		if (i == -1) {
			log_err("--state %s: %s", f->state, strerror(errno));
			return EX_NOINPUT;
		}
		log_warn("--state %s: %d lines could not be read", f->state, i);
	}
	return CLI_GO_ON;
}

/* Without --every: one fetch, of --date or today. */
static int
once(struct fetch *f)
{
	char date[16], next[4096];
	int status;

	if (f->date == NULL)
		quotes_today(date, sizeof(date));
	status = quotes_fetch(f, f->date != NULL ? f->date : date);
	if (status == INTERRUPTED) {
		log_err("interrupted before the quotes arrived");
		status = EX_TEMPFAIL;
	}
	/*
	 * The new state goes to FILE.next: the caller moves it over FILE
	 * once what was printed is safely delivered.
	 */
	if (status == 0 && f->state != NULL) {
		snprintf(next, sizeof(next), "%s.next", f->state);
		if (obuf_flush(&f->out) == 0 && seen_save(f->seen, next) == -1) {
			log_err("%s: %s", next, strerror(errno));
			status = EX_CANTCREAT;
		}
	}
	return status;
}

static void
finish(struct fetch *f)
{
	seen_free(f->seen);
	json_path_free(f->symbol);
	json_path_free(f->updated);
	free(f->cond_url);
	free(f->line);
	free(f->out.buf);		/* NULL once closed */
	http_body_free(&f->ans.body);
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->user_headers);
	curl_global_cleanup();
}

int
main(int argc, char **argv)
{
	struct cli cli = { .usage = usage, .help = help };
	struct fetch f;
	int status;

	if ((status = cli_start(&cli, argv)) != CLI_GO_ON)
		return status;
	cli.libs = curl_version();
	memset(&f, 0, sizeof(f));
	f.base = DEFAULT_BASE;
	f.regions = DEFAULT_REGIONS;
	f.timeout_ms = 30000;
	f.retries = 3;
	f.retry_delay_ms = 1000;
	f.max_size = 64 * 1024 * 1024;
	if ((status = options(&f, &cli, argc, argv)) == CLI_GO_ON &&
	    (status = start(&f)) == CLI_GO_ON) {
		sig_install();
		status = f.every_ms > 0 ? quotes_poll(&f) : once(&f);
		quotes_stats(&f, 1);
		if (obuf_close(&f.out) != 0 && status == 0)
			status = cli_stdout_error(f.out.err);
		else if (f.out.err == EPIPE && status == EX_IOERR)
			status = 0;	/* a reader gone: SIGPIPE's quiet */
	}
	finish(&f);
	return status;
}
