/* tap.h - a minimal TAP producer for the C unit tests. */
#ifndef QP_TAP_H
#define QP_TAP_H
#include <stdio.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...) do {						\
	tap_n++;							\
	if (!(cond)) {							\
		tap_failed++;						\
		printf("not ok %d - ", tap_n);				\
	} else								\
		printf("ok %d - ", tap_n);				\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

#define TAP_DONE() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)
#endif
