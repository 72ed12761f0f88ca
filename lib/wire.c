/*
 * wire.c - the envelope and the ack line (wire.h).
 */
#include <limits.h>
#include <string.h>

#include "json.h"
#include "obuf.h"
#include "wire.h"

/* ---- the envelope ---- */

void
wire_value(struct obuf *o, const void *value, size_t vlen)
{
	if (value == NULL)
		obuf_puts(o, "null");
	else if (json_is_line(value, vlen))
		obuf_write(o, value, vlen);
	else
		obuf_json_string(o, value, vlen);
}

void
wire_envelope_begin(struct obuf *o, const char *topic, int partition,
    long long offset, long long timestamp, const void *key, size_t klen)
{
	obuf_puts(o, "{\"topic\":");
	obuf_json_string(o, topic, strlen(topic));
	obuf_printf(o, ",\"partition\":%d,\"offset\":%lld,\"timestamp\":",
	    partition, offset);
	if (timestamp < 0)
		obuf_puts(o, "null");
	else
		obuf_printf(o, "%lld", timestamp);
	obuf_puts(o, ",\"key\":");
	if (key != NULL)
		obuf_json_string(o, key, klen);
	else
		obuf_puts(o, "null");
	obuf_puts(o, ",\"headers\":{");
}

void
wire_envelope_header(struct obuf *o, size_t index, const char *name,
    const void *val, size_t vlen)
{
	if (index > 0)
		obuf_putc(o, ',');
	obuf_json_string(o, name, strlen(name));
	obuf_putc(o, ':');
	if (val != NULL)
		obuf_json_string(o, val, vlen);
	else
		obuf_puts(o, "null");
}

void
wire_envelope_end(struct obuf *o, const void *value, size_t vlen)
{
	obuf_puts(o, "},\"value\":");
	wire_value(o, value, vlen);
	obuf_putc(o, '}');
}

int
wire_looks_like_envelope(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return len - i >= 9 && memcmp(line + i, "{\"topic\":", 9) == 0;
}

/* A name Kafka accepts for a topic: 1 to 249 of [a-zA-Z0-9._-], not . or .. */
static int
topic_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > 249 || (n == 1 && t[0] == '.') ||
	    (n == 2 && t[0] == '.' && t[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' &&
		    t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '.' || t[i] == '_' || t[i] == '-'))
			return 0;
	return 1;
}

/*
 * Which of names[0..n) a member's key (a literal, quotes included)
 * spells, its escapes decoded as any JSON reader decodes them; -1 for
 * none.
 */
static int
member(const char *k, size_t klen, const char *const *names, int n)
{
	char buf[96];
	const char *name = k + 1;
	size_t len = klen - 2;
	int i;

	/* Escapes are rare: only a name that has one is decoded. */
	if (memchr(name, '\\', len) != NULL) {
		if (klen > sizeof(buf))	/* json_unescape writes <= klen */
			return -1;
		len = json_unescape(k, klen, buf);
		name = buf;
	}
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}

enum {
	E_TOPIC, E_PARTITION, E_OFFSET, E_TIMESTAMP, E_TS, E_VALUE, E_PAYLOAD,
	E_KEY, E_HEADERS, E_N
};

/* Offsets leave room for the commit point after them (last + 1). */
#define OFFSET_MAX	(LLONG_MAX - 1)

int
wire_envelope_parse(const char *line, size_t len, struct wire_envelope *e,
    const char **why)
{
	static const char *const names[E_N] = {
		"topic", "partition", "offset", "timestamp", "ts", "value",
		"payload", "key", "headers"
	};
	const char *val[E_N] = { NULL }, *k, *v;
	size_t vl[E_N], klen, vlen;
	struct json_iter it;
	long long n;
	int m;

	*why = "an envelope needs topic (a string), partition and offset "
	    "(numbers) and value";
	if (json_object_begin(&it, line, len) == -1)
		return -1;
	while (json_object_next(&it, &k, &klen, &v, &vlen))
		if ((m = member(k, klen, names, E_N)) >= 0 && val[m] == NULL) {
			val[m] = v;
			vl[m] = vlen;
		}
	/* DESIGN.md's spelling wins; kcat's counts when it is the only one. */
	e->kcat = val[E_VALUE] == NULL && val[E_PAYLOAD] != NULL;
	if (e->kcat) {
		val[E_VALUE] = val[E_PAYLOAD];
		vl[E_VALUE] = vl[E_PAYLOAD];
	}
	if (val[E_TIMESTAMP] == NULL) {
		val[E_TIMESTAMP] = val[E_TS];
		vl[E_TIMESTAMP] = vl[E_TS];
	}
	if (val[E_TOPIC] == NULL || vl[E_TOPIC] < 2 || val[E_TOPIC][0] != '"' ||
	    val[E_PARTITION] == NULL || json_integer(val[E_PARTITION],
	    vl[E_PARTITION], 0, INT_MAX, &n) == -1 || val[E_OFFSET] == NULL ||
	    json_integer(val[E_OFFSET], vl[E_OFFSET], 0, OFFSET_MAX,
	    &e->offset) == -1 || val[E_VALUE] == NULL)
		return -1;
	e->key = val[E_KEY];
	e->klen = val[E_KEY] != NULL ? vl[E_KEY] : 0;
	e->headers = val[E_HEADERS];
	e->hlen = val[E_HEADERS] != NULL ? vl[E_HEADERS] : 0;
	e->topic = val[E_TOPIC] + 1;
	e->topiclen = vl[E_TOPIC] - 2;
	e->partition = (int)n;
	e->value = val[E_VALUE];
	e->vlen = vl[E_VALUE];
	/* None is null, absent or kcat's -1; anything else is refused. */
	e->timestamp = -1;
	if (val[E_TIMESTAMP] != NULL && !(vl[E_TIMESTAMP] == 4 &&
	    memcmp(val[E_TIMESTAMP], "null", 4) == 0) &&
	    json_integer(val[E_TIMESTAMP], vl[E_TIMESTAMP], -1, LLONG_MAX,
	    &e->timestamp) == -1) {
		*why = "the timestamp is not milliseconds since the epoch (a "
		    "whole number, or null)";
		return -1;
	}
	if (!topic_ok(e->topic, e->topiclen)) {
		*why = "the topic is not a Kafka topic name (1 to 249 of "
		    "a-z, A-Z, 0-9, '.', '_' and '-'; not '.' or '..')";
		return -1;
	}
	return 0;
}

size_t
wire_envelope_record(const struct wire_envelope *e, char *dst,
    const char **rec)
{
	size_t n;

	*rec = e->value;
	if (!e->kcat || e->value[0] != '"')
		return e->vlen;
	n = json_unescape(e->value, e->vlen, dst);
	if (!json_is_line(dst, n))
		return e->vlen;
	*rec = dst;
	return n;
}

/* Is the raw JSON value v JSON's null? */
static int
is_null(const char *v, size_t vlen)
{
	return vlen == 4 && memcmp(v, "null", 4) == 0;
}

size_t
wire_envelope_value(const struct wire_envelope *e, char *dst,
    const char **val)
{
	if (is_null(e->value, e->vlen)) {
		*val = NULL;
		return 0;
	}
	*val = e->value;
	/*
	 * kcons wrote the bytes themselves when they were JSON, so its
	 * value is taken as written, a string included; kcat's payload is
	 * always the bytes quoted (unless a -s deserializer made it JSON).
	 */
	if (!e->kcat || e->value[0] != '"')
		return e->vlen;
	*val = dst;
	return json_unescape(e->value, e->vlen, dst);
}

size_t
wire_envelope_key(const struct wire_envelope *e, char *dst,
    const char **key)
{
	if (e->key == NULL || is_null(e->key, e->klen)) {
		*key = NULL;
		return 0;
	}
	if (e->key[0] != '"') {
		*key = e->key;
		return e->klen;
	}
	*key = dst;
	return json_unescape(e->key, e->klen, dst);
}

int
wire_headers_begin(struct wire_headers *h, const struct wire_envelope *e,
    char *dst, const char **why)
{
	h->dst = dst;
	h->array = 0;
	if (e->headers == NULL || is_null(e->headers, e->hlen)) {
		/* None: an iterator over an empty object. */
		return json_object_begin(&h->it, "{}", 2);
	}
	if (json_object_begin(&h->it, e->headers, e->hlen) == 0)
		return 0;
	if (json_array_begin(&h->it, e->headers, e->hlen) == 0) {
		h->array = 1;
		return 0;
	}
	*why = "\"headers\" is neither an object (kcons -J) nor an array "
	    "of names and values (kcat -J)";
	return -1;
}

/* A header's value, string or null, decoded at h->dst. */
static int
header_value(struct wire_headers *h, const char *v, size_t vl,
    const char **val, size_t *vlen)
{
	if (is_null(v, vl)) {
		*val = NULL;
		*vlen = 0;
		return 1;
	}
	if (v[0] != '"')
		return -1;
	*val = h->dst;
	*vlen = json_unescape(v, vl, h->dst);
	h->dst += *vlen;
	return 1;
}

int
wire_headers_next(struct wire_headers *h, const char **name, size_t *nlen,
    const char **val, size_t *vlen, const char **why)
{
	const char *k, *v;
	size_t kl, vl;

	*why = "a header's name is not a string, or its value neither a "
	    "string nor null";
	if (h->array) {
		if (!json_array_next(&h->it, &k, &kl))
			return 0;
		if (!json_array_next(&h->it, &v, &vl)) {
			*why = "\"headers\" has a name without a value";
			return -1;
		}
	} else if (!json_object_next(&h->it, &k, &kl, &v, &vl))
		return 0;
	if (k[0] != '"')
		return -1;
	*name = h->dst;
	*nlen = json_unescape(k, kl, h->dst);
	h->dst += *nlen;
	return header_value(h, v, vl, val, vlen);
}

/* ---- the ack line ---- */

void
wire_ack_write(struct obuf *o, const struct wire_ack *a)
{
	/* First, so that no reader can miss it: this is no ack. */
	obuf_puts(o, a->dry_run ? "{\"dry_run\":true," : "{");
	if (a->bucket != NULL) {
		obuf_puts(o, "\"bucket\":");
		obuf_json_string(o, a->bucket, strlen(a->bucket));
		obuf_puts(o, ",\"key\":");
		obuf_json_string(o, a->key, strlen(a->key));
		obuf_putc(o, ',');
	}
	obuf_printf(o, "\"records\":%lld", a->records);
	if (a->bytes >= 0)
		obuf_printf(o, ",\"bytes\":%lld", a->bytes);
	if (a->etag != NULL) {
		obuf_puts(o, ",\"etag\":");
		obuf_json_string(o, a->etag, strlen(a->etag));
	}
	if (a->topic != NULL) {
		obuf_puts(o, ",\"topic\":");
		obuf_json_string(o, a->topic, strlen(a->topic));
		obuf_printf(o, ",\"partition\":%d,\"first_offset\":%lld,"
		    "\"last_offset\":%lld", a->partition, a->first, a->last);
	}
	obuf_puts(o, "}\n");
}

enum {
	A_BUCKET, A_KEY, A_ETAG, A_TOPIC, A_RECORDS, A_BYTES, A_PARTITION,
	A_FIRST, A_LAST, A_DRY_RUN, A_N
};

int
wire_ack_parse(const char *line, size_t len, struct wire_ack *a, char *buf,
    size_t buflen)
{
	static const char *const names[A_N] = {
		"bucket", "key", "etag", "topic", "records", "bytes",
		"partition", "first_offset", "last_offset", "dry_run"
	};
	const char **str[] = { &a->bucket, &a->key, &a->etag, &a->topic };
	long long part = -1, *num[] = { &a->records, &a->bytes, &part,
	    &a->first, &a->last };
	static const long long hi[] = {
		LLONG_MAX, LLONG_MAX, INT_MAX, OFFSET_MAX, OFFSET_MAX
	};
	struct json_iter it;
	const char *k, *v;
	size_t klen, vlen, used = 0, n;
	long long x;
	int m;

	*a = (struct wire_ack){ NULL, NULL, -1, -1, NULL, NULL, -1, -1, -1,
	    0 };
	if (json_object_begin(&it, line, len) == -1)
		return -1;
	while (json_object_next(&it, &k, &klen, &v, &vlen)) {
		if ((m = member(k, klen, names, A_N)) < 0)
			continue;
		if (m == A_DRY_RUN) {
			/* Anything but false: not an ack to act on. */
			a->dry_run |= !(vlen == 5 && memcmp(v, "false", 5) == 0);
			continue;
		}
		if (m < A_RECORDS) {
			/* Decoding never grows: buflen >= len holds all. */
			if (*str[m] != NULL || v[0] != '"' ||
			    buflen - used < vlen + 1)
				continue;
			n = json_unescape(v, vlen, buf + used);
			buf[used + n] = '\0';
			*str[m] = buf + used;
			used += n + 1;
		} else if (*num[m - A_RECORDS] == -1 && json_integer(v, vlen,
		    0, hi[m - A_RECORDS], &x) == 0)
			*num[m - A_RECORDS] = x;
	}
	a->partition = (int)part;
	return 0;
}

/* ---- the control line ---- */

void
wire_control_write(struct obuf *o, const char *kind, long long id,
    const char *topic, int partition)
{
	obuf_puts(o, "{\"control\":");
	obuf_json_string(o, kind, strlen(kind));
	obuf_printf(o, ",\"id\":%lld,\"topic\":", id);
	obuf_json_string(o, topic, strlen(topic));
	obuf_printf(o, ",\"partition\":%d}\n", partition);
}

int
wire_looks_like_control(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return len - i >= 11 && memcmp(line + i, "{\"control\":", 11) == 0;
}

enum { C_CONTROL, C_ID, C_TOPIC, C_PARTITION, C_N };

int
wire_control_parse(const char *line, size_t len, struct wire_control *c,
    char *buf, size_t buflen, const char **why)
{
	static const char *const names[C_N] = {
		"control", "id", "topic", "partition"
	};
	struct json_iter it;
	const char *k, *v, **str;
	size_t klen, vlen, used = 0, n;
	unsigned seen = 0;
	long long x;
	int m;

	*c = (struct wire_control){ NULL, -1, NULL, -1 };
	*why = "a control line is an object";
	if (json_object_begin(&it, line, len) == -1)
		return -1;
	while (json_object_next(&it, &k, &klen, &v, &vlen)) {
		/* The first of a name counts, whatever its value. */
		if ((m = member(k, klen, names, C_N)) < 0 || (seen & 1u << m))
			continue;
		seen |= 1u << m;
		if (m == C_CONTROL || m == C_TOPIC) {
			str = m == C_CONTROL ? &c->kind : &c->topic;
			if (v[0] != '"' || buflen - used < vlen + 1)
				continue;
			n = json_unescape(v, vlen, buf + used);
			if (memchr(buf + used, '\0', n) != NULL)
				continue;	/* "\u0000": no C string */
			buf[used + n] = '\0';
			*str = buf + used;
			used += n + 1;
		} else if (m == C_ID && json_integer(v, vlen, 0, LLONG_MAX,
		    &x) == 0)
			c->id = x;
		else if (m == C_PARTITION && json_integer(v, vlen, 0, INT_MAX,
		    &x) == 0)
			c->partition = (int)x;
	}
	if (c->kind == NULL)
		*why = "a control line needs \"control\": a string";
	else if (c->id < 0)
		*why = "a control line needs \"id\": a whole number";
	else if (c->topic == NULL || !topic_ok(c->topic, strlen(c->topic)))
		*why = "a control line needs \"topic\": a Kafka topic name";
	else if (c->partition < 0)
		*why = "a control line needs \"partition\": a whole number";
	else
		return 0;
	return -1;
}
