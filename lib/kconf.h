/*
 * kconf.h - Kafka client configuration shared by the Kafka tools.
 *
 * -X prop=value and -F FILE go straight to librdkafka in the order given,
 * so its own error text reaches the user.  Brokers come from -b, else a
 * bootstrap.servers set by -X or -F, else $KAFKA_BROKERS.
 */
#ifndef QP_KCONF_H
#define QP_KCONF_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

/*
 * A new configuration with the toolkit's logging hooked in.  Caller
 * frees with rd_kafka_conf_destroy() unless it was handed to
 * rd_kafka_new().
 */
rd_kafka_conf_t *kconf_new(void);

/*
 * Apply "prop=value".  Returns 0, or -1 with librdkafka's message in
 * errbuf; the value of a property that holds a secret (a password, a
 * key, a token) never appears in it.
 */
int	kconf_set(rd_kafka_conf_t *, const char *assignment, char *errbuf,
	    size_t errlen);

/*
 * "prop=value" as it may be shown in a message: the value of a secret
 * property replaced, an argument without '=' not shown at all.
 */
void	kconf_describe(const char *assignment, char *out, size_t outlen);

/*
 * Apply a properties file: "prop=value" lines, '#' comments and blank
 * lines ignored.  Returns 0, or -1 with "FILE:LINE: message" in errbuf.
 */
int	kconf_load_file(rd_kafka_conf_t *, const char *path, char *errbuf,
	    size_t errlen);

/*
 * Settle bootstrap.servers: brokers (from -b, may be NULL) wins, then
 * whatever -X/-F set, then $KAFKA_BROKERS.  Returns -1 with a message
 * when none of them gives any.
 */
int	kconf_brokers(rd_kafka_conf_t *, const char *brokers, char *errbuf,
	    size_t errlen);

/* Is prop set to something on conf? */
int	kconf_is_set(rd_kafka_conf_t *, const char *prop);

#endif
