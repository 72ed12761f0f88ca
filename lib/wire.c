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

int
wire_topic_ok(const char *t, size_t n)
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

/* Is the member's key (a literal, quotes included) name? */
static int
key_is(const char *k, size_t klen, const char *name)
{
	size_t n = strlen(name);

	return klen == n + 2 && memcmp(k + 1, name, n) == 0;
}

enum {
	F_TOPIC = 1, F_PARTITION = 2, F_OFFSET = 4, F_TIMESTAMP = 8,
	F_VALUE = 16, F_REQUIRED = F_TOPIC | F_PARTITION | F_OFFSET | F_VALUE
};

int
wire_envelope_parse(const char *line, size_t len, struct wire_envelope *e,
    const char **why)
{
	struct json_iter it;
	const char *k, *v;
	size_t klen, vlen;
	long long n;
	int seen = 0, bad = 0;

	*why = "an envelope needs topic (a string), partition and offset "
	    "(numbers) and value";
	e->timestamp = -1;
	if (json_object_begin(&it, line, len) == -1)
		return -1;
	while (!bad && json_object_next(&it, &k, &klen, &v, &vlen)) {
		if (key_is(k, klen, "topic") && !(seen & F_TOPIC)) {
			seen |= F_TOPIC;
			if (vlen < 2 || v[0] != '"')
				bad = 1;
			e->topic = v + 1;
			e->topiclen = vlen - 2;
		} else if (key_is(k, klen, "partition") &&
		    !(seen & F_PARTITION)) {
			seen |= F_PARTITION;
			bad = json_integer(v, vlen, 0, INT_MAX, &n) == -1;
			e->partition = (int)n;
		} else if (key_is(k, klen, "offset") && !(seen & F_OFFSET)) {
			seen |= F_OFFSET;
			bad = json_integer(v, vlen, 0, LLONG_MAX,
			    &e->offset) == -1;
		} else if ((key_is(k, klen, "timestamp") || key_is(k, klen,
		    "ts")) && !(seen & F_TIMESTAMP)) {
			seen |= F_TIMESTAMP;
			if (json_integer(v, vlen, 0, LLONG_MAX,
			    &e->timestamp) == -1)
				e->timestamp = -1;
		} else if ((key_is(k, klen, "value") || key_is(k, klen,
		    "payload")) && !(seen & F_VALUE)) {
			seen |= F_VALUE;
			e->value = v;
			e->vlen = vlen;
		}
	}
	if (bad || (seen & F_REQUIRED) != F_REQUIRED)
		return -1;
	if (!wire_topic_ok(e->topic, e->topiclen)) {
		*why = "the topic is not a Kafka topic name (1 to 249 of "
		    "a-z, A-Z, 0-9, '.', '_' and '-'; not '.' or '..')";
		return -1;
	}
	return 0;
}

/* ---- the ack line ---- */

void
wire_ack_write(struct obuf *o, const struct wire_ack *a)
{
	obuf_puts(o, "{\"bucket\":");
	obuf_json_string(o, a->bucket, strlen(a->bucket));
	obuf_puts(o, ",\"key\":");
	obuf_json_string(o, a->key, strlen(a->key));
	obuf_printf(o, ",\"records\":%lld", a->records);
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

/* Decode a string member into buf; NULL if it is no string or no room. */
static const char *
take_string(const char *v, size_t vlen, char *buf, size_t buflen,
    size_t *used)
{
	char *d = buf + *used;
	size_t n;

	if (vlen < 2 || v[0] != '"' || buflen - *used < vlen + 1)
		return NULL;
	n = json_unescape(v, vlen, d);
	d[n] = '\0';
	*used += n + 1;
	return d;
}

int
wire_ack_parse(const char *line, size_t len, struct wire_ack *a, char *buf,
    size_t buflen, const char **why)
{
	static const char *const strs[] = { "bucket", "key", "etag", "topic" };
	static const char *const nums[] = {
		"records", "bytes", "partition", "first_offset", "last_offset"
	};
	const char **sp[4];
	long long *np[5], part = -1;
	struct json_iter it;
	const char *k, *v;
	size_t klen, vlen, used = 0, i;

	*a = (struct wire_ack){ NULL, NULL, -1, -1, NULL, NULL, -1, -1, -1 };
	sp[0] = &a->bucket, sp[1] = &a->key, sp[2] = &a->etag;
	sp[3] = &a->topic;
	np[0] = &a->records, np[1] = &a->bytes, np[2] = &part;
	np[3] = &a->first, np[4] = &a->last;
	*why = "not a JSON object";
	if (json_object_begin(&it, line, len) == -1)
		return -1;
	while (json_object_next(&it, &k, &klen, &v, &vlen)) {
		for (i = 0; i < 4; i++)
			if (key_is(k, klen, strs[i]) && *sp[i] == NULL &&
			    (*sp[i] = take_string(v, vlen, buf, buflen,
			    &used)) == NULL) {
				*why = "a string member that is no string";
				return -1;
			}
		for (i = 0; i < 5; i++)
			if (key_is(k, klen, nums[i]) && *np[i] == -1 &&
			    json_integer(v, vlen, 0, i == 2 ? INT_MAX :
			    LLONG_MAX, np[i]) == -1) {
				*why = "a count or offset that is not a whole "
				    "number";
				return -1;
			}
	}
	a->partition = (int)part;
	if (a->topic != NULL && (part < 0 || a->last < 0)) {
		*why = "a topic without partition and last_offset";
		return -1;
	}
	return 0;
}
