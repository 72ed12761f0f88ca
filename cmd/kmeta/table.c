/*
 * table.c - kmeta's readable output: columns aligned, for a terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "kmeta.h"

void
table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

int
table_row(struct table *t, const char *const *cells)
{
	char **grown;
	size_t i, base;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		if ((grown = realloc(t->cells, t->cap * t->ncols *
		    sizeof(*grown))) == NULL)
			return -1;
		t->cells = grown;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++)
		if ((t->cells[base + i] = strdup(cells[i] != NULL ? cells[i] :
		    "-")) == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -1;
		}
	t->nrows++;
	return 0;
}

void
table_write(const struct table *t, struct obuf *o)
{
	size_t *w, r, c, len;

	if (t->nrows == 0 || (w = calloc(t->ncols, sizeof(*w))) == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if ((len = strlen(t->cells[r * t->ncols + c])) > w[c])
				w[c] = len;
	for (r = 0; r < t->nrows; r++) {
		char **row = &t->cells[r * t->ncols];
		size_t last = t->ncols;

		/* No spaces at the end of a line: stop at its last cell. */
		while (last > 1 && row[last - 1][0] == '\0')
			last--;
		for (c = 0; c < last; c++) {
			obuf_puts(o, row[c]);
			if (c + 1 == last)
				break;
			/* two spaces between columns */
			for (len = strlen(row[c]); len < w[c] + 2; len++)
				obuf_putc(o, ' ');
		}
		obuf_putc(o, '\n');
	}
	free(w);
}

void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
