/*
 * s3cat - every object under S3 prefixes, back as one stream of JSON
 * lines.
 *
 * Objects are listed with ListObjectsV2 (in key order, so the objects
 * of a partition come in offset order), fetched one at a time and
 * decompressed when they are gzip (by their first bytes, not their
 * name).  Each object's last line gets its newline if it lacked one, so
 * the stream stays one value per line.  For ad-hoc analysis with jq and
 * for backfills: s3cat s3://lake/quotes/ | kprod -t quotes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <zlib.h>

#include "cli.h"
#include "log.h"
#include "obuf.h"
#include "s3.h"
#include "sig.h"
#include "stats.h"

#include "list.h"

enum { OPT_RAW = CLI_LONG, OPT_LIST };

static const struct option longopts[] = {
	{ "list", no_argument, NULL, OPT_LIST },
	{ "raw", no_argument, NULL, OPT_RAW },
	CLI_S3_LONGOPTS,
	CLI_LONGOPTS
};

static struct cli cli = {
	"usage: s3cat [-hqVv] [--addressing-style STYLE] [--ca-bundle FILE] "
	"[--endpoint-url URL]\n"
	"             [--list | --raw] [--profile NAME] [--region REGION] "
	"[--retries N]\n"
	"             [--retry-delay SECONDS] [--timeout SECONDS] "
	"s3://BUCKET/PREFIX ...\n",

	"Print every object under the S3 prefixes, decompressed, as one "
	"stream.\n\n"
	"  -h, --help             show this help and exit\n"
	"  -q, --quiet            only errors on stderr\n"
	"  -V, --version          print the version and exit\n"
	"  -v, --verbose          more messages on stderr\n"
	"      --list             the inventory: objects, offsets, gaps and "
	"overlaps\n"
	"      --raw              print the objects as stored (no "
	"gunzip)\n"
	CLI_S3_HELP,
	NULL, 0, NULL
};

struct cat {
	struct obuf	 out;
	z_stream	 z;
	int		 raw;		/* --raw: no decompression */
	int		 started, gz, zerr;
	unsigned char	 head[2];	/* the first byte, until a second */
	size_t		 nhead;
	int		 in_member;	/* inside a gzip member */
	char		 last;		/* the last byte written */
	unsigned long	 objects;
	unsigned long long bytes_in, bytes_out;
	unsigned long	 retries;
};

static void
put(struct cat *c, const char *p, size_t n)
{
	if (n == 0)
		return;
	obuf_write(&c->out, p, n);
	c->last = p[n - 1];
	c->bytes_out += n;
}

static int	begin(struct cat *, const unsigned char *);
static int	feed(struct cat *, const char *, size_t);

/* The GET's sink: gunzip (every member) or copy to stdout. */
static int
sink(void *arg, const char *data, size_t len)
{
	struct cat *c = arg;

	c->bytes_in += len;
	if (!c->started) {
		/* gzip or not: by two bytes, however the body is cut up. */
		if (c->nhead == 0 && len == 1) {
			c->head[c->nhead++] = (unsigned char)data[0];
			return 0;
		}
		if (c->nhead == 1 && len > 0) {
			unsigned char two[2] = { c->head[0],
			    (unsigned char)data[0] };

			c->nhead = 0;
			if (begin(c, two) == -1 || feed(c, (char *)two, 1) == -1)
				return -1;
		} else if (begin(c, (const unsigned char *)data) == -1)
			return -1;
	}
	return feed(c, data, len);
}

/* The body's first two bytes decide (an object of one byte is not gzip). */
static int
begin(struct cat *c, const unsigned char *two)
{
	c->started = 1;
	c->gz = !c->raw && two != NULL && two[0] == 0x1f && two[1] == 0x8b;
	if (c->gz && inflateInit2(&c->z, 15 + 16) != Z_OK)
		return -1;
	return 0;
}

static int
feed(struct cat *c, const char *data, size_t len)
{
	char buf[65536];
	int zr;

	if (!c->gz) {
		put(c, data, len);
		return obuf_error(&c->out) ? -1 : 0;
	}
	c->z.next_in = (Bytef *)(uintptr_t)data;
	c->z.avail_in = (uInt)len;
	while (c->z.avail_in > 0) {
		c->in_member = 1;
		c->z.next_out = (Bytef *)buf;
		c->z.avail_out = sizeof(buf);
		zr = inflate(&c->z, Z_NO_FLUSH);
		put(c, buf, sizeof(buf) - c->z.avail_out);
		if (zr == Z_STREAM_END) {
			inflateReset(&c->z);	/* another gzip member */
			c->in_member = 0;
		}
		else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			c->zerr = 1;
			return -1;
		}
	}
	return obuf_error(&c->out) ? -1 : 0;
}

/* QP_STATS: objects, bytes fetched and written, retries. */
static void
cat_stats(const struct cat *c, unsigned long retries, int final)
{
	struct stat_field f[] = {
		{ "objects", "Count", (double)c->objects },
		{ "bytes_in", "Bytes", (double)c->bytes_in },
		{ "bytes_out", "Bytes", (double)c->bytes_out },
		{ "retries", "Count", (double)retries },
	};

	stats_emit(f, 4, final);
}

static int	fail_status(const struct s3 *);

static int
cat_object(struct cat *c, struct s3 *s, const char *bucket,
    const struct s3_entry *e)
{
	char why[512];
	int rc;

	c->started = c->gz = c->zerr = c->in_member = 0;
	c->nhead = 0;
	c->last = '\n';
	memset(&c->z, 0, sizeof(c->z));
	log_info("s3://%s/%s", bucket, e->key);
	rc = s3_get(s, e->key, e->size, e->etag, sink, c);
	if (rc == 0 && !c->started && c->nhead == 1 &&
	    (begin(c, NULL) == -1 || feed(c, (char *)c->head, 1) == -1))
		rc = -1;		/* an object of one byte */
	if (c->gz)
		inflateEnd(&c->z);
	if (rc == 0 && c->gz && c->in_member) {
		c->zerr = 1;		/* the gzip stream stops short */
		rc = -1;
	}
	if (rc == -1) {
		if (obuf_error(&c->out))	/* EPIPE: 0, said at the end */
			return obuf_error(&c->out) == EPIPE ? EX_IOERR :
			    cli_stdout_error(obuf_error(&c->out));
		if (c->zerr) {
			log_err("s3://%s/%s: not valid gzip (or cut short)",
			    bucket, e->key);
			return EX_DATAERR;
		}
		s3_strerror(s, why, sizeof(why));
		log_err("s3://%s/%s: %s", bucket, e->key, why);
		return fail_status(s);
	}
	if (c->last != '\n' && !c->raw)
		put(c, "\n", 1);
	c->objects++;
	if (stats_due())
		cat_stats(c, c->retries + s->nretries, 0);
	return 0;
}

/* The exit status for a request that failed. */
static int
fail_status(const struct s3 *s)
{
	if (s->interrupted)
		return EX_TEMPFAIL;
	if (s->wrong)
		return EX_PROTOCOL;
	return s->status == 403 ? EX_NOPERM : EX_UNAVAILABLE;
}

/* Every object under one s3://BUCKET/PREFIX; returns an exit status. */
static int
cat_prefix(struct cat *c, struct s3 *s, const char *bucket,
    const char *prefix)
{
	char token[1100] = "", next[1100], why[512];
	struct s3_entry *ents;
	size_t n, i;
	unsigned long found = 0;
	int rc = 0;

	do {
		if (s3_list(s, prefix, token, &ents, &n, next,
		    sizeof(next)) == -1) {
			s3_strerror(s, why, sizeof(why));
			if (s->status == 404)
				log_err("s3://%s: no such bucket", bucket);
			else
				log_err("s3://%s/%s: listing: %s", bucket,
				    prefix, why);
			return fail_status(s);
		}
		for (i = 0; i < n && rc == 0 && !sig_caught(); i++)
			rc = cat_object(c, s, bucket, &ents[i]);
		s3_list_free(ents, n);
		found += n;
		memcpy(token, next, sizeof(token));
	} while (rc == 0 && token[0] != '\0' && !sig_caught());
	if (rc == 0 && sig_caught()) {
		log_err("stopped by a signal after %lu objects: the output is "
		    "incomplete", c->objects);
		return EX_TEMPFAIL;
	}
	if (rc == 0 && found == 0) {
		log_err("s3://%s/%s: no objects", bucket, prefix);
		return EX_NOINPUT;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static struct cat c;
	static struct inv inv;
	struct s3 opts = { 0 }, s;
	int list = 0;
	const char *prefix;
	char bucket[64], why[512], libs[256];
	int ch, i, st, status = 0;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	snprintf(libs, sizeof(libs), "zlib %s, %s", zlibVersion(),
	    curl_version());
	cli.libs = libs;
	cli_s3_defaults(&opts);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (ch == OPT_RAW)
			c.raw = 1;
		else if (ch == OPT_LIST)
			list = 1;
		else if ((st = ch >= CLI_S3 ? cli_s3_option(&opts, ch, optarg) :
		    cli_common(&cli, ch)) != CLI_GO_ON)
			return st;
	}
	if (optind == argc)
		return cli_usage(&cli, "nothing to read: give s3://BUCKET/PREFIX");
	if (list && c.raw)
		return cli_usage(&cli, "--list reads no objects: no --raw");
	/* Every argument is checked before anything is fetched. */
	for (i = optind; i < argc; i++)
		if (s3_parse_url(argv[i], bucket, sizeof(bucket), &prefix, why,
		    sizeof(why)) == -1) {
			log_err("%s", why);
			return EX_USAGE;
		}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	sig_install();
	obuf_open(&c.out, STDOUT_FILENO, 256 * 1024);
	for (i = optind; i < argc && status == 0 && !sig_caught(); i++) {
		(void)s3_parse_url(argv[i], bucket, sizeof(bucket), &prefix,
		    why, sizeof(why));
		s = opts;
		s.bucket = bucket;
		s.interruptible = 1;	/* a stop signal ends the run now */
		if ((st = cli_s3_start(&s)) != CLI_GO_ON)
			status = st;
		else if (list)
			status = list_prefix(&inv, &s, bucket, prefix);
		else
			status = cat_prefix(&c, &s, bucket, prefix);
		c.retries += s.nretries;
		s3_close(&s);
	}
	if (list && status == 0 && inv.n == 0) {
		log_err("no objects of Kafka envelopes (TOPIC+PARTITION+"
		    "OFFSET.jsonl) under the prefixes: nothing to check");
		status = EX_NOINPUT;
	} else if (list && status == 0) {
		status = list_report(&inv, &c.out);
		if (inv.others > 0)
			log_notice("%lu objects not of Kafka envelopes "
			    "(TOPIC+PARTITION+OFFSET.jsonl) left out",
			    inv.others);
	}
	list_free(&inv);
	if (obuf_close(&c.out) != 0 && (status == 0 ||
	    status == LIST_NOT_CONTIGUOUS || c.out.err == EPIPE))
		status = cli_stdout_error(c.out.err);
	cat_stats(&c, c.retries, 1);
	log_info("%lu objects, %llu bytes fetched", c.objects, c.bytes_in);
	curl_global_cleanup();
	return status;
}
