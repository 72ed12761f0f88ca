/*
 * kprod - JSON lines to Kafka.
 *
 * Each input line becomes one message value, validated as JSON unless
 * --raw, passed through byte for byte; or, as kcat -K has it, a key and
 * a value; or (--envelope) the envelope of a message that kcons -J or
 * kcat -J read, produced again with its key, headers and timestamp.  The producer is idempotent with
 * acks=all, so retries never duplicate; the exit status is 0 only when
 * every message was acknowledged.  Messages that could not be delivered
 * are counted, named by reason, and written to --failed FILE: none is
 * silently lost.
 *
 * Lines go to librdkafka in batches (values copied once, by librdkafka),
 * and every delivery report is served on this thread, which is where the
 * message memory was allocated: see bench/README.md for why.
 *
 * Time is bounded two ways: --timeout (librdkafka's message.timeout.ms)
 * gives up on each message that long after it was read, and a deadline
 * ($QP_DEADLINE_MS, set by lambda-bootstrap) stops reading and purges
 * whatever is still undelivered in time to say so and exit before it.
 *
 * This file is the command line and the run; produce.c reads and
 * produces, deliver.c follows each message to its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "jsonl.h"
#include "kconf.h"
#include "kprod.h"
#include "log.h"
#include "num.h"
#include "obuf.h"
#include "sig.h"

enum {
	OPT_ENVELOPE = CLI_LONG, OPT_FAILED, OPT_KEY_LITERAL, OPT_MAX_LINE,
	OPT_ON_ERROR, OPT_RAW, OPT_REPORT
};

static const char kprod_usage[] =
    "usage: kprod [-hPqVv] [-b BROKERS] [-F FILE] [-H NAME=VALUE]... "
    "[-K DELIM]\n"
    "             [-k PATH] [-p PARTITION] [-T SECONDS] "
    "[-X PROP=VALUE]...\n"
    "             [-z CODEC] [--envelope] [--failed FILE] "
    "[--key-literal KEY]\n"
    "             [--max-line SIZE] [--on-error POLICY] [--raw] [--report]\n"
    "             -t TOPIC [FILE ...]\n";

static const char kprod_help[] =
    "Produce each JSON line of the FILEs (or stdin) as one Kafka "
    "message.\n\n"
    "  -b, --brokers BROKERS  bootstrap brokers (else $KAFKA_BROKERS)\n"
    "  -F, --config FILE      librdkafka properties file\n"
    "  -H, --header NAME=VALUE  add a header to every message "
    "(repeatable)\n"
    "  -h, --help             show this help and exit\n"
    "  -K, --key-delimiter DELIM  each line is KEY DELIM VALUE (as kcat "
    "-K)\n"
    "  -k, --key PATH         message key from a field path: .symbol,\n"
    "                         .country.code, .a[0]\n"
    "  -P, --produce          accepted for kcat's sake: kprod only "
    "produces\n"
    "  -p, --partition N      produce to partition N (default: by key);\n"
    "                         -p envelope: the envelope's (--envelope)\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -T, --timeout SECONDS  give up delivering a message SECONDS after "
    "it was read\n"
    "                         (default 300: message.timeout.ms)\n"
    "  -t, --topic TOPIC      the topic to produce to\n"
    "  -V, --version          print the version and exit\n"
    "  -v, --verbose          more messages on stderr (repeatable)\n"
    "  -X PROP=VALUE          librdkafka property (-X list shows them)\n"
    "  -z, --compression CODEC  none, gzip, snappy, lz4 or zstd\n"
    "      --envelope         each line is an envelope (kcons -J, kcat "
    "-J): its key,\n"
    "                         headers, timestamp and value are produced\n"
    "      --failed FILE      write undelivered lines to FILE\n"
    "      --key-literal KEY  KEY is every message's key (kcat's -k)\n"
    "      --max-line SIZE    longest accepted line (default 1M)\n"
    "      --on-error POLICY  bad lines: count (default), fail or skip\n"
    "      --raw              do not validate lines as JSON\n"
    "      --report           one delivery report per message on "
    "stdout\n";

/* Free what main() allocated; returns code. */
static int
bail(struct kprod *k, rd_kafka_conf_t *conf, int code)
{
	size_t i;

	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	for (i = 0; i < k->nheaders; i++)
		free((char *)k->hnames[i]);
	json_path_free(k->keypath);
	if (k->out.buf != NULL)
		obuf_close(&k->out);
	if (k->failed.buf != NULL)
		obuf_close(&k->failed);
	free(k->arena);
	free(k->key_delim);
	free(k->scratch);
	return code;
}

/*
 * The toolkit's defaults; -X and -F may override them.  Keys are
 * partitioned as the Java clients and kafka-python do (murmur2), so a
 * symbol lands on one partition whichever of them wrote it.
 */
static int
kprod_defaults(rd_kafka_conf_t *conf)
{
	if (cli_kafka_set(conf, NULL, "enable.idempotence", "true") !=
	    CLI_GO_ON || cli_kafka_set(conf, NULL, "acks", "all") !=
	    CLI_GO_ON || cli_kafka_set(conf, NULL, "partitioner",
	    "murmur2_random") != CLI_GO_ON)
		return EX_SOFTWARE;
	return CLI_GO_ON;
}

/* -H NAME=VALUE: the name copied, the value borrowed from argv. */
static int
header_option(struct kprod *k, const char *arg)
{
	const char *eq;

	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		log_err("-H %s: expected NAME=VALUE", arg);
		return EX_USAGE;
	}
	if (k->nheaders == KPROD_MAX_HEADERS) {
		log_err("too many -H headers (max %d)", KPROD_MAX_HEADERS);
		return EX_USAGE;
	}
	if ((k->hnames[k->nheaders] = strndup(arg, (size_t)(eq - arg))) ==
	    NULL) {
		log_err("-H: %s", strerror(errno));
		return EX_OSERR;
	}
	k->hvalues[k->nheaders++] = eq + 1;
	return CLI_GO_ON;
}

/*
 * -K DELIM, written as kcat's: \t, \n, \r, \\ and \xNN stand for their
 * bytes, anything else for itself.
 */
static int
delim_option(struct kprod *k, const char *arg)
{
	size_t i, n = 0;
	char *d;
	int hi, lo;

	if (arg[0] == '\0') {
		log_err("-K: expected a delimiter such as : or '\\t'");
		return EX_USAGE;
	}
	free(k->key_delim);
	if ((d = k->key_delim = malloc(strlen(arg) + 1)) == NULL) {
		log_err("-K: %s", strerror(errno));
		return EX_OSERR;
	}
	for (i = 0; arg[i] != '\0'; i++) {
		if (arg[i] != '\\' || arg[i + 1] == '\0') {
			d[n++] = arg[i];
			continue;
		}
		switch (arg[++i]) {
		case 't':
			d[n++] = '\t';
			break;
		case 'n':
			d[n++] = '\n';
			break;
		case 'r':
			d[n++] = '\r';
			break;
		case 'x':
			if ((hi = num_hexval(arg[i + 1])) >= 0 &&
			    (lo = num_hexval(arg[i + 2])) >= 0) {
				d[n++] = (char)(hi * 16 + lo);
				i += 2;
				break;
			}
			/* FALLTHROUGH */
		default:	/* \\ among them */
			d[n++] = arg[i];
		}
	}
	k->key_delim_len = n;
	return CLI_GO_ON;
}

/* -k PATH; a word that is no path is kcat's -k, said so. */
static int
key_option(struct kprod *k, const char *arg)
{
	if (arg[0] != '.') {
		log_err("-k %s: -k takes a field path such as .symbol; for the "
		    "literal key %s, as kcat's -k, use --key-literal %s", arg,
		    arg, arg);
		return EX_USAGE;
	}
	return cli_path("-k", arg, &k->keypath) ? EX_USAGE : CLI_GO_ON;
}

/* -p N, or -p envelope. */
static int
partition_option(struct kprod *k, const char *arg)
{
	long long v;

	if (strcmp(arg, "envelope") == 0) {
		k->envelope_partition = 1;
		k->partition = RD_KAFKA_PARTITION_UA;
		return CLI_GO_ON;
	}
	if (cli_number("-p", arg, 0, INT32_MAX, &v) == -1)
		return EX_USAGE;
	k->envelope_partition = 0;
	k->partition = (int32_t)v;
	return CLI_GO_ON;
}

/* -T SECONDS: librdkafka's message.timeout.ms. */
static int
timeout_option(rd_kafka_conf_t *conf, const char *arg)
{
	char num[32];
	long long ms;

	if (cli_seconds("-T", arg, 1, INT32_MAX, &ms) == -1)
		return EX_USAGE;
	snprintf(num, sizeof(num), "%lld", ms);
	return cli_kafka_set(conf, "-T", "message.timeout.ms", num);
}

/* An option but -b/-F/-X: CLI_GO_ON, or the status to exit with. */
static int
kprod_option(struct kprod *k, struct cli *cli, rd_kafka_conf_t *conf,
    int ch, const char *arg)
{
	switch (ch) {
	case 'H':
		return header_option(k, arg);
	case 'K':
		return delim_option(k, arg);
	case 'k':
		return key_option(k, arg);
	case 'P':		/* kcat's producer mode: kprod's only one */
		return CLI_GO_ON;
	case 'p':
		return partition_option(k, arg);
	case 'T':
		return timeout_option(conf, arg);
	case 't':
		k->topic = arg;
		return CLI_GO_ON;
	case 'z':
		return cli_kafka_set(conf, "-z", "compression.codec", arg);
	case OPT_ENVELOPE:
		k->envelope = 1;
		return CLI_GO_ON;
	case OPT_FAILED:
		k->failed_path = arg;
		return CLI_GO_ON;
	case OPT_KEY_LITERAL:
		k->key_literal = arg;
		k->key_literal_len = strlen(arg);
		return CLI_GO_ON;
	case OPT_MAX_LINE:
		return cli_size("--max-line", arg, &k->in.max_line) ? EX_USAGE :
		    CLI_GO_ON;
	case OPT_ON_ERROR:
		return cli_on_error(arg, &k->in.on_error) ? EX_USAGE : CLI_GO_ON;
	case OPT_RAW:
		k->raw = 1;
		return CLI_GO_ON;
	case OPT_REPORT:
		k->report = 1;
		return CLI_GO_ON;
	default:
		return cli_common(cli, ch);
	}
}

/* Where the key comes from: one place at a time. */
static int
key_options(struct kprod *k, struct cli *cli)
{
	if (k->envelope && (k->keypath != NULL || k->key_delim != NULL ||
	    k->key_literal != NULL))
		return cli_usage(cli, "--envelope takes each key from its "
		    "envelope: not with -k, -K or --key-literal");
	if (k->envelope && k->raw)
		return cli_usage(cli, "--envelope reads JSON envelopes: not "
		    "with --raw");
	if (k->envelope_partition && !k->envelope)
		return cli_usage(cli, "-p envelope: only with --envelope");
	if (k->keypath != NULL && (k->key_delim != NULL ||
	    k->key_literal != NULL))
		return cli_usage(cli, "-k takes the key from the record: not "
		    "with -K or --key-literal");
	return CLI_GO_ON;
}

/* The command line, as kprod(1) has it: CLI_GO_ON or the exit status. */
static int
kprod_options(struct kprod *k, struct cli *cli, rd_kafka_conf_t *conf,
    int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_KAFKA_LONGOPTS,
		{ "compression", required_argument, NULL, 'z' },
		{ "envelope", no_argument, NULL, OPT_ENVELOPE },
		{ "failed", required_argument, NULL, OPT_FAILED },
		{ "header", required_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-delimiter", required_argument, NULL, 'K' },
		{ "key-literal", required_argument, NULL, OPT_KEY_LITERAL },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "partition", required_argument, NULL, 'p' },
		{ "produce", no_argument, NULL, 'P' },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "timeout", required_argument, NULL, 'T' },
		{ "topic", required_argument, NULL, 't' },
		CLI_LONGOPTS
	};
	const char *brokers = NULL;
	int ch, st;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS
	    CLI_KAFKA_SHORTOPTS "H:K:k:Pp:T:t:z:", longopts, NULL)) != -1) {
		if (ch == 'b' || ch == 'F' || ch == 'X')
			st = cli_kafka_option(conf, &brokers, ch, optarg);
		else
			st = kprod_option(k, cli, conf, ch, optarg);
		if (st != CLI_GO_ON)
			return st;
	}
	if (k->topic == NULL)
		return cli_usage(cli, "no topic: use -t TOPIC");
	if ((st = key_options(k, cli)) != CLI_GO_ON)
		return st;
	return cli_kafka_brokers(conf, brokers);
}

/*
 * What the configuration settled, as kprod needs it: librdkafka's two
 * queue limits (kprod waits for room rather than be refused), the
 * brokers and the message timeout (for the messages that say why).
 */
static void
kprod_settings(struct kprod *k, rd_kafka_conf_t *conf)
{
	char v[32];
	size_t vlen = sizeof(v);
	long long kb = 1048576;

	k->queue_max = 100000;
	if (rd_kafka_conf_get(conf, "queue.buffering.max.messages", v,
	    &vlen) == RD_KAFKA_CONF_OK)
		(void)num_parse(v, 1, INT32_MAX, &k->queue_max);
	vlen = sizeof(v);
	if (rd_kafka_conf_get(conf, "queue.buffering.max.kbytes", v,
	    &vlen) == RD_KAFKA_CONF_OK)
		(void)num_parse(v, 1, INT32_MAX, &kb);
	k->queue_max_bytes = (unsigned long long)kb * 1024;
	k->timeout_ms = 300000;
	vlen = sizeof(k->brokers);
	(void)rd_kafka_conf_get(conf, "bootstrap.servers", k->brokers,
	    &vlen);
	vlen = sizeof(v);
	if (rd_kafka_conf_get(conf, "message.timeout.ms", v, &vlen) ==
	    RD_KAFKA_CONF_OK)
		(void)num_parse(v, 0, INT32_MAX, &k->timeout_ms);
}

/* The deadline, stdout and --failed: CLI_GO_ON or the exit status. */
static int
kprod_outputs(struct kprod *k)
{
	int fd, st;

	if ((st = cli_deadline(&k->deadline, KPROD_STOP_MS)) != CLI_GO_ON)
		return st;
	if (k->failed_path != NULL) {
		fd = open(k->failed_path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0666);
		if (fd == -1) {
			log_err("%s: %s", k->failed_path, strerror(errno));
			return EX_CANTCREAT;
		}
		obuf_open(&k->failed, fd, 64 * 1024);
		k->have_failed = 1;
	} else
		obuf_open(&k->failed, -1, 16);
	obuf_open(&k->out, STDOUT_FILENO, 256 * 1024);
	return CLI_GO_ON;
}

/*
 * Every input, then every message's fate.  Returns whether reading
 * stopped before the end of the input.
 */
static int
kprod_run(struct kprod *k, int nfiles, char **files)
{
	struct timespec t0, t1;
	int i, stopped = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nfiles == 0)
		stopped = kprod_input(k, "-") == -1;
	for (i = 0; i < nfiles && !stopped; i++)
		stopped = kprod_input(k, files[i]) == -1;
	if (sig_caught())
		log_info("signal %d: flushing %d queued messages", sig_caught(),
		    rd_kafka_outq_len(k->rk));
	kprod_drain(k);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kprod_stats(k, 1);
	log_info("%lu lines read, %lu messages delivered, %llu bytes, "
	    "%.3f s", k->in.nread, k->ndelivered, k->bytes,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return stopped;
}

/*
 * The summary: the line that says why the exit status is what it is
 * comes last, so that a wrapper can quote it (producer.sh does).
 */
static int
kprod_status(struct kprod *k, int stopped)
{
	int status, failed;

	status = cli_bad_lines(k->in.nbad, k->in.on_error);
	if (k->in.err)
		status = k->in.err;
	if (stopped && k->deadline_hit) {
		/* Unread lines are not delivered either: not a success. */
		log_err("the deadline came before the end of the input: %lu "
		    "lines read, the rest not produced", k->in.nread);
		status = EX_UNAVAILABLE;
	}
	if ((failed = kprod_failures(k)) != 0)
		status = failed;
	return status;
}

/* The producer gone, the outputs closed: the exit status. */
static int
kprod_close(struct kprod *k, int status)
{
	int e;

	rd_kafka_topic_destroy(k->rkt);
	rd_kafka_destroy(k->rk);
	if (obuf_close(&k->failed) != 0) {
		log_err("%s: %s", k->failed_path,
		    strerror(obuf_error(&k->failed)));
		status = status ? status : EX_IOERR;
	}
	if (k->have_failed)
		close(k->failed.fd);
	/* A reader gone away (EPIPE) is no failure: it has what it wanted. */
	if ((e = obuf_close(&k->out)) != 0 && e != EPIPE) {
		log_err("stdout: %s", strerror(e));
		status = status ? status : EX_IOERR;
	}
	return bail(k, NULL, status);
}

int
main(int argc, char **argv)
{
	static const struct cli_hint hints[] = {
		{ "-C", "kprod only produces: to consume, as kcat -C, use "
		    "kcons" },
		{ "-L", "the metadata, as kcat -L, is kmeta's: kmeta -b "
		    "BROKERS" },
		{ "-Q", "offsets by time, as kcat -Q, are kmeta's: kmeta -Q" },
		{ NULL, NULL }
	};
	struct cli cli = { .usage = kprod_usage, .help = kprod_help,
	    .hints = hints };
	struct kprod k;
	rd_kafka_conf_t *conf;
	char libs[64], why[512];
	int st, stopped;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	snprintf(libs, sizeof(libs), "librdkafka %s", rd_kafka_version_str());
	cli.libs = libs;
	memset(&k, 0, sizeof(k));
	k.partition = RD_KAFKA_PARTITION_UA;
	k.in.max_line = JSONL_DEFAULT_MAX_LINE;
	conf = kconf_new();
	if ((st = kprod_defaults(conf)) != CLI_GO_ON ||
	    (st = kprod_options(&k, &cli, conf, argc, argv)) != CLI_GO_ON ||
	    (st = kprod_outputs(&k)) != CLI_GO_ON)
		return bail(&k, conf, st);
	kprod_settings(&k, conf);

	sig_install();
	kprod_callbacks(conf, &k);
	if ((k.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why,
	    sizeof(why))) == NULL) {
		log_err("%s", why);
		return bail(&k, NULL, EX_CONFIG);
	}
	k.rkt = rd_kafka_topic_new(k.rk, k.topic, NULL);
	stopped = kprod_run(&k, argc - optind, argv + optind);
	return kprod_close(&k, kprod_status(&k, stopped));
}
