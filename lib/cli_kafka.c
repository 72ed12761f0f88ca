/*
 * cli_kafka.c - the Kafka tools' shared options (cli.h).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "kconf.h"
#include "log.h"

int
cli_kafka_option(rd_kafka_conf_t *conf, const char **brokers, int ch,
    const char *arg)
{
	char why[512], shown[300];

	switch (ch) {
	case 'b':
		*brokers = arg;
		return CLI_GO_ON;
	case 'F':
		if (kconf_load_file(conf, arg, why, sizeof(why)) == 0)
			return CLI_GO_ON;
		log_err("%s", why);
		return EX_CONFIG;
	case 'X':
		if (strcmp(arg, "list") == 0) {
			rd_kafka_conf_properties_show(stdout);
			return cli_stdout_done();
		}
		if (kconf_set(conf, arg, why, sizeof(why)) == 0)
			return CLI_GO_ON;
		kconf_describe(arg, shown, sizeof(shown));
		log_err("-X %s: %s", shown, why);
		return EX_CONFIG;
	default:
		return EX_SOFTWARE;
	}
}

int
cli_kafka_brokers(rd_kafka_conf_t *conf, const char *brokers)
{
	char why[512];

	if (kconf_brokers(conf, brokers, why, sizeof(why)) == 0)
		return CLI_GO_ON;
	log_err("%s", why);
	return EX_USAGE;
}

int
cli_kafka_set(rd_kafka_conf_t *conf, const char *opt, const char *prop,
    const char *value)
{
	char why[512];

	if (rd_kafka_conf_set(conf, prop, value, why, sizeof(why)) ==
	    RD_KAFKA_CONF_OK)
		return CLI_GO_ON;
	if (opt == NULL) {
		log_err("%s", why);
		return EX_CONFIG;
	}
	log_err("%s %s: %s", opt, value, why);
	return EX_USAGE;
}
