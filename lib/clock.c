#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "num.h"

static long long
ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
clock_mono_ms(void)
{
	return ms(CLOCK_MONOTONIC);
}

long long
clock_epoch_ms(void)
{
	return ms(CLOCK_REALTIME);
}

int
clock_deadline(long long *epoch_ms, char *why, size_t whylen)
{
	const char *s = getenv("QP_DEADLINE_MS");

	*epoch_ms = 0;
	if (s == NULL || *s == '\0')
		return 0;
	/* From 2001 on, in milliseconds: seconds by mistake are refused. */
	if (num_parse(s, 1000000000000LL, 32503680000000LL, epoch_ms) == 0)
		return 0;
	snprintf(why, whylen, "QP_DEADLINE_MS=%s: expected a time in "
	    "milliseconds since the epoch", s);
	return -1;
}

long long
clock_left_ms(long long deadline, long long cap)
{
	long long left;

	if (deadline == 0)
		return cap;
	left = deadline - clock_epoch_ms();
	return left < 0 ? 0 : left < cap ? left : cap;
}
