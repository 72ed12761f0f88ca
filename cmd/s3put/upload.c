/*
 * upload.c - s3put's upload thread: each object stored, confirmed, then
 * acked; what S3 will not take kept in --spool (s3put.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <limits.h>
#include <stdarg.h>

#include "clock.h"
#include "log.h"
#include "obuf.h"
#include "wire.h"

#include "s3put.h"
#include "spool.h"
#include "tmpl.h"

void
object_free(struct object *o)
{
	int i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nparts; i++)
		free(o->etags[i]);
	free(o->etags);
	EVP_MD_CTX_free(o->md5);
	free(o->key);
	free(o->pattern);
	free(o->topic);
	free(o);
}

void
fail(struct s3put *p, int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&p->mu);
	if (p->failed) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p->failure, sizeof(p->failure), fmt, ap);
	va_end(ap);
	p->failed = status;
	pthread_mutex_unlock(&p->mu);
	log_err("%s", p->failure);
}

static int
s3_status(const struct s3 *s)
{
	if (s->wrong)
		return EX_PROTOCOL;
	return s->status == 403 ? EX_NOPERM : EX_UNAVAILABLE;
}

long long
acked_last(struct s3put *p, const char *topic, size_t topiclen,
    int partition)
{
	long long last = -1;
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nacked; i++)
		if (p->acked[i].partition == partition &&
		    strlen(p->acked[i].topic) == topiclen &&
		    memcmp(p->acked[i].topic, topic, topiclen) == 0) {
			last = p->acked[i].last;
			break;
		}
	pthread_mutex_unlock(&p->mu);
	return last;
}

/* The partition's slot, made if new, or -1 (out of memory).  Under mu. */
static long
acked_slot(struct s3put *p, const char *topic, int partition)
{
	struct acked *n;
	size_t i;

	for (i = 0; i < p->nacked; i++)
		if (p->acked[i].partition == partition &&
		    strcmp(p->acked[i].topic, topic) == 0)
			return (long)i;
	if ((n = realloc(p->acked, (i + 1) * sizeof(*n))) == NULL)
		return -1;
	p->acked = n;
	if ((n[i].topic = strdup(topic)) == NULL)
		return -1;
	n[i].partition = partition;
	n[i].last = -1;
	n[i].since = 0;
	p->nacked++;
	return (long)i;
}

/*
 * o is acked: its partition's mark moves up to its last offset, unless
 * the partition was revoked after o was opened.  Out of memory: no
 * mark, only a record stored twice later.
 */
static void
acked_set(struct s3put *p, const struct object *o)
{
	long i;

	pthread_mutex_lock(&p->mu);
	if ((i = acked_slot(p, o->topic, o->partition)) != -1 &&
	    o->revokes >= p->acked[i].since && o->last > p->acked[i].last)
		p->acked[i].last = o->last;
	pthread_mutex_unlock(&p->mu);
}

/*
 * A revoke read (the reader's): what this run acked of the partition,
 * or will ack of objects opened before now, says nothing more.
 */
void
acked_forget(struct s3put *p, const char *topic, int partition)
{
	long i;

	pthread_mutex_lock(&p->mu);
	p->revokes++;
	if ((i = acked_slot(p, topic, partition)) != -1) {
		p->acked[i].last = -1;
		p->acked[i].since = p->revokes;
	} else
		log_warn("out of memory: records of %s[%d] read again after "
		    "its revoke may be stored twice", topic, partition);
	pthread_mutex_unlock(&p->mu);
}

void
acked_free(struct s3put *p)
{
	size_t i;

	for (i = 0; i < p->nacked; i++)
		free(p->acked[i].topic);
	free(p->acked);
	p->acked = NULL;
	p->nacked = 0;
}

static void
print_ack(struct s3put *p, const struct object *o, const char *etag)
{
	struct wire_ack a = { p->bucket, o->key, (long long)o->records,
	    (long long)o->bytes, etag, o->topic, o->partition, o->first,
	    o->last, p->dry_run };

	wire_ack_write(&p->out, &a);
	/*
	 * The acks' reader gone (EPIPE, `| head -1`): storing goes on, the
	 * job, and no more acks are written, nor marks set from them.
	 */
	if (obuf_flush(&p->out) != 0 && obuf_error(&p->out) == EPIPE)
		log_debug("s3://%s/%s is stored; its ack has no reader",
		    p->bucket, o->key);
	else if (obuf_error(&p->out))	/* an ack is flushed as soon as true */
		fail(p, EX_IOERR, "stdout: %s: s3://%s/%s is stored (%lu "
		    "records) but its ack is not written", strerror(
		    obuf_error(&p->out)), p->bucket, o->key, o->records);
	else if (o->topic != NULL && !p->dry_run)
		acked_set(p, o);
}

/*
 * The object's metadata, for the lake's inventory (s3cat --list): its
 * offsets and records, as far as known when its first request goes out
 * (a multipart upload's last offset is not: only its first).
 */
static void
set_meta(struct s3 *s, const struct object *o, int whole)
{
	s->nmeta = 0;
	if (o->topic != NULL) {
		s->meta[s->nmeta].name = "first-offset";
		snprintf(s->meta[s->nmeta++].value, sizeof(s->meta[0].value),
		    "%lld", o->first);
	}
	if (!whole)
		return;
	if (o->topic != NULL) {
		s->meta[s->nmeta].name = "last-offset";
		snprintf(s->meta[s->nmeta++].value, sizeof(s->meta[0].value),
		    "%lld", o->last);
	}
	s->meta[s->nmeta].name = "records";
	snprintf(s->meta[s->nmeta++].value, sizeof(s->meta[0].value), "%lu",
	    o->records);
}

/*
 * After storing o, offsets [first, last] of its partition: delete the
 * objects of the same partition and key pattern whose first offset lies
 * in (first, last].  An earlier run stored them, cut elsewhere, and was
 * not acked (a crash, a rebalance): this object now holds their first
 * records, and the batches after it hold the rest, so what is left is
 * one copy of each record, however the two runs cut.  The keys are
 * zero-padded offsets, so one listing after o's own key finds them in
 * order.  0, or -1 with s's error (o is then not acked: a rerun does it
 * again).
 */
/*
 * A listing or delete S3 refused (403): a role that may only write.
 * Said once, and from then on nothing is overtaken: at least once, not
 * a pipeline that stalls.  Any other failure: -1 (no ack).
 */
static int
forbidden(struct s3put *p, const char *what, const struct object *o)
{
	if (p->s3.status != 403)
		return -1;
	p->no_overtake = 1;
	log_warn("s3://%s/%s: S3 refused to %s (403): without s3:ListBucket "
	    "and s3:DeleteObject, objects an earlier run stored and this one "
	    "stores again, cut elsewhere, are kept: at least once, not "
	    "exactly once", p->bucket, o->key, what);
	return 0;
}

static int
drop_overtaken(struct s3put *p, struct object *o)
{
	struct s3 *s = &p->s3;
	char token[1100] = "", next[1100], want[KEY_MAX], *prefix;
	const char *at, *k;
	struct s3_entry *ents;
	long long x;
	size_t n, i, plen;
	int done = 0, j;

	if (o->pattern == NULL || o->last <= o->first || p->no_overtake ||
	    (at = strstr(o->pattern, "{offset}")) == NULL)
		return 0;
	plen = (size_t)(at - o->pattern);
	if ((prefix = strndup(o->pattern, plen)) == NULL)
		return -1;
	do {
		if (s3_list_after(s, prefix, o->key, token, &ents, &n, next,
		    sizeof(next)) == -1) {
			free(prefix);
			return forbidden(p, "list", o);
		}
		for (i = 0; i < n && !done; i++) {
			k = ents[i].key;
			if (strlen(k) < plen + 20)
				continue;
			for (j = 0, x = 0; j < 20 && k[plen + j] >= '0' &&
			    k[plen + j] <= '9' && x <= (LLONG_MAX - 9) / 10; j++)
				x = x * 10 + (k[plen + j] - '0');
			if (j < 20)
				continue;	/* not an offset s3put writes */
			if (x > o->last) {
				done = 1;	/* sorted: none further */
				break;
			}
			if (x <= o->first || tmpl_fill_offset(o->pattern, x,
			    want, sizeof(want)) < 0 || strcmp(want, k) != 0)
				continue;
			if (s3_delete(s, k) == -1) {
				s3_list_free(ents, n);
				free(prefix);
				return forbidden(p, "delete", o);
			}
			log_notice("s3://%s/%s: deleted, its first offset %lld "
			    "is in s3://%s/%s (offsets %lld-%lld), stored "
			    "again cut elsewhere", p->bucket, k, x, p->bucket,
			    o->key, o->first, o->last);
			pthread_mutex_lock(&p->mu);
			p->ndropped++;
			pthread_mutex_unlock(&p->mu);
		}
		s3_list_free(ents, n);
		memcpy(token, next, sizeof(token));
	} while (!done && token[0] != '\0');
	free(prefix);
	return 0;
}

/*
 * Answer kcons's revoke: every ack of the partition is written, its
 * open batch dropped.  The reader forgot its acked mark at the revoke
 * (acked_forget): if the partition comes back, it starts afresh from
 * the committed offset.
 */
static void
answer(struct s3put *p, struct answer *a)
{
	wire_control_write(&p->out, "revoked", a->id, a->topic, a->partition);
	if (obuf_flush(&p->out) != 0 && obuf_error(&p->out) == EPIPE)
		log_debug("the answer to the revoke of %s[%d] has no reader",
		    a->topic, a->partition);
	else if (obuf_error(&p->out))
		fail(p, EX_IOERR, "stdout: %s: the answer to the revoke of "
		    "%s[%d] is not written", strerror(obuf_error(&p->out)),
		    a->topic, a->partition);
	free(a);
}

/* A revoked partition's object: what was begun of it is undone. */
static void
drop(struct s3put *p, struct object *o)
{
	char why[512];

	if (o->upload_id[0] == '\0' || p->dry_run)
		;
	else if (s3_abort_multipart(&p->s3, o->key, o->upload_id) == 0)
		log_info("aborted the multipart upload of s3://%s/%s",
		    p->bucket, o->key);
	else {
		s3_strerror(&p->s3, why, sizeof(why));
		log_warn("s3://%s/%s: the multipart upload begun is not "
		    "aborted (%s): its parts are kept, unseen, until a "
		    "lifecycle rule (AbortIncompleteMultipartUpload) removes "
		    "them", p->bucket, o->key, why);
	}
	spool_discard(o->spool);
	object_free(o);
}

/* Store one job; the uploader's side of everything. */
static void
upload(struct s3put *p, struct job *j)
{
	struct object *o = j->obj;
	struct s3 *s = &p->s3;
	char why[1024], **ne;
	unsigned char md5[EVP_MAX_MD_SIZE];
	char etag[sizeof(p->s3.etag)];

	if (o->nparts == 0 && o->upload_id[0] == '\0')
		p->started_ms = clock_mono_ms();	/* the object's first request */
	o->bytes += j->len;
	if (p->dry_run) {
		/* What would be stored, said in the ack's shape; no S3. */
		if (j->final)
			print_ack(p, o, NULL);
		goto out;
	}
	if (o->spool != NULL && spool_write(o->spool, j->data, j->len) == -1) {
		/*
		 * A spool file with a hole would be uploaded and acked in
		 * full by the next run: no copy is better than a cut one.
		 */
		log_err("--spool: %s: %s: s3://%s/%s has no copy on disk; if "
		    "S3 refuses it too, it is not stored (and not acked)",
		    spool_path(o->spool), strerror(errno), p->bucket, o->key);
		spool_discard(o->spool);
		o->spool = NULL;
	}
	if (p->failed)
		goto keep;
	if (!j->final || o->upload_id[0] != '\0') {
		/* A part of a multipart upload. */
		if (o->upload_id[0] == '\0')
			set_meta(s, o, 0);
		if (o->upload_id[0] == '\0' && s3_create_multipart(s, o->key,
		    o->upload_id, sizeof(o->upload_id)) == -1)
			goto s3fail;
		if (o->md5 == NULL && ((o->md5 = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(o->md5, EVP_md5(), NULL) != 1)) {
			fail(p, EX_OSERR, "out of memory");
			goto keep;
		}
		if (j->len > 0 || o->nparts == 0) {
			if (s3_upload_part(s, o->key, o->upload_id,
			    o->nparts + 1, j->data, j->len) == -1)
				goto s3fail;
			if ((ne = realloc(o->etags, (size_t)(o->nparts + 1) *
			    sizeof(*ne))) == NULL ||
			    (ne[o->nparts] = strdup(s->etag)) == NULL) {
				if (ne != NULL)
					o->etags = ne;
				fail(p, EX_OSERR, "out of memory");
				goto keep;
			}
			o->etags = ne;
			o->nparts++;
			EVP_DigestUpdate(o->md5, j->data, j->len);
		}
		if (!j->final)
			goto out;
		if (EVP_DigestFinal_ex(o->md5, md5, NULL) != 1 ||
		    s3_complete_multipart(s, o->key, o->upload_id, o->etags,
		    o->nparts, md5) == -1)
			goto s3fail;
	} else if (set_meta(s, o, 1), s3_put(s, o->key, j->data, j->len) == -1)
		goto s3fail;
	/* S3's confirmation, kept: the listing and deletes after clear it. */
	snprintf(etag, sizeof(etag), "%s", s->etag);
	if (drop_overtaken(p, o) == -1) {
		/* Stored, but not yet alone: no ack, and a rerun mends it. */
		s3_strerror(s, why, sizeof(why));
		fail(p, s3_status(s), "s3://%s/%s is stored, but the objects "
		    "it overtakes could not be deleted: %s (not acked)",
		    p->bucket, o->key, why);
		goto keep_stored;
	}
	log_info("stored s3://%s/%s: %lu records, %zu bytes%s", p->bucket,
	    o->key, o->records, o->bytes, o->nparts ? " (multipart)" : "");
	pthread_mutex_lock(&p->mu);
	p->nobjects++;
	p->nstored_records += o->records;
	p->stored_bytes += o->bytes;
	p->upload_ms += (double)(clock_mono_ms() - p->started_ms);
	pthread_mutex_unlock(&p->mu);
	print_ack(p, o, etag);
keep_stored:
	spool_discard(o->spool);
	o->spool = NULL;
	goto out;
s3fail:
	s3_strerror(s, why, sizeof(why));
	fail(p, s3_status(s), "s3://%s/%s: %s%s", p->bucket, o->key, why,
	    s->retryable ? " (gave up after the retries)" : "");
	if (o->upload_id[0] != '\0' &&
	    s3_abort_multipart(s, o->key, o->upload_id) == 0)
		log_notice("aborted the multipart upload of s3://%s/%s",
		    p->bucket, o->key);
	o->upload_id[0] = '\0';
keep:
	/* Not stored: no ack.  With --spool the object waits on disk. */
	if (j->final && o->spool != NULL) {
		if (spool_keep(o->spool, p->bucket, o->key, o->records,
		    o->topic, o->partition, o->first, o->last, why,
		    sizeof(why)) == 0)
			log_notice("kept %lu records for s3://%s/%s in %s",
			    o->records, p->bucket, o->key, why);
		else
			log_err("--spool: could not keep s3://%s/%s: %s",
			    p->bucket, o->key, strerror(errno));
		o->spool = NULL;
	} else if (j->final)
		log_err("not stored: %lu records for s3://%s/%s", o->records,
		    p->bucket, o->key);
out:
	pthread_mutex_lock(&p->mu);
	p->nretries = s->nretries;	/* lib/s3 counts in this thread */
	pthread_mutex_unlock(&p->mu);
	free(j->data);
	if (j->final)
		object_free(o);
}

void *
uploader(void *arg)
{
	struct s3put *p = arg;
	struct job j;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->full && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->full && p->done)
			break;
		j = p->slot;
		p->full = 0;
		p->busy = 1;
		pthread_mutex_unlock(&p->mu);
		if (j.ans != NULL)
			answer(p, j.ans);
		else if (j.drop)
			drop(p, j.obj);
		else
			upload(p, &j);
		pthread_mutex_lock(&p->mu);
		p->busy = 0;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hand a job over once the uploader is idle (two parts in memory at most). */
void
hand_job(struct s3put *p, const struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (p->full || p->busy)
		pthread_cond_wait(&p->cv, &p->mu);
	p->slot = *j;
	p->full = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
hand_over(struct s3put *p, struct object *o, char *data, size_t len,
    int final)
{
	hand_job(p, &(struct job){ o, data, len, final, 0, NULL });
}

/* spool_replay()'s callback. */
static void
hand_over_spooled(void *arg, void *obj, char *data, size_t len, int final)
{
	hand_over(arg, obj, data, len, final);
}

int
has_failed(struct s3put *p)
{
	int f;

	pthread_mutex_lock(&p->mu);
	f = p->failed;
	pthread_mutex_unlock(&p->mu);
	return f;
}

/* Upload what an earlier run kept in --spool before anything new. */
int
replay_spool(struct s3put *p)
{
	struct spool_entry *e, *list;
	char why[256], where[PATH_MAX + 16];
	struct object *o;
	int rc = 0;

	if (spool_list(p->spool_dir, &list) == -1) {
		log_err("--spool %s: %s", p->spool_dir, strerror(errno));
		return EX_CANTCREAT;
	}
	for (e = list; e != NULL && !p->failed; e = e->next) {
		if ((o = calloc(1, sizeof(*o))) == NULL ||
		    (o->key = strdup(e->key)) == NULL ||
		    (e->topic != NULL && (o->topic = strdup(e->topic)) ==
		    NULL)) {
			object_free(o);
			rc = EX_OSERR;
			break;
		}
		o->records = e->records;
		o->partition = e->partition;
		o->first = e->first;
		o->last = e->last;
		if (e->bucket == NULL || strcmp(e->bucket, p->bucket) != 0) {
			log_warn("%s belongs in s3://%s, not s3://%s: left "
			    "there", e->path, e->bucket, p->bucket);
			object_free(o);
			continue;
		}
		if (spool_check(e, why, sizeof(why)) == -1) {
			/* Never upload (and ack) what is not all there. */
			spool_set_aside(e, where, sizeof(where));
			log_err("%s: %s: not uploaded to s3://%s/%s; set aside "
			    "as %s", e->path, why, p->bucket, o->key, where);
			object_free(o);
			p->spool_err = EX_DATAERR;
			continue;
		}
		log_notice("uploading s3://%s/%s from the spool (%s)",
		    p->bucket, o->key, e->path);
		if (spool_replay(e, p->part_size, hand_over_spooled, p,
		    o) == -1) {
			log_err("%s: %s", e->path, strerror(errno));
			rc = EX_IOERR;
			break;
		}
		/* Wait for it: its file goes only once it is stored. */
		pthread_mutex_lock(&p->mu);
		while (p->full || p->busy)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (!p->failed)
			spool_remove(e);
	}
	spool_list_free(list);
	return rc;
}
