/* a refusal's text: its enhanced status code, the blocklist naming the client */
#ifndef RBL_H
#define RBL_H

#include <stddef.h>

#include "addr.h"
#include "bounds.h"

struct rbl {
	/*
	 * The enhanced status code at the start of the text, "5.7.1"
	 * (RFC 3463 2: class.subject.detail, class 2, 4 or 5, subject
	 * and detail 1 to 3 digits each); "" if none.
	 */
	char	 esc[RBL_ESC_MAX];
	/*
	 * The blocklist that lists the client, as a DNS zone in lower
	 * case: "zen.spamhaus.org".  A brand name is given as its zone
	 * ("Spamhaus" as zen.spamhaus.org), a provider's own list as
	 * the provider's domain (outlook.com, google.com,
	 * proofpoint.com).  "" when the text is no such refusal.
	 */
	char	 zone[RBL_ZONE_MAX];
	/*
	 * The address the text names as the listed one, in addr_fmt()
	 * form (an IPv4-mapped IPv6 address as IPv4); "" when it names
	 * none, and when zone is "".
	 */
	char	 addr[ADDR_STRLEN];
	/* distinct addresses the text names: 0, 1, or 2 for two or more */
	int	 naddr;
};

/*
 * Read the text of one reply: its lines joined by "\n" (a CR before it
 * is allowed), each line with or without its reply code and separator
 * ("550-", "550 ") and its enhanced status code; both forms read the
 * same.  At most RBL_TEXT_MAX bytes of it are read, and never past len;
 * the text is any bytes, NULs included.  Fills r and returns 1 when the
 * text says the client is on a blocklist (zone set), 0 otherwise (esc
 * may still be set).  Lists of domains, URIs or senders, and allow
 * lists, are not a client's listing.  No I/O, no allocation.
 */
int	rbl_parse(const char *text, size_t len, struct rbl *r);

#endif /* RBL_H */
