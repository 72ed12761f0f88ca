/*
 * kcons.h - what kcons's two rooms share: main.c consumes and prints,
 * ack.c (--commit-acks) reads s3put's ack lines in a thread of its own
 * and commits what they name.  The ack thread reads joined and
 * stopping (atomics) and owns ncommits and nack_errors until it is
 * joined; both threads use rk, which librdkafka allows.
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
};

struct kcons {
	rd_kafka_t		*rk;
	const char		*topics[KCONS_MAX_TOPICS];
	size_t			 ntopics;
	const char		*group;
	int			 envelope, exit_eof;
	long long		 count;		/* -c, 0 = no limit */
	struct obuf		 out;

	struct kcons_part	*parts;
	size_t			 nparts, neof;
	atomic_int		 joined;	/* an assignment happened */
	atomic_int		 stopping;	/* the consume loop has ended */

	unsigned long		 nmsgs;
	unsigned long long	 bytes;
	int			 status;

	/* --commit-acks */
	const char		*ackpath;
	pthread_t		 ack_thread;
	atomic_int		 ack_done;
	atomic_int		 ack_abandon;
	unsigned long		 ncommits, nack_errors;
};

/* ack.c: the thread that reads ack lines from ackpath and commits. */
void	*ack_main(void *);

#endif
