/*
 * wire.h - the three line formats that pass between the tools (DESIGN.md),
 * each written and parsed here and nowhere else.
 *
 * The envelope: a Kafka message as one JSON line.  kcons -J writes it;
 * s3put and kprod --envelope read it, and kcat -J's spelling of it too
 * ("payload", a string of the message's bytes, for "value"; "ts" for
 * "timestamp"; headers as an array of name, value, name, value ...).
 *
 *   {"topic":"quotes","partition":2,"offset":1041,"timestamp":1683926186000,
 *    "key":"COMP-USA","headers":{"h":"v"},"value":{...the record...}}
 *
 * The ack line: one object S3 has confirmed.  s3put writes it; kcons
 * --commit-acks reads it and commits last_offset + 1; s3put's spool
 * keeps it (without bytes and etag) beside an object it still owes.
 * quote-window --acks writes it without bucket and key once its --state
 * checkpoint holds the records counted.
 *
 *   {"bucket":"lake","key":"...","records":500,"bytes":18234,
 *    "etag":"\"9b2c...\"","topic":"quotes","partition":2,
 *    "first_offset":1041,"last_offset":1540}
 *
 * The control line: kcons -J --commit-acks tells the sink, on the
 * stream, that the group took a partition away ("revoke"), and waits
 * for the sink's answer on the ack stream ("revoked"): the sink has
 * dropped what it held of the partition, and every ack of it is
 * written before the answer.  The member name "control" comes first.
 *
 *   {"control":"revoke","id":3,"topic":"quotes","partition":2}
 *   {"control":"revoked","id":3,"topic":"quotes","partition":2}
 *
 * The parsers make one pass over a line that json_validate() accepted;
 * where a member is written twice, the first counts.
 */
#ifndef QP_WIRE_H
#define QP_WIRE_H

#include <stddef.h>

#include "json.h"

struct obuf;

/* ---- the envelope ---- */

/*
 * Write a message's envelope in three steps: its fields up to the
 * headers (timestamp < 0: null; key NULL: null), each header (val NULL:
 * null), then the value, which closes it.
 */
void	wire_envelope_begin(struct obuf *, const char *topic, int partition,
	    long long offset, long long timestamp, const void *key,
	    size_t klen);
void	wire_envelope_header(struct obuf *, size_t index, const char *name,
	    const void *val, size_t vlen);
void	wire_envelope_end(struct obuf *, const void *value, size_t vlen);

/*
 * A message value as JSON: the bytes themselves when they are one line
 * of JSON, else a JSON string of them (NULL: null).  kcons prints this
 * alone without -J.
 */
void	wire_value(struct obuf *, const void *value, size_t vlen);

struct wire_envelope {
	const char	*topic;		/* a Kafka topic name (no escapes) */
	size_t		 topiclen;
	int		 partition;
	long long	 offset;
	long long	 timestamp;	/* -1: null or absent */
	const char	*value;		/* raw JSON, borrowed from the line */
	size_t		 vlen;
	int		 kcat;		/* value is kcat's payload */
	const char	*key;		/* raw JSON; NULL: absent */
	size_t		 klen;
	const char	*headers;	/* raw JSON; NULL: absent */
	size_t		 hlen;
};

/* Does the line start as an envelope does ({"topic":, after blanks)? */
int	wire_looks_like_envelope(const char *line, size_t len);

/*
 * Parse an envelope.  Returns 0, or -1 with why (static text): topic,
 * partition, offset and value are needed, and the topic must be a name
 * Kafka accepts (it goes into object keys).  Member names are compared
 * decoded ("\u006fffset" is offset); "value" and "timestamp" win over
 * kcat's "payload" and "ts" in one envelope.
 */
int	wire_envelope_parse(const char *line, size_t len,
	    struct wire_envelope *, const char **why);

/*
 * The record an envelope carries: its value; for kcat's payload (a JSON
 * string of the message's bytes), those bytes when they are one line of
 * JSON (as kcons -J would have written the value), else the string.
 * dst holds e->vlen bytes (decoding never grows).  Returns the record's
 * length, with *rec at it (the line's bytes, or dst).
 */
size_t	wire_envelope_record(const struct wire_envelope *, char *dst,
	    const char **rec);

/*
 * The message an envelope describes, to produce it again (kprod
 * --envelope).  Each writes the decoded bytes it needs into dst, which
 * holds at least as many bytes as the member's raw JSON (decoding never
 * grows), and points its result at the line or at dst.
 *
 * The value: kcons's "value" is the JSON text as written in the line
 * (kcons wrote the message's bytes so when they were one line of JSON);
 * kcat's "payload" string is decoded to the bytes it stands for.  null
 * is a tombstone: *val NULL.  dst holds e->vlen bytes.
 */
size_t	wire_envelope_value(const struct wire_envelope *, char *dst,
	    const char **val);

/*
 * The key: a string decoded, null or absent *key NULL, any other JSON
 * (kcat -s key=avro writes objects) as written.  dst holds e->klen.
 */
size_t	wire_envelope_key(const struct wire_envelope *, char *dst,
	    const char **key);

/*
 * The headers, in order, duplicates kept: kcons's object of name:
 * value, or kcat's array of name, value, ...; each value a string or
 * null.  wire_headers_begin() returns 0 (no "headers": none), or -1 with
 * why (static text) when they are of neither shape.  Each
 * wire_headers_next() returns 1 with the next header decoded into dst
 * (it holds e->hlen bytes for all of them; *val NULL for null), 0 after
 * the last, or -1 with why for a name or value of the wrong kind (an
 * array of odd length included).
 */
struct wire_headers {
	struct json_iter it;
	int		 array;
	char		*dst;		/* where the next header is decoded */
};
int	wire_headers_begin(struct wire_headers *, const struct wire_envelope *,
	    char *dst, const char **why);
int	wire_headers_next(struct wire_headers *, const char **name,
	    size_t *nlen, const char **val, size_t *vlen, const char **why);

/* ---- the ack line ---- */

struct wire_ack {
	const char	*bucket, *key;	/* NULL when absent (parsed) */
	long long	 records;	/* -1: absent */
	long long	 bytes;		/* -1: absent (the spool's) */
	const char	*etag;		/* NULL: absent (the spool's) */
	const char	*topic;		/* NULL: not from envelopes */
	int		 partition;	/* with topic; else -1 */
	long long	 first, last;	/* with topic; else -1 */
	int		 dry_run;	/* s3put --dry-run's: nothing stored */
};

/* One ack line, '\n' included; bucket NULL: no bucket and key. */
void	wire_ack_write(struct obuf *, const struct wire_ack *);

/*
 * Parse an ack line.  A line with a dry_run member (other than false)
 * is s3put --dry-run's: dry_run is set, and no reader acts on it.  Its strings are decoded into buf (each
 * NUL-terminated; buflen >= len holds them all) and pointed to from the
 * ack.  A member that is absent, or not of its kind (a count that is no
 * whole number, an offset past LLONG_MAX - 1), is left absent: each
 * reader checks for what it needs.  Returns 0, or -1 when the line is
 * not a JSON object.
 */
int	wire_ack_parse(const char *line, size_t len, struct wire_ack *,
	    char *buf, size_t buflen);

/* ---- the control line ---- */

struct wire_control {
	const char	*kind;		/* "revoke", "revoked"; NULL: absent */
	long long	 id;		/* -1: absent */
	const char	*topic;		/* NULL: absent */
	int		 partition;	/* -1: absent */
};

/* One control line, '\n' included. */
void	wire_control_write(struct obuf *, const char *kind, long long id,
	    const char *topic, int partition);

/* Does the line start as a control line does ({"control":, after blanks)? */
int	wire_looks_like_control(const char *line, size_t len);

/*
 * Parse a control line (strings decoded into buf, buflen >= len, as for
 * acks).  Returns 0 when it has all four members, else -1 with why
 * (static text).
 */
int	wire_control_parse(const char *line, size_t len, struct wire_control *,
	    char *buf, size_t buflen, const char **why);

#endif
