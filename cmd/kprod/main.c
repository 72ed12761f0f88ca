/*
 * kprod - JSON lines to Kafka.
 *
 * Each input line becomes one message value, validated as JSON unless
 * --raw, passed through byte for byte.  The producer is idempotent with
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
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "clock.h"
#include "json.h"
#include "jsonl.h"
#include "kconf.h"
#include "log.h"
#include "stdfd.h"
#include "num.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "version.h"

#define KPROD_MAX_HEADERS	64
#define KPROD_MAX_REASONS	8
#define KPROD_BATCH		256	/* messages handed over per call */
#define KPROD_NO_ARENA		((size_t)-1)
#define KPROD_STOP_MS		300	/* kept back from the deadline to exit */

enum {
	OPT_FAILED = 256, OPT_MAX_LINE, OPT_ON_ERROR, OPT_RAW, OPT_REPORT
};

struct kprod {
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*rkt;
	const char		*topic;
	int32_t			 partition;
	struct json_path	*keypath;
	const char		*hnames[KPROD_MAX_HEADERS];
	const char		*hvalues[KPROD_MAX_HEADERS];
	size_t			 nheaders;
	int			 raw, report;
	enum jsonl_policy	 on_error;
	size_t			 max_line;

	struct obuf		 out;		/* stdout: reports */
	struct obuf		 failed;	/* --failed FILE */
	int			 have_failed;

	/*
	 * Lines waiting to be handed to librdkafka in one call.  Values and
	 * most keys point into the reader's buffer, valid until its wait
	 * hook runs; keys that had to be unescaped live in arena.
	 */
	rd_kafka_message_t	 batch[KPROD_BATCH];
	size_t			 keyoff[KPROD_BATCH];
	size_t			 nbatch;
	char			*arena;
	size_t			 arenalen, arenacap;
	size_t			 batch_bytes;
	long long		 queue_max;	/* queue.buffering.max.messages */
	unsigned long long	 queue_max_bytes; /* ... .max.kbytes */
	unsigned long long	 queued_bytes;	/* ours, not yet reported */

	unsigned long		 nread, nbad, naccepted, nsent;
	unsigned long		 ndelivered, nfailed;
	unsigned long		 npossibly;	/* failed, maybe persisted */
	unsigned long long	 bytes;
	double			 latency_us;	/* sum over delivered */
	struct {
		rd_kafka_resp_err_t	err;
		unsigned long		n;
	} reasons[KPROD_MAX_REASONS];
	int			 fatal;
	int			 input_err;	/* EX_NOINPUT / EX_IOERR seen */

	long long		 timeout_ms;	/* message.timeout.ms */
	long long		 deadline;	/* epoch ms to stop at; 0: none */
	int			 deadline_hit;
	char			 broker_err[512]; /* the last broker error */
	char			 brokers[256];	/* bootstrap.servers */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: kprod [-hqVv] [-b BROKERS] [-F FILE] [-H NAME=VALUE]... "
	    "[-k PATH]\n"
	    "             [-p PARTITION] [-T SECONDS] [-X PROP=VALUE]... "
	    "[-z CODEC]\n"
	    "             [--failed FILE] [--max-line SIZE] [--on-error POLICY]"
	    " [--raw]\n"
	    "             [--report] -t TOPIC [FILE ...]\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Produce each JSON line of the FILEs (or stdin) as one Kafka "
	    "message.\n\n"
	    "  -b, --brokers BROKERS  bootstrap brokers (else $KAFKA_BROKERS)\n"
	    "  -F, --config FILE      librdkafka properties file\n"
	    "  -H, --header NAME=VALUE  add a header to every message "
	    "(repeatable)\n"
	    "  -h, --help             show this help and exit\n"
	    "  -k, --key PATH         message key from a field path: .symbol,\n"
	    "                         .country.code, .a[0]\n"
	    "  -p, --partition N      produce to partition N (default: by key)\n"
	    "  -q, --quiet            only errors on stderr\n"
	    "  -T, --timeout SECONDS  give up delivering a message SECONDS after "
	    "it was read\n"
	    "                         (default 300: message.timeout.ms)\n"
	    "  -t, --topic TOPIC      the topic to produce to\n"
	    "  -V, --version          print the version and exit\n"
	    "  -v, --verbose          more messages on stderr (repeatable)\n"
	    "  -X PROP=VALUE          librdkafka property (-X list shows them)\n"
	    "  -z, --compression CODEC  none, gzip, snappy, lz4 or zstd\n"
	    "      --failed FILE      write undelivered lines to FILE\n"
	    "      --max-line SIZE    longest accepted line (default 1M)\n"
	    "      --on-error POLICY  bad lines: count (default), fail or skip\n"
	    "      --raw              do not validate lines as JSON\n"
	    "      --report           one delivery report per message on "
	    "stdout\n");
}

static void
note_reason(struct kprod *k, rd_kafka_resp_err_t err)
{
	size_t i;

	for (i = 0; i < KPROD_MAX_REASONS; i++) {
		if (k->reasons[i].n == 0)
			k->reasons[i].err = err;
		if (k->reasons[i].err == err) {
			k->reasons[i].n++;
			return;
		}
	}
}

/*
 * One --report line.  A failed message has no place in the log, so its
 * partition and offset are -1 and the error is named.
 */
static void
report(struct kprod *k, int32_t partition, int64_t offset, const void *key,
    size_t klen, rd_kafka_resp_err_t err)
{
	obuf_puts(&k->out, "{\"topic\":");
	obuf_json_string(&k->out, k->topic, strlen(k->topic));
	obuf_printf(&k->out, ",\"partition\":%d,\"offset\":%lld,\"key\":",
	    err ? -1 : (int)partition, err ? -1LL : (long long)offset);
	if (key != NULL)
		obuf_json_string(&k->out, key, klen);
	else
		obuf_puts(&k->out, "null");
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		obuf_printf(&k->out, ",\"error\":\"%s\"", rd_kafka_err2name(err));
	obuf_puts(&k->out, "}\n");
}

/*
 * Delivery reports, served on the main thread by rd_kafka_poll() after
 * every message, as kcat does, so the message is freed by the thread
 * that allocated it.  That measured faster than leaving it to
 * librdkafka's threads (delivery.report.only.error) or to a report
 * thread, probably because cross-thread frees contend in the allocator.
 */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kprod *k = opaque;

	(void)rk;
	k->queued_bytes -= m->len + m->key_len;
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->nfailed++;
		note_reason(k, m->err);
		if (rd_kafka_message_status(m) ==
		    RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED)
			k->npossibly++;
		if (k->have_failed) {
			obuf_write(&k->failed, m->payload, m->len);
			obuf_putc(&k->failed, '\n');
		}
	} else {
		k->ndelivered++;
		k->broker_err[0] = '\0';	/* it was not for ever */
		k->latency_us += (double)rd_kafka_message_latency(m);
	}
	if (k->report)
		report(k, m->partition, m->offset, m->key, m->key_len, m->err);
}

/*
 * Errors, served by rd_kafka_poll() on the main thread.  The last
 * broker error is kept: it is why messages are not delivered, and the
 * final message names it.
 */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kprod *k = opaque;
	char fatal[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		log_err("fatal producer error: %s", fatal);
		k->fatal = 1;
	} else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		log_warn("all brokers are down (%s); retrying each message "
		    "for up to %g s%s", k->broker_err[0] ? k->broker_err :
		    reason, k->timeout_ms / 1000.0, k->deadline ?
		    ", or until the deadline" : "");
	} else {
		snprintf(k->broker_err, sizeof(k->broker_err), "%s", reason);
		log_info("%s", reason);
	}
}

/* Is a delivery failure one the brokers' state explains? */
static int
broker_reason(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		return 1;
	default:
		return 0;
	}
}

/* Has the deadline come?  Once it has, it stays come. */
static int
deadline_passed(struct kprod *k)
{
	if (k->deadline != 0 && !k->deadline_hit &&
	    clock_epoch_ms() >= k->deadline) {
		k->deadline_hit = 1;
		log_warn("the deadline (QP_DEADLINE_MS) has come: %d messages "
		    "undelivered, %lu lines read", rd_kafka_outq_len(k->rk),
		    k->nread);
	}
	return k->deadline_hit;
}

/* A poll(2) timeout: want (-1: none), shortened to the deadline. */
static int
poll_ms(struct kprod *k, int want)
{
	long long left;

	if (k->deadline == 0)
		return want;
	left = clock_left_ms(k->deadline, want < 0 ? 3600000 : want);
	return (int)left;
}

static void flush_batch(struct kprod *);

/*
 * Before each read that could block: serve delivery reports, flush
 * reports, and wait for input while watching for a stop signal.
 */
static int
kprod_wait(void *arg, int fd)
{
	struct kprod *k = arg;
	struct pollfd pfd;

	flush_batch(k);		/* the reader's buffer is about to move */
	for (;;) {
		rd_kafka_poll(k->rk, 0);
		obuf_flush(&k->out);
		obuf_flush(&k->failed);
		if (sig_caught() || k->fatal || deadline_passed(k))
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (sig_poll(&pfd, 1, poll_ms(k,
		    rd_kafka_outq_len(k->rk) > 0 ? 50 : -1)) > 0)
			return 0;
	}
}

/*
 * The message key for a record: NULL (no key), a pointer into the line
 * (*off = KPROD_NO_ARENA), or, for a string with escapes, its decoded
 * bytes at arena offset *off (the pointer returned is valid until the
 * arena grows).
 */
static const char *
record_key(struct kprod *k, const char *line, size_t len, size_t *klen,
    size_t *off)
{
	const char *v;
	size_t vlen;
	char *nb;

	*off = KPROD_NO_ARENA;
	switch (json_lookup(line, len, k->keypath, &v, &vlen)) {
	case JSON_MISSING:
	case JSON_NULL:
		return NULL;
	case JSON_STRING:
		if (memchr(v, '\\', vlen) == NULL) {
			*klen = vlen - 2;
			return v + 1;
		}
		if (k->arenacap - k->arenalen < vlen) {
			size_t cap = (k->arenacap + vlen) * 2;
			if ((nb = realloc(k->arena, cap)) == NULL)
				return NULL;
			k->arena = nb;
			k->arenacap = cap;
		}
		*off = k->arenalen;
		*klen = json_unescape(v, vlen, k->arena + k->arenalen);
		k->arenalen += *klen;
		return k->arena + *off;
	default:		/* numbers, booleans, objects: as written */
		*klen = vlen;
		return v;
	}
}

/* QP_STATS: records in, delivered, failed, bad, bytes, latency. */
static void
kprod_stats(struct kprod *k, int final)
{
	struct stat_field f[] = {
		{ "records_in", "Count", (double)k->nread },
		{ "delivered", "Count", (double)k->ndelivered },
		{ "failed", "Count", (double)k->nfailed },
		{ "bad_lines", "Count", (double)k->nbad },
		{ "bytes", "Bytes", (double)k->bytes },
		{ "delivery_latency_ms", "Milliseconds", k->ndelivered ?
		    k->latency_us / k->ndelivered / 1000 : 0 },
	};

	stats_emit(f, 6, final);
}

/* A message librdkafka refused before queueing it: undelivered. */
static void
produce_failed(struct kprod *k, const char *line, size_t len,
    const char *key, size_t klen, rd_kafka_resp_err_t err)
{
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		k->fatal = 1;
	k->nfailed++;
	note_reason(k, err);
	if (k->have_failed) {
		obuf_write(&k->failed, line, len);
		obuf_putc(&k->failed, '\n');
	}
	if (k->report)
		report(k, -1, -1, key, klen, err);
}

/* The local queue is full: serve reports until there is room. */
static void
wait_for_room(struct kprod *k)
{
	obuf_flush(&k->out);
	rd_kafka_poll(k->rk, poll_ms(k, 10));
	(void)deadline_passed(k);
}

/*
 * Hand the batch to librdkafka in one call.  Room for all of it is made
 * first, so a full queue cannot refuse a message in the middle and let
 * later ones overtake it.
 */
static void
flush_batch(struct kprod *k)
{
	rd_kafka_message_t *m;
	size_t i;

	if (k->nbatch == 0)
		return;
	for (i = 0; i < k->nbatch; i++)
		if (k->keyoff[i] != KPROD_NO_ARENA)
			k->batch[i].key = k->arena + k->keyoff[i];
	/* Room by count and by bytes (librdkafka's two limits). */
	while (!k->fatal && !k->deadline_hit && rd_kafka_outq_len(k->rk) > 0 &&
	    (rd_kafka_outq_len(k->rk) + (long long)k->nbatch > k->queue_max ||
	    k->queued_bytes + k->batch_bytes > k->queue_max_bytes))
		wait_for_room(k);
	rd_kafka_produce_batch(k->rkt, k->partition, RD_KAFKA_MSG_F_COPY,
	    k->batch, (int)k->nbatch);
	for (i = 0; i < k->nbatch; i++) {
		m = &k->batch[i];
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			k->nsent++;
			k->bytes += m->len;
			k->queued_bytes += m->len + m->key_len;
			continue;
		}
		/* Should the queue still be full, wait and retry in order. */
		while (m->err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !k->fatal &&
		    !k->deadline_hit) {
			wait_for_room(k);
			if (rd_kafka_produce(k->rkt, k->partition,
			    RD_KAFKA_MSG_F_COPY, m->payload, m->len, m->key,
			    m->key_len, NULL) == 0) {
				m->err = RD_KAFKA_RESP_ERR_NO_ERROR;
				k->nsent++;
				k->bytes += m->len;
				k->queued_bytes += m->len + m->key_len;
			} else
				m->err = rd_kafka_last_error();
		}
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			produce_failed(k, m->payload, m->len, m->key,
			    m->key_len, m->err);
	}
	k->nbatch = 0;
	k->batch_bytes = 0;
	k->arenalen = 0;
	rd_kafka_poll(k->rk, 0);
}

/* Produce one line; waits while the local queue is full. */
static void
produce(struct kprod *k, const char *line, size_t len)
{
	rd_kafka_vu_t vu[6 + KPROD_MAX_HEADERS];
	rd_kafka_error_t *error;
	rd_kafka_resp_err_t err;
	const char *key = NULL;
	size_t klen = 0, n = 0, i, off = KPROD_NO_ARENA;

	k->naccepted++;
	if (k->keypath != NULL && (k->raw == 0 || json_validate(line, len,
	    NULL) == 0))
		key = record_key(k, line, len, &klen, &off);
	if (k->nheaders == 0) {
		/* No headers: batch it (rd_kafka_produce_batch has none). */
		rd_kafka_message_t *m = &k->batch[k->nbatch];
		memset(m, 0, sizeof(*m));
		m->payload = (void *)line;
		m->len = len;
		m->key = (void *)key;
		m->key_len = klen;
		k->keyoff[k->nbatch++] = off;
		k->batch_bytes += len + klen;
		/* Flush before the batch alone could overfill the queue. */
		if (k->nbatch == KPROD_BATCH ||
		    (long long)k->nbatch * 2 >= k->queue_max ||
		    k->batch_bytes * 2 >= k->queue_max_bytes)
			flush_batch(k);
		return;
	}
	vu[n].vtype = RD_KAFKA_VTYPE_RKT;
	vu[n++].u.rkt = k->rkt;
	vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
	vu[n++].u.i32 = k->partition;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[n].u.mem.ptr = (void *)line;
	vu[n++].u.mem.size = len;
	if (key != NULL) {
		vu[n].vtype = RD_KAFKA_VTYPE_KEY;
		vu[n].u.mem.ptr = (void *)key;
		vu[n++].u.mem.size = klen;
	}
	for (i = 0; i < k->nheaders; i++) {
		vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
		vu[n].u.header.name = k->hnames[i];
		vu[n].u.header.val = k->hvalues[i];
		vu[n++].u.header.size = -1;
	}
	for (;;) {
		error = rd_kafka_produceva(k->rk, vu, n);
		if (error == NULL)
			break;
		err = rd_kafka_error_code(error);
		rd_kafka_error_destroy(error);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !k->fatal &&
		    !k->deadline_hit) {
			wait_for_room(k);
			continue;
		}
		produce_failed(k, line, len, key, klen, err);
		return;
	}
	k->nsent++;
	k->bytes += len;
	k->queued_bytes += len + klen;
	rd_kafka_poll(k->rk, 0);
}

/*
 * Read one input to its end (or a stop).  Returns 0 to go on with the
 * next input, -1 to stop reading altogether.
 */
static int
produce_input(struct kprod *k, const char *path)
{
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	char why[512];
	size_t len;
	int rc = 0;

	if (jsonl_open_path(&r, path, k->max_line) == -1) {
		log_err("%s: %s", path, strerror(errno));
		k->input_err = errno == ENOMEM ? EX_OSERR : EX_NOINPUT;
		return errno == ENOMEM ? -1 : 0;
	}
	r.wait = kprod_wait;
	r.wait_arg = k;
	r.validate = !k->raw;
	r.records_only = 1;	/* kcons -J adds the envelope's level */
	while ((st = jsonl_next(&r, &line, &len)) != JSONL_EOF) {
		if (st == JSONL_INTERRUPTED) {
			rc = -1;
			break;
		}
		if (st == JSONL_ERROR) {
			log_err("%s: %s", r.name, strerror(errno));
			k->input_err = EX_IOERR;
			break;
		}
		k->nread++;
		if (st != JSONL_LINE) {
			jsonl_describe(&r, st, why, sizeof(why));
			log_err("%s", why);
			k->nbad++;
			if (k->on_error == JSONL_ON_ERROR_FAIL) {
				rc = -1;
				break;
			}
			continue;
		}
		produce(k, line, len);
		if (stats_due())
			kprod_stats(k, 0);
		if (k->fatal || sig_caught() || (k->deadline != 0 &&
		    (k->nread & 255) == 0 && deadline_passed(k)) ||
		    k->deadline_hit) {
			rc = -1;
			break;
		}
	}
	flush_batch(k);
	jsonl_close(&r);
	return rc;
}

/*
 * Wait for every queued message's fate; a second signal, a fatal error
 * or the deadline purges what is left (each purged message is reported
 * as failed, so none goes unaccounted).
 */
static void
drain(struct kprod *k)
{
	long long purged_at = 0;
	int purged = 0, left;

	while ((left = rd_kafka_outq_len(k->rk)) > 0) {
		/*
		 * A request librdkafka is part-way through sending is not
		 * purged at once: past the deadline, what is left counts
		 * as undelivered, so that kprod still exits in time.
		 */
		if (purged && k->deadline_hit &&
		    clock_mono_ms() - purged_at > KPROD_STOP_MS / 2) {
			log_warn("%d messages still in flight at the deadline: "
			    "counted as undelivered, their lines are not in "
			    "--failed", left);
			for (; left > 0; left--) {
				k->nfailed++;
				note_reason(k, RD_KAFKA_RESP_ERR__TIMED_OUT);
			}
			break;
		}
		if (!purged && (sig_count() > 1 || k->fatal ||
		    deadline_passed(k))) {
			if (!k->deadline_hit)
				log_warn("purging %d queued messages",
				    rd_kafka_outq_len(k->rk));
			rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
			    RD_KAFKA_PURGE_F_INFLIGHT);
			purged = 1;
			purged_at = clock_mono_ms();
		}
		rd_kafka_poll(k->rk, purged ? 50 : poll_ms(k, 50));
		obuf_flush(&k->out);
		sig_sleep(0);	/* deliver a pending signal */
	}
	rd_kafka_poll(k->rk, 0);
}

/* Free what main() allocated before the producer existed; returns code. */
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
	return code;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "brokers", required_argument, NULL, 'b' },
		{ "compression", required_argument, NULL, 'z' },
		{ "config", required_argument, NULL, 'F' },
		{ "failed", required_argument, NULL, OPT_FAILED },
		{ "header", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "partition", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "timeout", required_argument, NULL, 'T' },
		{ "topic", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct kprod k;
	rd_kafka_conf_t *conf;
	const char *brokers = NULL, *failed_path = NULL, *eq;
	char errstr[512], num[32], shown[300];
	struct timespec t0, t1;
	long long v;
	int ch, i, verbosity = LOG_NOTICE, status = 0, fd, stopped = 0;
	size_t j;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	stats_init(argv[0]);
	memset(&k, 0, sizeof(k));
	k.partition = RD_KAFKA_PARTITION_UA;
	k.max_line = JSONL_DEFAULT_MAX_LINE;
	conf = kconf_new();
	/*
	 * The toolkit's defaults; -X and -F below may override them.  Keys
	 * are partitioned as the Java clients and kafka-python do (murmur2),
	 * so a symbol lands on one partition whichever of them wrote it.
	 */
	if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "acks", "all", errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "partitioner", "murmur2_random", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		log_err("%s", errstr);
		return bail(&k, conf, EX_SOFTWARE);
	}
	while ((ch = getopt_long(argc, argv, "b:F:H:hk:p:qT:t:VvX:z:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'F':
			if (kconf_load_file(conf, optarg, errstr,
			    sizeof(errstr)) == -1) {
				log_err("%s", errstr);
				return bail(&k, conf, EX_CONFIG);
			}
			break;
		case 'H':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    eq == optarg) {
				log_err("-H %s: expected NAME=VALUE", optarg);
				return bail(&k, conf, EX_USAGE);
			}
			if (k.nheaders == KPROD_MAX_HEADERS) {
				log_err("too many -H headers (max %d)",
				    KPROD_MAX_HEADERS);
				return bail(&k, conf, EX_USAGE);
			}
			k.hnames[k.nheaders] = strndup(optarg,
			    (size_t)(eq - optarg));
			k.hvalues[k.nheaders++] = eq + 1;
			break;
		case 'h':
			help();
			return bail(&k, conf, 0);
		case 'k':
			json_path_free(k.keypath);
			k.keypath = json_path_compile(optarg, errstr,
			    sizeof(errstr));
			if (k.keypath == NULL) {
				log_err("-k: %s", errstr);
				return bail(&k, conf, EX_USAGE);
			}
			break;
		case 'p':
			if (num_parse(optarg, 0, INT32_MAX, &v) == -1) {
				log_err("-p %s: expected a partition number",
				    optarg);
				return bail(&k, conf, EX_USAGE);
			}
			k.partition = (int32_t)v;
			break;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 'T':
			if (num_parse_seconds(optarg, 1, INT32_MAX, &v) == -1) {
				log_err("-T %s: expected seconds such as 60 or "
				    "1.5", optarg);
				return bail(&k, conf, EX_USAGE);
			}
			snprintf(num, sizeof(num), "%lld", v);
			if (rd_kafka_conf_set(conf, "message.timeout.ms",
			    num, errstr, sizeof(errstr)) !=
			    RD_KAFKA_CONF_OK) {
				log_err("-T %s: %s", optarg, errstr);
				return bail(&k, conf, EX_USAGE);
			}
			break;
		case 't':
			k.topic = optarg;
			break;
		case 'V':
			printf("kprod %s (librdkafka %s)\n", QP_VERSION,
			    rd_kafka_version_str());
			return bail(&k, conf, 0);
		case 'v':
			verbosity++;
			break;
		case 'X':
			if (strcmp(optarg, "list") == 0) {
				rd_kafka_conf_properties_show(stdout);
				return bail(&k, conf, 0);
			}
			if (kconf_set(conf, optarg, errstr, sizeof(errstr))
			    == -1) {
				kconf_describe(optarg, shown, sizeof(shown));
				log_err("-X %s: %s", shown, errstr);
				return bail(&k, conf, EX_CONFIG);
			}
			break;
		case 'z':
			if (rd_kafka_conf_set(conf, "compression.codec", optarg,
			    errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
				log_err("-z %s: %s", optarg, errstr);
				return bail(&k, conf, EX_USAGE);
			}
			break;
		case OPT_FAILED:
			failed_path = optarg;
			break;
		case OPT_MAX_LINE:
			if (jsonl_parse_size(optarg, &k.max_line) == -1) {
				log_err("--max-line %s: expected a size such "
				    "as 1048576 or 4M", optarg);
				return bail(&k, conf, EX_USAGE);
			}
			break;
		case OPT_ON_ERROR:
			if (jsonl_policy_parse(optarg, &k.on_error) == -1) {
				log_err("--on-error %s: expected count, fail "
				    "or skip", optarg);
				return bail(&k, conf, EX_USAGE);
			}
			break;
		case OPT_RAW:
			k.raw = 1;
			break;
		case OPT_REPORT:
			k.report = 1;
			break;
		default:
			usage(stderr);
			return bail(&k, conf, EX_USAGE);
		}
	}
	log_set_level(verbosity);
	if (k.topic == NULL) {
		log_err("no topic: use -t TOPIC");
		usage(stderr);
		return bail(&k, conf, EX_USAGE);
	}
	if (kconf_brokers(conf, brokers, errstr, sizeof(errstr)) == -1) {
		log_err("%s", errstr);
		return bail(&k, conf, EX_USAGE);
	}
	if (clock_deadline(&k.deadline, errstr, sizeof(errstr)) == -1) {
		log_err("%s", errstr);
		return bail(&k, conf, EX_CONFIG);
	}
	if (k.deadline != 0)
		k.deadline -= KPROD_STOP_MS;
	if (failed_path != NULL) {
		fd = open(failed_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0666);
		if (fd == -1) {
			log_err("%s: %s", failed_path, strerror(errno));
			return bail(&k, conf, EX_CANTCREAT);
		}
		obuf_open(&k.failed, fd, 64 * 1024);
		k.have_failed = 1;
	} else
		obuf_open(&k.failed, -1, 16);
	obuf_open(&k.out, STDOUT_FILENO, 256 * 1024);

	{
		char v[32];
		size_t vlen = sizeof(v);
		long long kb = 1048576;
		k.queue_max = 100000;
		if (rd_kafka_conf_get(conf, "queue.buffering.max.messages", v,
		    &vlen) == RD_KAFKA_CONF_OK)
			(void)num_parse(v, 1, INT32_MAX, &k.queue_max);
		vlen = sizeof(v);
		if (rd_kafka_conf_get(conf, "queue.buffering.max.kbytes", v,
		    &vlen) == RD_KAFKA_CONF_OK)
			(void)num_parse(v, 1, INT32_MAX, &kb);
		k.queue_max_bytes = (unsigned long long)kb * 1024;
		k.timeout_ms = 300000;
		vlen = sizeof(k.brokers);
		(void)rd_kafka_conf_get(conf, "bootstrap.servers", k.brokers,
		    &vlen);
		vlen = sizeof(v);
		if (rd_kafka_conf_get(conf, "message.timeout.ms", v, &vlen) ==
		    RD_KAFKA_CONF_OK)
			(void)num_parse(v, 0, INT32_MAX, &k.timeout_ms);
	}
	sig_install();
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, &k);
	if ((k.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof(errstr))) == NULL) {
		log_err("%s", errstr);
		return bail(&k, NULL, EX_CONFIG);
	}
	k.rkt = rd_kafka_topic_new(k.rk, k.topic, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (optind == argc)
		stopped = produce_input(&k, "-") == -1;
	for (i = optind; i < argc && !stopped; i++)
		stopped = produce_input(&k, argv[i]) == -1;
	if (sig_caught())
		log_info("signal %d: flushing %d queued messages", sig_caught(),
		    rd_kafka_outq_len(k.rk));
	drain(&k);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kprod_stats(&k, 1);

	/*
	 * The summary: the line that says why the exit status is what it
	 * is comes last, so that a wrapper can quote it (producer.sh does).
	 */
	log_info("%lu lines read, %lu messages delivered, %llu bytes, "
	    "%.3f s", k.nread, k.ndelivered, k.bytes,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (k.nbad > 0) {
		log_msg(k.on_error == JSONL_ON_ERROR_SKIP ? LOG_NOTICE :
		    LOG_ERR, "%lu bad input line%s %s", k.nbad,
		    k.nbad == 1 ? "" : "s",
		    k.on_error == JSONL_ON_ERROR_FAIL ? "(stopped at the first)" :
		    "skipped");
		if (k.on_error != JSONL_ON_ERROR_SKIP)
			status = EX_DATAERR;
	}
	if (k.input_err)
		status = k.input_err;
	if (stopped && k.deadline_hit) {
		/* Unread lines are not delivered either: not a success. */
		log_err("the deadline came before the end of the input: %lu "
		    "lines read, the rest not produced", k.nread);
		status = EX_UNAVAILABLE;
	}
	if (k.nfailed > 0) {
		char why[1024], possibly[96] = "", in_file[1100] = "";
		size_t o = 0;
		int brokers = 0;

		why[0] = '\0';
		for (j = 0; j < KPROD_MAX_REASONS && k.reasons[j].n > 0; j++) {
			o += (size_t)snprintf(why + o, sizeof(why) - o,
			    "%s%s: %lu", j ? ", " : "",
			    rd_kafka_err2str(k.reasons[j].err), k.reasons[j].n);
			brokers |= broker_reason(k.reasons[j].err);
		}
		if (!brokers)
			k.broker_err[0] = '\0';
		else if (k.broker_err[0] == '\0' && k.ndelivered == 0)
			snprintf(k.broker_err, sizeof(k.broker_err), "none "
			    "answered (%s)", k.brokers);
		if (k.npossibly)
			snprintf(possibly, sizeof(possibly), "; %lu may have "
			    "been stored before the failure", k.npossibly);
		if (k.have_failed)
			snprintf(in_file, sizeof(in_file), "; their lines are "
			    "in %s", failed_path);
		log_err("%lu of %lu messages not delivered%s (%s)%s%s%s%s",
		    k.nfailed, k.naccepted, k.deadline_hit ?
		    " by the deadline" : "", why, possibly, k.broker_err[0] ?
		    "; the brokers: " : "", k.broker_err, in_file);
		status = EX_UNAVAILABLE;
	}

	rd_kafka_topic_destroy(k.rkt);
	rd_kafka_destroy(k.rk);
	if (obuf_close(&k.failed) != 0) {
		log_err("%s: %s", failed_path, strerror(obuf_error(&k.failed)));
		status = status ? status : EX_IOERR;
	}
	if (k.have_failed)
		close(k.failed.fd);
	if (obuf_close(&k.out) != 0) {
		log_err("stdout: %s", strerror(k.out.err));
		status = status ? status : EX_IOERR;
	}
	for (j = 0; j < k.nheaders; j++)
		free((char *)k.hnames[j]);
	json_path_free(k.keypath);
	free(k.arena);
	return status;
}
