/*
 * kcons - Kafka to JSON lines.
 *
 * Prints each message value on its own line: the value itself when it
 * is one line of JSON, else a JSON string of its bytes, so the output is
 * always valid JSON lines.  -J wraps each in an envelope carrying topic,
 * partition, offset, timestamp, key and headers (DESIGN.md).
 *
 * --commit-acks FILE is the consumer half of end-to-end delivery: auto
 * commit is off, and the offsets committed are exactly the ones named by
 * the ack lines s3put writes to FILE once S3 holds the data.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "clock.h"
#include "kconf.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "wire.h"

#include "kcons.h"

enum { OPT_COMMIT_ACKS = CLI_LONG };

static const struct option longopts[] = {
	{ "commit-acks", required_argument, NULL, OPT_COMMIT_ACKS },
	{ "count", required_argument, NULL, 'c' },
	{ "envelope", no_argument, NULL, 'J' },
	{ "exit-eof", no_argument, NULL, 'e' },
	{ "format", required_argument, NULL, 'f' },
	{ "group", required_argument, NULL, 'G' },
	{ "key-delimiter", required_argument, NULL, 'K' },
	{ "offset", required_argument, NULL, 'o' },
	{ "partition", required_argument, NULL, 'p' },
	{ "topic", required_argument, NULL, 't' },
	CLI_KAFKA_LONGOPTS,
	CLI_LONGOPTS
};

/* kcat's options that are another tool's job here. */
static const struct cli_hint hints[] = {
	{ "-P", "kcons only consumes: to produce, as kcat -P, use kprod" },
	{ "-L", "the metadata, as kcat -L, is kmeta's: kmeta -b BROKERS" },
	{ "-Q", "offsets by time, as kcat -Q, are kmeta's: kmeta -Q" },
	{ NULL, NULL }
};

static struct cli cli = {
	"usage: kcons [-CeJhqVv] [-b BROKERS] [-c COUNT] [-F FILE] "
	"[-f FORMAT] [-G GROUP]\n"
	"             [-K DELIM] [-o OFFSET] [-p PARTITION] "
	"[-X PROP=VALUE]...\n"
	"             [--commit-acks FILE] -t TOPIC...\n",

	"Print the messages of Kafka TOPICs as JSON lines.\n\n"
	"  -b, --brokers BROKERS  bootstrap brokers (else $KAFKA_BROKERS)\n"
	"  -C                     consume (kcat's; kcons does nothing "
	"else)\n"
	"  -c, --count COUNT      exit after COUNT messages\n"
	"  -e, --exit-eof         exit when every assigned partition is "
	"at its end\n"
	"  -F, --config FILE      librdkafka properties file\n"
	"  -f, --format FORMAT    print each message as kcat's -f FORMAT:\n"
	"                         %t %p %o %k %K %s %S %R %T %h, \\n \\t\n"
	"  -G, --group GROUP      join the balanced consumer group GROUP\n"
	"  -h, --help             show this help and exit\n"
	"  -J, --envelope         print envelopes: topic, partition, offset,\n"
	"                         timestamp, key, headers, value\n"
	"  -K, --key-delimiter DELIM  print key DELIM value (-f '%kDELIM%s\\n')\n"
	"  -o, --offset OFFSET    beginning, end, stored, N, -N (N from the\n"
	"                         end) or s@MS (first at or after time MS)\n"
	"  -p, --partition N      read only partition N (not with -G)\n"
	"  -q, --quiet            only errors on stderr\n"
	"  -t, --topic TOPIC      topic to consume (repeatable)\n"
	"  -V, --version          print the version and exit\n"
	"  -v, --verbose          more messages on stderr (repeatable)\n"
	"  -X PROP=VALUE          librdkafka property (-X list shows them)\n"
	"      --commit-acks FILE commit only offsets acknowledged by the\n"
	"                         ack lines read from FILE (needs -G)\n",
	NULL, 0, hints
};

/*
 * Tell the sink that the group took these partitions away, and wait for
 * its answer (kcons.h): then it holds nothing of them, has written every
 * ack of them (committed while they are still this member's), and will
 * store nothing more of them.  Only then may another member be given
 * them: the group's next generation waits for this callback to return.
 * Writing the lines and waiting are bounded by half of
 * max.poll.interval.ms, within which this member must rejoin or be put
 * out of the group.  Returns 0, or -1 when the sink did not answer in
 * time: the run must end (a sink that still holds a partition must not
 * be given its records again).
 */
static int
revoke_handshake(struct kcons *c, const rd_kafka_topic_partition_list_t *l)
{
	struct timespec until;
	long long start, left;
	int i, st;

	if (c->ackpath == NULL || !c->envelope || l->cnt == 0 ||
	    atomic_load(&c->stopping) || atomic_load(&c->ack_done))
		return 0;
	pthread_mutex_lock(&c->mu);
	c->revoke_id++;
	c->answers_due = l->cnt;
	pthread_mutex_unlock(&c->mu);
	for (i = 0; i < l->cnt; i++)
		wire_control_write(&c->out, "revoke", c->revoke_id,
		    l->elems[i].topic, (int)l->elems[i].partition);
	start = clock_mono_ms();
	if ((st = obuf_flush_within(&c->out, c->handshake_ms)) == -1) {
		pthread_mutex_lock(&c->mu);
		c->answers_due = 0;	/* no sink to answer */
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	left = st == 0 ? c->handshake_ms - (clock_mono_ms() - start) : 0;
	pthread_mutex_lock(&c->mu);
	while (c->answers_due > 0 && left > 0 && !atomic_load(&c->ack_done) &&
	    sig_count() < 2) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cv, &c->mu, &until);
		left -= 200;
	}
	st = c->answers_due > 0 && !atomic_load(&c->ack_done) ? -1 : 0;
	if (st == -1)
		log_err("the sink did not %s the revoke of %d partition%s "
		    "within %lld ms: stopping, so that no record of them is "
		    "given to it again (what it holds of them may still be "
		    "stored: at least once for those)", left > 0 ||
		    c->out.len == 0 ? "answer" : "read", c->answers_due,
		    c->answers_due == 1 ? "" : "s", c->handshake_ms);
	else
		log_debug("the sink answered the revoke of %d partitions",
		    l->cnt);
	c->answers_due = 0;
	pthread_mutex_unlock(&c->mu);
	return st;
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kcons *c = opaque;
	rd_kafka_error_t *e = NULL;
	const char *proto = rd_kafka_rebalance_protocol(rk);
	char list[1024];
	size_t o = 0;
	int i, coop = proto != NULL && strcmp(proto, "COOPERATIVE") == 0;

	list[0] = '\0';
	for (i = 0; i < parts->cnt && o < sizeof(list) - 64; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s[%d]",
		    i ? " " : "", parts->elems[i].topic,
		    (int)parts->elems[i].partition);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		log_info("assigned: %s", parts->cnt ? list : "(none)");
		parts_add(c, parts);
		if (coop)
			e = rd_kafka_incremental_assign(rk, parts);
		else
			rd_kafka_assign(rk, parts);
	} else {
		log_info("revoked%s: %s", rd_kafka_assignment_lost(rk) ?
		    " (lost)" : "", parts->cnt ? list : "(none)");
		parts_store_written(c);	/* committed while still ours */
		if (revoke_handshake(c, parts) == -1) {
			c->status = EX_TEMPFAIL;
			atomic_store(&c->halt, 1);
		}
		parts_remove(c, parts);
		if (coop)
			e = rd_kafka_incremental_unassign(rk, parts);
		else
			rd_kafka_assign(rk, NULL);
	}
	if (e != NULL) {
		log_err("%s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
}

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		log_warn("all brokers are down: %s", reason);
	else
		log_info("%s", reason);
}

/* ---- output ---- */

static void
put_envelope(struct obuf *o, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	const char *name;
	const void *val;
	size_t vlen, i;
	int64_t ts;

	ts = rd_kafka_message_timestamp(m, &tstype);
	wire_envelope_begin(o, rd_kafka_topic_name(m->rkt), (int)m->partition,
	    (long long)m->offset, tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ?
	    -1 : (long long)ts, m->key, m->key_len);
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val,
		    &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
			wire_envelope_header(o, i, name, val, vlen);
	wire_envelope_end(o, m->payload, m->len);
}

/* ---- the loop ---- */

/* -e: every partition assigned is at its end. */
static int
all_at_end(const struct kcons *c)
{
	return c->exit_eof && atomic_load(&c->joined) && c->nparts > 0 &&
	    c->neof == c->nparts;
}

/* Handle one message or event; returns 0 to go on, 1 to stop. */
static int
handle(struct kcons *c, rd_kafka_message_t *m)
{
	struct kcons_part *p;
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "";

	if (atomic_load(&c->halt))
		return 1;	/* a revoke went unanswered: nothing more */
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		p = part_find(c, topic, m->partition);
		if (p != NULL && !p->at_eof) {
			p->at_eof = 1;
			c->neof++;
		}
		log_debug("%s[%d] at end, offset %lld", topic,
		    (int)m->partition, (long long)m->offset);
		return all_at_end(c);
	}
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("%s%s%s", topic, *topic ? ": " : "",
		    rd_kafka_message_errstr(m));
		if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
		    m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
		    m->err == RD_KAFKA_RESP_ERR__FATAL) {
			c->status = EX_NOINPUT;
			return 1;
		}
		return 0;
	}
	/*
	 * A message of a partition revoked already (in the batch that
	 * served the revoke): the sink was told it holds nothing more of
	 * it, and its next owner reads it from the commit.  (Without the
	 * handshake it is printed: auto commit counts it as consumed.)
	 */
	if (c->group != NULL && c->ackpath != NULL && c->envelope &&
	    part_find(c, topic, m->partition) == NULL) {
		log_debug("%s[%d]@%lld: revoked; not printed", topic,
		    (int)m->partition, (long long)m->offset);
		return 0;
	}
	/* Only -e tracks ends; a new message moves its partition off it. */
	if (c->neof > 0 && (p = part_find(c, topic, m->partition)) != NULL &&
	    p->at_eof) {
		p->at_eof = 0;
		c->neof--;
	}
	if (c->store_written && (p = part_find(c, topic, m->partition)) !=
	    NULL)
		p->written = m->offset + 1;	/* stored once flushed */
	if (c->format != NULL)
		kfmt_put(&c->out, c->format, m);
	else {
		if (c->envelope)
			put_envelope(&c->out, m);
		else
			wire_value(&c->out, m->payload, m->len);
		obuf_putc(&c->out, '\n');
	}
	c->nmsgs++;
	c->bytes += m->len;
	if (obuf_error(&c->out))
		return 1;
	return c->count > 0 && c->nmsgs >= (unsigned long long)c->count;
}

/*
 * Has the reader of stdout gone away?  A write would say so, but an idle
 * consumer does not write: poll(2) reports POLLERR on a pipe whose read
 * end is closed.
 */
static int
stdout_gone(void)
{
	struct pollfd pfd = { STDOUT_FILENO, 0, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP));
}

/*
 * Messages are taken from the consumer queue in batches: one queue lock
 * and wake-up per batch instead of per message.  Rebalance callbacks are
 * still served from inside the call.
 */
#define KCONS_BATCH 1024

/* QP_STATS: messages, bytes, commits. */
static void
kcons_stats(const struct kcons *c, int final)
{
	struct stat_field f[] = {
		{ "records_out", "Count", (double)c->nmsgs },
		{ "bytes", "Bytes", (double)c->bytes },
		{ "commits", "Count", (double)atomic_load(&c->ncommits) },
	};

	stats_emit(f, 3, final);
}

/*
 * Up to KCONS_BATCH messages, waiting up to ms for the first.  With the
 * revoke handshake, one at a time: a batch may hold messages taken from
 * the queue before a rebalance callback served in the same call (of a
 * partition revoked, even revoked and given back), which the handshake
 * has promised the sink are not coming; one message at a time is always
 * taken after the callbacks, and librdkafka drops the ones fetched
 * before a revoke.
 */
static ssize_t
take_messages(struct kcons *c, rd_kafka_queue_t *q, int ms,
    rd_kafka_message_t **msgs)
{
	if (c->group != NULL && c->ackpath != NULL && c->envelope)
		return (msgs[0] = rd_kafka_consumer_poll(c->rk, ms)) != NULL;
	return rd_kafka_consume_batch_queue(q, ms, msgs, KCONS_BATCH);
}

static void
consume(struct kcons *c)
{
	rd_kafka_message_t *msgs[KCONS_BATCH];
	rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
	ssize_t n, i;
	int stop = 0;

	while (!stop && !sig_caught() && !atomic_load(&c->halt)) {
		n = take_messages(c, q, 0, msgs);
		if (n <= 0) {
			/* About to wait: nothing may sit in the buffer. */
			obuf_flush(&c->out);
			parts_store_written(c);
			if (obuf_error(&c->out))
				break;
			n = take_messages(c, q, 100, msgs);
			if (n <= 0) {
				sig_sleep(0);	/* deliver a pending signal */
				if (stdout_gone()) {
					c->out.err = EPIPE;
					break;
				}
				if (stats_due())	/* idle: on time still */
					kcons_stats(c, 0);
				continue;
			}
		}
		for (i = 0; i < n; i++) {
			if (!stop)
				stop = handle(c, msgs[i]);
			rd_kafka_message_destroy(msgs[i]);
		}
		parts_store_written(c);	/* per batch: not only when idle */
		sig_sleep(0);	/* a signal, even while messages pour in */
		/* A revoke can leave only partitions at their end (-e). */
		if (all_at_end(c) || atomic_load(&c->halt))
			stop = 1;
		if (stats_due())
			kcons_stats(c, 0);
	}
	rd_kafka_queue_destroy(q);
}

/*
 * kcat's -K DELIM on the consumer: -f '%kDELIM%s\n', DELIM's backslash
 * escapes read as kcat reads them (-K '\t': a tab), but a % in it
 * itself (kcat would take it for a token).
 */
static int
key_format(struct kcons *c, const char *delim)
{
	char fmt[256], why[256];
	size_t n = 0;

	n += (size_t)snprintf(fmt, sizeof(fmt), "%%k");
	for (; *delim != '\0' && n < sizeof(fmt) - 8; delim++) {
		if (*delim == '%')
			fmt[n++] = *delim;
		fmt[n++] = *delim;
	}
	if (*delim != '\0')
		return cli_usage(&cli, "-K: the delimiter is too long");
	memcpy(fmt + n, "%s\\n", 5);
	kfmt_free(c->format);
	if ((c->format = kfmt_compile(fmt, why, sizeof(why))) == NULL)
		return cli_usage(&cli, "-K: %s", why);
	return CLI_GO_ON;
}

/* One of kcons's own options: CLI_GO_ON or the exit status. */
static int
option(struct kcons *c, rd_kafka_conf_t *conf, int ch, const char *arg,
    struct kcons_start *start, const char **offset_arg,
    const char **brokers)
{
	char why[256];

	switch (ch) {
	case 'C':
		break;		/* kcat's: kcons only consumes */
	case 'c':
		if (cli_number("-c", arg, 1, LLONG_MAX, &c->count) == -1)
			return EX_USAGE;
		break;
	case 'f':
		c->format_opt = "-f";
		kfmt_free(c->format);
		if ((c->format = kfmt_compile(arg, why, sizeof(why))) == NULL)
			return cli_usage(&cli, "-f: %s", why);
		break;
	case 'K':
		c->format_opt = "-K";
		return key_format(c, arg);
	case 'p':
		if (cli_number("-p", arg, 0, INT32_MAX, &c->partition) == -1)
			return EX_USAGE;
		break;
	case 'e':
		c->exit_eof = 1;
		break;
	case 'G':
		c->group = arg;
		break;
	case 'J':
		c->envelope = 1;
		break;
	case 'o':
		*offset_arg = arg;
		if (parse_offset(arg, start) == -1) {
			log_err("-o %s: expected beginning, end, stored, N, -N "
			    "or s@MS", arg);
			return EX_USAGE;
		}
		break;
	case 't':
		if (*arg == '\0')
			return cli_usage(&cli, "-t: an empty topic name");
		if (c->ntopics == KCONS_MAX_TOPICS) {
			log_err("too many -t topics (max %d)",
			    KCONS_MAX_TOPICS);
			return EX_USAGE;
		}
		c->topics[c->ntopics++] = arg;
		break;
	case OPT_COMMIT_ACKS:
		c->ackpath = arg;
		break;
	case 'b': case 'F': case 'X':
		return cli_kafka_option(conf, brokers, ch, arg);
	default:
		return cli_common(&cli, ch);
	}
	return CLI_GO_ON;
}

/*
 * The consumer's settings that follow from the options: a group's
 * committed offset rules (-o only says where to start without one);
 * without a group, partitions are assigned by hand and nothing is
 * committed; with --commit-acks only acks commit.
 */
static int
configure(struct kcons *c, rd_kafka_conf_t *conf,
    const struct kcons_start *start, const char *offset_arg)
{
	char anon[64];
	int st = CLI_GO_ON;

	if (c->group != NULL) {
		if (offset_arg != NULL &&
		    start->offset != RD_KAFKA_OFFSET_BEGINNING &&
		    start->offset != RD_KAFKA_OFFSET_END &&
		    start->offset != RD_KAFKA_OFFSET_STORED) {
			log_err("-o %s: with -G only beginning, end or stored",
			    offset_arg);
			return EX_USAGE;
		}
		if ((st = cli_kafka_set(conf, NULL, "group.id", c->group)) ==
		    CLI_GO_ON && (!kconf_is_set(conf, "auto.offset.reset") ||
		    offset_arg != NULL))
			st = cli_kafka_set(conf, NULL, "auto.offset.reset",
			    start->offset == RD_KAFKA_OFFSET_END ? "latest" :
			    "earliest");
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	} else if (start->offset == RD_KAFKA_OFFSET_STORED &&
	    !kconf_is_set(conf, "group.id")) {
		log_err("-o stored needs a group (-G GROUP or -X group.id=)");
		return EX_USAGE;
	} else if (!kconf_is_set(conf, "group.id")) {
		/* librdkafka's consumer wants a group.id even to assign
		 * partitions by hand; it is never joined or committed to. */
		snprintf(anon, sizeof(anon), "kcons-%ld", (long)getpid());
		st = cli_kafka_set(conf, NULL, "group.id", anon);
	}
	if (st == CLI_GO_ON && (c->ackpath != NULL || c->group == NULL) &&
	    (st = cli_kafka_set(conf, NULL, "enable.auto.commit", "false")) ==
	    CLI_GO_ON)
		st = cli_kafka_set(conf, NULL, "enable.auto.offset.store",
		    "false");
	else if (st == CLI_GO_ON) {
		/* Automatic commits of what was written (parts.c). */
		st = cli_kafka_set(conf, NULL, "enable.auto.offset.store",
		    "false");
		c->store_written = 1;
	}
	if (st == CLI_GO_ON && c->exit_eof)
		st = cli_kafka_set(conf, NULL, "enable.partition.eof", "true");
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, c);
	return st;
}

/* max.poll.interval.ms as librdkafka has it. */
static long long
poll_interval_ms(rd_kafka_t *rk)
{
	char v[32];
	size_t n = sizeof(v);
	long long ms;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), "max.poll.interval.ms", v,
	    &n) != RD_KAFKA_CONF_OK || (ms = atoll(v)) <= 0)
		return 300000;
	return ms;
}

/* Subscribe (-G) or assign, consume, and leave after the last acks. */
static int
run(struct kcons *c, rd_kafka_conf_t *conf, const struct kcons_start *start)
{
	rd_kafka_topic_partition_list_t *subs;
	rd_kafka_resp_err_t err;
	char errstr[512];
	int rc, warned = 0;
	size_t t;

	if ((c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof(errstr))) == NULL) {
		log_err("%s", errstr);
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	rd_kafka_poll_set_consumer(c->rk);
	obuf_open(&c->out, STDOUT_FILENO, 256 * 1024);
	c->handshake_ms = poll_interval_ms(c->rk) / 2;

	if (c->ackpath != NULL &&
	    pthread_create(&c->ack_thread, NULL, ack_main, c) != 0) {
		log_err("cannot start the ack reader");
		c->ackpath = NULL;
		c->status = EX_OSERR;
		goto out;
	}
	if (c->group != NULL) {
		subs = rd_kafka_topic_partition_list_new((int)c->ntopics);
		for (t = 0; t < c->ntopics; t++)
			rd_kafka_topic_partition_list_add(subs, c->topics[t],
			    RD_KAFKA_PARTITION_UA);
		err = rd_kafka_subscribe(c->rk, subs);
		rd_kafka_topic_partition_list_destroy(subs);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("subscribe: %s", rd_kafka_err2str(err));
			c->status = EX_SOFTWARE;
			goto out;
		}
	} else if ((rc = assign_all(c, start)) != 0) {
		c->status = rc;
		goto out;
	}
	consume(c);
out:
	atomic_store(&c->stopping, 1);
	if (sig_caught())
		log_info("signal %d: stopping", sig_caught());
	/* Closing stdout tells the sink (s3put) to flush and send its last
	 * acks; read them all before leaving the group. */
	if (obuf_close(&c->out) != 0 && (rc = cli_stdout_error(c->out.err)) !=
	    0 && c->status == 0)
		c->status = rc;
	close(STDOUT_FILENO);
	if (c->ackpath != NULL) {
		if (atomic_load(&c->halt))
			atomic_store(&c->ack_abandon, 1);	/* none is ours */
		while (!atomic_load(&c->ack_done)) {
			if (sig_count() > 1) {
				log_warn("not waiting for more acks");
				atomic_store(&c->ack_abandon, 1);
			} else if (!warned++)
				log_info("waiting for the last acks on %s",
				    c->ackpath);
			sig_sleep(50);
		}
		pthread_join(c->ack_thread, NULL);
		log_info("%lu commits from acks", atomic_load(&c->ncommits));
		if (c->nack_errors > 0 && c->status == 0)
			c->status = EX_DATAERR;
	}
	rd_kafka_consumer_close(c->rk);
	rd_kafka_destroy(c->rk);
	parts_clear(c);
	kfmt_free(c->format);
	kcons_stats(c, 1);
	log_info("%lu messages", c->nmsgs);
	return c->status;
}

int
main(int argc, char **argv)
{
	static struct kcons c = {
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
		.partition = -1,
	};
	struct kcons_start start = { RD_KAFKA_OFFSET_BEGINNING, -1 };
	rd_kafka_conf_t *conf;
	const char *brokers = NULL, *offset_arg = NULL;
	char libs[64];
	int ch, st;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	snprintf(libs, sizeof(libs), "librdkafka %s", rd_kafka_version_str());
	cli.libs = libs;
	conf = kconf_new();
	/*
	 * The toolkit's default, which -X may override: brokers hold an
	 * empty fetch 100 ms, not 500, so -e ends and a quiet stream's next
	 * message arrives sooner, for a few more requests while idle.
	 */
	if ((st = cli_kafka_set(conf, NULL, "fetch.wait.max.ms", "100")) !=
	    CLI_GO_ON)
		goto bail;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS CLI_KAFKA_SHORTOPTS
	    "Cc:ef:G:JK:o:p:t:", longopts, NULL)) != -1)
		if ((st = option(&c, conf, ch, optarg, &start, &offset_arg,
		    &brokers)) != CLI_GO_ON)
			goto bail;
	if (optind != argc) {
		st = cli_usage(&cli, "%s: kcons takes no operands (topics are "
		    "-t TOPIC)", argv[optind]);
		goto bail;
	}
	if (c.ntopics == 0) {
		st = cli_usage(&cli, "no topic: use -t TOPIC");
		goto bail;
	}
	if (c.ackpath != NULL && c.group == NULL) {
		log_err("--commit-acks needs a consumer group (-G GROUP)");
		st = EX_USAGE;
		goto bail;
	}
	if (c.format != NULL && (c.envelope || c.ackpath != NULL)) {
		st = cli_usage(&cli, "%s prints its own format: not with %s",
		    c.format_opt, c.envelope ? "-J (the envelope)" :
		    "--commit-acks (its sink needs -J's envelopes)");
		goto bail;
	}
	if (c.partition != -1 && c.group != NULL) {
		st = cli_usage(&cli, "-p reads one partition by hand: not with "
		    "-G (the group assigns the partitions)");
		goto bail;
	}
	if ((st = cli_kafka_brokers(conf, brokers)) != CLI_GO_ON ||
	    (st = configure(&c, conf, &start, offset_arg)) != CLI_GO_ON)
		goto bail;
	sig_install();
	return run(&c, conf, &start);
bail:
	kfmt_free(c.format);
	rd_kafka_conf_destroy(conf);
	return st;
}
