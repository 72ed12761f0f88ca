/*
 * ddl.h - athena-ddl's parts: the column types inferred from the records
 * (types.c) and the statement printed from them (ddl.c).
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
 * Print the CREATE EXTERNAL TABLE for root's fields on stdout.  Returns
 * 0, or EX_DATAERR (said) when two fields make one column or a field
 * is named as the partition column: what was printed is then unusable.
 */
int		 ddl_print(const struct ddl_table *, const struct type *root);

#endif
