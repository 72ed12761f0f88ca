/*
 * stdfd.c - see stdfd.h.  Called before anything else, so it uses only
 * system calls and prints nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "stdfd.h"

int
stdfd_open(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free number: fd itself, 0 and 1 being open. */
		nfd = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (nfd == -1)
			return -1;
		if (nfd != fd) {
			if (dup2(nfd, fd) == -1) {
				close(nfd);
				return -1;
			}
			close(nfd);
		}
	}
	return 0;
}
