/*
 * produce.c - kprod's input: each line read, its key found, and handed
 * to librdkafka in batches (values copied once, by librdkafka), waiting
 * for room while the local queue is full.  A line is a record, a KEY
 * DELIM VALUE line (-K, as kcat -K), or an envelope (--envelope: kcons
 * -J's or kcat -J's, produced again with its key, headers, timestamp).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <librdkafka/rdkafka.h>

#include "json.h"
#include "jsonl.h"
#include "kprod.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "wire.h"

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
		if (sig_caught() || k->fatal || kprod_deadline_passed(k))
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		/* Idle input: the stats lines still come on time. */
		if (sig_poll(&pfd, 1, stats_wait_ms(kprod_poll_ms(k,
		    rd_kafka_outq_len(k->rk) > 0 ? 50 : -1))) > 0)
			return 0;
		if (stats_due())
			kprod_stats(k, 0);
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

/*
 * The line to keep with a message for --failed, when the value is not
 * the line; NULL when none is needed (or no memory: --failed then gets
 * the value, which is still better than nothing).
 */
static struct kprod_line *
keep_line(struct kprod *k, const char *line, size_t len, const char *val)
{
	struct kprod_line *kl;

	if (!k->have_failed || val == line)
		return NULL;
	if ((kl = malloc(sizeof(*kl) + len)) == NULL)
		return NULL;
	kl->len = len;
	memcpy(kl->buf, line, len);
	return kl;
}

/* kprod_refused() with the line kept, if any, as what --failed gets. */
static void
refused(struct kprod *k, const char *val, size_t vlen, const char *key,
    size_t klen, struct kprod_line *kept, rd_kafka_resp_err_t err)
{
	if (kept != NULL)
		kprod_refused(k, kept->buf, kept->len, key, klen, kept, err);
	else
		kprod_refused(k, val, vlen, key, klen, NULL, err);
}

/* The local queue is full: serve reports until there is room. */
static void
wait_for_room(struct kprod *k)
{
	obuf_flush(&k->out);
	rd_kafka_poll(k->rk, kprod_poll_ms(k, 10));
	(void)kprod_deadline_passed(k);
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
			    m->key_len, m->_private) == 0) {
				m->err = RD_KAFKA_RESP_ERR_NO_ERROR;
				k->nsent++;
				k->bytes += m->len;
				k->queued_bytes += m->len + m->key_len;
			} else
				m->err = rd_kafka_last_error();
		}
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			refused(k, m->payload, m->len, m->key, m->key_len,
			    m->_private, m->err);
	}
	k->nbatch = 0;
	k->batch_bytes = 0;
	k->arenalen = 0;
	rd_kafka_poll(k->rk, 0);
}

/*
 * Hand one message to rd_kafka_produceva() (what a batch cannot carry:
 * headers, a timestamp, a partition of its own), waiting while the
 * local queue is full.  Takes ownership of hdrs (may be NULL) and kept.
 */
static void
produce_one(struct kprod *k, int32_t partition, const char *val,
    size_t vlen, const char *key, size_t klen, long long timestamp,
    rd_kafka_headers_t *hdrs, struct kprod_line *kept)
{
	rd_kafka_vu_t vu[8];
	rd_kafka_error_t *error;
	rd_kafka_resp_err_t err;
	size_t n = 0;

	vu[n].vtype = RD_KAFKA_VTYPE_RKT;
	vu[n++].u.rkt = k->rkt;
	vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
	vu[n++].u.i32 = partition;
	vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[n].vtype = RD_KAFKA_VTYPE_VALUE;	/* NULL: a tombstone */
	vu[n].u.mem.ptr = (void *)val;
	vu[n++].u.mem.size = vlen;
	if (key != NULL) {
		vu[n].vtype = RD_KAFKA_VTYPE_KEY;
		vu[n].u.mem.ptr = (void *)key;
		vu[n++].u.mem.size = klen;
	}
	if (timestamp > 0) {
		vu[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
		vu[n++].u.i64 = timestamp;
	}
	if (hdrs != NULL) {
		vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
		vu[n++].u.headers = hdrs;
	}
	vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[n++].u.ptr = kept;
	for (;;) {
		/* On success the message owns hdrs; else they are still ours. */
		if ((error = rd_kafka_produceva(k->rk, vu, n)) == NULL)
			break;
		err = rd_kafka_error_code(error);
		rd_kafka_error_destroy(error);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !k->fatal &&
		    !k->deadline_hit) {
			wait_for_room(k);
			continue;
		}
		if (hdrs != NULL)
			rd_kafka_headers_destroy(hdrs);
		refused(k, val, vlen, key, klen, kept, err);
		return;
	}
	k->nsent++;
	k->bytes += vlen;
	k->queued_bytes += vlen + klen;
	rd_kafka_poll(k->rk, 0);
}

/* The -H headers, for a message of its own; NULL: none. */
static rd_kafka_headers_t *
option_headers(struct kprod *k, rd_kafka_headers_t *hdrs)
{
	size_t i;

	if (k->nheaders > 0 && hdrs == NULL)
		hdrs = rd_kafka_headers_new(k->nheaders);
	for (i = 0; i < k->nheaders; i++)
		(void)rd_kafka_header_add(hdrs, k->hnames[i], -1,
		    k->hvalues[i], -1);
	return hdrs;
}

/*
 * Produce one message: val is the value, line the input line it came
 * from (for --failed), key NULL for none or a pointer into the line, or
 * (off != KPROD_NO_ARENA) into the arena.  Waits while the local queue
 * is full.
 */
static void
produce(struct kprod *k, const char *line, size_t len, const char *val,
    size_t vlen, const char *key, size_t klen, size_t off)
{
	struct kprod_line *kept = keep_line(k, line, len, val);

	k->naccepted++;
	if (k->nheaders == 0) {
		/* No headers: batch it (rd_kafka_produce_batch has none). */
		rd_kafka_message_t *m = &k->batch[k->nbatch];
		memset(m, 0, sizeof(*m));
		m->payload = (void *)val;
		m->len = vlen;
		m->key = (void *)key;
		m->key_len = klen;
		m->_private = kept;	/* the msg_opaque */
		k->keyoff[k->nbatch++] = off;
		k->batch_bytes += vlen + klen;
		/* Flush before the batch alone could overfill the queue. */
		if (k->nbatch == KPROD_BATCH ||
		    (long long)k->nbatch * 2 >= k->queue_max ||
		    k->batch_bytes * 2 >= k->queue_max_bytes)
			flush_batch(k);
		return;
	}
	produce_one(k, k->partition, val, vlen, key, klen, 0,
	    option_headers(k, NULL), kept);
}

/* Say that a line's JSON (at skip bytes into it) is bad: -1. */
static int
bad_json(const char *name, unsigned long lineno, size_t skip,
    const struct json_error *jerr)
{
	log_err("%s:%lu: invalid JSON at byte %zu: %s", name, lineno,
	    skip + jerr->offset + 1, jerr->what);
	return -1;
}

/*
 * -K DELIM: KEY DELIM VALUE, split at the first DELIM.  A line without
 * DELIM is all value, with no key (or --key-literal's), as kcat has it.
 */
static int
take_keyed(struct kprod *k, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	struct json_error jerr;
	const char *d, *key = k->key_literal, *val = line;
	size_t klen = k->key_literal_len, vlen = len;

	if ((d = memmem(line, len, k->key_delim, k->key_delim_len)) != NULL) {
		key = line;
		klen = (size_t)(d - line);
		val = d + k->key_delim_len;
		vlen = len - klen - k->key_delim_len;
	}
	if (!k->raw && json_validate(val, vlen, &jerr) == -1)
		return bad_json(name, lineno, (size_t)(val - line), &jerr);
	produce(k, line, len, val, vlen, key, klen, KPROD_NO_ARENA);
	return 0;
}

/* Room for n bytes in the scratch buffer: 0, or -1 (no memory, said). */
static int
scratch_room(struct kprod *k, size_t n)
{
	char *nb;
	size_t cap;

	if (k->scratchcap >= n)
		return 0;
	cap = n < 4096 ? 4096 : n;
	if ((nb = realloc(k->scratch, cap)) == NULL) {
		log_err("%s", strerror(errno));
		return -1;
	}
	k->scratch = nb;
	k->scratchcap = cap;
	return 0;
}

/*
 * The envelope's headers, in order, then -H's: NULL with *hdrs NULL
 * when there are none; -1 for headers of the wrong shape (why set).
 */
static int
envelope_headers(struct kprod *k, const struct wire_envelope *e,
    char *dst, rd_kafka_headers_t **hdrs, const char **why)
{
	struct wire_headers h;
	const char *name, *val;
	size_t nlen, vlen;
	int r;

	*hdrs = NULL;
	if (wire_headers_begin(&h, e, dst, why) == -1)
		return -1;
	while ((r = wire_headers_next(&h, &name, &nlen, &val, &vlen,
	    why)) == 1) {
		if (*hdrs == NULL)
			*hdrs = rd_kafka_headers_new(8);
		(void)rd_kafka_header_add(*hdrs, name, (ssize_t)nlen, val,
		    (ssize_t)vlen);
	}
	if (r == -1) {
		if (*hdrs != NULL)
			rd_kafka_headers_destroy(*hdrs);
		*hdrs = NULL;
		return -1;
	}
	*hdrs = option_headers(k, *hdrs);
	return 0;
}

/*
 * --envelope: the message the envelope describes, with its key, headers
 * and timestamp, to -t's topic; its partition with -p envelope.  The
 * line is JSON with the envelope's level of depth (json.h).
 */
static int
take_envelope(struct kprod *k, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	struct json_error jerr;
	struct wire_envelope e;
	rd_kafka_headers_t *hdrs;
	const char *why, *key, *val;
	size_t klen, vlen;

	if (json_validate_line(line, len, &jerr) == -1)
		return bad_json(name, lineno, 0, &jerr);
	if (wire_envelope_parse(line, len, &e, &why) == -1) {
		log_err("%s:%lu: not an envelope: %s", name, lineno, why);
		return -1;
	}
	/* Each member decodes into its own part: no more than the line. */
	if (scratch_room(k, len) == -1)
		return -1;
	klen = wire_envelope_key(&e, k->scratch, &key);
	vlen = wire_envelope_value(&e, k->scratch + e.klen, &val);
	if (envelope_headers(k, &e, k->scratch + e.klen + e.vlen, &hdrs,
	    &why) == -1) {
		log_err("%s:%lu: not an envelope: %s", name, lineno, why);
		return -1;
	}
	k->naccepted++;
	produce_one(k, k->envelope_partition ? e.partition : k->partition,
	    val, vlen, key, klen, e.timestamp, hdrs,
	    keep_line(k, line, len, NULL));
	return 0;
}

/* cli_input's hooks: each good line produced; stop when kprod must. */
static int
take(void *arg, const char *name, unsigned long lineno, const char *line,
    size_t len)
{
	struct kprod *k = arg;
	const char *key = k->key_literal;
	size_t klen = k->key_literal_len, off = KPROD_NO_ARENA;

	if (k->envelope)
		return take_envelope(k, name, lineno, line, len);
	if (k->key_delim != NULL)
		return take_keyed(k, name, lineno, line, len);
	if (k->keypath != NULL && (k->raw == 0 || json_validate(line, len,
	    NULL) == 0))
		key = record_key(k, line, len, &klen, &off);
	produce(k, line, len, line, len, key, klen, off);
	return 0;
}

static int
next(void *arg)
{
	struct kprod *k = arg;

	if (stats_due())
		kprod_stats(k, 0);
	return k->fatal || sig_caught() || (k->deadline != 0 &&
	    (k->in.nread & 255) == 0 && kprod_deadline_passed(k)) ||
	    k->deadline_hit ? -1 : 0;
}

/* The batch points into the reader's buffer: it goes before the buffer. */
static void
done(void *arg)
{
	flush_batch(arg);
}

int
kprod_input(struct kprod *k, const char *path)
{
	k->in.wait = kprod_wait;
	k->in.take = take;
	k->in.next = next;
	k->in.done = done;
	k->in.arg = k;
	/* -K and --envelope lines are validated here, in their parts. */
	k->in.validate = !k->raw && k->key_delim == NULL && !k->envelope;
	k->in.keep_blank = k->raw;	/* bytes as they are, as kcat -P */
	k->in.records_only = 1;	/* kcons -J adds the envelope's level */
	return cli_input(&k->in, path);
}
