/*
 * stdfd.h - standard descriptors that are there, before anything opens one.
 *
 * A tool started with a standard descriptor closed (`tool >&-`) must not
 * let a library (libcurl's socketpair, librdkafka's pipes, a file) take
 * that number: its data would go there.  So each main() calls
 * stdfd_open() first.
 */
#ifndef QP_STDFD_H
#define QP_STDFD_H

/*
 * Open each of descriptors 0, 1 and 2 that is closed on /dev/null, in the
 * direction that keeps it closed in effect: stdin write-only, stdout and
 * stderr read-only.  A read of stdin or a write of stdout then fails with
 * EBADF, as on the closed descriptor, and the tool's own error path says
 * so and exits with its I/O status, as cat does.  Returns 0, or -1 with
 * errno if /dev/null cannot be opened (then nothing is left half done).
 */
int	stdfd_open(void);

#endif
