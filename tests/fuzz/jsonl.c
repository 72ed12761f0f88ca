/*
 * jsonl.c - libFuzzer harness for the line reader (lib/jsonl.c).
 *
 * Input: byte 0 sets max_line (1..64, or 4096 when it is 0), byte 1
 * the flags (bit 0: validate lines, bit 1: records only, no envelope,
 * bit 2: keep blank lines) and how the stream is cut into reads; the rest is the stream.  It is sent through a SOCK_SEQPACKET
 * socket, so each read(2) of the reader returns one piece, at places
 * the fuzzer chooses.  What the reader returns is held against a
 * model of jsonl.h's contract written from the whole stream: lines cut
 * at '\n', one '\r' before it dropped, a last line without '\n'
 * counted, a line over max_line reported (as JSONL_TOO_LONG) and
 * skipped, a blank line skipped (unless kept), and the line numbers.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"

#define FUZZ_MAX_LEN	(1 << 16)
#define MAX_PIECES	64	/* stays well inside the socket's buffer */

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/*
 * What the next line must be, from the stream alone; *skipped counts
 * the blank lines passed over before it.
 */
static enum jsonl_status
model_next(const char *s, size_t len, size_t *pos, size_t max_line,
    int validate, int records_only, int keep_blank, const char **line,
    size_t *n, unsigned long *skipped)
{
	const char *nl;
	size_t l;

	*skipped = 0;
again:
	if (*pos >= len)
		return JSONL_EOF;
	*line = s + *pos;
	nl = memchr(*line, '\n', len - *pos);
	l = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += l + (nl != NULL);
	if (l > 0 && (*line)[l - 1] == '\r')
		l--;
	if (l > max_line)
		return JSONL_TOO_LONG;
	if (!keep_blank && blank(*line, l)) {
		(*skipped)++;
		goto again;
	}
	*n = l;
	if (validate && (records_only ? json_validate(*line, l, NULL) :
	    json_validate_line(*line, l, NULL)) == -1)
		return JSONL_INVALID;
	return JSONL_LINE;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl_reader r;
	enum jsonl_status st, want;
	const char *s, *line, *mline;
	size_t len, max_line, off, piece, pos = 0, n, mn;
	unsigned long lines = 0, skipped;
	unsigned int seed;
	int sv[2], validate, records_only, keep_blank, i;
	char msg[256];

	if (size < 2 || size > FUZZ_MAX_LEN)
		return 0;
	max_line = data[0] == 0 ? 4096 : 1 + (data[0] & 63);
	validate = data[1] & 1;
	records_only = data[1] >> 1 & 1;
	keep_blank = data[1] >> 2 & 1;
	seed = data[1] >> 3;
	s = (const char *)data + 2;
	len = size - 2;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		abort();
	/* Cut into pieces of 1..seed+1 bytes; the last takes the rest. */
	for (off = 0, i = 0; off < len; off += piece, i++) {
		piece = i == MAX_PIECES - 1 ? len - off :
		    1 + (off * 7 + seed) % (seed + 1);
		if (piece > len - off)
			piece = len - off;
		if (write(sv[1], s + off, piece) != (ssize_t)piece)
			abort();
	}
	close(sv[1]);
	if (jsonl_open(&r, sv[0], "<fuzz>", max_line) == -1)
		abort();
	r.validate = validate;
	r.records_only = records_only;
	r.keep_blank = keep_blank;
	for (;;) {
		st = jsonl_next(&r, &line, &n);
		want = model_next(s, len, &pos, max_line, validate,
		    records_only, keep_blank, &mline, &mn, &skipped);
		if (st != want)
			abort();
		if (st == JSONL_EOF)
			break;
		lines += skipped;
		if (r.lineno != ++lines)
			abort();
		if (st == JSONL_LINE && (n != mn || memcmp(line, mline, n) != 0))
			abort();
		if (st == JSONL_INVALID || st == JSONL_TOO_LONG)
			jsonl_describe(&r, st, msg, sizeof(msg));
	}
	jsonl_close(&r);
	close(sv[0]);
	return 0;
}
