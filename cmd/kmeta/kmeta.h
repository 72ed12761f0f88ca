/*
 * kmeta.h - what the parts of kmeta share: the run's settings and its
 * output, JSON lines or an aligned table (table.c), and --check
 * (check.c).
 */
#ifndef QP_KMETA_H
#define QP_KMETA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "obuf.h"

#define KMETA_MAX_TOPICS	64
#define KMETA_MAX_QUERIES	256

/* -Q -t TOPIC:PARTITION:MS, kcat's spelling. */
struct kmeta_query {
	char		*topic;		/* owned */
	int32_t		 partition;
	int64_t		 ms;		/* -1 the end, -2 the beginning */
};

struct kmeta {
	const char	*topics[KMETA_MAX_TOPICS];	/* -t TOPIC, borrowed */
	size_t		 ntopics;
	struct kmeta_query queries[KMETA_MAX_QUERIES];
	size_t		 nqueries;
	const char	*query_arg;	/* the first, for a message */
	int		 query;		/* -Q */
	int		 have_time;	/* -o s@MS given */
	int64_t		 time_ms;
	const char	*group;		/* -G */
	int		 check;		/* --check */
	int		 table;		/* 1 table, 0 JSON, -1 by stdout */
	long long	 timeout_ms;	/* --timeout: each network wait */
	char		*bootstrap;	/* bootstrap.servers as set; owned */
	char		*protocol;	/* security.protocol, upper case */
	rd_kafka_t	*rk;
	struct obuf	 out;
	int		 status;	/* the exit status so far */
};

/*
 * A table: rows of cells collected, then written with each column as
 * wide as its widest cell.  Cells are copied.
 */
struct table {
	size_t		 ncols;
	char		**cells;	/* row-major */
	size_t		 nrows, cap;
};

void	table_init(struct table *, size_t ncols);
/* Add a row of ncols cells (NULL is written as "-"): 0, or -1 (memory). */
int	table_row(struct table *, const char *const *cells);
void	table_write(const struct table *, struct obuf *);
void	table_free(struct table *);

/*
 * --check: read the metadata through the bootstrap servers, then connect
 * to each broker's advertised address and say what is wrong.  Returns
 * the exit status: 0 every broker answers, EX_UNAVAILABLE otherwise.
 */
int	kmeta_check(struct kmeta *);

/* The cluster's metadata (all topics) within the timeout, or NULL said. */
const rd_kafka_metadata_t *kmeta_metadata(struct kmeta *);

#endif
