/*
 * quote-window - event-time windows per key over JSON lines: one bar
 * (count, OHLC, mean, stddev, change, vwap) per key and window.
 *
 * Each record's key, event time and price are found by field paths (or
 * the time is the Kafka timestamp of a kcons -J envelope); windows are
 * tumbling (--size) or hopping (--slide), aligned to the epoch plus
 * --align.  A window's bars are written once the watermark (the largest
 * event time seen less --lateness) passes its end, and at the end of
 * the input: the bars are a function of the input, never of the clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "wire.h"

#include "window.h"

enum {
	OPT_ACKS = CLI_LONG, OPT_ALERT, OPT_ALIGN, OPT_CHECKPOINT, OPT_DRAIN,
	OPT_EMIT, OPT_IDLE, OPT_KEY, OPT_LATE, OPT_LATENESS, OPT_MAX_KEYS,
	OPT_MAX_LINE, OPT_ON_ERROR, OPT_PRICE, OPT_SIZE, OPT_SLIDE, OPT_STATE,
	OPT_TIME, OPT_TOP, OPT_VOLUME
};

static const struct option longopts[] = {
	{ "acks", required_argument, NULL, OPT_ACKS },
	{ "alert", required_argument, NULL, OPT_ALERT },
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "drain", no_argument, NULL, OPT_DRAIN },
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "late", required_argument, NULL, OPT_LATE },
	{ "lateness", required_argument, NULL, OPT_LATENESS },
	{ "max-keys", required_argument, NULL, OPT_MAX_KEYS },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "on-error", required_argument, NULL, OPT_ON_ERROR },
	{ "price", required_argument, NULL, OPT_PRICE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "slide", required_argument, NULL, OPT_SLIDE },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "volume", required_argument, NULL, OPT_VOLUME },
	CLI_LONGOPTS
};

static struct cli cli = {
	"usage: quote-window [-hqVv] [--size DURATION] [--slide DURATION] "
	"[--align DURATION]\n"
	"                    [--lateness DURATION] [--idle DURATION] "
	"[--key PATH]\n"
	"                    [--time PATH | --time @kafka] [--price PATH] "
	"[--volume PATH]\n"
	"                    [--top N] [--alert FILTER]... [--emit every=DURATION]\n"
	"                    [--late FILE] [--state FILE [--acks FILE] "
	"[--checkpoint DURATION]\n"
	"                    [--drain]] [--max-keys N] [--max-line SIZE] "
	"[--on-error POLICY]\n"
	"                    [FILE ...]\n",

	"Event-time windows per key over JSON lines (or kcons -J envelopes):\n"
	"one bar per key and window, written when the window closes.\n\n"
	"  -h, --help             show this help and exit\n"
	"  -q, --quiet            only errors on stderr\n"
	"  -V, --version          print the version and exit\n"
	"  -v, --verbose          more messages on stderr\n"
	"      --acks FILE        after each checkpoint, an ack line per "
	"partition\n"
	"                         counted (for kcons --commit-acks FILE)\n"
	"      --alert FILTER     an alert line when the jq FILTER over a bar\n"
	"                         turns true for its key (repeatable)\n"
	"      --align DURATION   windows start at the epoch plus DURATION\n"
	"      --checkpoint DURATION  how often --state is written (5s)\n"
	"      --drain            with --state: close every window at the end\n"
	"                         of the input (else they wait in the state)\n"
	"      --emit every=DURATION  also the open windows' bars so far, as\n"
	"                         \"update\" lines, each DURATION of event time\n"
	"      --idle DURATION    close the open windows when no record has\n"
	"                         come for DURATION (by the clock)\n"
	"      --key PATH         the key (default .symbol)\n"
	"      --late FILE        write late records to FILE\n"
	"      --lateness DURATION  how far behind the latest event time a\n"
	"                         record may come and still count (default 0)\n"
	"      --max-keys N       at most N keys (default 100000)\n"
	"      --max-line SIZE    longest accepted line (default 1M)\n"
	"      --on-error POLICY  bad lines: count (default), fail or skip\n"
	"      --price PATH       the price (default .current_price)\n"
	"      --size DURATION    window length (default 1m): 90, 90s, 5m, 1h\n"
	"      --slide DURATION   hopping windows every DURATION (default:\n"
	"                         --size, tumbling)\n"
	"      --state FILE       checkpoint the open windows and offsets in\n"
	"                         FILE; a restart goes on from it\n"
	"      --time PATH        the event time (default .last_updated): ISO\n"
	"                         8601 or epoch s/ms; @kafka: the envelope's\n"
	"      --top N            after each window's bars, its N largest\n"
	"                         movers by absolute pct_change\n"
	"      --volume PATH      a volume, for vwap\n",
	NULL, 0, NULL
};

struct run {
	struct qw	 q;
	struct cli_input in;
	struct json_path *key, *time, *price, *volume;
	/* the paths when each is one top-level name: one walk finds all */
	const char	*name[4];	/* key, time, price, volume */
	int		 simple;
	int		 kafka_time;	/* --time @kafka */
	const char	*late_path;
	struct obuf	 late;
	char		*scratch;
	size_t		 scratchlen;
	char		*keybuf;	/* a key made canonical */
	int		 failed;	/* EX_ status: stop */
	long long	 idle_ms;	/* --idle, 0: none */
	long long	 last_ms;	/* when the last record came */
	/* --state, --acks */
	const char	*state_path, *acks_path;
	struct obuf	 acks;
	long long	 ckpt_ms;	/* --checkpoint */
	long long	 ckpt_due;	/* the clock's ms of the next one */
	int		 dirty;		/* taken since the last checkpoint */
	int		 drain;
	unsigned long	 nskipped, nckpts, nlines, nrevokes;
};

/* A price (or volume): a JSON number, its text kept when short. */
static int
number(enum json_kind kind, const char *v, size_t vlen, struct price *p)
{
	char buf[64];

	if (kind != JSON_NUMBER || vlen >= sizeof(buf))
		return -1;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	p->v = strtod(buf, NULL);
	if (vlen < sizeof(p->text))
		memcpy(p->text, buf, vlen + 1);
	else
		p->text[0] = '\0';
	return 0;
}

static int
price(const char *rec, size_t len, const struct json_path *path,
    struct price *p)
{
	const char *v;
	size_t vlen;
	enum json_kind k = json_lookup(rec, len, path, &v, &vlen);

	return number(k, v, vlen, p);
}

/*
 * One walk over the record's members for the four top-level names (the
 * default paths): a third of the time of three lookups.  A member name
 * with an escape is compared decoded.  The first of a name counts.
 */
static void
walk(struct run *r, const char *rec, size_t len, const char **got,
    size_t *gotlen, enum json_kind *kind)
{
	struct json_iter it;
	const char *k, *v;
	size_t klen, vlen, n;
	char dec[128];
	int i;

	for (i = 0; i < 4; i++)
		kind[i] = JSON_MISSING;
	if (json_object_begin(&it, rec, len) == -1)
		return;
	while (json_object_next(&it, &k, &klen, &v, &vlen)) {
		k++;
		klen -= 2;
		if (memchr(k, '\\', klen) != NULL) {
			if (klen + 2 > sizeof(dec))
				continue;
			klen = json_unescape(k - 1, klen + 2, dec);
			k = dec;
		}
		for (i = 0; i < 4; i++)
			if (r->name[i] != NULL && kind[i] == JSON_MISSING &&
			    (n = strlen(r->name[i])) == klen &&
			    memcmp(r->name[i], k, n) == 0) {
				got[i] = v;
				gotlen[i] = vlen;
				kind[i] = json_kind_of(v, vlen);
			}
	}
}

/* ".name": name, if that is all the path is; else NULL. */
static const char *
top_name(const char *path)
{
	const char *p;

	if (path == NULL || path[0] != '.' || path[1] == '\0')
		return NULL;
	for (p = path + 1; *p != '\0'; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (p > path + 1 && *p >= '0' &&
		    *p <= '9')))
			return NULL;
	return path + 1;
}

/*
 * A key string with escapes, spelled as the writer's strings are
 * ("\u0041" is "A"), so that one key has one spelling.  NULL: no memory.
 */
static const char *
canonical(struct run *r, const char *k, size_t *klen)
{
	char *plain, *q;
	size_t n;

	if ((plain = malloc(*klen)) == NULL ||
	    (q = realloc(r->keybuf, JSON_QUOTE_MAX(*klen))) == NULL) {
		free(plain);
		log_err("out of memory");
		r->failed = EX_OSERR;
		return NULL;
	}
	r->keybuf = q;
	n = json_unescape(k, *klen, plain);
	*klen = json_quote(q, plain, n);
	free(plain);
	return q;
}

/*
 * A record (or an envelope's): 0 taken (counted or late), -1 a bad
 * record (said), 2 skipped: a restart's record that the state counted.
 * *src: its partition, for an envelope.
 */
static int
take_record(struct run *r, const char *name, unsigned long lineno,
    const char *line, size_t len, struct src **src, long long *off)
{
	struct wire_envelope e;
	struct price p, vol;
	const char *rec = line, *why, *k, *tv;
	size_t reclen = len, klen, tlen;
	enum json_kind kk, tk, kind[4];
	const char *got[4];
	size_t gotlen[4];
	long long t;
	int rc, hasvol;

	if (wire_looks_like_envelope(line, len)) {
		if (wire_envelope_parse(line, len, &e, &why) == -1) {
			log_err("%s:%lu: %s", name, lineno, why);
			return -1;
		}
		if (r->state_path != NULL) {
			if ((*src = qw_src(&r->q, e.topic, e.topiclen,
			    e.partition)) == NULL) {
				log_err("out of memory");
				r->failed = EX_OSERR;
				return 0;
			}
			if (e.offset <= (*src)->last) {
				/* Counted before the restart: in the state. */
				if (e.offset == (*src)->last || r->nskipped == 0)
					log_info("%s[%d]@%lld: counted before "
					    "the restart: skipped to offset "
					    "%lld", (*src)->topic, e.partition,
					    e.offset, (*src)->last);
				*src = NULL;
				r->nskipped++;
				return 2;
			}
			*off = e.offset;
		}
		if (e.kcat && e.vlen > r->scratchlen) {
			free(r->scratch);
			if ((r->scratch = malloc(e.vlen)) == NULL) {
				r->scratchlen = 0;
				log_err("out of memory");
				r->failed = EX_OSERR;
				return 0;
			}
			r->scratchlen = e.vlen;
		}
		reclen = wire_envelope_record(&e, r->scratch, &rec);
		if (r->kafka_time && e.timestamp < 0) {
			log_err("%s:%lu: --time @kafka: the envelope has no "
			    "timestamp", name, lineno);
			return -1;
		}
		t = e.timestamp * 1000;
	} else if (r->kafka_time) {
		log_err("%s:%lu: --time @kafka: not a Kafka envelope", name,
		    lineno);
		return -1;
	}
	if (r->simple)
		walk(r, rec, reclen, got, gotlen, kind);
	kk = r->simple ? kind[0] : json_lookup(rec, reclen, r->key, &k, &klen);
	if (r->simple) {
		k = got[0];
		klen = gotlen[0];
	}
	if (kk != JSON_STRING && kk != JSON_NUMBER) {
		log_err("%s:%lu: no key at --key (a string or a number)", name,
		    lineno);
		return -1;
	}
	if (!r->kafka_time) {
		if (r->simple) {
			tk = kind[1];
			tv = got[1];
			tlen = gotlen[1];
		} else
			tk = json_lookup(rec, reclen, r->time, &tv, &tlen);
		if ((tk != JSON_STRING && tk != JSON_NUMBER) ||
		    evtime_parse(tv, tlen, tk == JSON_STRING, &t) == -1) {
			log_err("%s:%lu: no time at --time that quote-window "
			    "reads (ISO 8601, epoch seconds or milliseconds)",
			    name, lineno);
			return -1;
		}
	}
	if ((r->simple ? number(kind[2], got[2], gotlen[2], &p) :
	    price(rec, reclen, r->price, &p)) == -1) {
		log_err("%s:%lu: no price at --price (a number)", name,
		    lineno);
		return -1;
	}
	if (kk == JSON_STRING && memchr(k, '\\', klen) != NULL &&
	    (k = canonical(r, k, &klen)) == NULL)
		return 0;
	hasvol = r->volume != NULL && (r->simple ? number(kind[3], got[3],
	    gotlen[3], &vol) : price(rec, reclen, r->volume, &vol)) == 0;
	if ((rc = qw_add(&r->q, k, klen, t, &p, hasvol ? &vol : NULL)) ==
	    -1) {
		r->failed = EX_SOFTWARE;
		return 0;
	}
	if (rc == 1) {
		log_debug("%s:%lu: late: its window closed already", name,
		    lineno);
		if (r->late_path != NULL) {
			obuf_write(&r->late, line, len);
			obuf_putc(&r->late, '\n');
		}
		return 0;
	}
	qw_advance(&r->q);
	r->last_ms = clock_mono_ms();
	return 0;
}

static int checkpoint(struct run *);

/*
 * kcons -J --commit-acks's control line: a revoke is answered on --acks
 * once a checkpoint holds every record of the partition taken and its
 * acks are written.  The windows open go on counting the records taken;
 * the partition's next owner counts the rest (quote-window(1)).
 */
static int
control(struct run *r, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	struct wire_control c;
	const char *why;
	char *buf;

	if ((buf = malloc(len + 1)) == NULL) {
		log_err("out of memory");
		r->failed = EX_OSERR;
		return 0;
	}
	if (wire_control_parse(line, len, &c, buf, len + 1, &why) == -1) {
		log_err("%s:%lu: %s", name, lineno, why);
		free(buf);
		return -1;
	}
	if (strcmp(c.kind, "revoke") != 0) {
		log_warn("%s:%lu: a control line \"%s\": not kcons's revoke; "
		    "ignored", name, lineno, c.kind);
	} else if (r->acks_path == NULL) {
		if (r->nrevokes++ == 0)
			log_warn("%s:%lu: kcons revoked %s[%d], and there is no "
			    "--acks to answer on: ignored (said once)", name,
			    lineno, c.topic, c.partition);
	} else {
		r->nrevokes++;
		log_info("%s[%d] revoked: checkpoint, acks, answer", c.topic,
		    c.partition);
		/* Not dirty: the last checkpoint holds all, its acks out. */
		if (checkpoint(r) == 0) {
			wire_control_write(&r->acks, "revoked", c.id, c.topic,
			    c.partition);
			if (obuf_flush(&r->acks) != 0) {
				log_err("--acks %s: %s", r->acks_path,
				    strerror(r->acks.err));
				r->failed = EX_IOERR;
			}
		}
	}
	free(buf);
	return 0;
}

static int
take(void *arg, const char *name, unsigned long lineno, const char *line,
    size_t len)
{
	struct run *r = arg;
	struct src *src = NULL;
	long long off = -1;
	int rc;

	if (wire_looks_like_control(line, len))
		return control(r, name, lineno, line, len);
	rc = take_record(r, name, lineno, line, len, &src, &off);
	if (rc == 2)
		return 0;
	if (r->state_path != NULL && !r->failed) {
		/* Taken, late or bad: done with, as the state will say. */
		r->dirty = 1;
		if (src != NULL) {
			if (src->n++ == 0)
				src->first = off;
			src->last = off;
		}
	}
	return rc;
}

/*
 * --state: the bars of the windows closed are written out first (the
 * checkpoint no longer holds them), then the state, atomically; then,
 * for --acks, one ack per partition taken from since the last one.
 * 0, or -1: r->failed set (said), or stdout failed (said at the end).
 */
static int
checkpoint(struct run *r)
{
	struct src *s;
	size_t i;

	r->ckpt_due = clock_mono_ms() + r->ckpt_ms;
	if (!r->dirty)
		return 0;
	if (obuf_flush(&r->q.out) != 0)
		return -1;	/* no checkpoint; said (or not: EPIPE) at the end */
	if (r->late_path != NULL && obuf_flush(&r->late) != 0) {
		log_err("--late %s: %s: no checkpoint", r->late_path,
		    strerror(r->late.err));
		r->failed = EX_IOERR;
		return -1;
	}
	if (state_save(&r->q, r->state_path) == -1) {
		log_err("--state %s: %s", r->state_path, strerror(errno));
		r->failed = EX_CANTCREAT;
		return -1;
	}
	r->dirty = 0;
	r->nckpts++;
	for (i = 0; i < r->q.nsrcs; i++) {
		s = &r->q.srcs[i];
		if (s->n == 0)
			continue;
		if (r->acks_path != NULL)
			wire_ack_write(&r->acks, &(struct wire_ack){ NULL, NULL,
			    (long long)s->n, -1, NULL, s->topic, s->partition,
			    s->first, s->last, 0 });
		s->n = 0;
		s->first = -1;
	}
	if (r->acks_path != NULL && obuf_flush(&r->acks) != 0) {
		log_err("--acks %s: %s (the state has them: the next run acks "
		    "them again)", r->acks_path, strerror(r->acks.err));
		r->failed = EX_IOERR;
		return -1;
	}
	return 0;
}

static void
window_stats(struct run *r, int final)
{
	long long wm = qw_watermark(&r->q);
	struct stat_field f[] = {
		{ "records", "Count", (double)r->q.nrecords },
		{ "late", "Count", (double)r->q.nlate },
		{ "bars", "Count", (double)r->q.nbars },
		{ "open_windows", "Count", (double)r->q.nwins },
		{ "keys", "Count", (double)r->q.nkeys },
		{ "watermark_lag_ms", "Milliseconds", r->q.seen &&
		    wm != LLONG_MIN ? (double)(r->q.max_t - wm) / 1000 : 0 },
	};

	stats_emit(f, 6, final);
}

static int
next(void *arg)
{
	struct run *r = arg;

	if (r->state_path != NULL && (++r->nlines & 255) == 0 && r->dirty &&
	    clock_mono_ms() >= r->ckpt_due)
		(void)checkpoint(r);
	if (stats_due())
		window_stats(r, 0);
	return r->failed || obuf_error(&r->q.out) || sig_caught() ? -1 : 0;
}

static int
wait_input(void *arg, int fd)
{
	struct run *r = arg;
	struct pollfd pfd = { fd, POLLIN, 0 };
	long long ms, left;

	obuf_flush(&r->q.out);	/* about to wait: nothing sits in a buffer */
	if (r->late_path != NULL)
		obuf_flush(&r->late);
	for (;;) {
		if (sig_caught())
			return -1;
		if (stats_due())
			window_stats(r, 0);
		ms = stats_enabled() ? 1000 : -1;
		if (r->state_path != NULL && r->dirty) {
			left = r->ckpt_due - clock_mono_ms();
			if (left <= 0) {
				if (checkpoint(r) == -1)
					return -1;
				continue;
			}
			if (ms < 0 || left < ms)
				ms = left;
		}
		if (r->idle_ms > 0 && r->q.nwins > 0) {
			left = r->last_ms + r->idle_ms - clock_mono_ms();
			if (left <= 0) {
				/* The one place the clock decides. */
				log_info("no record for %lld ms (--idle): "
				    "closing %zu windows", r->idle_ms,
				    r->q.nwins);
				qw_close_all(&r->q);
				obuf_flush(&r->q.out);
				r->dirty = 1;
				continue;
			}
			if (ms < 0 || left < ms)
				ms = left;
		}
		if (sig_poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms) > 0)
			return 0;
	}
}

static int
duration_option(const char *opt, const char *arg, long long min,
    long long *us)
{
	if (duration_parse(arg, us) == -1 || *us < min) {
		log_err("%s %s: expected a duration such as 90, 90s, 5m, 1h "
		    "or 250ms%s", opt, arg, min > 0 ? ", above 0" : "");
		return EX_USAGE;
	}
	return CLI_GO_ON;
}

/* The bar's name for the key: the path's last step (".symbol": symbol). */
static const char *
key_name(const char *path)
{
	static char name[256];
	const char *s = strrchr(path, '.');
	size_t n;

	if (path[strlen(path) - 1] == ']' && (s = strrchr(path, '[')) != NULL &&
	    s[1] == '"') {
		n = strlen(s + 2);
		n = n >= 2 ? n - 2 : 0;		/* less "] */
		snprintf(name, sizeof(name), "%.*s", (int)n, s + 2);
		return name;
	}
	return s != NULL && s[1] != '\0' ? s + 1 : "key";
}

/* --state: go on from the checkpoint; --acks opened.  0 or EX_ status. */
static int
load(struct run *r)
{
	struct src *s;
	size_t i;
	int st, fd;
	char wm[40], lock[PATH_MAX];

	/* One run at a time on a checkpoint: a lock beside it. */
	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", r->state_path) >=
	    sizeof(lock) || (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC,
	    0666)) == -1) {
		log_err("--state %s.lock: %s", r->state_path, strerror(errno));
		return EX_CANTCREAT;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_err("--state %s: %s", r->state_path, errno == EWOULDBLOCK ?
		    "another quote-window runs with it (its .lock is held)" :
		    strerror(errno));
		close(fd);
		return EX_TEMPFAIL;
	}
	/* fd stays open, and locked, for the run. */
	if ((st = state_load(&r->q, r->state_path)) != 0)
		return st;
	for (i = 0; i < r->q.nsrcs; i++) {
		s = &r->q.srcs[i];
		if (s->n > 0)
			r->dirty = 1;	/* acks the last run may not have sent */
	}
	if (r->q.seen) {
		evtime_format(qw_watermark(&r->q), wm, sizeof(wm));
		log_info("--state %s: %zu open windows, %zu partitions, "
		    "watermark %s", r->state_path, r->q.nwins, r->q.nsrcs, wm);
	}
	if (r->acks_path != NULL) {
		if ((fd = open(r->acks_path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0666)) == -1) {
			log_err("--acks %s: %s", r->acks_path, strerror(errno));
			return EX_CANTCREAT;
		}
		obuf_open(&r->acks, fd, 64 * 1024);
	}
	r->ckpt_due = clock_mono_ms() + r->ckpt_ms;
	return 0;
}

static int
options(struct run *r, int argc, char **argv)
{
	const char *keyp = ".symbol", *timep = ".last_updated";
	const char *pricep = ".current_price", *volp = NULL;
	long long n;
	int ch, st, slide = 0, ckpt = 0;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) !=
	    -1) {
		st = CLI_GO_ON;
		switch (ch) {
		case OPT_ACKS:
			r->acks_path = optarg;
			break;
		case OPT_CHECKPOINT:
			st = duration_option("--checkpoint", optarg, 1000,
			    &r->ckpt_ms);
			r->ckpt_ms /= 1000;
			ckpt = 1;
			break;
		case OPT_DRAIN:
			r->drain = 1;
			break;
		case OPT_EMIT:
			if (strncmp(optarg, "every=", 6) != 0) {
				log_err("--emit %s: expected every=DURATION "
				    "(such as every=10s)", optarg);
				return EX_USAGE;
			}
			st = duration_option("--emit every=", optarg + 6, 1,
			    &r->q.emit_every);
			break;
		case OPT_STATE:
			r->state_path = optarg;
			break;
		case OPT_ALERT:
			if (alert_add(&r->q, optarg) == -1)
				return EX_USAGE;
			break;
		case OPT_ALIGN:
			st = duration_option("--align", optarg, 0,
			    &r->q.align);
			break;
		case OPT_IDLE:
			st = duration_option("--idle", optarg, 1000,
			    &r->idle_ms);
			r->idle_ms /= 1000;
			break;
		case OPT_KEY:
			keyp = optarg;
			break;
		case OPT_LATE:
			r->late_path = optarg;
			break;
		case OPT_LATENESS:
			st = duration_option("--lateness", optarg, 0,
			    &r->q.lateness);
			break;
		case OPT_MAX_KEYS:
			if (cli_number("--max-keys", optarg, 1, INT_MAX - 1,
			    &n) == -1)
				return EX_USAGE;
			r->q.max_keys = (size_t)n;
			break;
		case OPT_MAX_LINE:
			st = cli_size("--max-line", optarg, &r->in.max_line) ?
			    EX_USAGE : CLI_GO_ON;
			break;
		case OPT_ON_ERROR:
			st = cli_on_error(optarg, &r->in.on_error) ? EX_USAGE :
			    CLI_GO_ON;
			break;
		case OPT_PRICE:
			pricep = optarg;
			break;
		case OPT_SIZE:
			st = duration_option("--size", optarg, 1, &r->q.size);
			break;
		case OPT_SLIDE:
			st = duration_option("--slide", optarg, 1,
			    &r->q.slide);
			slide = 1;
			break;
		case OPT_TIME:
			timep = optarg;
			break;
		case OPT_TOP:
			if (cli_number("--top", optarg, 1, 10000, &n) == -1)
				return EX_USAGE;
			r->q.top = (int)n;
			break;
		case OPT_VOLUME:
			volp = optarg;
			break;
		default:
			st = cli_common(&cli, ch);
		}
		if (st != CLI_GO_ON)
			return st;
	}
	if (r->state_path == NULL && (r->acks_path != NULL || r->drain ||
	    ckpt)) {
		log_err("%s needs --state FILE: %s", r->acks_path != NULL ?
		    "--acks" : r->drain ? "--drain" : "--checkpoint",
		    r->acks_path != NULL ? "an ack says the records are in a "
		    "checkpoint" : "it is about the checkpoint");
		return EX_USAGE;
	}
	if (!slide)
		r->q.slide = r->q.size;
	if (r->q.slide > r->q.size) {
		log_err("--slide is longer than --size: windows would leave "
		    "records out");
		return EX_USAGE;
	}
	if (r->q.size / r->q.slide > 10000) {
		log_err("--size over --slide: more than 10000 windows for each "
		    "record");
		return EX_USAGE;
	}
	r->kafka_time = strcmp(timep, "@kafka") == 0;
	if (cli_path("--key", keyp, &r->key) == -1 ||
	    (!r->kafka_time && cli_path("--time", timep, &r->time) == -1) ||
	    cli_path("--price", pricep, &r->price) == -1 ||
	    (volp != NULL && cli_path("--volume", volp, &r->volume) == -1))
		return EX_USAGE;
	r->q.key_name = key_name(keyp);
	r->q.path[0] = keyp;
	r->q.path[1] = timep;
	r->q.path[2] = pricep;
	r->name[0] = top_name(keyp);
	r->name[1] = r->kafka_time ? NULL : top_name(timep);
	r->name[2] = top_name(pricep);
	r->name[3] = top_name(volp);
	r->simple = r->name[0] != NULL && (r->kafka_time ||
	    r->name[1] != NULL) && r->name[2] != NULL && (volp == NULL ||
	    r->name[3] != NULL);
	r->q.volume = volp != NULL;
	return CLI_GO_ON;
}

int
main(int argc, char **argv)
{
	static struct run r;
	int st, i, bad, fd, ended = 1;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	r.q.size = 60 * 1000000LL;
	r.ckpt_ms = 5000;
	r.q.max_keys = 100000;
	r.in.max_line = JSONL_DEFAULT_MAX_LINE;
	if ((st = options(&r, argc, argv)) != CLI_GO_ON)
		goto out;
	qw_init(&r.q);
	if (r.state_path != NULL && (st = load(&r)) != 0)
		goto out;
	if (r.late_path != NULL) {
		/* With --state, a run goes on with the last one's file. */
		if ((fd = open(r.late_path, O_WRONLY | O_CREAT | O_CLOEXEC |
		    (r.state_path != NULL ? O_APPEND : O_TRUNC), 0666)) == -1) {
			log_err("--late %s: %s", r.late_path, strerror(errno));
			st = EX_CANTCREAT;
			goto out;
		}
		obuf_open(&r.late, fd, 64 * 1024);
	}
	r.last_ms = clock_mono_ms();	/* --idle counts from the start */
	obuf_open(&r.q.out, STDOUT_FILENO, 256 * 1024);
	sig_install();
	r.in.wait = wait_input;
	r.in.take = take;
	r.in.next = next;
	r.in.arg = &r;
	r.in.validate = 1;
	if (optind == argc)
		ended = cli_input(&r.in, "-") == 0;
	for (i = optind; i < argc; i++)
		if (cli_input(&r.in, argv[i]) == -1) {
			ended = 0;
			break;
		}
	/* An input that could not be read did not end either. */
	if (r.in.err != 0 || sig_caught())
		ended = 0;
	/*
	 * End of input, or a signal: every open window closes (nothing
	 * counted is dropped; a restart without --state starts afresh).
	 * With --state they wait in the checkpoint for the next run, unless
	 * --drain and the input ended (not a signal, not an error): an
	 * input that ends is no proof that the stream did (kcons killed
	 * ends it too).
	 */
	if (!r.failed && (r.state_path == NULL || (r.drain && ended)))
		qw_close_all(&r.q);
	if (r.state_path != NULL && !r.failed) {
		r.dirty = 1;
		(void)checkpoint(&r);
	}
	st = 0;
	if (obuf_close(&r.q.out) != 0) {
		if (r.q.out.err != EPIPE)
			log_err("stdout: %s", strerror(r.q.out.err));
		st = r.q.out.err == EPIPE ? 0 : EX_IOERR;
	}
	if (r.late_path != NULL && obuf_close(&r.late) != 0) {
		log_err("--late %s: %s", r.late_path, strerror(r.late.err));
		if (st == 0)
			st = EX_IOERR;
	}
	if (r.acks_path != NULL && obuf_close(&r.acks) != 0 && st == 0 &&
	    !r.failed) {
		log_err("--acks %s: %s", r.acks_path, strerror(r.acks.err));
		st = EX_IOERR;
	}
	if (r.state_path != NULL)
		log_info("%lu checkpoints in %s; %lu records skipped (counted "
		    "before the restart)", r.nckpts, r.state_path, r.nskipped);
	if (r.q.nlate > 0)
		log_notice("%lu late records (their windows had closed: "
		    "--lateness)%s%s", r.q.nlate, r.late_path ? " written to " :
		    " dropped", r.late_path ? r.late_path : "");
	window_stats(&r, 1);
	log_info("%lu lines read, %lu records in %lu bars, %lu keys",
	    r.in.nread, r.q.nrecords, r.q.nbars, (unsigned long)r.q.nkeys);
	bad = cli_bad_lines(r.in.nbad, r.in.on_error);
	if (st == 0)
		st = r.failed ? r.failed : r.in.err ? r.in.err : bad;
	if (sig_caught() && st == 0)
		log_info("signal %d: stopped", sig_caught());
out:
	alert_free(&r.q);
	qw_free(&r.q);
	json_path_free(r.key);
	json_path_free(r.time);
	json_path_free(r.price);
	json_path_free(r.volume);
	free(r.scratch);
	free(r.keybuf);
	return st;
}
