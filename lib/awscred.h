/*
 * awscred.h - AWS credentials, found where the AWS CLI v2 finds them, in
 * its order (botocore's default chain):
 *
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN (not with --profile, which names the source)
 *   2. the profile's role_arn, with source_profile or credential_source
 *      (Environment, Ec2InstanceMetadata, EcsContainer): STS AssumeRole,
 *      with its role_session_name, external_id and duration_seconds
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (not
 *      with --profile), or the profile's web_identity_token_file and
 *      role_arn: STS AssumeRoleWithWebIdentity, as on EKS
 *   4. the shared credentials file's keys for the profile
 *   5. the profile's credential_process
 *   6. the config file's keys for the profile
 *   7. the container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *      or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN)
 *   8. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT,
 *      else http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true
 *      skips it)
 *
 * The profile, region, STS endpoint and CA bundle are awsconf.h's.
 * Secrets stay in here: no message, and not awscred_describe(), ever
 * holds a secret key, a session token or an assumed role's key.
 */
#ifndef QP_AWSCRED_H
#define QP_AWSCRED_H

#include <stddef.h>
#include <time.h>

struct awsconf;

struct awscred {
	char	 access_key[128];
	char	 secret_key[128];
	char	 token[4096];		/* session token, "" if none */
	time_t	 expires;		/* 0: they do not expire */
	char	 source[256];		/* where they came from */
};

/*
 * Load credentials for conf's profile.  Returns 0; -1 with a one-line
 * reason (naming what was tried, or what is wrong with the
 * configuration) in errbuf; or -2, with the reason, when a service the
 * chain asks (STS) is still not there or failing after its retries.
 */
int	awscred_load(struct awscred *, const struct awsconf *, char *errbuf,
	    size_t errlen);

/* Do they expire within five minutes of now (time to load again)? */
int	awscred_stale(const struct awscred *, time_t now);

/* "access key ****MPLE from the environment": safe to print. */
void	awscred_describe(const struct awscred *, char *buf, size_t len);

/* Forget the secrets (overwrite them). */
void	awscred_clear(struct awscred *);

#endif
