/*
 * evtime.c - event times and durations as quote-window reads and writes
 * them (window.h).  ISO 8601 is read by hand: strptime(3) has no
 * fractions or zone offsets, and this runs once per record.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

#include "window.h"

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int
leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at *p: their value, *p moved past them; -1 if not digits. */
static long long
digits(const char **p, const char *end, int n)
{
	long long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (*p >= end || **p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static int
iso_parse(const char *s, size_t n, long long *us)
{
	static const unsigned mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	const char *p = s, *end = s + n;
	long long y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, zh, zm, off = 0;
	int fd = 0, sign;

	if ((y = digits(&p, end, 4)) < 0 || p >= end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 1 || mo > 12 || p >= end ||
	    *p++ != '-' || (d = digits(&p, end, 2)) < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if ((h = digits(&p, end, 2)) < 0 || h > 23 || p >= end ||
		    *p++ != ':' || (mi = digits(&p, end, 2)) < 0 || mi > 59)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if ((sec = digits(&p, end, 2)) < 0 || sec > 60)
				return -1;
			if (p < end && (*p == '.' || *p == ',')) {
				if (++p >= end || *p < '0' || *p > '9')
					return -1;
				for (; p < end && *p >= '0' && *p <= '9'; p++)
					if (fd < 6) {
						frac = frac * 10 + (*p - '0');
						fd++;
					}
				for (; fd < 6; fd++)
					frac *= 10;
			}
		}
		if (p < end && (*p == 'Z' || *p == 'z'))
			p++;
		else if (p < end && (*p == '+' || *p == '-')) {
			sign = *p++ == '+' ? 1 : -1;
			if ((zh = digits(&p, end, 2)) < 0 || zh > 23)
				return -1;
			zm = 0;
			if (p < end && *p == ':')
				p++;
			if (p < end && (zm = digits(&p, end, 2)) < 0)
				return -1;
			if (zm > 59)
				return -1;
			off = sign * (zh * 3600 + zm * 60);
		}
	}
	if (p != end)
		return -1;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - off) * 1000000) + frac;
	return 0;
}

int
evtime_parse(const char *val, size_t vlen, int is_string, long long *us)
{
	char buf[64], *e;
	double x;
	size_t n;

	if (vlen >= sizeof(buf))
		return -1;
	if (is_string) {
		n = json_unescape(val, vlen, buf);
		return iso_parse(buf, n, us);
	}
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
	x = strtod(buf, &e);
	if (*e != '\0' || !isfinite(x))
		return -1;
	if (fabs(x) > 1e11)
		x /= 1000;		/* milliseconds */
	if (fabs(x) > 1e11)
		return -1;
	*us = llround(x * 1e6);
	return 0;
}

void
evtime_format(long long us, char *buf, size_t len)
{
	long long s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	long long sub = us - s * 1000000;
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	if (sub % 1000 != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, sub);
	else if (sub != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, sub / 1000);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

int
duration_parse(const char *s, long long *us)
{
	static const struct {
		const char	*unit;
		double		 us;
	} units[] = {
		{ "", 1e6 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 },
		{ "h", 3600e6 }, { "d", 86400e6 }
	};
	char *e;
	double x;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	x = strtod(s, &e);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(e, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]) || !isfinite(x) ||
	    x * units[i].us > 1e17)
		return -1;
	*us = llround(x * units[i].us);
	return 0;
}
