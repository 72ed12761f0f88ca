/*
 * parquet.c - athena-ddl's compaction statements: Athena itself copies
 * the JSON table into a partitioned Parquet table, once a CREATE TABLE
 * AS ... WITH NO DATA that makes the empty table, then one INSERT INTO
 * per day.  Nothing here writes Parquet.
 *
 * What the statements rely on, from the Athena User Guide:
 * - create-table-as.html: CREATE TABLE name WITH (format, write_compression,
 *   external_location, partitioned_by = ARRAY[...]) AS query WITH NO DATA;
 *   external_location must be empty; the partition columns come last in
 *   the SELECT list.
 * - insert-into.html: INSERT INTO dest [(columns)] SELECT ...; at most
 *   100 partitions per statement; each INSERT writes new files, never
 *   replacing any (so a day inserted twice is there twice).
 * - ctas-insert-into.html, ctas-insert-into-etl.html: a CTAS and then
 *   INSERT INTOs, each within the 100-partition limit.  One day is one
 *   partition, so one statement a day never reaches it, and a day can be
 *   done again by itself.
 * - ctas-examples.html, compression-support-hive.html: Parquet with
 *   write_compression = 'SNAPPY', which CTAS and INSERT INTO write.
 * - reserved-words.html: DDL quotes names in backticks, but these are
 *   queries (DML), where a name is quoted in double quotes.
 *
 * Each statement is one line, so that `while read -r sql` can hand them
 * to `aws athena start-query-execution` one at a time (it runs one
 * statement a call): every name and literal in them is checked or
 * escaped so that it cannot hold a newline or end its quotes.
 */
#include <stdio.h>
#include <string.h>

#include "ddl.h"

/* A name as a query reads it: in double quotes, a double quote doubled. */
static void
sql_name(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++)
		fputs(s[i] == '"' ? "\"\"" : (char[]){ s[i], '\0' }, stdout);
	putchar('"');
}

/* DATABASE.TABLE: each name quoted on its own, as ddl_print does. */
static void
sql_table(const char *name)
{
	const char *dot;

	while ((dot = strchr(name, '.')) != NULL) {
		sql_name(name, (size_t)(dot - name));
		putchar('.');
		name = dot + 1;
	}
	sql_name(name, strlen(name));
}

/* A string literal: in single quotes, a single quote doubled. */
static void
sql_string(const char *s)
{
	putchar('\'');
	for (; *s != '\0'; s++)
		fputs(*s == '\'' ? "''" : (char[]){ *s, '\0' }, stdout);
	putchar('\'');
}

/*
 * The columns, partition column last, as the CTAS makes them, the
 * INSERT names them and both SELECT them: one list, written once.
 */
static void
sql_columns(const struct ddl_table *t, const struct type *root)
{
	char col[256];
	size_t i;

	for (i = 0; i < root->nfields; i++) {
		ddl_column_name(root->fields[i].name, col, sizeof(col));
		sql_name(col, strlen(col));
		fputs(", ", stdout);
	}
	sql_name(t->partition, strlen(t->partition));
}

void
parquet_print(const struct ddl_table *t, const struct ddl_parquet *p,
    const struct type *root)
{
	char value[256];
	size_t i;
	long day;

	if (p->location != NULL) {
		fputs("CREATE TABLE ", stdout);
		sql_table(p->name);
		fputs(" WITH (format = 'PARQUET', write_compression = 'SNAPPY', "
		    "external_location = ", stdout);
		sql_string(p->location);
		fputs(", partitioned_by = ARRAY[", stdout);
		sql_string(t->partition);
		fputs("]) AS SELECT ", stdout);
		sql_columns(t, root);
		fputs(" FROM ", stdout);
		sql_table(t->name);
		fputs(" WITH NO DATA;\n", stdout);
	}
	/*
	 * The target columns are named, so that a table made from records
	 * whose fields came in another order gets each column by its name,
	 * not by its place.
	 */
	for (i = 0; i < p->ndays; i++)
		for (day = p->days[i].from; day <= p->days[i].to; day++) {
			/* main() tried the widest day: cannot fail */
			if (day_format(day, t->format, value,
			    sizeof(value)) == -1)
				continue;
			fputs("INSERT INTO ", stdout);
			sql_table(p->name);
			fputs(" (", stdout);
			sql_columns(t, root);
			fputs(") SELECT ", stdout);
			sql_columns(t, root);
			fputs(" FROM ", stdout);
			sql_table(t->name);
			fputs(" WHERE ", stdout);
			sql_name(t->partition, strlen(t->partition));
			fputs(" = ", stdout);
			sql_string(value);
			fputs(";\n", stdout);
		}
}
