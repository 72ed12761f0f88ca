/*
 * window.h - quote-window's rooms.  main.c: options and the input, each
 * record's key, event time and price found (evtime.c reads the times);
 * window.c: the open windows, the watermark, and the bars written when
 * the watermark passes a window's end; state.c: the checkpoint of all
 * that (--state).
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

/* A Kafka partition the envelopes came from (window.h, state.c). */
struct src {
	char		*topic;
	int		 partition;
	long long	 last;		/* the last offset taken, -1: none */
	long long	 first;		/* the first taken since the last ack */
	unsigned long	 n;		/* taken since the last ack */
};

struct qw {
	/* options */
	long long	 size, slide, align, lateness;	/* µs */
	const char	*key_name;	/* the bar's field for the key */
	const char	*path[3];	/* --key, --time, --price (state.c) */
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
	long long	 emit_every;	/* --emit every=, 0: at close only */
	long long	 next_emit;	/* max_t at which updates are due */
	/* the partitions of envelopes taken */
	struct src	*srcs;
	size_t		 nsrcs;
	/* output */
	struct obuf	 out;
	unsigned long	 nbars, nupdates, nlate, nrecords, nalerts_out;
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
/* --emit every=: each open window's bars so far, as "update" lines. */
void	qw_updates(struct qw *);
long long qw_watermark(const struct qw *);
/* For state.c: a key's id (made), -1; a key's accumulator in the window
 * starting at start (made), NULL. */
int	qw_key(struct qw *, const char *key, size_t klen);
struct acc *qw_acc(struct qw *, long long start, int key);
/* The partition's entry, made if need be (NULL: no memory). */
struct src *qw_src(struct qw *, const char *topic, size_t topiclen,
	    int partition);

/* state.c: --state FILE */
/*
 * Read the checkpoint into q (fresh, options set): 0, or an EX_ status
 * (said): EX_NOINPUT unreadable, EX_DATAERR not a checkpoint,
 * EX_CONFIG written with other options.  A missing file is 0.
 */
int	state_load(struct qw *, const char *path);
/* Write it atomically (temporary file, fsync, rename, fsync the
 * directory): 0, or -1 with errno. */
int	state_save(const struct qw *, const char *path);

/* alert.c */
int	alert_add(struct qw *, const char *filter);
void	alert_free(struct qw *);
/* A bar of key (consumed): the alerts that turn true on it written. */
void	alert_bar(struct qw *, int key, const char *ws, const char *we,
	    const char *id, size_t idlen, jv bar);
/* Whether alert i was true on key's last bar; set it (0, -1: memory). */
int	alert_on(const struct qw *, size_t i, int key);
int	alert_set(struct qw *, size_t i, int key, int on);

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
