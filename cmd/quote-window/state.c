/*
 * state.c - quote-window --state FILE: the checkpoint of everything a
 * restarted run needs to go on as if it had not stopped (window.h).
 *
 * One line of text per item, numbers in C's hexadecimal floating point
 * (%a: read back to the bit), keys and prices as the JSON texts the bars
 * write:
 *
 *   quote-window state 1
 *   options SIZE SLIDE ALIGN LATENESS VOLUME NALERTS EMIT
 *   paths "KEY" "TIME" "PRICE"
 *   clock SEEN MAX_T FRONTIER NEXT_EMIT
 *   source PARTITION LAST FIRST N TOPIC
 *   window START
 *   acc COUNT OPEN_T CLOSE_T MEAN M2 PV V VOLUMES OPEN CLOSE HIGH LOW KEY
 *   alert I KEY
 *   end
 *
 * A price is VALUE/TEXT (TEXT "-" when it was too long to keep).  The
 * acc lines follow their window's line; "end" tells a whole file from a
 * cut one.  The file is private to quote-window: the version on the
 * first line changes when it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

#include "window.h"

#define STATE_MAGIC	"quote-window state 1"
#define STATE_LINE_MAX	(16 << 20)
/* Times within about ±3000 years of the epoch: no sum of two overflows. */
#define T_MAX		(100000000000000000LL)
#define COUNT_MAX	(1LL << 53)

static int
in_range(long long t)
{
	return t >= -T_MAX && t <= T_MAX;
}

/* The bars' name for the key, quoted, as the options line has it. */
static void
key_name_text(const char *name, char *buf, size_t len)
{
	size_t n = 0;

	buf[n++] = '"';
	for (; *name != '\0' && n + 8 < len; name++)
		if (*name == '"' || *name == '\\' || (unsigned char)*name < 0x20)
			n += (size_t)snprintf(buf + n, len - n, "\\u%04x",
			    (unsigned char)*name);
		else
			buf[n++] = *name;
	buf[n++] = '"';
	buf[n] = '\0';
}

static void
put_price(FILE *fp, const struct price *p)
{
	fprintf(fp, " %a/%s", p->v, p->text[0] != '\0' ? p->text : "-");
}

int
state_save(const struct qw *q, const char *path)
{
	char tmp[PATH_MAX], dir[PATH_MAX], name[2048], *slash;
	const struct win *w;
	const struct acc *a;
	const struct src *s;
	FILE *fp;
	size_t i, j, k;
	int fail, fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fp = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(fp, "%s\noptions %lld %lld %lld %lld %d %zu %lld\npaths",
	    STATE_MAGIC, q->size, q->slide, q->align, q->lateness, q->volume,
	    q->nalerts, q->emit_every);
	for (i = 0; i < 3; i++) {
		key_name_text(q->path[i], name, sizeof(name));
		fprintf(fp, " %s", name);
	}
	fputc('\n', fp);
	fprintf(fp, "clock %d %lld %lld %lld\n", q->seen, q->max_t,
	    q->frontier, q->next_emit);
	for (i = 0; i < q->nsrcs; i++) {
		s = &q->srcs[i];
		fprintf(fp, "source %d %lld %lld %lu %s\n", s->partition,
		    s->last, s->first, s->n, s->topic);
	}
	for (i = 0; i < q->nwins; i++) {
		w = &q->wins[i];
		fprintf(fp, "window %lld\n", w->start);
		for (j = 0; j < w->nacc; j++) {
			a = &w->accs[j];
			fprintf(fp, "acc %lld %lld %lld %a %a %a %a %d",
			    a->count, a->open_t, a->close_t, a->mean, a->m2,
			    a->pv, a->v, a->volumes);
			put_price(fp, &a->open);
			put_price(fp, &a->close);
			put_price(fp, &a->high);
			put_price(fp, &a->low);
			fprintf(fp, " %s\n", q->key[w->keys[j]]);
		}
	}
	for (i = 0; i < q->nalerts; i++)
		for (k = 0; k < q->nkeys; k++)
			if (alert_on(q, i, (int)k))
				fprintf(fp, "alert %zu %s\n", i, q->key[k]);
	fputs("end\n", fp);
	fail = fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0;
	saved = errno;
	if (fclose(fp) != 0 && !fail) {
		fail = 1;
		saved = errno;
	}
	if (fail || rename(tmp, path) == -1) {
		if (!fail)
			saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	/* The rename itself on disk: the directory's entry. */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	fail = fsync(fd) == -1 && errno != EINVAL;
	saved = errno;
	close(fd);
	errno = saved;
	return fail ? -1 : 0;
}

/* ---- reading it back ---- */

struct rd {
	const char	*path;
	unsigned long	 lineno;
	char		*p;		/* the rest of the line */
};

static int
get_ll(struct rd *r, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(r->p, &end, 10);
	if (end == r->p || errno != 0 || (*end != ' ' && *end != '\0'))
		return -1;
	r->p = *end == ' ' ? end + 1 : end;
	return 0;
}

static int
get_d(struct rd *r, double *v, char stop)
{
	char *end;

	*v = strtod(r->p, &end);
	if (end == r->p || *end != stop)
		return -1;
	r->p = end + 1;
	return 0;
}

static int
get_price(struct rd *r, struct price *p)
{
	char *sp = strchr(r->p, ' ');
	size_t n;

	if (get_d(r, &p->v, '/') == -1 || sp == NULL)
		return -1;
	n = (size_t)(sp - r->p);
	if (n == 1 && r->p[0] == '-')
		p->text[0] = '\0';
	else if (n >= sizeof(p->text) || json_kind_of(r->p, n) !=
	    JSON_NUMBER || json_validate(r->p, n, NULL) == -1)
		return -1;
	else {
		memcpy(p->text, r->p, n);
		p->text[n] = '\0';
	}
	r->p = sp + 1;
	return 0;
}

/* The rest of the line: a key as the bars write it (a string, a number). */
static int
get_key(struct qw *q, struct rd *r)
{
	size_t n = strlen(r->p);
	enum json_kind k = json_kind_of(r->p, n);

	if ((k != JSON_STRING && k != JSON_NUMBER) ||
	    json_validate(r->p, n, NULL) == -1)
		return -1;
	return qw_key(q, r->p, n);
}

static int
acc_line(struct qw *q, struct rd *r, long long start)
{
	struct acc a, *d;
	long long v;
	int key;

	memset(&a, 0, sizeof(a));
	if (get_ll(r, &a.count) == -1 || a.count < 1 || a.count > COUNT_MAX ||
	    get_ll(r, &a.open_t) == -1 || get_ll(r, &a.close_t) == -1 ||
	    !in_range(a.open_t) || !in_range(a.close_t) ||
	    get_d(r, &a.mean, ' ') == -1 || get_d(r, &a.m2, ' ') == -1 ||
	    get_d(r, &a.pv, ' ') == -1 || get_d(r, &a.v, ' ') == -1 ||
	    get_ll(r, &v) == -1 || v < 0 || v > a.count ||
	    get_price(r, &a.open) == -1 || get_price(r, &a.close) == -1 ||
	    get_price(r, &a.high) == -1 || get_price(r, &a.low) == -1)
		return -1;
	a.volumes = (int)v;
	if ((key = get_key(q, r)) < 0 || (d = qw_acc(q, start, key)) == NULL)
		return -1;
	if (d->count != 0)
		return -1;		/* the key twice in one window */
	*d = a;
	return 0;
}

static int
source_line(struct qw *q, struct rd *r)
{
	long long part, last, first, n;
	struct src *s;
	size_t i, len;

	if (get_ll(r, &part) == -1 || part < 0 || part > INT_MAX ||
	    get_ll(r, &last) == -1 || last < -1 || get_ll(r, &first) == -1 ||
	    first < -1 || get_ll(r, &n) == -1 || n < 0)
		return -1;
	len = strlen(r->p);
	if (len == 0 || len > 249)
		return -1;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", r->p[i]) == NULL)
			return -1;
	if ((s = qw_src(q, r->p, len, (int)part)) == NULL)
		return -1;
	s->last = last;
	s->first = first;
	s->n = (unsigned long)n;
	return 0;
}

/* The options line against this run's: 0, or EX_CONFIG (said). */
static int
options_line(struct qw *q, struct rd *r)
{
	long long v[7], mine[7] = { q->size, q->slide, q->align, q->lateness,
	    q->volume, (long long)q->nalerts, q->emit_every };
	static const char *const what[7] = { "--size", "--slide", "--align",
	    "--lateness", "--volume", "--alert", "--emit" };
	int i;

	for (i = 0; i < 7; i++)
		if (get_ll(r, &v[i]) == -1)
			return EX_DATAERR;
	if (*r->p != '\0')
		return EX_DATAERR;
	for (i = 0; i < 7; i++)
		if (v[i] != mine[i]) {
			log_err("--state %s: written with other %s (%lld, "
			    "this run %lld): a run goes on only with the "
			    "options that made the file; remove it to start "
			    "afresh", r->path, what[i], v[i], mine[i]);
			return EX_CONFIG;
		}
	return 0;
}

/* The paths line against this run's: 0, or EX_CONFIG (said). */
static int
paths_line(struct qw *q, struct rd *r)
{
	static const char *const what[3] = { "--key", "--time", "--price" };
	char name[2048];
	size_t n;
	int i;

	for (i = 0; i < 3; i++) {
		key_name_text(q->path[i], name, sizeof(name));
		n = strlen(name);
		if (strncmp(r->p, name, n) != 0 || (r->p[n] != ' ' &&
		    r->p[n] != '\0')) {
			log_err("--state %s: written with another %s (this run "
			    "%s): remove it to start afresh", r->path, what[i],
			    name);
			return EX_CONFIG;
		}
		r->p += n + (r->p[n] == ' ');
	}
	return *r->p == '\0' ? 0 : EX_DATAERR;
}

int
state_load(struct qw *q, const char *path)
{
	struct rd r = { path, 0, NULL };
	char *line = NULL, *what;
	size_t cap = 0;
	ssize_t n;
	long long start = LLONG_MIN, v, a[4];
	int st = EX_DATAERR, i, key, ended = 0;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_err("--state %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		r.lineno++;
		if (line[n - 1] != '\n' || ended || n > STATE_LINE_MAX)
			goto bad;
		line[n - 1] = '\0';
		if (strlen(line) != (size_t)n - 1)
			goto bad;		/* a NUL in it */
		if (r.lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				goto bad;
			continue;
		}
		if ((r.p = strchr(line, ' ')) != NULL)
			*r.p++ = '\0';
		else
			r.p = line + n - 1;
		what = line;
		if (r.lineno == 2 || r.lineno == 3) {
			if (strcmp(what, r.lineno == 2 ? "options" : "paths") !=
			    0)
				goto bad;
			if ((st = r.lineno == 2 ? options_line(q, &r) :
			    paths_line(q, &r)) == EX_DATAERR)
				goto bad;
			if (st != 0)
				goto out;
			st = EX_DATAERR;
		} else if (strcmp(what, "clock") == 0) {
			for (i = 0; i < 4; i++)
				if (get_ll(&r, &a[i]) == -1)
					goto bad;
			if ((a[0] != 0 && a[0] != 1) || (a[0] && !in_range(a[1])) ||
			    (a[2] != LLONG_MIN && !in_range(a[2])) ||
			    (a[3] != LLONG_MIN && !in_range(a[3])))
				goto bad;
			q->seen = a[0] != 0;
			q->max_t = a[1];
			q->frontier = a[2];
			q->next_emit = a[3];
		} else if (strcmp(what, "source") == 0) {
			if (source_line(q, &r) == -1)
				goto bad;
		} else if (strcmp(what, "window") == 0) {
			if (get_ll(&r, &v) == -1 || *r.p != '\0' ||
			    !in_range(v) || (v - q->align) % q->slide != 0 ||
			    (start != LLONG_MIN && v <= start))
				goto bad;
			start = v;
		} else if (strcmp(what, "acc") == 0) {
			if (start == LLONG_MIN || acc_line(q, &r, start) == -1)
				goto bad;
		} else if (strcmp(what, "alert") == 0) {
			if (get_ll(&r, &v) == -1 || v < 0 ||
			    (size_t)v >= q->nalerts || (key = get_key(q, &r)) <
			    0 || alert_set(q, (size_t)v, key, 1) == -1)
				goto bad;
		} else if (strcmp(what, "end") == 0 && n == 4)
			ended = 1;
		else
			goto bad;
	}
	if (ferror(fp)) {
		log_err("--state %s: %s", path, strerror(errno));
		st = EX_IOERR;
		goto out;
	}
	if (ended) {
		st = 0;
		goto out;
	}
bad:
	if (q->nkeys >= q->max_keys) {
		log_err("--state %s: holds more keys than --max-keys %zu",
		    path, q->max_keys);
		st = EX_CONFIG;
		goto out;
	}
	log_err("--state %s:%lu: not a checkpoint quote-window wrote%s",
	    path, r.lineno, ended || r.lineno == 0 ? "" :
	    " (cut short, or edited)");
	st = EX_DATAERR;
out:
	free(line);
	fclose(fp);
	return st;
}
