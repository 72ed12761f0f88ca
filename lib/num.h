/*
 * num.h - strict number parsing for option arguments, strtonum-style:
 * the whole string must be a decimal number within [lo, hi].
 */
#ifndef QP_NUM_H
#define QP_NUM_H

/* Returns 0 and sets *out, or -1 (junk, empty, out of range). */
int	num_parse(const char *s, long long lo, long long hi, long long *out);

#endif
