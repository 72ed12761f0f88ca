/*
 * ddl.h - athena-ddl's parts: the column types inferred from the records
 * (types.c), the statement printed from them (ddl.c), the days of
 * --day (day.c) and the statements that compact them into a Parquet
 * table (parquet.c).
 */
#ifndef DDL_H
#define DDL_H

#include <stddef.h>

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

/* What the options say of the table; each checked to be quotable. */
struct ddl_table {
	const char	*name;		/* --table: NAME or DATABASE.NAME */
	const char	*location;	/* --location, ending in '/' */
	const char	*partition;	/* --partition: the column */
	const char	*since;		/* --since: the first partition */
	const char	*format;	/* --format: the partition's dates */
};

/* Days counted from 1970-01-01 (proleptic Gregorian), both ends in. */
struct day_range {
	long		 from, to;
};

/* What the compaction options say; each checked to be quotable. */
struct ddl_parquet {
	const char	*name;		/* --parquet-table: DATABASE.NAME */
	const char	*location;	/* --parquet-location, ending in '/';
					 * NULL: no CREATE TABLE AS */
	struct day_range *days;		/* --day: sorted, no day twice */
	size_t		 ndays;
};

/* A new type of kind k; out of memory exits EX_OSERR.  type_free frees. */
struct type	*type_new(enum kind k);
void		 type_free(struct type *);

/*
 * Merge the record on line (validated JSON) into root's fields.  Returns
 * 0, or -1 if it is not an object (nothing merged).
 */
int		 type_merge_line(struct type *root, const char *line,
		    size_t len);

/*
 * The column a JSON key makes: lower case, [a-z0-9_], cut to fit out.
 * Nothing but those characters ever reaches a statement as a column.
 */
void		 ddl_column_name(const char *key, char *out, size_t outlen);

/*
 * Can root's fields be the table's columns?  0, or EX_DATAERR (said)
 * when two fields make one column or a field makes the partition
 * column.  Checked before anything is printed.
 */
int		 ddl_check(const struct ddl_table *, const struct type *root);

/* Print the CREATE EXTERNAL TABLE for root's fields (checked) on stdout. */
void		 ddl_print(const struct ddl_table *, const struct type *root);

/*
 * A --day argument, YYYY-MM-DD or FROM..TO, into *r.  0, or -1 with
 * *why saying what was expected (a static string).
 */
int		 day_parse(const char *arg, struct day_range *r,
		    const char **why);

/*
 * Sort n ranges by their first day.  0, or -1 when two of them share a
 * day, the first such in *twice.
 */
int		 day_sort(struct day_range *, size_t n, long *twice);

/* day as YYYY-MM-DD into out[11]. */
void		 day_iso(long day, char out[11]);

/*
 * day written as the partition projection writes it: format is a Java
 * DateTimeFormatter pattern of y, M and d fields and literal text.  0,
 * or -1 when format has any other field or out is too small.
 */
int		 day_format(long day, const char *format, char *out,
		    size_t outlen);

/*
 * Print the compaction statements on stdout, one a line: the CREATE
 * TABLE AS that makes the Parquet table (if p->location), then an INSERT
 * INTO for each day of p->days.  root's fields are checked (ddl_check)
 * and t->format writes each day (day_format).
 */
void		 parquet_print(const struct ddl_table *t,
		    const struct ddl_parquet *p, const struct type *root);

#endif
