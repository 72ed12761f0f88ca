/*
 * list.h - s3cat --list, the lake's inventory (list.c).
 */
#ifndef S3CAT_LIST_H
#define S3CAT_LIST_H

#include <stddef.h>

struct obuf;
struct s3;

/* The exit status when a partition has a gap or an overlap: as cmp(1). */
#define LIST_NOT_CONTIGUOUS	1

struct inv_obj {
	char		*key, *topic;
	int		 partition;
	long long	 first, last, records, size;
	int		 counted;	/* no metadata: its lines counted */
};

struct inv {
	struct inv_obj	*v;
	size_t		 n, cap;
	unsigned long	 others;	/* objects not of envelopes */
};

/*
 * Every object under s3://bucket/prefix into v (s set up for bucket).
 * Returns 0, or the exit status of what failed (said).
 */
int	list_prefix(struct inv *v, struct s3 *s, const char *bucket,
	    const char *prefix);

/*
 * One line per object and one per partition on out, in topic,
 * partition and offset order.  Returns 0, LIST_NOT_CONTIGUOUS, or
 * EX_OSERR (said).
 */
int	list_report(struct inv *v, struct obuf *out);

void	list_free(struct inv *v);

#endif
