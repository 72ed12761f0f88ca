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

#include "http.h"

#include "awsconf.h"
#include "awscred.h"

#define S3_META_MAX	4

/* Where a GET's body goes: return 0, or -1 to stop (the GET fails). */
typedef int (*s3_sink_fn)(void *arg, const char *data, size_t len);

/* One object of a listing. */
struct s3_entry {
	char		*key;
	long long	 size;		/* -1 if the listing did not say */
	char		 etag[80];	/* as listed, quotes kept; "" if none */
};

struct s3 {
	/* set by the caller before s3_init() */
	const char	*bucket;
	struct awsconf	 conf;		/* its *_opt: the command line's */
	long		 timeout_ms;
	int		 retries;
	long		 retry_delay_ms;
	const char	*content_type;
	/* how a new object is stored (s3put): NULL, S3's default */
	const char	*sse;		/* "AES256" or "aws:kms" */
	const char	*sse_kms_key_id;
	const char	*storage_class;
	const char	*acl;		/* a canned ACL */
	/*
	 * User metadata of the next object stored (x-amz-meta-NAME: VALUE,
	 * signed), set before each s3_put or s3_create_multipart; names in
	 * lower case.  A HEAD reads them back into meta[].value.
	 */
	struct s3_meta {
		const char	*name;
		char		 value[32];
	}		 meta[S3_META_MAX];
	int		 nmeta;
	int		 interruptible;	/* a stop signal ends a request (or a
					 * retry's wait); else it is finished */
	/*
	 * What lib/s3 has to tell while it works (a retry and why, a
	 * credential refresh that failed), one line of text for the tool
	 * to say or not; NULL: nothing is said.
	 */
	void		(*note)(void *arg, const char *text);
	void		*note_arg;
	/* resolved by s3_init() */
	const char	*region;	/* the bucket's, once S3 said it */
	char		 endpoint[1024];	/* "" : AWS's own */
	char		 endpoint_from[192];
	/* private */
	struct awscred	 cred;
	CURL		*easy;
	CURLM		*multi;		/* every request runs through it */
	char		 region_buf[64];
	char		 base[600];	/* scheme://host[:port] */
	char		 host[512];
	char		 prefix[512];	/* the endpoint URL's path, or "" */
	int		 path_style;
	int		 region_global;	/* none set: s3.amazonaws.com */
	int		 refreshed;	/* the chain re-read for this request */
	int		 reading_meta;	/* a HEAD that reads meta[] */
	time_t		 refresh_after;	/* a refresh failed: not before */
	char		 errbuf[CURL_ERROR_SIZE];
	unsigned long	 nretries;	/* retried requests, for stats */
	int		 retry_base;	/* retries already made elsewhere */
	s3_sink_fn	 sink;		/* a GET in progress */
	void		*sink_arg;
	unsigned long long sink_off;	/* bytes given to the sink */
	unsigned long long skip;	/* bytes to drop (a 200 to a Range) */
	int		 sink_failed;
	void		*sink_md5;	/* MD5 of what the sink was given */
	long long	 want_size;	/* the GET's size from a listing, or -1 */
	char		 want_etag[80];	/* the GET's ETag from a listing */
	const char	*expect;	/* a 2xx body must end this element */
	/* the last answer */
	long		 status;
	char		 etag[128];
	char		 code[64];	/* S3's error code, if any */
	char		 message[512];	/* S3's message or curl's */
	char		 bucket_region[64];	/* x-amz-bucket-region */
	struct http_body body;		/* an answer that is not an object's */
	int		 retryable;
	int		 wrong;		/* the answer was wrong (EX_PROTOCOL) */
	int		 etag_not_md5;	/* SSE-KMS or SSE-C: ETag is no MD5 */
	int		 interrupted;	/* a stop signal ended the request */
};

/*
 * Split "s3://BUCKET[/REST]": BUCKET must be a bucket name S3 accepts
 * (3 to 63 of a-z, 0-9, '.' and '-'); *rest is what follows its slash
 * ("" if none).  Returns 0, or -1 with why.  One rule for every tool.
 */
int	s3_parse_url(const char *url, char *bucket, size_t bucketlen,
	    const char **rest, char *why, size_t whylen);

/*
 * Set up: the configuration resolved (awsconf.h, from s->conf's
 * options), the endpoint and addressing style settled, credentials
 * loaded.  Returns S3_INIT_OK, or what failed with a message in why.
 * S3_INIT_ENDPOINT names where the bad URL came from (s->endpoint_from).
 */
enum s3_init_err {
	S3_INIT_OK = 0,
	S3_INIT_ENDPOINT = -1,		/* the endpoint is not a URL */
	S3_INIT_CREDENTIALS = -2,	/* none found, or unreadable */
	S3_INIT_NOMEM = -3,
	S3_INIT_CONFIG = -4,		/* the files or settings are wrong */
	S3_INIT_UNAVAILABLE = -5	/* STS still failing after retries */
};
enum s3_init_err s3_init(struct s3 *, char *why, size_t whylen);
void	s3_close(struct s3 *);

/*
 * The requests.  Each returns 0 when S3 confirmed it, or -1 after the
 * retries with s3->status, code and message saying why (s3->wrong set
 * when the answer itself was wrong, s3->interrupted when a stop signal
 * ended it).  Keys are sent exactly as given (no dot-segment removal).
 *
 * What is confirmed is checked, not taken on trust: a PUT's or a part's
 * ETag must be the MD5 of the bytes sent, an answer S3 sends as XML must
 * be whole, and a multipart object's ETag must be the one its parts
 * make (MD5 of their MD5s, "-N"), or the MD5 of all its bytes (md5, if
 * not NULL; some S3-compatible servers make it so); when the answer to
 * a Complete is lost or wrong, the object is looked at (HEAD) instead.
 */
int	s3_head_bucket(struct s3 *);
int	s3_put(struct s3 *, const char *key, const void *data, size_t len);
int	s3_create_multipart(struct s3 *, const char *key, char *upload_id,
	    size_t idlen);
int	s3_upload_part(struct s3 *, const char *key, const char *upload_id,
	    int partno, const void *data, size_t len);
int	s3_complete_multipart(struct s3 *, const char *key,
	    const char *upload_id, char *const *etags, int nparts,
	    const unsigned char *md5);
/*
 * HEAD: the object's size, and the values of the metadata named in
 * s->meta[0..nmeta) ("" where it has none).
 */
int	s3_head_object(struct s3 *, const char *key, long long *size);
int	s3_abort_multipart(struct s3 *, const char *key,
	    const char *upload_id);

/*
 * GET an object, giving its bytes to sink as they come.  A transfer cut
 * short is resumed where it stopped (Range), so the sink sees every
 * byte once.  With size >= 0 (from a listing) a body that ends early is
 * a cut, resumed too; a body whose ETag (etag, or the answer's) is a
 * plain MD5 must have that MD5.
 */
int	s3_get(struct s3 *, const char *key, long long size, const char *etag,
	    s3_sink_fn sink, void *arg);

/*
 * One page of ListObjectsV2 under prefix: its objects (free them with
 * s3_list_free) and, when there are more, the token for the next page
 * in next ("" on the last page).
 */
int	s3_list(struct s3 *, const char *prefix, const char *token,
	    struct s3_entry **ents, size_t *nents, char *next, size_t nextlen);
/* The same, of the keys after `after` only (start-after; "" none). */
int	s3_list_after(struct s3 *, const char *prefix, const char *after,
	    const char *token, struct s3_entry **ents, size_t *nents,
	    char *next, size_t nextlen);

/* DeleteObject (S3 answers 204 whether or not the key was there). */
int	s3_delete(struct s3 *, const char *key);
void	s3_list_free(struct s3_entry *, size_t);

/*
 * The answers' parsers, on a whole body (NUL-terminated, len bytes).
 * s3_parse_list: 0, or -1 with why (not a whole ListBucketResult, an
 * unclosed element, a truncated page without a token).
 * s3_parse_complete: 0 with the object's ETag (quotes kept, entities
 * decoded), or -1 if the body is not a whole
 * CompleteMultipartUploadResult with an ETag.
 */
int	s3_parse_list(const char *body, size_t len, struct s3_entry **ents,
	    size_t *nents, char *next, size_t nextlen, char *why,
	    size_t whylen);
int	s3_parse_complete(const char *body, size_t len, char *etag,
	    size_t etaglen);

/* The ETag S3 gives an object of these parts: "MD5-of-MD5s-N"; -1 if a
 * part's ETag is not a quoted MD5. */
int	s3_multipart_etag(char *const *etags, int nparts, char *out,
	    size_t outlen);

/* "HTTP 503 SlowDown: Please reduce your request rate." and the like. */
void	s3_strerror(const struct s3 *, char *buf, size_t len);

#endif
