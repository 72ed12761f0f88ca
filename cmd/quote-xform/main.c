/*
 * quote-xform - a jq program over every JSON line, with libjq 1.6.
 *
 * Called as jq is: the first operand is the program, the others are the
 * inputs, and -r, -j, -s, -n, -S, --arg and --argjson mean what they
 * mean to jq.  Each input line is checked by the strict scanner, parsed
 * in the same pass and run through the program (xform.c); every output
 * value is printed compact on its own line, as by jq -c.  With no
 * program at all, or --clean, the original project's cleaning runs (see
 * default_program below, printed by --print-default).  A runtime error
 * in one record is reported with its line and the --on-error policy
 * applies; the other records are unaffected.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <jv.h>

#include "cli.h"
#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "sig.h"
#include "xform.h"

enum {
	OPT_ARG = CLI_LONG, OPT_ARGJSON, OPT_CLEAN, OPT_MAX_LINE,
	OPT_ON_ERROR, OPT_PRINT_DEFAULT
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

/* man/quote-xform.1's SYNOPSIS, word for word (tests/cli/man.sh). */
static const char xform_usage[] =
    "usage: quote-xform [-chjnqrSsVv] [--arg NAME VALUE]... "
    "[--argjson NAME JSON]...\n"
    "                   [--max-line SIZE] [--on-error POLICY] "
    "[PROGRAM [FILE ...]]\n"
    "       quote-xform [-chjnqrSsVv] [--arg NAME VALUE]... "
    "[--argjson NAME JSON]...\n"
    "                   [--max-line SIZE] [--on-error POLICY]\n"
    "                   {-e PROGRAM | -f FILE | --clean} [FILE ...]\n"
    "       quote-xform --print-default\n";

static const char xform_help[] =
    "Run a jq program over every JSON line of the FILEs (or stdin), as\n"
    "jq -c does: the first operand is the program.  With no program at\n"
    "all (or --clean), the original project's cleaning of CNN quotes.\n\n"
    "  -c, --compact-output   accepted: the output is always compact\n"
    "  -e, --program PROGRAM  the jq program; every operand is a FILE\n"
    "  -f, --from-file FILE   the jq program in FILE; every operand is a "
    "FILE\n"
    "  -h, --help             show this help and exit\n"
    "  -j, --join-output      as -r, and no newline after each value\n"
    "  -n, --null-input       run the program once, on null; input and\n"
    "                         inputs read the FILEs\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -r, --raw-output       a string output is written as its text\n"
    "  -S, --sort-keys        the keys of every object sorted\n"
    "  -s, --slurp            run the program once, on an array of every\n"
    "                         input\n"
    "  -V, --version          print the version and exit\n"
    "  -v, --verbose          more messages on stderr\n"
    "      --arg NAME VALUE   $NAME is the string VALUE\n"
    "      --argjson NAME JSON  $NAME is the JSON value JSON\n"
    "      --clean            the cleaning; every operand is a FILE\n"
    "      --max-line SIZE    longest accepted line (default 1M)\n"
    "      --on-error POLICY  bad lines and runtime errors: count\n"
    "                         (default), fail or skip\n"
    "      --print-default    print the cleaning program and exit\n";

/* The program as the command line gives it. */
struct program {
	const char	*text;		/* -e, the first operand, or NULL */
	const char	*file;		/* -f, or NULL */
	const char	*operand;	/* text came from the first operand */
	int		 clean;		/* --clean */
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
	return cli_stdout_done();
}

/* The command line, as quote-xform(1) has it: CLI_GO_ON or the status. */
static int
xform_options(struct xform *x, struct cli *cli, struct program *p,
    int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "arg", required_argument, NULL, OPT_ARG },
		{ "argjson", required_argument, NULL, OPT_ARGJSON },
		{ "clean", no_argument, NULL, OPT_CLEAN },
		{ "compact-output", no_argument, NULL, 'c' },
		{ "from-file", required_argument, NULL, 'f' },
		{ "join-output", no_argument, NULL, 'j' },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "null-input", no_argument, NULL, 'n' },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "print-default", no_argument, NULL, OPT_PRINT_DEFAULT },
		{ "program", required_argument, NULL, 'e' },
		{ "raw-output", no_argument, NULL, 'r' },
		{ "slurp", no_argument, NULL, 's' },
		{ "sort-keys", no_argument, NULL, 'S' },
		CLI_LONGOPTS
	};
	int ch, st;

	/*
	 * getopt_long permutes, as jq's own parser allows: options may
	 * follow the program and the files (`quote-xform .a -r f`).
	 */
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "ce:f:jnrSs",
	    longopts, NULL)) != -1) {
		st = CLI_GO_ON;
		switch (ch) {
		case 'c':
			break;		/* jq's -c: what we always do */
		case 'e':
			p->text = optarg;
			break;
		case 'f':
			p->file = optarg;
			break;
		case 'j':
			x->flags |= XFORM_JOIN | XFORM_RAW;
			break;
		case 'n':
			x->flags |= XFORM_NULL;
			break;
		case 'r':
			x->flags |= XFORM_RAW;
			break;
		case 'S':
			x->flags |= XFORM_SORT;
			break;
		case 's':
			x->flags |= XFORM_SLURP;
			break;
		case OPT_ARG:
		case OPT_ARGJSON:
			st = arg_option(&p->args, ch, optarg, argc, argv);
			break;
		case OPT_CLEAN:
			p->clean = 1;
			break;
		case OPT_MAX_LINE:
			st = cli_size("--max-line", optarg, &x->max_line) ?
			    EX_USAGE : CLI_GO_ON;
			break;
		case OPT_ON_ERROR:
			st = cli_on_error(optarg, &x->on_error) ? EX_USAGE :
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
	if ((p->text != NULL) + (p->file != NULL) + p->clean > 1) {
		log_err("%s: give one program", p->clean ? (p->text != NULL ?
		    "--clean and -e" : "--clean and -f") : "-e and -f");
		return EX_USAGE;
	}
	/* As jq: with no -e, -f or --clean the first operand is the program. */
	if (p->text == NULL && p->file == NULL && !p->clean &&
	    optind < argc)
		p->text = p->operand = argv[optind++];	/* "" is ., as in jq */
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

/*
 * The program did not compile.  When it came from the first operand and
 * names a file, the user surely meant the old `quote-xform FILE`: say
 * that in one line instead of jq's syntax errors about a path.
 */
static void
compile_failed(struct xform *x, const struct program *p)
{
	struct stat sb;
	char hint[1024];

	if (p->operand != NULL && stat(p->operand, &sb) == 0 &&
	    !S_ISDIR(sb.st_mode)) {
		snprintf(hint, sizeof(hint), "'%s' is not a jq program but "
		    "a file: the first operand is the program, as in jq; to "
		    "clean a file: quote-xform --clean FILE", p->operand);
		xform_compile_failed(x, hint);
	} else
		xform_compile_failed(x, NULL);
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
	x.max_line = JSONL_DEFAULT_MAX_LINE;
	p.args = jv_object();
	if ((st = xform_options(&x, &cli, &p, argc, argv)) != CLI_GO_ON ||
	    (st = program_text(&p)) != CLI_GO_ON) {
		jv_free(p.args);
		free(p.buf);
		return st;
	}
	st = xform_compile(&x, p.text, p.args);	/* consumes p.args */
	if (st == EX_USAGE)
		compile_failed(&x, &p);
	free(p.buf);
	if (st != 0)
		return st;
	sig_install();
	return xform_run(&x, argc - optind, argv + optind);
}
