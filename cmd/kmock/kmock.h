/*
 * kmock.h - kmock's control commands (control.c), for main.c.
 */
#ifndef KMOCK_H
#define KMOCK_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/*
 * Create topic name with partitions partitions, replicated on up to 3
 * of the nbrokers.  Returns 0, or -1 with the reason in why.
 */
int	kmock_create_topic(rd_kafka_mock_cluster_t *, int nbrokers,
	    const char *name, long long partitions, char *why, size_t whylen);

/*
 * Run one control command (line is cut up in place).  Returns 0, or -1
 * with the reason in why.  The commands are listed in kmock(1).
 */
int	kmock_control(rd_kafka_mock_cluster_t *, int nbrokers, char *line,
	    char *why, size_t whylen);

#endif
