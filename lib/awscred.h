/*
 * awscred.h - AWS credentials, found where the AWS CLI looks for them.
 *
 * In order: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
 * the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 * ~/.aws/credentials) for AWS_PROFILE (else "default"); the container
 * endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN); EC2 instance metadata with IMDSv2
 * (AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254;
 * AWS_EC2_METADATA_DISABLED=true skips it).  Secrets stay in here: the
 * messages and awscred_describe() never contain them.
 */
#ifndef QP_AWSCRED_H
#define QP_AWSCRED_H

#include <stddef.h>
#include <time.h>

struct awscred {
	char	 access_key[128];
	char	 secret_key[128];
	char	 token[2048];		/* session token, "" if none */
	time_t	 expires;		/* 0: they do not expire */
	char	 source[96];		/* where they came from */
};

/*
 * Load credentials.  Returns 0, or -1 with a one-line reason (naming
 * what was tried) in errbuf.
 */
int	awscred_load(struct awscred *, char *errbuf, size_t errlen);

/* Do they expire within five minutes of now (time to load again)? */
int	awscred_stale(const struct awscred *, time_t now);

/* "AKIA****************MPLE from environment": safe to print. */
void	awscred_describe(const struct awscred *, char *buf, size_t len);

/* Forget the secrets (overwrite them). */
void	awscred_clear(struct awscred *);

#endif
