/*
 * spool.h - objects S3 did not take, kept on local disk (--spool DIR).
 *
 * While --spool is on, every object is also written to DIR as it is
 * built (NAME.tmp).  Once S3 has it the file goes; if S3 finally refuses
 * it, the file is kept as NAME.gz (or .jsonl) with NAME.json beside it
 * saying where it belongs, and the next s3put with the same --spool
 * uploads it before reading anything new.  Files of a run that was
 * killed (still .tmp) were never acknowledged, so they are removed.
 */
#ifndef S3PUT_SPOOL_H
#define S3PUT_SPOOL_H

#include <stddef.h>

struct spool_file;

/* Start a file for one object in dir.  NULL with errno on failure. */
struct spool_file *spool_open(const char *dir, const char *key);
int	spool_write(struct spool_file *, const void *, size_t);
const char *spool_path(const struct spool_file *);
/* S3 has it: remove the file.  NULL is fine. */
void	spool_discard(struct spool_file *);
/*
 * S3 refused it: keep the file and say where it belongs; the kept
 * file's path goes to kept.  Frees sf either way.
 */
int	spool_keep(struct spool_file *, const char *bucket, const char *key,
	    unsigned long records, const char *topic, int partition,
	    long long first, long long last, char *kept, size_t keptlen);

struct spool_entry {
	char			*path, *meta;	/* the object, its .json */
	char			*bucket, *key, *topic;
	unsigned long		 records;
	int			 partition;
	long long		 first, last;
	struct spool_entry	*next;
};

/* The kept objects of dir, oldest first; stale .tmp files removed. */
int	spool_list(const char *dir, struct spool_entry **);
void	spool_list_free(struct spool_entry *);
/* Remove an entry's files once it is stored. */
void	spool_remove(struct spool_entry *);

/*
 * Does an entry's object hold what its metadata says: a whole gzip
 * stream, and exactly its records in whole lines?  0 yes, -1 with why.
 */
int	spool_check(const struct spool_entry *, char *why, size_t whylen);
/* Rename a broken entry's files NAME.broken (never replayed); where: the
 * object's new path. */
int	spool_set_aside(const struct spool_entry *, char *where,
	    size_t wherelen);

/*
 * Read an entry's object in pieces of part_size and give each to fn,
 * the last with final set (fn takes over data, malloc'd).
 */
typedef void (*spool_part_fn)(void *arg, void *obj, char *data,
	    size_t len, int final);
int	spool_replay(const struct spool_entry *, size_t part_size,
	    spool_part_fn fn, void *arg, void *obj);

#endif
