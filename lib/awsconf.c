/*
 * awsconf.c - the AWS CLI's settings, in its order (awsconf.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsconf.h"
#include "ini.h"

int
awsconf_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * A file's path: the variable's, or ~/.aws/NAME; "~/" expanded.  -1 if
 * it does not fit (cut, it would name another file).
 */
static int
file_path(const char *var, const char *name, char *out, size_t outlen)
{
	const char *p = env(var), *home = env("HOME");
	int n;

	if (p == NULL)
		n = snprintf(out, outlen, "%s/.aws/%s", home ? home : "", name);
	else if (p[0] == '~' && (p[1] == '/' || p[1] == '\0'))
		n = snprintf(out, outlen, "%s%s", home ? home : "", p + 1);
	else
		n = snprintf(out, outlen, "%s", p);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/*
 * The config file's section of profile: [default] or [profile NAME]
 * (quotes around NAME allowed, as botocore's shlex reading allows); the
 * last one that names it, as botocore's map keeps the last.
 */
static const char *
config_section(const struct awsconf *c, const char *profile)
{
	const char *h, *found = NULL, *n;
	char name[256];
	size_t i, len;

	for (i = 0; (h = ini_section(c->config, i)) != NULL; i++) {
		if (strcmp(h, "default") == 0) {
			if (strcmp(profile, "default") == 0)
				found = h;
			continue;
		}
		if (strncmp(h, "profile", 7) != 0 ||
		    !isspace((unsigned char)h[7]))
			continue;
		for (n = h + 7; isspace((unsigned char)*n); n++)
			;
		len = strlen(n);
		while (len > 0 && isspace((unsigned char)n[len - 1]))
			len--;
		if (len >= 2 && (n[0] == '"' || n[0] == '\'') &&
		    n[len - 1] == n[0])
			n++, len -= 2;
		if (len >= sizeof(name))
			continue;
		memcpy(name, n, len);
		name[len] = '\0';
		if (strcmp(name, profile) == 0)
			found = h;
	}
	return found;
}

static const char *
creds_section(const struct awsconf *c, const char *profile)
{
	const char *h;
	size_t i;

	for (i = 0; (h = ini_section(c->creds, i)) != NULL; i++)
		if (strcmp(h, profile) == 0)
			return h;
	return NULL;
}

const char *
awsconf_get_config(const struct awsconf *c, const char *profile,
    const char *key)
{
	if (profile == NULL)
		profile = c->profile;
	return ini_get(c->config, config_section(c, profile), key);
}

const char *
awsconf_get_creds(const struct awsconf *c, const char *profile,
    const char *key)
{
	if (profile == NULL)
		profile = c->profile;
	return ini_get(c->creds, creds_section(c, profile), key);
}

const char *
awsconf_get(const struct awsconf *c, const char *profile, const char *key)
{
	const char *v = awsconf_get_creds(c, profile, key);

	return v != NULL ? v : awsconf_get_config(c, profile, key);
}

int
awsconf_has_profile(const struct awsconf *c, const char *profile)
{
	return config_section(c, profile) != NULL ||
	    creds_section(c, profile) != NULL;
}

void
awsconf_where(const struct awsconf *c, const char *profile, const char *key,
    char *buf, size_t len)
{
	if (profile == NULL)
		profile = c->profile;
	if (awsconf_get_creds(c, profile, key) != NULL)
		snprintf(buf, len, "[%.60s] in %.120s", profile, c->creds_path);
	else
		snprintf(buf, len, "profile %.60s in %.120s", profile,
		    c->config_path);
}

/* One of the files: 0 read or not there, -1 refused (why said). */
static int
load_file(const char *path, struct ini **out, char *why, size_t whylen)
{
	return ini_load(path, out, why, whylen) == -1 ? -1 : 0;
}

static int
style_parse(const char *v, enum awsconf_style *out)
{
	if (strcmp(v, "auto") == 0)
		*out = AWSCONF_AUTO;
	else if (strcmp(v, "path") == 0)
		*out = AWSCONF_PATH;
	else if (strcmp(v, "virtual") == 0)
		*out = AWSCONF_VIRTUAL;
	else
		return -1;
	return 0;
}

int
awsconf_load(struct awsconf *c, char *why, size_t whylen)
{
	const char *v, *from;
	char where[256];

	if (file_path("AWS_CONFIG_FILE", "config", c->config_path,
	    sizeof(c->config_path)) == -1 || file_path(
	    "AWS_SHARED_CREDENTIALS_FILE", "credentials", c->creds_path,
	    sizeof(c->creds_path)) == -1) {
		snprintf(why, whylen, "AWS_CONFIG_FILE or AWS_SHARED_"
		    "CREDENTIALS_FILE: a path longer than %zu bytes",
		    sizeof(c->config_path) - 1);
		return -1;
	}
	if (load_file(c->config_path, &c->config, why, whylen) == -1 ||
	    load_file(c->creds_path, &c->creds, why, whylen) == -1)
		return -1;

	/* The profile. */
	if ((v = c->profile_opt) != NULL)
		from = "--profile";
	else if ((v = env("AWS_PROFILE")) != NULL)
		from = "AWS_PROFILE";
	else if ((v = env("AWS_DEFAULT_PROFILE")) != NULL)
		from = "AWS_DEFAULT_PROFILE";
	else
		v = "default", from = "";
	if (strlen(v) >= sizeof(c->profile)) {
		snprintf(why, whylen, "%s: a profile name longer than %zu "
		    "bytes", from, sizeof(c->profile) - 1);
		return -1;
	}
	snprintf(c->profile, sizeof(c->profile), "%s", v);
	snprintf(c->profile_from, sizeof(c->profile_from), "%s", from);
	c->profile_named = *from != '\0';
	c->profile_exists = awsconf_has_profile(c, c->profile);
	if (c->profile_named && !c->profile_exists) {
		snprintf(why, whylen, "%s=%s: no such profile in %s or %s",
		    from, c->profile, c->config_path, c->creds_path);
		return -1;
	}

	/* The region. */
	if ((v = c->region_opt) != NULL && *v != '\0')
		snprintf(c->region_from, sizeof(c->region_from), "--region");
	else if ((v = env("AWS_REGION")) != NULL)
		snprintf(c->region_from, sizeof(c->region_from), "AWS_REGION");
	else if ((v = env("AWS_DEFAULT_REGION")) != NULL)
		snprintf(c->region_from, sizeof(c->region_from),
		    "AWS_DEFAULT_REGION");
	else if ((v = awsconf_get(c, NULL, "region")) != NULL && *v != '\0') {
		awsconf_where(c, NULL, "region", where, sizeof(where));
		snprintf(c->region_from, sizeof(c->region_from), "%s", where);
	} else {
		v = "us-east-1";
		snprintf(c->region_from, sizeof(c->region_from), "the "
		    "default");
	}
	if (strlen(v) >= sizeof(c->region) ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v)) {
		snprintf(why, whylen, "region '%.64s' (from %s): expected a "
		    "region such as eu-north-1", v, c->region_from);
		return -1;
	}
	snprintf(c->region, sizeof(c->region), "%s", v);

	/* The CA bundle. */
	c->ca_bundle[0] = c->ca_from[0] = '\0';
	if ((v = c->ca_bundle_opt) != NULL && *v != '\0')
		snprintf(c->ca_from, sizeof(c->ca_from), "--ca-bundle");
	else if ((v = env("AWS_CA_BUNDLE")) != NULL)
		snprintf(c->ca_from, sizeof(c->ca_from), "AWS_CA_BUNDLE");
	else if ((v = awsconf_get(c, NULL, "ca_bundle")) != NULL &&
	    *v != '\0')
		awsconf_where(c, NULL, "ca_bundle", c->ca_from,
		    sizeof(c->ca_from));
	else
		v = NULL;
	if (v != NULL && strlen(v) >= sizeof(c->ca_bundle)) {
		snprintf(why, whylen, "the CA bundle (from %s): a path longer "
		    "than %zu bytes", c->ca_from, sizeof(c->ca_bundle) - 1);
		return -1;
	}
	if (v != NULL)
		snprintf(c->ca_bundle, sizeof(c->ca_bundle), "%s", v);

	/* The addressing style. */
	c->style = AWSCONF_AUTO;
	snprintf(c->style_from, sizeof(c->style_from), "the default");
	if ((v = c->style_opt) != NULL)
		snprintf(c->style_from, sizeof(c->style_from),
		    "--addressing-style");
	else if ((v = awsconf_get(c, NULL, "s3.addressing_style")) != NULL)
		awsconf_where(c, NULL, "s3", c->style_from,
		    sizeof(c->style_from));
	if (v != NULL && style_parse(v, &c->style) == -1) {
		snprintf(why, whylen, "addressing style '%.32s' (from %s): "
		    "expected auto, path or virtual", v, c->style_from);
		return -1;
	}
	return 0;
}

void
awsconf_free(struct awsconf *c)
{
	ini_free(c->config);
	ini_free(c->creds);
	c->config = c->creds = NULL;
}

void
awsconf_endpoint(const struct awsconf *c, const char *service, char *url,
    size_t urllen, char *from, size_t fromlen)
{
	char var[64], key[64], sect[300], where[256];
	const char *v, *svc;
	size_t i;

	url[0] = from[0] = '\0';
	if (strcmp(service, "s3") == 0 && c->endpoint_opt != NULL &&
	    *c->endpoint_opt != '\0') {
		snprintf(url, urllen, "%s", c->endpoint_opt);
		snprintf(from, fromlen, "--endpoint-url");
		return;
	}
	if ((v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) != NULL ?
	    awsconf_true(v) : awsconf_true(awsconf_get(c, NULL,
	    "ignore_configured_endpoint_urls")))
		return;
	snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", service);
	for (i = 0; var[i] != '\0'; i++)
		var[i] = (char)toupper((unsigned char)var[i]);
	if ((v = env(var)) != NULL) {
		snprintf(url, urllen, "%s", v);
		snprintf(from, fromlen, "%s", var);
		return;
	}
	if ((v = env("AWS_ENDPOINT_URL")) != NULL) {
		snprintf(url, urllen, "%s", v);
		snprintf(from, fromlen, "AWS_ENDPOINT_URL");
		return;
	}
	snprintf(key, sizeof(key), "%s.endpoint_url", service);
	if ((svc = awsconf_get(c, NULL, "services")) != NULL &&
	    strlen(svc) < sizeof(sect) - 10) {
		snprintf(sect, sizeof(sect), "services %s", svc);
		if ((v = ini_get(c->config, sect, key)) != NULL &&
		    *v != '\0') {
			snprintf(url, urllen, "%s", v);
			snprintf(from, fromlen, "[services %s] in %s", svc,
			    c->config_path);
			return;
		}
	}
	if ((v = awsconf_get(c, NULL, "endpoint_url")) != NULL && *v != '\0') {
		awsconf_where(c, NULL, "endpoint_url", where, sizeof(where));
		snprintf(url, urllen, "%s", v);
		snprintf(from, fromlen, "%s", where);
	}
}
