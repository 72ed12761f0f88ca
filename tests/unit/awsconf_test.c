/*
 * awsconf_test.c - the AWS CLI's shared files as lib/ini.c reads them,
 * and the order lib/awsconf.c resolves the profile, region, endpoint, CA
 * bundle and addressing style in.  The expected values are what the AWS
 * CLI v2 (botocore's configloader and configprovider) makes of the same
 * files; tests/cli/awsconfig.sh checks the AWS CLI itself agrees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awsconf.h"
#include "ini.h"
#include "tap.h"

static char dir[] = "/tmp/qp-awsconf.XXXXXX";
static char config[512], creds[512];

static void
clean_env(void)
{
	static const char *vars[] = { "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE",
	    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", NULL };
	size_t i;

	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	setenv("AWS_CONFIG_FILE", config, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
}

/* A parse of text: 0 with *f, or -1 with why. */
static int
parse(const char *text, struct ini **f, char *why, size_t whylen)
{
	return ini_parse("f", text, strlen(text), f, why, whylen);
}

static void
test_ini(void)
{
	struct ini *f;
	char why[256];
	const char *v;

	TAP_OK(parse("# a comment\n[default]\nRegion = eu-north-1\n"
	    "  ; indented comment\nx: y = z\nempty =\n[profile \"a b\"]\n"
	    "k=v # not a comment\n", &f, why, sizeof(why)) == 0 &&
	    strcmp(ini_get(f, "default", "region"), "eu-north-1") == 0 &&
	    strcmp(ini_get(f, "default", "x"), "y = z") == 0 &&
	    strcmp(ini_get(f, "default", "empty"), "") == 0 &&
	    strcmp(ini_get(f, "profile \"a b\"", "k"), "v # not a comment")
	    == 0 && ini_get(f, "default", "Region") == NULL &&
	    strcmp(ini_section(f, 1), "profile \"a b\"") == 0 &&
	    ini_section(f, 2) == NULL,
	    "keys in lower case, ':' and '=' split at the first, no inline "
	    "comments, sections as written");
	ini_free(f);
	TAP_OK(parse("[p]\ns3 =\n    addressing_style = path\n"
	    "    max_concurrent_requests=4\nregion = r\nlong = a\n  b\n",
	    &f, why, sizeof(why)) == 0 &&
	    strcmp(ini_get(f, "p", "s3.addressing_style"), "path") == 0 &&
	    strcmp(ini_get(f, "p", "s3.max_concurrent_requests"), "4") == 0 &&
	    strcmp(ini_get(f, "p", "s3"), "") == 0 &&
	    strcmp(ini_get(f, "p", "region"), "r") == 0 &&
	    strcmp(ini_get(f, "p", "long"), "a\nb") == 0,
	    "a nested section (s3 = / addressing_style = path), and a value "
	    "continued on an indented line");
	ini_free(f);
	v = NULL;
	TAP_OK(parse("region = x\n[p]\n", &f, why, sizeof(why)) == -1 &&
	    strstr(why, "f:1: a setting before any [section]") != NULL,
	    "a setting before any section: refused, naming the line");
	TAP_OK(parse("[p]\na = 1\n[q]\n[p]\n", &f, why, sizeof(why)) == -1 &&
	    strstr(why, "f:4: section [p] given twice") != NULL &&
	    parse("[p]\na = 1\nA = 2\n", &f, why, sizeof(why)) == -1 &&
	    strstr(why, "f:3: 'a' given twice") != NULL,
	    "a section or key given twice: refused, as configparser's strict "
	    "mode refuses it");
	TAP_OK(parse("[p]\njust words\n", &f, why, sizeof(why)) == -1 &&
	    strstr(why, "f:2: expected key = value") != NULL &&
	    parse("[p\n", &f, why, sizeof(why)) == -1 &&
	    parse("[p]\ns3 =\n  no equals\n", &f, why, sizeof(why)) == -1 &&
	    ini_parse("f", "[p]\na = \0b\n", 11, &f, why, sizeof(why)) ==
	    -1 && strstr(why, "a NUL byte") != NULL,
	    "a line that is no setting, an unclosed header, a nested line "
	    "that is not k = v, a NUL byte: refused");
	TAP_OK(parse("[DEFAULT]\nregion = d\n[a]\nk = 1\n[b]\nregion = b\n"
	    "s3 =\n  x = 1\n  x = 2\n", &f, why, sizeof(why)) == 0 &&
	    strcmp(ini_get(f, "a", "region"), "d") == 0 &&
	    strcmp(ini_get(f, "b", "region"), "b") == 0 &&
	    ini_get(f, "c", "region") == NULL &&
	    strcmp(ini_section(f, 0), "a") == 0 && ini_section(f, 2) == NULL &&
	    strcmp(ini_get(f, "b", "s3.x"), "2") == 0,
	    "[DEFAULT]: its keys in every section, not a section itself; a "
	    "nested key given twice: the last, as botocore keeps it");
	ini_free(f);
	{
		/* 100000 keys: duplicates are found by sorting, not pairs. */
		size_t n = 100000, i, k = 0, cap = n * 16 + 16;
		char *big = malloc(cap);

		if (big == NULL)
			exit(2);
		k += (size_t)snprintf(big, cap, "[p]\n");
		for (i = 0; i < n; i++)
			k += (size_t)snprintf(big + k, cap - k, "k%zu = 1\n", i);
		TAP_OK(ini_parse("big", big, k, &f, why, sizeof(why)) == 0 &&
		    strcmp(ini_get(f, "p", "k99999"), "1") == 0,
		    "a file of 100000 keys is read");
		ini_free(f);
		k += (size_t)snprintf(big + k, cap - k, "K5 = 2\n");
		TAP_OK(ini_parse("big", big, k, &f, why, sizeof(why)) == -1 &&
		    strstr(why, "big:100002: 'k5' given twice in [p]") != NULL,
		    "  ... and a key given twice in it is named at its second "
		    "line");
		free(big);
	}
	TAP_OK(parse("", &f, why, sizeof(why)) == 0 && ini_section(f, 0) ==
	    NULL && (ini_free(f), 1) && ini_load("/nonexistent/x", &f, why,
	    sizeof(why)) == 1 && f == NULL,
	    "an empty file; a missing one (1, not an error)");
	(void)v;
}

/* awsconf_load with the command line's options; 0 or -1. */
static int
load(struct awsconf *c, const char *profile, const char *region,
    const char *endpoint, char *why, size_t whylen)
{
	awsconf_free(c);
	memset(c, 0, sizeof(*c));
	c->profile_opt = profile;
	c->region_opt = region;
	c->endpoint_opt = endpoint;
	return awsconf_load(c, why, whylen);
}

static void
test_conf(void)
{
	struct awsconf c;
	char why[512], url[1024], from[256];

	memset(&c, 0, sizeof(c));
	tap_put(config, "[default]\nregion = us-west-2\n"
	    "[profile lake]\nregion = eu-north-1\nservices = local\n"
	    "endpoint_url = http://profile.example\nca_bundle = /ca.pem\n"
	    "s3 =\n  addressing_style = virtual\n"
	    "[profile \"quoted\"]\nregion = ap-south-1\n"
	    "[services local]\ns3 =\n  endpoint_url = http://services.example\n"
	    "[profile both]\nregion = from-config\naws_access_key_id = C\n"
	    "[profile ignoring]\nendpoint_url = http://x.example\n"
	    "ignore_configured_endpoint_urls = true\n");
	tap_put(creds, "[default]\naws_access_key_id = A\n"
	    "[both]\nregion = from-credentials\n[onlycreds]\nregion = r1\n");
	clean_env();

	TAP_OK(load(&c, NULL, NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.profile, "default") == 0 && !c.profile_named &&
	    strcmp(c.region, "us-west-2") == 0 &&
	    strstr(c.region_from, "profile default in") != NULL,
	    "no profile named: default, its region");
	setenv("AWS_DEFAULT_PROFILE", "quoted", 1);
	TAP_OK(load(&c, NULL, NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.profile, "quoted") == 0 &&
	    strcmp(c.region, "ap-south-1") == 0,
	    "AWS_DEFAULT_PROFILE; [profile \"quoted\"] is profile quoted");
	setenv("AWS_PROFILE", "lake", 1);
	TAP_OK(load(&c, NULL, NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.profile, "lake") == 0 &&
	    strcmp(c.profile_from, "AWS_PROFILE") == 0 &&
	    strcmp(c.region, "eu-north-1") == 0 &&
	    strcmp(c.ca_bundle, "/ca.pem") == 0 && c.style == AWSCONF_VIRTUAL,
	    "AWS_PROFILE over AWS_DEFAULT_PROFILE; the profile's region, "
	    "ca_bundle and s3 addressing_style");
	TAP_OK(load(&c, "both", NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.profile_from, "--profile") == 0 &&
	    strcmp(c.region, "from-credentials") == 0 &&
	    strcmp(awsconf_get(&c, NULL, "aws_access_key_id"), "C") == 0 &&
	    strcmp(awsconf_get_creds(&c, "default", "aws_access_key_id"),
	    "A") == 0,
	    "--profile over AWS_PROFILE; a setting in both files: the "
	    "credentials file's");
	TAP_OK(load(&c, "onlycreds", NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.region, "r1") == 0,
	    "a profile only in the credentials file");
	TAP_OK(load(&c, "nope", NULL, NULL, why, sizeof(why)) == -1 &&
	    strstr(why, "--profile=nope: no such profile in") != NULL,
	    "a named profile in neither file: refused");
	setenv("AWS_DEFAULT_REGION", "ca-central-1", 1);
	TAP_OK(load(&c, "lake", NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.region, "ca-central-1") == 0, "AWS_DEFAULT_REGION over "
	    "the profile's region");
	setenv("AWS_REGION", "sa-east-1", 1);
	TAP_OK(load(&c, "lake", NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.region, "sa-east-1") == 0 && load(&c, "lake",
	    "me-south-1", NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.region, "me-south-1") == 0 &&
	    strcmp(c.region_from, "--region") == 0,
	    "AWS_REGION over AWS_DEFAULT_REGION; --region over both");
	TAP_OK(load(&c, "lake", "eu north", NULL, why, sizeof(why)) == -1 &&
	    strstr(why, "region 'eu north' (from --region)") != NULL,
	    "a region that is not one: refused, naming where it came from");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");

	/* Endpoints, in the documented order. */
	load(&c, "lake", NULL, NULL, why, sizeof(why));
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://services.example") == 0 &&
	    strstr(from, "[services local]") != NULL,
	    "s3: the services section over the profile's endpoint_url");
	awsconf_endpoint(&c, "sts", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://profile.example") == 0,
	    "sts (not in the services section): the profile's endpoint_url");
	setenv("AWS_ENDPOINT_URL", "http://global.env", 1);
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://global.env") == 0 &&
	    strcmp(from, "AWS_ENDPOINT_URL") == 0,
	    "AWS_ENDPOINT_URL over the files");
	setenv("AWS_ENDPOINT_URL_S3", "http://s3.env", 1);
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://s3.env") == 0, "AWS_ENDPOINT_URL_S3 over "
	    "AWS_ENDPOINT_URL");
	awsconf_endpoint(&c, "sts", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://global.env") == 0, "  ... but not for sts");
	load(&c, "lake", NULL, "http://opt.example", why, sizeof(why));
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://opt.example") == 0, "--endpoint-url over "
	    "everything");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(strcmp(url, "http://opt.example") == 0, "  ... even with "
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	load(&c, "lake", NULL, NULL, why, sizeof(why));
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(url[0] == '\0', "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: "
	    "AWS's own, whatever the environment and files say");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	load(&c, "ignoring", NULL, NULL, why, sizeof(why));
	awsconf_endpoint(&c, "s3", url, sizeof(url), from, sizeof(from));
	TAP_OK(url[0] == '\0', "ignore_configured_endpoint_urls = true in "
	    "the profile");

	/* The CA bundle and the addressing style. */
	setenv("AWS_CA_BUNDLE", "/env.pem", 1);
	c.ca_bundle_opt = NULL;
	TAP_OK(load(&c, "lake", NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.ca_bundle, "/env.pem") == 0, "AWS_CA_BUNDLE over the "
	    "profile's ca_bundle");
	awsconf_free(&c);
	memset(&c, 0, sizeof(c));
	c.profile_opt = "lake";
	c.ca_bundle_opt = "/opt.pem";
	c.style_opt = "path";
	TAP_OK(awsconf_load(&c, why, sizeof(why)) == 0 &&
	    strcmp(c.ca_bundle, "/opt.pem") == 0 && c.style == AWSCONF_PATH &&
	    strcmp(c.ca_from, "--ca-bundle") == 0,
	    "--ca-bundle and --addressing-style over both");
	clean_env();
	tap_put(config, "[default]\ns3 =\n  addressing_style = sideways\n");
	TAP_OK(load(&c, NULL, NULL, NULL, why, sizeof(why)) == -1 &&
	    strstr(why, "addressing style 'sideways'") != NULL,
	    "an addressing style that is not one: refused");
	tap_put(config, "[default]\nregion = x\nregion = y\n");
	TAP_OK(load(&c, NULL, NULL, NULL, why, sizeof(why)) == -1 &&
	    strstr(why, "given twice") != NULL, "a config file the AWS CLI "
	    "refuses is refused");
	unlink(creds);
	unlink(config);
	TAP_OK(load(&c, NULL, NULL, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.region, "us-east-1") == 0 &&
	    strcmp(c.region_from, "the default") == 0,
	    "no files at all: the default profile, us-east-1");
	awsconf_free(&c);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(config, sizeof(config), "%s/config", dir);
	snprintf(creds, sizeof(creds), "%s/credentials", dir);
	test_ini();
	test_conf();
	rmdir(dir);
	return TAP_DONE();
}
