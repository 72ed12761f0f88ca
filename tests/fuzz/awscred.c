/*
 * awscred.c - libFuzzer harness for what lib/awscred.c parses: the
 * shared credentials file, the JSON the container and instance
 * metadata endpoints answer, and their Expiration time.  The parsers
 * are static, so the file is included whole.
 *
 * Input: byte 0 picks the parser (and, for the file, whether
 * AWS_PROFILE names a profile); the rest is the file or the answer.
 * The file is given through a memfd, as AWS_SHARED_CREDENTIALS_FILE.
 * Checked: credentials found are complete (key and secret not empty)
 * and fit their fields; nothing found leaves nothing behind; the
 * messages and awscred_describe() never contain the secret.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../lib/awscred.c"

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
	char path[64], errbuf[512];
	int fd, rc;

	if ((fd = memfd_create("credentials", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	if (named)
		setenv("AWS_PROFILE", "fuzz", 1);
	else
		unsetenv("AWS_PROFILE");
	awscred_clear(&c);
	errbuf[0] = '\0';
	rc = from_file(&c, errbuf, sizeof(errbuf));
	close(fd);
	if (rc == 0)
		check_found(&c, errbuf);
	else if (!is_clear(&c))
		abort();
	else if (rc == -1 && (errbuf[0] == '\0' || !named))
		abort();
	else if (rc == 1 && named)
		abort();	/* a named profile that is not there is an error */
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
