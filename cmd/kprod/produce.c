/*
 * produce.c - kprod's input: each line read, its key found, and handed
 * to librdkafka in batches (values copied once, by librdkafka), waiting
 * for room while the local queue is full.
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
		if (sig_poll(&pfd, 1, kprod_poll_ms(k,
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
			    m->key_len, NULL) == 0) {
				m->err = RD_KAFKA_RESP_ERR_NO_ERROR;
				k->nsent++;
				k->bytes += m->len;
				k->queued_bytes += m->len + m->key_len;
			} else
				m->err = rd_kafka_last_error();
		}
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			kprod_refused(k, m->payload, m->len, m->key,
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
		kprod_refused(k, line, len, key, klen, err);
		return;
	}
	k->nsent++;
	k->bytes += len;
	k->queued_bytes += len + klen;
	rd_kafka_poll(k->rk, 0);
}

/* cli_input's hooks: each good line produced; stop when kprod must. */
static int
take(void *arg, const char *name, unsigned long lineno, const char *line,
    size_t len)
{
	(void)name;
	(void)lineno;
	produce(arg, line, len);
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
	k->in.validate = !k->raw;
	k->in.records_only = 1;	/* kcons -J adds the envelope's level */
	return cli_input(&k->in, path);
}
