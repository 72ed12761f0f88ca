/*
 * quote-xform - a jq program over every JSON line, with libjq 1.6.
 *
 * Each input line is checked by the strict scanner, parsed by libjq and
 * run through the program (xform.c); every output value is printed
 * compact on its own line.  With no program, the original project's
 * cleaning runs (see default_program below, printed by --print-default).
 * A runtime error in one record is reported with its line and the
 * --on-error policy applies; the other records are unaffected.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jv.h>

#include "cli.h"
#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "obuf.h"
#include "sig.h"
#include "xform.h"

enum {
	OPT_ARG = CLI_LONG, OPT_ARGJSON, OPT_MAX_LINE, OPT_ON_ERROR,
	OPT_PRINT_DEFAULT
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

static const char xform_usage[] =
    "usage: quote-xform [-hqVv] [-e PROGRAM | -f FILE] "
    "[--arg NAME VALUE]...\n"
    "                   [--argjson NAME JSON]... [--max-line SIZE] "
    "[--on-error POLICY]\n"
    "                   [--print-default] [FILE ...]\n";

static const char xform_help[] =
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
    "      --print-default    print the default program and exit\n";

/* The program as the options give it. */
struct program {
	const char	*text;		/* -e, or NULL */
	const char	*file;		/* -f, or NULL */
	char		*buf;		/* -f's text; caller frees */
	jv		 args;		/* --arg, --argjson: an object */
};

/* --arg NAME VALUE, --argjson NAME JSON: the value is the next word. */
static int
arg_option(jv *args, int ch, const char *name, int argc, char **argv)
{
	const char *value;
	jv v;

	if (optind >= argc) {
		log_err("--%s %s: missing its value",
		    ch == OPT_ARG ? "arg" : "argjson", name);
		return EX_USAGE;
	}
	value = argv[optind++];
	if (ch == OPT_ARG)
		v = jv_string(value);
	else {
		if (json_validate(value, strlen(value), NULL) == -1) {
			log_err("--argjson %s: not valid JSON: %s", name,
			    value);
			return EX_USAGE;
		}
		v = jv_parse(value);
	}
	*args = jv_object_set(*args, jv_string(name), v);
	return CLI_GO_ON;
}

/* --print-default: the status to exit with. */
static int
print_default(void)
{
	fputs(default_program, stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
}

/* The command line, as quote-xform(1) has it: CLI_GO_ON or the status. */
static int
xform_options(struct xform *x, struct cli *cli, struct program *p,
    int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "arg", required_argument, NULL, OPT_ARG },
		{ "argjson", required_argument, NULL, OPT_ARGJSON },
		{ "from-file", required_argument, NULL, 'f' },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "print-default", no_argument, NULL, OPT_PRINT_DEFAULT },
		{ "program", required_argument, NULL, 'e' },
		CLI_LONGOPTS
	};
	int ch, st;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "e:f:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			p->text = optarg;
			st = CLI_GO_ON;
			break;
		case 'f':
			p->file = optarg;
			st = CLI_GO_ON;
			break;
		case OPT_ARG:
		case OPT_ARGJSON:
			st = arg_option(&p->args, ch, optarg, argc, argv);
			break;
		case OPT_MAX_LINE:
			st = cli_size("--max-line", optarg, &x->in.max_line) ?
			    EX_USAGE : CLI_GO_ON;
			break;
		case OPT_ON_ERROR:
			st = cli_on_error(optarg, &x->in.on_error) ? EX_USAGE :
			    CLI_GO_ON;
			break;
		case OPT_PRINT_DEFAULT:
			return print_default();
		default:
			st = cli_common(cli, ch);
		}
		if (st != CLI_GO_ON)
			return st;
	}
	if (p->text != NULL && p->file != NULL) {
		log_err("-e and -f: give one program");
		return EX_USAGE;
	}
	return CLI_GO_ON;
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

/* -f FILE read, or the default: CLI_GO_ON or the exit status. */
static int
program_text(struct program *p)
{
	if (p->file != NULL) {
		if ((p->buf = read_program(p->file)) == NULL) {
			log_err("%s: %s", p->file, strerror(errno));
			return EX_NOINPUT;
		}
		p->text = p->buf;
	}
	if (p->text == NULL)
		p->text = default_program;
	return CLI_GO_ON;
}

/* Every input, then the summary: the exit status. */
static int
xform_run(struct xform *x, int nfiles, char **files)
{
	int i, status = 0, bad;

	obuf_open(&x->out, STDOUT_FILENO, 256 * 1024);
	if (nfiles == 0)
		(void)xform_input(x, "-");
	for (i = 0; i < nfiles; i++)
		if (xform_input(x, files[i]) == -1)
			break;
	if (obuf_close(&x->out) != 0) {
		log_err("stdout: %s", strerror(x->out.err));
		status = EX_IOERR;
	}
	jq_teardown(&x->jq);
	xform_stats(x, 1);
	bad = cli_bad_lines(x->in.nbad, x->in.on_error);
	log_info("%lu lines read, %lu values written", x->in.nread, x->nout);
	if (x->halted && status == 0)
		return x->halt_status;
	if (status == 0 && x->in.err)
		status = x->in.err;
	if (status == 0)
		status = bad;
	return status;
}

int
main(int argc, char **argv)
{
	struct cli cli = {
		.usage = xform_usage, .help = xform_help, .libs = "libjq 1.6"
	};
	struct program p = { .text = NULL };
	struct xform x;
	int st;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	memset(&x, 0, sizeof(x));
	x.in.max_line = JSONL_DEFAULT_MAX_LINE;
	p.args = jv_object();
	if ((st = xform_options(&x, &cli, &p, argc, argv)) != CLI_GO_ON ||
	    (st = program_text(&p)) != CLI_GO_ON) {
		jv_free(p.args);
		return st;
	}
	st = xform_compile(&x, p.text, p.args);	/* consumes p.args */
	free(p.buf);
	if (st != 0)
		return st;
	sig_install();
	return xform_run(&x, argc - optind, argv + optind);
}
