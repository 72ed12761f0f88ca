/*
 * athena-ddl - the Glue crawler's job in a pipe: JSON lines in, the
 * CREATE EXTERNAL TABLE that lets Athena query them out.
 *
 * Column types are inferred from every record (types.c: types met for
 * one field are merged: bigint and double make double, anything with
 * string makes string); the table reads JSON lines with the OpenX JSON
 * SerDe and is partitioned by one string column whose values Athena
 * computes itself (partition projection and storage.location.template),
 * so no crawler and no MSCK REPAIR TABLE is ever needed (ddl.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "ddl.h"
#include "jsonl.h"
#include "log.h"

enum {
	OPT_FORMAT = CLI_LONG, OPT_LOCATION, OPT_MAX_LINE, OPT_PARTITION,
	OPT_SINCE, OPT_TABLE
};

static const char ddl_usage[] =
    "usage: athena-ddl [-hqVv] [--format FORMAT] [--max-line SIZE] "
    "[--partition NAME]\n"
    "                  [--since YYYY-MM-DD] [--table NAME] "
    "--location s3://BUCKET/PREFIX/\n"
    "                  [FILE ...]\n";

static const char ddl_help[] =
    "Print the Athena CREATE EXTERNAL TABLE for the JSON lines of the "
    "FILEs\n(or stdin): columns and types inferred, partition "
    "projection, no crawler.\n\n"
    "  -h, --help             show this help and exit\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -V, --version          print the version and exit\n"
    "  -v, --verbose          more messages on stderr\n"
    "      --format FORMAT    the partition values' date format "
    "(yyyy-MM-dd)\n"
    "      --location URL     where the objects are: "
    "s3://BUCKET/PREFIX/\n"
    "      --max-line SIZE    longest accepted line (default 1M)\n"
    "      --partition NAME   the partition column (dt), as in "
    "PREFIX/dt=VALUE/\n"
    "      --since DATE       the first partition (2020-01-01)\n"
    "      --table NAME       the table, or DATABASE.TABLE (quotes)\n";

/* The command line, as athena-ddl(1) has it: CLI_GO_ON or the status. */
static int
ddl_options(struct ddl_table *t, size_t *max_line, struct cli *cli,
    int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "location", required_argument, NULL, OPT_LOCATION },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "partition", required_argument, NULL, OPT_PARTITION },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "table", required_argument, NULL, OPT_TABLE },
		CLI_LONGOPTS
	};
	int ch, st;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	    NULL)) != -1) {
		st = CLI_GO_ON;
		switch (ch) {
		case OPT_FORMAT:
			t->format = optarg;
			break;
		case OPT_LOCATION:
			t->location = optarg;
			break;
		case OPT_MAX_LINE:
			if (cli_size("--max-line", optarg, max_line) == -1)
				st = EX_USAGE;
			break;
		case OPT_PARTITION:
			t->partition = optarg;
			break;
		case OPT_SINCE:
			t->since = optarg;
			break;
		case OPT_TABLE:
			t->name = optarg;
			break;
		default:
			st = cli_common(cli, ch);
		}
		if (st != CLI_GO_ON)
			return st;
	}
	return CLI_GO_ON;
}

/* Can each name be put in the statement's quotes?  CLI_GO_ON or 64. */
static int
ddl_quotable(const struct ddl_table *t, const struct cli *cli)
{
	const char *part = t->partition;

	if (t->location == NULL || strncmp(t->location, "s3://", 5) != 0)
		return cli_usage(cli, "--location s3://BUCKET/PREFIX/ is "
		    "needed");
	if (strchr(t->location, '\'') != NULL ||
	    strchr(t->name, '`') != NULL ||
	    strspn(part, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(part) || *part == '\0' || strchr(t->since, '\'') != NULL ||
	    strchr(t->format, '\'') != NULL)
		return cli_usage(cli, "--location, --table, --partition, "
		    "--since or --format holds a character that cannot be "
		    "quoted");
	return CLI_GO_ON;
}

/*
 * Merge the records of each input into root; a bad line is said and
 * counted in *nbad.  Returns 0, or the status an input's failure makes.
 */
static int
ddl_read(struct type *root, size_t max_line, int nfiles, char **files,
    unsigned long *nrec, unsigned long *nbad)
{
	struct jsonl_reader r;
	enum jsonl_status st;
	const char *line;
	char why[512];
	size_t len;
	int f, status = 0;

	for (f = 0; f < nfiles || (f == 0 && nfiles == 0); f++) {
		const char *path = f < nfiles ? files[f] : "-";

		if (jsonl_open_path(&r, path, max_line) == -1) {
			log_err("%s: %s", path, strerror(errno));
			status = EX_NOINPUT;
			continue;
		}
		r.validate = 1;
		while ((st = jsonl_next(&r, &line, &len)) != JSONL_EOF) {
			if (st == JSONL_ERROR) {
				log_err("%s: %s", r.name, strerror(errno));
				status = EX_IOERR;
				break;
			}
			if (st != JSONL_LINE) {
				jsonl_describe(&r, st, why, sizeof(why));
				log_err("%s", why);
				(*nbad)++;
			} else if (type_merge_line(root, line, len) == -1) {
				log_err("%s:%lu: not a JSON object", r.name,
				    r.lineno);
				(*nbad)++;
			} else
				(*nrec)++;
		}
		jsonl_close(&r);
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct cli cli = { .usage = ddl_usage, .help = ddl_help };
	struct ddl_table t = {
		.name = "quotes", .partition = "dt", .since = "2020-01-01",
		.format = "yyyy-MM-dd"
	};
	size_t max_line = JSONL_DEFAULT_MAX_LINE;
	unsigned long nrec = 0, nbad = 0;
	struct type *root;
	char loc[2048];
	int st, status, bad;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	if ((st = ddl_options(&t, &max_line, &cli, argc, argv)) !=
	    CLI_GO_ON || (st = ddl_quotable(&t, &cli)) != CLI_GO_ON)
		return st;
	snprintf(loc, sizeof(loc), "%s%s", t.location,
	    t.location[strlen(t.location) - 1] == '/' ? "" : "/");
	t.location = loc;

	root = type_new(T_STRUCT);
	status = ddl_read(root, max_line, argc - optind, argv + optind,
	    &nrec, &nbad);
	bad = cli_bad_lines(nbad, JSONL_ON_ERROR_COUNT);
	if (nrec == 0) {
		if (status == 0)	/* else what went wrong is said */
			log_err("no records to infer columns from");
		type_free(root);
		return status ? status : EX_NOINPUT;
	}
	if ((st = ddl_print(&t, root)) != 0) {
		type_free(root);
		return st;
	}
	log_info("%lu records, %zu columns", nrec, root->nfields);
	type_free(root);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_err("stdout: %s", strerror(errno));
		return EX_IOERR;
	}
	return status ? status : bad;
}
