/*
 * kprod.h - what kprod's files share: the run's state (struct kprod),
 * produce.c (input to librdkafka) and deliver.c (what became of each
 * message, and the summary that makes the exit status).
 */
#ifndef KPROD_H
#define KPROD_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "jsonl.h"
#include "obuf.h"

#define KPROD_MAX_HEADERS	64
#define KPROD_MAX_REASONS	8
#define KPROD_BATCH		256	/* messages handed over per call */
#define KPROD_NO_ARENA		((size_t)-1)
#define KPROD_STOP_MS		300	/* kept back from the deadline to exit */

struct json_path;

struct kprod {
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*rkt;
	const char		*topic;
	int32_t			 partition;
	struct json_path	*keypath;	/* -k */
	const char		*key_literal;	/* --key-literal; argv's */
	size_t			 key_literal_len;
	char			*key_delim;	/* -K, decoded; kprod's */
	size_t			 key_delim_len;
	int			 envelope;	/* --envelope */
	int			 envelope_partition; /* -p envelope */
	char			*scratch;	/* an envelope's members, decoded */
	size_t			 scratchcap;
	const char		*hnames[KPROD_MAX_HEADERS];
	const char		*hvalues[KPROD_MAX_HEADERS];
	size_t			 nheaders;
	int			 raw, report;
	struct cli_input	 in;		/* the input, what was read */

	struct obuf		 out;		/* stdout: reports */
	struct obuf		 failed;	/* --failed FILE */
	int			 have_failed;
	const char		*failed_path;

	/*
	 * Lines waiting to be handed to librdkafka in one call.  Values and
	 * most keys point into the reader's buffer, valid until its wait
	 * hook runs; keys that had to be unescaped live in arena.
	 */
	rd_kafka_message_t	 batch[KPROD_BATCH];
	size_t			 keyoff[KPROD_BATCH];
	size_t			 nbatch;
	char			*arena;
	size_t			 arenalen, arenacap;
	size_t			 batch_bytes;
	long long		 queue_max;	/* queue.buffering.max.messages */
	unsigned long long	 queue_max_bytes; /* ... .max.kbytes */
	unsigned long long	 queued_bytes;	/* ours, not yet reported */

	unsigned long		 naccepted, nsent;
	unsigned long		 ndelivered, nfailed;
	unsigned long		 npossibly;	/* failed, maybe persisted */
	unsigned long long	 bytes;
	double			 latency_us;	/* sum over delivered */
	struct {
		rd_kafka_resp_err_t	err;
		unsigned long		n;
	} reasons[KPROD_MAX_REASONS];
	int			 fatal;

	long long		 timeout_ms;	/* message.timeout.ms */
	long long		 deadline;	/* epoch ms to stop at; 0: none */
	int			 deadline_hit;
	char			 broker_err[512]; /* the last broker error */
	char			 brokers[256];	/* bootstrap.servers */
};

/*
 * An input line kept with its message (the msg_opaque) when the value is
 * not the line (-K, --envelope) and --failed wants the line back: the
 * line goes to --failed as it was read, so that it can be read again
 * with the same options.  Freed when the message's fate is known.
 */
struct kprod_line {
	size_t		 len;
	char		 buf[];
};

/* ---- produce.c ---- */

/*
 * Read one input to its end (or a stop) and produce its lines.  Returns
 * 0 to go on with the next input, -1 to stop reading altogether.
 */
int	kprod_input(struct kprod *, const char *path);

/* ---- deliver.c ---- */

/* Serve delivery reports and errors to k (before rd_kafka_new). */
void	kprod_callbacks(rd_kafka_conf_t *, struct kprod *k);

/*
 * A message librdkafka refused before queueing it: undelivered.  line is
 * what --failed gets; kept (may be NULL) is freed.
 */
void	kprod_refused(struct kprod *, const char *line, size_t len,
	    const char *key, size_t klen, struct kprod_line *kept,
	    rd_kafka_resp_err_t);

/* Has the deadline come?  Once it has, it stays come. */
int	kprod_deadline_passed(struct kprod *);


/* A poll(2) timeout: want (-1: none), shortened to the deadline. */
int	kprod_poll_ms(struct kprod *, int want);

/* Wait for the fate of every queued message (or purge them). */
void	kprod_drain(struct kprod *);

/* QP_STATS: records in, delivered, failed, bad, bytes, latency. */
void	kprod_stats(struct kprod *, int final);

/*
 * Say what was not delivered and why; EX_UNAVAILABLE if anything was
 * not, else 0.
 */
int	kprod_failures(struct kprod *);

#endif
