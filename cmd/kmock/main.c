/*
 * kmock - a local Kafka-protocol broker for development and tests.
 *
 * Wraps librdkafka's mock cluster: prints the bootstrap list as the
 * first line of stdout, then serves until SIGINT/SIGTERM.  With
 * --control FILE it takes fault-injection commands (broker down/up,
 * added round-trip time, request errors) one per line and answers each
 * on stdout, so tests can break the cluster on purpose.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>
#include <getopt.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kconf.h"
#include "log.h"
#include "stdfd.h"
#include "num.h"
#include "sig.h"
#include "version.h"

#define KMOCK_MAX_TOPICS 64

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: kmock [-hqVv] [-C FILE] [-n BROKERS] [-t NAME:PARTITIONS]...\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Run librdkafka's mock Kafka cluster on 127.0.0.1 and print its\n"
	    "bootstrap list as the first line of stdout.\n\n"
	    "  -C, --control FILE     read fault-injection commands from FILE\n"
	    "                         (a FIFO, or - for stdin); see kmock(1)\n"
	    "  -h, --help             show this help and exit\n"
	    "  -n, --brokers N        number of brokers (default 3)\n"
	    "  -q, --quiet            only errors on stderr\n"
	    "  -t, --topic NAME:N     create topic NAME with N partitions\n"
	    "                         (repeatable)\n"
	    "  -V, --version          print the version and exit\n"
	    "  -v, --verbose          more messages on stderr (repeatable)\n");
}

/* Kafka API keys by name, for "error" and "clear". */
static const struct {
	const char *name;
	int16_t key;
} apis[] = {
	{ "Produce", 0 }, { "Fetch", 1 }, { "ListOffsets", 2 },
	{ "Metadata", 3 }, { "OffsetCommit", 8 }, { "OffsetFetch", 9 },
	{ "FindCoordinator", 10 }, { "JoinGroup", 11 }, { "Heartbeat", 12 },
	{ "LeaveGroup", 13 }, { "SyncGroup", 14 }, { "ApiVersions", 18 },
	{ "InitProducerId", 22 }, { "AddPartitionsToTxn", 24 },
	{ "EndTxn", 26 },
};

static int
api_key(const char *s, int16_t *key)
{
	size_t i;
	long long v;

	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
		if (strcasecmp(s, apis[i].name) == 0) {
			*key = apis[i].key;
			return 0;
		}
	if (num_parse(s, 0, 1000, &v) == 0) {
		*key = (int16_t)v;
		return 0;
	}
	return -1;
}

/* An error by librdkafka's name (REQUEST_TIMED_OUT) or number. */
static int
err_code(const char *s, rd_kafka_resp_err_t *err)
{
	const struct rd_kafka_err_desc *descs;
	size_t n, i;
	long long v;

	rd_kafka_get_err_descs(&descs, &n);
	for (i = 0; i < n; i++)
		if (descs[i].name != NULL && strcasecmp(s, descs[i].name) == 0) {
			*err = descs[i].code;
			return 0;
		}
	if (num_parse(s, -200, 1000, &v) == 0) {
		*err = (rd_kafka_resp_err_t)v;
		return 0;
	}
	return -1;
}

/* Apply fn to one broker id or to every broker ("all"). */
static int
each_broker(rd_kafka_mock_cluster_t *mc, int nbrokers, const char *which,
    rd_kafka_resp_err_t (*fn)(rd_kafka_mock_cluster_t *, int32_t, int),
    int arg, char *why, size_t whylen)
{
	rd_kafka_resp_err_t e;
	long long id, lo, hi;

	if (strcmp(which, "all") == 0) {
		lo = 1;
		hi = nbrokers;
	} else if (num_parse(which, 1, nbrokers, &id) == 0)
		lo = hi = id;
	else {
		snprintf(why, whylen, "no broker '%s' (1..%d or all)", which,
		    nbrokers);
		return -1;
	}
	for (id = lo; id <= hi; id++)
		if ((e = fn(mc, (int32_t)id, arg)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(why, whylen, "broker %lld: %s", id,
			    rd_kafka_err2str(e));
			return -1;
		}
	return 0;
}

static rd_kafka_resp_err_t
broker_down(rd_kafka_mock_cluster_t *mc, int32_t id, int arg)
{
	(void)arg;
	return rd_kafka_mock_broker_set_down(mc, id);
}

static rd_kafka_resp_err_t
broker_up(rd_kafka_mock_cluster_t *mc, int32_t id, int arg)
{
	(void)arg;
	return rd_kafka_mock_broker_set_up(mc, id);
}

static rd_kafka_resp_err_t
broker_rtt(rd_kafka_mock_cluster_t *mc, int32_t id, int ms)
{
	return rd_kafka_mock_broker_set_rtt(mc, id, ms);
}

static int
create_topic(rd_kafka_mock_cluster_t *mc, int nbrokers, const char *name,
    long long partitions, char *why, size_t whylen)
{
	rd_kafka_resp_err_t e;

	e = rd_kafka_mock_topic_create(mc, name, (int)partitions,
	    nbrokers < 3 ? nbrokers : 3);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(why, whylen, "topic %s: %s", name, rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

/*
 * Run one control command.  Returns 0, or -1 with the reason in why.
 * The commands are listed in kmock(1).
 */
static int
control(rd_kafka_mock_cluster_t *mc, int nbrokers, char *line, char *why,
    size_t whylen)
{
	char *argv[8], *save = NULL, *tok;
	rd_kafka_resp_err_t errs[64];
	int16_t key;
	long long a, b;
	int argc = 0;

	for (tok = strtok_r(line, " \t", &save); tok != NULL && argc < 8;
	    tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return 0;
#define NEED(n) do { if (argc != (n)) goto usage; } while (0)
	if (strcmp(argv[0], "down") == 0) {
		NEED(2);
		return each_broker(mc, nbrokers, argv[1], broker_down, 0, why,
		    whylen);
	}
	if (strcmp(argv[0], "up") == 0) {
		NEED(2);
		return each_broker(mc, nbrokers, argv[1], broker_up, 0, why,
		    whylen);
	}
	if (strcmp(argv[0], "rtt") == 0) {
		NEED(3);
		if (num_parse(argv[2], 0, 3600000, &a) == -1)
			goto usage;
		return each_broker(mc, nbrokers, argv[1], broker_rtt, (int)a,
		    why, whylen);
	}
	if (strcmp(argv[0], "error") == 0 || strcmp(argv[0], "clear") == 0) {
		if (argc < 2 || api_key(argv[1], &key) == -1) {
			snprintf(why, whylen, "unknown API '%s'",
			    argc < 2 ? "" : argv[1]);
			return -1;
		}
		if (argv[0][0] == 'c') {
			NEED(2);
			rd_kafka_mock_clear_request_errors(mc, key);
			return 0;
		}
		NEED(4);
		if (num_parse(argv[2], 1, 64, &a) == -1)
			goto usage;
		if (err_code(argv[3], &errs[0]) == -1) {
			snprintf(why, whylen, "unknown error '%s'", argv[3]);
			return -1;
		}
		for (b = 1; b < a; b++)
			errs[b] = errs[0];
		rd_kafka_mock_push_request_errors_array(mc, key, (size_t)a,
		    errs);
		return 0;
	}
	if (strcmp(argv[0], "topic") == 0) {
		NEED(3);
		if (num_parse(argv[2], 1, 100000, &a) == -1)
			goto usage;
		return create_topic(mc, nbrokers, argv[1], a, why, whylen);
	}
	if (strcmp(argv[0], "leader") == 0) {
		rd_kafka_resp_err_t e;
		NEED(4);
		if (num_parse(argv[2], 0, 100000, &a) == -1 ||
		    num_parse(argv[3], -1, nbrokers, &b) == -1)
			goto usage;
		e = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)a,
		    (int32_t)b);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(why, whylen, "%s", rd_kafka_err2str(e));
			return -1;
		}
		return 0;
	}
usage:
	snprintf(why, whylen, "usage: down ID|all | up ID|all | "
	    "rtt ID|all MS | error API COUNT ERROR | clear API | "
	    "topic NAME PARTITIONS | leader TOPIC PARTITION ID");
	return -1;
#undef NEED
}

static int
open_control(const char *path)
{
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "brokers", required_argument, NULL, 'n' },
		{ "control", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "topic", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *topics[KMOCK_MAX_TOPICS], *ctlpath = NULL;
	char errstr[512], why[512], ctlbuf[4096], *colon, *nl;
	size_t ntopics = 0, ctllen = 0, i;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	struct pollfd pfd;
	long long nbrokers = 3, parts;
	int ch, verbosity = LOG_NOTICE, ctlfd = -1;
	ssize_t n;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:hn:qt:Vv", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'C':
			ctlpath = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'n':
			if (num_parse(optarg, 1, 64, &nbrokers) == -1) {
				log_err("-n %s: expected 1..64 brokers", optarg);
				return EX_USAGE;
			}
			break;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 't':
			colon = strrchr(optarg, ':');
			if (colon == NULL || colon == optarg ||
			    num_parse(colon + 1, 1, 100000, &parts) == -1) {
				log_err("-t %s: expected NAME:PARTITIONS", optarg);
				return EX_USAGE;
			}
			if (ntopics == KMOCK_MAX_TOPICS) {
				log_err("too many -t topics (max %d)",
				    KMOCK_MAX_TOPICS);
				return EX_USAGE;
			}
			topics[ntopics++] = optarg;
			break;
		case 'V':
			printf("kmock %s (librdkafka %s)\n", QP_VERSION,
			    rd_kafka_version_str());
			return 0;
		case 'v':
			verbosity++;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	log_set_level(verbosity);
	sig_install();

	if (ctlpath != NULL && (ctlfd = open_control(ctlpath)) == -1) {
		log_err("%s: %s", ctlpath, strerror(errno));
		return EX_NOINPUT;
	}

	conf = kconf_new();
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		log_err("%s", errstr);
		return EX_SOFTWARE;
	}
	if ((mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers)) == NULL) {
		log_err("cannot start the mock cluster");
		rd_kafka_destroy(rk);
		return EX_UNAVAILABLE;
	}
	for (i = 0; i < ntopics; i++) {
		char name[256];
		colon = strrchr(topics[i], ':');
		snprintf(name, sizeof(name), "%.*s", (int)(colon - topics[i]),
		    topics[i]);
		(void)num_parse(colon + 1, 1, 100000, &parts);
		if (create_topic(mc, (int)nbrokers, name, parts, why,
		    sizeof(why)) == -1) {
			log_err("%s", why);
			rd_kafka_mock_cluster_destroy(mc);
			rd_kafka_destroy(rk);
			return EX_SOFTWARE;
		}
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* Nobody would learn the address: stop at once. */
		log_err("stdout: %s", strerror(errno));
		rd_kafka_mock_cluster_destroy(mc);
		rd_kafka_destroy(rk);
		return EX_IOERR;
	}
	log_info("serving %lld brokers at %s", nbrokers,
	    rd_kafka_mock_cluster_bootstraps(mc));

	/* Wait for a stop signal, serving control commands meanwhile. */
	while (sig_caught() == 0) {
		pfd.fd = ctlfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (sig_poll(&pfd, ctlfd >= 0 ? 1 : 0, -1) <= 0)
			continue;
		n = read(ctlfd, ctlbuf + ctllen, sizeof(ctlbuf) - 1 - ctllen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* The writer went away: wait for the next one. */
			if (ctlfd != STDIN_FILENO)
				close(ctlfd);
			ctllen = 0;
			ctlfd = ctlfd != STDIN_FILENO && n == 0 ?
			    open_control(ctlpath) : -1;
			continue;
		}
		ctllen += (size_t)n;
		ctlbuf[ctllen] = '\0';
		while ((nl = strchr(ctlbuf, '\n')) != NULL) {
			*nl = '\0';
			if (nl > ctlbuf && nl[-1] == '\r')
				nl[-1] = '\0';
			char cmd[4096];
			snprintf(cmd, sizeof(cmd), "%s", ctlbuf);
			if (control(mc, (int)nbrokers, ctlbuf, why,
			    sizeof(why)) == 0)
				printf("ok %s\n", cmd);
			else {
				printf("error %s: %s\n", cmd, why);
				log_err("control: %s: %s", cmd, why);
			}
			fflush(stdout);
			ctllen -= (size_t)(nl + 1 - ctlbuf);
			memmove(ctlbuf, nl + 1, ctllen + 1);
		}
		if (ctllen == sizeof(ctlbuf) - 1) {
			log_err("control: line too long, dropped");
			ctllen = 0;
		}
	}
	log_info("stopping on signal %d", sig_caught());
	if (ctlfd > STDIN_FILENO)
		close(ctlfd);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
