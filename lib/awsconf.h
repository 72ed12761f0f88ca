/*
 * awsconf.h - AWS settings resolved as the AWS CLI v2 resolves them:
 * one model for every tool that talks to AWS (s3put, s3cat), from the
 * same command-line options, environment variables and shared files,
 * in the same order.  Credentials are awscred.h's, which reads its
 * profiles through this.
 *
 *   profile    --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default"
 *   region     --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 *              region; none: us-east-1
 *   endpoint   --endpoint-url; then, unless --- AWS_IGNORE_CONFIGURED_
 *              ENDPOINT_URLS or the profile's ignore_configured_endpoint_
 *              urls is true --- AWS_ENDPOINT_URL_<SERVICE>,
 *              AWS_ENDPOINT_URL, the profile's services section
 *              (<service> = endpoint_url = ...), the profile's
 *              endpoint_url; none: AWS's own
 *   CA bundle  --ca-bundle, AWS_CA_BUNDLE, the profile's ca_bundle
 *   addressing --addressing-style, the profile's s3 = addressing_style;
 *              none: auto
 *
 * The files: AWS_CONFIG_FILE (~/.aws/config: [default], [profile NAME],
 * [services NAME]) and AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials:
 * [NAME]).  A profile's settings are the two merged, the credentials
 * file's winning, as botocore merges them.
 */
#ifndef QP_AWSCONF_H
#define QP_AWSCONF_H

#include <stddef.h>

struct ini;

enum awsconf_style {
	AWSCONF_AUTO = 0,	/* virtual-hosted where the bucket allows */
	AWSCONF_PATH,
	AWSCONF_VIRTUAL
};

struct awsconf {
	/* the command line's, NULL when not given (borrowed) */
	const char	*profile_opt, *region_opt, *endpoint_opt;
	const char	*ca_bundle_opt, *style_opt;

	/* resolved by awsconf_load; each *_from says where from */
	char		 profile[128];
	char		 profile_from[32];	/* "--profile", "AWS_PROFILE" ... */
	int		 profile_named;		/* not the default by default */
	int		 profile_exists;	/* in either file */
	char		 region[64];
	char		 region_from[256];
	char		 ca_bundle[1024];	/* "" : the system's */
	char		 ca_from[256];
	enum awsconf_style style;
	char		 style_from[256];

	/* private */
	struct ini	*config, *creds;
	char		 config_path[1024], creds_path[1024];
};

/*
 * Read the files and resolve the profile, region, CA bundle and
 * addressing style.  Returns 0, or -1 with a one-line reason in why: a
 * file the AWS CLI would refuse, a named profile in neither file, a
 * setting with a value it does not take.
 */
int	awsconf_load(struct awsconf *, char *why, size_t whylen);

/* Free the files (their copies are cleansed: they hold secrets). */
void	awsconf_free(struct awsconf *);

/*
 * A setting of profile (NULL: the one in use): the credentials file's
 * over the config file's (awsconf_get), or only one file's.  Borrowed,
 * valid until awsconf_free; NULL if not set.
 */
const char *awsconf_get(const struct awsconf *, const char *profile,
	    const char *key);
const char *awsconf_get_config(const struct awsconf *, const char *profile,
	    const char *key);
const char *awsconf_get_creds(const struct awsconf *, const char *profile,
	    const char *key);

/* Is there a profile of that name, in either file? */
int	awsconf_has_profile(const struct awsconf *, const char *profile);

/* "profile lake in /home/u/.aws/config", for messages. */
void	awsconf_where(const struct awsconf *, const char *profile,
	    const char *key, char *buf, size_t len);

/*
 * The endpoint configured for service ("s3", "sts") into url ("" when
 * none is: AWS's own), and where it came from.  The command line's
 * --endpoint-url counts for s3 only.
 */
void	awsconf_endpoint(const struct awsconf *, const char *service,
	    char *url, size_t urllen, char *from, size_t fromlen);

/* Is v "true" as the AWS CLI reads a boolean (any case)? */
int	awsconf_true(const char *v);

#endif
