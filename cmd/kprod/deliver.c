/*
 * deliver.c - what became of kprod's messages: delivery reports and
 * errors (served on the main thread), the deadline, the drain at the
 * end, and the summary of what was not delivered and why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <librdkafka/rdkafka.h>

#include "clock.h"
#include "kprod.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"

static void
note_reason(struct kprod *k, rd_kafka_resp_err_t err)
{
	size_t i;

	for (i = 0; i < KPROD_MAX_REASONS; i++) {
		if (k->reasons[i].n == 0)
			k->reasons[i].err = err;
		if (k->reasons[i].err == err) {
			k->reasons[i].n++;
			return;
		}
	}
}

/*
 * One --report line.  A failed message has no place in the log, so its
 * partition and offset are -1 and the error is named.
 */
static void
report(struct kprod *k, int32_t partition, int64_t offset, const void *key,
    size_t klen, rd_kafka_resp_err_t err)
{
	obuf_puts(&k->out, "{\"topic\":");
	obuf_json_string(&k->out, k->topic, strlen(k->topic));
	obuf_printf(&k->out, ",\"partition\":%d,\"offset\":%lld,\"key\":",
	    err ? -1 : (int)partition, err ? -1LL : (long long)offset);
	if (key != NULL)
		obuf_json_string(&k->out, key, klen);
	else
		obuf_puts(&k->out, "null");
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		obuf_printf(&k->out, ",\"error\":\"%s\"", rd_kafka_err2name(err));
	obuf_puts(&k->out, "}\n");
}

/*
 * Delivery reports, served on the main thread by rd_kafka_poll() after
 * every message, as kcat does, so the message is freed by the thread
 * that allocated it.  That measured faster than leaving it to
 * librdkafka's threads (delivery.report.only.error) or to a report
 * thread, probably because cross-thread frees contend in the allocator.
 */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kprod *k = opaque;
	struct kprod_line *kept = m->_private;

	(void)rk;
	k->queued_bytes -= m->len + m->key_len;
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->nfailed++;
		note_reason(k, m->err);
		if (rd_kafka_message_status(m) ==
		    RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED)
			k->npossibly++;
		if (k->have_failed) {
			if (kept != NULL)
				obuf_write(&k->failed, kept->buf, kept->len);
			else
				obuf_write(&k->failed, m->payload, m->len);
			obuf_putc(&k->failed, '\n');
		}
	} else {
		k->ndelivered++;
		k->broker_err[0] = '\0';	/* it was not for ever */
		k->latency_us += (double)rd_kafka_message_latency(m);
	}
	if (k->report)
		report(k, m->partition, m->offset, m->key, m->key_len, m->err);
	free(kept);
}

/*
 * Errors, served by rd_kafka_poll() on the main thread.  The last
 * broker error is kept: it is why messages are not delivered, and the
 * final message names it.
 */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kprod *k = opaque;
	char fatal[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		log_err("fatal producer error: %s", fatal);
		k->fatal = 1;
	} else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		log_warn("all brokers are down (%s); retrying each message "
		    "for up to %g s%s", k->broker_err[0] ? k->broker_err :
		    reason, k->timeout_ms / 1000.0, k->deadline ?
		    ", or until the deadline" : "");
	} else {
		snprintf(k->broker_err, sizeof(k->broker_err), "%s", reason);
		log_info("%s", reason);
	}
}

/* Is a delivery failure one the brokers' state explains? */
static int
broker_reason(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		return 1;
	default:
		return 0;
	}
}

/* Has the deadline come?  Once it has, it stays come. */
int
kprod_deadline_passed(struct kprod *k)
{
	if (k->deadline != 0 && !k->deadline_hit &&
	    clock_epoch_ms() >= k->deadline) {
		k->deadline_hit = 1;
		log_warn("the deadline (QP_DEADLINE_MS) has come: %d messages "
		    "undelivered, %lu lines read", rd_kafka_outq_len(k->rk),
		    k->in.nread);
	}
	return k->deadline_hit;
}

/* A poll(2) timeout: want (-1: none), shortened to the deadline. */
int
kprod_poll_ms(struct kprod *k, int want)
{
	long long left;

	if (k->deadline == 0)
		return want;
	left = clock_left_ms(k->deadline, want < 0 ? 3600000 : want);
	return (int)left;
}

/* QP_STATS: records in, delivered, failed, bad, bytes, latency. */
void
kprod_stats(struct kprod *k, int final)
{
	struct stat_field f[] = {
		{ "records_in", "Count", (double)k->in.nread },
		{ "delivered", "Count", (double)k->ndelivered },
		{ "failed", "Count", (double)k->nfailed },
		{ "bad_lines", "Count", (double)k->in.nbad },
		{ "bytes", "Bytes", (double)k->bytes },
		{ "delivery_latency_ms", "Milliseconds", k->ndelivered ?
		    k->latency_us / k->ndelivered / 1000 : 0 },
	};

	stats_emit(f, 6, final);
}

/* A message librdkafka refused before queueing it: undelivered. */
void
kprod_refused(struct kprod *k, const char *line, size_t len,
    const char *key, size_t klen, struct kprod_line *kept,
    rd_kafka_resp_err_t err)
{
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		k->fatal = 1;
	k->nfailed++;
	note_reason(k, err);
	if (k->have_failed) {
		obuf_write(&k->failed, line, len);
		obuf_putc(&k->failed, '\n');
	}
	if (k->report)
		report(k, -1, -1, key, klen, err);
	free(kept);	/* line may be in it */
}

/*
 * Wait for every queued message's fate; a second signal, a fatal error
 * or the deadline purges what is left (each purged message is reported
 * as failed, so none goes unaccounted).
 */
void
kprod_drain(struct kprod *k)
{
	long long purged_at = 0;
	int purged = 0, left;

	while ((left = rd_kafka_outq_len(k->rk)) > 0) {
		/*
		 * A request librdkafka is part-way through sending is not
		 * purged at once: past the deadline, what is left counts
		 * as undelivered, so that kprod still exits in time.
		 */
		if (purged && k->deadline_hit &&
		    clock_mono_ms() - purged_at > KPROD_STOP_MS / 2) {
			log_warn("%d messages still in flight at the deadline: "
			    "counted as undelivered, their lines are not in "
			    "--failed", left);
			for (; left > 0; left--) {
				k->nfailed++;
				note_reason(k, RD_KAFKA_RESP_ERR__TIMED_OUT);
			}
			break;
		}
		if (!purged && (sig_count() > 1 || k->fatal ||
		    kprod_deadline_passed(k))) {
			if (!k->deadline_hit)
				log_warn("purging %d queued messages",
				    rd_kafka_outq_len(k->rk));
			rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
			    RD_KAFKA_PURGE_F_INFLIGHT);
			purged = 1;
			purged_at = clock_mono_ms();
		}
		rd_kafka_poll(k->rk, purged ? 50 : kprod_poll_ms(k, 50));
		obuf_flush(&k->out);
		sig_sleep(0);	/* deliver a pending signal */
	}
	rd_kafka_poll(k->rk, 0);
}

void
kprod_callbacks(rd_kafka_conf_t *conf, struct kprod *k)
{
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, k);
}

/*
 * The count of undelivered messages by reason, and the broker error
 * that explains them if the reasons are the brokers' state.
 */
int
kprod_failures(struct kprod *k)
{
	char why[1024], possibly[96] = "", in_file[1100] = "";
	size_t o = 0, j;
	int brokers = 0;

	if (k->nfailed == 0)
		return 0;
	why[0] = '\0';
	for (j = 0; j < KPROD_MAX_REASONS && k->reasons[j].n > 0; j++) {
		o += (size_t)snprintf(why + o, sizeof(why) - o,
		    "%s%s: %lu", j ? ", " : "",
		    rd_kafka_err2str(k->reasons[j].err), k->reasons[j].n);
		brokers |= broker_reason(k->reasons[j].err);
	}
	if (!brokers)
		k->broker_err[0] = '\0';
	else if (k->broker_err[0] == '\0' && k->ndelivered == 0)
		snprintf(k->broker_err, sizeof(k->broker_err), "none "
		    "answered (%s)", k->brokers);
	if (k->npossibly)
		snprintf(possibly, sizeof(possibly), "; %lu may have "
		    "been stored before the failure", k->npossibly);
	if (k->have_failed)
		snprintf(in_file, sizeof(in_file), "; their lines are "
		    "in %s", k->failed_path);
	log_err("%lu of %lu messages not delivered%s (%s)%s%s%s%s",
	    k->nfailed, k->naccepted, k->deadline_hit ?
	    " by the deadline" : "", why, possibly, k->broker_err[0] ?
	    "; the brokers: " : "", k->broker_err, in_file);
	return EX_UNAVAILABLE;
}
