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
grow(struct batch *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256 * 1024;
	char *nb;

	while (cap - b->len < need)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	if ((nb = realloc(b->buf, cap)) == NULL)
		return -1;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

/* Compress (or copy) data into the batch; finish ends the gzip stream. */
int
batch_add(struct s3put *p, struct batch *b, const char *data, size_t len,
    int finish)
{
	int zr;

	if (!p->gzip) {
		if (grow(b, len) == -1)
			return -1;
		memcpy(b->buf + b->len, data, len);
		b->len += len;
		return 0;
	}
	b->z.next_in = (Bytef *)(uintptr_t)data;
	b->z.avail_in = (uInt)len;
	do {
		if (grow(b, 64 * 1024) == -1)
			return -1;
		b->z.next_out = (Bytef *)b->buf + b->len;
		b->z.avail_out = (uInt)(b->cap - b->len);
		zr = deflate(&b->z, finish ? Z_FINISH : Z_NO_FLUSH);
		b->len = b->cap - b->z.avail_out;
		if (zr == Z_STREAM_ERROR)
			return -1;
	} while (b->z.avail_in > 0 || (finish && zr != Z_STREAM_END) ||
	    b->z.avail_out == 0);
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

/* Close a batch: finish the stream, hand the rest over, free it. */
void
batch_close(struct s3put *p, struct batch *b)
{
	struct batch **pp;
	char *data;
	size_t len;

	if (p->gzip && batch_add(p, b, "", 0, 1) == -1)
		log_err("compressing s3://%s/%s failed", p->bucket,
		    b->obj->key);
	if (p->gzip)
		deflateEnd(&b->z);
	data = b->buf;
	len = b->len;
	b->buf = NULL;
	hand_over(p, b->obj, data, len, 1);
	for (pp = &p->open; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b->prefix);
	free(b);
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
	struct batch **pp;

	if (p->gzip)
		deflateEnd(&b->z);
	free(b->buf);
	b->buf = NULL;
	p->nrevoked += b->obj->records;
	log_info("%s[%d] revoked: %lu records (offsets %lld-%lld) not stored "
	    "here; the partition's next owner reads them again",
	    b->obj->topic, b->obj->partition, b->obj->records, b->obj->first,
	    b->obj->last);
	hand_job(p, &(struct job){ b->obj, NULL, 0, 1, 1, NULL });
	for (pp = &p->open; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b->prefix);
	free(b);
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
	if (p->gzip && deflateInit2(&b->z, p->level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		goto oom;
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
