/*
 * types.c - athena-ddl's column types, inferred from the records: each
 * field's type is merged over every record it is met in (bigint and
 * double make double, a conflict makes string).  Lines come validated
 * by the reader, so the walk here can trust their syntax.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ddl.h"
#include "json.h"
#include "log.h"

struct type *
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

void
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

int
type_merge_line(struct type *root, const char *line, size_t len)
{
	const char *p;

	p_end = line + len;
	p = ws(line);
	if (*p != '{')
		return -1;
	merge_value(root, &p);
	return 0;
}
