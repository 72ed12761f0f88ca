/*
 * s3put.h - what s3put's rooms share.
 *
 * main.c: options and start-up.  records.c: the main thread's reading,
 * each line to its batch.  batch.c: batches, compressed as they fill.
 * upload.c: the upload thread, which stores each object and acks it.
 *
 * The main thread and the uploader meet in a one-slot hand-off: a part
 * is handed over only when the uploader is idle, so at most two parts
 * (one uploading, one filling) are in memory and compressing the next
 * part overlaps uploading this one.  Only the upload thread writes
 * stdout, and it writes an ack only after S3 has confirmed the object,
 * in the order the batches were closed.  Fields the uploader changes
 * are read by the main thread under mu.
 */
#ifndef S3PUT_S3PUT_H
#define S3PUT_S3PUT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "cli.h"
#include "jsonl.h"
#include "obuf.h"
#include "s3.h"

#define KEY_MAX		1024
#define MIN_PART	(5 * 1024 * 1024)
#define GZ_CHUNK	(1024 * 1024)	/* compressed apart (gz.c) */
#define GZ_PENDING_MAX	(8 * 1024 * 1024) /* raw, in all open batches */
#define GZ_THREADS_MAX	4		/* by default */

enum envelope_mode { ENV_AUTO, ENV_ALWAYS, ENV_NEVER };

/* One object being built: what the uploader needs to store and ack it. */
struct object {
	char		*key;
	char		*pattern;	/* the key, "{offset}" kept (envelopes) */
	char		*topic;		/* NULL: not from envelopes */
	int		 partition;
	long long	 first, last;
	unsigned long	 records;
	size_t		 bytes;		/* stored (compressed) size */
	unsigned long	 revokes;	/* p->revokes when opened */
	/* the uploader's */
	char		 upload_id[512];
	char		**etags;
	int		 nparts;
	EVP_MD_CTX	*md5;		/* of every part's bytes */
	struct spool_file *spool;
};

/* A batch open in the main thread. */
struct batch {
	struct object	*obj;
	char		*prefix;	/* rendered template, "{offset}" kept */
	size_t		 raw;		/* uncompressed bytes */
	long long	 opened_ms;
	char		*in;		/* raw, not yet sent to compress */
	size_t		 inlen, incap;
	uint32_t	 crc;		/* of the chunks reaped (gz.c) */
	uint64_t	 isize;
	int		 begun;		/* the gzip header is written */
	int		 broken;	/* a chunk was lost: not stored */
	int		 dropped;	/* revoked: its chunks are thrown away */
	char		*buf;		/* compressed, not yet handed over */
	size_t		 len, cap;
	struct batch	*next;
};

/* kcons's revoke of a partition, answered once all before it is done. */
struct answer {
	long long	 id;
	int		 partition;
	char		 topic[256];
};

struct job {
	struct object	*obj;		/* NULL: ans */
	char		*data;		/* taken over by the uploader */
	size_t		 len;
	int		 final;
	int		 drop;		/* revoked: not stored, not acked */
	struct answer	*ans;
};

struct s3put {
	/* options */
	const char	*bucket;
	struct tmpl	*tmpl;
	enum envelope_mode envelope;
	struct json_path *time_field;
	const char	*time_field_arg;	/* as written */
	unsigned	 said_time, said_kafka;	/* bad lines said once */
	unsigned long	 max_records;
	size_t		 max_bytes, part_size;
	long long	 max_age_ms;
	int		 gzip, level;
	int		 threads;	/* --threads: compressing */
	struct gz	*gz;		/* gz.c's, the main thread's */
	size_t		 pending;	/* raw bytes in open batches' b->in */
	int		 dry_run;	/* --dry-run: say, store nothing */
	int		 said_clock;	/* warned: a key's time from the clock */
	int		 no_overtake;	/* the uploader's: nothing is deleted */
	/*
	 * The last offset stored and acked, per partition, in this run
	 * (a replayed --spool, or the run's own acks): a record at or
	 * below it, read again (the commit behind the acks), is in S3
	 * already and is not stored again, or a later cut of it would
	 * overtake objects already acked.  A revoke read forgets the
	 * partition's mark, and acks of objects opened before it do not
	 * set it again: the partition, if it comes back, is read afresh
	 * from the committed offset.  Under mu.
	 */
	struct acked {
		char		*topic;
		int		 partition;
		long long	 last;
		unsigned long	 since;	/* forgotten at this revoke */
	}		*acked;
	size_t		 nacked;
	unsigned long	 revokes;	/* read so far; under mu */
	unsigned long	 nskipped;
	unsigned long	 nrevoked;	/* records dropped at a revoke */
	const char	*spool_dir;
	char		 run_id[17];	/* names objects from plain records */
	unsigned long	 seq;
	/* reading */
	struct batch	*open;
	struct cli_input in;		/* stdin, what was read */
	unsigned long	 nrecords;
	int		 input_err;	/* a batch could not be made */
	char		*scratch;	/* a kcat payload's record, decoded */
	size_t		 scratchlen;
	int		 spool_err;	/* a kept object was set aside */
	/* the hand-off */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	 slot;
	int		 full, busy, done;
	/* the uploader's */
	struct s3	 s3;
	struct obuf	 out;
	unsigned long	 nobjects, nstored_records;
	unsigned long	 nretries;	/* s3's, copied under the lock */
	unsigned long	 ndropped;	/* objects overtaken, deleted */
	size_t		 stored_bytes;
	double		 upload_ms;	/* summed over stored objects */
	long long	 started_ms;	/* of the object being stored */
	int		 failed;	/* exit status of the first failure */
	char		 failure[768];
};

/* upload.c */
void	*uploader(void *);
void	 hand_over(struct s3put *, struct object *, char *data, size_t len,
	    int final);
void	 hand_job(struct s3put *, const struct job *);
void	 object_free(struct object *);
/* The last offset acked for the partition in this run, or -1. */
long long acked_last(struct s3put *, const char *topic, size_t topiclen,
	    int partition);
void	 acked_forget(struct s3put *, const char *topic, int partition);
void	 acked_free(struct s3put *);
void	 fail(struct s3put *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 has_failed(struct s3put *);
int	 replay_spool(struct s3put *);

/* batch.c */
struct batch *batch_open(struct s3put *, const char *prefix,
	    const char *topic, size_t topiclen, int partition,
	    long long offset);
int	 batch_add(struct s3put *, struct batch *, const char *data,
	    size_t len);
void	 batch_hand_part(struct s3put *, struct batch *);
void	 batch_close(struct s3put *, struct batch *);
void	 batch_drop(struct s3put *, struct batch *);
void	 close_all(struct s3put *);
long long close_aged(struct s3put *);

/* gz.c */
const char *gz_library(int level);
int	 gz_start(struct s3put *);
void	 gz_submit(struct s3put *, struct batch *);
int	 gz_finish(struct s3put *, struct batch *);
void	 gz_drain(struct s3put *);
void	 gz_reap_done(struct s3put *);
void	 gz_stop(struct s3put *);

/* records.c */
void	 read_input(struct s3put *);
void	 s3put_stats(struct s3put *, int final);

#endif
