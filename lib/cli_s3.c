/*
 * cli_s3.c - the S3 tools' shared options (cli.h).
 */
#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"
#include "s3.h"

/* lib/s3's notes (retries, credential refreshes): warnings. */
static void
warn(void *arg, const char *text)
{
	(void)arg;
	log_warn("%s", text);
}

void
cli_s3_defaults(struct s3 *s)
{
	s->note = warn;
	s->timeout_ms = 120000;
	s->retries = 8;
	s->retry_delay_ms = 500;
}

int
cli_s3_option(struct s3 *s, int ch, const char *arg)
{
	long long v;

	switch (ch) {
	case CLI_S3_ENDPOINT:
		s->endpoint = arg;
		return CLI_GO_ON;
	case CLI_S3_REGION:
		s->region = arg;
		return CLI_GO_ON;
	case CLI_S3_RETRIES:
		if (cli_number("--retries", arg, 0, 100, &v) == -1)
			return EX_USAGE;
		s->retries = (int)v;
		return CLI_GO_ON;
	case CLI_S3_RETRY_DELAY:
		if (cli_seconds("--retry-delay", arg, 0, 600000, &v) == -1)
			return EX_USAGE;
		s->retry_delay_ms = (long)v;
		return CLI_GO_ON;
	case CLI_S3_TIMEOUT:
		if (cli_seconds("--timeout", arg, 1, 86400LL * 1000, &v) == -1)
			return EX_USAGE;
		s->timeout_ms = (long)v;
		return CLI_GO_ON;
	default:
		return EX_SOFTWARE;
	}
}

int
cli_s3_start(struct s3 *s)
{
	char why[512];

	s->region = s3_region(s->region);
	switch (s3_init(s, why, sizeof(why))) {
	case S3_INIT_OK:
		return CLI_GO_ON;
	case S3_INIT_ENDPOINT:
		log_err("%s", why);
		return EX_USAGE;
	case S3_INIT_CREDENTIALS:
		log_err("%s", why);
		return EX_CONFIG;
	default:
		log_err("%s", why);
		return EX_OSERR;
	}
}
