/* the self-pipe of both programs (wake.h) */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wake.h"

static int	 wfd[2] = { -1, -1 };

int
wake_init(void)
{
	if (wfd[0] != -1)
		return 0;
	if (pipe2(wfd, O_NONBLOCK | O_CLOEXEC) == -1) {
		wfd[0] = wfd[1] = -1;
		return -1;
	}
	return 0;
}

void
wake_signal(void)
{
	ssize_t	 r;
	int	 e = errno;

	if (wfd[1] != -1) {
		r = write(wfd[1], "", 1);	/* full: it wakes already */
		(void)r;
	}
	errno = e;
}

int
wake_fd(void)
{
	return wfd[0];
}

void
wake_drain(void)
{
	char	 b[64];

	while (wfd[0] != -1 && read(wfd[0], b, sizeof(b)) > 0)
		continue;
}
