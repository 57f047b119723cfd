/* DNS queries for MX records (RFC 1035), over UDP and over TCP */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/* RFC 1035 3.2.2 and 3.2.4: QTYPE MX, QCLASS IN */
#define DNS_MX		15
#define DNS_IN		1

/*
 * One DNS message as sent over UDP (the payload), or one message of a
 * TCP stream without its 2-byte length (RFC 1035 4.2.2).
 *
 * Returns 1 for a standard query (QR 0, OPCODE 0, RFC 1035 4.1.1)
 * whose first question (4.1.2) asks for QTYPE MX in QCLASS IN, and
 * writes its name to name.  Class IN only: MX records live in IN, and
 * CLASS ANY (255) or another class is answered 0.
 *
 * The name is written NUL-terminated, lower-cased, labels joined by
 * ".", without the trailing dot; the root is ".".  In a label the bytes
 * a-z, 0-9, "-" and "_" are written as they are (A-Z lower-cased), "."
 * and "\" as "\." and "\\", and every other byte as \DDD, its value in
 * three decimal digits, as dig(1) writes them.  The name is never cut:
 * if it does not fit namelen (DNS_NAME_TEXT_MAX always holds it), the
 * answer is -1.
 *
 * Returns 0 for a message that is not such a query: a response, another
 * OPCODE, a question of another type or class, and a query without a
 * question (QDCOUNT 0), which RFC 7873 5.4 allows to fetch a server
 * cookie.  Of several questions (QDCOUNT > 1, which no server answers)
 * the first one decides; the others are not read.
 *
 * Returns -1 for a malformed message: a header cut short, a question
 * cut short, a label running past the end, a name over 255 bytes in
 * wire form (RFC 1035 3.1), label type 01 (the extended labels RFC
 * 6891 5 retired) or 10 (reserved), and a compression pointer (RFC
 * 1035 4.1.4) that does not point back.  Only the header and the first
 * question are read: what follows them (an EDNS OPT record, RFC 6891
 * 6.1, a signature) is neither read nor checked, so a message cut
 * after its first question still answers.
 *
 * On 0 and -1, *why is set to a constant reason, and name is "" if
 * namelen > 0.
 */
int	dns_mx_query(const uint8_t *msg, size_t len, char *name,
	    size_t namelen, const char **why);

/*
 * The name at offset off of the message msg, as dns_mx_query() writes
 * it.  On success returns 0, sets *end to the offset just past the name
 * where it starts (past the first pointer if it is compressed), and
 * writes the name if it fits: *fits says whether it did (the name may
 * still be read to skip it).  Returns -1 with *why set if the name is
 * malformed.  name is "" whenever it is not written whole.
 *
 * Compression (RFC 1035 4.1.4): a pointer must point strictly before
 * the start of the labels being read when it is met (the name's start,
 * or the previous pointer's target), as any earlier name a compressor
 * points to lies there; so each jump goes further back and no loop can
 * form.  At most DNS_PTR_MAX pointers are followed on top of that.
 */
int	dns_name(const uint8_t *msg, size_t len, size_t off, size_t *end,
	    char *name, size_t namelen, int *fits, const char **why);

/*
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766 8): each message is preceded
 * by its length in two bytes.  One of these per direction; capturo
 * feeds only the client's.
 */
struct dns_tcp {
	uint8_t		 buf[DNS_TCP_MSG_MAX + 2];	/* length, message */
	size_t		 have;		/* bytes of buf filled */
	size_t		 skip;		/* bytes left of a message too long */
	unsigned long	 skipped;	/* messages too long, skipped */
	int		 broken;	/* after a gap: nothing more parsed */
};

void	dns_tcp_init(struct dns_tcp *);

/*
 * Feed the next bytes of the stream, in order.  cb(ctx, msg, len) is
 * called for each whole message of at most DNS_TCP_MSG_MAX bytes, a
 * message of length 0 included; a longer one is skipped, its bytes
 * counted off and never held.  Nothing is done once the stream is
 * broken.
 */
void	dns_tcp_feed(struct dns_tcp *, const uint8_t *, size_t,
	    void (*)(void *, const uint8_t *, size_t), void *);

/*
 * Bytes of the stream were lost: where the next message starts is
 * unknown, so the stream is broken for good.
 */
void	dns_tcp_gap(struct dns_tcp *);

#endif /* DNS_H */
