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
#include <unistd.h>

#include <librdkafka/rdkafka.h>

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

#define KCONS_MAX_TOPICS	32

enum { OPT_COMMIT_ACKS = 256 };

/* One assigned partition and whether it has reached its end. */
struct kcons_part {
	char	*topic;
	int32_t	 partition;
	int	 at_eof;
};

struct kcons {
	rd_kafka_t		*rk;
	const char		*topics[KCONS_MAX_TOPICS];
	size_t			 ntopics;
	const char		*group;
	int			 envelope, exit_eof;
	long long		 count;		/* -c, 0 = no limit */
	struct obuf		 out;

	struct kcons_part	*parts;
	size_t			 nparts, neof;
	atomic_int		 joined;	/* an assignment happened */
	atomic_int		 stopping;	/* the consume loop has ended */

	unsigned long		 nmsgs;
	unsigned long long	 bytes;
	int			 status;

	/* --commit-acks */
	const char		*ackpath;
	pthread_t		 ack_thread;
	atomic_int		 ack_done;
	atomic_int		 ack_abandon;
	unsigned long		 ncommits, nack_errors;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: kcons [-eJhqVv] [-b BROKERS] [-c COUNT] [-F FILE] "
	    "[-G GROUP]\n"
	    "             [-o OFFSET] [-X PROP=VALUE]... "
	    "[--commit-acks FILE]\n"
	    "             -t TOPIC...\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Print the messages of Kafka TOPICs as JSON lines.\n\n"
	    "  -b, --brokers BROKERS  bootstrap brokers (else $KAFKA_BROKERS)\n"
	    "  -c, --count COUNT      exit after COUNT messages\n"
	    "  -e, --exit-eof         exit when every assigned partition is "
	    "at its end\n"
	    "  -F, --config FILE      librdkafka properties file\n"
	    "  -G, --group GROUP      join the balanced consumer group GROUP\n"
	    "  -h, --help             show this help and exit\n"
	    "  -J, --envelope         print envelopes: topic, partition, offset,\n"
	    "                         timestamp, key, headers, value\n"
	    "  -o, --offset OFFSET    beginning, end, stored, N, -N (N from the\n"
	    "                         end) or s@MS (first at or after time MS)\n"
	    "  -q, --quiet            only errors on stderr\n"
	    "  -t, --topic TOPIC      topic to consume (repeatable)\n"
	    "  -V, --version          print the version and exit\n"
	    "  -v, --verbose          more messages on stderr (repeatable)\n"
	    "  -X PROP=VALUE          librdkafka property (-X list shows them)\n"
	    "      --commit-acks FILE commit only offsets acknowledged by the\n"
	    "                         ack lines read from FILE (needs -G)\n");
}

/* ---- partitions and end-of-partition tracking ---- */

static struct kcons_part *
part_find(struct kcons *c, const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < c->nparts; i++)
		if (c->parts[i].partition == partition &&
		    strcmp(c->parts[i].topic, topic) == 0)
			return &c->parts[i];
	return NULL;
}

static void
parts_clear(struct kcons *c)
{
	size_t i;

	for (i = 0; i < c->nparts; i++)
		free(c->parts[i].topic);
	free(c->parts);
	c->parts = NULL;
	c->nparts = c->neof = 0;
}

static void
parts_set(struct kcons *c, const rd_kafka_topic_partition_list_t *l)
{
	int i;

	parts_clear(c);
	if (l == NULL || l->cnt == 0)
		return;
	c->parts = calloc((size_t)l->cnt, sizeof(*c->parts));
	for (i = 0; c->parts != NULL && i < l->cnt; i++) {
		c->parts[i].topic = strdup(l->elems[i].topic);
		c->parts[i].partition = l->elems[i].partition;
	}
	c->nparts = c->parts != NULL ? (size_t)l->cnt : 0;
	atomic_store(&c->joined, 1);
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kcons *c = opaque;
	char list[1024];
	size_t o = 0;
	int i;

	list[0] = '\0';
	for (i = 0; i < parts->cnt && o < sizeof(list) - 64; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s[%d]",
		    i ? " " : "", parts->elems[i].topic,
		    (int)parts->elems[i].partition);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		log_info("assigned: %s", parts->cnt ? list : "(none)");
		parts_set(c, parts);
		rd_kafka_assign(rk, parts);
	} else {
		log_info("revoked: %s", parts->cnt ? list : "(none)");
		parts_clear(c);
		rd_kafka_assign(rk, NULL);
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
put_value(struct obuf *o, const rd_kafka_message_t *m)
{
	if (m->payload == NULL)
		obuf_puts(o, "null");
	else if (json_is_line(m->payload, m->len))
		obuf_write(o, m->payload, m->len);
	else
		obuf_json_string(o, m->payload, m->len);
}

static void
put_envelope(struct obuf *o, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	const char *name;
	const void *val;
	size_t vlen, i;
	int64_t ts;

	obuf_puts(o, "{\"topic\":");
	name = rd_kafka_topic_name(m->rkt);
	obuf_json_string(o, name, strlen(name));
	obuf_printf(o, ",\"partition\":%d,\"offset\":%lld,\"timestamp\":",
	    (int)m->partition, (long long)m->offset);
	ts = rd_kafka_message_timestamp(m, &tstype);
	if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
		obuf_puts(o, "null");
	else
		obuf_printf(o, "%lld", (long long)ts);
	obuf_puts(o, ",\"key\":");
	if (m->key != NULL)
		obuf_json_string(o, m->key, m->key_len);
	else
		obuf_puts(o, "null");
	obuf_puts(o, ",\"headers\":{");
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val,
		    &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
			if (i > 0)
				obuf_putc(o, ',');
			obuf_json_string(o, name, strlen(name));
			obuf_putc(o, ':');
			if (val != NULL)
				obuf_json_string(o, val, vlen);
			else
				obuf_puts(o, "null");
		}
	obuf_puts(o, "},\"value\":");
	put_value(o, m);
	obuf_putc(o, '}');
}

/* ---- --commit-acks ---- */

/* Errors a group member sees while (re)joining: worth another try. */
static int
commit_retriable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
	case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__WAIT_COORD:
		return 1;
	default:
		return 0;
	}
}

/*
 * Commit what one ack line says: last_offset + 1 for its partition.
 * Lines without topic/partition/last_offset (acks for plain records)
 * carry nothing to commit.
 */
static void
ack_line(struct kcons *c, const char *line, size_t len, unsigned long lineno)
{
	static struct json_path *ptopic, *ppart, *plast;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	struct json_error je;
	const char *v;
	size_t vlen;
	char topic[512], num[32], *end;
	long long part, last;
	char eb[128];
	int tries;

	if (ptopic == NULL) {
		ptopic = json_path_compile(".topic", eb, sizeof(eb));
		ppart = json_path_compile(".partition", eb, sizeof(eb));
		plast = json_path_compile(".last_offset", eb, sizeof(eb));
	}
	if (len == 0)
		return;
	if (json_validate(line, len, &je) == -1) {
		log_warn("%s:%lu: ack is not JSON (byte %zu: %s); ignored",
		    c->ackpath, lineno, je.offset + 1, je.what);
		c->nack_errors++;
		return;
	}
	if (json_lookup(line, len, ptopic, &v, &vlen) != JSON_STRING ||
	    vlen >= sizeof(topic))
		goto nothing;
	vlen = json_unescape(v, vlen, topic);
	topic[vlen] = '\0';
	if (json_lookup(line, len, ppart, &v, &vlen) != JSON_NUMBER ||
	    vlen >= sizeof(num))
		goto nothing;
	memcpy(num, v, vlen);
	num[vlen] = '\0';
	part = strtoll(num, &end, 10);
	if (*end != '\0' || part < 0 || part > INT32_MAX)
		goto nothing;
	if (json_lookup(line, len, plast, &v, &vlen) != JSON_NUMBER ||
	    vlen >= sizeof(num))
		goto nothing;
	memcpy(num, v, vlen);
	num[vlen] = '\0';
	last = strtoll(num, &end, 10);
	if (*end != '\0' || last < 0)
		goto nothing;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, (int32_t)part)->offset =
	    last + 1;
	for (tries = 0;; tries++) {
		err = rd_kafka_commit(c->rk, l, 0);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR || tries == 40 ||
		    !commit_retriable(err) || atomic_load(&c->ack_abandon))
			break;
		log_info("commit %s[%lld]@%lld: %s; retrying", topic, part,
		    last + 1, rd_kafka_err2str(err));
		usleep(250 * 1000);
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("commit %s[%lld]@%lld failed: %s", topic, part, last + 1,
		    rd_kafka_err2str(err));
		c->nack_errors++;
		return;
	}
	c->ncommits++;
	log_info("committed %s[%lld]@%lld", topic, part, last + 1);
	return;
nothing:
	log_warn("%s:%lu: ack has no topic, partition and last_offset; "
	    "nothing to commit", c->ackpath, lineno);
	c->nack_errors++;
}

/*
 * Read ack lines until the writer closes FILE.  A FIFO is opened
 * without blocking and polled: poll(2) reports hang-up only after a
 * writer has come and gone, so an absent writer is simply waited for.
 */
static int
ack_wait(void *arg, int fd)
{
	struct kcons *c = arg;
	struct pollfd pfd;

	for (;;) {
		if (atomic_load(&c->ack_abandon))
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) > 0)
			return 0;
	}
}

static void *
ack_main(void *arg)
{
	struct kcons *c = arg;
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	size_t len;
	int fd;

	if ((fd = open(c->ackpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_err("%s: %s", c->ackpath, strerror(errno));
		c->nack_errors++;
		atomic_store(&c->ack_done, 1);
		return NULL;
	}
	if (jsonl_open(&r, fd, c->ackpath, JSONL_DEFAULT_MAX_LINE) == 0) {
		r.wait = ack_wait;
		r.wait_arg = c;
		for (;;) {
			st = jsonl_next(&r, &line, &len);
			/* Commit as a member of the group, not before. */
			while (st == JSONL_LINE && !atomic_load(&c->joined) &&
			    !atomic_load(&c->stopping) &&
			    !atomic_load(&c->ack_abandon))
				usleep(50 * 1000);
			if (st == JSONL_LINE)
				ack_line(c, line, len, r.lineno);
			else if (st == JSONL_TOO_LONG) {
				log_warn("%s:%lu: ack line too long; ignored",
				    c->ackpath, r.lineno);
				c->nack_errors++;
			} else if (st == JSONL_ERROR && errno == EAGAIN)
				continue;
			else
				break;
		}
		if (st == JSONL_ERROR) {
			log_err("%s: %s", c->ackpath, strerror(errno));
			c->nack_errors++;
		}
		jsonl_close(&r);
	}
	close(fd);
	atomic_store(&c->ack_done, 1);
	return NULL;
}

/* ---- offsets ---- */

struct kcons_start {
	int64_t	 offset;	/* RD_KAFKA_OFFSET_* or absolute */
	int64_t	 time_ms;	/* s@MS, else -1 */
};

static int
parse_offset(const char *s, struct kcons_start *st)
{
	char *end;
	long long v;

	st->time_ms = -1;
	if (strcmp(s, "beginning") == 0)
		st->offset = RD_KAFKA_OFFSET_BEGINNING;
	else if (strcmp(s, "end") == 0)
		st->offset = RD_KAFKA_OFFSET_END;
	else if (strcmp(s, "stored") == 0)
		st->offset = RD_KAFKA_OFFSET_STORED;
	else {
		int time = strncmp(s, "s@", 2) == 0;
		const char *num = time ? s + 2 : s;

		errno = 0;
		v = strtoll(num, &end, 10);
		if (errno != 0 || end == num || *end != '\0')
			return -1;
		if (time) {
			if (v < 0)
				return -1;
			st->time_ms = v;
			st->offset = 0;
		} else if (*num == '-') {
			if (v == 0)
				return -1;
			st->offset = RD_KAFKA_OFFSET_TAIL(-v);
		} else
			st->offset = v;
	}
	return 0;
}

/*
 * Without a group: assign every partition of every topic, starting at
 * st.  Returns 0 or an exit status.
 */
static int
assign_all(struct kcons *c, const struct kcons_start *st)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	rd_kafka_topic_t *rkt;
	size_t t;
	int i;

	l = rd_kafka_topic_partition_list_new(16);
	for (t = 0; t < c->ntopics; t++) {
		rkt = rd_kafka_topic_new(c->rk, c->topics[t], NULL);
		err = rd_kafka_metadata(c->rk, 0, rkt, &md, 10000);
		rd_kafka_topic_destroy(rkt);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("%s: cannot get metadata: %s", c->topics[t],
			    rd_kafka_err2str(err));
			rd_kafka_topic_partition_list_destroy(l);
			return EX_UNAVAILABLE;
		}
		if (md->topic_cnt != 1 || md->topics[0].err ||
		    md->topics[0].partition_cnt == 0) {
			log_err("%s: %s", c->topics[t], md->topic_cnt == 1 &&
			    md->topics[0].err ? rd_kafka_err2str(
			    md->topics[0].err) : "no such topic");
			rd_kafka_metadata_destroy(md);
			rd_kafka_topic_partition_list_destroy(l);
			return EX_NOINPUT;
		}
		for (i = 0; i < md->topics[0].partition_cnt; i++)
			rd_kafka_topic_partition_list_add(l, c->topics[t],
			    md->topics[0].partitions[i].id)->offset =
			    st->time_ms >= 0 ? st->time_ms : st->offset;
		rd_kafka_metadata_destroy(md);
	}
	if (st->time_ms >= 0 &&
	    (err = rd_kafka_offsets_for_times(c->rk, l, 10000)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("offsets for time %lld: %s", (long long)st->time_ms,
		    rd_kafka_err2str(err));
		rd_kafka_topic_partition_list_destroy(l);
		return EX_UNAVAILABLE;
	}
	for (i = 0; i < l->cnt; i++)
		log_debug("start %s[%d] at offset %lld", l->elems[i].topic,
		    (int)l->elems[i].partition, (long long)l->elems[i].offset);
	parts_set(c, l);
	err = rd_kafka_assign(c->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("assign: %s", rd_kafka_err2str(err));
		return EX_SOFTWARE;
	}
	return 0;
}

/* ---- the loop ---- */

/* Handle one message or event; returns 0 to go on, 1 to stop. */
static int
handle(struct kcons *c, rd_kafka_message_t *m)
{
	struct kcons_part *p;
	const char *topic = m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "";

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		p = part_find(c, topic, m->partition);
		if (p != NULL && !p->at_eof) {
			p->at_eof = 1;
			c->neof++;
		}
		log_debug("%s[%d] at end, offset %lld", topic,
		    (int)m->partition, (long long)m->offset);
		return c->exit_eof && atomic_load(&c->joined) && c->nparts > 0 &&
		    c->neof == c->nparts;
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
	/* Only -e tracks ends; a new message moves its partition off it. */
	if (c->neof > 0 && (p = part_find(c, topic, m->partition)) != NULL &&
	    p->at_eof) {
		p->at_eof = 0;
		c->neof--;
	}
	if (c->envelope)
		put_envelope(&c->out, m);
	else
		put_value(&c->out, m);
	obuf_putc(&c->out, '\n');
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
		{ "commits", "Count", (double)c->ncommits },
	};

	stats_emit(f, 3, final);
}

static void
consume(struct kcons *c)
{
	rd_kafka_message_t *msgs[KCONS_BATCH];
	rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
	ssize_t n, i;
	int stop = 0;

	while (!stop && !sig_caught()) {
		n = rd_kafka_consume_batch_queue(q, 0, msgs, KCONS_BATCH);
		if (n <= 0) {
			/* About to wait: nothing may sit in the buffer. */
			obuf_flush(&c->out);
			if (obuf_error(&c->out))
				break;
			n = rd_kafka_consume_batch_queue(q, 100, msgs,
			    KCONS_BATCH);
			if (n <= 0) {
				sig_sleep(0);	/* deliver a pending signal */
				if (stdout_gone()) {
					c->out.err = EPIPE;
					break;
				}
				continue;
			}
		}
		for (i = 0; i < n; i++) {
			if (!stop)
				stop = handle(c, msgs[i]);
			rd_kafka_message_destroy(msgs[i]);
		}
		if (stats_due())
			kcons_stats(c, 0);
	}
	rd_kafka_queue_destroy(q);
}

static int
bail(rd_kafka_conf_t *conf, int code)
{
	rd_kafka_conf_destroy(conf);
	return code;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "brokers", required_argument, NULL, 'b' },
		{ "commit-acks", required_argument, NULL, OPT_COMMIT_ACKS },
		{ "config", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'c' },
		{ "envelope", no_argument, NULL, 'J' },
		{ "exit-eof", no_argument, NULL, 'e' },
		{ "group", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "offset", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "topic", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct kcons c;
	struct kcons_start start = { RD_KAFKA_OFFSET_BEGINNING, -1 };
	rd_kafka_conf_t *conf;
	rd_kafka_topic_partition_list_t *subs;
	rd_kafka_resp_err_t err;
	const char *brokers = NULL, *offset_arg = NULL;
	char errstr[512], shown[300];
	int ch, verbosity = LOG_NOTICE, rc, warned = 0;
	size_t t;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	stats_init(argv[0]);
	memset(&c, 0, sizeof(c));
	conf = kconf_new();
	/*
	 * The toolkit's default, which -X may override: brokers hold an
	 * empty fetch 100 ms, not 500, so -e ends and a quiet stream's next
	 * message arrives sooner, for a few more requests while idle.
	 */
	if (rd_kafka_conf_set(conf, "fetch.wait.max.ms", "100", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		log_err("%s", errstr);
		return bail(conf, EX_SOFTWARE);
	}
	while ((ch = getopt_long(argc, argv, "b:c:eF:G:hJo:qt:VvX:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'c':
			if (num_parse(optarg, 1, LLONG_MAX, &c.count) == -1) {
				log_err("-c %s: expected a positive count",
				    optarg);
				return bail(conf, EX_USAGE);
			}
			break;
		case 'e':
			c.exit_eof = 1;
			break;
		case 'F':
			if (kconf_load_file(conf, optarg, errstr,
			    sizeof(errstr)) == -1) {
				log_err("%s", errstr);
				return bail(conf, EX_CONFIG);
			}
			break;
		case 'G':
			c.group = optarg;
			break;
		case 'h':
			help();
			return bail(conf, 0);
		case 'J':
			c.envelope = 1;
			break;
		case 'o':
			offset_arg = optarg;
			if (parse_offset(optarg, &start) == -1) {
				log_err("-o %s: expected beginning, end, stored, "
				    "N, -N or s@MS", optarg);
				return bail(conf, EX_USAGE);
			}
			break;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 't':
			if (c.ntopics == KCONS_MAX_TOPICS) {
				log_err("too many -t topics (max %d)",
				    KCONS_MAX_TOPICS);
				return bail(conf, EX_USAGE);
			}
			c.topics[c.ntopics++] = optarg;
			break;
		case 'V':
			printf("kcons %s (librdkafka %s)\n", QP_VERSION,
			    rd_kafka_version_str());
			return bail(conf, 0);
		case 'v':
			verbosity++;
			break;
		case 'X':
			if (strcmp(optarg, "list") == 0) {
				rd_kafka_conf_properties_show(stdout);
				return bail(conf, 0);
			}
			if (kconf_set(conf, optarg, errstr, sizeof(errstr))
			    == -1) {
				kconf_describe(optarg, shown, sizeof(shown));
				log_err("-X %s: %s", shown, errstr);
				return bail(conf, EX_CONFIG);
			}
			break;
		case OPT_COMMIT_ACKS:
			c.ackpath = optarg;
			break;
		default:
			usage(stderr);
			return bail(conf, EX_USAGE);
		}
	}
	log_set_level(verbosity);
	if (c.ntopics == 0 || optind != argc) {
		if (c.ntopics == 0)
			log_err("no topic: use -t TOPIC");
		usage(stderr);
		return bail(conf, EX_USAGE);
	}
	if (c.ackpath != NULL && c.group == NULL) {
		log_err("--commit-acks needs a consumer group (-G GROUP)");
		return bail(conf, EX_USAGE);
	}
	if (kconf_brokers(conf, brokers, errstr, sizeof(errstr)) == -1) {
		log_err("%s", errstr);
		return bail(conf, EX_USAGE);
	}
	if (c.group != NULL) {
		/* In a group the committed offset rules; -o only says where
		 * to start when there is none. */
		if (offset_arg != NULL && start.offset != RD_KAFKA_OFFSET_BEGINNING
		    && start.offset != RD_KAFKA_OFFSET_END &&
		    start.offset != RD_KAFKA_OFFSET_STORED) {
			log_err("-o %s: with -G only beginning, end or stored",
			    offset_arg);
			return bail(conf, EX_USAGE);
		}
		if (rd_kafka_conf_set(conf, "group.id", c.group, errstr,
		    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
		    (!kconf_is_set(conf, "auto.offset.reset") ||
		    offset_arg != NULL ? rd_kafka_conf_set(conf,
		    "auto.offset.reset", start.offset == RD_KAFKA_OFFSET_END ?
		    "latest" : "earliest", errstr, sizeof(errstr)) :
		    RD_KAFKA_CONF_OK) != RD_KAFKA_CONF_OK) {
			log_err("%s", errstr);
			return bail(conf, EX_CONFIG);
		}
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	} else if (start.offset == RD_KAFKA_OFFSET_STORED &&
	    !kconf_is_set(conf, "group.id")) {
		log_err("-o stored needs a group (-G GROUP or -X group.id=)");
		return bail(conf, EX_USAGE);
	} else if (!kconf_is_set(conf, "group.id")) {
		/* librdkafka's consumer wants a group.id even to assign
		 * partitions by hand; it is never joined or committed to. */
		char anon[64];
		snprintf(anon, sizeof(anon), "kcons-%ld", (long)getpid());
		if (rd_kafka_conf_set(conf, "group.id", anon, errstr,
		    sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			log_err("%s", errstr);
			return bail(conf, EX_CONFIG);
		}
	}
	if (c.ackpath != NULL || c.group == NULL) {
		if (rd_kafka_conf_set(conf, "enable.auto.commit", "false",
		    errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
		    rd_kafka_conf_set(conf, "enable.auto.offset.store", "false",
		    errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			log_err("%s", errstr);
			return bail(conf, EX_CONFIG);
		}
	}
	if (c.exit_eof && rd_kafka_conf_set(conf, "enable.partition.eof",
	    "true", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		log_err("%s", errstr);
		return bail(conf, EX_CONFIG);
	}
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, &c);

	sig_install();
	if ((c.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof(errstr))) == NULL) {
		log_err("%s", errstr);
		return bail(conf, EX_CONFIG);
	}
	rd_kafka_poll_set_consumer(c.rk);
	obuf_open(&c.out, STDOUT_FILENO, 256 * 1024);

	if (c.ackpath != NULL &&
	    pthread_create(&c.ack_thread, NULL, ack_main, &c) != 0) {
		log_err("cannot start the ack reader");
		c.ackpath = NULL;
		c.status = EX_OSERR;
		goto out;
	}
	if (c.group != NULL) {
		subs = rd_kafka_topic_partition_list_new((int)c.ntopics);
		for (t = 0; t < c.ntopics; t++)
			rd_kafka_topic_partition_list_add(subs, c.topics[t],
			    RD_KAFKA_PARTITION_UA);
		err = rd_kafka_subscribe(c.rk, subs);
		rd_kafka_topic_partition_list_destroy(subs);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("subscribe: %s", rd_kafka_err2str(err));
			c.status = EX_SOFTWARE;
			goto out;
		}
	} else if ((rc = assign_all(&c, &start)) != 0) {
		c.status = rc;
		goto out;
	}
	consume(&c);
out:
	atomic_store(&c.stopping, 1);
	if (sig_caught())
		log_info("signal %d: stopping", sig_caught());
	/* Closing stdout tells the sink (s3put) to flush and send its last
	 * acks; read them all before leaving the group. */
	if (obuf_close(&c.out) != 0) {
		log_err("stdout: %s", strerror(c.out.err));
		if (c.status == 0)
			c.status = EX_IOERR;
	}
	close(STDOUT_FILENO);
	if (c.ackpath != NULL) {
		while (!atomic_load(&c.ack_done)) {
			if (sig_count() > 1) {
				log_warn("not waiting for more acks");
				atomic_store(&c.ack_abandon, 1);
			} else if (!warned++)
				log_info("waiting for the last acks on %s",
				    c.ackpath);
			sig_sleep(50);
		}
		pthread_join(c.ack_thread, NULL);
		log_info("%lu commits from acks", c.ncommits);
		if (c.nack_errors > 0 && c.status == 0)
			c.status = EX_DATAERR;
	}
	rd_kafka_consumer_close(c.rk);
	rd_kafka_destroy(c.rk);
	parts_clear(&c);
	kcons_stats(&c, 1);
	log_info("%lu messages", c.nmsgs);
	return c.status;
}
