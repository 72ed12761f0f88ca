/*
 * kmock - a local Kafka-protocol broker for development and tests.
 *
 * Wraps librdkafka's mock cluster: prints the bootstrap list as the
 * first line of stdout, then serves until SIGINT/SIGTERM.  With
 * --control FILE it takes fault-injection commands (broker down/up,
 * added round-trip time, request errors) one per line and answers each
 * on stdout, so tests can break the cluster on purpose (control.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli.h"
#include "kconf.h"
#include "kmock.h"
#include "log.h"
#include "num.h"
#include "sig.h"

#define KMOCK_MAX_TOPICS 64

static const char kmock_usage[] =
    "usage: kmock [-hqVv] [-C FILE] [-n N] [-t NAME:PARTITIONS]...\n";

static const char kmock_help[] =
    "Run librdkafka's mock Kafka cluster on 127.0.0.1 and print its\n"
    "bootstrap list as the first line of stdout.\n\n"
    "  -C, --control FILE     read fault-injection commands from FILE\n"
    "                         (a FIFO, or - for stdin); see kmock(1)\n"
    "  -h, --help             show this help and exit\n"
    "  -n, --broker-count N   number of brokers (default 3)\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -t, --topic NAME:N     create topic NAME with N partitions\n"
    "                         (repeatable)\n"
    "  -V, --version          print the version and exit\n"
    "  -v, --verbose          more messages on stderr (repeatable)\n";

struct kmock {
	const char		*topics[KMOCK_MAX_TOPICS]; /* NAME:PARTITIONS */
	size_t			 ntopics;
	long long		 nbrokers;
	const char		*ctlpath;	/* --control, or NULL */
	int			 ctlfd;
	rd_kafka_t		*rk;
	rd_kafka_mock_cluster_t	*mc;
};

/* -t NAME:PARTITIONS, checked here and created once the cluster runs. */
static int
topic_option(struct kmock *m, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	long long parts;

	if (colon == NULL || colon == arg ||
	    num_parse(colon + 1, 1, 100000, &parts) == -1) {
		log_err("-t %s: expected NAME:PARTITIONS", arg);
		return EX_USAGE;
	}
	if (m->ntopics == KMOCK_MAX_TOPICS) {
		log_err("too many -t topics (max %d)", KMOCK_MAX_TOPICS);
		return EX_USAGE;
	}
	m->topics[m->ntopics++] = arg;
	return CLI_GO_ON;
}

/* The command line, as kmock(1) has it: CLI_GO_ON or the exit status. */
static int
kmock_options(struct kmock *m, struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "broker-count", required_argument, NULL, 'n' },
		{ "brokers", required_argument, NULL, 'n' }, /* old name */
		{ "control", required_argument, NULL, 'C' },
		{ "topic", required_argument, NULL, 't' },
		CLI_LONGOPTS
	};
	int ch, st;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "C:n:t:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			m->ctlpath = optarg;
			st = CLI_GO_ON;
			break;
		case 'n':
			st = cli_number("-n", optarg, 1, 64, &m->nbrokers) ?
			    EX_USAGE : CLI_GO_ON;
			break;
		case 't':
			st = topic_option(m, optarg);
			break;
		default:
			st = cli_common(cli, ch);
		}
		if (st != CLI_GO_ON)
			return st;
	}
	if (optind != argc)
		return cli_usage(cli, "%s: kmock takes no operands (topics are "
		    "-t NAME:PARTITIONS)", argv[optind]);
	return CLI_GO_ON;
}

static int
open_control(const char *path)
{
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static int
kmock_stop(struct kmock *m, int status)
{
	if (m->mc != NULL)
		rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->rk);
	return status;
}

/*
 * The cluster and its -t topics, its address on stdout: CLI_GO_ON, or
 * the exit status with nothing left running.
 */
static int
kmock_start(struct kmock *m)
{
	char errstr[512], name[256];
	const char *colon;
	long long parts;
	size_t i;

	m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf_new(), errstr,
	    sizeof(errstr));
	if (m->rk == NULL) {
		log_err("%s", errstr);
		return EX_SOFTWARE;
	}
	if ((m->mc = rd_kafka_mock_cluster_new(m->rk, (int)m->nbrokers)) ==
	    NULL) {
		log_err("cannot start the mock cluster");
		return kmock_stop(m, EX_UNAVAILABLE);
	}
	for (i = 0; i < m->ntopics; i++) {
		colon = strrchr(m->topics[i], ':');
		snprintf(name, sizeof(name), "%.*s",
		    (int)(colon - m->topics[i]), m->topics[i]);
		(void)num_parse(colon + 1, 1, 100000, &parts);
		if (kmock_create_topic(m->mc, (int)m->nbrokers, name, parts,
		    errstr, sizeof(errstr)) == -1) {
			log_err("%s", errstr);
			return kmock_stop(m, EX_SOFTWARE);
		}
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(m->mc));
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* Nobody would learn the address: stop at once. */
		log_err("stdout: %s", strerror(errno));
		return kmock_stop(m, EX_IOERR);
	}
	log_info("serving %lld brokers at %s", m->nbrokers,
	    rd_kafka_mock_cluster_bootstraps(m->mc));
	return CLI_GO_ON;
}

/*
 * Run and answer each whole line in buf (*len bytes, NUL-terminated);
 * what is left is the start of the next line.
 */
static void
control_lines(struct kmock *m, char *buf, size_t *len)
{
	char cmd[4096], why[512], *nl;

	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		if (nl > buf && nl[-1] == '\r')
			nl[-1] = '\0';
		snprintf(cmd, sizeof(cmd), "%s", buf);
		if (kmock_control(m->mc, (int)m->nbrokers, buf, why,
		    sizeof(why)) == 0)
			printf("ok %s\n", cmd);
		else {
			printf("error %s: %s\n", cmd, why);
			log_err("control: %s: %s", cmd, why);
		}
		fflush(stdout);
		*len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *len + 1);
	}
}

/* Wait for a stop signal, serving control commands meanwhile. */
static void
kmock_serve(struct kmock *m)
{
	char buf[4096];
	size_t len = 0;
	struct pollfd pfd;
	ssize_t n;

	while (sig_caught() == 0) {
		pfd.fd = m->ctlfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (sig_poll(&pfd, m->ctlfd >= 0 ? 1 : 0, -1) <= 0)
			continue;
		n = read(m->ctlfd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* The writer went away: wait for the next one. */
			if (m->ctlfd != STDIN_FILENO)
				close(m->ctlfd);
			len = 0;
			m->ctlfd = m->ctlfd != STDIN_FILENO && n == 0 ?
			    open_control(m->ctlpath) : -1;
			continue;
		}
		len += (size_t)n;
		buf[len] = '\0';
		control_lines(m, buf, &len);
		if (len == sizeof(buf) - 1) {
			log_err("control: line too long, dropped");
			len = 0;
		}
	}
	log_info("stopping on signal %d", sig_caught());
	if (m->ctlfd > STDIN_FILENO)
		close(m->ctlfd);
}

int
main(int argc, char **argv)
{
	struct cli cli = { .usage = kmock_usage, .help = kmock_help };
	struct kmock m = { .nbrokers = 3, .ctlfd = -1 };
	char libs[64];
	int st;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	snprintf(libs, sizeof(libs), "librdkafka %s", rd_kafka_version_str());
	cli.libs = libs;
	if ((st = kmock_options(&m, &cli, argc, argv)) != CLI_GO_ON)
		return st;
	sig_install();

	if (m.ctlpath != NULL && (m.ctlfd = open_control(m.ctlpath)) == -1) {
		log_err("%s: %s", m.ctlpath, strerror(errno));
		return EX_NOINPUT;
	}
	if ((st = kmock_start(&m)) != CLI_GO_ON)
		return st;
	kmock_serve(&m);
	return kmock_stop(&m, 0);
}
