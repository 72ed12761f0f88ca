/*
 * control.c - kmock's fault-injection commands (kmock(1), "Control
 * commands"): brokers down and up, added round-trip time, request
 * errors, topics and partition leaders on librdkafka's mock cluster.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kmock.h"
#include "num.h"

/* Kafka API keys by name, for "error" and "clear". */
static const struct {
	const char *name;
	int16_t key;
} apis[] = {
	{ "Produce", 0 }, { "Fetch", 1 }, { "ListOffsets", 2 },
	{ "Metadata", 3 }, { "OffsetCommit", 8 }, { "OffsetFetch", 9 },
	{ "FindCoordinator", 10 }, { "JoinGroup", 11 }, { "Heartbeat", 12 },
	{ "LeaveGroup", 13 }, { "SyncGroup", 14 }, { "ApiVersions", 18 },
	{ "InitProducerId", 22 }, { "AddPartitionsToTxn", 24 },
	{ "EndTxn", 26 },
};

static int
api_key(const char *s, int16_t *key)
{
	size_t i;
	long long v;

	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
		if (strcasecmp(s, apis[i].name) == 0) {
			*key = apis[i].key;
			return 0;
		}
	if (num_parse(s, 0, 1000, &v) == 0) {
		*key = (int16_t)v;
		return 0;
	}
	return -1;
}

/* An error by librdkafka's name (REQUEST_TIMED_OUT) or number. */
static int
err_code(const char *s, rd_kafka_resp_err_t *err)
{
	const struct rd_kafka_err_desc *descs;
	size_t n, i;
	long long v;

	rd_kafka_get_err_descs(&descs, &n);
	for (i = 0; i < n; i++)
		if (descs[i].name != NULL && strcasecmp(s, descs[i].name) == 0) {
			*err = descs[i].code;
			return 0;
		}
	if (num_parse(s, -200, 1000, &v) == 0) {
		*err = (rd_kafka_resp_err_t)v;
		return 0;
	}
	return -1;
}

/* Apply fn to one broker id or to every broker ("all"). */
static int
each_broker(rd_kafka_mock_cluster_t *mc, int nbrokers, const char *which,
    rd_kafka_resp_err_t (*fn)(rd_kafka_mock_cluster_t *, int32_t, int),
    int arg, char *why, size_t whylen)
{
	rd_kafka_resp_err_t e;
	long long id, lo, hi;

	if (strcmp(which, "all") == 0) {
		lo = 1;
		hi = nbrokers;
	} else if (num_parse(which, 1, nbrokers, &id) == 0)
		lo = hi = id;
	else {
		snprintf(why, whylen, "no broker '%s' (1..%d or all)", which,
		    nbrokers);
		return -1;
	}
	for (id = lo; id <= hi; id++)
		if ((e = fn(mc, (int32_t)id, arg)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(why, whylen, "broker %lld: %s", id,
			    rd_kafka_err2str(e));
			return -1;
		}
	return 0;
}

static rd_kafka_resp_err_t
broker_down(rd_kafka_mock_cluster_t *mc, int32_t id, int arg)
{
	(void)arg;
	return rd_kafka_mock_broker_set_down(mc, id);
}

static rd_kafka_resp_err_t
broker_up(rd_kafka_mock_cluster_t *mc, int32_t id, int arg)
{
	(void)arg;
	return rd_kafka_mock_broker_set_up(mc, id);
}

static rd_kafka_resp_err_t
broker_rtt(rd_kafka_mock_cluster_t *mc, int32_t id, int ms)
{
	return rd_kafka_mock_broker_set_rtt(mc, id, ms);
}

int
kmock_create_topic(rd_kafka_mock_cluster_t *mc, int nbrokers,
    const char *name, long long partitions, char *why, size_t whylen)
{
	rd_kafka_resp_err_t e;

	e = rd_kafka_mock_topic_create(mc, name, (int)partitions,
	    nbrokers < 3 ? nbrokers : 3);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(why, whylen, "topic %s: %s", name, rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

int
kmock_control(rd_kafka_mock_cluster_t *mc, int nbrokers, char *line,
    char *why, size_t whylen)
{
	char *argv[8], *save = NULL, *tok;
	rd_kafka_resp_err_t errs[64];
	int16_t key;
	long long a, b;
	int argc = 0;

	for (tok = strtok_r(line, " \t", &save); tok != NULL && argc < 8;
	    tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return 0;
#define NEED(n) do { if (argc != (n)) goto usage; } while (0)
	if (strcmp(argv[0], "down") == 0) {
		NEED(2);
		return each_broker(mc, nbrokers, argv[1], broker_down, 0, why,
		    whylen);
	}
	if (strcmp(argv[0], "up") == 0) {
		NEED(2);
		return each_broker(mc, nbrokers, argv[1], broker_up, 0, why,
		    whylen);
	}
	if (strcmp(argv[0], "rtt") == 0) {
		NEED(3);
		if (num_parse(argv[2], 0, 3600000, &a) == -1)
			goto usage;
		return each_broker(mc, nbrokers, argv[1], broker_rtt, (int)a,
		    why, whylen);
	}
	if (strcmp(argv[0], "error") == 0 || strcmp(argv[0], "clear") == 0) {
		if (argc < 2 || api_key(argv[1], &key) == -1) {
			snprintf(why, whylen, "unknown API '%s'",
			    argc < 2 ? "" : argv[1]);
			return -1;
		}
		if (argv[0][0] == 'c') {
			NEED(2);
			rd_kafka_mock_clear_request_errors(mc, key);
			return 0;
		}
		NEED(4);
		if (num_parse(argv[2], 1, 64, &a) == -1)
			goto usage;
		if (err_code(argv[3], &errs[0]) == -1) {
			snprintf(why, whylen, "unknown error '%s'", argv[3]);
			return -1;
		}
		for (b = 1; b < a; b++)
			errs[b] = errs[0];
		rd_kafka_mock_push_request_errors_array(mc, key, (size_t)a,
		    errs);
		return 0;
	}
	if (strcmp(argv[0], "topic") == 0) {
		NEED(3);
		if (num_parse(argv[2], 1, 100000, &a) == -1)
			goto usage;
		return kmock_create_topic(mc, nbrokers, argv[1], a, why, whylen);
	}
	if (strcmp(argv[0], "leader") == 0) {
		rd_kafka_resp_err_t e;
		NEED(4);
		if (num_parse(argv[2], 0, 100000, &a) == -1 ||
		    num_parse(argv[3], -1, nbrokers, &b) == -1)
			goto usage;
		e = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)a,
		    (int32_t)b);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(why, whylen, "%s", rd_kafka_err2str(e));
			return -1;
		}
		return 0;
	}
usage:
	snprintf(why, whylen, "usage: down ID|all | up ID|all | "
	    "rtt ID|all MS | error API COUNT ERROR | clear API | "
	    "topic NAME PARTITIONS | leader TOPIC PARTITION ID");
	return -1;
#undef NEED
}
