/*
 * awscred_test.c - the answers of the credential endpoints, read by
 * lib/awscred.c's parser (static, so the file is included whole).
 */
#include "../../lib/awscred.c"

#include "tap.h"

static int
json_ok(const char *doc, struct awscred *c)
{
	awscred_clear(c);
	return from_json(c, doc, strlen(doc), "AccessKeyId",
	    "SecretAccessKey", "Token");
}

int
main(void)
{
	struct awscred c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	TAP_OK(json_ok("{\"AccessKeyId\":\"ASIAINVENTED\",\"SecretAccessKey\":"
	    "\"in\\/vented\",\"Token\":\"t\",\"Expiration\":"
	    "\"2026-11-26T10:00:00Z\"}", &c) == 0 &&
	    strcmp(c.access_key, "ASIAINVENTED") == 0 &&
	    strcmp(c.secret_key, "in/vented") == 0 &&
	    strcmp(c.token, "t") == 0 && c.expires == 1795687200,
	    "a container answer: keys unescaped, token, expiration");
	/* Found by tests/fuzz/awscred.c: "" was taken for a key. */
	TAP_OK(json_ok("{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"s\"}",
	    &c) == -1 && json_ok("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
	    "\"\"}", &c) == -1 && json_ok("{\"AccessKeyId\":\"\\u0000A\","
	    "\"SecretAccessKey\":\"s\"}", &c) == -1 && c.access_key[0] == '\0',
	    "an answer with an empty key or secret is not credentials");
	TAP_OK(json_ok("{\"AccessKeyId\":\"A\"}", &c) == -1 &&
	    json_ok("{\"AccessKeyId\":1,\"SecretAccessKey\":\"s\"}", &c) == -1 &&
	    json_ok("[\"AccessKeyId\"]", &c) == -1 &&
	    json_ok("{\"AccessKeyId\":\"A\",", &c) == -1,
	    "no secret, a key that is not a string, not an object, not JSON");
	return TAP_DONE();
}
