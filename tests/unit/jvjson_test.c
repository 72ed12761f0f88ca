/*
 * jvjson_test.c - jvjson_parse() gives what libjq's own parser gives:
 * the same value (jv_equal) and the same compact text, on every
 * JSONTestSuite y_ case libjq parses and on the quote fixtures.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jvjson.h"
#include "obuf.h"
#include "tap.h"

/* jvjson_dump's bytes for v (consumed) equal jv_dump_string's? */
static int
dump_same(jv v)
{
	jv want = jv_dump_string(jv_copy(v), 0);
	struct obuf o;
	int eq;

	/* No fd: the buffer is big enough never to be flushed. */
	obuf_open(&o, -1, 1 << 16);
	jvjson_dump(&o, v);
	eq = o.len == (size_t)jv_string_length_bytes(jv_copy(want)) &&
	    memcmp(o.buf, jv_string_value(want), o.len) == 0;
	if (!eq)
		printf("#   jq:   %s\n#   ours: %.*s\n", jv_string_value(want),
		    (int)o.len, o.buf);
	o.len = 0;
	obuf_close(&o);
	jv_free(want);
	return eq;
}

static double
random_double(void)
{
	unsigned long long bits = 0;
	double d;
	int i;

	for (i = 0; i < 4; i++)
		bits = bits << 16 | (unsigned)(random() & 0xffff);
	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* 1 if both parsers agree on buf, 0 if not, -1 if libjq refuses it. */
static int
same(const char *buf, size_t len)
{
	jv a = jv_parse_sized(buf, (int)len), b, da, db;
	int eq;

	if (!jv_is_valid(a)) {
		jv_free(a);
		return -1;
	}
	b = jvjson_parse(buf, len);
	da = jv_dump_string(jv_copy(a), 0);
	db = jv_dump_string(jv_copy(b), 0);
	eq = jv_equal(a, b) &&
	    strcmp(jv_string_value(da), jv_string_value(db)) == 0;
	if (!eq)
		printf("#   libjq: %.200s\n#   ours:  %.200s\n",
		    jv_string_value(da), jv_string_value(db));
	jv_free(da);
	jv_free(db);
	return eq;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/fixtures/jsontestsuite/test_parsing";
	char path[4096], *buf, *line, *nl;
	size_t len, agree = 0, refused = 0, differ = 0, n = 0;
	struct dirent *de;
	DIR *d;
	int r;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] != 'y' || de->d_name[1] != '_')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if ((buf = tap_slurp(path, &len)) == NULL)
				continue;
			if (json_validate(buf, len, NULL) == 0) {
				r = same(buf, len);
				if (r == 1)
					agree++;
				else if (r == -1)
					refused++;
				else {
					differ++;
					printf("# differs: %s\n", de->d_name);
				}
			}
			free(buf);
		}
		closedir(d);
	}
	TAP_OK(agree > 80 && differ == 0, "JSONTestSuite y_: %zu agree with "
	    "libjq's parser, %zu differ (%zu that libjq refuses)", agree,
	    differ, refused);

	/* tests/run exports QP_ROOT, the repository. */
	differ = 0;
	snprintf(path, sizeof(path), "%s/tests/fixtures/quotes.jsonl",
	    getenv("QP_ROOT") ? getenv("QP_ROOT") : ".");
	if ((buf = tap_slurp(path, &len)) != NULL) {
		for (line = buf; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 1) {
			n++;
			if (same(line, (size_t)(nl - line)) != 1)
				differ++;
		}
		free(buf);
	}
	TAP_OK(n > 0 && differ == 0, "quote fixtures: %zu lines agree", n);

	{
		const char *t[] = {
			"1e300", "-0", "12345678901234567890", "0.1",
			"[1.5e-320, 2.2250738585072014e-308, 1E400, -1e-400]",
			"\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"",
			"{\"a\":1,\"a\":2,\"b\":{\"c\":[]}}",
			"[true,false,null,{},[],\"\",0]",
			"  {\"k\" : [ 1 , 2 ] }  ",
		};
		size_t i;

		differ = 0;
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (same(t[i], strlen(t[i])) != 1) {
				differ++;
				printf("# differs: %s\n", t[i]);
			}
		TAP_OK(differ == 0, "edge cases: numbers at the limits, "
		    "escapes, duplicate keys, whitespace");
	}
	{
		static const double fixed[] = {
			0, -0.0, 1, -1, 0.1, 0.5, 1e-4, 1e-5, 0.001, 123000,
			1e15, 1e16, 1e17, 1e18, 9007199254740992.0,
			9007199254740993.0, 12345678901234567890.0, 1e300,
			-1e-300, 5e-324, 2.2250738585072014e-308,
			1.7976931348623157e308, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0,
			12284.74316868, -43.76333552000142,
			-0.003549767808865769, 1e21, 1e22, 123456789012345678.0,
		};
		size_t i, bad = 0, tried = 0;
		char buf[64];

		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			bad += !dump_same(jv_number(fixed[i]));
		TAP_OK(bad == 0, "numbers at the edges print as jq prints them");
		bad = 0;
		srandom(1);
		for (i = 0; i < 200000; i++, tried++)
			bad += !dump_same(jv_number(random_double()));
		for (i = 0; i < 200000; i++, tried++) {
			/* decimals of every length and scale, like prices */
			snprintf(buf, sizeof(buf), "%ld.%0*lde%d",
			    random() % 100000, (int)(random() % 18),
			    random() % 1000000000, (int)(random() % 40) - 20);
			bad += !dump_same(jv_number(strtod(buf, NULL)));
		}
		for (i = 0; i < 100000; i++, tried++)
			bad += !dump_same(jv_number((double)(random() %
			    2000000001) - 1e9));
		for (i = 0; i < 100000; i++, tried++)	/* subnormals */
			bad += !dump_same(jv_number(random_double() *
			    1e-300 * 1e-10));
		TAP_OK(bad == 0, "%zu random doubles, decimals and integers "
		    "print as jq prints them (%zu differ)", tried, bad);
	}
	{
		char s[256];
		int i, bad = 0;

		for (i = 0; i < 128; i++)
			s[i] = (char)i;
		memcpy(s + 128, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/", 10);
		bad += !dump_same(jv_string_sized(s, 138));
		bad += !dump_same(jv_parse("{\"k\\n\":[1,{\"\":null},true,"
		    "false,\"x\"],\"\\u0000\":{}}"));
		bad += !dump_same(jv_array());
		TAP_OK(bad == 0, "strings (every ASCII byte, UTF-8), keys, "
		    "nesting print as jq prints them");
	}
	return TAP_DONE();
}
