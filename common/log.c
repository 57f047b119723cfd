/* diagnostics to stderr or syslog, in the shape of OpenSMTPD's log.c */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "exits.h"
#include "log.h"

static int	 log_tostderr = 1;
static int	 log_verbose;
static const char *log_prog = "";

/* debug: 1 keeps messages on stderr; 0 sends them to syslog(3), LOG_DAEMON */
void
log_init(const char *prog, int debug)
{
	log_prog = prog;
	log_tostderr = debug;
	if (!debug)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	int	 saved = errno;

	if (log_tostderr) {
		fprintf(stderr, "%s: ", log_prog);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved;
}

/* the message, then ": " and strerror(errno) */
static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_tostderr)
		fprintf(stderr, "%s: %s: %s\n", log_prog, buf, strerror(saved));
	else
		syslog(pri, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(EX_RUNTIME);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(EX_RUNTIME);
}
