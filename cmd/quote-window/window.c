/*
 * window.c - quote-window's state: the keys, the open windows with one
 * accumulator per key, the watermark, and the bars (window.h).
 *
 * The watermark is the largest event time seen less --lateness.  A
 * window [s, s + size) closes when the watermark reaches s + size; its
 * bars are written then, in key order, so the output is a function of
 * the input alone.  A record whose earliest window has closed is late:
 * it is counted in no window (hopping windows included), and said.
 * With --top, each window's bars are followed by its largest movers.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jvjson.h"
#include "log.h"
#include "obuf.h"

#include "window.h"

void
qw_init(struct qw *q)
{
	q->max_t = LLONG_MIN;
	q->frontier = LLONG_MIN;
	q->next_emit = LLONG_MIN;
	q->seen = 0;
}

static void
win_free(struct win *w)
{
	free(w->slot);
	free(w->accs);
	free(w->keys);
}

void
qw_free(struct qw *q)
{
	size_t i;

	for (i = 0; i < q->nwins; i++)
		win_free(&q->wins[i]);
	free(q->wins);
	for (i = 0; i < q->nkeys; i++)
		free(q->key[i]);
	free(q->key);
	free(q->keylen);
	free(q->khash);
	for (i = 0; i < q->nsrcs; i++)
		free(q->srcs[i].topic);
	free(q->srcs);
}

struct src *
qw_src(struct qw *q, const char *topic, size_t topiclen, int partition)
{
	struct src *ns;
	size_t i;

	for (i = 0; i < q->nsrcs; i++)
		if (q->srcs[i].partition == partition &&
		    strlen(q->srcs[i].topic) == topiclen &&
		    memcmp(q->srcs[i].topic, topic, topiclen) == 0)
			return &q->srcs[i];
	if ((ns = realloc(q->srcs, (q->nsrcs + 1) * sizeof(*ns))) == NULL)
		return NULL;
	q->srcs = ns;
	ns = &q->srcs[q->nsrcs];
	memset(ns, 0, sizeof(*ns));
	if ((ns->topic = malloc(topiclen + 1)) == NULL)
		return NULL;
	memcpy(ns->topic, topic, topiclen);
	ns->topic[topiclen] = '\0';
	ns->partition = partition;
	ns->last = ns->first = -1;
	q->nsrcs++;
	return ns;
}

long long
qw_watermark(const struct qw *q)
{
	if (!q->seen || q->max_t < LLONG_MIN + q->lateness)
		return LLONG_MIN;
	return q->max_t - q->lateness;
}

/* ---- keys ---- */

static unsigned
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int
rehash(struct qw *q, size_t cap)
{
	unsigned *t = calloc(cap, sizeof(*t));
	size_t i, j;

	if (t == NULL)
		return -1;
	for (i = 0; i < q->nkeys; i++) {
		j = hash(q->key[i], q->keylen[i]) & (cap - 1);
		while (t[j] != 0)
			j = (j + 1) & (cap - 1);
		t[j] = (unsigned)i + 1;
	}
	free(q->khash);
	q->khash = t;
	q->khcap = cap;
	return 0;
}

/* The key's id, a new one if need be; -1 past --max-keys or out of memory. */
int
qw_key(struct qw *q, const char *k, size_t n)
{
	size_t j, id;
	char **nk;
	size_t *nl;

	if (q->khcap > 0) {
		j = hash(k, n) & (q->khcap - 1);
		for (; q->khash[j] != 0; j = (j + 1) & (q->khcap - 1)) {
			id = q->khash[j] - 1;
			if (q->keylen[id] == n && memcmp(q->key[id], k, n) == 0)
				return (int)id;
		}
	}
	if (q->nkeys >= q->max_keys) {
		log_err("more than %zu keys (--max-keys): the key %.*s is one "
		    "too many", q->max_keys, (int)(n > 80 ? 80 : n), k);
		return -1;
	}
	if (q->nkeys == q->capkeys) {
		id = q->capkeys ? q->capkeys * 2 : 64;
		if ((nk = realloc(q->key, id * sizeof(*nk))) == NULL)
			goto oom;
		q->key = nk;
		if ((nl = realloc(q->keylen, id * sizeof(*nl))) == NULL)
			goto oom;
		q->keylen = nl;
		q->capkeys = id;
	}
	if ((q->key[q->nkeys] = malloc(n + 1)) == NULL)
		goto oom;
	memcpy(q->key[q->nkeys], k, n);
	q->key[q->nkeys][n] = '\0';
	q->keylen[q->nkeys] = n;
	q->nkeys++;
	if (q->nkeys * 2 > q->khcap) {
		if (rehash(q, q->khcap ? q->khcap * 2 : 128) == -1) {
			free(q->key[--q->nkeys]);
			goto oom;
		}
	} else {
		j = hash(k, n) & (q->khcap - 1);
		while (q->khash[j] != 0)
			j = (j + 1) & (q->khcap - 1);
		q->khash[j] = (unsigned)q->nkeys;
	}
	return (int)q->nkeys - 1;
oom:
	log_err("out of memory");
	return -1;
}

/* ---- windows ---- */

/* The window starting at start, made if it is not open; NULL: no memory. */
static struct win *
win_get(struct qw *q, long long start)
{
	size_t lo = 0, hi = q->nwins, mid;
	struct win *nw;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (q->wins[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < q->nwins && q->wins[lo].start == start)
		return &q->wins[lo];
	if (q->nwins == q->capwins) {
		mid = q->capwins ? q->capwins * 2 : 16;
		if ((nw = realloc(q->wins, mid * sizeof(*nw))) == NULL)
			return NULL;
		q->wins = nw;
		q->capwins = mid;
	}
	memmove(&q->wins[lo + 1], &q->wins[lo],
	    (q->nwins - lo) * sizeof(*q->wins));
	q->nwins++;
	memset(&q->wins[lo], 0, sizeof(q->wins[lo]));
	q->wins[lo].start = start;
	return &q->wins[lo];
}

/* The key's accumulator in w, a new one if need be. */
static struct acc *
acc_get(struct qw *q, struct win *w, int id)
{
	size_t n, i;
	int *ns;

	if ((size_t)id >= w->nslot) {
		n = q->capkeys > (size_t)id ? q->capkeys : (size_t)id + 1;
		if ((ns = realloc(w->slot, n * sizeof(*ns))) == NULL)
			return NULL;
		for (i = w->nslot; i < n; i++)
			ns[i] = -1;
		w->slot = ns;
		w->nslot = n;
	}
	if (w->slot[id] >= 0)
		return &w->accs[w->slot[id]];
	if (w->nacc == w->capacc) {
		struct acc *na;

		n = w->capacc ? w->capacc * 2 : 8;
		if ((na = realloc(w->accs, n * sizeof(*na))) == NULL ||
		    (ns = realloc(w->keys, n * sizeof(*ns))) == NULL) {
			if (na != NULL)
				w->accs = na;
			return NULL;
		}
		w->accs = na;
		w->keys = ns;
		w->capacc = n;
	}
	memset(&w->accs[w->nacc], 0, sizeof(w->accs[0]));
	w->keys[w->nacc] = id;
	w->slot[id] = (int)w->nacc;
	return &w->accs[w->nacc++];
}

struct acc *
qw_acc(struct qw *q, long long start, int key)
{
	struct win *w = win_get(q, start);

	return w != NULL ? acc_get(q, w, key) : NULL;
}

static void
acc_add(struct acc *a, long long t, const struct price *p,
    const struct price *vol)
{
	double d;

	if (a->count++ == 0) {
		a->open = a->close = a->high = a->low = *p;
		a->open_t = a->close_t = t;
		a->mean = p->v;
	} else {
		/* Equal times: the first to arrive opens, the last closes. */
		if (t < a->open_t) {
			a->open = *p;
			a->open_t = t;
		}
		if (t >= a->close_t) {
			a->close = *p;
			a->close_t = t;
		}
		if (p->v > a->high.v)
			a->high = *p;
		if (p->v < a->low.v)
			a->low = *p;
		d = p->v - a->mean;
		a->mean += d / (double)a->count;
		a->m2 += d * (p->v - a->mean);
	}
	if (vol != NULL) {
		a->pv += p->v * vol->v;
		a->v += vol->v;
		a->volumes++;
	}
}

/* floor((t - align) / slide) * slide + align, for any sign. */
static long long
align_floor(const struct qw *q, long long t)
{
	long long x = t - q->align, k = x / q->slide;

	if (x % q->slide != 0 && x < 0)
		k--;
	return k * q->slide + q->align;
}

int
qw_add(struct qw *q, const char *key, size_t klen, long long t,
    const struct price *p, const struct price *vol)
{
	long long first = align_floor(q, t), s, earliest = first;
	struct win *w;
	struct acc *a;
	int id;

	while (earliest - q->slide + q->size > t)
		earliest -= q->slide;
	/* Late: its earliest window is closed (by the watermark, --idle). */
	if ((q->seen && earliest + q->size <= qw_watermark(q)) ||
	    earliest + q->size <= q->frontier) {
		q->nlate++;
		return 1;
	}
	if ((id = qw_key(q, key, klen)) < 0)
		return -1;
	for (s = first; s >= earliest; s -= q->slide) {
		if ((w = win_get(q, s)) == NULL || (a = acc_get(q, w, id)) ==
		    NULL) {
			log_err("out of memory");
			return -1;
		}
		acc_add(a, t, p, vol);
	}
	if (!q->seen || t > q->max_t)
		q->max_t = t;
	q->seen = 1;
	q->nrecords++;
	return 0;
}

/* ---- bars ---- */

/* n in decimal, into buf (24 bytes); its length. */
static size_t
utoa(unsigned long long n, char *buf)
{
	char t[24];
	size_t i = 0, j;

	do
		t[i++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	for (j = 0; j < i; j++)
		buf[j] = t[i - 1 - j];
	return i;
}

/*
 * A computed value (mean, stddev, change, pct_change, vwap) in 15
 * significant digits, trailing zeros dropped; null if not finite.  The
 * usual magnitudes are written from a 15-digit integer: glibc's exact
 * %g was most of a bar's cost.  Prices themselves are written as read.
 */
static void
put_double(struct obuf *o, double x)
{
	static const double p10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20
	};
	char dig[20], buf[48], *b = buf;
	double ax = fabs(x);
	long long d;
	int e, i, n, point;

	if (!isfinite(x)) {
		obuf_puts(o, "null");
		return;
	}
	if (ax == 0) {
		obuf_putc(o, '0');
		return;
	}
	if (ax < 1e-6 || ax >= 1e14) {
		snprintf(buf, sizeof(buf), "%.15g", x);
		obuf_puts(o, buf);
		return;
	}
	/* e: 10^e <= ax < 10^(e+1) */
	if (ax >= 1)
		for (e = 0; e < 13 && ax >= p10[e + 1]; e++)
			;
	else
		for (e = -1; e > -6 && ax * p10[-e] < 1; e--)
			;
	d = llround(ax * p10[14 - e]);
	if (d >= 1000000000000000LL) {	/* rounded up to 10^15 */
		d /= 10;
		e++;
	}
	n = (int)utoa((unsigned long long)d, dig);	/* 15 digits */
	while (n > 1 && dig[n - 1] == '0' && n > e + 1)
		n--;			/* trailing zeros of the fraction */
	if (x < 0)
		*b++ = '-';
	point = e + 1;			/* digits before the point */
	if (point <= 0) {
		*b++ = '0';
		*b++ = '.';
		for (i = point; i < 0; i++)
			*b++ = '0';
		memcpy(b, dig, (size_t)n);
		b += n;
	} else {
		for (i = 0; i < n || i < point; i++) {
			if (i == point)
				*b++ = '.';
			*b++ = i < n ? dig[i] : '0';
		}
	}
	obuf_write(o, buf, (size_t)(b - buf));
}

static void
put_price(struct obuf *o, const struct price *p)
{
	if (p->text[0] != '\0')
		obuf_puts(o, p->text);
	else
		put_double(o, p->v);
}

static const struct qw *sort_q;		/* qsort has no context argument */
static const struct win *sort_w;

static int
by_key(const void *x, const void *y)
{
	int a = sort_w->keys[*(const int *)x], b = sort_w->keys[*(const int *)y];
	size_t la = sort_q->keylen[a], lb = sort_q->keylen[b];
	int c = memcmp(sort_q->key[a], sort_q->key[b], la < lb ? la : lb);

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* Digits after the point in a price's text; -1: none kept, or exponent. */
static int
decimals(const struct price *p)
{
	const char *dot;

	if (p->text[0] == '\0' || strpbrk(p->text, "eE") != NULL)
		return -1;
	return (dot = strchr(p->text, '.')) != NULL ? (int)strlen(dot + 1) : 0;
}

/*
 * close less open, rounded to the prices' own decimals (12284.74 less
 * 12311.95 is -27.21, not binary's -27.2100000000009).
 */
static double
change(const struct acc *a)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12 };
	double c = a->close.v - a->open.v, r;
	int d = decimals(&a->open), e = decimals(&a->close);

	if (d < 0 || e < 0)
		return c;
	if (e > d)
		d = e;
	if (d > 12)
		return c;
	r = round(c * p10[d]) / p10[d];
	return fabs(r - c) < 1e-6 * (fabs(c) + 1) ? r : c;
}

static jv
num(double x)
{
	return isfinite(x) ? jv_number(x) : jv_null();
}

/* The bar as a jq value, for --alert's filters. */
static jv
bar_jv(const struct qw *q, const struct acc *a, const char *k, size_t kl,
    const char *ws, const char *we, const char *id, size_t idlen)
{
	jv b = jv_object();

	b = jv_object_set(b, jv_string("type"), jv_string("bar"));
	b = jv_object_set(b, jv_string(q->key_name), jvjson_parse(k, kl));
	b = jv_object_set(b, jv_string("window_start"), jv_string(ws));
	b = jv_object_set(b, jv_string("window_end"), jv_string(we));
	b = jv_object_set(b, jv_string("count"), jv_number((double)a->count));
	b = jv_object_set(b, jv_string("open"), jv_number(a->open.v));
	b = jv_object_set(b, jv_string("high"), jv_number(a->high.v));
	b = jv_object_set(b, jv_string("low"), jv_number(a->low.v));
	b = jv_object_set(b, jv_string("close"), jv_number(a->close.v));
	b = jv_object_set(b, jv_string("mean"), num(a->mean));
	b = jv_object_set(b, jv_string("stddev"),
	    num(sqrt(a->m2 / (double)a->count)));
	b = jv_object_set(b, jv_string("change"), num(change(a)));
	b = jv_object_set(b, jv_string("pct_change"), num(a->open.v != 0 ?
	    (a->close.v - a->open.v) / a->open.v * 100 : NAN));
	if (q->volume)
		b = jv_object_set(b, jv_string("vwap"),
		    num(a->volumes > 0 && a->v != 0 ? a->pv / a->v : NAN));
	return jv_object_set(b, jv_string("id"), jv_string_sized(id,
	    (int)idlen));
}

/*
 * One bar.  wpart is the window's part of it, made once per window:
 * ,"window_start":"...","window_end":"...","count":
 */
static void
bar(struct qw *q, const struct win *w, int i, const char *ws, const char *we,
    const char *wpart, int final)
{
	const struct acc *a = &w->accs[i];
	const char *k = q->key[w->keys[i]];
	size_t kl = q->keylen[w->keys[i]];
	double chg = a->close.v - a->open.v;
	char num[24], *id;
	size_t n;

	obuf_puts(&q->out, final ? "{\"type\":\"bar\"," :
	    "{\"type\":\"update\",");
	obuf_json_string(&q->out, q->key_name, strlen(q->key_name));
	obuf_putc(&q->out, ':');
	obuf_write(&q->out, k, kl);
	obuf_puts(&q->out, wpart);
	obuf_write(&q->out, num, utoa((unsigned long long)a->count, num));
	obuf_puts(&q->out, ",\"open\":");
	put_price(&q->out, &a->open);
	obuf_puts(&q->out, ",\"high\":");
	put_price(&q->out, &a->high);
	obuf_puts(&q->out, ",\"low\":");
	put_price(&q->out, &a->low);
	obuf_puts(&q->out, ",\"close\":");
	put_price(&q->out, &a->close);
	obuf_puts(&q->out, ",\"mean\":");
	put_double(&q->out, a->mean);
	obuf_puts(&q->out, ",\"stddev\":");
	put_double(&q->out, sqrt(a->m2 / (double)a->count));
	obuf_puts(&q->out, ",\"change\":");
	put_double(&q->out, change(a));
	obuf_puts(&q->out, ",\"pct_change\":");
	put_double(&q->out, a->open.v != 0 ? chg / a->open.v * 100 : NAN);
	if (q->volume) {
		obuf_puts(&q->out, ",\"vwap\":");
		put_double(&q->out, a->volumes > 0 && a->v != 0 ?
		    a->pv / a->v : NAN);
	}
	/*
	 * id: the key (a string's own text: the key is kept in the
	 * writer's spelling, so its inside is a JSON string's) @ the
	 * window's start.
	 */
	obuf_puts(&q->out, ",\"id\":\"");
	if (k[0] == '"')
		obuf_write(&q->out, k + 1, kl - 2);
	else
		obuf_write(&q->out, k, kl);
	obuf_putc(&q->out, '@');
	obuf_puts(&q->out, ws);
	obuf_puts(&q->out, "\"}\n");
	if (!final) {
		q->nupdates++;
		return;
	}
	q->nbars++;
	if (q->nalerts > 0 && (id = malloc(kl + 64)) != NULL) {
		/* the id decoded, for the alert line and the filter */
		n = k[0] == '"' ? json_unescape(k, kl, id) : kl;
		if (k[0] != '"')
			memcpy(id, k, kl);
		n += (size_t)snprintf(id + n, 64, "@%s", ws);
		alert_bar(q, w->keys[i], ws, we, id, n, bar_jv(q, a, k, kl, ws,
		    we, id, n));
		free(id);
	}
}

static double
pct(const struct acc *a)
{
	return a->open.v != 0 ? (a->close.v - a->open.v) / a->open.v * 100 :
	    NAN;
}

static const struct win *top_w;

/* The largest absolute pct_change first; equal ones in key order. */
static int
by_move(const void *x, const void *y)
{
	int i = *(const int *)x, j = *(const int *)y;
	double a = fabs(pct(&top_w->accs[i])), b = fabs(pct(&top_w->accs[j]));

	if (a != b)
		return a > b ? -1 : 1;
	return by_key(x, y);
}

/*
 * --top N: one line for the window, its N largest movers by absolute
 * pct_change (order holds the window's accs in key order).
 */
static void
top(struct qw *q, const struct win *w, int *order)
{
	char ws[40], we[40];
	size_t i, n = 0;
	const struct acc *a;

	for (i = 0; i < w->nacc; i++)
		if (isfinite(pct(&w->accs[order[i]])))
			order[n++] = order[i];
	if (n == 0)
		return;
	top_w = w;
	qsort(order, n, sizeof(*order), by_move);
	evtime_format(w->start, ws, sizeof(ws));
	evtime_format(w->start + q->size, we, sizeof(we));
	obuf_printf(&q->out, "{\"type\":\"top\",\"window_start\":\"%s\","
	    "\"window_end\":\"%s\",\"movers\":[", ws, we);
	for (i = 0; i < n && i < (size_t)q->top; i++) {
		a = &w->accs[order[i]];
		obuf_puts(&q->out, i ? ",{" : "{");
		obuf_json_string(&q->out, q->key_name, strlen(q->key_name));
		obuf_putc(&q->out, ':');
		obuf_write(&q->out, q->key[w->keys[order[i]]],
		    q->keylen[w->keys[order[i]]]);
		obuf_puts(&q->out, ",\"pct_change\":");
		put_double(&q->out, pct(a));
		obuf_puts(&q->out, ",\"change\":");
		put_double(&q->out, change(a));
		obuf_puts(&q->out, ",\"open\":");
		put_price(&q->out, &a->open);
		obuf_puts(&q->out, ",\"close\":");
		put_price(&q->out, &a->close);
		obuf_putc(&q->out, '}');
	}
	obuf_printf(&q->out, "],\"id\":\"top@%s\"}\n", ws);
}

/*
 * Write a window's bars in key order (its top movers after them), or
 * for --emit its running updates.
 */
static void
bars(struct qw *q, const struct win *w, int final)
{
	char ws[40], we[40], wpart[128];
	int *order;
	size_t i;

	evtime_format(w->start, ws, sizeof(ws));
	evtime_format(w->start + q->size, we, sizeof(we));
	snprintf(wpart, sizeof(wpart), ",\"window_start\":\"%s\","
	    "\"window_end\":\"%s\",\"count\":", ws, we);
	if ((order = malloc((w->nacc ? w->nacc : 1) * sizeof(*order))) != NULL) {
		for (i = 0; i < w->nacc; i++)
			order[i] = (int)i;
		sort_q = q;
		sort_w = w;
		qsort(order, w->nacc, sizeof(*order), by_key);
		for (i = 0; i < w->nacc; i++)
			bar(q, w, order[i], ws, we, wpart, final);
		if (q->top > 0 && final)
			top(q, w, order);
		free(order);
	} else
		for (i = 0; i < w->nacc; i++)
			bar(q, w, (int)i, ws, we, wpart, final);
}

/* Write the bars of the first open window and drop it. */
static void
close_first(struct qw *q)
{
	struct win *w = &q->wins[0];

	bars(q, w, 1);
	if (w->start + q->size > q->frontier)
		q->frontier = w->start + q->size;
	win_free(w);
	memmove(&q->wins[0], &q->wins[1], (q->nwins - 1) * sizeof(*q->wins));
	q->nwins--;
}

void
qw_advance(struct qw *q)
{
	long long wm = qw_watermark(q), e = q->emit_every, k;

	while (q->nwins > 0 && q->wins[0].start + q->size <= wm)
		close_first(q);
	if (e == 0 || !q->seen)
		return;
	/*
	 * --emit every=E: updates each time the largest event time passes
	 * a multiple of E (event time too: a replay updates as live did).
	 */
	k = q->max_t / e - (q->max_t % e < 0);
	if (q->next_emit != LLONG_MIN && q->max_t >= q->next_emit)
		qw_updates(q);
	if (q->next_emit == LLONG_MIN || q->max_t >= q->next_emit)
		q->next_emit = (k + 1) * e;
}

void
qw_updates(struct qw *q)
{
	size_t i;

	for (i = 0; i < q->nwins; i++)
		bars(q, &q->wins[i], 0);
}

void
qw_close_all(struct qw *q)
{
	while (q->nwins > 0)
		close_first(q);
}
