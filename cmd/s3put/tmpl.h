/*
 * tmpl.h - s3put's object key templates.
 *
 * "quotes/dt=%Y-%m-%d/{topic}-{partition}-{offset}.jsonl.gz": strftime
 * conversions (UTC) and three fields of the batch.  A template ending in
 * '/' is a prefix; s3put then adds a file name itself.
 */
#ifndef S3PUT_TMPL_H
#define S3PUT_TMPL_H

#include <stddef.h>
#include <time.h>

struct tmpl;

/*
 * Compile a template.  Returns NULL with the problem in errbuf: an
 * unknown {field}, an unclosed brace, a strftime conversion s3put does
 * not know, or a key that would be empty.
 */
struct tmpl *tmpl_compile(const char *text, char *errbuf, size_t errlen);
void	tmpl_free(struct tmpl *);

int	tmpl_is_prefix(const struct tmpl *);	/* ends in '/' */
int	tmpl_uses_offset(const struct tmpl *);
int	tmpl_uses_kafka(const struct tmpl *);	/* topic, partition or offset */
int	tmpl_uses_time(const struct tmpl *);	/* a strftime conversion */
/* Do its keys name the topic and partition (a prefix template's do)? */
int	tmpl_names_partition(const struct tmpl *);

/*
 * Render for a record at time t.  topic may be NULL (no envelope: the
 * Kafka fields are then empty); offset < 0 leaves "{offset}" in the
 * output, to be filled by tmpl_fill_offset() when the batch is cut.
 * Returns the length, or -1 if out is too small.
 */
int	tmpl_render(const struct tmpl *, time_t t, const char *topic,
	    int partition, long long offset, char *out, size_t outlen);

/*
 * 0 if key has a "." or ".." path segment: HTTP clients and servers
 * resolve those, so the object would land elsewhere than its key says.
 */
int	tmpl_key_safe(const char *key);

/* Replace "{offset}" in key with offset, zero-padded to 20 digits. */
int	tmpl_fill_offset(const char *key, long long offset, char *out,
	    size_t outlen);

#endif
