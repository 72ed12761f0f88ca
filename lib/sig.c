#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "sig.h"

static volatile sig_atomic_t sig_last;
static volatile sig_atomic_t sig_n;
static sigset_t sig_orig;	/* the mask to wait with */

static void
sig_handler(int signo)
{
	sig_last = signo;
	sig_n++;
}

void
sig_install(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &sig_orig);
	sigdelset(&sig_orig, SIGINT);
	sigdelset(&sig_orig, SIGTERM);
}

int
sig_caught(void)
{
	return sig_last;
}

int
sig_count(void)
{
	return sig_n;
}

int
sig_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct timespec ts, *tp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	return ppoll(fds, n, tp, &sig_orig);
}

void
sig_sleep(int ms)
{
	(void)sig_poll(NULL, 0, ms);
}
