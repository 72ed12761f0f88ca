/*
 * ddl.c - athena-ddl's statement: CREATE EXTERNAL TABLE for the inferred
 * columns, read by the OpenX JSON SerDe, partitioned by one string
 * column that partition projection computes (no crawler, no MSCK).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ddl.h"
#include "log.h"

void
ddl_column_name(const char *key, char *out, size_t outlen)
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
			ddl_column_name(t->fields[i].name, col, sizeof(col));
			fprintf(fp, "%s%s:", i ? "," : "", col);
			print_type(t->fields[i].type, fp);
		}
		if (t->nfields == 0)
			fputs("_:string", fp);	/* Hive needs a field */
		fputs(">", fp);
	} else
		fputs(names[t->kind], fp);
}

/* Does a field make the partition column, or the column of another? */
static int
ddl_clash(const struct ddl_table *t, const struct type *root, size_t i,
    const char *col)
{
	char other[256];
	size_t j;

	if (strcmp(col, t->partition) == 0) {
		log_err("a field %s clashes with the partition column; "
		    "choose another --partition", root->fields[i].name);
		return 1;
	}
	for (j = 0; j < i; j++) {
		ddl_column_name(root->fields[j].name, other, sizeof(other));
		if (strcmp(col, other) == 0) {
			log_err("fields %s and %s are both column %s",
			    root->fields[j].name, root->fields[i].name, col);
			return 1;
		}
	}
	return 0;
}

int
ddl_check(const struct ddl_table *t, const struct type *root)
{
	char col[256];
	size_t i;

	for (i = 0; i < root->nfields; i++) {
		ddl_column_name(root->fields[i].name, col, sizeof(col));
		if (ddl_clash(t, root, i, col))
			return EX_DATAERR;
	}
	return 0;
}

/* Keys that are not valid column names are mapped by the SerDe. */
static void
ddl_mapping(const struct type *root)
{
	char col[256];
	const char *p;
	size_t i, j;

	printf("WITH SERDEPROPERTIES (\n");
	for (i = 0, j = 0; i < root->nfields; i++) {
		ddl_column_name(root->fields[i].name, col, sizeof(col));
		if (strcmp(col, root->fields[i].name) == 0)
			continue;
		printf("%s  'mapping.%s'='", j++ ? ",\n" : "", col);
		/* A Hive string literal: \ and ' are escaped. */
		for (p = root->fields[i].name; *p; p++)
			printf(*p == '\'' || *p == '\\' ? "\\%c" : "%c", *p);
		printf("'");
	}
	printf("\n)\n");
}

void
ddl_print(const struct ddl_table *t, const struct type *root)
{
	const char *part = t->partition, *loc = t->location, *p;
	char col[256];
	size_t i;
	int mapped = 0;

	/* DATABASE.TABLE: each name quoted on its own. */
	printf("CREATE EXTERNAL TABLE IF NOT EXISTS `");
	for (p = t->name; *p != '\0'; p++)
		fputs(*p == '.' ? "`.`" : (char[]){ *p, '\0' }, stdout);
	printf("` (\n");
	for (i = 0; i < root->nfields; i++) {
		ddl_column_name(root->fields[i].name, col, sizeof(col));
		mapped |= strcmp(col, root->fields[i].name) != 0;
		printf("  `%s` ", col);
		print_type(root->fields[i].type, stdout);
		printf("%s\n", i + 1 < root->nfields ? "," : "");
	}
	printf(")\nPARTITIONED BY (`%s` string)\n"
	    "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n", part);
	if (mapped)
		ddl_mapping(root);
	printf("LOCATION '%s'\n"
	    "TBLPROPERTIES (\n"
	    "  'projection.enabled'='true',\n"
	    "  'projection.%s.type'='date',\n"
	    "  'projection.%s.format'='%s',\n"
	    "  'projection.%s.range'='%s,NOW',\n"
	    "  'projection.%s.interval'='1',\n"
	    "  'projection.%s.interval.unit'='DAYS',\n"
	    "  'storage.location.template'='%s%s=${%s}/'\n"
	    ");\n", loc, part, part, t->format, part, t->since, part, part,
	    loc, part, part);
}
