/*
 * s3.h - the S3 requests s3put makes, signed with SigV4 and retried.
 *
 * One struct s3 is one connection's worth of state (a curl easy handle,
 * kept alive between requests); it is used by one thread at a time.
 */
#ifndef S3PUT_S3_H
#define S3PUT_S3_H

#include <stddef.h>

#include <curl/curl.h>

#include "awscred.h"

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
	/* the last answer */
	long		 status;
	char		 etag[128];
	char		 code[64];	/* S3's error code, if any */
	char		 message[256];	/* S3's message or curl's */
	char		*body;
	size_t		 len, cap;
	int		 retryable;
};

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

/* "HTTP 503 SlowDown: Please reduce your request rate." and the like. */
void	s3_strerror(const struct s3 *, char *buf, size_t len);

#endif
