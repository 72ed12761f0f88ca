/*
 * sts.h - the two AWS STS calls the credential chain makes, as the STS
 * API reference describes them (Query protocol, Version 2011-06-15):
 * AssumeRole, signed with SigV4 by the credentials it starts from, and
 * AssumeRoleWithWebIdentity, unsigned, with the token of an identity
 * provider (EKS's service-account token, say).
 */
#ifndef QP_STS_H
#define QP_STS_H

#include <stddef.h>

struct awscred;

struct sts_call {
	const char	*endpoint;	/* a URL; "" or NULL: AWS's own */
	const char	*region;	/* signing region, and the host's */
	int		 global;	/* no region was set: sts.amazonaws.com */
	const char	*ca_bundle;	/* NULL or "": the system's */
	const struct awscred *signer;	/* AssumeRole's; NULL: web identity */
	const char	*role_arn;
	const char	*session_name;
	const char	*external_id;	/* NULL: none */
	const char	*web_token;	/* AssumeRoleWithWebIdentity's */
	long		 duration;	/* seconds; 0: STS's default */
};

/*
 * Make the call, asking again (with backoff) while STS is not there,
 * answers 5xx, 429 or Throttling; on success the temporary credentials
 * are in out (its source left to the caller).  Returns 0; -2 when it
 * still failed so after the retries; or -1 (STS refused, or the answer
 * is wrong), with why: STS's error code and message, or what failed on
 * the way; never a secret.
 */
int	sts_assume(const struct sts_call *, struct awscred *out, char *why,
	    size_t whylen);

/*
 * The credentials in an AssumeRole or AssumeRoleWithWebIdentity answer
 * (len bytes, NUL-terminated).  0, or -1 if they are not all there.
 */
int	sts_parse(const char *body, size_t len, struct awscred *out);

#endif
