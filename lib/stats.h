/*
 * stats.h - counters on request: periodic one-line stats on stderr, or
 * CloudWatch Embedded Metric Format lines, so that on Lambda the
 * metrics reach CloudWatch with no agent.
 *
 * Asked for through the environment, the same for every tool:
 *   QP_STATS=SECONDS        a line every SECONDS (0: only at the end)
 *   QP_STATS_FORMAT=emf     EMF JSON lines instead of text
 *   QP_STATS_NAMESPACE=NS   the EMF namespace (default quotepipe)
 * A tool asks stats_due() as it works and, when a line is due, fills an
 * array of fields and calls stats_emit(); at the end it calls
 * stats_emit() with final set.  With QP_STATS unset stats_due() is
 * always false and stats_emit() writes nothing.
 */
#ifndef QP_STATS_H
#define QP_STATS_H

#include <stddef.h>

struct stat_field {
	const char	*name;		/* "records_in" */
	const char	*unit;		/* CloudWatch unit: "Count", "Bytes",
					 * "Milliseconds" */
	double		 value;
};

/*
 * Read the environment; tool names the lines and the EMF dimension.
 * 0, or -1 with why filled: a value set but not understood, which is
 * refused rather than taken for "no stats".
 */
int	stats_init(const char *tool, char *why, size_t whylen);
int	stats_enabled(void);
/* Is a periodic line due?  Cheap enough to call per record. */
int	stats_due(void);
/*
 * A wait of ms (-1: no limit) cut short to when the next periodic line
 * is due, so that an idle tool still writes its lines on time.
 */
int	stats_wait_ms(int ms);
/* Write one line now (final: the run is over). */
void	stats_emit(const struct stat_field *, int n, int final);

#endif
