/*
 * athena-ddl - the Glue crawler's job in a pipe: JSON lines in, the
 * CREATE EXTERNAL TABLE that lets Athena query them out.
 *
 * Column types are inferred from every record (types met for one field
 * are merged: bigint and double make double, anything with string makes
 * string); the table reads JSON lines with the OpenX JSON SerDe and is
 * partitioned by one string column whose values Athena computes itself
 * (partition projection and storage.location.template), so no crawler
 * and no MSCK REPAIR TABLE is ever needed.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "json.h"
#include "jsonl.h"
#include "log.h"
#include "stdfd.h"
#include "version.h"

enum kind {
	T_NONE, T_BOOL, T_BIGINT, T_DOUBLE, T_DATE, T_TIMESTAMP, T_STRING,
	T_ARRAY, T_STRUCT
};

struct field;

struct type {
	enum kind	 kind;
	struct type	*elem;		/* T_ARRAY */
	struct field	*fields;	/* T_STRUCT, in first-seen order */
	size_t		 nfields;
};

struct field {
	char		*name;		/* the JSON key, decoded */
	struct type	*type;
};

static struct type *
type_new(enum kind k)
{
	struct type *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		log_err("out of memory");
		exit(EX_OSERR);
	}
	t->kind = k;
	return t;
}

static void
type_free(struct type *t)
{
	size_t i;

	if (t == NULL)
		return;
	type_free(t->elem);
	for (i = 0; i < t->nfields; i++) {
		free(t->fields[i].name);
		type_free(t->fields[i].type);
	}
	free(t->fields);
	free(t);
}

/* Make t a string, whatever it was (a conflict). */
static void
to_string(struct type *t)
{
	size_t i;

	type_free(t->elem);
	for (i = 0; i < t->nfields; i++) {
		free(t->fields[i].name);
		type_free(t->fields[i].type);
	}
	free(t->fields);
	memset(t, 0, sizeof(*t));
	t->kind = T_STRING;
}

static const char *p_end;	/* end of the line being read */

static const char *
ws(const char *p)
{
	while (p < p_end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	return p;
}

/* The end of the string literal at p (validated text). */
static const char *
str_end(const char *p)
{
	for (p++; p < p_end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p + 1;
}

static int
digits(const char *p, int n)
{
	while (n-- > 0)
		if (!isdigit((unsigned char)*p++))
			return 0;
	return 1;
}

/* What a string's text says it is: date, timestamp or string. */
static enum kind
string_kind(const char *s, size_t n)
{
	size_t i;

	if (n >= 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) &&
	    s[7] == '-' && digits(s + 8, 2)) {
		if (n == 10)
			return T_DATE;
		/* yyyy-MM-dd HH:mm:ss[.fff...]: what the SerDe reads */
		if (n >= 19 && s[10] == ' ' && digits(s + 11, 2) &&
		    s[13] == ':' && digits(s + 14, 2) && s[16] == ':' &&
		    digits(s + 17, 2)) {
			if (n == 19)
				return T_TIMESTAMP;
			if (s[19] == '.' && n > 20) {
				for (i = 20; i < n && isdigit((unsigned char)s[i]);
				    i++)
					;
				if (i == n)
					return T_TIMESTAMP;
			}
		}
	}
	return T_STRING;
}

static void	merge_value(struct type *t, const char **pp);

/* Move *pp past a value whose type no longer matters (a conflict). */
static void
pass_over(const char **pp)
{
	struct type skip = { T_NONE, NULL, NULL, 0 };

	merge_value(&skip, pp);
	to_string(&skip);	/* frees what was built */
}

/* Merge a scalar kind into t. */
static void
merge_kind(struct type *t, enum kind k)
{
	if (t->kind == T_NONE)
		t->kind = k;
	else if (t->kind == k)
		return;
	else if ((t->kind == T_BIGINT && k == T_DOUBLE) ||
	    (t->kind == T_DOUBLE && k == T_BIGINT))
		t->kind = T_DOUBLE;
	else
		to_string(t);
}

static struct type *
field_type(struct type *t, const char *name, size_t n)
{
	struct field *nf;
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strlen(t->fields[i].name) == n &&
		    memcmp(t->fields[i].name, name, n) == 0)
			return t->fields[i].type;
	if ((nf = realloc(t->fields, (t->nfields + 1) * sizeof(*nf))) ==
	    NULL || (nf[t->nfields].name = strndup(name, n)) == NULL) {
		log_err("out of memory");
		exit(EX_OSERR);
	}
	t->fields = nf;
	nf[t->nfields].type = type_new(T_NONE);
	return nf[t->nfields++].type;
}

/* Merge the value at *pp into t, moving *pp past it. */
static void
merge_value(struct type *t, const char **pp)
{
	const char *p = ws(*pp), *q;
	char key[1024];
	size_t n;
	int is_int;

	switch (*p) {
	case '{':
		if (t->kind == T_NONE)
			t->kind = T_STRUCT;
		p = ws(p + 1);
		while (p < p_end && *p == '"') {
			q = str_end(p);
			n = json_unescape(p, (size_t)(q - p) < sizeof(key) ?
			    (size_t)(q - p) : 2, key);
			p = ws(q) + 1;		/* ':' */
			if (t->kind == T_STRUCT)
				merge_value(field_type(t, key, n), &p);
			else
				pass_over(&p);
			p = ws(p);
			if (*p == ',')
				p = ws(p + 1);
		}
		p++;			/* '}' */
		if (t->kind != T_STRUCT)
			to_string(t);
		break;
	case '[':
		if (t->kind == T_NONE) {
			t->kind = T_ARRAY;
			t->elem = type_new(T_NONE);
		}
		p = ws(p + 1);
		while (p < p_end && *p != ']') {
			if (t->kind == T_ARRAY)
				merge_value(t->elem, &p);
			else
				pass_over(&p);
			p = ws(p);
			if (*p == ',')
				p = ws(p + 1);
		}
		p++;
		if (t->kind != T_ARRAY)
			to_string(t);
		break;
	case '"':
		q = str_end(p);
		merge_kind(t, memchr(p, '\\', (size_t)(q - p)) ? T_STRING :
		    string_kind(p + 1, (size_t)(q - p) - 2));
		p = q;
		break;
	case 't':
	case 'f':
		merge_kind(t, T_BOOL);
		p += *p == 't' ? 4 : 5;
		break;
	case 'n':
		p += 4;			/* null says nothing of the type */
		break;
	default:
		q = p;
		is_int = 1;
		while (p < p_end && strchr("+-0123456789.eE", *p) != NULL) {
			if (*p == '.' || *p == 'e' || *p == 'E')
				is_int = 0;
			p++;
		}
		/* bigint holds 18 digits safely; longer ones are doubles */
		merge_kind(t, is_int && p - q <= 18 ? T_BIGINT : T_DOUBLE);
		break;
	}
	*pp = p;
}

/* A column name Athena takes: lower case, [a-z0-9_]. */
static void
column_name(const char *key, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < outlen; i++)
		out[i] = isalnum((unsigned char)key[i]) ?
		    (char)tolower((unsigned char)key[i]) : '_';
	out[i] = '\0';
	if (i == 0)
		snprintf(out, outlen, "_");
}

static void
print_type(const struct type *t, FILE *fp)
{
	static const char *const names[] = {
		"string", "boolean", "bigint", "double", "date", "timestamp",
		"string"
	};
	char col[256];
	size_t i;

	if (t->kind == T_ARRAY) {
		fputs("array<", fp);
		print_type(t->elem, fp);
		fputs(">", fp);
	} else if (t->kind == T_STRUCT) {
		fputs("struct<", fp);
		for (i = 0; i < t->nfields; i++) {
			column_name(t->fields[i].name, col, sizeof(col));
			fprintf(fp, "%s%s:", i ? "," : "", col);
			print_type(t->fields[i].type, fp);
		}
		if (t->nfields == 0)
			fputs("_:string", fp);	/* Hive needs a field */
		fputs(">", fp);
	} else
		fputs(names[t->kind], fp);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: athena-ddl [-hqVv] [--format FORMAT] [--max-line SIZE] "
	    "[--partition NAME]\n"
	    "                  [--since YYYY-MM-DD] [--table NAME] "
	    "--location s3://BUCKET/PREFIX/\n"
	    "                  [FILE ...]\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
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
	    "      --table NAME       the table, or DATABASE.TABLE (quotes)\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "location", required_argument, NULL, 'l' },
		{ "max-line", required_argument, NULL, 'm' },
		{ "partition", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "since", required_argument, NULL, 's' },
		{ "table", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *table = "quotes", *location = NULL, *part = "dt";
	const char *since = "2020-01-01", *format = "yyyy-MM-dd", *line, *p;
	struct jsonl_reader r;
	enum jsonl_status st;
	struct type *root;
	char col[256], why[512], loc[2048];
	size_t max_line = JSONL_DEFAULT_MAX_LINE, len, i, j;
	unsigned long nrec = 0, nbad = 0;
	int ch, f, verbosity = LOG_NOTICE, mapped = 0, status = 0;

	if (stdfd_open() == -1)	/* closed, and no /dev/null */
		return EX_OSERR;
	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "hqVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'l':
			location = optarg;
			break;
		case 'm':
			if (jsonl_parse_size(optarg, &max_line) == -1) {
				log_err("--max-line %s: expected a size such "
				    "as 1048576 or 4M", optarg);
				return EX_USAGE;
			}
			break;
		case 'p':
			part = optarg;
			break;
		case 'q':
			verbosity = LOG_ERR;
			break;
		case 's':
			since = optarg;
			break;
		case 't':
			table = optarg;
			break;
		case 'V':
			printf("athena-ddl %s\n", QP_VERSION);
			return 0;
		case 'v':
			verbosity++;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	log_set_level(verbosity);
	if (location == NULL || strncmp(location, "s3://", 5) != 0 ||
	    strchr(location, '\'') != NULL || strchr(table, '`') != NULL ||
	    strspn(part, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(part) || *part == '\0' || strchr(since, '\'') != NULL ||
	    strchr(format, '\'') != NULL) {
		if (location == NULL || strncmp(location, "s3://", 5) != 0)
			log_err("--location s3://BUCKET/PREFIX/ is needed");
		else
			log_err("--location, --table, --partition, --since or "
			    "--format holds a character that cannot be quoted");
		usage(stderr);
		return EX_USAGE;
	}
	root = type_new(T_STRUCT);
	snprintf(loc, sizeof(loc), "%s%s", location,
	    location[strlen(location) - 1] == '/' ? "" : "/");

	for (f = optind; f < argc || (f == optind && optind == argc); f++) {
		const char *path = f < argc ? argv[f] : "-";

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
				nbad++;
				continue;
			}
			p_end = line + len;
			p = ws(line);
			if (*p != '{') {
				log_err("%s:%lu: not a JSON object", r.name,
				    r.lineno);
				nbad++;
				continue;
			}
			merge_value(root, &p);
			nrec++;
		}
		jsonl_close(&r);
	}
	if (nrec == 0) {
		if (status == 0)	/* else what went wrong is said */
			log_err("no records to infer columns from");
		type_free(root);
		return status ? status : EX_NOINPUT;
	}

	/* DATABASE.TABLE: each name quoted on its own. */
	printf("CREATE EXTERNAL TABLE IF NOT EXISTS `");
	for (p = table; *p != '\0'; p++)
		fputs(*p == '.' ? "`.`" : (char[]){ *p, '\0' }, stdout);
	printf("` (\n");
	for (i = 0; i < root->nfields; i++) {
		column_name(root->fields[i].name, col, sizeof(col));
		if (strcmp(col, part) == 0) {
			log_err("a field %s clashes with the partition column; "
			    "choose another --partition", root->fields[i].name);
			type_free(root);
			return EX_DATAERR;
		}
		for (j = 0; j < i; j++) {
			char other[256];
			column_name(root->fields[j].name, other,
			    sizeof(other));
			if (strcmp(col, other) == 0) {
				log_err("fields %s and %s are both column %s",
				    root->fields[j].name,
				    root->fields[i].name, col);
				type_free(root);
				return EX_DATAERR;
			}
		}
		mapped |= strcmp(col, root->fields[i].name) != 0;
		printf("  `%s` ", col);
		print_type(root->fields[i].type, stdout);
		printf("%s\n", i + 1 < root->nfields ? "," : "");
	}
	printf(")\nPARTITIONED BY (`%s` string)\n"
	    "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n", part);
	if (mapped) {
		/* Keys that are not valid column names are mapped. */
		printf("WITH SERDEPROPERTIES (\n");
		for (i = 0, j = 0; i < root->nfields; i++) {
			column_name(root->fields[i].name, col, sizeof(col));
			if (strcmp(col, root->fields[i].name) == 0)
				continue;
			printf("%s  'mapping.%s'='", j++ ? ",\n" : "", col);
			/* A Hive string literal: \ and ' are escaped. */
			for (p = root->fields[i].name; *p; p++)
				printf(*p == '\'' || *p == '\\' ? "\\%c" : "%c",
				    *p);
			printf("'");
		}
		printf("\n)\n");
	}
	printf("LOCATION '%s'\n"
	    "TBLPROPERTIES (\n"
	    "  'projection.enabled'='true',\n"
	    "  'projection.%s.type'='date',\n"
	    "  'projection.%s.format'='%s',\n"
	    "  'projection.%s.range'='%s,NOW',\n"
	    "  'projection.%s.interval'='1',\n"
	    "  'projection.%s.interval.unit'='DAYS',\n"
	    "  'storage.location.template'='%s%s=${%s}/'\n"
	    ");\n", loc, part, part, format, part, since, part, part, loc,
	    part, part);
	log_info("%lu records, %zu columns", nrec, root->nfields);
	type_free(root);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_err("stdout: %s", strerror(errno));
		return EX_IOERR;
	}
	if (status == 0 && nbad > 0)
		status = EX_DATAERR;
	return status;
}
