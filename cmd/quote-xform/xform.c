/*
 * xform.c - quote-xform's work: the jq program over the inputs, with
 * libjq 1.6 as jq's main.c drives it (jq_start, then jq_next until
 * invalid; a halt, an error and the normal end told apart), the inputs
 * also given to the program's input and inputs through jq_set_input_cb.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jq.h>
#include <jv.h>

#include "cli.h"
#include "json.h"
#include "jsonl.h"
#include "jvjson.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "xform.h"

/*
 * jq's messages: while compiling, held in x->compile_msgs for main() to
 * judge (a file given as the program gets one line, not jq's syntax
 * errors); after, said at once.
 */
static void
jq_msg(void *data, jv msg)
{
	struct xform *x = data;

	if (jv_is_valid(x->compile_msgs)) {
		x->compile_msgs = jv_array_append(x->compile_msgs, msg);
		return;
	}
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	log_err("%s", jv_string_value(msg));
	jv_free(msg);
}

/*
 * Before a read that may block: nothing sits in the buffer, and a
 * reader that went away (a pipe whose reader closed shows POLLERR on its
 * write end) stops the run now rather than at the next write, which may
 * be long in coming (`cnn-fetch --every | quote-xform | head -1`).
 */
static void xform_stats(const struct xform *, int final);

static int
xform_wait(void *arg, int fd)
{
	struct xform *x = arg;
	struct pollfd pfd[2] = {
		{ fd, POLLIN, 0 }, { STDOUT_FILENO, 0, 0 }
	};

	if (obuf_flush(&x->out) != 0)
		return -1;
	for (;;) {
		if (sig_caught())
			return -1;
		/* Idle input: the stats lines still come on time. */
		if (sig_poll(pfd, 2, stats_wait_ms(-1)) <= 0) {
			if (stats_due())
				xform_stats(x, 0);
			continue;
		}
		if (pfd[1].revents & POLLERR) {
			x->out.err = EPIPE;	/* as the next write would */
			return -1;
		}
		if (pfd[1].revents != 0)
			pfd[1].fd = -1;	/* not a pipe (POLLNVAL: closed) */
		if (pfd[0].revents != 0)
			return 0;
	}
}

/* QP_STATS: records in and out, bad lines. */
static void
xform_stats(const struct xform *x, int final)
{
	struct stat_field f[] = {
		{ "records_in", "Count", (double)x->nread },
		{ "records_out", "Count", (double)x->nout },
		{ "bad_lines", "Count", (double)x->nbad },
	};

	stats_emit(f, 3, final);
}

/* A bad line or a runtime error, said already: counted, --on-error. */
static void
count_bad(struct xform *x)
{
	x->nbad++;
	if (x->on_error == JSONL_ON_ERROR_FAIL)
		x->stop = 1;
}

static void
close_input(struct xform *x)
{
	if (x->reading)
		jsonl_close(&x->r);
	x->reading = 0;
}

/* Only JSON whitespace: jq skips it between values, and so do we. */
static int
blank(const char *s, size_t len)
{
	for (; len > 0; s++, len--)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/*
 * The next good line of the inputs into x->line, x->len (valid until
 * the next call); x->r names it.  Returns 1, or 0 when there is no more
 * (the inputs are read, or x->stop: --on-error fail, a stop signal, a
 * halt, stdout gone).  Bad lines and inputs that fail are said and
 * counted here, as lib/cli.c's cli_input does for the other filters;
 * quote-xform reads for itself because the program pulls inputs too.
 */
static int
next_line(struct xform *x)
{
	enum jsonl_status st;
	const char *path;
	char why[512];
	int e;

	for (;;) {
		if (x->stop || x->halted || obuf_error(&x->out))
			return 0;
		if (stats_due())
			xform_stats(x, 0);
		if (!x->reading) {
			if (x->nextfile >= (x->nfiles > 0 ? x->nfiles : 1))
				return 0;
			path = x->nfiles > 0 ? x->files[x->nextfile] : "-";
			x->nextfile++;
			if (jsonl_open_path(&x->r, path, x->max_line) == -1) {
				e = errno;
				log_err("%s: %s", path, strerror(e));
				x->err = e == ENOMEM ? EX_OSERR : EX_NOINPUT;
				x->stop = e == ENOMEM;
				continue;
			}
			x->r.wait = xform_wait;
			x->r.wait_arg = x;
			x->reading = 1;
		}
		/* r.validate stays 0: a blank line is not a bad one here. */
		switch ((st = jsonl_next(&x->r, &x->line, &x->len))) {
		case JSONL_EOF:
			close_input(x);
			continue;
		case JSONL_INTERRUPTED:
			x->stop = 1;
			return 0;
		case JSONL_ERROR:
			log_err("%s: %s", x->r.name, strerror(errno));
			x->err = EX_IOERR;
			close_input(x);
			continue;
		case JSONL_LINE:
			if (blank(x->line, x->len))
				continue;
			x->nread++;
			if (json_validate_line(x->line, x->len,
			    &x->r.jerr) == 0)
				return 1;
			st = JSONL_INVALID;
			break;
		default:
			x->nread++;
			break;
		}
		jsonl_describe(&x->r, st, why, sizeof(why));
		log_err("%s", why);
		count_bad(x);
	}
}

/*
 * The next input as the program sees it: a line's value, or with -s
 * every line's in one array, once.  Invalid when there is none.  With
 * -s the program does not run on what a stop cut short.
 */
static jv
next_value(struct xform *x)
{
	jv all;

	if (!(x->flags & XFORM_SLURP))
		return next_line(x) ? jvjson_parse(x->line, x->len) :
		    jv_invalid();
	if (x->slurped)
		return jv_invalid();
	x->slurped = 1;
	all = jv_array();
	while (next_line(x))
		all = jv_array_append(all, jvjson_parse(x->line, x->len));
	if (x->stop) {
		jv_free(all);
		return jv_invalid();
	}
	return all;
}

/*
 * The program's input and inputs (jq_set_input_cb).  The line the run
 * started on leaves the reader's buffer, so its bytes can no longer
 * stand for an output.
 */
static jv
input_cb(jq_state *jq, void *data)
{
	struct xform *x = data;

	(void)jq;
	x->run_line = NULL;
	return next_value(x);
}

/*
 * Is v the run's input itself, untouched?  Only for an object, array or
 * string does jv_identical() mean that (the same pointer): it finds a
 * number equal to the input number identical, and jq prints a number
 * computed from -12.50 (tojson | fromjson) as -12.5.
 */
static int
is_input(const struct xform *x, jv v, jv in)
{
	jv_kind k = jv_get_kind(v);

	return x->run_line != NULL && !(x->flags & XFORM_SORT) &&
	    (k == JV_KIND_OBJECT || k == JV_KIND_ARRAY ||
	    k == JV_KIND_STRING) && jv_identical(jv_copy(in), jv_copy(v));
}

/*
 * Print one output value as jq -c prints it (with -r a string as its
 * bytes); consumes v.  An output that is the run's input itself is
 * printed as the input's own bytes, compacted: a record a program only
 * selects passes through exactly, with numbers such as 1e300 or 2^53+1
 * as they were, not as libjq would print them.
 */
static void
emit(struct xform *x, jv v, jv in)
{
	char *d;

	if ((x->flags & XFORM_RAW) && jv_get_kind(v) == JV_KIND_STRING)
		obuf_write(&x->out, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
	else if (is_input(x, v, in) &&
	    (d = obuf_reserve(&x->out, x->run_len)) != NULL)
		obuf_commit(&x->out, json_compact(x->run_line, x->run_len,
		    d));
	else if (x->flags & XFORM_SORT) {
		/* libjq's own printer: the same bytes as jq -S -c */
		jv s = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);

		obuf_write(&x->out, jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s)));
		jv_free(s);
	} else {
		jvjson_dump(&x->out, v);
		v = jv_invalid();
	}
	jv_free(v);
	if (!(x->flags & XFORM_JOIN))
		obuf_putc(&x->out, '\n');
	x->nout++;
}

/* A halt or halt_error: the status and message, as jq's main.c has them. */
static void
halt(struct xform *x)
{
	jv code = jq_get_exit_code(x->jq), msg;

	x->halted = 1;
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
}

/*
 * Run the program once on in (consumed), the value of the line
 * name:lineno (name NULL: of no one line, as with -n and -s).
 */
static void
run_one(struct xform *x, jv in, const char *name, unsigned long lineno)
{
	jv orig = jv_copy(in), out, msg;

	jq_start(x->jq, in, 0);
	while (jv_is_valid(out = jq_next(x->jq))) {
		emit(x, out, orig);
		if (obuf_error(&x->out)) {
			out = jv_invalid();	/* the reader is gone */
			break;
		}
	}
	jv_free(orig);
	x->run_line = NULL;
	if (jq_halted(x->jq))
		halt(x);
	else if (jv_invalid_has_msg(jv_copy(out))) {
		msg = jv_invalid_get_msg(out);
		out = jv_invalid();
		if (jv_get_kind(msg) != JV_KIND_STRING) {
			msg = jv_dump_string(msg, 0);
			if (name != NULL)
				log_err("%s:%lu: jq: error (not a string): %s",
				    name, lineno, jv_string_value(msg));
			else
				log_err("jq: error (not a string): %s",
				    jv_string_value(msg));
		} else if (name != NULL)
			log_err("%s:%lu: jq: error: %s", name, lineno,
			    jv_string_value(msg));
		else
			log_err("jq: error: %s", jv_string_value(msg));
		jv_free(msg);
		count_bad(x);
	}
	jv_free(out);
}

int
xform_run(struct xform *x, int nfiles, char **files)
{
	jv in;
	int status = 0, bad;

	x->files = files;
	x->nfiles = nfiles;
	if (obuf_open(&x->out, STDOUT_FILENO, 256 * 1024) == -1) {
		log_err("%s", strerror(ENOMEM));
		jq_teardown(&x->jq);
		return EX_OSERR;
	}
	jq_set_input_cb(x->jq, input_cb, x);
	if (x->flags & XFORM_NULL)
		run_one(x, jv_null(), NULL, 0);
	else if (x->flags & XFORM_SLURP) {
		if (jv_is_valid(in = next_value(x)))
			run_one(x, in, NULL, 0);
	} else
		while (next_line(x)) {
			x->run_line = x->line;
			x->run_len = x->len;
			run_one(x, jvjson_parse(x->line, x->len), x->r.name,
			    x->r.lineno);
		}
	close_input(x);
	/* A reader that went away (EPIPE) wanted no more: not an error. */
	if (obuf_close(&x->out) != 0 && x->out.err != EPIPE) {
		log_err("stdout: %s", strerror(x->out.err));
		status = EX_IOERR;
	}
	jq_teardown(&x->jq);
	xform_stats(x, 1);
	bad = cli_bad_lines(x->nbad, x->on_error);
	log_info("%lu lines read, %lu values written", x->nread, x->nout);
	if (x->halted && status == 0)
		return x->halt_status;
	if (status == 0 && x->err)
		status = x->err;
	if (status == 0)
		status = bad;
	return status;
}

int
xform_compile(struct xform *x, const char *program, jv args)
{
	jv named = jv_copy(args);

	x->compile_msgs = jv_array();
	if ((x->jq = jq_init()) == NULL) {
		log_err("cannot start libjq");
		jv_free(args);
		jv_free(named);
		return EX_SOFTWARE;
	}
	jq_set_error_cb(x->jq, jq_msg, x);
	/* $ARGS, as jq 1.6 has it; no --args, so nothing positional. */
	args = jv_object_set(args, jv_string("ARGS"), jv_object_set(
	    jv_object_set(jv_object(), jv_string("positional"), jv_array()),
	    jv_string("named"), named));
	if (!jq_compile_args(x->jq, program, args))	/* consumes args */
		return EX_USAGE;
	jv_free(x->compile_msgs);
	x->compile_msgs = jv_invalid();
	return 0;
}

void
xform_compile_failed(struct xform *x, const char *instead)
{
	jv msgs = x->compile_msgs;
	int i, n;

	x->compile_msgs = jv_invalid();
	if (instead != NULL)
		log_err("%s", instead);
	else {
		n = jv_is_valid(msgs) ? jv_array_length(jv_copy(msgs)) : 0;
		for (i = 0; i < n; i++)
			jq_msg(x, jv_array_get(jv_copy(msgs), i));
		log_err("the jq program does not compile");
	}
	jv_free(msgs);
	jq_teardown(&x->jq);
}
