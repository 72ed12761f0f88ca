/*
 * clock.h - milliseconds, for deadlines and intervals (monotonic) and
 * for times shared with others (since the epoch).
 */
#ifndef QP_CLOCK_H
#define QP_CLOCK_H

#include <stddef.h>

long long	clock_mono_ms(void);
long long	clock_epoch_ms(void);

/*
 * The run's deadline, from $QP_DEADLINE_MS: a time in milliseconds since
 * the epoch by which a tool must have finished, stopped and said why.
 * lambda-bootstrap sets it from the invocation's deadline, so that every
 * stage of a handler gives up in time for its own message to be seen.
 * Returns 0 with *epoch_ms set (0 when it is unset or empty), or -1 with
 * the problem in why when it is set to anything but such a number.
 */
int		clock_deadline(long long *epoch_ms, char *why, size_t whylen);

/*
 * Milliseconds left until deadline (epoch ms, 0 for none), never below
 * 0 and never above cap.
 */
long long	clock_left_ms(long long deadline, long long cap);

#endif
