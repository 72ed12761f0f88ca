/*
 * awscred_test.c - the answers of the credential endpoints, read by
 * lib/awscred.c's parser (static, so the file is included whole).
 */
#include <sys/stat.h>

#include "../../lib/awscred.c"

#include "awsconf.h"
#include "sts.h"
#include "tap.h"

static char dir[] = "/tmp/qp-awscred.XXXXXX";
static char config[512], creds[512];

/* The chain for profile (NULL: none named): 0, 1 none, -1 why. */
static int
chain(struct awscred *c, const char *profile, char *why, size_t whylen)
{
	struct awsconf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.profile_opt = profile;
	if (awsconf_load(&conf, why, whylen) == -1)
		return -2;
	rc = awscred_load(c, &conf, why, whylen);
	awsconf_free(&conf);
	return rc;
}

/* split_words(line) joined with '|'. */
static const char *
words(const char *line)
{
	static char out[512];
	char buf[256], *argv[8];
	int n, i;
	size_t k = 0;

	if ((n = split_words(line, buf, argv, 8)) < 0)
		return "(error)";
	out[0] = '\0';
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s",
		    i ? "|" : "", argv[i]);
	return out;
}

static void
test_words(void)
{
	TAP_OK(strcmp(words("/bin/cred --profile x"),
	    "/bin/cred|--profile|x") == 0 &&
	    strcmp(words("  'a b'  \"c \\\" d\" e\\ f "), "a b|c \" d|e f") == 0 &&
	    strcmp(words("'it''s'"), "its") == 0 &&
	    strcmp(words("\"\""), "") == 0 &&
	    strcmp(words("'open"), "(error)") == 0 &&
	    strcmp(words("a b c d e f g h"), "(error)") == 0,
	    "credential_process split as a POSIX shell splits words, "
	    "without a shell");
}

static void
test_sts(void)
{
	struct awscred c;
	const char *ok = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws"
	    ".com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>"
	    "<AccessKeyId>ASIAINVENTED</AccessKeyId><SecretAccessKey>in/v+"
	    "&amp;</SecretAccessKey><SessionToken>tok==</SessionToken>"
	    "<Expiration>2026-11-26T10:00:00Z</Expiration></Credentials>"
	    "</AssumeRoleResult></AssumeRoleResponse>";

	awscred_clear(&c);
	TAP_OK(sts_parse(ok, strlen(ok), &c) == 0 &&
	    strcmp(c.access_key, "ASIAINVENTED") == 0 &&
	    strcmp(c.secret_key, "in/v+&") == 0 &&
	    strcmp(c.token, "tok==") == 0 && c.expires == 1795687200,
	    "an STS answer: keys, entities decoded, token, expiration");
	awscred_clear(&c);
	TAP_OK(sts_parse("<Credentials><AccessKeyId>A</AccessKeyId>"
	    "</Credentials>", 49, &c) == -1 && c.access_key[0] == '\0' &&
	    sts_parse("<Error><Code>x</Code></Error>", 29, &c) == -1,
	    "an STS answer without all four, or an error: not credentials, "
	    "nothing kept");
}

static void
test_chain(void)
{
	struct awscred c;
	char why[512], script[600];
	int rc;

	setenv("AWS_CONFIG_FILE", config, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	snprintf(script, sizeof(script), "%s/proc", dir);
	tap_put(script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": "
	    "\"AKIDPROC\", \"SecretAccessKey\": \"s\", \"SessionToken\": "
	    "\"'\"$1\"'\"}'\n");
	chmod(script, 0755);
	tap_put(creds, "[default]\naws_access_key_id = AKIDCREDS\n"
	    "aws_secret_access_key = s\n[half]\naws_access_key_id = X\n");
	{
		char text[2048];

		snprintf(text, sizeof(text), "[default]\n"
		    "aws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n"
		    "[profile cfg]\naws_access_key_id = AKIDCONFIG\n"
		    "aws_secret_access_key = s\n"
		    "[profile proc]\ncredential_process = %s 'tok en'\n"
		    "aws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n"
		    "[profile badproc]\ncredential_process = /bin/false\n"
		    "[profile eat]\ncredential_process = %s/eat\n"
		    "[profile role]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "[profile both]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "source_profile = cfg\ncredential_source = Environment\n"
		    "[profile loop1]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "source_profile = loop2\n[profile loop2]\n"
		    "role_arn = arn:aws:iam::1:role/r\nsource_profile = loop1\n"
		    "[profile mfa]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "source_profile = cfg\nmfa_serial = arn:aws:iam::1:mfa/u\n"
		    "[profile nosrc]\nrole_arn = arn:aws:iam::1:role/r\n"
		    "source_profile = ghost\n"
		    "[profile sso]\nsso_start_url = https://x.example/start\n",
		    script, dir);
		tap_put(config, text);
	}
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	TAP_OK(chain(&c, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.access_key, "AKIDENV") == 0,
	    "the environment first");
	setenv("AWS_PROFILE", "cfg", 1);
	TAP_OK(chain(&c, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.access_key, "AKIDENV") == 0,
	    "  ... even with AWS_PROFILE");
	unsetenv("AWS_PROFILE");
	TAP_OK(chain(&c, "cfg", why, sizeof(why)) == 0 &&
	    strcmp(c.access_key, "AKIDCONFIG") == 0,
	    "  ... but not with --profile, which names the source");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	TAP_OK(chain(&c, NULL, why, sizeof(why)) == -1 && strstr(why,
	    "partial credentials in the environment: AWS_ACCESS_KEY_ID is "
	    "set but AWS_SECRET_ACCESS_KEY is not") != NULL,
	    "half a key pair in the environment: refused, as the AWS CLI "
	    "refuses it, not another identity taken");
	unsetenv("AWS_ACCESS_KEY_ID");
	TAP_OK(chain(&c, NULL, why, sizeof(why)) == 0 &&
	    strcmp(c.access_key, "AKIDCREDS") == 0,
	    "the credentials file's keys before the config file's");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://169.254.169.254.example/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ctoken", 1);
	rc = from_container(&c, why, sizeof(why));
	TAP_OK(rc == -1 && strstr(why, "only the container endpoints") !=
	    NULL && container_host_ok("http://127.0.0.1:8080/x") &&
	    container_host_ok("http://[::1]/x") &&
	    container_host_ok("http://169.254.170.23/v1/credentials") &&
	    container_host_ok("https://creds.example/x") &&
	    !container_host_ok("http://127.0.0.1@evil.example/") &&
	    !container_host_ok("http://10.0.0.1/") &&
	    !container_host_ok("http://127.0.0.1.evil.example/"),
	    "the container token goes over plain HTTP only to the container "
	    "endpoints and loopback");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	TAP_OK(parse_expiration("2026-11-26T10:00:00Z") == 1795687200 &&
	    parse_expiration("2026-11-26T11:30:00.123+01:30") == 1795687200 &&
	    parse_expiration("2026-11-26T08:00:00-02:00") == 1795687200 &&
	    parse_expiration("soon") == 0,
	    "Expiration with Z, a fraction, or an offset");
	TAP_OK(chain(&c, "proc", why, sizeof(why)) == 0 &&
	    strcmp(c.access_key, "AKIDPROC") == 0 &&
	    strcmp(c.token, "tok en") == 0 &&
	    strstr(c.source, "credential_process") != NULL,
	    "credential_process before the config file's keys, its "
	    "arguments as quoted");
	{
		/* The records on our stdin are not the helper's to read. */
		int fds[2], saved = dup(STDIN_FILENO);
		char buf[16] = "";
		ssize_t n;

		snprintf(script, sizeof(script), "%s/eat", dir);
		tap_put(script, "#!/bin/sh\nt=$(cat)\necho '{\"Version\": 1, "
		    "\"AccessKeyId\": \"AKIDEAT\", \"SecretAccessKey\": \"s\", "
		    "\"SessionToken\": \"['\"$t\"']\"}'\n");
		chmod(script, 0755);
		if (pipe(fds) == -1 || write(fds[1], "records\n", 8) != 8)
			exit(2);
		close(fds[1]);
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		rc = chain(&c, "eat", why, sizeof(why));
		n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
		dup2(saved, STDIN_FILENO);
		close(saved);
		TAP_OK(rc == 0 && strcmp(c.token, "[]") == 0 && n == 8,
		    "a credential_process reads /dev/null, not our stdin "
		    "(the records stay ours)");
		unlink(script);
		snprintf(script, sizeof(script), "%s/proc", dir);
	}
	rc = chain(&c, "badproc", why, sizeof(why));
	TAP_OK(rc == -1 && strstr(why, "credential_process /bin/false "
	    "exited 1") != NULL, "a credential_process that fails: said");
	rc = chain(&c, "half", why, sizeof(why));
	TAP_OK(rc == -1 && strstr(why, "has aws_access_key_id but not "
	    "aws_secret_access_key") != NULL, "half a key pair: refused");
	TAP_OK(chain(&c, "role", why, sizeof(why)) == -1 && strstr(why,
	    "neither source_profile nor credential_source") != NULL &&
	    chain(&c, "both", why, sizeof(why)) == -1 && strstr(why,
	    "both source_profile and credential_source") != NULL &&
	    chain(&c, "loop1", why, sizeof(why)) == -1 && strstr(why,
	    "makes a loop") != NULL &&
	    chain(&c, "mfa", why, sizeof(why)) == -1 && strstr(why,
	    "mfa_serial") != NULL &&
	    chain(&c, "nosrc", why, sizeof(why)) == -1 && strstr(why,
	    "source_profile ghost of profile nosrc is in neither") != NULL &&
	    chain(&c, "sso", why, sizeof(why)) == -1 && strstr(why,
	    "IAM Identity Center") != NULL,
	    "roles the AWS CLI refuses, refused with its reasons: no source, "
	    "two sources, a loop, MFA, a missing source; SSO not read");
	tap_put(creds, "");
	tap_put(config, "");
	TAP_OK(chain(&c, NULL, why, sizeof(why)) == -1 && strstr(why,
	    "no AWS credentials") != NULL, "nothing anywhere: said");
	unlink(script);
	unlink(creds);
	unlink(config);
}

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
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(config, sizeof(config), "%s/config", dir);
	snprintf(creds, sizeof(creds), "%s/credentials", dir);
	test_words();
	test_sts();
	test_chain();
	rmdir(dir);
	return TAP_DONE();
}
