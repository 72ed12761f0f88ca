/*
 * batch.c - s3put's open batches: one per key prefix (and per topic
 * partition for envelopes), compressed as records come, handed to the
 * uploader in parts and when closed (s3put.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "log.h"

#include "s3put.h"
#include "spool.h"
#include "tmpl.h"

static int
grow(char **buf, size_t *cap, size_t len, size_t need)
{
	size_t c = *cap ? *cap : 64 * 1024;
	char *nb;

	while (c - len < need)
		c *= 2;
	if (c == *cap)
		return 0;
	if ((nb = realloc(*buf, c)) == NULL)
		return -1;
	*buf = nb;
	*cap = c;
	return 0;
}

/*
 * Add data to the batch: copied as is (--no-gzip), or into its chunk,
 * sent to be compressed once GZ_CHUNK is there (gz.c); a longer record
 * is cut across chunks, so none is larger, whatever --max-line allows.
 * Past GZ_PENDING_MAX in all open batches' chunks, the larger chunks
 * are sent.
 */
int
batch_add(struct s3put *p, struct batch *b, const char *data, size_t len)
{
	struct batch *o;
	size_t n, avg;

	if (!p->gzip) {
		if (grow(&b->buf, &b->cap, b->len, len) == -1)
			return -1;
		memcpy(b->buf + b->len, data, len);
		b->len += len;
		return 0;
	}
	while (len > 0) {
		n = GZ_CHUNK - b->inlen < len ? GZ_CHUNK - b->inlen : len;
		if (grow(&b->in, &b->incap, b->inlen, n) == -1)
			return -1;
		memcpy(b->in + b->inlen, data, n);
		b->inlen += n;
		p->pending += n;
		data += n;
		len -= n;
		if (b->inlen == GZ_CHUNK)
			gz_submit(p, b);
	}
	if (p->pending > GZ_PENDING_MAX) {
		/*
		 * The chunks of at least the average size go (the largest
		 * always does); the batches filling slowly keep theirs to
		 * grow, as a chunk compresses better the longer it is.
		 */
		for (n = 0, o = p->open; o != NULL; o = o->next)
			n++;
		avg = p->pending / n;
		for (o = p->open; o != NULL; o = o->next)
			if (o->inlen >= avg)
				gz_submit(p, o);
	}
	return 0;
}

/* Hand over what is compressed so far as one part of a multipart upload. */
void
batch_hand_part(struct s3put *p, struct batch *b)
{
	char *data = b->buf;
	size_t len = b->len;

	b->buf = NULL;
	b->len = b->cap = 0;
	hand_over(p, b->obj, data, len, 0);
}

/* Unlink a batch from the open ones and free it (its object is handed). */
static void
batch_free(struct s3put *p, struct batch *b)
{
	struct batch **pp;

	for (pp = &p->open; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	p->pending -= b->inlen;
	free(b->in);
	free(b->buf);
	free(b->prefix);
	free(b);
}

/*
 * Close a batch: its last chunk compressed and the member ended, the
 * rest handed over.  A batch that lost a chunk (out of memory, said) is
 * not stored: what was begun of it is undone and nothing is acked.
 */
void
batch_close(struct s3put *p, struct batch *b)
{
	char *data;
	size_t len;

	if (p->gzip && gz_finish(p, b) == -1) {
		hand_job(p, &(struct job){ b->obj, NULL, 0, 1, 1, NULL });
		batch_free(p, b);
		return;
	}
	data = b->buf;
	len = b->len;
	b->buf = NULL;
	hand_over(p, b->obj, data, len, 1);
	batch_free(p, b);
}

/*
 * Drop a batch whose partition the group took away: its records are
 * the partition's next owner's to store, from the offset committed.
 * The uploader aborts what it began of it (a multipart upload, a spool
 * file).
 */
void
batch_drop(struct s3put *p, struct batch *b)
{
	b->dropped = 1;
	gz_drain(p);		/* its chunks in the ring, thrown away */
	p->nrevoked += b->obj->records;
	log_info("%s[%d] revoked: %lu records (offsets %lld-%lld) not stored "
	    "here; the partition's next owner reads them again",
	    b->obj->topic, b->obj->partition, b->obj->records, b->obj->first,
	    b->obj->last);
	hand_job(p, &(struct job){ b->obj, NULL, 0, 1, 1, NULL });
	batch_free(p, b);
}

/*
 * The object key for a new batch, and (tmp, KEY_MAX bytes) the same with
 * "{offset}" kept: the pattern every batch of its partition under this
 * prefix has, by which s3put finds what an earlier run stored.
 */
static int
object_key(struct s3put *p, const char *prefix, const char *topic,
    int partition, long long offset, char *key, size_t keylen, char *tmp)
{
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (!tmpl_is_prefix(p->tmpl)) {
		if (strlen(prefix) >= KEY_MAX)
			return -1;
		memcpy(tmp, prefix, strlen(prefix) + 1);
		return tmpl_fill_offset(prefix, offset, key, keylen);
	}
	if (topic != NULL)
		n = snprintf(tmp, KEY_MAX, "%s%s+%d+{offset}.jsonl%s",
		    prefix, topic, partition, p->gzip ? ".gz" : "");
	else {
		/* Time, this run's random id, a counter: unique anywhere. */
		gmtime_r(&now, &tm);
		n = snprintf(tmp, KEY_MAX, "%s%04d%02d%02dT%02d%02d%02dZ-"
		    "%s-%06lu.jsonl%s", prefix, tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, p->run_id, ++p->seq, p->gzip ? ".gz" : "");
	}
	if (n < 0 || (size_t)n >= KEY_MAX)
		return -1;
	return tmpl_fill_offset(tmp, offset, key, keylen);
}

struct batch *
batch_open(struct s3put *p, const char *prefix, const char *topic,
    size_t topiclen, int partition, long long offset)
{
	char key[KEY_MAX], pattern[KEY_MAX];
	struct batch *b = calloc(1, sizeof(*b));
	struct object *o = calloc(1, sizeof(*o));

	if (b == NULL || o == NULL)
		goto oom;
	if (topic != NULL && (o->topic = strndup(topic, topiclen)) == NULL)
		goto oom;
	if (object_key(p, prefix, o->topic, partition, offset, key,
	    sizeof(key), pattern) < 0) {
		log_err("an object key longer than %d bytes", KEY_MAX);
		goto fail;
	}
	if ((o->key = strdup(key)) == NULL ||
	    (b->prefix = strdup(prefix)) == NULL ||
	    (o->topic != NULL && (o->pattern = strdup(pattern)) == NULL))
		goto oom;
	o->partition = partition;
	o->first = o->last = offset;
	o->revokes = p->revokes;	/* the reader's own: no lock */
	if (p->spool_dir != NULL) {
		if ((o->spool = spool_open(p->spool_dir, key)) == NULL)
			log_warn("--spool %s: %s", p->spool_dir,
			    strerror(errno));
	}
	b->obj = o;
	b->opened_ms = clock_mono_ms();
	b->next = p->open;
	p->open = b;
	return b;
oom:
	log_err("out of memory");
fail:
	if (o != NULL)
		spool_discard(o->spool);
	object_free(o);
	if (b != NULL)
		free(b->prefix);
	free(b);
	return NULL;
}

void
close_all(struct s3put *p)
{
	while (p->open != NULL)
		batch_close(p, p->open);
}

/* Close batches older than --max-age; the time until the next is due. */
long long
close_aged(struct s3put *p)
{
	long long now = clock_mono_ms(), next = -1, due;
	struct batch *b, *nb;

	if (p->max_age_ms <= 0)
		return -1;
	for (b = p->open; b != NULL; b = nb) {
		nb = b->next;
		due = b->opened_ms + p->max_age_ms;
		if (due <= now)
			batch_close(p, b);
		else if (next < 0 || due - now < next)
			next = due - now;
	}
	return next;
}
