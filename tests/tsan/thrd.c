/*
 * thrd.c - C11 threads as POSIX threads, for the TSan build only.
 *
 * librdkafka starts its threads with C11's thrd_create(), which glibc
 * implements without going through pthread_create(), where TSan sets a
 * thread up: its first malloc() then crashes inside TSan.  Linked into
 * the tools of `make tsan`, these definitions take the place of glibc's
 * for librdkafka too, and its threads start (and are joined) where TSan
 * sees them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
	thrd_start_t	 fn;
	void		*arg;
};

static void *
trampoline(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	return (void *)(intptr_t)s.fn(s.arg);
}

int
thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
	struct start *s = malloc(sizeof(*s));
	int rc;

	if (s == NULL)
		return thrd_nomem;
	s->fn = fn;
	s->arg = arg;
	if ((rc = pthread_create((pthread_t *)thr, NULL, trampoline, s)) != 0) {
		free(s);
		return rc == ENOMEM || rc == EAGAIN ? thrd_nomem : thrd_error;
	}
	return thrd_success;
}

int
thrd_join(thrd_t thr, int *res)
{
	void *r;

	if (pthread_join((pthread_t)thr, &r) != 0)
		return thrd_error;
	if (res != NULL)
		*res = (int)(intptr_t)r;
	return thrd_success;
}

int
thrd_detach(thrd_t thr)
{
	return pthread_detach((pthread_t)thr) == 0 ? thrd_success : thrd_error;
}

/*
 * Its locks too: glibc's mtx_ and cnd_ functions lock without the
 * pthread entry points TSan watches, so it would not see librdkafka's
 * threads synchronise and would report its every hand-over.  glibc's
 * mtx_t and cnd_t hold a pthread_mutex_t and a pthread_cond_t.
 */
int
mtx_init(mtx_t *m, int type)
{
	pthread_mutexattr_t a;
	int rc;

	pthread_mutexattr_init(&a);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	rc = pthread_mutex_init((pthread_mutex_t *)m, &a);
	pthread_mutexattr_destroy(&a);
	return rc == 0 ? thrd_success : thrd_error;
}

int
mtx_lock(mtx_t *m)
{
	return pthread_mutex_lock((pthread_mutex_t *)m) == 0 ? thrd_success :
	    thrd_error;
}

int
mtx_trylock(mtx_t *m)
{
	int rc = pthread_mutex_trylock((pthread_mutex_t *)m);

	return rc == 0 ? thrd_success : rc == EBUSY ? thrd_busy : thrd_error;
}

int
mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
	int rc = pthread_mutex_timedlock((pthread_mutex_t *)m, ts);

	return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout :
	    thrd_error;
}

int
mtx_unlock(mtx_t *m)
{
	return pthread_mutex_unlock((pthread_mutex_t *)m) == 0 ?
	    thrd_success : thrd_error;
}

void
mtx_destroy(mtx_t *m)
{
	pthread_mutex_destroy((pthread_mutex_t *)m);
}

int
cnd_init(cnd_t *c)
{
	return pthread_cond_init((pthread_cond_t *)c, NULL) == 0 ?
	    thrd_success : thrd_error;
}

int
cnd_signal(cnd_t *c)
{
	return pthread_cond_signal((pthread_cond_t *)c) == 0 ? thrd_success :
	    thrd_error;
}

int
cnd_broadcast(cnd_t *c)
{
	return pthread_cond_broadcast((pthread_cond_t *)c) == 0 ?
	    thrd_success : thrd_error;
}

int
cnd_wait(cnd_t *c, mtx_t *m)
{
	return pthread_cond_wait((pthread_cond_t *)c,
	    (pthread_mutex_t *)m) == 0 ? thrd_success : thrd_error;
}

int
cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
    const struct timespec *restrict ts)
{
	int rc = pthread_cond_timedwait((pthread_cond_t *)c,
	    (pthread_mutex_t *)m, ts);

	return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout :
	    thrd_error;
}

void
cnd_destroy(cnd_t *c)
{
	pthread_cond_destroy((pthread_cond_t *)c);
}
