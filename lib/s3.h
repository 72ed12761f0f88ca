/*
 * s3.h - the S3 requests the tools make, signed with SigV4 and retried.
 *
 * One struct s3 is one connection's worth of state (a curl easy handle,
 * kept alive between requests); it is used by one thread at a time.
 */
#ifndef QP_S3_H
#define QP_S3_H

#include <stddef.h>

#include <curl/curl.h>

#include "awscred.h"

/* Where a GET's body goes: return 0, or -1 to stop (the GET fails). */
typedef int (*s3_sink_fn)(void *arg, const char *data, size_t len);

struct s3 {
	/* set by the caller before s3_init() */
	const char	*bucket, *region;
	const char	*endpoint;	/* NULL: AWS, virtual-hosted */
	long		 timeout_ms;
	int		 retries;
	long		 retry_delay_ms;
	const char	*content_type;
	/* private */
	struct awscred	 cred;
	CURL		*easy;
	char		 base[600];	/* scheme://host[:port] */
	char		 host[512];
	int		 path_style;
	char		 errbuf[CURL_ERROR_SIZE];
	unsigned long	 nretries;	/* retried requests, for stats */
	s3_sink_fn	 sink;		/* a GET in progress */
	void		*sink_arg;
	unsigned long long sink_off;	/* bytes given to the sink */
	unsigned long long skip;	/* bytes to drop (a 200 to a Range) */
	int		 sink_failed;
	/* the last answer */
	long		 status;
	char		 etag[128];
	char		 code[64];	/* S3's error code, if any */
	char		 message[256];	/* S3's message or curl's */
	char		*body;
	size_t		 len, cap;
	int		 retryable;
};

/* The region: opt if set, else $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1. */
const char *s3_region(const char *opt);

/*
 * Set up: endpoint parsed, credentials loaded.  Returns 0, or -1 with a
 * message in why (credentials missing: EX_CONFIG territory).
 */
int	s3_init(struct s3 *, char *why, size_t whylen);
void	s3_close(struct s3 *);

/*
 * The requests.  Each returns 0 when S3 confirmed it, or -1 after the
 * retries with s3->status, code and message saying why.
 */
int	s3_head_bucket(struct s3 *);
int	s3_put(struct s3 *, const char *key, const void *data, size_t len);
int	s3_create_multipart(struct s3 *, const char *key, char *upload_id,
	    size_t idlen);
int	s3_upload_part(struct s3 *, const char *key, const char *upload_id,
	    int partno, const void *data, size_t len);
int	s3_complete_multipart(struct s3 *, const char *key,
	    const char *upload_id, char *const *etags, int nparts);
int	s3_abort_multipart(struct s3 *, const char *key,
	    const char *upload_id);

/*
 * GET an object, giving its bytes to sink as they come.  A transfer cut
 * short is resumed where it stopped (Range), so the sink sees every
 * byte once.
 */
int	s3_get(struct s3 *, const char *key, s3_sink_fn sink, void *arg);

/*
 * One page of ListObjectsV2 under prefix: the keys (caller frees each
 * and the array) and, when there are more, the token for the next page
 * in next ("" on the last page).
 */
int	s3_list(struct s3 *, const char *prefix, const char *token,
	    char ***keys, size_t *nkeys, char *next, size_t nextlen);

/* "HTTP 503 SlowDown: Please reduce your request rate." and the like. */
void	s3_strerror(const struct s3 *, char *buf, size_t len);

#endif
