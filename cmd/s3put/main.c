/*
 * s3put - JSON lines into batched, gzip'd objects in S3, one ack line
 * per object S3 has confirmed.
 *
 * This file is the command line and the start-up; the work is in
 * records.c (reading), batch.c (batches) and upload.c (storing and
 * acking), whose hand-off s3put.h describes.
 */
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <isa-l.h>
#include <libdeflate.h>
#include <openssl/rand.h>
#include <sched.h>
#include <zlib.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"

#include "s3put.h"
#include "tmpl.h"

enum {
	OPT_ENVELOPE = CLI_LONG, OPT_GZIP_LEVEL, OPT_MAX_AGE, OPT_MAX_BYTES,
	OPT_MAX_LINE, OPT_MAX_RECORDS, OPT_NO_ENVELOPE, OPT_NO_GZIP,
	OPT_ON_ERROR, OPT_PART_SIZE, OPT_SPOOL, OPT_TIME_FIELD, OPT_ACL,
	OPT_SSE, OPT_SSE_KMS_KEY_ID, OPT_STORAGE_CLASS, OPT_DRY_RUN,
	OPT_THREADS
};

static const struct option longopts[] = {
	{ "acl", required_argument, NULL, OPT_ACL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "envelope", no_argument, NULL, OPT_ENVELOPE },
	{ "gzip-level", required_argument, NULL, OPT_GZIP_LEVEL },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-records", required_argument, NULL, OPT_MAX_RECORDS },
	{ "no-envelope", no_argument, NULL, OPT_NO_ENVELOPE },
	{ "no-gzip", no_argument, NULL, OPT_NO_GZIP },
	{ "on-error", required_argument, NULL, OPT_ON_ERROR },
	{ "part-size", required_argument, NULL, OPT_PART_SIZE },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "sse", required_argument, NULL, OPT_SSE },
	{ "sse-kms-key-id", required_argument, NULL, OPT_SSE_KMS_KEY_ID },
	{ "storage-class", required_argument, NULL, OPT_STORAGE_CLASS },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	CLI_S3_LONGOPTS,
	CLI_LONGOPTS
};

static struct cli cli = {
	"usage: s3put [-hqVv] [--acl ACL] [--addressing-style STYLE] "
	"[--ca-bundle FILE]\n"
	"             [--dry-run] [--endpoint-url URL] "
	"[--envelope | --no-envelope]\n"
	"             [--gzip-level N] "
	"[--max-age SECONDS] [--max-bytes SIZE] "
	"[--max-line SIZE]\n"
	"             [--max-records N] [--no-gzip] [--on-error POLICY] "
	"[--part-size SIZE]\n"
	"             [--profile NAME] [--region REGION] [--retries N] "
	"[--retry-delay SECONDS]\n"
	"             [--spool DIR] [--sse AES256 | aws:kms] "
	"[--sse-kms-key-id ID]\n"
	"             [--storage-class CLASS] [--threads N] "
	"[--time-field PATH]\n"
	"             [--timeout SECONDS] s3://BUCKET/TEMPLATE\n",

	"Store JSON lines from stdin in S3 as batched, gzip'd JSON-lines "
	"objects;\nprint one ack line per object S3 has confirmed.\n\n"
	"  -h, --help             show this help and exit\n"
	"  -q, --quiet            only errors on stderr\n"
	"  -V, --version          print the version and exit\n"
	"  -v, --verbose          more messages on stderr\n"
	"      --acl ACL          a canned ACL for each object "
	"(bucket-owner-full-control)\n"
	"      --dry-run          print what would be stored, one line an "
	"object; store nothing\n"
	"      --envelope         every line is a Kafka envelope (kcons -J)\n"
	"      --no-envelope      no line is (default: lines starting "
	"{\"topic\": are)\n"
	"      --gzip-level N     1 (fastest, ISA-L) to 9 (smallest, libdeflate), "
	"default 6\n"
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
	"      --spool DIR        keep objects S3 did not take in DIR; "
	"upload them first\n"
	"      --sse ALGORITHM    server-side encryption: AES256 or aws:kms\n"
	"      --sse-kms-key-id ID  the KMS key of --sse aws:kms\n"
	"      --storage-class CLASS  STANDARD_IA, INTELLIGENT_TIERING, ...\n"
	"      --threads N        compressing threads (the CPUs it may use, "
	"at most 4)\n"
	"      --time-field PATH  the record's time for the template "
	"(.last_updated)\n"
	CLI_S3_HELP,
	NULL, 0, NULL
};

/* s3://BUCKET/TEMPLATE: a template that names each batch apart. */
static int
parse_target(struct s3put *p, const char *url)
{
	static char bucket[64];
	char why[512];
	const char *tmpl;

	if (s3_parse_url(url, bucket, sizeof(bucket), &tmpl, why,
	    sizeof(why)) == -1)
		goto bad;
	if (*tmpl == '\0') {
		snprintf(why, sizeof(why), "%s: expected s3://BUCKET/TEMPLATE "
		    "(a key template after the bucket)", url);
		goto bad;
	}
	if ((p->tmpl = tmpl_compile(tmpl, why, sizeof(why))) == NULL)
		goto bad;
	if (!tmpl_is_prefix(p->tmpl) && !tmpl_uses_offset(p->tmpl)) {
		snprintf(why, sizeof(why), "%s: a key template must end in '/' "
		    "(s3put names the objects) or contain {offset}; otherwise "
		    "every batch would overwrite the last", url);
		goto bad;
	}
	p->bucket = bucket;
	if (!tmpl_names_partition(p->tmpl)) {
		/*
		 * Objects of two partitions (or topics) could share its keys'
		 * pattern: what one overtakes could be the other's.
		 */
		p->no_overtake = 1;
		log_warn("%s: a key template without {topic} and {partition}: "
		    "objects a rerun stores again, cut elsewhere, are not "
		    "looked for: at least once, not exactly once", url);
	}
	return CLI_GO_ON;
bad:
	log_err("%s", why);
	return EX_USAGE;
}

/* The values S3 takes (its PutObject reference), NULL-terminated. */
static const char *acls[] = { "private", "public-read", "public-read-write",
    "authenticated-read", "aws-exec-read", "bucket-owner-read",
    "bucket-owner-full-control", NULL };
static const char *sses[] = { "AES256", "aws:kms", "aws:kms:dsse", NULL };
static const char *classes[] = { "STANDARD", "REDUCED_REDUNDANCY",
    "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    NULL };

/* arg, if one of vals, into *out: CLI_GO_ON, or EX_USAGE (said). */
static int
one_of(const char *opt, const char *arg, const char **vals, const char **out)
{
	char list[512];
	size_t i, n = 0;

	for (i = 0; vals[i] != NULL; i++)
		if (strcmp(arg, vals[i]) == 0) {
			*out = vals[i];
			return CLI_GO_ON;
		}
	list[0] = '\0';
	for (i = 0; vals[i] != NULL && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i ? ", " : "", vals[i]);
	log_err("%s %s: expected one of %s", opt, arg, list);
	return EX_USAGE;
}

/* The CPUs s3put may run on (taskset, cpusets), at most GZ_THREADS_MAX. */
static int
default_threads(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > GZ_THREADS_MAX ? GZ_THREADS_MAX : n;
}

/* One of s3put's own options: CLI_GO_ON or the exit status. */
static int
option(struct s3put *p, int ch, const char *arg)
{
	long long v;

	switch (ch) {
	case OPT_ENVELOPE:
		p->envelope = ENV_ALWAYS;
		break;
	case OPT_NO_ENVELOPE:
		p->envelope = ENV_NEVER;
		break;
	case OPT_GZIP_LEVEL:
		if (cli_number("--gzip-level", arg, 1, 9, &v) == -1)
			return EX_USAGE;
		p->level = (int)v;
		break;
	case OPT_MAX_AGE:	/* 0: no limit */
		if (cli_seconds("--max-age", arg, 0, 86400LL * 1000 * 7,
		    &p->max_age_ms) == -1)
			return EX_USAGE;
		break;
	case OPT_MAX_BYTES:
		if (cli_size("--max-bytes", arg, &p->max_bytes) == -1)
			return EX_USAGE;
		break;
	case OPT_MAX_LINE:
		if (cli_size("--max-line", arg, &p->in.max_line) == -1)
			return EX_USAGE;
		break;
	case OPT_MAX_RECORDS:
		if (cli_number("--max-records", arg, 1, LONG_MAX, &v) == -1)
			return EX_USAGE;
		p->max_records = (unsigned long)v;
		break;
	case OPT_NO_GZIP:
		p->gzip = 0;
		break;
	case OPT_THREADS:
		if (cli_number("--threads", arg, 1, 64, &v) == -1)
			return EX_USAGE;
		p->threads = (int)v;
		break;
	case OPT_ON_ERROR:
		if (cli_on_error(arg, &p->in.on_error) == -1)
			return EX_USAGE;
		break;
	case OPT_PART_SIZE:
		if (cli_size("--part-size", arg, &p->part_size) == -1)
			return EX_USAGE;
		if (p->part_size < MIN_PART) {
			log_err("--part-size %s: S3's smallest part is 5M",
			    arg);
			return EX_USAGE;
		}
		break;
	case OPT_SPOOL:
		p->spool_dir = arg;
		break;
	case OPT_TIME_FIELD:
		p->time_field_arg = arg;
		if (cli_path("--time-field", arg, &p->time_field) == -1)
			return EX_USAGE;
		break;
	case OPT_ACL:
		return one_of("--acl", arg, acls, &p->s3.acl);
	case OPT_SSE:
		return one_of("--sse", arg, sses, &p->s3.sse);
	case OPT_DRY_RUN:
		p->dry_run = 1;
		break;
	case OPT_SSE_KMS_KEY_ID:
		p->s3.sse_kms_key_id = arg;
		break;
	case OPT_STORAGE_CLASS:
		return one_of("--storage-class", arg, classes,
		    &p->s3.storage_class);
	default:
		if (ch >= CLI_S3 && ch < CLI_S3_LAST)
			return cli_s3_option(&p->s3, ch, arg);
		return cli_common(&cli, ch);
	}
	return CLI_GO_ON;
}

/*
 * Credentials, and a bucket that is there, before any input is read.
 * A stop signal ends this wait at once (nothing is accepted yet).
 */
static int
start(struct s3put *p)
{
	char why[1024];
	unsigned char rnd[8];
	int st, i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		log_err("no random bytes for object names");
		return EX_OSERR;
	}
	for (i = 0; i < 8; i++)
		snprintf(p->run_id + 2 * i, 3, "%02x", rnd[i]);
	p->s3.bucket = p->bucket;
	p->s3.content_type = p->gzip ? "application/gzip" :
	    "application/x-ndjson";
	if (p->dry_run) {
		/* Nothing is asked of AWS: no credentials needed. */
		sig_install();
		return CLI_GO_ON;
	}
	if ((st = cli_s3_start(&p->s3)) != CLI_GO_ON)
		return st;
	sig_install();
	p->s3.interruptible = 1;
	if (s3_head_bucket(&p->s3) == -1 && p->s3.status != 403) {
		s3_strerror(&p->s3, why, sizeof(why));
		if (p->s3.interrupted) {
			log_err("s3://%s: %s before any input was read",
			    p->bucket, why);
			return EX_TEMPFAIL;
		}
		if (p->s3.status == 404)
			log_err("s3://%s: no such bucket", p->bucket);
		else
			log_err("s3://%s: %s", p->bucket, why);
		return EX_UNAVAILABLE;
	}
	/* An upload once started is finished (or spooled), signal or not. */
	p->s3.interruptible = 0;
	return CLI_GO_ON;
}

/* The uploader started, the spool replayed, the input read, all stored. */
static int
run(struct s3put *p)
{
	pthread_t tid;
	int status = 0, st;

	/* A file-size limit is a write error on the spool, not death. */
	signal(SIGXFSZ, SIG_IGN);
	obuf_open(&p->out, STDOUT_FILENO, 64 * 1024);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&tid, NULL, uploader, p) != 0) {
		log_err("cannot start the upload thread");
		return EX_OSERR;
	}
	if (p->gzip && gz_start(p) == -1) {
		log_err("cannot start the compressing threads");
		status = EX_OSERR;
	} else if (p->spool_dir != NULL)
		status = replay_spool(p);
	if (status == 0 && !has_failed(p))
		read_input(p);
	close_all(p);		/* EOF, a signal or a failure: flush all */
	gz_stop(p);
	pthread_mutex_lock(&p->mu);
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(tid, NULL);
	s3put_stats(p, 1);
	if (obuf_close(&p->out) != 0 && !p->failed && p->out.err != EPIPE)
		fail(p, EX_IOERR, "stdout: %s", strerror(p->out.err));
	log_info("%lu lines read, %lu records, %lu objects stored (%lu "
	    "records, %zu bytes), %lu requests retried, %lu objects of an "
	    "earlier run overtaken, %lu records read again and stored "
	    "already", p->in.nread, p->nrecords, p->nobjects,
	    p->nstored_records, p->stored_bytes, p->nretries, p->ndropped,
	    p->nskipped);
	if (status == 0)
		status = p->failed;
	if (status == 0)
		status = p->input_err;
	if (status == 0)
		status = p->in.err;
	if (status == 0)
		status = p->spool_err;
	st = cli_bad_lines(p->in.nbad, p->in.on_error);
	return status != 0 ? status : st;
}

int
main(int argc, char **argv)
{
	static struct s3put p;
	char libs[512];
	int ch, st;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	snprintf(libs, sizeof(libs), "libdeflate %s, ISA-L %d.%d.%d, zlib %s, %s",
	    LIBDEFLATE_VERSION_STRING, ISAL_MAJOR_VERSION, ISAL_MINOR_VERSION,
	    ISAL_PATCH_VERSION, zlibVersion(), curl_version());
	cli.libs = libs;
	p.max_records = 100000;
	p.max_bytes = 64 * 1024 * 1024;
	p.part_size = 8 * 1024 * 1024;
	p.max_age_ms = 300000;
	p.in.max_line = JSONL_DEFAULT_MAX_LINE;
	p.gzip = 1;
	p.level = 6;
	p.threads = default_threads();
	cli_s3_defaults(&p.s3);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	    NULL)) != -1)
		if ((st = option(&p, ch, optarg)) != CLI_GO_ON)
			goto out;
	if (argc - optind != 1) {
		st = argc == optind ? cli_usage(&cli, "no target: give "
		    "s3://BUCKET/PREFIX/ (or a key template); the records come "
		    "from stdin") : cli_usage(&cli, "%s: one target only; the "
		    "records come from stdin", argv[optind + 1]);
		goto out;
	}
	if (p.dry_run && p.spool_dir != NULL) {
		st = cli_usage(&cli, "--dry-run stores nothing: no --spool");
		goto out;
	}
	if (p.s3.sse_kms_key_id != NULL && (p.s3.sse == NULL ||
	    strncmp(p.s3.sse, "aws:kms", 7) != 0)) {
		st = cli_usage(&cli, "--sse-kms-key-id needs --sse aws:kms");
		goto out;
	}
	if ((st = parse_target(&p, argv[optind])) != CLI_GO_ON)
		goto out;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((st = start(&p)) == CLI_GO_ON)
		st = run(&p);
	s3_close(&p.s3);
	acked_free(&p);
	curl_global_cleanup();
out:
	tmpl_free(p.tmpl);
	json_path_free(p.time_field);
	free(p.scratch);
	return st;
}
