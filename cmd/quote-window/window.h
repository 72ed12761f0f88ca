/*
 * window.h - quote-window's rooms.  main.c: options and the input, each
 * record's key, event time and price found (evtime.c reads the times);
 * window.c: the open windows, the watermark, and the bars written when
 * the watermark passes a window's end.
 *
 * Times are microseconds since the epoch, UTC.  Windows are global (every
 * key has the same boundaries): [start, start + size), start = align +
 * k * slide.  A window holds one accumulator per key that has a record in
 * it.
 */
#ifndef QW_WINDOW_H
#define QW_WINDOW_H

#include <stddef.h>

#include <jv.h>

#include "obuf.h"

struct alert;

#define NUM_TEXT	32	/* a price's own JSON text, kept when shorter */

/* A price as the record wrote it, and its value. */
struct price {
	double	 v;
	char	 text[NUM_TEXT];	/* "" when too long: v is formatted */
};

/* One key's bar in one window. */
struct acc {
	long long	 count;
	struct price	 open, close, high, low;
	long long	 open_t, close_t;	/* their event times */
	double		 mean, m2;		/* Welford */
	double		 pv, v;			/* vwap: sum p*v, sum v */
	int		 volumes;		/* records with a volume */
};

struct win {
	long long	 start;
	int		*slot;		/* key id -> acc index, -1: none */
	size_t		 nslot;
	struct acc	*accs;
	int		*keys;		/* acc index -> key id */
	size_t		 nacc, capacc;
};

struct qw {
	/* options */
	long long	 size, slide, align, lateness;	/* µs */
	const char	*key_name;	/* the bar's field for the key */
	size_t		 max_keys;
	int		 volume;	/* --volume given */
	int		 top;		/* --top N, 0: none */
	struct alert	*alerts;	/* --alert FILTER..., alert.c's */
	size_t		 nalerts;
	/* keys: interned JSON texts */
	char		**key;
	size_t		*keylen;
	size_t		 nkeys, capkeys;
	unsigned	*khash;		/* open addressing: key id + 1, 0 free */
	size_t		 khcap;
	/* windows open, by start */
	struct win	*wins;
	size_t		 nwins, capwins;
	long long	 max_t;		/* largest event time seen */
	long long	 frontier;	/* the latest end of a closed window */
	int		 seen;
	/* output */
	struct obuf	 out;
	unsigned long	 nbars, nlate, nrecords, nalerts_out;
};

/* window.c */
void	qw_init(struct qw *);
void	qw_free(struct qw *);
/*
 * Count one record: 0, 1 when it is late (all or some of its windows
 * closed already: counted nowhere), -1 when --max-keys is reached or
 * memory runs out (said).
 */
int	qw_add(struct qw *, const char *key, size_t klen, long long t,
	    const struct price *, const struct price *volume);
/* Write the bars of every window the watermark has passed. */
void	qw_advance(struct qw *);
/* End of input (or --idle): every open window closes. */
void	qw_close_all(struct qw *);
long long qw_watermark(const struct qw *);

/* alert.c */
int	alert_add(struct qw *, const char *filter);
void	alert_free(struct qw *);
/* A bar of key (consumed): the alerts that turn true on it written. */
void	alert_bar(struct qw *, int key, const char *ws, const char *we,
	    const char *id, size_t idlen, jv bar);

/* evtime.c */
/*
 * An event time: a JSON string in ISO 8601 ("2023-05-12T21:16:26.5+02:00",
 * "2023-05-12 21:16:26", "2023-05-12"; no zone is UTC) or a number of
 * epoch seconds (milliseconds above 1e11).  0, or -1.
 */
int	evtime_parse(const char *val, size_t vlen, int is_string,
	    long long *us);
/* Write t as ISO 8601 UTC with a Z (milliseconds when t has any). */
void	evtime_format(long long us, char *buf, size_t len);
/* A duration such as "90", "90s", "5m", "1h", "1d", "250ms": µs.  0, -1. */
int	duration_parse(const char *s, long long *us);

#endif
