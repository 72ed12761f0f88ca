/*
 * list.c - s3cat --list: the lake's inventory.  Per topic and partition,
 * the objects s3put stored from Kafka envelopes (keys ending in
 * TOPIC+PARTITION+OFFSET.jsonl or .jsonl.gz, OFFSET 20 digits), their
 * records and offsets, and every gap and overlap between them.  It reads
 * the keys and the objects' metadata (first-offset, last-offset and
 * records, which s3put writes); an object without them (a multipart
 * upload's, whose last offset is not known when it starts, or another
 * writer's) is read and its lines counted, and says so.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <zlib.h>

#include "log.h"
#include "obuf.h"
#include "s3.h"
#include "sig.h"

#include "list.h"

#define OFFSET_DIGITS	20

/* TOPIC+PARTITION+OFFSET.jsonl[.gz] as the key's last segment; 0 or -1. */
static int
parse_key(const char *key, char **topic, int *partition, long long *first)
{
	const char *name = strrchr(key, '/'), *dot, *plus2, *plus1, *p;
	long long v;

	size_t n;

	name = name != NULL ? name + 1 : key;
	n = strlen(name);
	if (n > 9 && strcmp(name + n - 9, ".jsonl.gz") == 0)
		dot = name + n - 9;
	else if (n > 6 && strcmp(name + n - 6, ".jsonl") == 0)
		dot = name + n - 6;
	else
		return -1;
	for (plus2 = dot; plus2 > name && plus2[-1] != '+'; plus2--)
		;
	if (plus2 == name || dot - plus2 != OFFSET_DIGITS)
		return -1;
	for (plus1 = plus2 - 1; plus1 > name && plus1[-1] != '+'; plus1--)
		;
	if (plus1 == name || plus1 - name < 2 || plus2 - 1 - plus1 < 1 ||
	    plus2 - 1 - plus1 > 10)
		return -1;
	for (p = plus1, v = 0; p < plus2 - 1; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > INT32_MAX)
		return -1;
	*partition = (int)v;
	for (p = plus2, v = 0; p < dot; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*first = v;
	if ((*topic = strndup(name, (size_t)(plus1 - 1 - name))) == NULL)
		return -1;
	return 0;
}

/* A whole number of metadata, or -1. */
static long long
meta_num(const char *s)
{
	long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Counting an object's lines: gunzip'd (every member) or as stored. */
struct count {
	z_stream	 z;
	int		 started, gz, zerr, in_member;
	unsigned char	 head;
	int		 nhead;
	long long	 lines;
	char		 last;
};

static void
count_bytes(struct count *k, const char *p, size_t n)
{
	const char *e = p + n;

	if (n == 0)
		return;
	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k->lines++;
		p++;
	}
	k->last = e[-1];
}

static int
count_feed(struct count *k, const char *data, size_t len)
{
	char buf[65536];
	int zr;

	if (!k->gz) {
		count_bytes(k, data, len);
		return 0;
	}
	k->z.next_in = (Bytef *)(uintptr_t)data;
	k->z.avail_in = (uInt)len;
	while (k->z.avail_in > 0) {
		k->in_member = 1;
		k->z.next_out = (Bytef *)buf;
		k->z.avail_out = sizeof(buf);
		zr = inflate(&k->z, Z_NO_FLUSH);
		count_bytes(k, buf, sizeof(buf) - k->z.avail_out);
		if (zr == Z_STREAM_END) {
			inflateReset(&k->z);
			k->in_member = 0;
		}
		else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			k->zerr = 1;
			return -1;
		}
	}
	return 0;
}

static int
count_sink(void *arg, const char *data, size_t len)
{
	struct count *k = arg;
	unsigned char two[2];

	if (!k->started) {
		if (k->nhead == 0 && len == 1) {
			k->head = (unsigned char)data[0];
			k->nhead = 1;
			return 0;
		}
		two[0] = k->nhead ? k->head : (unsigned char)data[0];
		two[1] = k->nhead ? (unsigned char)data[0] :
		    (unsigned char)data[1];
		k->started = 1;
		k->gz = two[0] == 0x1f && two[1] == 0x8b;
		if (k->gz && inflateInit2(&k->z, 15 + 16) != Z_OK)
			return -1;
		if (k->nhead && count_feed(k, (const char *)&k->head, 1) == -1)
			return -1;
	}
	return count_feed(k, data, len);
}

/*
 * The lines of an object (a last one without '\n' counts); -1: the GET
 * failed, -2: not valid gzip, or cut short.
 */
static long long
count_lines(struct s3 *s, const struct s3_entry *e)
{
	struct count k;
	int rc;

	memset(&k, 0, sizeof(k));
	k.last = '\n';
	rc = s3_get(s, e->key, e->size, e->etag, count_sink, &k);
	if (rc == 0 && !k.started && k.nhead)
		count_bytes(&k, (const char *)&k.head, 1);
	if (k.gz)
		inflateEnd(&k.z);
	if (rc == 0 && k.gz && k.in_member)
		k.zerr = 1;		/* the gzip stream stops short */
	if (k.zerr)
		return -2;
	if (rc == -1)
		return -1;
	return k.lines + (k.last != '\n');
}

static int
add(struct inv *v, struct inv_obj *o)
{
	struct inv_obj *n;

	if (v->n == v->cap) {
		n = realloc(v->v, (v->cap ? 2 * v->cap : 64) * sizeof(*n));
		if (n == NULL)
			return -1;
		v->v = n;
		v->cap = v->cap ? 2 * v->cap : 64;
	}
	v->v[v->n++] = *o;
	return 0;
}

/* The exit status of a request that failed, said. */
static int
failed(struct s3 *s, const char *bucket, const char *key)
{
	char why[512];

	s3_strerror(s, why, sizeof(why));
	log_err("s3://%s/%s: %s", bucket, key, why);
	if (s->interrupted)
		return EX_TEMPFAIL;
	if (s->wrong)
		return EX_PROTOCOL;
	return s->status == 403 ? EX_NOPERM : EX_UNAVAILABLE;
}

int
list_prefix(struct inv *v, struct s3 *s, const char *bucket,
    const char *prefix)
{
	char token[1100] = "", next[1100];
	struct s3_entry *ents;
	struct inv_obj o;
	size_t n, i;
	long long size, m[3];
	int rc = 0, j;

	s->nmeta = 3;
	s->meta[0].name = "first-offset";
	s->meta[1].name = "last-offset";
	s->meta[2].name = "records";
	do {
		if (s3_list(s, prefix, token, &ents, &n, next,
		    sizeof(next)) == -1) {
			if (s->status == 404) {
				log_err("s3://%s: no such bucket", bucket);
				return EX_UNAVAILABLE;
			}
			return failed(s, bucket, prefix);
		}
		for (i = 0; i < n && rc == 0 && !sig_caught(); i++) {
			memset(&o, 0, sizeof(o));
			if (parse_key(ents[i].key, &o.topic, &o.partition,
			    &o.first) == -1) {
				log_info("s3://%s/%s: not an object of Kafka "
				    "envelopes (TOPIC+PARTITION+OFFSET.jsonl)",
				    bucket, ents[i].key);
				v->others++;
				continue;
			}
			o.size = ents[i].size;
			if (s3_head_object(s, ents[i].key, &size) == -1) {
				free(o.topic);
				if (s->status == 404) {
					/* Deleted since listed (overtaken). */
					log_info("s3://%s/%s: gone since it was "
					    "listed", bucket, ents[i].key);
					continue;
				}
				rc = failed(s, bucket, ents[i].key);
				break;
			}
			for (j = 0; j < 3; j++)
				m[j] = meta_num(s->meta[j].value);
			/* Metadata that holds together, or none at all. */
			if (m[0] == o.first && m[1] >= o.first && m[2] >= 1 &&
			    m[1] < INT64_MAX / 2 && m[2] <= m[1] - o.first + 1) {
				o.last = m[1];
				o.records = m[2];
			} else {
				/* No metadata (or not ours): count. */
				if ((o.records = count_lines(s, &ents[i])) < 0) {
					free(o.topic);
					if (o.records == -1) {
						rc = failed(s, bucket,
						    ents[i].key);
						break;
					}
					log_err("s3://%s/%s: not valid gzip (or "
					    "cut short)", bucket, ents[i].key);
					rc = EX_DATAERR;
					break;
				}
				o.last = o.first + o.records - 1;
				o.counted = 1;
			}
			if (o.last >= INT64_MAX / 2) {
				free(o.topic);
				log_err("s3://%s/%s: offsets past any Kafka's",
				    bucket, ents[i].key);
				rc = EX_DATAERR;
				break;
			}
			if ((o.key = strdup(ents[i].key)) == NULL ||
			    add(v, &o) == -1) {
				free(o.key);
				free(o.topic);
				log_err("out of memory");
				rc = EX_OSERR;
			}
		}
		s3_list_free(ents, n);
		memcpy(token, next, sizeof(token));
	} while (rc == 0 && token[0] != '\0' && !sig_caught());
	s->nmeta = 0;
	if (rc == 0 && sig_caught()) {
		log_err("stopped by a signal: the inventory is incomplete");
		rc = EX_TEMPFAIL;
	}
	return rc;
}

static int
by_offsets(const void *a, const void *b)
{
	const struct inv_obj *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	if (c != 0)
		return c;
	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

/* A JSON array of [from,to] runs into out. */
static void
runs(struct obuf *out, const char *name, const long long *r, size_t n)
{
	size_t i;

	obuf_printf(out, ",\"%s\":[", name);
	for (i = 0; i < n; i++)
		obuf_printf(out, "%s[%lld,%lld]", i ? "," : "", r[2 * i],
		    r[2 * i + 1]);
	obuf_puts(out, "]");
}

int
list_report(struct inv *v, struct obuf *out)
{
	size_t i, j, k, ng, no;
	long long *gaps, *over, top, records;
	int broken = 0;

	qsort(v->v, v->n, sizeof(*v->v), by_offsets);
	if ((gaps = malloc((v->n + 1) * 2 * sizeof(*gaps))) == NULL ||
	    (over = malloc((v->n + 1) * 2 * sizeof(*over))) == NULL) {
		free(gaps);
		log_err("out of memory");
		return EX_OSERR;
	}
	for (i = 0; i < v->n; i = j) {
		/* One partition: objects i..j-1, in offset order. */
		for (j = i + 1; j < v->n && strcmp(v->v[j].topic,
		    v->v[i].topic) == 0 && v->v[j].partition ==
		    v->v[i].partition; j++)
			;
		ng = no = 0;
		records = 0;
		top = v->v[i].first - 1;
		for (k = i; k < j; k++) {
			struct inv_obj *o = &v->v[k];

			obuf_puts(out, "{\"type\":\"object\",\"key\":");
			obuf_json_string(out, o->key, strlen(o->key));
			obuf_puts(out, ",\"topic\":");
			obuf_json_string(out, o->topic, strlen(o->topic));
			obuf_printf(out, ",\"partition\":%d,\"first_offset\":"
			    "%lld,\"last_offset\":%lld,\"records\":%lld,"
			    "\"size\":%lld,\"from\":\"%s\"}\n", o->partition,
			    o->first, o->last, o->records, o->size,
			    o->counted ? "counted" : "metadata");
			if (o->first > top + 1) {
				gaps[2 * ng] = top + 1;
				gaps[2 * ng++ + 1] = o->first - 1;
			} else if (o->first <= top) {
				over[2 * no] = o->first;
				over[2 * no++ + 1] = o->last < top ? o->last :
				    top;
			}
			if (o->last > top)
				top = o->last;
			records += o->records;
		}
		obuf_puts(out, "{\"type\":\"partition\",\"topic\":");
		obuf_json_string(out, v->v[i].topic, strlen(v->v[i].topic));
		obuf_printf(out, ",\"partition\":%d,\"objects\":%zu,"
		    "\"records\":%lld,\"first_offset\":%lld,\"last_offset\":"
		    "%lld,\"contiguous\":%s", v->v[i].partition, j - i,
		    records, v->v[i].first, top, ng + no ? "false" : "true");
		runs(out, "gaps", gaps, ng);
		runs(out, "overlaps", over, no);
		obuf_puts(out, "}\n");
		if (ng + no > 0) {
			broken = 1;
			log_notice("%s partition %d: %zu gap%s and %zu "
			    "overlap%s in its offsets", v->v[i].topic,
			    v->v[i].partition, ng, ng == 1 ? "" : "s", no,
			    no == 1 ? "" : "s");
		}
	}
	free(gaps);
	free(over);
	return broken ? LIST_NOT_CONTIGUOUS : 0;
}

void
list_free(struct inv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->v[i].key);
		free(v->v[i].topic);
	}
	free(v->v);
	memset(v, 0, sizeof(*v));
}
