/*
 * day.c - athena-ddl's days (--day): read strictly as YYYY-MM-DD or
 * FROM..TO, kept as day numbers so that a range is counted and a day
 * given twice is seen, and written back as the partition projection
 * writes them (--format), which is what the JSON table's partition
 * column holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"

/* Days from 1970-01-01 to y-m-d (H. Hinnant's days_from_civil). */
static long
day_from_civil(long y, int m, int d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The date of a day number, the inverse of day_from_civil. */
static void
day_to_civil(long day, long *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	day += 719468;
	era = (day >= 0 ? day : day - 146096) / 146097;
	doe = day - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
day_digits(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * Exactly YYYY-MM-DD, n characters at s, a day the calendar has
 * (2023-02-29 is not): 0 and *day, or -1.
 */
static int
day_one(const char *s, size_t n, long *day)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, m, d, leap;

	if (n != 10 || s[4] != '-' || s[7] != '-' ||
	    day_digits(s, 4, &y) == -1 || day_digits(s + 5, 2, &m) == -1 ||
	    day_digits(s + 8, 2, &d) == -1 || m < 1 || m > 12 || d < 1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	*day = day_from_civil(y, m, d);
	return 0;
}

int
day_parse(const char *arg, struct day_range *r, const char **why)
{
	const char *dots = strstr(arg, "..");

	*why = "expected a day as YYYY-MM-DD, or FROM..TO";
	if (dots == NULL) {
		if (day_one(arg, strlen(arg), &r->from) == -1)
			return -1;
		r->to = r->from;
		return 0;
	}
	if (day_one(arg, (size_t)(dots - arg), &r->from) == -1 ||
	    day_one(dots + 2, strlen(dots + 2), &r->to) == -1)
		return -1;
	if (r->to < r->from) {
		*why = "the range ends before it starts";
		return -1;
	}
	return 0;
}

static int
day_cmp(const void *a, const void *b)
{
	const struct day_range *x = a, *y = b;

	return (x->from > y->from) - (x->from < y->from);
}

int
day_sort(struct day_range *r, size_t n, long *twice)
{
	size_t i;

	qsort(r, n, sizeof(*r), day_cmp);
	for (i = 1; i < n; i++)
		if (r[i].from <= r[i - 1].to) {
			*twice = r[i].from;
			return -1;
		}
	return 0;
}

void
day_iso(long day, char out[11])
{
	long y;
	int m, d;

	day_to_civil(day, &y, &m, &d);
	/* y is 0 to 9999, as day_parse read it; the bounds tell gcc so */
	snprintf(out, 11, "%04lu-%02u-%02u", (unsigned long)y % 10000,
	    (unsigned)m % 100, (unsigned)d % 100);
}

/*
 * The subset of Java's DateTimeFormatter that a daily projection needs:
 * y and u (year; two letters: the last two digits), M and d (one
 * letter: no padding, two: two digits).  Other letters are fields this
 * cannot write (MMM is a month's name) and [ ] { } # ' are the
 * pattern's own syntax, so they are refused, never guessed.
 */
int
day_format(long day, const char *format, char *out, size_t outlen)
{
	const char *p = format;
	size_t len = 0, run;
	long y, v;
	int m, d, n, width;
	char c;

	day_to_civil(day, &y, &m, &d);
	while (*p != '\0') {
		c = *p;
		for (run = 1; p[run] == c; run++)
			;
		if (c == 'y' || c == 'u') {
			v = run == 2 ? y % 100 : y;
			width = (int)run;
		} else if ((c == 'M' || c == 'd') && run <= 2) {
			v = c == 'M' ? m : d;
			width = (int)run;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    strchr("[]{}#'", c) != NULL)
			return -1;
		else {
			if (len + 1 >= outlen)
				return -1;
			out[len++] = c;
			p++;
			continue;
		}
		if (width > 9)
			return -1;
		n = snprintf(out + len, outlen - len, "%0*ld", width, v);
		if (n < 0 || (size_t)n >= outlen - len)
			return -1;
		len += (size_t)n;
		p += run;
	}
	if (len >= outlen)
		return -1;
	out[len] = '\0';
	return 0;
}
