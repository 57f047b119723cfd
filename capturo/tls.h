/* a TLS ClientHello read across segments, for its server name (SNI) */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

enum { TLS_MORE, TLS_DONE, TLS_NOT };

/*
 * One client-to-server stream.  Fixed size, no malloc: the handshake
 * message in buf, and where the record layer is.  Only tls.c reads the
 * fields.
 */
struct tls_hello {
	uint8_t		 buf[TLS_HELLO_MAX];	/* the handshake message */
	size_t		 have;		/* bytes of it in buf */
	size_t		 need;		/* its length, header included; 0
					   until the 4-byte header is in */
	uint8_t		 rec[5];	/* a record header being gathered */
	size_t		 rechave;	/* bytes of it */
	size_t		 recleft;	/* this record's body still to come */
	int		 state;		/* TLS_MORE, then the answer */
	const char	*why;		/* TLS_NOT: why; DONE: why no name */
	size_t		 nameoff;	/* TLS_DONE: the host_name in buf */
	size_t		 namelen;	/* 0: none */
};

void	tls_init(struct tls_hello *);

/*
 * Feed the client's bytes in stream order, cut anywhere (records split
 * over segments, a handshake message split over records, several
 * records in one segment).
 *
 * TLS_MORE: give more; *why is NULL.
 * TLS_DONE: the ClientHello is whole and parsed.  sni (snilen bytes,
 *   at least TLS_SNI_MAX + 1) holds the first host_name of the
 *   server_name extension (RFC 6066 3) as sent: not lower-cased, bytes
 *   as they are (control bytes too: the event writer escapes them),
 *   NUL-terminated.  *why is NULL then.  With no name sni is "" and
 *   *why says why (no server_name extension, a name longer than
 *   TLS_SNI_MAX or holding a NUL byte, server_name past TLS_EXT_MAX
 *   extensions, ...).
 * TLS_NOT: not a TLS ClientHello (the first record not a handshake,
 *   record version major not 3, an SSLv2 hello, the first handshake
 *   message not a ClientHello, lengths that do not add up, a message
 *   longer than TLS_HELLO_MAX); sni is "" and *why says why.  Stop
 *   feeding.
 *
 * After TLS_DONE or TLS_NOT a feed reads nothing and gives the same
 * answer (and name) again.  Bytes past the ClientHello are not read.
 * sni may be NULL (snilen 0) and why may be NULL.  No I/O, no
 * allocation, no state outside *t.
 */
int	tls_feed(struct tls_hello *, const uint8_t *, size_t, char *sni,
	    size_t snilen, const char **why);

#endif /* TLS_H */
