/*
 * cli.h - the command line the tools share.
 *
 * Owns what every tool's main() would otherwise write again: the start
 * (standard descriptors, log, stats), -h/-q/-V/-v, the parsing of option
 * values with one message for each kind of value, --on-error and the
 * bad-line summary with the exit status it makes; for the Kafka tools
 * -b/-F/-X (and -X list); for the S3 tools --endpoint, --region,
 * --retries, --retry-delay and --timeout, and s3_init's failure turned
 * into an exit status by its code.
 *
 * This is the one module of lib/ that speaks to the user: it is each
 * tool's own front end, written once.  A function here that fails has
 * said why on stderr ("--max-line 1Q: expected a size such as 1048576 or
 * 8M") and returns the status the tool exits with; CLI_GO_ON means go on.
 *
 * A main() reads:
 *
 *	static const struct option longopts[] = { ..., CLI_LONGOPTS };
 *	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
 *		return st;
 *	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "...", ...)) != -1)
 *		switch (ch) {
 *		case ...: the tool's own
 *		default:
 *			if ((st = cli_common(&cli, ch)) != CLI_GO_ON)
 *				return st;
 *		}
 */
#ifndef QP_CLI_H
#define QP_CLI_H

#include <stddef.h>
#include <getopt.h>

#include "jsonl.h"

#define CLI_GO_ON	(-1)
#define CLI_LONG	256	/* a tool's long-only options count from here */
#define CLI_S3		512	/* the S3 options' (below) */

/*
 * The options every tool has, for its getopt_long() tables: CLI_LONGOPTS
 * ends the table (it carries the terminating entry), so it comes last;
 * the CLI_KAFKA_ and CLI_S3_LONGOPTS below do not.  A tool that needs
 * getopt's '+' puts it in front of CLI_SHORTOPTS.
 */
#define CLI_SHORTOPTS	":hqVv"	/* ':' first: a missing value is ':' */
#define CLI_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }

/*
 * An option the tool does not have that a user brings from another
 * tool (kcat's -P given to kcons): the unknown-option error says what
 * to use instead.
 */
struct cli_hint {
	const char	*option;	/* as written: "-P", "--from-beginning" */
	const char	*instead;	/* "kcons only consumes: use kprod" */
};

struct cli {
	const char	*usage;		/* "usage: ...\n": the SYNOPSIS */
	const char	*help;		/* what --help prints after usage */
	const char	*libs;		/* -V: "librdkafka 2.0.2", or NULL */
	int		 verbosity;	/* a log level */
	const struct cli_hint *hints;	/* NULL, or ends with { NULL } */
};

/*
 * The first thing main() does: standard descriptors that are there
 * (stdfd.h), the log and stats named after argv[0].  CLI_GO_ON, or
 * EX_OSERR (nothing said: there may be no stderr).
 */
int	cli_start(struct cli *, char **argv);

/*
 * -h (help on stdout: 0), -V (version: 0), -q and -v (the log level:
 * CLI_GO_ON); getopt's '?' (an unknown option) and ':' (an option
 * without its value) are usage errors said in one line: EX_USAGE.
 */
int	cli_common(struct cli *, int ch);

/*
 * After printing on stdout what was asked (-h, -V, -X list): 0, or
 * EX_IOERR, said, when stdout did not take it (--help >/dev/full).
 */
int	cli_stdout_done(void);

/*
 * stdout refused a write with err.  EPIPE is a reader that has gone away
 * (`| head -1`): the run ends as SIGPIPE would end it, without a word,
 * and 0 is returned, the status the tools exit with (what was not
 * written is not acked or committed).  Anything else is said: EX_IOERR.
 */
int	cli_stdout_error(int err);

/*
 * A usage error: why, one line on stderr (not the whole usage text, in
 * which the one line a user needs is lost; --help shows it); EX_USAGE.
 */
int	cli_usage(const struct cli *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Option values.  opt is the option as the user wrote it ("-c",
 * "--max-line").  Each returns 0, or -1 when it has said what it
 * expected (the tool exits EX_USAGE).
 */
int	cli_number(const char *opt, const char *arg, long long lo,
	    long long hi, long long *out);
int	cli_size(const char *opt, const char *arg, size_t *out);
int	cli_seconds(const char *opt, const char *arg, long long lo_ms,
	    long long hi_ms, long long *ms);
int	cli_on_error(const char *arg, enum jsonl_policy *);
struct json_path;
int	cli_path(const char *opt, const char *arg, struct json_path **);

/*
 * The input loop of the filters (kprod, quote-xform, s3put): each line
 * of an input read, a bad one said and counted per --on-error, a good
 * one given to the tool.
 */
struct cli_input {
	/* the tool's, set before the first input */
	size_t		 max_line;
	enum jsonl_policy on_error;
	int		 validate;	/* as struct jsonl_reader's */
	int		 records_only;
	int		 keep_blank;	/* as struct jsonl_reader's */
	jsonl_wait_fn	 wait;		/* NULL: block in read(2) */
	/* A good line: 0 taken, -1 a bad record (the tool said why). */
	int		(*take)(void *arg, const char *name,
			    unsigned long lineno, const char *line, size_t len);
	/* After each line (may be NULL): 0 go on, -1 stop reading. */
	int		(*next)(void *arg);
	/*
	 * At the end of an input (may be NULL), while the lines it handed
	 * out are still valid: the last chance to use them (kprod's batch
	 * points into them).
	 */
	void		(*done)(void *arg);
	void		*arg;		/* for wait, take and next */
	/* what was read */
	unsigned long	 nread, nbad;
	int		 err;		/* an input's failure: EX_NOINPUT
					 * (cannot open), EX_IOERR, EX_OSERR */
};

/*
 * Read the input at path ("-": stdin) to its end.  Returns 0 to go on
 * with the next input (this one read, or failed: in->err), -1 to stop
 * reading (a stop asked by the wait hook or next, --on-error fail, no
 * memory).
 */
int	cli_input(struct cli_input *, const char *path);

/*
 * The run's deadline from $QP_DEADLINE_MS (clock.h), made stop_ms
 * earlier: the time the tool keeps to stop and say why.  *deadline is 0
 * when there is none.  CLI_GO_ON, or EX_CONFIG when the variable is not
 * such a time (said).
 */
int	cli_deadline(long long *deadline, long long stop_ms);

/*
 * After the input: say how many bad lines there were (an error, or a
 * notice with --on-error skip) and return the status they make, 0 or
 * EX_DATAERR.
 */
int	cli_bad_lines(unsigned long nbad, enum jsonl_policy);

/* ---- Kafka (cli_kafka.c) ---- */

struct rd_kafka_conf_s;

#define CLI_KAFKA_SHORTOPTS	"b:F:X:"
#define CLI_KAFKA_LONGOPTS \
	{ "brokers", required_argument, NULL, 'b' }, \
	{ "config", required_argument, NULL, 'F' }

/*
 * -b BROKERS (kept in *brokers for cli_kafka_brokers), -F FILE and
 * -X PROP=VALUE (applied in order), -X list (librdkafka's properties on
 * stdout: 0).  CLI_GO_ON, or the status (EX_CONFIG for a property
 * librdkafka refuses; a secret's value is never shown).
 */
int	cli_kafka_option(struct rd_kafka_conf_s *, const char **brokers,
	    int ch, const char *arg);

/* bootstrap.servers settled (kconf_brokers): CLI_GO_ON or EX_USAGE. */
int	cli_kafka_brokers(struct rd_kafka_conf_s *, const char *brokers);

/*
 * Set prop=value, an option's (opt: "-z") or the tool's own choice (opt
 * NULL): CLI_GO_ON, or with librdkafka's reason said EX_USAGE (a bad
 * option value) or EX_CONFIG (a setting that -X or -F made impossible).
 */
int	cli_kafka_set(struct rd_kafka_conf_s *, const char *opt,
	    const char *prop, const char *value);

/* ---- S3 (cli_s3.c) ---- */

struct s3;

enum {
	CLI_S3_ENDPOINT = CLI_S3, CLI_S3_REGION, CLI_S3_RETRIES,
	CLI_S3_RETRY_DELAY, CLI_S3_TIMEOUT, CLI_S3_PROFILE, CLI_S3_CA_BUNDLE,
	CLI_S3_ADDRESSING, CLI_S3_LAST
};
#define CLI_S3_LONGOPTS \
	{ "addressing-style", required_argument, NULL, CLI_S3_ADDRESSING }, \
	{ "ca-bundle", required_argument, NULL, CLI_S3_CA_BUNDLE }, \
	{ "endpoint", required_argument, NULL, CLI_S3_ENDPOINT }, \
	{ "endpoint-url", required_argument, NULL, CLI_S3_ENDPOINT }, \
	{ "profile", required_argument, NULL, CLI_S3_PROFILE }, \
	{ "region", required_argument, NULL, CLI_S3_REGION }, \
	{ "retries", required_argument, NULL, CLI_S3_RETRIES }, \
	{ "retry-delay", required_argument, NULL, CLI_S3_RETRY_DELAY }, \
	{ "timeout", required_argument, NULL, CLI_S3_TIMEOUT }
#define CLI_S3_HELP \
	"      --addressing-style STYLE  auto (default), path or virtual\n" \
	"      --ca-bundle FILE   CA certificates for TLS (AWS_CA_BUNDLE)\n" \
	"      --endpoint-url URL an S3-compatible server (also " \
	"--endpoint)\n" \
	"      --profile NAME     the AWS CLI profile (AWS_PROFILE)\n" \
	"      --region REGION    the bucket's region (AWS_REGION, the " \
	"profile's)\n" \
	"      --retries N        retries of a failed request (default 8)\n" \
	"      --retry-delay SECONDS  first backoff (0.5), doubled each " \
	"retry\n" \
	"      --timeout SECONDS  limit for one request (default 120)\n"

/*
 * The defaults the options change (120 s, 8 retries, 0.5 s backoff);
 * lib/s3's notes (retries, credential refreshes) said as warnings.
 */
void	cli_s3_defaults(struct s3 *);

/* One of CLI_S3_LONGOPTS: CLI_GO_ON, or EX_USAGE (said). */
int	cli_s3_option(struct s3 *, int ch, const char *arg);

/*
 * s3_init() on s (bucket set): CLI_GO_ON, or the status its failure
 * makes, said (a bad --endpoint-url EX_USAGE; a bad endpoint from the
 * environment or a profile, a file or setting the AWS CLI would refuse,
 * no credentials: EX_CONFIG).  With -v, where each setting came from.
 */
int	cli_s3_start(struct s3 *);

#endif
