/*
 * sig.h - SIGINT/SIGTERM as a request to stop.
 *
 * The handler only records the signal.  sig_install() also blocks both
 * signals, in this thread and in every thread created after it (so
 * librdkafka's threads never take them); they are delivered only inside
 * sig_poll(), which unblocks them atomically while it waits.  A tool
 * that waits only through sig_poll() cannot miss a signal that arrives
 * just before it waits.  SIGPIPE is ignored: a closed stdout becomes
 * EPIPE, handled like any other write error, so a clean shutdown runs.
 */
#ifndef QP_SIG_H
#define QP_SIG_H

#include <poll.h>

void	sig_install(void);

/* The last stop signal received, 0 if none; how many were received. */
int	sig_caught(void);
int	sig_count(void);

/*
 * poll(2) with the stop signals deliverable.  timeout_ms < 0 waits
 * forever.  Returns as poll(2); -1 with errno EINTR when a signal came.
 */
int	sig_poll(struct pollfd *, nfds_t, int timeout_ms);

/* Sleep up to ms milliseconds, or less if a stop signal comes. */
void	sig_sleep(int ms);

#endif
