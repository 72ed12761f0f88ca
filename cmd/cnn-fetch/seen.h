/*
 * seen.h - the last version seen of each quote, for --every.
 *
 * A hash table from a key (the quote's symbol) to its stamps (its
 * last_updated), both raw bytes, copied in.  One answer can hold a key
 * more than once, with other stamps: a key keeps the stamps of the last
 * answer that had it.
 */
#ifndef CNN_FETCH_SEEN_H
#define CNN_FETCH_SEEN_H

#include <stddef.h>

struct seen;

/* Returns NULL if out of memory.  Free with seen_free(). */
struct seen *seen_new(void);
void	seen_free(struct seen *);

/*
 * A new answer begins: call before its first seen_update().  The stamps
 * recorded since the last call become those it is compared with.
 */
void	seen_next(struct seen *);

/*
 * Record stamp for key in the answer being read.  Returns 1 if the key is
 * new or the stamp is none of those the last answer with the key had (or
 * memory ran out: when in doubt, the quote counts as changed), 0 if it
 * is unchanged or was already recorded in this answer.
 */
int	seen_update(struct seen *, const char *key, size_t klen,
	    const char *stamp, size_t slen);

/*
 * The table as JSON lines, {"key":KEY,"stamp":STAMP} (both raw JSON
 * values, as recorded; a line per stamp of the last answer with the
 * key), for --state.  seen_load() adds a file's entries
 * (a missing file adds none) and returns the number of lines it could
 * not read, or -1 with errno; seen_save() writes path atomically (a
 * temporary file renamed) and returns 0 or -1 with errno.
 */
int	seen_load(struct seen *, const char *path);
int	seen_save(const struct seen *, const char *path);

#endif
