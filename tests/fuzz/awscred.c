/*
 * awscred.c - libFuzzer harness for what the credential chain parses:
 * the AWS CLI's shared files (lib/ini.c, read through lib/awsconf.c, and
 * the keys lib/awscred.c takes from them), the JSON the container and
 * instance metadata endpoints and a credential_process answer, their
 * Expiration time, STS's XML answer (lib/sts.c) and the splitting of a
 * credential_process command line.  The parsers are static, so
 * lib/awscred.c is included whole.
 *
 * Input: byte 0 picks the parser (and, for the files, whether
 * AWS_PROFILE names a profile); the rest is the file or the answer.
 * The file is given through a memfd, as both AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE (no command is ever run: the keys alone
 * are read, not credential_process).  Checked: credentials found are
 * complete (key and secret not empty) and fit their fields; nothing
 * found leaves nothing behind; the messages and awscred_describe()
 * never contain the secret.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../lib/awscred.c"
#include "awsconf.h"
#include "sts.h"

#define FUZZ_MAX_LEN	(1 << 16)

static void
check_found(const struct awscred *c, const char *msg)
{
	char desc[512];

	if (memchr(c->access_key, '\0', sizeof(c->access_key)) == NULL ||
	    memchr(c->secret_key, '\0', sizeof(c->secret_key)) == NULL ||
	    memchr(c->token, '\0', sizeof(c->token)) == NULL ||
	    memchr(c->source, '\0', sizeof(c->source)) == NULL)
		abort();
	if (c->access_key[0] == '\0' || c->secret_key[0] == '\0')
		abort();
	awscred_describe(c, desc, sizeof(desc));
	/* Short secrets can turn up in any text by chance. */
	if (strlen(c->secret_key) >= 8 && (strstr(desc, c->secret_key) ||
	    strstr(msg, c->secret_key)))
		abort();
}

static int
is_clear(const struct awscred *c)
{
	return c->access_key[0] == '\0' && c->secret_key[0] == '\0' &&
	    c->token[0] == '\0' && c->expires == 0;
}

static void
fuzz_file(const uint8_t *data, size_t size, int named)
{
	struct awscred c;
	struct awsconf conf;
	char path[64], errbuf[512], url[1024], from[256];
	int fd, rc, creds;

	if ((fd = memfd_create("aws", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_CONFIG_FILE", path, 1);
	if (named)
		setenv("AWS_PROFILE", "fuzz", 1);
	else
		unsetenv("AWS_PROFILE");
	memset(&conf, 0, sizeof(conf));
	errbuf[0] = '\0';
	if (awsconf_load(&conf, errbuf, sizeof(errbuf)) == -1) {
		if (errbuf[0] == '\0')
			abort();
		awsconf_free(&conf);
		close(fd);
		return;
	}
	if (named && !conf.profile_exists)
		abort();	/* a named profile that is not there is an error */
	awsconf_endpoint(&conf, "s3", url, sizeof(url), from, sizeof(from));
	awsconf_endpoint(&conf, "sts", url, sizeof(url), from, sizeof(from));
	for (creds = 0; creds < 2; creds++) {
		awscred_clear(&c);
		errbuf[0] = '\0';
		rc = from_keys(&c, &conf, conf.profile, creds, errbuf,
		    sizeof(errbuf));
		if (rc == 0)
			check_found(&c, errbuf);
		else if (!is_clear(&c))
			abort();
		else if (rc == -1 && errbuf[0] == '\0')
			abort();
	}
	awsconf_free(&conf);
	close(fd);
}

/*
 * STS's answer (NUL-terminated, as lib/sts.c keeps one), and a command
 * line split as credential_process's.
 */
static void
fuzz_text(const char *doc, size_t size)
{
	struct awscred c;
	char *str, *buf, *argv[64];
	int n, i;

	if ((str = malloc(size + 1)) == NULL)
		return;
	memcpy(str, doc, size);
	str[size] = '\0';
	awscred_clear(&c);
	if (sts_parse(str, size, &c) == 0)
		check_found(&c, "");
	else if (!is_clear(&c))
		abort();
	if ((buf = malloc(strlen(str) + 1)) != NULL) {
		n = split_words(str, buf, argv, 64);
		for (i = 0; i < n; i++)
			if (argv[i] < buf || argv[i] > buf + strlen(str))
				abort();
		if (n >= 0 && argv[n] != NULL)
			abort();
		free(buf);
	}
	free(str);
}

static void
fuzz_json(const uint8_t *data, size_t size)
{
	struct awscred c;
	char *doc, exp[64];

	if ((doc = fuzz_copy(data, size)) == NULL)
		return;
	awscred_clear(&c);
	if (from_json(&c, doc, size, "AccessKeyId", "SecretAccessKey",
	    "Token") == 0)
		check_found(&c, "");
	/* The Expiration field alone, as from_json() reads it. */
	if (json_validate(doc, size, NULL) == 0 &&
	    json_field(doc, size, "Expiration", exp, sizeof(exp)) == 0)
		(void)parse_expiration(exp);
	fuzz_text(doc, size);
	awscred_clear(&c);
	free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_LEN)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_file(data + 1, size - 1, data[0] & 0x80);
		break;
	case 1:
		fuzz_file(data + 1, size - 1, 0);
		break;
	default:
		fuzz_json(data + 1, size - 1);
		break;
	}
	return 0;
}
