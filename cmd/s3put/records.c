/*
 * records.c - s3put's input: each line read, checked, its key prefix
 * rendered and its record put in its batch (s3put.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <poll.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "sig.h"
#include "stats.h"
#include "wire.h"

#include "cli.h"
#include "s3put.h"
#include "tmpl.h"


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

/* Is the line an envelope?  1 yes (e filled), 0 no, -1 a broken one. */
static int
envelope(struct s3put *p, const char *line, size_t len,
    struct wire_envelope *e, const char **why)
{
	if (p->envelope == ENV_NEVER || (p->envelope == ENV_AUTO &&
	    !wire_looks_like_envelope(line, len)))
		return 0;
	return wire_envelope_parse(line, len, e, why) == 0 ? 1 : -1;
}

/*
 * kcons's control line: a revoke drops the partition's open batch and
 * is answered on stdout once the uploader has done all before it
 * (wire.h).  Returns 0, or -1 for a line that is none (said).
 */
static int
control(struct s3put *p, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	struct wire_control c;
	struct answer *a;
	struct batch *b;
	const char *why;
	char *buf;
	int rc = -1;

	if ((buf = malloc(len)) == NULL) {
		log_err("out of memory");
		p->input_err = EX_OSERR;
		return 0;
	}
	if (wire_control_parse(line, len, &c, buf, len, &why) == -1)
		log_err("%s:%lu: %s", name, lineno, why);
	else if (strcmp(c.kind, "revoke") != 0)
		log_err("%s:%lu: a control line s3put does not know: it "
		    "knows only kcons's \"revoke\" (--no-envelope: such "
		    "lines are records)", name, lineno);
	else if (strlen(c.topic) >= sizeof(a->topic) ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		log_err("out of memory");
		p->input_err = EX_OSERR;
		rc = 0;
	} else {
		log_debug("%s:%lu: %s[%d] revoked", name, lineno, c.topic,
		    c.partition);
		for (b = p->open; b != NULL; b = b->next)
			if (b->obj->topic != NULL &&
			    b->obj->partition == c.partition &&
			    strcmp(b->obj->topic, c.topic) == 0) {
				batch_drop(p, b);
				break;
			}
		acked_forget(p, c.topic, c.partition);
		a->id = c.id;
		a->partition = c.partition;
		memcpy(a->topic, c.topic, strlen(c.topic) + 1);
		hand_job(p, &(struct job){ NULL, NULL, 0, 0, 0, a });
		rc = 0;
	}
	free(buf);
	return rc;
}

/*
 * Take one good line (cli_input's hook).  Returns 0, or -1 for a bad
 * record (said).
 */
static int
take(void *arg, const char *name, unsigned long lineno, const char *line,
    size_t len)
{
	struct s3put *p = arg;
	char prefix[KEY_MAX], tname[256];
	struct wire_envelope e;
	const char *rec = line, *why = NULL;
	size_t reclen = len;
	struct batch *b;
	time_t t;
	int env, first;

	if (p->envelope != ENV_NEVER && wire_looks_like_control(line, len))
		return control(p, name, lineno, line, len);
	if ((env = envelope(p, line, len, &e, &why)) == -1) {
		log_err("%s:%lu: %s", name, lineno, why);
		return -1;
	}
	if (env && e.offset <= acked_last(p, e.topic, e.topiclen,
	    e.partition)) {
		/* Stored and acked in this run already: read again. */
		log_debug("%s:%lu: offset %lld of %.*s/%d is stored already",
		    name, lineno, e.offset, (int)e.topiclen, e.topic,
		    e.partition);
		p->nskipped++;
		return 0;
	}
	if (env && e.kcat && e.vlen > p->scratchlen) {
		free(p->scratch);
		if ((p->scratch = malloc(e.vlen)) == NULL) {
			p->scratchlen = 0;
			log_err("out of memory");
			p->input_err = EX_OSERR;
			return 0;
		}
		p->scratchlen = e.vlen;
	}
	if (env)
		reclen = wire_envelope_record(&e, p->scratch, &rec);
	else if (tmpl_uses_kafka(p->tmpl)) {
		/* Said once: every line after it would be the same. */
		first = p->said_kafka++ == 0;
		log_msg(first ? LOG_ERR : LOG_DEBUG, "%s:%lu: not a Kafka "
		    "envelope, but the key template uses {topic}, {partition} "
		    "or {offset}%s", name, lineno, first ? " (said once; the "
		    "bad lines are counted)" : "");
		return -1;
	}
	if (p->time_field != NULL) {
		if (record_time(p, rec, reclen, &t) == -1) {
			first = p->said_time++ == 0;
			log_msg(first ? LOG_ERR : LOG_DEBUG, "%s:%lu: "
			    "--time-field %s: no time that s3put reads (ISO "
			    "8601, YYYY-MM-DD HH:MM:SS, epoch s or ms)%s",
			    name, lineno, p->time_field_arg, first ? " (said "
			    "once; the bad lines are counted)" : "");
			return -1;
		}
	} else if (env && e.timestamp >= 0)
		t = (time_t)(e.timestamp / 1000);
	else {
		t = time(NULL);
		if (env && !p->said_clock && tmpl_uses_time(p->tmpl)) {
			/*
			 * A rerun would render another prefix for the same
			 * offsets: their objects could not be found again.
			 */
			p->said_clock = 1;
			log_warn("%s:%lu: an envelope without a timestamp, "
			    "and no --time-field: its key's time comes from "
			    "the clock, so a rerun may store its records "
			    "under another prefix: at least once, not exactly "
			    "once", name, lineno);
		}
	}
	if (env)
		snprintf(tname, sizeof(tname), "%.*s", (int)e.topiclen,
		    e.topic);
	if (tmpl_render(p->tmpl, t, env ? tname : NULL, env ?
	    e.partition : 0, -1, prefix, sizeof(prefix)) < 0) {
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
			    b->obj->partition == e.partition &&
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
	    env ? e.topiclen : 0, env ? e.partition : 0,
	    env ? e.offset : 0)) == NULL) {
		p->input_err = EX_SOFTWARE;
		return 0;
	}
	if (batch_add(p, b, rec, reclen) == -1 ||
	    batch_add(p, b, "\n", 1) == -1) {
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
void
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
	f[5] = (struct stat_field){ "bad_lines", "Count", (double)p->in.nbad };
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

	gz_reap_done(p);	/* parts compressed meanwhile go on to S3 */
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

/* After each line: between waits, aged batches are closed every 4096. */
static int
next(void *arg)
{
	struct s3put *p = arg;

	if (p->input_err != 0)
		return -1;
	if (stats_due())
		s3put_stats(p, 0);
	if ((p->in.nread & 4095) == 0 && (close_aged(p), has_failed(p)))
		return -1;
	return 0;
}

void
read_input(struct s3put *p)
{
	p->in.wait = wait_input;
	p->in.take = take;
	p->in.next = next;
	p->in.arg = p;
	p->in.validate = 1;
	/* Without envelopes no line gets an envelope's extra level. */
	p->in.records_only = p->envelope == ENV_NEVER;
	(void)cli_input(&p->in, "-");
}
