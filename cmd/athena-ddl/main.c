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
 *
 * On request it also prints the statements with which Athena itself
 * compacts those days into a partitioned Parquet table: a CREATE TABLE
 * AS for --parquet-location, an INSERT INTO for each --day (parquet.c).
 * Each option asks for the statements it alone is needed for, so the
 * run made once (the tables) and the run made every day (its INSERT)
 * print only what each should execute.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli.h"
#include "ddl.h"
#include "jsonl.h"
#include "log.h"

enum {
	OPT_COMPACTION_ONLY = CLI_LONG, OPT_DAY, OPT_FORMAT, OPT_LOCATION,
	OPT_MAX_LINE, OPT_PARQUET_LOCATION, OPT_PARQUET_TABLE, OPT_PARTITION,
	OPT_SINCE, OPT_TABLE
};

static const char ddl_usage[] =
    "usage: athena-ddl [-hqVv] [--compaction-only] "
    "[--day YYYY-MM-DD[..YYYY-MM-DD]]\n"
    "                  [--format FORMAT] [--max-line SIZE]\n"
    "                  [--parquet-location s3://BUCKET/PREFIX/] "
    "[--parquet-table NAME]\n"
    "                  [--partition NAME] [--since YYYY-MM-DD]\n"
    "                  [--table NAME] --location s3://BUCKET/PREFIX/ "
    "[FILE ...]\n";

static const char ddl_help[] =
    "Print the Athena CREATE EXTERNAL TABLE for the JSON lines of the "
    "FILEs\n(or stdin): columns and types inferred, partition "
    "projection, no crawler;\nand the statements with which Athena "
    "compacts its days into a Parquet table.\n\n"
    "  -h, --help             show this help and exit\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -V, --version          print the version and exit\n"
    "  -v, --verbose          more messages on stderr\n"
    "      --compaction-only  print only the Parquet table's statements\n"
    "      --day DAY          an INSERT INTO the Parquet table for DAY, "
    "or each day\n"
    "                         of FROM..TO (repeatable)\n"
    "      --format FORMAT    the partition values' date format "
    "(yyyy-MM-dd)\n"
    "      --location URL     where the objects are: "
    "s3://BUCKET/PREFIX/\n"
    "      --max-line SIZE    longest accepted line (default 1M)\n"
    "      --parquet-location URL  a CREATE TABLE AS for a Parquet table "
    "there\n"
    "      --parquet-table NAME    the Parquet table (the JSON table's "
    "NAME_parquet)\n"
    "      --partition NAME   the partition column (dt), as in "
    "PREFIX/dt=VALUE/\n"
    "      --since DATE       the first partition (2020-01-01)\n"
    "      --table NAME       the table, or DATABASE.TABLE (quotes)\n";

/* What the command line asks for; main() owns it. */
struct ddl_cmd {
	struct ddl_table t;
	struct ddl_parquet p;
	size_t		 max_line;
	int		 compaction_only;	/* --compaction-only */
	const char	*parquet_table;		/* --parquet-table as given */
	char		 loc[1200];		/* --location with its '/' */
	char		 parquet_loc[1200];	/* --parquet-location, too */
	char		 parquet_name[600];	/* p.name, made whole */
};

/* Add a --day: CLI_GO_ON, or the status (said). */
static int
ddl_day(struct ddl_parquet *p, const char *arg)
{
	struct day_range r, *nr;
	const char *why;

	if (day_parse(arg, &r, &why) == -1) {
		log_err("--day %s: %s", arg, why);
		return EX_USAGE;
	}
	if ((nr = reallocarray(p->days, p->ndays + 1, sizeof(*nr))) == NULL) {
		log_err("out of memory");
		return EX_OSERR;
	}
	p->days = nr;
	p->days[p->ndays++] = r;
	return CLI_GO_ON;
}

/* The command line, as athena-ddl(1) has it: CLI_GO_ON or the status. */
static int
ddl_options(struct ddl_cmd *c, struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "compaction-only", no_argument, NULL, OPT_COMPACTION_ONLY },
		{ "day", required_argument, NULL, OPT_DAY },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "location", required_argument, NULL, OPT_LOCATION },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "parquet-location", required_argument, NULL,
		    OPT_PARQUET_LOCATION },
		{ "parquet-table", required_argument, NULL, OPT_PARQUET_TABLE },
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
		case OPT_COMPACTION_ONLY:
			c->compaction_only = 1;
			break;
		case OPT_DAY:
			st = ddl_day(&c->p, optarg);
			break;
		case OPT_FORMAT:
			c->t.format = optarg;
			break;
		case OPT_LOCATION:
			c->t.location = optarg;
			break;
		case OPT_MAX_LINE:
			if (cli_size("--max-line", optarg, &c->max_line) == -1)
				st = EX_USAGE;
			break;
		case OPT_PARQUET_LOCATION:
			c->p.location = optarg;
			break;
		case OPT_PARQUET_TABLE:
			c->parquet_table = optarg;
			break;
		case OPT_PARTITION:
			c->t.partition = optarg;
			break;
		case OPT_SINCE:
			c->t.since = optarg;
			break;
		case OPT_TABLE:
			c->t.name = optarg;
			break;
		default:
			st = cli_common(cli, ch);
		}
		if (st != CLI_GO_ON)
			return st;
	}
	return CLI_GO_ON;
}

/* Does s hold a control character (a newline, say)? */
static int
ddl_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * A table name as the statements quote it: NAME or DATABASE.NAME, no
 * name empty, no backtick (the DDL's quote) or control character.
 */
static int
ddl_table_name(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '.' || ddl_has_control(s) ||
	    strchr(s, '`') != NULL)
		return 0;
	for (p = s; (p = strchr(p, '.')) != NULL; p++)
		if (p[1] == '.' || p[1] == '\0')
			return 0;
	return 1;
}

/*
 * An s3://BUCKET/PREFIX/ option into buf with its final '/', or
 * EX_USAGE (said, on one line: a value with a newline is not shown).
 */
static int
ddl_s3_url(const char *opt, const char *arg, char *buf, size_t len)
{
	size_t n = strlen(arg);

	if (ddl_has_control(arg)) {
		log_err("%s: a control character is in the location", opt);
		return EX_USAGE;
	}
	if (strncmp(arg, "s3://", 5) != 0 || arg[5] == '\0' ||
	    arg[5] == '/') {
		log_err("%s %s: expected s3://BUCKET/PREFIX/", opt, arg);
		return EX_USAGE;
	}
	if (n + 2 > len) {	/* S3 keys are 1024 bytes at most */
		log_err("%s %s: too long for an S3 location", opt, arg);
		return EX_USAGE;
	}
	snprintf(buf, len, "%s%s", arg, arg[n - 1] == '/' ? "" : "/");
	return CLI_GO_ON;
}

/* Can each name be put in the statement's quotes?  CLI_GO_ON or 64. */
static int
ddl_quotable(struct ddl_cmd *c, const struct cli *cli)
{
	struct ddl_table *t = &c->t;
	const char *part = t->partition;

	if (t->location == NULL)
		return cli_usage(cli, "--location s3://BUCKET/PREFIX/ is "
		    "needed");
	if (ddl_s3_url("--location", t->location, c->loc,
	    sizeof(c->loc)) != CLI_GO_ON)
		return EX_USAGE;
	t->location = c->loc;
	/* ' in the DDL's literals would need Hive's backslash escape. */
	if (strchr(t->location, '\'') != NULL || !ddl_table_name(t->name) ||
	    strspn(part, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(part) || *part == '\0' || strchr(t->since, '\'') != NULL ||
	    strchr(t->format, '\'') != NULL || ddl_has_control(t->since) ||
	    ddl_has_control(t->format))
		return cli_usage(cli, "--location, --table, --partition, "
		    "--since or --format holds a character that cannot be "
		    "quoted");
	return CLI_GO_ON;
}

/*
 * The compaction options, checked and made whole (the Parquet table's
 * name, the location's '/'): CLI_GO_ON, or EX_USAGE (said).
 */
static int
ddl_parquet_options(struct ddl_cmd *c)
{
	struct ddl_parquet *p = &c->p;
	const char *json = c->t.name, *dot = strrchr(json, '.');
	char sample[256];
	struct day_range widest;
	const char *why;
	size_t n;
	long twice;
	int len;

	if (p->location == NULL && p->ndays == 0) {
		if (c->compaction_only || c->parquet_table != NULL) {
			log_err("%s needs --parquet-location or --day",
			    c->compaction_only ? "--compaction-only" :
			    "--parquet-table");
			return EX_USAGE;
		}
		return CLI_GO_ON;
	}
	if (p->location != NULL) {
		if (ddl_s3_url("--parquet-location", p->location,
		    c->parquet_loc, sizeof(c->parquet_loc)) != CLI_GO_ON)
			return EX_USAGE;
		p->location = c->parquet_loc;
		/*
		 * One prefix inside the other would put one table's objects
		 * among the other's: the CTAS finds its location not empty,
		 * or the JSON table reads Parquet.
		 */
		n = strlen(p->location) < strlen(c->loc) ?
		    strlen(p->location) : strlen(c->loc);
		if (strncmp(p->location, c->loc, n) == 0) {
			log_err("--parquet-location %s: overlaps --location "
			    "%s; each table needs a prefix of its own",
			    p->location, c->loc);
			return EX_USAGE;
		}
	}
	/* NAME goes into the JSON table's database, as the default does. */
	if (c->parquet_table == NULL)
		len = snprintf(c->parquet_name, sizeof(c->parquet_name),
		    "%s_parquet", json);
	else if (!ddl_table_name(c->parquet_table)) {
		log_err("--parquet-table %s: expected NAME or DATABASE.NAME, "
		    "without ` or a control character", c->parquet_table);
		return EX_USAGE;
	} else if (strchr(c->parquet_table, '.') == NULL && dot != NULL)
		len = snprintf(c->parquet_name, sizeof(c->parquet_name),
		    "%.*s.%s", (int)(dot - json), json, c->parquet_table);
	else
		len = snprintf(c->parquet_name, sizeof(c->parquet_name), "%s",
		    c->parquet_table);
	if (len < 0 || (size_t)len >= sizeof(c->parquet_name)) {
		log_err("the Parquet table's name is too long");
		return EX_USAGE;
	}
	p->name = c->parquet_name;
	if (strcasecmp(p->name, json) == 0) {
		log_err("--parquet-table %s is the JSON table", p->name);
		return EX_USAGE;
	}
	if (p->ndays == 0)
		return CLI_GO_ON;
	/* The day that writes longest; if it fits, every day does. */
	if (day_parse("9999-12-31", &widest, &why) == -1 ||
	    day_format(widest.from, c->t.format, sample,
	    sizeof(sample)) == -1) {
		log_err("--format %s: --day writes only y, M and d fields "
		    "and text", c->t.format);
		return EX_USAGE;
	}
	/* Athena cannot overwrite: a day inserted twice is there twice. */
	if (day_sort(p->days, p->ndays, &twice) == -1) {
		day_iso(twice, sample);
		log_err("--day %s is given twice: its rows would be "
		    "inserted twice", sample);
		return EX_USAGE;
	}
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
	struct ddl_cmd c = {
		.t = {
			.name = "quotes", .partition = "dt",
			.since = "2020-01-01", .format = "yyyy-MM-dd"
		},
		.max_line = JSONL_DEFAULT_MAX_LINE
	};
	unsigned long nrec = 0, nbad = 0;
	struct type *root = NULL;
	int st, status, bad;

	if ((st = cli_start(&cli, argv)) != CLI_GO_ON)
		return st;
	if ((st = ddl_options(&c, &cli, argc, argv)) != CLI_GO_ON ||
	    (st = ddl_quotable(&c, &cli)) != CLI_GO_ON ||
	    (st = ddl_parquet_options(&c)) != CLI_GO_ON)
		goto done;

	root = type_new(T_STRUCT);
	status = ddl_read(root, c.max_line, argc - optind, argv + optind,
	    &nrec, &nbad);
	bad = cli_bad_lines(nbad, JSONL_ON_ERROR_COUNT);
	if (nrec == 0) {
		if (status == 0)	/* else what went wrong is said */
			log_err("no records to infer columns from");
		st = status ? status : EX_NOINPUT;
		goto done;
	}
	/* Checked first: a statement that cannot run is never printed. */
	if ((st = ddl_check(&c.t, root)) != 0)
		goto done;
	if (!c.compaction_only)
		ddl_print(&c.t, root);
	parquet_print(&c.t, &c.p, root);
	log_info("%lu records, %zu columns", nrec, root->nfields);
	if (fflush(stdout) != 0 || ferror(stdout))
		st = cli_stdout_error(errno);
	else
		st = status ? status : bad;
done:
	type_free(root);
	free(c.p.days);
	return st;
}
