/*
 * kcons.h - what kcons's rooms share: main.c consumes and prints;
 * parts.c knows the partitions, where they start and which are at
 * their end; ack.c (--commit-acks) reads s3put's ack lines in a thread
 * of its own and commits what they name.  The two threads share joined,
 * stopping and ncommits (atomics); the ack thread owns nack_errors until
 * it is joined; both use rk, which librdkafka allows.  Under mu: the
 * partitions (the main thread changes them, the ack thread asks), and a
 * revoke's handshake: the main thread writes one control line per
 * partition revoked and waits until the ack thread has read as many
 * answers (wire.h).
 */
#ifndef KCONS_KCONS_H
#define KCONS_KCONS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "obuf.h"

#define KCONS_MAX_TOPICS	32

/* One assigned partition and whether it has reached its end. */
struct kcons_part {
	char	*topic;
	int32_t	 partition;
	int	 at_eof;
	int64_t	 written;	/* next offset after the last written, or -1 */
};

struct kcons {
	rd_kafka_t		*rk;
	const char		*topics[KCONS_MAX_TOPICS];
	size_t			 ntopics;
	const char		*group;
	int			 envelope, exit_eof;
	long long		 count;		/* -c, 0 = no limit */
	long long		 partition;	/* -p, -1 = every one */
	int			 store_written;	/* parts_store_written */
	struct kfmt		*format;	/* -f, or NULL */
	const char		*format_opt;	/* "-f" or "-K": which */
	struct obuf		 out;

	struct kcons_part	*parts;
	size_t			 nparts, neof;
	atomic_int		 joined;	/* an assignment happened */
	atomic_int		 stopping;	/* the consume loop has ended */
	atomic_int		 halt;		/* a revoke went unanswered */

	unsigned long		 nmsgs;
	unsigned long long	 bytes;
	int			 status;

	/* --commit-acks */
	const char		*ackpath;
	pthread_t		 ack_thread;
	atomic_int		 ack_done;
	atomic_int		 ack_abandon;
	atomic_ulong		 ncommits;	/* read by QP_STATS too */
	unsigned long		 nack_errors;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	long long		 revoke_id;	/* the handshake under way */
	long long		 handshake_ms;	/* its longest wait */
	int			 answers_due;
};

/* Where -o starts each partition. */
struct kcons_start {
	int64_t	 offset;	/* RD_KAFKA_OFFSET_* or absolute */
	int64_t	 time_ms;	/* s@MS, else -1 */
};

/* parts.c */
struct kcons_part *part_find(struct kcons *, const char *topic,
	    int32_t partition);
void	parts_clear(struct kcons *);
void	parts_add(struct kcons *, const rd_kafka_topic_partition_list_t *);
void	parts_remove(struct kcons *, const rd_kafka_topic_partition_list_t *);
void	parts_store_written(struct kcons *);
int	part_owned(struct kcons *, const char *topic, int32_t partition);
int	parse_offset(const char *, struct kcons_start *);
int	assign_all(struct kcons *, const struct kcons_start *);

/*
 * format.c: kcat's -f format strings.  kfmt_compile returns NULL with
 * why filled for a string kcat would refuse too; caller frees with
 * kfmt_free.
 */
struct kfmt;
struct kfmt *kfmt_compile(const char *, char *why, size_t whylen);
void	kfmt_free(struct kfmt *);
void	kfmt_put(struct obuf *, const struct kfmt *,
	    const rd_kafka_message_t *);

/* ack.c: the thread that reads ack lines from ackpath and commits. */
void	*ack_main(void *);

#endif
