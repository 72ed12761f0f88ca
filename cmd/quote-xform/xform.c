/*
 * xform.c - quote-xform's work: the jq program over each line of an
 * input, with libjq 1.6 (jq_start, then jq_next until invalid; a halt,
 * an error and the normal end told apart), outputs printed compact.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <jq.h>
#include <jv.h>

#include "json.h"
#include "jsonl.h"
#include "jvjson.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "xform.h"

/* Compile errors and messages from the program (stderr, debug). */
static void
jq_msg(void *data, jv msg)
{
	(void)data;
	if (jv_get_kind(msg) == JV_KIND_STRING)
		log_err("%s", jv_string_value(msg));
	else {
		jv s = jv_dump_string(msg, 0);	/* consumes msg */
		log_err("%s", jv_string_value(s));
		jv_free(s);
		return;
	}
	jv_free(msg);
}

static int
xform_wait(void *arg, int fd)
{
	struct xform *x = arg;
	struct pollfd pfd = { fd, POLLIN, 0 };

	obuf_flush(&x->out);	/* about to wait: nothing sits in a buffer */
	for (;;) {
		if (sig_caught())
			return -1;
		if (sig_poll(&pfd, 1, -1) > 0)
			return 0;
	}
}

/* Print one output value compact, as jq -c does; consumes v. */
static void
emit(struct xform *x, jv v)
{
	jvjson_dump(&x->out, v);
	obuf_putc(&x->out, '\n');
	x->nout++;
}

/*
 * Print an output that is the input itself (jv_identical: the same
 * object, or an equal scalar) as the input's own bytes, compacted: a
 * record a program only selects passes through exactly, with numbers
 * such as 1e300 or 2^53+1 as they were, not as libjq would print them.
 */
static void
emit_input(struct xform *x, const char *line, size_t len)
{
	char *d = obuf_reserve(&x->out, len + 1);
	size_t n;

	if (d == NULL)
		return;
	n = json_compact(line, len, d);
	d[n++] = '\n';
	obuf_commit(&x->out, n);
	x->nout++;
}

/*
 * Run the program on one line.  Returns 0, or -1 for a bad record
 * (already reported).
 */
static int
run_one(struct xform *x, const char *name, unsigned long lineno,
    const char *line, size_t len)
{
	jv in, orig, out, msg, code;

	in = jvjson_parse(line, len);	/* the reader validated it */
	orig = jv_copy(in);
	jq_start(x->jq, in, 0);
	while (jv_is_valid(out = jq_next(x->jq))) {
		if (jv_identical(jv_copy(orig), jv_copy(out))) {
			jv_free(out);
			emit_input(x, line, len);
		} else
			emit(x, out);
	}
	jv_free(orig);
	if (jq_halted(x->jq)) {
		jv_free(out);
		x->halted = 1;
		code = jq_get_exit_code(x->jq);
		if (!jv_is_valid(code))
			x->halt_status = 0;
		else if (jv_get_kind(code) == JV_KIND_NUMBER)
			x->halt_status = (int)jv_number_value(code);
		else
			x->halt_status = 5;
		jv_free(code);
		msg = jq_get_error_message(x->jq);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			fputs(jv_string_value(msg), stderr);
		else if (jv_is_valid(msg) && jv_get_kind(msg) != JV_KIND_NULL) {
			jv s = jv_dump_string(jv_copy(msg), 0);
			fprintf(stderr, "%s\n", jv_string_value(s));
			jv_free(s);
		}
		jv_free(msg);
		return 0;
	}
	if (jv_invalid_has_msg(jv_copy(out))) {
		msg = jv_invalid_get_msg(out);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			log_err("%s:%lu: jq: error: %s", name, lineno,
			    jv_string_value(msg));
		else {
			jv s = jv_dump_string(jv_copy(msg), 0);
			log_err("%s:%lu: jq: error (not a string): %s", name,
			    lineno, jv_string_value(s));
			jv_free(s);
		}
		jv_free(msg);
		return -1;
	}
	jv_free(out);
	return 0;
}

/* QP_STATS: records in and out, bad lines. */
void
xform_stats(const struct xform *x, int final)
{
	struct stat_field f[] = {
		{ "records_in", "Count", (double)x->in.nread },
		{ "records_out", "Count", (double)x->nout },
		{ "bad_lines", "Count", (double)x->in.nbad },
	};

	stats_emit(f, 3, final);
}

/* cli_input's hooks: the program run on each good line; stop when done. */
static int
take(void *arg, const char *name, unsigned long lineno, const char *line,
    size_t len)
{
	if (len > INT_MAX)
		return -1;
	return run_one(arg, name, lineno, line, len);
}

static int
next(void *arg)
{
	struct xform *x = arg;

	if (stats_due())
		xform_stats(x, 0);
	return x->halted || obuf_error(&x->out) ? -1 : 0;
}

int
xform_input(struct xform *x, const char *path)
{
	x->in.wait = xform_wait;
	x->in.take = take;
	x->in.next = next;
	x->in.arg = x;
	x->in.validate = 1;
	return cli_input(&x->in, path);
}

int
xform_compile(struct xform *x, const char *program, jv args)
{
	if ((x->jq = jq_init()) == NULL) {
		log_err("cannot start libjq");
		jv_free(args);
		return EX_SOFTWARE;
	}
	jq_set_error_cb(x->jq, jq_msg, NULL);
	if (!jq_compile_args(x->jq, program, args)) {	/* consumes args */
		log_err("the jq program does not compile");
		jq_teardown(&x->jq);
		return EX_USAGE;
	}
	return 0;
}
