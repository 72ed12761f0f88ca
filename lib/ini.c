/*
 * ini.c - the AWS CLI's shared files, parsed in place: one copy of the
 * file, cut into strings where it lies, so that cleansing that copy
 * cleanses every secret read from it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ini.h"

/* A shared file is a few profiles: /dev/zero or a log is not one. */
#define INI_MAX		(1024 * 1024)

struct ini_entry {
	const char	*section;
	const char	*key;		/* lower case */
	const char	*sub;		/* a nested key, or NULL */
	char		*value;
	size_t		 lineno;
};

/* configparser's section whose keys every other section has too. */
#define INI_DEFAULT	"DEFAULT"

struct ini {
	char		*buf;		/* the file, cut into strings */
	size_t		 cap;
	const char	**sections;	/* in order; not DEFAULT */
	size_t		*section_lines;
	size_t		 nsections;
	struct ini_entry *ents;
	size_t		 nents, ents_cap;
};

void
ini_free(struct ini *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL)
		OPENSSL_cleanse(f->buf, f->cap);
	free(f->buf);
	free(f->sections);
	free(f->section_lines);
	free(f->ents);
	free(f);
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* s trimmed in place; returns its start. */
static char *
trim(char *s)
{
	char *e;

	while (is_space((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
add_entry(struct ini *f, const char *section, const char *key,
    const char *sub, char *value, size_t lineno)
{
	struct ini_entry *n;

	if (f->nents == f->ents_cap) {
		n = realloc(f->ents, (f->ents_cap ? 2 * f->ents_cap : 8) *
		    sizeof(*n));
		if (n == NULL)
			return -1;
		f->ents = n;
		f->ents_cap = f->ents_cap ? 2 * f->ents_cap : 8;
	}
	f->ents[f->nents++] = (struct ini_entry){ section, key, sub, value,
	    lineno };
	return 0;
}

/* The last entry of that name (botocore keeps the last nested one). */
static struct ini_entry *
find(const struct ini *f, const char *section, const char *key,
    const char *sub, size_t sublen)
{
	struct ini_entry *found = NULL;
	size_t i;

	for (i = 0; i < f->nents; i++) {
		const struct ini_entry *e = &f->ents[i];

		if (strcmp(e->section, section) != 0 ||
		    strcmp(e->key, key) != 0)
			continue;
		if (sub == NULL ? e->sub == NULL : e->sub != NULL &&
		    strlen(e->sub) == sublen && memcmp(e->sub, sub,
		    sublen) == 0)
			found = (struct ini_entry *)e;
	}
	return found;
}

static int section_known(const struct ini *, const char *);

/* In section, else (as configparser has it) in DEFAULT. */
static struct ini_entry *
find_or_default(const struct ini *f, const char *section, const char *key,
    const char *sub, size_t sublen)
{
	struct ini_entry *e = find(f, section, key, sub, sublen);

	if (e == NULL && strcmp(section, INI_DEFAULT) != 0 &&
	    section_known(f, section))
		e = find(f, INI_DEFAULT, key, sub, sublen);
	return e;
}

const char *
ini_get(const struct ini *f, const char *section, const char *key)
{
	const char *dot;
	char top[128];
	struct ini_entry *e;

	if (f == NULL || section == NULL)
		return NULL;
	if ((dot = strchr(key, '.')) == NULL) {
		e = find_or_default(f, section, key, NULL, 0);
		return e != NULL ? e->value : NULL;
	}
	if ((size_t)(dot - key) >= sizeof(top))
		return NULL;
	memcpy(top, key, (size_t)(dot - key));
	top[dot - key] = '\0';
	e = find_or_default(f, section, top, dot + 1, strlen(dot + 1));
	return e != NULL ? e->value : NULL;
}

const char *
ini_section(const struct ini *f, size_t i)
{
	return f != NULL && i < f->nsections ? f->sections[i] : NULL;
}

static int
section_known(const struct ini *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nsections; i++)
		if (strcmp(f->sections[i], name) == 0)
			return 1;
	return 0;
}

/*
 * The nested keys of a value made only of continuation lines: each
 * "k = v" (botocore splits at the first '=', and so must every line).
 * -1 if a line is not one.
 */
static int
nest(struct ini *f, const char *section, const char *key, char *value,
    size_t lineno)
{
	char *line, *next, *eq;

	for (line = value; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0')
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			return -1;
		*eq = '\0';
		if (add_entry(f, section, key, trim(line), trim(eq + 1),
		    lineno) == -1)
			return -1;
	}
	return 0;
}

static int
cmp_section(const void *a, const void *b, void *arg)
{
	const struct ini *f = arg;

	return strcmp(f->sections[*(const size_t *)a],
	    f->sections[*(const size_t *)b]);
}

static int
cmp_entry(const void *a, const void *b, void *arg)
{
	const struct ini *f = arg;
	const struct ini_entry *x = &f->ents[*(const size_t *)a];
	const struct ini_entry *y = &f->ents[*(const size_t *)b];
	int c = strcmp(x->section, y->section);

	return c != 0 ? c : strcmp(x->key, y->key);
}

/*
 * A section or (outside nesting) a key given twice, as configparser's
 * strict mode refuses them: sorted, so that a large file is not read in
 * quadratic time.  The later line is named.
 */
static int
duplicates(struct ini *f, const char *name, char *why, size_t whylen)
{
	size_t *ix, i, n = 0, at;
	int rc = 0;

	if ((ix = malloc((f->nsections + f->nents + 1) * sizeof(*ix))) ==
	    NULL) {
		snprintf(why, whylen, "%s: out of memory", name);
		return -1;
	}
	for (i = 0; i < f->nsections; i++)
		ix[i] = i;
	qsort_r(ix, f->nsections, sizeof(*ix), cmp_section, f);
	for (i = 1; i < f->nsections && rc == 0; i++)
		if (strcmp(f->sections[ix[i]], f->sections[ix[i - 1]]) == 0) {
			at = f->section_lines[ix[i]] > f->section_lines[ix[i - 1]]
			    ? f->section_lines[ix[i]] : f->section_lines[ix[i - 1]];
			snprintf(why, whylen, "%s:%zu: section [%.80s] given "
			    "twice", name, at, f->sections[ix[i]]);
			rc = -1;
		}
	for (i = 0; i < f->nents && rc == 0; i++)
		if (f->ents[i].sub == NULL)
			ix[n++] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_entry, f);
	for (i = 1; i < n && rc == 0; i++)
		if (cmp_entry(&ix[i], &ix[i - 1], f) == 0) {
			const struct ini_entry *a = &f->ents[ix[i]];
			const struct ini_entry *b = &f->ents[ix[i - 1]];

			snprintf(why, whylen, "%s:%zu: '%.60s' given twice in "
			    "[%.80s]", name, a->lineno > b->lineno ? a->lineno :
			    b->lineno, a->key, a->section);
			rc = -1;
		}
	free(ix);
	return rc;
}

/* The line's indent: its leading blanks. */
static size_t
indent_of(const char *line)
{
	size_t n = 0;

	while (line[n] == ' ' || line[n] == '\t')
		n++;
	return n;
}

#define FAIL(...) do { snprintf(why, whylen, __VA_ARGS__); goto fail; } \
	while (0)

int
ini_parse(const char *name, const char *data, size_t len, struct ini **out,
    char *why, size_t whylen)
{
	struct ini *f;
	struct ini_entry *cur = NULL;	/* the key a line may continue */
	const char *section = NULL;
	char *p, *nl, *line, *s, *delim, *end_of_value = NULL;
	size_t lineno = 0, indent, cur_indent = 0, i;
	const void **ns;
	size_t *ln;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->buf = malloc(len + 1)) == NULL) {
		free(f);
		snprintf(why, whylen, "%s: out of memory", name);
		return -1;
	}
	f->cap = len + 1;
	memcpy(f->buf, data, len);
	f->buf[len] = '\0';
	if (memchr(f->buf, '\0', len) != NULL)
		FAIL("%s: a NUL byte: not a text file", name);
	for (p = f->buf; p < f->buf + len; p = nl + 1) {
		lineno++;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = f->buf + len;
		*nl = '\0';
		line = p;
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;	/* a value may go on after these */
		indent = indent_of(line);
		if (cur != NULL && indent > cur_indent) {
			/*
			 * A continuation: joined to the value with a
			 * newline, moved down to follow it (the copy only
			 * ever moves towards the front).
			 */
			size_t n = strlen(s);

			*end_of_value++ = '\n';
			memmove(end_of_value, s, n);
			end_of_value += n;
			*end_of_value = '\0';
			continue;
		}
		cur = NULL;
		if (*s == '[') {
			char *close = strrchr(s, ']');

			if (close == NULL || close == s + 1)
				FAIL("%s:%zu: a section header without its "
				    "']'", name, lineno);
			*close = '\0';
			section = s + 1;
			if (strcmp(section, INI_DEFAULT) == 0)
				continue;	/* not a section of its own */
			if ((f->nsections & (f->nsections - 1)) == 0) {
				size_t n = f->nsections ? 2 * f->nsections : 1;

				ns = realloc(f->sections, n *
				    sizeof(*f->sections));
				if (ns == NULL)
					FAIL("%s: out of memory", name);
				f->sections = (const char **)ns;
				ln = realloc(f->section_lines, n * sizeof(*ln));
				if (ln == NULL)
					FAIL("%s: out of memory", name);
				f->section_lines = ln;
			}
			f->section_lines[f->nsections] = lineno;
			f->sections[f->nsections++] = section;
			continue;
		}
		if (section == NULL)
			FAIL("%s:%zu: a setting before any [section]", name,
			    lineno);
		delim = s + strcspn(s, "=:");
		if (*delim == '\0' || delim == s)
			FAIL("%s:%zu: expected key = value", name, lineno);
		*delim = '\0';
		s = trim(s);
		for (i = 0; s[i] != '\0'; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
		if (add_entry(f, section, s, NULL, trim(delim + 1),
		    lineno) == -1)
			FAIL("%s: out of memory", name);
		cur = &f->ents[f->nents - 1];
		cur_indent = indent;
		end_of_value = cur->value + strlen(cur->value);
	}
	/* Values that are only continuation lines are nested sections. */
	for (i = 0, len = f->nents; i < len; i++) {
		struct ini_entry *e = &f->ents[i];

		if (e->sub == NULL && e->value[0] == '\n') {
			char *v = e->value;
			const char *sect = e->section, *key = e->key;
			size_t at = e->lineno;

			e->value = v + strlen(v);	/* "" */
			if (nest(f, sect, key, v + 1, at) == -1)
				FAIL("%s: [%.80s] %.60s: a nested setting "
				    "that is not k = v", name, sect, key);
		}
	}
	if (duplicates(f, name, why, whylen) == -1)
		goto fail;
	*out = f;
	return 0;
fail:
	ini_free(f);
	return -1;
}

int
ini_load(const char *path, struct ini **out, char *why, size_t whylen)
{
	FILE *fp;
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(INI_MAX + 1)) == NULL) {
		fclose(fp);
		snprintf(why, whylen, "%s: out of memory", path);
		return -1;
	}
	n = fread(buf, 1, INI_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		rc = -1;
	} else if (n > INI_MAX) {
		snprintf(why, whylen, "%s: larger than %d KiB, not an AWS "
		    "config or credentials file", path, INI_MAX / 1024);
		rc = -1;
	} else
		rc = ini_parse(path, buf, n, out, why, whylen);
	fclose(fp);
	OPENSSL_cleanse(buf, n < INI_MAX + 1 ? n : INI_MAX + 1);
	free(buf);
	return rc;
}
