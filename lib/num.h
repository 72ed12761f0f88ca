/*
 * num.h - strict number parsing for option arguments, strtonum-style:
 * the whole string must be a decimal number within [lo, hi].
 */
#ifndef QP_NUM_H
#define QP_NUM_H

/* Returns 0 and sets *out, or -1 (junk, empty, out of range). */
int	num_parse(const char *s, long long lo, long long hi, long long *out);

/*
 * Parse seconds such as "30", "0.5" or "2.25" into milliseconds (digits
 * past the third decimal are dropped); the result must lie within
 * [lo_ms, hi_ms].  Returns 0, or -1 for junk or out of range.
 */
int	num_parse_seconds(const char *s, long long lo_ms, long long hi_ms,
	    long long *ms);

/* A hex digit's value (0 to 15), or -1 for any other character. */
int	num_hexval(char c);

#endif
