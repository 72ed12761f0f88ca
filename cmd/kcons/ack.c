/*
 * ack.c - kcons --commit-acks: the consumer half of end-to-end
 * delivery.  Auto commit is off; the offsets committed are exactly the
 * ones named by the ack lines s3put writes once S3 holds the data:
 * last_offset + 1 for its partition (kcons.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "wire.h"

#include "kcons.h"

/* Errors a group member sees while (re)joining: worth another try. */
static int
commit_retriable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
	case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__WAIT_COORD:
		return 1;
	default:
		return 0;
	}
}

/*
 * Commit what one ack line says: last_offset + 1 for its partition.
 * Lines without topic/partition/last_offset (acks for plain records)
 * carry nothing to commit.
 */
static void
ack_line(struct kcons *c, const char *line, size_t len, unsigned long lineno)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	struct json_error je;
	struct wire_ack a;
	char *strs;
	int tries;

	if (len == 0)
		return;
	if (json_validate(line, len, &je) == -1) {
		log_warn("%s:%lu: ack is not JSON (byte %zu: %s); ignored",
		    c->ackpath, lineno, je.offset + 1, je.what);
		c->nack_errors++;
		return;
	}
	if ((strs = malloc(len)) == NULL) {
		log_err("%s:%lu: out of memory", c->ackpath, lineno);
		c->nack_errors++;
		return;
	}
	if (wire_ack_parse(line, len, &a, strs, len) == 0 && a.dry_run) {
		log_warn("%s:%lu: a line of s3put --dry-run: nothing was "
		    "stored, nothing is committed", c->ackpath, lineno);
		c->nack_errors++;
		free(strs);
		return;
	}
	if (wire_ack_parse(line, len, &a, strs, len) == -1 ||
	    a.topic == NULL || a.partition < 0 || a.last < 0) {
		log_warn("%s:%lu: ack has no topic, partition and last_offset; "
		    "nothing to commit", c->ackpath, lineno);
		c->nack_errors++;
		free(strs);
		return;
	}
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, a.topic, a.partition)->offset =
	    a.last + 1;
	for (tries = 0;; tries++) {
		err = rd_kafka_commit(c->rk, l, 0);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR || tries == 40 ||
		    !commit_retriable(err) || atomic_load(&c->ack_abandon))
			break;
		log_info("commit %s[%d]@%lld: %s; retrying", a.topic,
		    a.partition, a.last + 1, rd_kafka_err2str(err));
		usleep(250 * 1000);
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("commit %s[%d]@%lld failed: %s", a.topic, a.partition,
		    a.last + 1, rd_kafka_err2str(err));
		c->nack_errors++;
	} else {
		atomic_fetch_add(&c->ncommits, 1);
		log_info("committed %s[%d]@%lld", a.topic, a.partition,
		    a.last + 1);
	}
	free(strs);
}

/*
 * Read ack lines until the writer closes FILE.  A FIFO is opened
 * without blocking and polled: poll(2) reports hang-up only after a
 * writer has come and gone, so an absent writer is simply waited for.
 */
static int
ack_wait(void *arg, int fd)
{
	struct kcons *c = arg;
	struct pollfd pfd;

	for (;;) {
		if (atomic_load(&c->ack_abandon))
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) > 0)
			return 0;
	}
}

void *
ack_main(void *arg)
{
	struct kcons *c = arg;
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	size_t len;
	int fd;

	if ((fd = open(c->ackpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_err("%s: %s", c->ackpath, strerror(errno));
		c->nack_errors++;
		atomic_store(&c->ack_done, 1);
		return NULL;
	}
	if (jsonl_open(&r, fd, c->ackpath, JSONL_DEFAULT_MAX_LINE) == 0) {
		r.wait = ack_wait;
		r.wait_arg = c;
		for (;;) {
			st = jsonl_next(&r, &line, &len);
			/* Commit as a member of the group, not before. */
			while (st == JSONL_LINE && !atomic_load(&c->joined) &&
			    !atomic_load(&c->stopping) &&
			    !atomic_load(&c->ack_abandon))
				usleep(50 * 1000);
			if (st == JSONL_LINE)
				ack_line(c, line, len, r.lineno);
			else if (st == JSONL_TOO_LONG) {
				log_warn("%s:%lu: ack line too long; ignored",
				    c->ackpath, r.lineno);
				c->nack_errors++;
			} else if (st == JSONL_ERROR && errno == EAGAIN)
				continue;
			else
				break;
		}
		if (st == JSONL_ERROR) {
			log_err("%s: %s", c->ackpath, strerror(errno));
			c->nack_errors++;
		}
		jsonl_close(&r);
	}
	close(fd);
	atomic_store(&c->ack_done, 1);
	return NULL;
}

