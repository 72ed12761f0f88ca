#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kconf.h"
#include "log.h"

/* librdkafka's syslog-style levels, folded into ours: quiet unless -v. */
static void
kconf_log_cb(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
	(void)rk;
	log_msg(level <= 4 ? LOG_INFO : LOG_DEBUG, "librdkafka %s: %s", fac,
	    buf);
}

rd_kafka_conf_t *
kconf_new(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	rd_kafka_conf_set_log_cb(conf, kconf_log_cb);
	return conf;
}

/* Does a property hold a secret (sasl.password, ssl.key.pem, ...)? */
static int
secret_name(const char *name, size_t n)
{
	static const char *const words[] = {
		"password", "secret", "token", "jaas", "key", "credential",
		"oauthbearer.config"
	};
	size_t i, j, w;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		for (w = strlen(words[i]), j = 0; j + w <= n; j++)
			if (strncasecmp(name + j, words[i], w) == 0)
				return 1;
	return 0;
}

void
kconf_describe(const char *assignment, char *out, size_t outlen)
{
	const char *eq = strchr(assignment, '=');

	if (eq == NULL || eq == assignment)
		snprintf(out, outlen, "(an argument without '=', not shown)");
	else if (secret_name(assignment, (size_t)(eq - assignment)))
		snprintf(out, outlen, "%.*s=(not shown)",
		    (int)(eq - assignment), assignment);
	else
		snprintf(out, outlen, "%s", assignment);
}

int
kconf_set(rd_kafka_conf_t *conf, const char *assignment, char *errbuf,
    size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	char name[256], *at;
	size_t n, vlen;

	if (eq == NULL || eq == assignment) {
		/* Not echoed: "sasl.password:hunter2" is a typo, not a name. */
		snprintf(errbuf, errlen, "expected property=value");
		return -1;
	}
	n = (size_t)(eq - assignment);
	if (n >= sizeof(name)) {
		snprintf(errbuf, errlen, "property name too long");
		return -1;
	}
	memcpy(name, assignment, n);
	name[n] = '\0';
	if (rd_kafka_conf_set(conf, name, eq + 1, errbuf, errlen) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	/* librdkafka may quote the value: not a secret one. */
	vlen = strlen(eq + 1);
	if (secret_name(name, n) && vlen > 0)
		while ((at = strstr(errbuf, eq + 1)) != NULL)
			memmove(at, at + vlen, strlen(at + vlen) + 1);
	return -1;
}

int
kconf_load_file(rd_kafka_conf_t *conf, const char *path, char *errbuf,
    size_t errlen)
{
	char line[4096], msg[512], *p, *e;
	unsigned long lineno = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(errbuf, errlen, "%s:%lu: line too long", path,
			    lineno);
			fclose(fp);
			return -1;
		}
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (kconf_set(conf, p, msg, sizeof(msg)) == -1) {
			snprintf(errbuf, errlen, "%s:%lu: %s", path, lineno,
			    msg);
			fclose(fp);
			return -1;
		}
	}
	if (ferror(fp)) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

int
kconf_is_set(rd_kafka_conf_t *conf, const char *prop)
{
	char val[512];
	size_t n = sizeof(val);

	if (rd_kafka_conf_get(conf, prop, val, &n) != RD_KAFKA_CONF_OK)
		return 0;
	return val[0] != '\0';
}

int
kconf_brokers(rd_kafka_conf_t *conf, const char *brokers, char *errbuf,
    size_t errlen)
{
	const char *env;

	if (brokers == NULL && kconf_is_set(conf, "bootstrap.servers"))
		return 0;
	if (brokers == NULL && (env = getenv("KAFKA_BROKERS")) != NULL &&
	    *env != '\0')
		brokers = env;
	if (brokers == NULL) {
		snprintf(errbuf, errlen, "no brokers: use -b BROKERS or set "
		    "KAFKA_BROKERS");
		return -1;
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errbuf,
	    errlen) != RD_KAFKA_CONF_OK)
		return -1;
	return 0;
}
