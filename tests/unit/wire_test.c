/*
 * wire_test.c - the envelope, the ack line and the control line: what
 * kcons -J writes, s3put reads (kcat's spelling too), what s3put acks
 * and kcons commits, how a revoke is asked and answered, and what a
 * hostile line cannot make them do.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "obuf.h"
#include "tap.h"
#include "wire.h"

/* What an obuf wrote, through a pipe: the test's own output stays TAP. */
static struct obuf o;
static int fds[2];
static char got[8192];

static void
begin(void)
{
	if (pipe(fds) == -1)
		exit(1);
	obuf_open(&o, fds[1], 4096);
}

static const char *
end(void)
{
	ssize_t n;

	obuf_close(&o);
	close(fds[1]);
	n = read(fds[0], got, sizeof(got) - 1);
	close(fds[0]);
	got[n > 0 ? n : 0] = '\0';
	return got;
}

static int
env(const char *line, struct wire_envelope *e, const char **why)
{
	return wire_envelope_parse(line, strlen(line), e, why);
}

/*
 * The envelope's headers as "name=value;" ("NULL" for a null value),
 * decoded into a buffer of exactly the member's length (malloc'd, so
 * that ASan sees a write past it).  wire_headers_next's last answer.
 */
static int
headers_string(const struct wire_envelope *e, char *got, size_t len)
{
	struct wire_headers h;
	const char *why, *name, *val;
	size_t nl, vl, used = 0;
	char *dst = malloc(e->hlen);
	int r = -1;

	got[0] = '\0';
	if (wire_headers_begin(&h, e, dst, &why) == 0)
		while ((r = wire_headers_next(&h, &name, &nl, &val, &vl,
		    &why)) == 1 && used < len)
			used += (size_t)snprintf(got + used, len - used,
			    "%.*s=%.*s;", (int)nl, name, val ? (int)vl : 4,
			    val ? val : "NULL");
	free(dst);
	return r;
}

/*
 * What kprod --envelope makes of an envelope: the value, key and
 * headers, decoded into buffers of exactly the member's length
 * (malloc'd, so that ASan sees a write past them).
 */
static void
envelope_message_tests(void)
{
	struct wire_envelope e;
	struct wire_headers h;
	const char *why, *v, *name, *val;
	char *dst, got[256];
	size_t n, nl, vl;
	int r = -1;

	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
	    "\"timestamp\":5,\"key\":\"caf\\u00e9\",\"headers\":{\"h\":\"1\","
	    "\"h\":null,\"\\u0041\":\"a\\/b\"},\"value\": { \"a\" : 1e300 } }", &e,
	    &why);
	{
		static const char *const bad[] = { "-5", "1.5", "\"x\"",
		    "99999999999999999999", "true" };
		static const char *const none[] = { "null", "-1" };
		char line[256];
		struct wire_envelope b;
		const char *w;
		int i, refused = 0, taken = 0;

		for (i = 0; i < 5; i++) {
			snprintf(line, sizeof(line), "{\"topic\":\"q\","
			    "\"partition\":0,\"offset\":1,\"timestamp\":%s,"
			    "\"value\":1}", bad[i]);
			refused += env(line, &b, &w) == -1 &&
			    strstr(w, "timestamp") != NULL;
		}
		for (i = 0; i < 2; i++) {
			snprintf(line, sizeof(line), "{\"topic\":\"q\","
			    "\"partition\":0,\"offset\":1,\"ts\":%s,"
			    "\"payload\":\"1\"}", none[i]);
			taken += env(line, &b, &w) == 0 && b.timestamp == -1;
		}
		TAP_OK(refused == 5 && taken == 2, "a timestamp that is no "
		    "milliseconds (-5, 1.5, a string, too big, true) is "
		    "refused, said; null and kcat's -1 are none");
	}
	dst = malloc(e.vlen);
	n = wire_envelope_value(&e, dst, &v);
	TAP_OK(n == 15 && memcmp(v, "{ \"a\" : 1e300 }", 15) == 0,
	    "kcons's value: its JSON text as written, whitespace inside kept");
	free(dst);
	dst = malloc(e.klen);
	n = wire_envelope_key(&e, dst, &v);
	TAP_OK(n == 5 && memcmp(v, "caf\xc3\xa9", 5) == 0,
	    "  ... its key decoded (UTF-8)");
	free(dst);
	headers_string(&e, got, sizeof(got));
	TAP_OK(strcmp(got, "h=1;h=NULL;A=a/b;") == 0, "  ... its headers "
	    "in order, duplicates kept, null kept, names decoded: %s", got);

	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,\"tstype\":"
	    "\"create\",\"ts\":7,\"broker\":1,\"headers\":[\"h\",\"1\",\"h\","
	    "\"\",\"x\",null],\"key\":null,\"payload\":\"{\\\"a\\\":\\\"\\\\u00e9\\\"}\"}",
	    &e, &why);
	dst = malloc(e.vlen);
	n = wire_envelope_value(&e, dst, &v);
	TAP_OK(e.timestamp == 7 && n == 14 && memcmp(v, "{\"a\":\"\\u00e9\"}",
	    14) == 0, "kcat's payload: the bytes the string stands for");
	free(dst);
	TAP_OK(wire_envelope_key(&e, NULL, &v) == 0 && v == NULL,
	    "  ... a null key: none");
	r = headers_string(&e, got, sizeof(got));
	TAP_OK(r == 0 && strcmp(got, "h=1;h=;x=NULL;") == 0, "  ... its "
	    "headers array: pairs in order: %s", got);

	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
	    "\"payload\":null}", &e, &why);
	TAP_OK(wire_envelope_value(&e, NULL, &v) == 0 && v == NULL &&
	    wire_envelope_key(&e, NULL, &v) == 0 && v == NULL,
	    "a null payload: a tombstone; no key member: no key");
	TAP_OK(wire_headers_begin(&h, &e, NULL, &why) == 0 &&
	    wire_headers_next(&h, &name, &nl, &val, &vl, &why) == 0,
	    "  ... no headers member: none");
	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,\"key\":\"\","
	    "\"value\":null}", &e, &why);
	TAP_OK(wire_envelope_value(&e, NULL, &v) == 0 && v == NULL &&
	    wire_envelope_key(&e, got, &v) == 0 && v == got,
	    "kcons's null value: a tombstone; an empty key is a key");
	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,\"key\":"
	    "{\"id\":1},\"value\":\"not json\"}", &e, &why);
	n = wire_envelope_value(&e, got, &v);
	TAP_OK(n == 10 && v == e.value && wire_envelope_key(&e, got, &v) ==
	    8 && memcmp(v, "{\"id\":1}", 8) == 0, "kcons's string value stays "
	    "the JSON string; a key that is JSON but no string: as written");

	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
	    "\"headers\":[\"a\",\"1\",\"b\"],\"value\":1}", &e, &why);
	r = wire_headers_begin(&h, &e, got, &why);
	while (r == 0 && (r = wire_headers_next(&h, &name, &nl, &val, &vl,
	    &why)) == 1)
		r = 0;
	TAP_OK(r == -1 && strstr(why, "without a value") != NULL,
	    "an odd headers array: refused, with why");
	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
	    "\"headers\":{\"a\":1},\"value\":1}", &e, &why);
	r = wire_headers_begin(&h, &e, got, &why);
	TAP_OK(r == 0 && wire_headers_next(&h, &name, &nl, &val, &vl, &why) ==
	    -1, "a header value that is a number: refused");
	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
	    "\"headers\":[1,\"v\"],\"value\":1}", &e, &why);
	r = wire_headers_begin(&h, &e, got, &why);
	TAP_OK(r == 0 && wire_headers_next(&h, &name, &nl, &val, &vl, &why) ==
	    -1, "a header name that is a number: refused");
	(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
	    "\"headers\":\"h=v\",\"value\":1}", &e, &why);
	TAP_OK(wire_headers_begin(&h, &e, got, &why) == -1 &&
	    strstr(why, "neither") != NULL, "headers that are a string: "
	    "refused, with why");
}

static int
ack(const char *line, struct wire_ack *a, char *buf, size_t len)
{
	return wire_ack_parse(line, strlen(line), a, buf, len);
}

/*
 * Parse a control line with a buffer of exactly its length, as kcons
 * and s3put give it, malloc'd so that ASan sees a write past it.  The
 * strings stay valid until the next call.
 */
static int
ctl(const char *line, struct wire_control *c, const char **why)
{
	static char *buf;
	size_t len = strlen(line);

	free(buf);
	if ((buf = malloc(len)) == NULL)
		exit(1);
	*why = NULL;
	return wire_control_parse(line, len, c, buf, len, why);
}

/* Refused, with why naming the member at fault (what the tools log). */
static int
ctl_refused(const char *line, const char *member)
{
	struct wire_control c;
	const char *why;

	return ctl(line, &c, &why) == -1 && why != NULL &&
	    strstr(why, member) != NULL;
}

int
main(void)
{
	struct wire_envelope e;
	struct wire_ack a;
	const char *why, *s;
	char strs[1024];
	long long v;

	/* The envelope, written as kcons -J writes it. */
	begin();
	wire_envelope_begin(&o, "quotes", 2, 1041, 1683926186000LL,
	    "COMP-USA", 8);
	wire_envelope_header(&o, 0, "h", "v", 1);
	wire_envelope_header(&o, 1, "n", NULL, 0);
	wire_envelope_end(&o, "{\"a\":1}", 7);
	s = end();
	TAP_OK(strcmp(s, "{\"topic\":\"quotes\",\"partition\":2,\"offset\":1041,"
	    "\"timestamp\":1683926186000,\"key\":\"COMP-USA\",\"headers\":"
	    "{\"h\":\"v\",\"n\":null},\"value\":{\"a\":1}}") == 0,
	    "an envelope as DESIGN.md shows it: %s", s);
	TAP_OK(env(s, &e, &why) == 0 && e.topiclen == 6 &&
	    memcmp(e.topic, "quotes", 6) == 0 && e.partition == 2 &&
	    e.offset == 1041 && e.timestamp == 1683926186000LL &&
	    e.vlen == 7 && memcmp(e.value, "{\"a\":1}", 7) == 0,
	    "  ... and read back whole");
	begin();
	wire_envelope_begin(&o, "t", 0, 0, -1, NULL, 0);
	wire_envelope_end(&o, "not json\n", 9);
	s = end();
	TAP_OK(strcmp(s, "{\"topic\":\"t\",\"partition\":0,\"offset\":0,"
	    "\"timestamp\":null,\"key\":null,\"headers\":{},\"value\":"
	    "\"not json\\n\"}") == 0, "no timestamp or key: null; a value "
	    "that is not one line of JSON: a string");

	/* Reading: kcat's spelling, order, duplicates, hostile values. */
	TAP_OK(env("{\"topic\":\"q\",\"partition\":1,\"offset\":5,\"tstype\":"
	    "\"create\",\"ts\":1700000000000,\"broker\":1,\"key\":null,"
	    "\"payload\":\"x\"}", &e, &why) == 0 && e.timestamp ==
	    1700000000000LL && e.vlen == 3, "kcat -J's payload and ts");
	TAP_OK(env("{\"value\":[1],\"offset\":7,\"partition\":0,\"topic\":\"a\"}",
	    &e, &why) == 0 && e.offset == 7 && e.timestamp == -1,
	    "members in any order; no timestamp: -1");
	TAP_OK(env("{\"topic\":\"a\",\"partition\":0,\"offset\":1,\"value\":1,"
	    "\"offset\":999}", &e, &why) == 0 && e.offset == 1,
	    "a member written twice: the first counts");
	TAP_OK(env("{\"topic\":\"a\",\"partition\":0,\"value\":1}", &e,
	    &why) == -1 && strstr(why, "needs topic") != NULL,
	    "no offset: refused, with why");
	TAP_OK(env("{\"topic\":\"a\",\"partition\":0,\"offset\":1.5,"
	    "\"value\":1}", &e, &why) == -1, "an offset of 1.5: refused");
	TAP_OK(env("{\"topic\":\"a\",\"partition\":-1,\"offset\":1,"
	    "\"value\":1}", &e, &why) == -1, "a partition of -1: refused");
	TAP_OK(env("{\"topic\":\"a\",\"partition\":2147483648,\"offset\":1,"
	    "\"value\":1}", &e, &why) == -1, "a partition past INT_MAX: "
	    "refused");
	TAP_OK(env("{\"topic\":\"a\",\"partition\":0,\"offset\":"
	    "9223372036854775808,\"value\":1}", &e, &why) == -1,
	    "an offset past LLONG_MAX: refused");
	TAP_OK(env("{\"topic\":\"../x\",\"partition\":0,\"offset\":1,"
	    "\"value\":1}", &e, &why) == -1 && strstr(why, "Kafka topic "
	    "name") != NULL, "a topic with a '/': refused, it would move "
	    "the key");
	TAP_OK(env("{\"topic\":\"a\\u002fb\",\"partition\":0,\"offset\":1,"
	    "\"value\":1}", &e, &why) == -1, "  ... or an escaped one");
	TAP_OK(env("{\"topic\":\"..\",\"partition\":0,\"offset\":1,"
	    "\"value\":1}", &e, &why) == -1, "  ... and '..'");
	TAP_OK(env("[1,2]", &e, &why) == -1, "an array is no envelope");
	TAP_OK(env("{\"topic\":\"q\",\"partition\":0,\"\\u006fffset\":5,"
	    "\"offset\":999,\"value\":1}", &e, &why) == 0 && e.offset == 5,
	    "member names are read decoded: \\u006fffset is the offset");
	TAP_OK(env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,\"ts\":"
	    "\"x\",\"payload\":{\"evil\":1},\"timestamp\":1683926186000,"
	    "\"value\":{\"a\":1}}", &e, &why) == 0 && e.timestamp ==
	    1683926186000LL && !e.kcat && e.vlen == 7, "value and timestamp "
	    "win over kcat's payload and ts, wherever they stand");
	TAP_OK(env("{\"topic\":\"q\",\"partition\":0,\"offset\":"
	    "9223372036854775807,\"value\":1}", &e, &why) == -1,
	    "an offset of LLONG_MAX: refused (no commit point after it)");
	{
		char dst[64];
		const char *rec;
		size_t n;

		(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
		    "\"payload\":\"{\\\"a\\\":[1,2]}\"}", &e, &why);
		n = wire_envelope_record(&e, dst, &rec);
		TAP_OK(e.kcat && n == 11 && memcmp(rec, "{\"a\":[1,2]}", 11) ==
		    0, "kcat's payload that is JSON: the record is its text");
		(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
		    "\"payload\":\"plain text\"}", &e, &why);
		n = wire_envelope_record(&e, dst, &rec);
		TAP_OK(n == 12 && memcmp(rec, "\"plain text\"", 12) == 0,
		    "  ... that is not: the string, as kcons -J writes it");
		(void)env("{\"topic\":\"q\",\"partition\":0,\"offset\":1,"
		    "\"value\":\"{\\\"a\\\":1}\"}", &e, &why);
		n = wire_envelope_record(&e, dst, &rec);
		TAP_OK(n == e.vlen && rec == e.value, "a value that is a string "
		    "stays a string (kcons made it so)");
	}
	envelope_message_tests();
	TAP_OK(wire_looks_like_envelope(" \t{\"topic\":\"a\"}", 15) &&
	    !wire_looks_like_envelope("{\"symbol\":1}", 12) &&
	    !wire_looks_like_envelope("{\"top", 5), "what looks like an "
	    "envelope: {\"topic\": first");

	/* The ack line. */
	begin();
	wire_ack_write(&o, &(struct wire_ack){ "lake", "q/a\"b.jsonl.gz", 500,
	    18234, "\"9b2c\"", "quotes", 2, 1041, 1540, 0 });
	s = end();
	TAP_OK(strcmp(s, "{\"bucket\":\"lake\",\"key\":\"q/a\\\"b.jsonl.gz\","
	    "\"records\":500,\"bytes\":18234,\"etag\":\"\\\"9b2c\\\"\","
	    "\"topic\":\"quotes\",\"partition\":2,\"first_offset\":1041,"
	    "\"last_offset\":1540}\n") == 0, "an ack as DESIGN.md shows it");
	TAP_OK(ack(s, &a, strs, sizeof(strs)) == 0 &&
	    strcmp(a.bucket, "lake") == 0 && strcmp(a.key,
	    "q/a\"b.jsonl.gz") == 0 && a.records == 500 && a.bytes == 18234 &&
	    strcmp(a.etag, "\"9b2c\"") == 0 && strcmp(a.topic, "quotes") == 0
	    && a.partition == 2 && a.first == 1041 && a.last == 1540,
	    "  ... read back whole, strings decoded");
	begin();
	wire_ack_write(&o, &(struct wire_ack){ "lake", "k", 2, 40, NULL,
	    "q", 0, 7, 8, 1 });
	s = end();
	TAP_OK(strcmp(s, "{\"dry_run\":true,\"bucket\":\"lake\",\"key\":"
	    "\"k\",\"records\":2,\"bytes\":40,\"topic\":\"q\",\"partition\":0,"
	    "\"first_offset\":7,\"last_offset\":8}\n") == 0 &&
	    ack(s, &a, strs, sizeof(strs)) == 0 && a.dry_run && a.last == 8,
	    "s3put --dry-run's line: dry_run first, no etag, read back as a "
	    "dry run");
	TAP_OK(ack("{\"dry_run\":false,\"bucket\":\"b\"}", &a, strs,
	    sizeof(strs)) == 0 && !a.dry_run && ack("{\"dry_run\":1}", &a,
	    strs, sizeof(strs)) == 0 && a.dry_run,
	    "  ... dry_run false is none; any other value is one");
	begin();
	wire_ack_write(&o, &(struct wire_ack){ "lake", "k", 3, -1, NULL,
	    NULL, -1, -1, -1, 0 });
	s = end();
	TAP_OK(strcmp(s, "{\"bucket\":\"lake\",\"key\":\"k\",\"records\":3}\n")
	    == 0, "the spool's: no bytes, etag or topic");
	TAP_OK(ack(s, &a, strs, sizeof(strs)) == 0 && a.topic == NULL &&
	    a.etag == NULL && a.bytes == -1 && a.partition == -1,
	    "  ... read back: absent is absent");
	begin();
	wire_ack_write(&o, &(struct wire_ack){ NULL, NULL, 12, -1, NULL,
	    "quotes", 1, 30, 41, 0 });
	s = end();
	TAP_OK(strcmp(s, "{\"records\":12,\"topic\":\"quotes\","
	    "\"partition\":1,\"first_offset\":30,\"last_offset\":41}\n") == 0
	    && ack(s, &a, strs, sizeof(strs)) == 0 && a.bucket == NULL &&
	    a.key == NULL && a.last == 41, "quote-window's: no bucket and key, "
	    "read back with its offsets");
	TAP_OK(ack("{\"topic\":\"t\",\"partition\":0}", &a, strs,
	    sizeof(strs)) == 0 && a.topic != NULL && a.last == -1,
	    "a topic without last_offset: last_offset absent (nothing to "
	    "commit)");
	TAP_OK(ack("{\"topic\":\"t\",\"partition\":0,\"last_offset\":-5}", &a,
	    strs, sizeof(strs)) == 0 && a.last == -1, "a negative last_offset: "
	    "absent");
	TAP_OK(ack("{\"topic\":\"t\",\"partition\":0,\"last_offset\":"
	    "9223372036854775807}", &a, strs, sizeof(strs)) == 0 &&
	    a.last == -1, "last_offset LLONG_MAX: absent (no commit point "
	    "after it)");
	TAP_OK(ack("{\"topic\":7,\"partition\":0,\"last_offset\":5}", &a,
	    strs, sizeof(strs)) == 0 && a.topic == NULL, "a topic that is no "
	    "string: absent");
	TAP_OK(ack("{\"bucket\":1,\"etag\":null,\"records\":1.0,\"bytes\":"
	    "99999999999999999999,\"topic\":\"t\",\"partition\":3,"
	    "\"last\\u005foffset\":6}", &a, strs, sizeof(strs)) == 0 &&
	    a.bucket == NULL && a.etag == NULL && a.records == -1 &&
	    a.bytes == -1 && strcmp(a.topic, "t") == 0 && a.partition == 3 &&
	    a.last == 6, "members of another writer's kinds are absent; the "
	    "ones to commit are read, their names' escapes decoded");
	TAP_OK(ack("{\"topic\":\"quotes\",\"partition\":0,\"last_offset\":5}",
	    &a, strs, 4) == 0 && a.topic == NULL && a.last == 5,
	    "a string that does not fit the buffer: absent, not cut");
	TAP_OK(ack("\"x\"", &a, strs, sizeof(strs)) == -1, "not an object: "
	    "refused");

	/* The control line: kcons's revoke, s3put's answer. */
	{
		static const char every[] = "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
		struct wire_control c;
		char line[512], name[251], *small;
		int n;

		begin();
		wire_control_write(&o, "revoke", 3, "quotes", 2);
		s = end();
		TAP_OK(strcmp(s, "{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"quotes\",\"partition\":2}\n") == 0,
		    "a revoke as wire.h shows it");
		TAP_OK(ctl(s, &c, &why) == 0 && strcmp(c.kind, "revoke") == 0 &&
		    c.id == 3 && strcmp(c.topic, "quotes") == 0 &&
		    c.partition == 2, "  ... read back whole");
		begin();
		wire_control_write(&o, "revoked", LLONG_MAX, every, INT_MAX);
		s = end();
		n = snprintf(line, sizeof(line), "{\"control\":\"revoked\","
		    "\"id\":9223372036854775807,\"topic\":\"%s\",\"partition\":"
		    "2147483647}\n", every);
		TAP_OK(n > 0 && (size_t)n < sizeof(line) &&
		    strcmp(s, line) == 0,
		    "an answer: id LLONG_MAX, partition INT_MAX, a topic of "
		    "every character a topic may have");
		TAP_OK(ctl(s, &c, &why) == 0 &&
		    strcmp(c.kind, "revoked") == 0 && c.id == LLONG_MAX &&
		    strcmp(c.topic, every) == 0 && c.partition == INT_MAX,
		    "  ... read back whole");
		begin();
		wire_control_write(&o, "revoke", 0, "t", 0);
		s = end();
		TAP_OK(strcmp(s, "{\"control\":\"revoke\",\"id\":0,\"topic\":"
		    "\"t\",\"partition\":0}\n") == 0 && ctl(s, &c, &why) == 0 &&
		    c.id == 0 && c.partition == 0 && strcmp(c.topic, "t") == 0,
		    "id 0 and partition 0: written, and read back as 0, not "
		    "absent");
		s = "{\"control\":\"r\",\"id\":0,\"topic\":\"t\","
		    "\"partition\":0}";
		TAP_OK(ctl(s, &c, &why) == 0 && strcmp(c.kind, "r") == 0 &&
		    strcmp(c.topic, "t") == 0, "a buffer of exactly the line's "
		    "length holds its strings (no newline to spare)");
		s = "{\"control\":\"revoke\",\"id\":3,\"topic\":\"quotes\","
		    "\"partition\":2}";
		if ((small = malloc(8)) == NULL)
			exit(1);
		why = NULL;
		TAP_OK(wire_control_parse(s, strlen(s), &c, small, 8, &why) ==
		    -1 && c.kind == NULL && why != NULL && strstr(why,
		    "\"control\"") != NULL, "a string that does not fit the "
		    "buffer: absent, not cut");
		free(small);
		TAP_OK(ctl("{\"control\":\"pause\",\"id\":1,\"topic\":\"q\","
		    "\"partition\":0}", &c, &why) == 0 &&
		    strcmp(c.kind, "pause") == 0, "a kind of no known name is "
		    "read: its reader tells it apart");
		TAP_OK(ctl("{ \"control\" : \"revoke\" , \"id\" : 3 , "
		    "\"topic\" : \"q\" , \"partition\" : 2 }", &c, &why) == 0 &&
		    strcmp(c.kind, "revoke") == 0 && c.id == 3 &&
		    strcmp(c.topic, "q") == 0 && c.partition == 2,
		    "blanks between the tokens");

		/* What s3put and kcons route to the parser. */
		s = " \t {\"control\":\"revoke\"}";
		TAP_OK(wire_looks_like_control(s, strlen(s)) &&
		    wire_looks_like_control("{\"control\":", 11),
		    "what looks like a control line: {\"control\": first, "
		    "after blanks");
		s = "{\"topic\":\"q\",\"control\":\"revoke\"}";
		TAP_OK(!wire_looks_like_control(s, strlen(s)) &&
		    wire_looks_like_envelope(s, strlen(s)),
		    "  ... not {\"topic\": (an envelope)");
		s = "{\"control\":\"revoke\",\"id\":3,\"topic\":\"q\","
		    "\"partition\":2}";
		TAP_OK(!wire_looks_like_envelope(s, strlen(s)),
		    "  ... nor does a control line look like an envelope");
		TAP_OK(!wire_looks_like_control("{\"control\":", 10) &&
		    !wire_looks_like_control("  {\"contr", 9) &&
		    !wire_looks_like_control("   ", 3) &&
		    !wire_looks_like_control("", 0), "  ... not a line too "
		    "short for it, whatever lies past its end");
		s = "{\"controls\":1}";
		TAP_OK(!wire_looks_like_control(s, strlen(s)),
		    "  ... not {\"controls\":");

		/* Refusals, each with why naming the member at fault. */
		TAP_OK(ctl_refused("{\"id\":3,\"topic\":\"q\",\"partition\":2}",
		    "\"control\""), "no control: refused, with why");
		TAP_OK(ctl_refused("{\"control\":7,\"id\":3,\"topic\":\"q\","
		    "\"partition\":2}", "\"control\"") && ctl_refused(
		    "{\"control\":null,\"id\":3,\"topic\":\"q\","
		    "\"partition\":2}", "\"control\""), "a control that is no "
		    "string: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"topic\":\"q\","
		    "\"partition\":2}", "\"id\""), "no id: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":-1,\"topic\":"
		    "\"q\",\"partition\":2}", "\"id\"") && ctl_refused(
		    "{\"control\":\"revoke\",\"id\":-5,\"topic\":\"q\","
		    "\"partition\":2}", "\"id\""), "an id of -1 or -5: "
		    "refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3.5,"
		    "\"topic\":\"q\",\"partition\":2}", "\"id\"") && ctl_refused(
		    "{\"control\":\"revoke\",\"id\":3.0,\"topic\":\"q\","
		    "\"partition\":2}", "\"id\"") && ctl_refused(
		    "{\"control\":\"revoke\",\"id\":1e2,\"topic\":\"q\","
		    "\"partition\":2}", "\"id\""), "an id of 3.5, 3.0 or 1e2: "
		    "refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":"
		    "9223372036854775808,\"topic\":\"q\",\"partition\":2}",
		    "\"id\""), "an id past LLONG_MAX: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":\"3\","
		    "\"topic\":\"q\",\"partition\":2}", "\"id\""), "an id that "
		    "is a string: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,"
		    "\"partition\":2}", "\"topic\"") && ctl_refused(
		    "{\"control\":\"revoke\",\"id\":3,\"topic\":7,"
		    "\"partition\":2}", "\"topic\""), "no topic, or one that is "
		    "no string: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"../x\",\"partition\":2}", "\"topic\""), "a topic of "
		    "\"../x\": refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"a\\u002fb\",\"partition\":2}", "\"topic\""),
		    "  ... or of an escaped '/'");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"\",\"partition\":2}", "\"topic\""), "an empty topic: "
		    "refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"a b\",\"partition\":2}", "\"topic\""), "a topic of "
		    "\"a b\": refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\".\",\"partition\":2}", "\"topic\"") && ctl_refused(
		    "{\"control\":\"revoke\",\"id\":3,\"topic\":\"..\","
		    "\"partition\":2}", "\"topic\""), "a topic of . or ..: "
		    "refused");
		memset(name, 'a', 250);
		name[250] = '\0';
		snprintf(line, sizeof(line), "{\"control\":\"revoke\",\"id\":3,"
		    "\"topic\":\"%s\",\"partition\":2}", name);
		TAP_OK(ctl_refused(line, "\"topic\""), "a topic of 250 "
		    "characters: refused");
		name[249] = '\0';
		snprintf(line, sizeof(line), "{\"control\":\"revoke\",\"id\":3,"
		    "\"topic\":\"%s\",\"partition\":2}", name);
		TAP_OK(ctl(line, &c, &why) == 0 && strlen(c.topic) == 249 &&
		    strcmp(c.topic, name) == 0, "  ... of 249: read");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\"}", "\"partition\""), "no partition: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":-1}", "\"partition\"") && ctl_refused(
		    "{\"control\":\"revoke\",\"id\":3,\"topic\":\"q\","
		    "\"partition\":-2}", "\"partition\""), "a partition of -1 "
		    "or -2: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":2147483648}", "\"partition\"") &&
		    ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":4294967298}", "\"partition\""),
		    "a partition past INT_MAX: refused, not cut to an int");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":\"2\"}", "\"partition\"") &&
		    ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":2.5}", "\"partition\""),
		    "a partition of \"2\" or 2.5: refused");
		TAP_OK(ctl_refused("[1]", "an object") &&
		    ctl_refused("\"x\"", "an object") &&
		    ctl_refused("7", "an object") &&
		    ctl_refused("null", "an object"),
		    "not an object: refused, with why");

		/* Names and values read as any JSON reader reads them. */
		TAP_OK(ctl("{\"\\u0063ontrol\":\"revoke\",\"\\u0069d\":3,"
		    "\"t\\u006fpic\":\"q\",\"partitio\\u006e\":2}", &c,
		    &why) == 0 && strcmp(c.kind, "revoke") == 0 && c.id == 3 &&
		    strcmp(c.topic, "q") == 0 && c.partition == 2,
		    "escaped member names: \\u0063ontrol is control");
		TAP_OK(ctl("{\"\\u0063ontrol\":\"revoke\",\"control\":"
		    "\"revoked\",\"id\":3,\"topic\":\"q\",\"partition\":2}", &c,
		    &why) == 0 && strcmp(c.kind, "revoke") == 0,
		    "  ... and counts as the first control");
		TAP_OK(ctl_refused("{\"Control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":2}", "\"control\""),
		    "  ... Control is not control");
		TAP_OK(ctl("{\"control\":\"revoke\\u0064\",\"id\":3,\"topic\":"
		    "\"q\\u0075otes\",\"partition\":2}", &c, &why) == 0 &&
		    strcmp(c.kind, "revoked") == 0 &&
		    strcmp(c.topic, "quotes") == 0, "strings are decoded");
		TAP_OK(ctl("{\"control\":\"revoke\",\"x\":{\"id\":9,\"topic\":"
		    "\"evil\",\"partition\":9},\"id\":3,\"topic\":\"q\","
		    "\"partition\":2}", &c, &why) == 0 && c.id == 3 &&
		    strcmp(c.topic, "q") == 0 && c.partition == 2,
		    "members of a nested object do not count");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"topic\":\"q\","
		    "\"partition\":2,\"x\":{\"id\":9}}", "\"id\""),
		    "  ... not even in place of one absent");
		TAP_OK(ctl("{\"control\":\"revoke\",\"id\":3,\"topic\":\"a\","
		    "\"partition\":1,\"control\":\"revoked\",\"id\":4,\"topic\":"
		    "\"b\",\"partition\":2}", &c, &why) == 0 &&
		    strcmp(c.kind, "revoke") == 0 && c.id == 3 &&
		    strcmp(c.topic, "a") == 0 && c.partition == 1,
		    "members written twice: the first counts");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"../x\",\"topic\":\"q\",\"partition\":2}", "\"topic\""),
		    "  ... a bad first topic too: refused");
		TAP_OK(ctl_refused("{\"control\":1,\"control\":\"revoke\","
		    "\"id\":3,\"topic\":\"q\",\"partition\":2}", "\"control\"") &&
		    ctl_refused("{\"control\":\"revoke\",\"id\":-1,\"id\":3,"
		    "\"topic\":\"q\",\"partition\":2}", "\"id\"") &&
		    ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":7,"
		    "\"topic\":\"q\",\"partition\":2}", "\"topic\"") &&
		    ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"q\",\"partition\":\"1\",\"partition\":2}", "\"partition\""),
		    "  ... a first value of the wrong kind counts too: refused");
		TAP_OK(ctl_refused("{\"control\":\"revoke\",\"id\":3,\"topic\":"
		    "\"quotes\\u0000../x\",\"partition\":2}", "\"topic\"") &&
		    ctl_refused("{\"control\":\"revoke\\u0000junk\",\"id\":3,"
		    "\"topic\":\"q\",\"partition\":2}", "\"control\""),
		    "an escaped NUL cuts no string short: refused");
	}

	/* Whole numbers. */
	TAP_OK(json_integer("0", 1, 0, 5, &v) == 0 && v == 0 &&
	    json_integer("-0", 2, 0, 5, &v) == 0 && v == 0 &&
	    json_integer("-9223372036854775808", 20, LLONG_MIN, 0, &v) == 0 &&
	    v == LLONG_MIN, "0, -0 and LLONG_MIN");
	v = 42;
	TAP_OK(json_integer("-1", 2, 0, 5, &v) == -1 && v == 42 &&
	    json_integer("7", 1, 0, 5, &v) == -1 && v == 42,
	    "out of range: refused, nothing written");
	TAP_OK(json_integer("01", 2, 0, 5, &v) == -1 &&
	    json_integer("1e2", 3, 0, 500, &v) == -1 &&
	    json_integer("", 0, 0, 5, &v) == -1 &&
	    json_integer("-", 1, -5, 5, &v) == -1 &&
	    json_integer("6", 1, 0, 5, &v) == -1 &&
	    json_integer("99999999999999999999", 20, 0, LLONG_MAX, &v) == -1,
	    "01, 1e2, nothing, '-', out of range, 20 digits: refused");

	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
