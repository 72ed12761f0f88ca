/*
 * cli_s3.c - the S3 tools' shared options (cli.h).
 */
#include <stdio.h>
#include <string.h>
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
		s->conf.endpoint_opt = arg;
		return CLI_GO_ON;
	case CLI_S3_REGION:
		s->conf.region_opt = arg;
		return CLI_GO_ON;
	case CLI_S3_PROFILE:
		if (*arg == '\0') {
			log_err("--profile '': expected a profile name");
			return EX_USAGE;
		}
		s->conf.profile_opt = arg;
		return CLI_GO_ON;
	case CLI_S3_CA_BUNDLE:
		s->conf.ca_bundle_opt = arg;
		return CLI_GO_ON;
	case CLI_S3_ADDRESSING:
		if (strcmp(arg, "auto") != 0 && strcmp(arg, "path") != 0 &&
		    strcmp(arg, "virtual") != 0) {
			log_err("--addressing-style %s: expected auto, path or "
			    "virtual", arg);
			return EX_USAGE;
		}
		s->conf.style_opt = arg;
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
	static const char *styles[] = { "auto", "path", "virtual" };
	char why[1024], desc[512];

	switch (s3_init(s, why, sizeof(why))) {
	case S3_INIT_OK:
		break;
	case S3_INIT_ENDPOINT:
		log_err("%s", why);
		return strcmp(s->endpoint_from, "--endpoint-url") == 0 ?
		    EX_USAGE : EX_CONFIG;
	case S3_INIT_CONFIG:
	case S3_INIT_CREDENTIALS:
		log_err("%s", why);
		return EX_CONFIG;
	case S3_INIT_UNAVAILABLE:
		log_err("%s", why);
		return EX_UNAVAILABLE;
	default:
		log_err("%s", why);
		return EX_OSERR;
	}
	awscred_describe(&s->cred, desc, sizeof(desc));
	log_info("profile %s (%s); region %s (%s); endpoint %s (%s), %s-style "
	    "(addressing style %s: %s); %s%s%s", s->conf.profile,
	    s->conf.profile_from[0] ? s->conf.profile_from : "the default",
	    s->region,
	    s->conf.region_from, s->base, s->endpoint[0] ? s->endpoint_from :
	    "AWS's own", s->path_style ? "path" : "virtual",
	    styles[s->conf.style], s->conf.style_from, desc,
	    s->conf.ca_bundle[0] ? "; CA bundle from " : "",
	    s->conf.ca_from);
	return CLI_GO_ON;
}
