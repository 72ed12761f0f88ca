/*
 * s3put - JSON lines into batched, gzip'd objects in S3, one ack line
 * per object S3 has confirmed.
 *
 * The main thread reads, sorts records into batches by their rendered
 * key prefix (and, for Kafka envelopes, by topic partition) and
 * compresses them; an upload thread stores them.  The two meet in a
 * one-slot hand-off: a part is handed over only when the uploader is
 * idle, so at most two parts (one uploading, one filling) are in memory
 * and compressing the next part overlaps uploading this one.  Only the
 * upload thread writes stdout, and it writes an ack only after S3 has
 * confirmed the object, in the order the batches were closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "clock.h"
#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "stdfd.h"
#include "num.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "version.h"

#include "s3.h"
#include "spool.h"
#include "tmpl.h"

#define KEY_MAX		1024
#define MIN_PART	(5 * 1024 * 1024)

enum {
	OPT_ENDPOINT = 256, OPT_ENVELOPE, OPT_GZIP_LEVEL, OPT_MAX_AGE,
	OPT_MAX_BYTES, OPT_MAX_LINE, OPT_MAX_RECORDS, OPT_NO_ENVELOPE,
	OPT_NO_GZIP, OPT_ON_ERROR, OPT_PART_SIZE, OPT_REGION, OPT_RETRIES,
	OPT_RETRY_DELAY, OPT_SPOOL, OPT_TIME_FIELD, OPT_TIMEOUT
};

enum envelope_mode { ENV_AUTO, ENV_ALWAYS, ENV_NEVER };

/* One object being built: what the uploader needs to store and ack it. */
struct object {
	char		*key;
	char		*topic;		/* NULL: not from envelopes */
	int		 partition;
	long long	 first, last;
	unsigned long	 records;
	size_t		 bytes;		/* stored (compressed) size */
	/* the uploader's */
	char		 upload_id[512];
	char		**etags;
	int		 nparts;
	EVP_MD_CTX	*md5;		/* of every part's bytes */
	struct spool_file *spool;
};

/* A batch open in the main thread. */
struct batch {
	struct object	*obj;
	char		*prefix;	/* rendered template, "{offset}" kept */
	size_t		 raw;		/* uncompressed bytes */
	long long	 opened_ms;
	z_stream	 z;
	char		*buf;		/* compressed, not yet handed over */
	size_t		 len, cap;
	struct batch	*next;
};

struct job {
	struct object	*obj;
	char		*data;		/* taken over by the uploader */
	size_t		 len;
	int		 final;
};

struct s3put {
	/* options */
	const char	*bucket;
	struct tmpl	*tmpl;
	enum envelope_mode envelope;
	struct json_path *time_field;
	unsigned long	 max_records;
	size_t		 max_bytes, part_size, max_line;
	long long	 max_age_ms;
	int		 gzip, level;
	enum jsonl_policy on_error;
	const char	*spool_dir;
	char		 run_id[17];	/* names objects from plain records */
	unsigned long	 seq;
	/* reading */
	struct batch	*open;
	unsigned long	 nread, nbad, nrecords;
	struct json_path *p_topic, *p_partition, *p_offset, *p_ts, *p_value;
	int		 input_err;
	int		 spool_err;	/* a kept object was set aside */
	/* the hand-off */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	 slot;
	int		 full, busy, done;
	/* the uploader's */
	struct s3	 s3;
	struct obuf	 out;
	unsigned long	 nobjects, nstored_records;
	unsigned long	 nretries;	/* s3's, copied under the lock */
	size_t		 stored_bytes;
	double		 upload_ms;	/* summed over stored objects */
	long long	 started_ms;	/* of the object being stored */
	int		 failed;	/* exit status of the first failure */
	char		 failure[768];
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: s3put [-hqVv] [--endpoint URL] [--envelope | --no-envelope] "
	    "[--gzip-level N]\n"
	    "             [--max-age SECONDS] [--max-bytes SIZE] "
	    "[--max-line SIZE]\n"
	    "             [--max-records N] [--no-gzip] [--on-error POLICY] "
	    "[--part-size SIZE]\n"
	    "             [--region REGION] [--retries N] "
	    "[--retry-delay SECONDS] [--spool DIR]\n"
	    "             [--time-field PATH] [--timeout SECONDS] "
	    "s3://BUCKET/TEMPLATE\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Store JSON lines from stdin in S3 as batched, gzip'd JSON-lines "
	    "objects;\nprint one ack line per object S3 has confirmed.\n\n"
	    "  -h, --help             show this help and exit\n"
	    "  -q, --quiet            only errors on stderr\n"
	    "  -V, --version          print the version and exit\n"
	    "  -v, --verbose          more messages on stderr\n"
	    "      --endpoint URL     an S3-compatible server (path-style "
	    "addressing)\n"
	    "      --envelope         every line is a Kafka envelope (kcons -J)\n"
	    "      --no-envelope      no line is (default: lines starting "
	    "{\"topic\": are)\n"
	    "      --gzip-level N     1 (fastest) to 9 (smallest), default 6\n"
	    "      --max-age SECONDS  close a batch this long after its first "
	    "record (300)\n"
	    "      --max-bytes SIZE   close a batch at this many uncompressed "
	    "bytes (64M)\n"
	    "      --max-line SIZE    longest accepted line (default 1M)\n"
	    "      --max-records N    close a batch at N records (100000)\n"
	    "      --no-gzip          store the JSON lines uncompressed\n"
	    "      --on-error POLICY  bad lines: count (default), fail or "
	    "skip\n"
	    "      --part-size SIZE   multipart upload above this size (8M, at "
	    "least 5M)\n"
	    "      --region REGION    default $AWS_REGION, $AWS_DEFAULT_REGION, "
	    "us-east-1\n"
	    "      --retries N        retries of a failed request (default 8)\n"
	    "      --retry-delay SECONDS  first backoff (0.5), doubled each "
	    "retry\n"
	    "      --spool DIR        keep objects S3 did not take in DIR; "
	    "upload them first\n"
	    "      --time-field PATH  the record's time for the template "
	    "(.last_updated)\n"
	    "      --timeout SECONDS  limit for one request (default 120)\n");
}

/* ---- the upload thread ---- */

static void
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
	free(o->topic);
	free(o);
}

static void
fail(struct s3put *p, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
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

static void
print_ack(struct s3put *p, const struct object *o, const char *etag)
{
	struct obuf *b = &p->out;

	obuf_puts(b, "{\"bucket\":");
	obuf_json_string(b, p->bucket, strlen(p->bucket));
	obuf_puts(b, ",\"key\":");
	obuf_json_string(b, o->key, strlen(o->key));
	obuf_printf(b, ",\"records\":%lu,\"bytes\":%zu,\"etag\":", o->records,
	    o->bytes);
	obuf_json_string(b, etag, strlen(etag));
	if (o->topic != NULL) {
		obuf_puts(b, ",\"topic\":");
		obuf_json_string(b, o->topic, strlen(o->topic));
		obuf_printf(b, ",\"partition\":%d,\"first_offset\":%lld,"
		    "\"last_offset\":%lld", o->partition, o->first, o->last);
	}
	obuf_puts(b, "}\n");
	if (obuf_flush(b) != 0)		/* an ack is flushed as soon as true */
		fail(p, EX_IOERR, "stdout: %s: s3://%s/%s is stored (%lu "
		    "records) but its ack is not written", strerror(
		    obuf_error(b)), p->bucket, o->key, o->records);
}

/* Store one job; the uploader's side of everything. */
static void
upload(struct s3put *p, struct job *j)
{
	struct object *o = j->obj;
	struct s3 *s = &p->s3;
	char why[1024], **ne;
	unsigned char md5[EVP_MAX_MD_SIZE];
	const char *etag;

	if (o->nparts == 0 && o->upload_id[0] == '\0')
		p->started_ms = clock_mono_ms();	/* the object's first request */
	o->bytes += j->len;
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
	} else if (s3_put(s, o->key, j->data, j->len) == -1)
		goto s3fail;
	etag = s->etag;
	log_info("stored s3://%s/%s: %lu records, %zu bytes%s", p->bucket,
	    o->key, o->records, o->bytes, o->nparts ? " (multipart)" : "");
	pthread_mutex_lock(&p->mu);
	p->nobjects++;
	p->nstored_records += o->records;
	p->stored_bytes += o->bytes;
	p->upload_ms += (double)(clock_mono_ms() - p->started_ms);
	pthread_mutex_unlock(&p->mu);
	print_ack(p, o, etag);
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

static void *
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
		upload(p, &j);
		pthread_mutex_lock(&p->mu);
		p->busy = 0;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hand a job over once the uploader is idle (two parts in memory at most). */
static void
hand_over(struct s3put *p, struct object *o, char *data, size_t len,
    int final)
{
	pthread_mutex_lock(&p->mu);
	while (p->full || p->busy)
		pthread_cond_wait(&p->cv, &p->mu);
	p->slot = (struct job){ o, data, len, final };
	p->full = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* spool_replay()'s callback. */
static void
hand_over_spooled(void *arg, void *obj, char *data, size_t len, int final)
{
	hand_over(arg, obj, data, len, final);
}

static int
has_failed(struct s3put *p)
{
	int f;

	pthread_mutex_lock(&p->mu);
	f = p->failed;
	pthread_mutex_unlock(&p->mu);
	return f;
}

/* ---- batches ---- */

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
static int
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
static void
batch_hand_part(struct s3put *p, struct batch *b)
{
	char *data = b->buf;
	size_t len = b->len;

	b->buf = NULL;
	b->len = b->cap = 0;
	hand_over(p, b->obj, data, len, 0);
}

/* Close a batch: finish the stream, hand the rest over, free it. */
static void
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

/* The object key for a new batch. */
static int
object_key(struct s3put *p, const char *prefix, const char *topic,
    int partition, long long offset, char *key, size_t keylen)
{
	char tmp[KEY_MAX];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (!tmpl_is_prefix(p->tmpl))
		return tmpl_fill_offset(prefix, offset, key, keylen);
	if (topic != NULL)
		n = snprintf(tmp, sizeof(tmp), "%s%s+%d+%020lld.jsonl%s",
		    prefix, topic, partition, offset, p->gzip ? ".gz" : "");
	else {
		/* Time, this run's random id, a counter: unique anywhere. */
		gmtime_r(&now, &tm);
		n = snprintf(tmp, sizeof(tmp), "%s%04d%02d%02dT%02d%02d%02dZ-"
		    "%s-%06lu.jsonl%s", prefix, tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, p->run_id, ++p->seq, p->gzip ? ".gz" : "");
	}
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return tmpl_fill_offset(tmp, offset, key, keylen);
}

static struct batch *
batch_open(struct s3put *p, const char *prefix, const char *topic,
    size_t topiclen, int partition, long long offset)
{
	char key[KEY_MAX];
	struct batch *b = calloc(1, sizeof(*b));
	struct object *o = calloc(1, sizeof(*o));

	if (b == NULL || o == NULL)
		goto oom;
	if (topic != NULL && (o->topic = strndup(topic, topiclen)) == NULL)
		goto oom;
	if (object_key(p, prefix, o->topic, partition, offset, key,
	    sizeof(key)) < 0) {
		log_err("an object key longer than %d bytes", KEY_MAX);
		goto fail;
	}
	if ((o->key = strdup(key)) == NULL ||
	    (b->prefix = strdup(prefix)) == NULL)
		goto oom;
	o->partition = partition;
	o->first = o->last = offset;
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

static void
close_all(struct s3put *p)
{
	while (p->open != NULL)
		batch_close(p, p->open);
}

/* Close batches older than --max-age; the time until the next is due. */
static long long
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

/* ---- records ---- */

/* Parse "2023-05-12T21:16:26[.ffffff][Z|+00:00]", "2023-05-12 21:16:26" or "2023-05-12". */
static int
parse_time_text(const char *s, size_t n, time_t *t)
{
	char buf[64];
	struct tm tm;
	const char *e;
	int sign, hh, mm;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(buf, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*e == 'T' || *e == ' ') {
		if ((e = strptime(e + 1, "%H:%M:%S", &tm)) == NULL)
			return -1;
		if (*e == '.')
			for (e++; *e >= '0' && *e <= '9'; e++)
				;
	}
	*t = timegm(&tm);
	if (*e == 'Z' && e[1] == '\0')
		return 0;
	if (*e == '\0')
		return 0;
	if ((*e == '+' || *e == '-') && sscanf(e + 1, "%2d:%2d", &hh, &mm) ==
	    2 && strlen(e) == 6) {
		sign = *e == '+' ? 1 : -1;
		*t -= sign * (hh * 3600 + mm * 60);
		return 0;
	}
	return -1;
}

/* The record's time from --time-field: a string or epoch s/ms. */
static int
record_time(struct s3put *p, const char *rec, size_t len, time_t *t)
{
	char tmp[512], num[64];
	const char *v;
	size_t vlen, n;
	double d;

	switch (json_lookup(rec, len, p->time_field, &v, &vlen)) {
	case JSON_STRING:
		if (vlen > sizeof(tmp))
			return -1;
		n = json_unescape(v, vlen, tmp);
		return parse_time_text(tmp, n, t);
	case JSON_NUMBER:
		if (vlen >= sizeof(num))
			return -1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		d = strtod(num, NULL);
		if (d > 1e11)
			d /= 1000;	/* milliseconds */
		if (d < 0 || d > 4e10)
			return -1;
		*t = (time_t)d;
		return 0;
	default:
		return -1;
	}
}

struct envelope {
	const char	*topic;
	size_t		 topiclen;
	long long	 partition, offset, ts;
	const char	*value;
	size_t		 vlen;
};

static int
lookup_int(const char *line, size_t len, const struct json_path *path,
    long long *out)
{
	char num[32];
	const char *v;
	size_t vlen;

	if (json_lookup(line, len, path, &v, &vlen) != JSON_NUMBER ||
	    vlen >= sizeof(num))
		return -1;
	memcpy(num, v, vlen);
	num[vlen] = '\0';
	return num_parse(num, 0, LLONG_MAX, out);
}

/* A name Kafka accepts for a topic. */
static int
kafka_topic_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > 249 || (n == 1 && t[0] == '.') ||
	    (n == 2 && t[0] == '.' && t[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' &&
		    t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '.' || t[i] == '_' || t[i] == '-'))
			return 0;
	return 1;
}

/* Is the line an envelope?  1 yes (e filled), 0 no, -1 a broken one. */
static int
parse_envelope(struct s3put *p, const char *line, size_t len,
    struct envelope *e, const char **why)
{
	const char *v;
	size_t vlen, i = 0;

	if (p->envelope == ENV_NEVER)
		return 0;
	if (p->envelope == ENV_AUTO) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (len - i < 9 || memcmp(line + i, "{\"topic\":", 9) != 0)
			return 0;
	}
	*why = "an envelope needs topic (a string), partition and offset "
	    "(numbers) and value";
	if (json_lookup(line, len, p->p_topic, &v, &vlen) != JSON_STRING ||
	    vlen < 2)
		return -1;
	e->topic = v + 1;
	e->topiclen = vlen - 2;
	if (!kafka_topic_ok(e->topic, e->topiclen)) {
		/* It goes into keys: only what Kafka allows in a name. */
		*why = "the topic is not a Kafka topic name (1 to 249 of "
		    "a-z, A-Z, 0-9, '.', '_' and '-'; not '.' or '..')";
		return -1;
	}
	if (lookup_int(line, len, p->p_partition, &e->partition) == -1 ||
	    e->partition > INT_MAX ||
	    lookup_int(line, len, p->p_offset, &e->offset) == -1 ||
	    json_lookup(line, len, p->p_value, &e->value, &e->vlen) ==
	    JSON_MISSING)
		return -1;
	if (lookup_int(line, len, p->p_ts, &e->ts) == -1)
		e->ts = -1;
	return 1;
}

/* Take one good line.  Returns 0, or -1 for a bad record (reported). */
static int
take(struct s3put *p, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	char prefix[KEY_MAX], tname[256];
	struct envelope e;
	const char *rec = line, *why = NULL;
	size_t reclen = len;
	struct batch *b;
	time_t t;
	int env;

	if ((env = parse_envelope(p, line, len, &e, &why)) == -1) {
		log_err("%s:%lu: %s", name, lineno, why);
		return -1;
	}
	if (env) {
		rec = e.value;
		reclen = e.vlen;
	} else if (tmpl_uses_kafka(p->tmpl)) {
		log_err("%s:%lu: not a Kafka envelope, but the key template "
		    "uses {topic}, {partition} or {offset}", name, lineno);
		return -1;
	}
	if (p->time_field != NULL) {
		if (record_time(p, rec, reclen, &t) == -1) {
			log_err("%s:%lu: --time-field: no time that s3put "
			    "reads (ISO 8601, YYYY-MM-DD HH:MM:SS, epoch s or "
			    "ms)", name, lineno);
			return -1;
		}
	} else if (env && e.ts >= 0)
		t = (time_t)(e.ts / 1000);
	else
		t = time(NULL);
	if (env)
		snprintf(tname, sizeof(tname), "%.*s", (int)e.topiclen,
		    e.topic);
	if (tmpl_render(p->tmpl, t, env ? tname : NULL, env ?
	    (int)e.partition : 0, -1, prefix, sizeof(prefix)) < 0) {
		log_err("%s:%lu: the object key is longer than %d bytes",
		    name, lineno, KEY_MAX);
		return -1;
	}
	if (!tmpl_key_safe(prefix)) {
		log_err("%s:%lu: the object key would have a '.' or '..' "
		    "segment", name, lineno);
		return -1;
	}
	if (env) {
		/*
		 * One open batch per partition, so each object is one run
		 * of offsets and last_offset + 1 is a safe commit point.
		 */
		for (b = p->open; b != NULL; b = b->next)
			if (b->obj->topic != NULL &&
			    b->obj->partition == (int)e.partition &&
			    strlen(b->obj->topic) == e.topiclen &&
			    memcmp(b->obj->topic, e.topic, e.topiclen) == 0)
				break;
		if (b != NULL && (strcmp(b->prefix, prefix) != 0 ||
		    e.offset <= b->obj->last)) {
			batch_close(p, b);
			b = NULL;
		}
	} else {
		for (b = p->open; b != NULL; b = b->next)
			if (b->obj->topic == NULL &&
			    strcmp(b->prefix, prefix) == 0)
				break;
	}
	if (b == NULL && (b = batch_open(p, prefix, env ? e.topic : NULL,
	    env ? e.topiclen : 0, env ? (int)e.partition : 0,
	    env ? e.offset : 0)) == NULL) {
		p->input_err = EX_SOFTWARE;
		return 0;
	}
	if (batch_add(p, b, rec, reclen, 0) == -1 ||
	    batch_add(p, b, "\n", 1, 0) == -1) {
		log_err("out of memory");
		p->input_err = EX_OSERR;
		return 0;
	}
	b->obj->records++;
	if (env)
		b->obj->last = e.offset;
	b->raw += reclen + 1;
	p->nrecords++;
	if (b->obj->records >= p->max_records || b->raw >= p->max_bytes)
		batch_close(p, b);
	else if (b->len >= p->part_size)
		batch_hand_part(p, b);
	return 0;
}

/*
 * QP_STATS: records in, objects and records stored, bytes in and out,
 * retries, bad lines.  The uploader's counters are read under the lock.
 */
static void
s3put_stats(struct s3put *p, int final)
{
	struct stat_field f[8];
	size_t raw = 0;
	struct batch *b;

	for (b = p->open; b != NULL; b = b->next)
		raw += b->raw;
	pthread_mutex_lock(&p->mu);
	f[0] = (struct stat_field){ "records_in", "Count", (double)p->nrecords };
	f[1] = (struct stat_field){ "objects", "Count", (double)p->nobjects };
	f[2] = (struct stat_field){ "records_stored", "Count",
	    (double)p->nstored_records };
	f[3] = (struct stat_field){ "bytes_stored", "Bytes",
	    (double)p->stored_bytes };
	f[4] = (struct stat_field){ "retries", "Count", (double)p->nretries };
	f[5] = (struct stat_field){ "bad_lines", "Count", (double)p->nbad };
	f[6] = (struct stat_field){ "bytes_open", "Bytes", (double)raw };
	f[7] = (struct stat_field){ "upload_ms", "Milliseconds",
	    p->nobjects ? p->upload_ms / p->nobjects : 0 };
	pthread_mutex_unlock(&p->mu);
	stats_emit(f, 8, final);
}

/* Waiting for input: flush aged batches meanwhile; stop on a signal. */
static int
wait_input(void *arg, int fd)
{
	struct s3put *p = arg;
	struct pollfd pfd = { fd, POLLIN, 0 };
	long long next;

	for (;;) {
		if (sig_caught() || has_failed(p))
			return -1;
		next = close_aged(p);
		if (stats_enabled() && (next < 0 || next > 1000))
			next = 1000;	/* an idle run still reports */
		if (stats_due())
			s3put_stats(p, 0);
		if (sig_poll(&pfd, 1, next < 0 ? -1 : (int)next) > 0)
			return 0;
	}
}

static int
read_input(struct s3put *p)
{
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	char why[512];
	size_t len;
	unsigned long n = 0;

	if (jsonl_open(&r, STDIN_FILENO, "<stdin>", p->max_line) == -1) {
		log_err("out of memory");
		return EX_OSERR;
	}
	r.wait = wait_input;
	r.wait_arg = p;
	r.validate = 1;
	/* Without envelopes no line gets an envelope's extra level. */
	r.records_only = p->envelope == ENV_NEVER;
	while ((st = jsonl_next(&r, &line, &len)) != JSONL_EOF) {
		if (st == JSONL_INTERRUPTED)
			break;
		if (st == JSONL_ERROR) {
			log_err("<stdin>: %s", strerror(errno));
			p->input_err = EX_IOERR;
			break;
		}
		p->nread++;
		if (st != JSONL_LINE) {
			jsonl_describe(&r, st, why, sizeof(why));
			log_err("%s", why);
		}
		if (st != JSONL_LINE ||
		    take(p, r.name, r.lineno, line, len) == -1) {
			p->nbad++;
			if (p->on_error == JSONL_ON_ERROR_FAIL)
				break;
		}
		if (p->input_err != 0)
			break;
		if (stats_due())
			s3put_stats(p, 0);
		/* Between waits, aged batches are closed every 4096 lines. */
		if ((++n & 4095) == 0 && (close_aged(p), has_failed(p)))
			break;
	}
	jsonl_close(&r);
	return 0;
}

/* ---- start-up ---- */

static int
parse_target(struct s3put *p, const char *url, char *errbuf, size_t errlen)
{
	static char bucket[64];
	const char *tmpl;

	if (s3_parse_url(url, bucket, sizeof(bucket), &tmpl, errbuf,
	    errlen) == -1)
		return -1;
	if (*tmpl == '\0') {
		snprintf(errbuf, errlen, "%s: expected s3://BUCKET/TEMPLATE "
		    "(a key template after the bucket)", url);
		return -1;
	}
	p->bucket = bucket;
	if ((p->tmpl = tmpl_compile(tmpl, errbuf, errlen)) == NULL)
		return -1;
	if (!tmpl_is_prefix(p->tmpl) && !tmpl_uses_offset(p->tmpl)) {
		snprintf(errbuf, errlen, "%s: a key template must end in '/' "
		    "(s3put names the objects) or contain {offset}; otherwise "
		    "every batch would overwrite the last", url);
		return -1;
	}
	return 0;
}

static int
size_opt(const char *name, const char *arg, size_t *out)
{
	if (jsonl_parse_size(arg, out) == -1) {
		log_err("--%s %s: expected a size such as 1048576 or 8M", name,
		    arg);
		return -1;
	}
	return 0;
}

static int
ll_opt(const char *name, const char *arg, long long lo, long long hi,
    long long *out)
{
	if (num_parse(arg, lo, hi, out) == -1) {
		log_err("--%s %s: expected a number from %lld to %lld", name,
		    arg, lo, hi);
		return -1;
	}
	return 0;
}

/* Upload what an earlier run kept in --spool before anything new. */
static int
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "envelope", no_argument, NULL, OPT_ENVELOPE },
		{ "gzip-level", required_argument, NULL, OPT_GZIP_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "max-age", required_argument, NULL, OPT_MAX_AGE },
		{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "max-records", required_argument, NULL, OPT_MAX_RECORDS },
		{ "no-envelope", no_argument, NULL, OPT_NO_ENVELOPE },
		{ "no-gzip", no_argument, NULL, OPT_NO_GZIP },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "part-size", required_argument, NULL, OPT_PART_SIZE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
		{ "spool", required_argument, NULL, OPT_SPOOL },
		{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct s3put p;
	const char *region = NULL, *endpoint = NULL, *time_field = NULL;
	char err[512], desc[256];
	unsigned char rnd[8];
	long long v, timeout_ms = 120000, retries = 8, retry_delay_ms = 500;
	pthread_t tid;
	int ch, i, verbosity = LOG_NOTICE, status = 0;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	stats_init(argv[0]);
	p.max_records = 100000;
	p.max_bytes = 64 * 1024 * 1024;
	p.part_size = 8 * 1024 * 1024;
	p.max_age_ms = 300000;
	p.max_line = JSONL_DEFAULT_MAX_LINE;
	p.gzip = 1;
	p.level = 6;
	while ((ch = getopt_long(argc, argv, "hqVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			return 0;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 'V':
			printf("s3put %s (zlib %s, %s)\n", QP_VERSION,
			    zlibVersion(), curl_version());
			return 0;
		case 'v':
			verbosity++;
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_ENVELOPE:
			p.envelope = ENV_ALWAYS;
			break;
		case OPT_NO_ENVELOPE:
			p.envelope = ENV_NEVER;
			break;
		case OPT_GZIP_LEVEL:
			if (ll_opt("gzip-level", optarg, 1, 9, &v) == -1)
				return EX_USAGE;
			p.level = (int)v;
			break;
		case OPT_MAX_AGE:
			if (num_parse_seconds(optarg, 0, 86400LL * 1000 * 7,
			    &p.max_age_ms) == -1) {
				log_err("--max-age %s: expected seconds such "
				    "as 300 or 0.5 (0: no limit)", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_MAX_BYTES:
			if (size_opt("max-bytes", optarg, &p.max_bytes) == -1)
				return EX_USAGE;
			break;
		case OPT_MAX_LINE:
			if (size_opt("max-line", optarg, &p.max_line) == -1)
				return EX_USAGE;
			break;
		case OPT_MAX_RECORDS:
			if (ll_opt("max-records", optarg, 1, LONG_MAX, &v) ==
			    -1)
				return EX_USAGE;
			p.max_records = (unsigned long)v;
			break;
		case OPT_NO_GZIP:
			p.gzip = 0;
			break;
		case OPT_ON_ERROR:
			if (jsonl_policy_parse(optarg, &p.on_error) == -1) {
				log_err("--on-error %s: expected count, fail "
				    "or skip", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_PART_SIZE:
			if (size_opt("part-size", optarg, &p.part_size) == -1)
				return EX_USAGE;
			if (p.part_size < MIN_PART) {
				log_err("--part-size %s: S3's smallest part is "
				    "5M", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_REGION:
			region = optarg;
			break;
		case OPT_RETRIES:
			if (ll_opt("retries", optarg, 0, 100, &retries) == -1)
				return EX_USAGE;
			break;
		case OPT_RETRY_DELAY:
			if (num_parse_seconds(optarg, 0, 600000,
			    &retry_delay_ms) == -1) {
				log_err("--retry-delay %s: expected seconds such "
				    "as 0.5", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_SPOOL:
			p.spool_dir = optarg;
			break;
		case OPT_TIME_FIELD:
			time_field = optarg;
			break;
		case OPT_TIMEOUT:
			if (num_parse_seconds(optarg, 1, 86400LL * 1000,
			    &timeout_ms) == -1) {
				log_err("--timeout %s: expected seconds such "
				    "as 120 or 0.5", optarg);
				return EX_USAGE;
			}
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	log_set_level(verbosity);
	if (argc - optind != 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (parse_target(&p, argv[optind], err, sizeof(err)) == -1) {
		log_err("%s", err);
		tmpl_free(p.tmpl);
		return EX_USAGE;
	}
	if (time_field != NULL && (p.time_field = json_path_compile(
	    time_field, err, sizeof(err))) == NULL) {
		log_err("--time-field %s: %s", time_field, err);
		tmpl_free(p.tmpl);
		return EX_USAGE;
	}
	p.p_topic = json_path_compile(".topic", err, sizeof(err));
	p.p_partition = json_path_compile(".partition", err, sizeof(err));
	p.p_offset = json_path_compile(".offset", err, sizeof(err));
	p.p_ts = json_path_compile(".timestamp", err, sizeof(err));
	p.p_value = json_path_compile(".value", err, sizeof(err));
	region = s3_region(region);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		log_err("no random bytes for object names");
		return EX_OSERR;
	}
	for (i = 0; i < 8; i++)
		snprintf(p.run_id + 2 * i, 3, "%02x", rnd[i]);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	p.s3.bucket = p.bucket;
	p.s3.region = region;
	p.s3.endpoint = endpoint;
	p.s3.timeout_ms = (long)timeout_ms;
	p.s3.retries = (int)retries;
	p.s3.retry_delay_ms = (long)retry_delay_ms;
	p.s3.content_type = p.gzip ? "application/gzip" :
	    "application/x-ndjson";
	if (s3_init(&p.s3, err, sizeof(err)) == -1) {
		log_err("%s", err);
		status = strstr(err, "URL") != NULL ? EX_USAGE : EX_CONFIG;
		goto out;
	}
	awscred_describe(&p.s3.cred, desc, sizeof(desc));
	log_info("%s, region %s", desc, region);
	/* A bucket that is not there is found before any input is read. */
	if (s3_head_bucket(&p.s3) == -1 && p.s3.status != 403) {
		s3_strerror(&p.s3, err, sizeof(err));
		if (p.s3.status == 404)
			log_err("s3://%s: no such bucket", p.bucket);
		else
			log_err("s3://%s: %s", p.bucket, err);
		status = EX_UNAVAILABLE;
		goto out;
	}

	sig_install();
	/* A file-size limit is a write error on the spool, not death. */
	signal(SIGXFSZ, SIG_IGN);
	obuf_open(&p.out, STDOUT_FILENO, 64 * 1024);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (pthread_create(&tid, NULL, uploader, &p) != 0) {
		log_err("cannot start the upload thread");
		status = EX_OSERR;
		goto out;
	}
	if (p.spool_dir != NULL)
		status = replay_spool(&p);
	if (status == 0 && !has_failed(&p))
		status = read_input(&p);
	close_all(&p);		/* EOF, a signal or a failure: flush all */
	pthread_mutex_lock(&p.mu);
	p.done = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(tid, NULL);
	s3put_stats(&p, 1);
	if (obuf_close(&p.out) != 0 && !p.failed)
		fail(&p, EX_IOERR, "stdout: %s", strerror(p.out.err));
	log_info("%lu lines read, %lu records, %lu objects stored (%lu "
	    "records, %zu bytes), %lu requests retried", p.nread, p.nrecords,
	    p.nobjects, p.nstored_records, p.stored_bytes, p.s3.nretries);
	if (p.nbad > 0)
		log_msg(p.on_error == JSONL_ON_ERROR_SKIP ? LOG_NOTICE : LOG_ERR,
		    "%lu bad line%s %s", p.nbad, p.nbad == 1 ? "" : "s",
		    p.on_error == JSONL_ON_ERROR_FAIL ? "(stopped at the first)" :
		    "skipped");
	if (status == 0)
		status = p.failed;
	if (status == 0)
		status = p.input_err;
	if (status == 0)
		status = p.spool_err;
	if (status == 0 && p.nbad > 0 && p.on_error != JSONL_ON_ERROR_SKIP)
		status = EX_DATAERR;
out:
	s3_close(&p.s3);
	tmpl_free(p.tmpl);
	json_path_free(p.time_field);
	json_path_free(p.p_topic);
	json_path_free(p.p_partition);
	json_path_free(p.p_offset);
	json_path_free(p.p_ts);
	json_path_free(p.p_value);
	curl_global_cleanup();
	return status;
}
