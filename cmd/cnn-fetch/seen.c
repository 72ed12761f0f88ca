/*
 * seen.c - open addressing with linear probing; the table doubles at
 * half full.  Entries are never removed: the set of symbols is small
 * and stable.  Each key keeps the stamps of the last answer that had it
 * (CNN's answer can hold one symbol twice, with two last_updated) and of
 * the answer being read; an answer drops the stamps older than the last.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "jsonl.h"

#include "seen.h"

struct stamps {
	char	**v;		/* each one malloc'd, its length in len[] */
	size_t	 *len, n;
};

struct entry {
	char		*key;
	size_t		 klen;
	uint64_t	 hash;
	struct stamps	 last, now;	/* the last answer's, this one's */
	unsigned long	 gen;		/* the answer now belongs to */
};

struct seen {
	struct entry	*tab;
	size_t		 cap, n;	/* cap is a power of two */
	unsigned long	 gen;		/* answers begun */
};

static uint64_t
fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

struct seen *
seen_new(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cap = 64;
	if ((s->tab = calloc(s->cap, sizeof(*s->tab))) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static void
stamps_clear(struct stamps *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->v[i]);
	free(st->v);
	free(st->len);
	memset(st, 0, sizeof(*st));
}

static int
stamps_has(const struct stamps *st, const char *stamp, size_t slen)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->len[i] == slen && memcmp(st->v[i], stamp, slen) == 0)
			return 1;
	return 0;
}

/* Returns 0, or -1 if out of memory (then st is unchanged). */
static int
stamps_add(struct stamps *st, const char *stamp, size_t slen)
{
	char **nv, *p;
	size_t *nl;

	if ((p = malloc(slen ? slen : 1)) == NULL)
		return -1;
	memcpy(p, stamp, slen);
	if ((nv = realloc(st->v, (st->n + 1) * sizeof(*nv))) == NULL) {
		free(p);
		return -1;
	}
	st->v = nv;
	if ((nl = realloc(st->len, (st->n + 1) * sizeof(*nl))) == NULL) {
		free(p);
		return -1;
	}
	st->len = nl;
	st->v[st->n] = p;
	st->len[st->n++] = slen;
	return 0;
}

void
seen_free(struct seen *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++) {
		free(s->tab[i].key);
		stamps_clear(&s->tab[i].last);
		stamps_clear(&s->tab[i].now);
	}
	free(s->tab);
	free(s);
}

void
seen_next(struct seen *s)
{
	s->gen++;
}

static struct entry *
slot(struct entry *tab, size_t cap, uint64_t h, const char *key,
    size_t klen)
{
	size_t i = (size_t)h & (cap - 1);

	while (tab[i].key != NULL && (tab[i].hash != h ||
	    tab[i].klen != klen || memcmp(tab[i].key, key, klen) != 0))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int
grow(struct seen *s)
{
	struct entry *nt, *e;
	size_t i, ncap = s->cap * 2;

	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < s->cap; i++)
		if (s->tab[i].key != NULL) {
			e = slot(nt, ncap, s->tab[i].hash, s->tab[i].key,
			    s->tab[i].klen);
			*e = s->tab[i];
		}
	free(s->tab);
	s->tab = nt;
	s->cap = ncap;
	return 0;
}

int
seen_update(struct seen *s, const char *key, size_t klen,
    const char *stamp, size_t slen)
{
	uint64_t h = fnv1a(key, klen);
	struct entry *e;
	int changed;

	if (s->n + 1 > s->cap / 2 && grow(s) == -1)
		return 1;
	e = slot(s->tab, s->cap, h, key, klen);
	if (e->key == NULL) {
		if ((e->key = malloc(klen ? klen : 1)) == NULL)
			return 1;
		memcpy(e->key, key, klen);
		e->klen = klen;
		e->hash = h;
		e->gen = s->gen;
		s->n++;
	}
	if (e->gen != s->gen) {		/* the first time in this answer */
		stamps_clear(&e->last);
		e->last = e->now;
		memset(&e->now, 0, sizeof(e->now));
		e->gen = s->gen;
	}
	if (stamps_has(&e->now, stamp, slen))
		return 0;		/* twice in one answer: decided */
	changed = !stamps_has(&e->last, stamp, slen);
	if (stamps_add(&e->now, stamp, slen) == -1)
		return 1;
	return changed;
}

int
seen_load(struct seen *s, const char *path)
{
	struct json_path *pk, *ps;
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line, *k, *v;
	size_t len, klen, vlen;
	char err[64];
	int bad = 0;

	if (jsonl_open_path(&r, path, JSONL_DEFAULT_MAX_LINE) == -1)
		return errno == ENOENT ? 0 : -1;
	r.validate = 1;
	pk = json_path_compile(".key", err, sizeof(err));
	ps = json_path_compile(".stamp", err, sizeof(err));
	while ((st = jsonl_next(&r, &line, &len)) != JSONL_EOF &&
	    st != JSONL_ERROR) {
		if (st == JSONL_LINE && pk != NULL && ps != NULL &&
		    json_lookup(line, len, pk, &k, &klen) != JSON_MISSING &&
		    json_lookup(line, len, ps, &v, &vlen) != JSON_MISSING)
			(void)seen_update(s, k, klen, v, vlen);
		else
			bad++;
	}
	json_path_free(pk);
	json_path_free(ps);
	jsonl_close(&r);
	return st == JSONL_ERROR ? -1 : bad;
}

int
seen_save(const struct seen *s, const char *path)
{
	char tmp[4096];
	FILE *fp;
	size_t i, j;
	int fail;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	for (i = 0; i < s->cap; i++)
		for (j = 0; j < s->tab[i].now.n; j++)
			fprintf(fp, "{\"key\":%.*s,\"stamp\":%.*s}\n",
			    (int)s->tab[i].klen, s->tab[i].key,
			    (int)s->tab[i].now.len[j], s->tab[i].now.v[j]);
	fail = fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0;
	if (fclose(fp) != 0)
		fail = 1;
	if (fail || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
