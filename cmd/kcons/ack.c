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

/* The sink's answer to a revoke (kcons.h). */
static void
answer(struct kcons *c, const char *line, size_t len, unsigned long lineno,
    char *buf)
{
	struct wire_control w;
	const char *why;

	if (wire_control_parse(line, len, &w, buf, len, &why) == -1 ||
	    strcmp(w.kind, "revoked") != 0) {
		log_warn("%s:%lu: %s; ignored", c->ackpath, lineno,
		    w.kind == NULL || strcmp(w.kind, "revoked") == 0 ? why :
		    "a control line kcons does not know");
		c->nack_errors++;
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (w.id == c->revoke_id && c->answers_due > 0) {
		if (--c->answers_due == 0)
			pthread_cond_broadcast(&c->cv);
	} else
		log_info("%s:%lu: a late answer to revoke %lld of %s[%d]",
		    c->ackpath, lineno, w.id, w.topic, w.partition);
	pthread_mutex_unlock(&c->mu);
}

/*
 * In a revoke, a commit the group refuses for the rebalance (Kafka
 * takes them then; kmock, like librdkafka's mock cluster, does not) or
 * because this member is out of its generation: the rebalance ends,
 * and the member rejoins, only once the rebalance callback returns, and
 * that waits for the revoke's answer, which comes after this ack: no
 * retry can help until then.
 */
static int
member_gone(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
	    err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
	    err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS;
}

static int
revoking(struct kcons *c)
{
	int r;

	pthread_mutex_lock(&c->mu);
	r = c->answers_due > 0;
	pthread_mutex_unlock(&c->mu);
	return r;
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
	if (wire_looks_like_control(line, len)) {
		answer(c, line, len, lineno, strs);
		free(strs);
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
	if (!part_owned(c, a.topic, a.partition)) {
		/* Its revoke went unanswered: another member may own it. */
		log_warn("%s:%lu: %s[%d] is not this member's (revoked): "
		    "offset %lld not committed", c->ackpath, lineno, a.topic,
		    a.partition, a.last + 1);
		free(strs);
		return;
	}
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, a.topic, a.partition)->offset =
	    a.last + 1;
	for (tries = 0;; tries++) {
		err = rd_kafka_commit(c->rk, l, 0);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR || tries == 40 ||
		    !commit_retriable(err) || atomic_load(&c->ack_abandon) ||
		    (revoking(c) && member_gone(err)) ||
		    !part_owned(c, a.topic, a.partition))
			break;
		log_info("commit %s[%d]@%lld: %s; retrying", a.topic,
		    a.partition, a.last + 1, rd_kafka_err2str(err));
		usleep(250 * 1000);
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && revoking(c) &&
	    member_gone(err))
		/* Stored, not committed: the next owner overtakes it. */
		log_notice("commit %s[%d]@%lld in the revoke: %s; the "
		    "partition's next owner reads from its last commit and "
		    "stores those records again, replacing these objects",
		    a.topic, a.partition, a.last + 1, rd_kafka_err2str(err));
	else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
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

