/*
 * kmeta - a Kafka cluster's metadata, offsets and group lag, and a
 * check of what its brokers advertise.
 *
 * What kcat -L and kcat -Q show, as JSON lines (one object a line, each
 * with a "type") or, on a terminal, as aligned tables.  -G adds what
 * kcat lacks: a group's committed offsets and lag, read without joining
 * the group.  --check answers the question every Kafka-on-EC2 user
 * asks: why a client reaches the bootstrap server and then fails
 * (check.c).
 *
 * One consumer handle does everything: metadata, watermarks and time
 * lookups (ListOffsets), committed offsets (OffsetFetch).  It never
 * subscribes, never commits and is destroyed without a consumer close,
 * so a group it reads is not joined or changed.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "clock.h"
#include "kconf.h"
#include "log.h"
#include "num.h"
#include "obuf.h"

#include "kmeta.h"

enum { OPT_CHECK = CLI_LONG, OPT_TABLE, OPT_TIMEOUT };

static const struct option longopts[] = {
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "group", required_argument, NULL, 'G' },
	{ "json", no_argument, NULL, 'J' },
	{ "offset", required_argument, NULL, 'o' },
	{ "query", no_argument, NULL, 'Q' },
	{ "table", no_argument, NULL, OPT_TABLE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "topic", required_argument, NULL, 't' },
	CLI_KAFKA_LONGOPTS,
	CLI_LONGOPTS
};

/* kcat's options for another tool's job. */
static const struct cli_hint hints[] = {
	{ "-C", "kmeta only reads metadata: to consume, as kcat -C, use kcons" },
	{ "-P", "kmeta only reads metadata: to produce, as kcat -P, use kprod" },
	{ NULL, NULL }
};

static struct cli cli = {
	"usage: kmeta [-JhQqVv] [-b BROKERS] [-F FILE] [-G GROUP] "
	"[-o s@MS]\n"
	"             [-X PROP=VALUE]... [--check] [--table] "
	"[--timeout SECONDS]\n"
	"             [-t TOPIC[:PARTITION:MS]]...\n",

	"Show a Kafka cluster's brokers, topics, partitions and offsets,\n"
	"offsets by time (-Q), a group's lag (-G), or check what the\n"
	"brokers advertise (--check).\n\n"
	"  -b, --brokers BROKERS  bootstrap brokers (else $KAFKA_BROKERS)\n"
	"  -F, --config FILE      librdkafka properties file\n"
	"  -G, --group GROUP      committed offsets and lag of GROUP\n"
	"  -h, --help             show this help and exit\n"
	"  -J, --json             JSON lines even on a terminal\n"
	"  -o, --offset s@MS      with -Q: every partition of the -t topics\n"
	"                         at time MS (milliseconds since the epoch)\n"
	"  -Q, --query            offsets by time, as kcat -Q\n"
	"  -q, --quiet            only errors on stderr\n"
	"  -t, --topic TOPIC      only TOPIC (repeatable); with -Q also\n"
	"                         TOPIC:PARTITION:MS (MS -1 end, -2 "
	"beginning)\n"
	"  -V, --version          print the version and exit\n"
	"  -v, --verbose          more messages on stderr (repeatable)\n"
	"  -X PROP=VALUE          librdkafka property (-X list shows them)\n"
	"      --check            connect to every advertised broker and "
	"say\n"
	"                         what is wrong (exit 69 if anything is)\n"
	"      --table            an aligned table even when not a "
	"terminal\n"
	"      --timeout SECONDS  limit for each network wait (default 5)\n",
	NULL, 0, hints
};

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)err;
	(void)opaque;
	/* The call that waits says what failed; this is the detail. */
	log_info("%s", reason);
}

/* ---- JSON pieces: each object is {"type":...,...} on one line ---- */

static void
json_begin(struct obuf *o, const char *type)
{
	obuf_puts(o, "{\"type\":");
	obuf_json_string(o, type, strlen(type));
}

static void
json_str(struct obuf *o, const char *key, const char *val)
{
	obuf_printf(o, ",\"%s\":", key);
	if (val == NULL)
		obuf_puts(o, "null");
	else
		obuf_json_string(o, val, strlen(val));
}

static void
json_num(struct obuf *o, const char *key, long long v)
{
	obuf_printf(o, ",\"%s\":%lld", key, v);
}

/* A number, or null when it is unknown (have is 0). */
static void
json_num_or_null(struct obuf *o, const char *key, int have, long long v)
{
	if (have)
		json_num(o, key, v);
	else
		obuf_printf(o, ",\"%s\":null", key);
}

static void
json_bool(struct obuf *o, const char *key, int v)
{
	obuf_printf(o, ",\"%s\":%s", key, v ? "true" : "false");
}

static void
json_end(struct obuf *o)
{
	obuf_puts(o, "}\n");
}

/* "1,2,3" of n broker ids. */
static void
ids_text(const int32_t *ids, int n, char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "," : "",
		    (int)ids[i]);
}

static void
json_ids(struct obuf *o, const char *key, const int32_t *ids, int n)
{
	int i;

	obuf_printf(o, ",\"%s\":[", key);
	for (i = 0; i < n; i++)
		obuf_printf(o, "%s%d", i ? "," : "", (int)ids[i]);
	obuf_putc(o, ']');
}

/* ---- the cluster ---- */

const rd_kafka_metadata_t *
kmeta_metadata(struct kmeta *k)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(k->rk, 1, NULL, &md, (int)k->timeout_ms);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return md;
	log_err("no metadata from the bootstrap servers %s within %lld ms: "
	    "%s", k->bootstrap, k->timeout_ms, rd_kafka_err2str(err));
	return NULL;
}

static const rd_kafka_metadata_topic_t *
md_topic(const rd_kafka_metadata_t *md, const char *name)
{
	int i;

	for (i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, name) == 0)
			return &md->topics[i];
	return NULL;
}

/* Is this topic one the user asked for (every topic without -t)? */
static int
wanted(const struct kmeta *k, const char *topic)
{
	size_t i;

	if (k->ntopics == 0)
		return 1;
	for (i = 0; i < k->ntopics; i++)
		if (strcmp(k->topics[i], topic) == 0)
			return 1;
	return 0;
}

/*
 * Each -t topic is in the metadata and has no topic-level error: 0, or
 * -1 with each one that is not said (EX_NOINPUT set).
 */
static int
topics_known(struct kmeta *k, const rd_kafka_metadata_t *md)
{
	const rd_kafka_metadata_topic_t *t;
	size_t i;
	int st = 0;

	for (i = 0; i < k->ntopics; i++) {
		if ((t = md_topic(md, k->topics[i])) == NULL ||
		    t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
			log_err("topic %s: not in the cluster", k->topics[i]);
			st = -1;
		} else if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("topic %s: %s", k->topics[i],
			    rd_kafka_err2str(t->err));
			st = -1;
		}
	}
	if (st == -1)
		k->status = EX_NOINPUT;
	return st;
}

/* Every partition of the wanted topics, as a new list; NULL: memory. */
static rd_kafka_topic_partition_list_t *
wanted_partitions(const struct kmeta *k, const rd_kafka_metadata_t *md)
{
	rd_kafka_topic_partition_list_t *l;
	int i, p;

	if ((l = rd_kafka_topic_partition_list_new(16)) == NULL)
		return NULL;
	for (i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];

		if (!wanted(k, t->topic) ||
		    t->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			continue;
		for (p = 0; p < t->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(l, t->topic,
			    t->partitions[p].id);
	}
	return l;
}

/*
 * The offset of each partition of l at time ms (-1 the end: the high
 * watermark, -2 the beginning: the low one), all in one lookup, into
 * each element's offset and err.  Returns 0, or -1 when the lookup as a
 * whole failed (said).
 */
static int
offsets_at(struct kmeta *k, rd_kafka_topic_partition_list_t *l, int64_t ms)
{
	rd_kafka_resp_err_t err;
	int i;

	if (l->cnt == 0)
		return 0;
	for (i = 0; i < l->cnt; i++)
		l->elems[i].offset = ms;
	err = rd_kafka_offsets_for_times(k->rk, l, (int)k->timeout_ms);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	/* The metadata came, the leaders did not answer: the classic. */
	log_err("offsets of %d partition%s not read within %lld ms: %s%s",
	    l->cnt, l->cnt == 1 ? "" : "s", k->timeout_ms,
	    rd_kafka_err2str(err), err == RD_KAFKA_RESP_ERR__TIMED_OUT ?
	    " (do the brokers' advertised addresses answer? kmeta --check "
	    "tells)" : "");
	k->status = EX_UNAVAILABLE;
	return -1;
}

static const rd_kafka_topic_partition_t *
find_part(const rd_kafka_topic_partition_list_t *l, const char *topic,
    int32_t partition)
{
	return l != NULL ? rd_kafka_topic_partition_list_find(
	    (rd_kafka_topic_partition_list_t *)l, topic, partition) : NULL;
}

/* An offset found (have set) or not, as a table cell. */
static const char *
cell_num(char *buf, size_t len, int have, long long v)
{
	if (!have)
		return NULL;
	snprintf(buf, len, "%lld", v);
	return buf;
}

static int
known(const rd_kafka_topic_partition_t *tp)
{
	return tp != NULL && tp->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    tp->offset >= 0;
}

/* The brokers, as advertised. */
static void
put_brokers(struct kmeta *k, const rd_kafka_metadata_t *md, int32_t ctl)
{
	struct table t;
	char id[16], addr[300], note[64];
	const char *row[3];
	int i, answered;

	if (k->table) {
		table_init(&t, 3);
		row[0] = "BROKER"; row[1] = "ADDRESS"; row[2] = "";
		table_row(&t, row);
	} else {
		json_begin(&k->out, "cluster");
		json_str(&k->out, "bootstrap", k->bootstrap);
		json_num_or_null(&k->out, "answered_by",
		    md->orig_broker_id >= 0, md->orig_broker_id);
		json_num_or_null(&k->out, "controller", ctl >= 0, ctl);
		json_num(&k->out, "brokers", md->broker_cnt);
		json_end(&k->out);
	}
	for (i = 0; i < md->broker_cnt; i++) {
		const rd_kafka_metadata_broker_t *b = &md->brokers[i];

		answered = b->id == md->orig_broker_id;
		if (!k->table) {
			json_begin(&k->out, "broker");
			json_num(&k->out, "id", b->id);
			json_str(&k->out, "host", b->host);
			json_num(&k->out, "port", b->port);
			json_bool(&k->out, "answered", answered);
			json_bool(&k->out, "controller", b->id == ctl);
			json_end(&k->out);
			continue;
		}
		snprintf(id, sizeof(id), "%d", (int)b->id);
		snprintf(addr, sizeof(addr), strchr(b->host, ':') ?
		    "[%s]:%d" : "%s:%d", b->host, b->port);
		snprintf(note, sizeof(note), "%s%s%s",
		    b->id == ctl ? "controller" : "",
		    b->id == ctl && answered ? ", " : "",
		    answered ? "answered the bootstrap" : "");
		row[0] = id; row[1] = addr; row[2] = note;
		table_row(&t, row);
	}
	if (k->table) {
		table_write(&t, &k->out);
		table_free(&t);
	}
}

/* Topics and partitions, with leader, replicas, ISR and watermarks. */
static void
put_partitions(struct kmeta *k, const rd_kafka_metadata_t *md,
    const rd_kafka_topic_partition_list_t *low,
    const rd_kafka_topic_partition_list_t *high)
{
	const rd_kafka_topic_partition_t *lo, *hi;
	struct table t;
	char part[16], leader[16], reps[256], isrs[256], l[24], h[24];
	const char *row[7];
	int i, p;

	if (k->table) {
		table_init(&t, 7);
		row[0] = "TOPIC"; row[1] = "PARTITION"; row[2] = "LEADER";
		row[3] = "REPLICAS"; row[4] = "ISR"; row[5] = "LOW";
		row[6] = "HIGH";
		table_row(&t, row);
	}
	for (i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[i];

		if (!wanted(k, mt->topic))
			continue;
		if (mt->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_warn("topic %s: %s", mt->topic,
			    rd_kafka_err2str(mt->err));
		if (!k->table) {
			json_begin(&k->out, "topic");
			json_str(&k->out, "topic", mt->topic);
			json_num(&k->out, "partitions", mt->partition_cnt);
			json_str(&k->out, "error", mt->err ?
			    rd_kafka_err2str(mt->err) : NULL);
			json_end(&k->out);
		}
		for (p = 0; p < mt->partition_cnt; p++) {
			const rd_kafka_metadata_partition_t *mp =
			    &mt->partitions[p];

			lo = find_part(low, mt->topic, mp->id);
			hi = find_part(high, mt->topic, mp->id);
			if (!k->table) {
				json_begin(&k->out, "partition");
				json_str(&k->out, "topic", mt->topic);
				json_num(&k->out, "partition", mp->id);
				json_num(&k->out, "leader", mp->leader);
				json_ids(&k->out, "replicas", mp->replicas,
				    mp->replica_cnt);
				json_ids(&k->out, "isr", mp->isrs,
				    mp->isr_cnt);
				json_num_or_null(&k->out, "low", known(lo),
				    lo ? lo->offset : 0);
				json_num_or_null(&k->out, "high", known(hi),
				    hi ? hi->offset : 0);
				json_str(&k->out, "error", mp->err ?
				    rd_kafka_err2str(mp->err) : NULL);
				json_end(&k->out);
				continue;
			}
			snprintf(part, sizeof(part), "%d", (int)mp->id);
			snprintf(leader, sizeof(leader), "%d", (int)mp->leader);
			ids_text(mp->replicas, mp->replica_cnt, reps,
			    sizeof(reps));
			ids_text(mp->isrs, mp->isr_cnt, isrs, sizeof(isrs));
			row[0] = mt->topic; row[1] = part; row[2] = leader;
			row[3] = reps; row[4] = isrs;
			row[5] = cell_num(l, sizeof(l), known(lo),
			    lo ? lo->offset : 0);
			row[6] = cell_num(h, sizeof(h), known(hi),
			    hi ? hi->offset : 0);
			table_row(&t, row);
			if (mp->err != RD_KAFKA_RESP_ERR_NO_ERROR)
				log_warn("%s[%d]: %s", mt->topic, (int)mp->id,
				    rd_kafka_err2str(mp->err));
		}
	}
	if (k->table) {
		table_write(&t, &k->out);
		table_free(&t);
	}
}

/*
 * The controller as the metadata names it, -1 when unknown or not one
 * of the brokers listed (librdkafka's mock cluster names none).
 */
static int32_t
controller(struct kmeta *k, const rd_kafka_metadata_t *md)
{
	int32_t id = rd_kafka_controllerid(k->rk, 0);
	int i;

	for (i = 0; i < md->broker_cnt; i++)
		if (md->brokers[i].id == id)
			return id;
	return -1;
}

/* The default: brokers, topics, partitions and their watermarks. */
static int
list_cluster(struct kmeta *k)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_partition_list_t *low = NULL, *high = NULL;

	if ((md = kmeta_metadata(k)) == NULL)
		return EX_UNAVAILABLE;
	topics_known(k, md);
	/* Known now from the metadata just read: no wait. */
	put_brokers(k, md, controller(k, md));
	if (k->table)
		obuf_putc(&k->out, '\n');
	/* About to wait for the brokers: a reader sees the brokers now. */
	obuf_flush(&k->out);
	if (obuf_error(&k->out) == 0 &&
	    (low = wanted_partitions(k, md)) != NULL &&
	    (high = rd_kafka_topic_partition_list_copy(low)) != NULL &&
	    offsets_at(k, low, RD_KAFKA_OFFSET_BEGINNING) == 0)
		offsets_at(k, high, RD_KAFKA_OFFSET_END);
	if (obuf_error(&k->out) == 0)
		put_partitions(k, md, low, high);
	if (low != NULL)
		rd_kafka_topic_partition_list_destroy(low);
	if (high != NULL)
		rd_kafka_topic_partition_list_destroy(high);
	rd_kafka_metadata_destroy(md);
	return k->status;
}

/* ---- -Q: offsets by time ---- */

/*
 * Is topic[partition] in the cluster?  Said when not (EX_NOINPUT): a
 * lookup of a topic that is not there may create it (auto-creation on
 * the brokers), and its answer would be a made-up 0.
 */
static int
partition_known(struct kmeta *k, const rd_kafka_metadata_t *md,
    const char *topic, int32_t partition)
{
	const rd_kafka_metadata_topic_t *t = md_topic(md, topic);
	int p;

	if (t == NULL || t->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("topic %s: %s", topic, t == NULL ? "not in the cluster"
		    : rd_kafka_err2str(t->err));
		k->status = EX_NOINPUT;
		return 0;
	}
	for (p = 0; p < t->partition_cnt; p++)
		if (t->partitions[p].id == partition)
			return 1;
	log_err("%s[%d]: no such partition (the topic has %d)", topic,
	    (int)partition, t->partition_cnt);
	k->status = EX_NOINPUT;
	return 0;
}

/*
 * Look up each element of l at its time (its offset field), with the
 * answers written there.  librdkafka asks once per partition, so the
 * same partition twice in one lookup (two times) gets one answer for
 * both: each lookup takes each partition at most once.  Returns 0, or
 * -1 when a lookup failed as a whole (said).
 */
static int
lookup_times(struct kmeta *k, rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_topic_partition_list_t *round;
	rd_kafka_topic_partition_t *tp;
	rd_kafka_resp_err_t err;
	char *done;
	int i, j, left = l->cnt, *idx;

	if ((done = calloc((size_t)l->cnt + 1, 1)) == NULL ||
	    (idx = calloc((size_t)l->cnt + 1, sizeof(*idx))) == NULL) {
		free(done);
		log_err("out of memory");
		return -1;
	}
	while (left > 0) {
		if ((round = rd_kafka_topic_partition_list_new(left)) == NULL)
			break;
		for (i = 0; i < l->cnt; i++) {
			tp = &l->elems[i];
			if (done[i] || rd_kafka_topic_partition_list_find(round,
			    tp->topic, tp->partition) != NULL)
				continue;
			idx[round->cnt] = i;
			rd_kafka_topic_partition_list_add(round, tp->topic,
			    tp->partition)->offset = tp->offset;
			done[i] = 1;
			left--;
		}
		err = rd_kafka_offsets_for_times(k->rk, round,
		    (int)k->timeout_ms);
		for (j = 0; j < round->cnt && err == 0; j++) {
			l->elems[idx[j]].offset = round->elems[j].offset;
			l->elems[idx[j]].err = round->elems[j].err;
		}
		rd_kafka_topic_partition_list_destroy(round);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("offsets by time not read within %lld ms: %s",
			    k->timeout_ms, rd_kafka_err2str(err));
			break;
		}
	}
	free(done);
	free(idx);
	return left > 0 ? -1 : 0;
}

static int
query_offsets(struct kmeta *k)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_partition_list_t *l, *all = NULL;
	rd_kafka_topic_partition_t *tp;
	struct table t;
	char part[16], ms[24], off[24];
	const char *row[4];
	size_t i;
	int j, have;

	if ((md = kmeta_metadata(k)) == NULL)
		return EX_UNAVAILABLE;
	if ((l = rd_kafka_topic_partition_list_new(16)) == NULL) {
		rd_kafka_metadata_destroy(md);
		return EX_OSERR;
	}
	for (i = 0; i < k->nqueries; i++)
		if (partition_known(k, md, k->queries[i].topic,
		    k->queries[i].partition))
			rd_kafka_topic_partition_list_add(l,
			    k->queries[i].topic, k->queries[i].partition)->
			    offset = k->queries[i].ms;
	/* -o s@MS: every partition of the -t topics (all without -t). */
	if (k->have_time && topics_known(k, md) == 0 && (k->ntopics > 0 ||
	    k->nqueries == 0) && (all = wanted_partitions(k, md)) != NULL) {
		for (j = 0; j < all->cnt; j++)
			rd_kafka_topic_partition_list_add(l,
			    all->elems[j].topic, all->elems[j].partition)->
			    offset = k->time_ms;
		rd_kafka_topic_partition_list_destroy(all);
	}
	rd_kafka_metadata_destroy(md);
	/* The times, kept: the lookup writes its offsets over them. */
	if ((all = rd_kafka_topic_partition_list_copy(l)) == NULL ||
	    lookup_times(k, l) == -1) {
		rd_kafka_topic_partition_list_destroy(l);
		if (all != NULL)
			rd_kafka_topic_partition_list_destroy(all);
		return EX_UNAVAILABLE;
	}
	if (k->table) {
		table_init(&t, 4);
		row[0] = "TOPIC"; row[1] = "PARTITION"; row[2] = "TIME";
		row[3] = "OFFSET";
		table_row(&t, row);
	}
	for (j = 0; j < l->cnt; j++) {
		tp = &l->elems[j];
		/* -1: no message at or after the time (Kafka's answer). */
		have = tp->err == RD_KAFKA_RESP_ERR_NO_ERROR && tp->offset >= 0;
		if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("%s[%d]: %s", tp->topic, (int)tp->partition,
			    rd_kafka_err2str(tp->err));
			k->status = EX_NOINPUT;
		}
		if (!k->table) {
			json_begin(&k->out, "offset");
			json_str(&k->out, "topic", tp->topic);
			json_num(&k->out, "partition", tp->partition);
			json_num(&k->out, "time", all->elems[j].offset);
			json_num_or_null(&k->out, "offset", have, tp->offset);
			json_str(&k->out, "error", tp->err ?
			    rd_kafka_err2str(tp->err) : NULL);
			json_end(&k->out);
			continue;
		}
		snprintf(part, sizeof(part), "%d", (int)tp->partition);
		snprintf(ms, sizeof(ms), "%lld",
		    (long long)all->elems[j].offset);
		row[0] = tp->topic; row[1] = part; row[2] = ms;
		row[3] = cell_num(off, sizeof(off), have, tp->offset);
		table_row(&t, row);
	}
	if (k->table) {
		table_write(&t, &k->out);
		table_free(&t);
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_topic_partition_list_destroy(all);
	return k->status;
}

/* ---- -G: a group's committed offsets and lag ---- */

static void
keep_add(rd_kafka_topic_partition_list_t *l,
    const rd_kafka_topic_partition_t *tp)
{
	rd_kafka_topic_partition_t *n;

	n = rd_kafka_topic_partition_list_add(l, tp->topic, tp->partition);
	n->offset = tp->offset;
	n->err = tp->err;
}

/*
 * Drop the topics of l in which the group has committed nothing: without
 * -t, the group's topics are those it has committed offsets for.
 */
static void
keep_committed_topics(rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_topic_partition_list_t *keep;
	int i, j, any;

	if ((keep = rd_kafka_topic_partition_list_new(l->cnt)) == NULL)
		return;
	for (i = 0; i < l->cnt; i++) {
		for (any = 0, j = 0; j < l->cnt && !any; j++)
			any = strcmp(l->elems[j].topic, l->elems[i].topic) ==
			    0 && l->elems[j].offset >= 0;
		if (any)
			keep_add(keep, &l->elems[i]);
	}
	/* l's elements replaced, in place: the caller's pointer stays. */
	for (i = l->cnt - 1; i >= 0; i--)
		rd_kafka_topic_partition_list_del_by_idx(l, i);
	for (i = 0; i < keep->cnt; i++)
		keep_add(l, &keep->elems[i]);
	rd_kafka_topic_partition_list_destroy(keep);
}

static int
group_lag(struct kmeta *k)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_partition_list_t *com = NULL, *low = NULL, *high = NULL;
	const rd_kafka_topic_partition_t *lo, *hi;
	rd_kafka_topic_partition_t *c;
	rd_kafka_resp_err_t err;
	struct table t;
	char part[16], cs[24], ls[24], hs[24], lags[24];
	const char *row[6];
	long long total = 0;
	int i, ncommitted = 0, have_lag;

	if ((md = kmeta_metadata(k)) == NULL)
		return EX_UNAVAILABLE;
	if (topics_known(k, md) == -1 || (com = wanted_partitions(k, md)) ==
	    NULL)
		goto out;
	/* OffsetFetch only: the group is neither joined nor committed to. */
	err = com->cnt ? rd_kafka_committed(k->rk, com, (int)k->timeout_ms) :
	    RD_KAFKA_RESP_ERR_NO_ERROR;
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("group %s: committed offsets not read within %lld ms: "
		    "%s", k->group, k->timeout_ms, rd_kafka_err2str(err));
		k->status = EX_UNAVAILABLE;
		goto out;
	}
	if (k->ntopics == 0)
		keep_committed_topics(com);
	if (com->cnt == 0 && k->ntopics == 0)
		log_notice("group %s has no committed offsets", k->group);
	if ((low = rd_kafka_topic_partition_list_copy(com)) == NULL ||
	    (high = rd_kafka_topic_partition_list_copy(com)) == NULL ||
	    offsets_at(k, low, RD_KAFKA_OFFSET_BEGINNING) == -1 ||
	    offsets_at(k, high, RD_KAFKA_OFFSET_END) == -1)
		goto out;
	if (k->table) {
		table_init(&t, 6);
		row[0] = "TOPIC"; row[1] = "PARTITION"; row[2] = "COMMITTED";
		row[3] = "LOW"; row[4] = "HIGH"; row[5] = "LAG";
		table_row(&t, row);
	}
	for (i = 0; i < com->cnt; i++) {
		c = &com->elems[i];
		lo = find_part(low, c->topic, c->partition);
		hi = find_part(high, c->topic, c->partition);
		if (c->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("group %s: %s[%d]: %s", k->group, c->topic,
			    (int)c->partition, rd_kafka_err2str(c->err));
			k->status = EX_UNAVAILABLE;
		}
		/* No commit: no lag either, as kafka-consumer-groups.sh. */
		have_lag = c->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    c->offset >= 0 && known(hi);
		if (c->err == RD_KAFKA_RESP_ERR_NO_ERROR && c->offset >= 0)
			ncommitted++;
		if (have_lag)
			total += hi->offset - c->offset;
		if (!k->table) {
			json_begin(&k->out, "group_partition");
			json_str(&k->out, "group", k->group);
			json_str(&k->out, "topic", c->topic);
			json_num(&k->out, "partition", c->partition);
			json_num_or_null(&k->out, "committed", c->offset >= 0,
			    c->offset);
			json_num_or_null(&k->out, "low", known(lo),
			    lo ? lo->offset : 0);
			json_num_or_null(&k->out, "high", known(hi),
			    hi ? hi->offset : 0);
			json_num_or_null(&k->out, "lag", have_lag, have_lag ?
			    hi->offset - c->offset : 0);
			json_end(&k->out);
			continue;
		}
		snprintf(part, sizeof(part), "%d", (int)c->partition);
		row[0] = c->topic; row[1] = part;
		row[2] = cell_num(cs, sizeof(cs), c->offset >= 0, c->offset);
		row[3] = cell_num(ls, sizeof(ls), known(lo),
		    lo ? lo->offset : 0);
		row[4] = cell_num(hs, sizeof(hs), known(hi),
		    hi ? hi->offset : 0);
		row[5] = cell_num(lags, sizeof(lags), have_lag, have_lag ?
		    hi->offset - c->offset : 0);
		table_row(&t, row);
	}
	if (k->table) {
		table_write(&t, &k->out);
		table_free(&t);
		obuf_printf(&k->out, "\ngroup %s: %d of %d partitions "
		    "committed, lag %lld\n", k->group, ncommitted, com->cnt,
		    total);
	} else {
		json_begin(&k->out, "group");
		json_str(&k->out, "group", k->group);
		json_num(&k->out, "partitions", com->cnt);
		json_num(&k->out, "committed_partitions", ncommitted);
		json_num(&k->out, "lag", total);
		json_end(&k->out);
	}
out:
	if (com != NULL)
		rd_kafka_topic_partition_list_destroy(com);
	if (low != NULL)
		rd_kafka_topic_partition_list_destroy(low);
	if (high != NULL)
		rd_kafka_topic_partition_list_destroy(high);
	rd_kafka_metadata_destroy(md);
	return k->status;
}

/* ---- the command line ---- */

/*
 * -t TOPIC or, for -Q, kcat's TOPIC:PARTITION:MS (a topic name has no
 * ':', so the two cannot be confused).
 */
static int
topic_option(struct kmeta *k, const char *arg)
{
	const char *c1 = strchr(arg, ':'), *c2;
	struct kmeta_query *q;
	long long part, ms;
	char num[32];
	size_t n;

	if (c1 == NULL) {
		if (k->ntopics == KMETA_MAX_TOPICS) {
			log_err("too many -t topics (max %d)",
			    KMETA_MAX_TOPICS);
			return EX_USAGE;
		}
		k->topics[k->ntopics++] = arg;
		return CLI_GO_ON;
	}
	if (c1 == arg || (c2 = strchr(c1 + 1, ':')) == NULL ||
	    (n = (size_t)(c2 - c1 - 1)) == 0 || n >= sizeof(num)) {
		log_err("-t %s: expected TOPIC or TOPIC:PARTITION:MS", arg);
		return EX_USAGE;
	}
	memcpy(num, c1 + 1, n);
	num[n] = '\0';
	if (num_parse(num, 0, INT32_MAX, &part) == -1 ||
	    num_parse(c2 + 1, -2, LLONG_MAX, &ms) == -1) {
		log_err("-t %s: expected TOPIC:PARTITION:MS, MS milliseconds "
		    "since the epoch, -1 (end) or -2 (beginning)", arg);
		return EX_USAGE;
	}
	if (k->nqueries == KMETA_MAX_QUERIES) {
		log_err("too many -t TOPIC:PARTITION:MS (max %d)",
		    KMETA_MAX_QUERIES);
		return EX_USAGE;
	}
	if (k->nqueries == 0)
		k->query_arg = arg;
	q = &k->queries[k->nqueries];
	if ((q->topic = strndup(arg, (size_t)(c1 - arg))) == NULL) {
		log_err("out of memory");
		return EX_OSERR;
	}
	q->partition = (int32_t)part;
	q->ms = ms;
	k->nqueries++;
	return CLI_GO_ON;
}

static int
option(struct kmeta *k, rd_kafka_conf_t *conf, int ch, const char *arg,
    const char **brokers)
{
	long long ms;

	switch (ch) {
	case 'G':
		k->group = arg;
		break;
	case 'J':
		k->table = 0;
		break;
	case 'o':
		if (strncmp(arg, "s@", 2) != 0 ||
		    num_parse(arg + 2, 0, LLONG_MAX, &ms) == -1) {
			log_err("-o %s: expected s@MS, MS milliseconds since "
			    "the epoch", arg);
			return EX_USAGE;
		}
		k->have_time = 1;
		k->time_ms = ms;
		break;
	case 'Q':
		k->query = 1;
		break;
	case 't':
		return topic_option(k, arg);
	case OPT_CHECK:
		k->check = 1;
		break;
	case OPT_TABLE:
		k->table = 1;
		break;
	case OPT_TIMEOUT:
		if (cli_seconds("--timeout", arg, 1, 3600000,
		    &k->timeout_ms) == -1)
			return EX_USAGE;
		break;
	case 'b': case 'F': case 'X':
		return cli_kafka_option(conf, brokers, ch, arg);
	default:
		return cli_common(&cli, ch);
	}
	return CLI_GO_ON;
}

/* Options that go together, each misuse said in one line. */
static int
options_agree(const struct kmeta *k)
{
	const char *why = NULL;

	if (k->query + (k->group != NULL) + k->check > 1)
		why = "-Q, -G and --check are separate jobs: use one";
	else if (k->query && k->nqueries == 0 && !k->have_time)
		why = "-Q needs -t TOPIC:PARTITION:MS, or -o s@MS";
	else if (!k->query && k->nqueries > 0) {
		log_err("-t %s is for -Q", k->query_arg);
		return EX_USAGE;
	} else if (!k->query && k->have_time)
		why = "-o s@MS is for -Q";
	else if (k->check && k->ntopics > 0)
		why = "--check looks at the brokers: no -t";
	if (why == NULL)
		return CLI_GO_ON;
	log_err("%s", why);
	return EX_USAGE;
}

/*
 * The consumer's settings: a group.id (-G's, or one of its own that is
 * never used, since librdkafka's consumer wants one), and nothing ever
 * committed or stored.
 */
static int
configure(struct kmeta *k, rd_kafka_conf_t *conf)
{
	char anon[64], v[1024];
	size_t n = sizeof(v), i;
	int st;

	if (k->group != NULL)
		st = cli_kafka_set(conf, NULL, "group.id", k->group);
	else if (!kconf_is_set(conf, "group.id")) {
		snprintf(anon, sizeof(anon), "kmeta-%ld", (long)getpid());
		st = cli_kafka_set(conf, NULL, "group.id", anon);
	} else
		st = CLI_GO_ON;
	if (st == CLI_GO_ON)
		st = cli_kafka_set(conf, NULL, "enable.auto.commit", "false");
	if (st == CLI_GO_ON)
		st = cli_kafka_set(conf, NULL, "enable.auto.offset.store",
		    "false");
	if (st != CLI_GO_ON)
		return st;
	rd_kafka_conf_set_error_cb(conf, error_cb);
	if (rd_kafka_conf_get(conf, "bootstrap.servers", v, &n) !=
	    RD_KAFKA_CONF_OK || (k->bootstrap = strdup(v)) == NULL)
		return EX_OSERR;
	n = sizeof(v);
	if (rd_kafka_conf_get(conf, "security.protocol", v, &n) !=
	    RD_KAFKA_CONF_OK || (k->protocol = strdup(v)) == NULL)
		return EX_OSERR;
	for (i = 0; k->protocol[i] != '\0'; i++)
		if (k->protocol[i] >= 'a' && k->protocol[i] <= 'z')
			k->protocol[i] = (char)(k->protocol[i] - 'a' + 'A');
	return CLI_GO_ON;
}

static int
run(struct kmeta *k, rd_kafka_conf_t *conf)
{
	char errstr[512];
	int st, err;

	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof(errstr))) == NULL) {
		log_err("%s", errstr);
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	if (k->table == -1)
		k->table = isatty(STDOUT_FILENO);
	obuf_open(&k->out, STDOUT_FILENO, 64 * 1024);
	if (k->check)
		st = kmeta_check(k);
	else if (k->query)
		st = query_offsets(k);
	else if (k->group != NULL)
		st = group_lag(k);
	else
		st = list_cluster(k);
	/*
	 * A reader that went away (kmeta | head -1) had what it wanted:
	 * quiet, and the status is what it would have been.
	 */
	if ((err = obuf_close(&k->out)) != 0 && err != EPIPE) {
		log_err("stdout: %s", strerror(err));
		if (st == 0)
			st = EX_IOERR;
	}
	/* No consumer close: there is no membership to leave, and a close
	 * would wait on brokers --check may have found unreachable. */
	rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	return st;
}

int
main(int argc, char **argv)
{
	static struct kmeta k = { .table = -1, .timeout_ms = 5000 };
	rd_kafka_conf_t *conf;
	const char *brokers = NULL;
	char libs[64];
	int ch, st;
	size_t i;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	snprintf(libs, sizeof(libs), "librdkafka %s", rd_kafka_version_str());
	cli.libs = libs;
	/* A closed stdout is EPIPE from write(2), handled, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	conf = kconf_new();
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS CLI_KAFKA_SHORTOPTS
	    "G:Jo:Qt:", longopts, NULL)) != -1)
		if ((st = option(&k, conf, ch, optarg, &brokers)) != CLI_GO_ON)
			goto bail;
	if (optind != argc) {
		log_err("%s: not an option; topics go with -t", argv[optind]);
		st = EX_USAGE;
		goto bail;
	}
	if ((st = options_agree(&k)) != CLI_GO_ON ||
	    (st = cli_kafka_brokers(conf, brokers)) != CLI_GO_ON ||
	    (st = configure(&k, conf)) != CLI_GO_ON)
		goto bail;
	st = run(&k, conf);
	conf = NULL;
bail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	for (i = 0; i < k.nqueries; i++)
		free(k.queries[i].topic);
	free(k.bootstrap);
	free(k.protocol);
	return st;
}
