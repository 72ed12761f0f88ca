/*
 * parts.c - kcons's partitions: where each starts (-o), assigned by hand
 * without a group, and which have reached their end (-e) (kcons.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"

#include "kcons.h"

struct kcons_part *
part_find(struct kcons *c, const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < c->nparts; i++)
		if (c->parts[i].partition == partition &&
		    strcmp(c->parts[i].topic, topic) == 0)
			return &c->parts[i];
	return NULL;
}

void
parts_clear(struct kcons *c)
{
	size_t i;

	for (i = 0; i < c->nparts; i++)
		free(c->parts[i].topic);
	free(c->parts);
	c->parts = NULL;
	c->nparts = c->neof = 0;
}

/*
 * The partitions assigned change only in the main thread (the rebalance
 * callback, or assign_all), under c->mu: the ack thread asks whether a
 * partition is still this member's (part_owned).
 */
void
parts_add(struct kcons *c, const rd_kafka_topic_partition_list_t *l)
{
	struct kcons_part *np;
	int i;

	if (l == NULL || l->cnt == 0)
		return;
	pthread_mutex_lock(&c->mu);
	if ((np = realloc(c->parts, (c->nparts + (size_t)l->cnt) *
	    sizeof(*np))) != NULL) {
		c->parts = np;
		for (i = 0; i < l->cnt; i++) {
			if (part_find(c, l->elems[i].topic,
			    l->elems[i].partition) != NULL ||
			    (np[c->nparts].topic = strdup(l->elems[i].topic)) ==
			    NULL)
				continue;
			np[c->nparts].partition = l->elems[i].partition;
			np[c->nparts].at_eof = 0;
			np[c->nparts].written = -1;
			c->nparts++;
		}
	}
	pthread_mutex_unlock(&c->mu);
	atomic_store(&c->joined, 1);
}

/*
 * -G without --commit-acks: what stdout has taken is stored for the
 * automatic commits, and only that.  librdkafka's own store counts a
 * message consumed when it is handed over, so a reader that went away
 * (`| head -1`) had the group commit messages never written.  Flush,
 * then store each partition's next offset after its last written.
 */
void
parts_store_written(struct kcons *c)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	size_t i;

	if (!c->store_written || obuf_flush(&c->out) != 0)
		return;
	l = rd_kafka_topic_partition_list_new((int)c->nparts + 1);
	for (i = 0; i < c->nparts; i++)
		if (c->parts[i].written >= 0) {
			rd_kafka_topic_partition_list_add(l, c->parts[i].topic,
			    c->parts[i].partition)->offset =
			    c->parts[i].written;
			c->parts[i].written = -1;
		}
	if (l->cnt > 0 && (err = rd_kafka_offsets_store(c->rk, l)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		log_info("storing offsets to commit: %s",
		    rd_kafka_err2str(err));	/* a partition revoked */
	rd_kafka_topic_partition_list_destroy(l);
}

void
parts_remove(struct kcons *c, const rd_kafka_topic_partition_list_t *l)
{
	struct kcons_part *p;
	int i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; l != NULL && i < l->cnt; i++) {
		if ((p = part_find(c, l->elems[i].topic,
		    l->elems[i].partition)) == NULL)
			continue;
		if (p->at_eof)
			c->neof--;
		free(p->topic);
		*p = c->parts[--c->nparts];
	}
	pthread_mutex_unlock(&c->mu);
}

/* Is the partition assigned to this member?  (The ack thread's.) */
int
part_owned(struct kcons *c, const char *topic, int32_t partition)
{
	int owned;

	pthread_mutex_lock(&c->mu);
	owned = part_find(c, topic, partition) != NULL;
	pthread_mutex_unlock(&c->mu);
	return owned;
}

int
parse_offset(const char *s, struct kcons_start *st)
{
	char *end;
	long long v;

	st->time_ms = -1;
	if (strcmp(s, "beginning") == 0)
		st->offset = RD_KAFKA_OFFSET_BEGINNING;
	else if (strcmp(s, "end") == 0)
		st->offset = RD_KAFKA_OFFSET_END;
	else if (strcmp(s, "stored") == 0)
		st->offset = RD_KAFKA_OFFSET_STORED;
	else {
		int time = strncmp(s, "s@", 2) == 0;
		const char *num = time ? s + 2 : s;

		errno = 0;
		v = strtoll(num, &end, 10);
		if (errno != 0 || end == num || *end != '\0')
			return -1;
		if (time) {
			if (v < 0)
				return -1;
			st->time_ms = v;
			st->offset = 0;
		} else if (*num == '-') {
			if (v == 0)
				return -1;
			st->offset = RD_KAFKA_OFFSET_TAIL(-v);
		} else
			st->offset = v;
	}
	return 0;
}

/*
 * Without a group: assign every partition of every topic, starting at
 * st.  Returns 0 or an exit status.
 */
int
assign_all(struct kcons *c, const struct kcons_start *st)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	rd_kafka_topic_t *rkt;
	size_t t;
	int i;

	l = rd_kafka_topic_partition_list_new(16);
	for (t = 0; t < c->ntopics; t++) {
		rkt = rd_kafka_topic_new(c->rk, c->topics[t], NULL);
		err = rd_kafka_metadata(c->rk, 0, rkt, &md, 10000);
		rd_kafka_topic_destroy(rkt);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_err("%s: cannot get metadata: %s", c->topics[t],
			    rd_kafka_err2str(err));
			rd_kafka_topic_partition_list_destroy(l);
			return EX_UNAVAILABLE;
		}
		if (md->topic_cnt != 1 || md->topics[0].err ||
		    md->topics[0].partition_cnt == 0) {
			log_err("%s: %s", c->topics[t], md->topic_cnt == 1 &&
			    md->topics[0].err ? rd_kafka_err2str(
			    md->topics[0].err) : "no such topic");
			rd_kafka_metadata_destroy(md);
			rd_kafka_topic_partition_list_destroy(l);
			return EX_NOINPUT;
		}
		for (i = 0; i < md->topics[0].partition_cnt; i++)
			if (c->partition == -1 ||
			    md->topics[0].partitions[i].id == c->partition)
				rd_kafka_topic_partition_list_add(l,
				    c->topics[t], md->topics[0].partitions[i].
				    id)->offset = st->time_ms >= 0 ?
				    st->time_ms : st->offset;
		if (c->partition != -1 && (l->cnt == 0 || strcmp(
		    l->elems[l->cnt - 1].topic, c->topics[t]) != 0)) {
			log_err("%s: no partition %lld (it has %d, from 0)",
			    c->topics[t], c->partition,
			    md->topics[0].partition_cnt);
			rd_kafka_metadata_destroy(md);
			rd_kafka_topic_partition_list_destroy(l);
			return EX_NOINPUT;
		}
		rd_kafka_metadata_destroy(md);
	}
	if (st->time_ms >= 0 &&
	    (err = rd_kafka_offsets_for_times(c->rk, l, 10000)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("offsets for time %lld: %s", (long long)st->time_ms,
		    rd_kafka_err2str(err));
		rd_kafka_topic_partition_list_destroy(l);
		return EX_UNAVAILABLE;
	}
	for (i = 0; i < l->cnt; i++)
		log_debug("start %s[%d] at offset %lld", l->elems[i].topic,
		    (int)l->elems[i].partition, (long long)l->elems[i].offset);
	parts_add(c, l);
	err = rd_kafka_assign(c->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("assign: %s", rd_kafka_err2str(err));
		return EX_SOFTWARE;
	}
	return 0;
}
