/* diagnostics: stderr in the foreground (-d or a terminal), syslog otherwise */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/*
 * Errors, one convention for both programs:
 *
 * - A function that can fail returns -1 (or NULL) with errno set, and
 *   says nothing.  Its caller knows what was being done and says it
 *   once, naming what to fix: with log_warn(), which appends
 *   strerror(errno), once running; on standard error before an EX_*
 *   exit (exits.h) while the options and files are being set up.
 * - Where errno cannot say what is wrong (a bad line of a file, a field
 *   of an event line, an option the backend refuses), the function
 *   writes the whole message into the caller's buffer, passed as
 *   (char *err, size_t errlen), or a parser of hostile bytes sets a
 *   constant reason through (const char **why).  The caller prints it
 *   once and adds only where it was.
 * - errno values are not given other meanings for a caller to decode
 *   (no EMLINK for "a symbolic link"): such a case is a message, as
 *   above.  tail_why() still decodes EINVAL as "not a regular file";
 *   it is to become a message in the caller's buffer too.
 * - A function that logs a failure itself has dealt with it (it goes
 *   on, retries or skips) and returns success or a count; it does not
 *   also return -1 for its caller to report the same failure again.
 *   A firewall backend, which re-reads its table and retries before it
 *   gives up, logs the libraries' detail; its -1 then tells the caller
 *   only that the hosts are not blocked, which the caller says.
 */

void	log_init(const char *, int);
void	log_setverbose(int);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* LOG_H */
