/*
 * quote-xform - a jq program over every JSON line, with libjq 1.6.
 *
 * Each input line is checked by the strict scanner, parsed by libjq and
 * run through the program; every output value is printed compact on its
 * own line.  With no program, the original project's cleaning runs (see
 * default_program below, printed by --print-default).  A runtime error
 * in one record is reported with its line and the --on-error policy
 * applies; the other records are unaffected.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jq.h>
#include <jv.h>

#include "json.h"
#include "jsonl.h"
#include "jvjson.h"
#include "log.h"
#include "stdfd.h"
#include "obuf.h"
#include "sig.h"
#include "stats.h"
#include "version.h"

enum {
	OPT_ARG = 256, OPT_ARGJSON, OPT_MAX_LINE, OPT_ON_ERROR, OPT_PRINT_DEFAULT
};

/*
 * The original pandas cleaning: drop six fields, flatten country into
 * three fields at the end, and write last_updated as "YYYY-MM-DD
 * HH:MM:SS" (UTC offset and fractional seconds dropped).  Remaining
 * fields keep their order.
 */
static const char default_program[] =
#include "clean_jq.h"	/* cmd/quote-xform/clean.jq, made a C string */
    ;

struct xform {
	jq_state		*jq;
	struct obuf		 out;
	enum jsonl_policy	 on_error;
	size_t			 max_line;
	unsigned long		 nread, nout, nbad;
	int			 halted, halt_status;
	int			 input_err;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: quote-xform [-hqVv] [-e PROGRAM | -f FILE] "
	    "[--arg NAME VALUE]...\n"
	    "                   [--argjson NAME JSON]... [--max-line SIZE] "
	    "[--on-error POLICY]\n"
	    "                   [--print-default] [FILE ...]\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "Run a jq program over every JSON line of the FILEs (or stdin);\n"
	    "with none, the original project's cleaning of CNN quotes.\n\n"
	    "  -e, --program PROGRAM  the jq program\n"
	    "  -f, --from-file FILE   read the jq program from FILE\n"
	    "  -h, --help             show this help and exit\n"
	    "  -q, --quiet            only errors on stderr\n"
	    "  -V, --version          print the version and exit\n"
	    "  -v, --verbose          more messages on stderr\n"
	    "      --arg NAME VALUE   $NAME is the string VALUE\n"
	    "      --argjson NAME JSON  $NAME is the JSON value JSON\n"
	    "      --max-line SIZE    longest accepted line (default 1M)\n"
	    "      --on-error POLICY  bad lines and runtime errors: count\n"
	    "                         (default), fail or skip\n"
	    "      --print-default    print the default program and exit\n");
}

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

/* Returns 0 to go on with the next input, -1 to stop reading. */
static int
xform_input(struct xform *x, const char *path)
{
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	char why[512];
	size_t len;
	int rc = 0, bad;

	if (jsonl_open_path(&r, path, x->max_line) == -1) {
		log_err("%s: %s", path, strerror(errno));
		x->input_err = errno == ENOMEM ? EX_OSERR : EX_NOINPUT;
		return errno == ENOMEM ? -1 : 0;
	}
	r.wait = xform_wait;
	r.wait_arg = x;
	r.validate = 1;
	while ((st = jsonl_next(&r, &line, &len)) != JSONL_EOF) {
		if (st == JSONL_INTERRUPTED) {
			rc = -1;
			break;
		}
		if (st == JSONL_ERROR) {
			log_err("%s: %s", r.name, strerror(errno));
			x->input_err = EX_IOERR;
			break;
		}
		x->nread++;
		bad = 0;
		if (st != JSONL_LINE) {
			jsonl_describe(&r, st, why, sizeof(why));
			log_err("%s", why);
			bad = 1;
		} else if (len > INT_MAX ||
		    run_one(x, r.name, r.lineno, line, len) == -1)
			bad = 1;
		if (stats_due())
			xform_stats(x, 0);
		if (x->halted || obuf_error(&x->out)) {
			rc = -1;
			break;
		}
		if (bad) {
			x->nbad++;
			if (x->on_error == JSONL_ON_ERROR_FAIL) {
				rc = -1;
				break;
			}
		}
	}
	jsonl_close(&r);
	return rc;
}

static char *
read_program(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (nb == NULL) {
				free(buf);
				fclose(fp);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "arg", required_argument, NULL, OPT_ARG },
		{ "argjson", required_argument, NULL, OPT_ARGJSON },
		{ "from-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "print-default", no_argument, NULL, OPT_PRINT_DEFAULT },
		{ "program", required_argument, NULL, 'e' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct xform x;
	const char *program = NULL, *progfile = NULL, *name, *value;
	char *progbuf = NULL;
	jv args = jv_object(), v;
	int ch, i, verbosity = LOG_NOTICE, status = 0;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	stats_init(argv[0]);
	memset(&x, 0, sizeof(x));
	x.max_line = JSONL_DEFAULT_MAX_LINE;
	while ((ch = getopt_long(argc, argv, "e:f:hqVv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'e':
			program = optarg;
			break;
		case 'f':
			progfile = optarg;
			break;
		case 'h':
			help();
			jv_free(args);
			return 0;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 'V':
			printf("quote-xform %s (libjq 1.6)\n", QP_VERSION);
			jv_free(args);
			return 0;
		case 'v':
			verbosity++;
			break;
		case OPT_ARG:
		case OPT_ARGJSON:
			if (optind >= argc) {
				log_err("--%s %s: missing its value",
				    ch == OPT_ARG ? "arg" : "argjson", optarg);
				jv_free(args);
				return EX_USAGE;
			}
			name = optarg;
			value = argv[optind++];
			if (ch == OPT_ARG)
				v = jv_string(value);
			else {
				if (json_validate(value, strlen(value), NULL)
				    == -1) {
					log_err("--argjson %s: not valid JSON: %s",
					    name, value);
					jv_free(args);
					return EX_USAGE;
				}
				v = jv_parse(value);
			}
			args = jv_object_set(args, jv_string(name), v);
			break;
		case OPT_MAX_LINE:
			if (jsonl_parse_size(optarg, &x.max_line) == -1) {
				log_err("--max-line %s: expected a size such "
				    "as 1048576 or 4M", optarg);
				jv_free(args);
				return EX_USAGE;
			}
			break;
		case OPT_ON_ERROR:
			if (jsonl_policy_parse(optarg, &x.on_error) == -1) {
				log_err("--on-error %s: expected count, fail "
				    "or skip", optarg);
				jv_free(args);
				return EX_USAGE;
			}
			break;
		case OPT_PRINT_DEFAULT:
			fputs(default_program, stdout);
			jv_free(args);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 :
			    EX_IOERR;
		default:
			usage(stderr);
			jv_free(args);
			return EX_USAGE;
		}
	}
	log_set_level(verbosity);
	if (program != NULL && progfile != NULL) {
		log_err("-e and -f: give one program");
		jv_free(args);
		return EX_USAGE;
	}
	if (progfile != NULL) {
		if ((progbuf = read_program(progfile)) == NULL) {
			log_err("%s: %s", progfile, strerror(errno));
			jv_free(args);
			return EX_NOINPUT;
		}
		program = progbuf;
	}
	if (program == NULL)
		program = default_program;

	if ((x.jq = jq_init()) == NULL) {
		log_err("cannot start libjq");
		jv_free(args);
		free(progbuf);
		return EX_SOFTWARE;
	}
	jq_set_error_cb(x.jq, jq_msg, NULL);
	if (!jq_compile_args(x.jq, program, args)) {	/* consumes args */
		log_err("the jq program does not compile");
		jq_teardown(&x.jq);
		free(progbuf);
		return EX_USAGE;
	}
	free(progbuf);

	sig_install();
	obuf_open(&x.out, STDOUT_FILENO, 256 * 1024);
	if (optind == argc)
		(void)xform_input(&x, "-");
	for (i = optind; i < argc; i++)
		if (xform_input(&x, argv[i]) == -1)
			break;
	if (obuf_close(&x.out) != 0) {
		log_err("stdout: %s", strerror(x.out.err));
		status = EX_IOERR;
	}
	jq_teardown(&x.jq);
	xform_stats(&x, 1);
	if (x.nbad > 0)
		log_msg(x.on_error == JSONL_ON_ERROR_SKIP ? LOG_NOTICE : LOG_ERR,
		    "%lu bad record%s %s", x.nbad, x.nbad == 1 ? "" : "s",
		    x.on_error == JSONL_ON_ERROR_FAIL ? "(stopped at the first)" :
		    "skipped");
	log_info("%lu lines read, %lu values written", x.nread, x.nout);
	if (x.halted && status == 0)
		return x.halt_status;
	if (status == 0 && x.input_err)
		status = x.input_err;
	if (status == 0 && x.nbad > 0 && x.on_error != JSONL_ON_ERROR_SKIP)
		status = EX_DATAERR;
	return status;
}
