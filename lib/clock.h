/*
 * clock.h - milliseconds, for deadlines and intervals (monotonic) and
 * for times shared with others (since the epoch).
 */
#ifndef QP_CLOCK_H
#define QP_CLOCK_H

long long	clock_mono_ms(void);
long long	clock_epoch_ms(void);

#endif
