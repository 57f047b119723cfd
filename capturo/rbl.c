/* a refusal's text: its enhanced status code, the blocklist naming the client */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "ascii.h"
#include "bounds.h"
#include "rbl.h"

/*
 * How a server says that the client is on a blocklist, from the texts
 * of the MTAs and of the lists themselves:
 *
 *   Postfix reject_rbl_client, default_rbl_reply (postconf(5)):
 *     "Service unavailable; $rbl_class [$rbl_what] blocked using
 *     $rbl_domain${rbl_reason?; $rbl_reason}", where the class is
 *     "Client host" for an address list and "Client host", "Sender
 *     address", "Helo command" ... with a name for the RHSBL
 *     checks; postscreen says "client [ADDR] blocked using ZONE".
 *   Microsoft's servers copy it with a name: "Client host [ADDR]
 *     blocked using Spamhaus", and have their own list: "banned
 *     sending IP [ADDR]", "part of their network is on our block list
 *     (S3150)".
 *   Sendmail FEATURE(dnsbl) (cf/feature/dnsbl.m4): "Rejected: ADDR
 *     listed at ZONE", before 8.12 "Mail from ADDR refused by
 *     blackhole site ZONE".
 *   Exim's example ACL: "rejected because ADDR is in a black list at
 *     ZONE", cPanel's "JunkMail rejected - HOST [ADDR]:PORT is in an
 *     RBL: TEXT".
 *   The lists' own TXT records, which many MTAs put in the reply:
 *     Spamhaus "https://www.spamhaus.org/query/ip/ADDR", SpamCop
 *     "Blocked - see https://www.spamcop.net/bl.shtml?ADDR", SORBS,
 *     UCEPROTECT "Your IP ADDR is UCEPROTECT-Level1 listed", PSBL,
 *     Barracuda's ".../reputation/?pr=1&ip=ADDR".
 *   Gmail: "Our system has detected an unusual rate of unsolicited
 *     mail originating from your IP address", over several lines.
 *
 * Not a listing of the client: a list of domains or URIs named (the
 * Spamhaus DBL, SURBL, URIBL: they are about the message), an allow
 * list (DNSWL), Postfix' form about a name ("Sender address [...]
 * blocked using"), a phrase after "not", and any text with Spamhaus'
 * error answers (an open resolver: the server refuses everyone).
 *
 * The address is the one of the listing's own phrase (in the brackets
 * of Postfix' form, just before "listed at", in a lookup URL), else the
 * first the text names.  A text whose listing names something shaped
 * like an address that does not parse (300.1.1.1) is not taken: that
 * address cannot be compared with the client's.
 *
 * The text is first made plain: each line loses its reply code and
 * its enhanced status code (RFC 2034 repeats it on every line), the
 * lines are joined by one space, control bytes (NULs included) become
 * spaces, runs of white space one space, letters lower case.  Then
 * phrases[] is looked for at every position, in text order; the first
 * that names a list of client addresses decides.  Everything is a
 * plain scan of at most RBL_TEXT_MAX bytes, each position tried
 * against a fixed table, each look around it bounded.
 */

/* what a list holds */
enum zkind {
	Z_IP,		/* client addresses: a listing of the client */
	Z_DOMAIN,	/* domains, URIs, senders: about the message */
	Z_ALLOW,	/* an allow list: never a reason to refuse */
	Z_UNKNOWN	/* a zone this table does not know */
};

/* how a name in the text matches a zone of the table */
enum zmatch {
	M_EXACT,	/* the name itself */
	M_SUB,		/* the name or any name under it */
	M_KEYED,	/* the name, or KEY.name (a paid feed): KEY dropped */
	M_OWN		/* a provider's own list, named by its phrases */
};

/*
 * The known zones, with the brand names refusals use for them
 * (matched as whole words; the longest wins, so that "Spamhaus DBL" is
 * the DBL and not ZEN).  A brand name maps to the list a server using
 * it queries: "Spamhaus" alone to ZEN, Spamhaus' one zone for all its
 * address lists (spamhaus.org/zen), "Barracuda Reputation" to BRBL.
 */
static const struct zone {
	const char	*name;
	enum zkind	 kind;
	enum zmatch	 match;
	const char	*alias[5];
} zones[] = {
	/* Spamhaus (spamhaus.org/faqs/dnsbl-usage): IPs, and DQS, keyed */
	{ "zen.spamhaus.org", Z_IP, M_EXACT,
	    { "spamhaus", "spamhaus zen", "zen", "spamhaus.org",
	    "www.spamhaus.org" } },
	{ "sbl.spamhaus.org", Z_IP, M_EXACT, { "spamhaus sbl", "sbl",
	    "spamhaus css", "css" } },
	{ "xbl.spamhaus.org", Z_IP, M_EXACT, { "spamhaus xbl", "xbl" } },
	{ "pbl.spamhaus.org", Z_IP, M_EXACT, { "spamhaus pbl", "pbl" } },
	{ "sbl-xbl.spamhaus.org", Z_IP, M_EXACT, { NULL } },
	{ "zen.dq.spamhaus.net", Z_IP, M_KEYED, { NULL } },
	{ "sbl.dq.spamhaus.net", Z_IP, M_KEYED, { NULL } },
	{ "xbl.dq.spamhaus.net", Z_IP, M_KEYED, { NULL } },
	{ "pbl.dq.spamhaus.net", Z_IP, M_KEYED, { NULL } },
	{ "authbl.dq.spamhaus.net", Z_IP, M_KEYED, { NULL } },
	/* Spamhaus' domain lists: DBL, zero-reputation domains, hashes */
	{ "dbl.spamhaus.org", Z_DOMAIN, M_EXACT, { "spamhaus dbl", "dbl" } },
	{ "zrd.spamhaus.org", Z_DOMAIN, M_EXACT, { "spamhaus zrd", "zrd" } },
	{ "dbl.dq.spamhaus.net", Z_DOMAIN, M_KEYED, { NULL } },
	{ "zrd.dq.spamhaus.net", Z_DOMAIN, M_KEYED, { NULL } },
	{ "hbl.dq.spamhaus.net", Z_DOMAIN, M_SUB, { NULL } },
	{ "swl.spamhaus.org", Z_ALLOW, M_EXACT, { NULL } },
	/* SpamCop (spamcop.net/fom-serve/cache/291.html) */
	{ "bl.spamcop.net", Z_IP, M_EXACT, { "spamcop", "spamcop.net",
	    "www.spamcop.net" } },
	/* Barracuda Reputation Block List (barracudacentral.org/rbl) */
	{ "b.barracudacentral.org", Z_IP, M_EXACT,
	    { "barracuda reputation", "barracuda reputation block list",
	    "barracuda", "brbl" } },
	{ "bb.barracudacentral.org", Z_IP, M_EXACT, { NULL } },
	/* SORBS: dnsbl.sorbs.net and its parts; rhsbl.sorbs.net names */
	{ "dnsbl.sorbs.net", Z_IP, M_SUB, { "sorbs" } },
	{ "rhsbl.sorbs.net", Z_DOMAIN, M_SUB, { NULL } },
	/* UCEPROTECT (uceprotect.net/en/index.php?m=3&s=3): per IP, net, AS */
	{ "dnsbl-1.uceprotect.net", Z_IP, M_EXACT,
	    { "uceprotect-level1", "uceprotect level 1", "uceprotect" } },
	{ "dnsbl-2.uceprotect.net", Z_IP, M_EXACT,
	    { "uceprotect-level2", "uceprotect level 2" } },
	{ "dnsbl-3.uceprotect.net", Z_IP, M_EXACT,
	    { "uceprotect-level3", "uceprotect level 3" } },
	{ "ips.backscatterer.org", Z_IP, M_EXACT, { "backscatterer" } },
	/* PSBL (psbl.org/howto) */
	{ "psbl.surriel.com", Z_IP, M_EXACT, { "psbl" } },
	/* Mailspike (mailspike.org/usage.html): wl. is an allow list */
	{ "bl.mailspike.net", Z_IP, M_EXACT, { "mailspike" } },
	{ "z.mailspike.net", Z_IP, M_EXACT, { NULL } },
	{ "rep.mailspike.net", Z_IP, M_EXACT, { NULL } },
	{ "wl.mailspike.net", Z_ALLOW, M_EXACT, { NULL } },
	/* SpamRATS (spamrats.com) */
	{ "all.spamrats.com", Z_IP, M_EXACT, { "spamrats" } },
	{ "dyna.spamrats.com", Z_IP, M_EXACT, { NULL } },
	{ "noptr.spamrats.com", Z_IP, M_EXACT, { NULL } },
	{ "spam.spamrats.com", Z_IP, M_EXACT, { NULL } },
	{ "auth.spamrats.com", Z_IP, M_EXACT, { NULL } },
	/* the CBL, now within Spamhaus' XBL */
	{ "cbl.abuseat.org", Z_IP, M_EXACT, { "cbl" } },
	/* Abusix Mail Intelligence (docs.abusix.com), keyed */
	{ "combined.mail.abusix.zone", Z_IP, M_KEYED, { "abusix" } },
	{ "black.mail.abusix.zone", Z_IP, M_KEYED, { NULL } },
	{ "exploit.mail.abusix.zone", Z_IP, M_KEYED, { NULL } },
	{ "policy.mail.abusix.zone", Z_IP, M_KEYED, { NULL } },
	{ "dblack.mail.abusix.zone", Z_DOMAIN, M_KEYED, { NULL } },
	/* others in common use, each listing addresses */
	{ "ix.dnsbl.manitu.net", Z_IP, M_EXACT, { "nixspam" } },
	{ "bl.blocklist.de", Z_IP, M_EXACT, { "blocklist.de" } },
	{ "dnsbl.dronebl.org", Z_IP, M_EXACT, { "dronebl" } },
	{ "bl.spameatingmonkey.net", Z_IP, M_EXACT, { NULL } },
	{ "bl.ipv6.spameatingmonkey.net", Z_IP, M_EXACT, { NULL } },
	{ "all.s5h.net", Z_IP, M_EXACT, { NULL } },
	{ "rbl.interserver.net", Z_IP, M_EXACT, { NULL } },
	{ "hostkarma.junkemailfilter.com", Z_IP, M_EXACT, { "hostkarma" } },
	{ "truncate.gbudb.net", Z_IP, M_EXACT, { "gbudb" } },
	{ "bl.0spam.org", Z_IP, M_EXACT, { "0spam" } },
	{ "dnsbl.spfbl.net", Z_IP, M_EXACT, { "spfbl" } },
	{ "bl.nordspam.com", Z_IP, M_EXACT, { "nordspam" } },
	{ "bl.score.senderscore.com", Z_IP, M_EXACT, { "senderscore" } },
	/* Trend Micro's Email Reputation Services ("RBL+"), keyed now */
	{ "rbl-plus.mail-abuse.org", Z_IP, M_EXACT,
	    { "trend micro rbl+", "trend micro rbl", "rbl+" } },
	{ "r.mail-abuse.com", Z_IP, M_KEYED, { NULL } },
	/* URI and domain lists: the message's links or senders */
	{ "surbl.org", Z_DOMAIN, M_SUB, { "surbl" } },
	{ "uribl.com", Z_DOMAIN, M_SUB, { "uribl" } },
	{ "dbl.nordspam.com", Z_DOMAIN, M_EXACT, { NULL } },
	{ "uribl.spameatingmonkey.net", Z_DOMAIN, M_EXACT, { NULL } },
	{ "fresh.spameatingmonkey.net", Z_DOMAIN, M_EXACT, { NULL } },
	{ "ebl.msbl.org", Z_DOMAIN, M_EXACT, { NULL } },
	/* allow lists (dnswl.org, ISIPP) */
	{ "dnswl.org", Z_ALLOW, M_SUB, { "dnswl", "dnswl.org" } },
	{ "iadb.isipp.com", Z_ALLOW, M_EXACT, { NULL } },
	/* providers' own lists, named only by their phrases below */
	{ "outlook.com", Z_IP, M_OWN, { NULL } },
	{ "google.com", Z_IP, M_OWN, { NULL } },
	{ "proofpoint.com", Z_IP, M_OWN, { NULL } },
};

/* how a phrase is read */
enum how {
	H_ZONE,		/* a zone or a brand name follows it */
	H_NAMED,	/* the phrase names its list itself (zone) */
	H_URL,		/* a list's lookup page, the address in its URL */
	H_VETO		/* the server's lookups failed: nobody listed */
};

#define F_WORD		0x01	/* not after a letter or digit */
#define F_ANYZONE	0x02	/* a zone not in zones[] may follow */
#define F_NOTNEG	0x04	/* "not"/"no longer" before it undoes it */
#define F_POSTFIX	0x08	/* Postfix' "CLASS [WHAT] blocked using" */
#define F_ADDRNEXT	0x10	/* the address follows, and must */
#define F_WORDEND	0x20	/* not before a letter, digit, "-", "." */

/*
 * The phrases, in the plain text's lower case.  A phrase of H_ZONE
 * with F_ANYZONE takes a zone the table does not know only when an
 * address goes with it (in the brackets of Postfix' form, or just
 * before it): "Client host [192.0.2.1] blocked using bl.example.net"
 * is reject_rbl_client whatever the zone, "listed at example.net"
 * alone could be anything.  "Rejected by", "blocked by", "found in"
 * take known names only ("rejected by policy", "by example.com").
 */
static const struct phrase {
	const char	*text;
	enum how	 how;
	int		 flags;
	const char	*zone;
} phrases[] = {
	/*
	 * Spamhaus' answers 127.255.255.252-255 are errors, not listings
	 * ("Error: open resolver; https://check.spamhaus.org/returnc/
	 * pub/ADDR/", the address being the server's resolver): a server
	 * that refuses on them refuses everyone.
	 */
	{ "open resolver", H_VETO, 0, NULL },
	{ "/returnc/", H_VETO, 0, NULL },
	{ "excessive number of queries", H_VETO, 0, NULL },
	{ "typing error in dnsbl name", H_VETO, 0, NULL },

	{ "blocked using ", H_ZONE, F_WORD | F_ANYZONE | F_POSTFIX, NULL },
	{ "listed at ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "listed in ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "listed on ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "listed by ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "blacklisted at ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "blacklisted in ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "blacklisted by ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "blocklisted at ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "blocklisted in ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "blocklisted by ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "in a black list at ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG,
	    NULL },
	{ "in a blacklist at ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	{ "in a blocklist at ", H_ZONE, F_WORD | F_ANYZONE | F_NOTNEG, NULL },
	/* sendmail before 8.12: "Mail from ADDR refused by blackhole site Z" */
	{ "refused by blackhole site ", H_ZONE, F_WORD | F_ANYZONE, NULL },
	{ "refused by ", H_ZONE, F_WORD, NULL },
	{ "rejected by ", H_ZONE, F_WORD, NULL },
	{ "blocked by ", H_ZONE, F_WORD | F_NOTNEG, NULL },
	{ "found in ", H_ZONE, F_WORD | F_NOTNEG, NULL },
	{ "found on ", H_ZONE, F_WORD | F_NOTNEG, NULL },
	/* "RBL: zen.spamhaus.org", "DNSBL (bl.spamcop.net)", "rbl=..." */
	{ "rbl", H_ZONE, F_WORD | F_WORDEND | F_ANYZONE, NULL },
	{ "dnsbl", H_ZONE, F_WORD | F_WORDEND | F_ANYZONE, NULL },

	/* UCEPROTECT's TXT: "Your IP ADDR is UCEPROTECT-Level1 listed" */
	{ "uceprotect-level1", H_NAMED, F_WORD | F_WORDEND,
	    "dnsbl-1.uceprotect.net" },
	{ "uceprotect-level2", H_NAMED, F_WORD | F_WORDEND,
	    "dnsbl-2.uceprotect.net" },
	{ "uceprotect-level3", H_NAMED, F_WORD | F_WORDEND,
	    "dnsbl-3.uceprotect.net" },
	/* Exchange Online, 5.7.606-649 and 5.7.511 (learn.microsoft.com) */
	{ "banned sending ip", H_NAMED, F_WORD | F_ADDRNEXT, "outlook.com" },
	{ "access denied, banned sender", H_NAMED, F_WORD | F_ADDRNEXT,
	    "outlook.com" },
	/* Outlook.com, S3140 and S3150: "messages from [ADDR] weren't sent" */
	{ "part of their network is on our block list", H_NAMED, F_WORD,
	    "outlook.com" },
	/* Gmail, 421 4.7.0 and 550 5.7.1; "from your SPF domain" is no IP */
	{ "unsolicited mail originating from your ip address", H_NAMED,
	    F_WORD, "google.com" },

	/* the lists' lookup pages, as their TXT records give them */
	{ "spamhaus.org/query/ip/", H_URL, 0, "zen.spamhaus.org" },
	{ "spamhaus.org/query/bl?ip=", H_URL, 0, "zen.spamhaus.org" },
	{ "spamhaus.org/lookup", H_URL, 0, "zen.spamhaus.org" },
	{ "check.spamhaus.org/listed", H_URL, 0, "zen.spamhaus.org" },
	{ "spamhaus.org/sbl/query/", H_URL, 0, "sbl.spamhaus.org" },
	{ "spamhaus.org/xbl/query/", H_URL, 0, "xbl.spamhaus.org" },
	{ "spamhaus.org/pbl/query/", H_URL, 0, "pbl.spamhaus.org" },
	{ "spamcop.net/bl.shtml", H_URL, 0, "bl.spamcop.net" },
	{ "sorbs.net/lookup.shtml", H_URL, 0, "dnsbl.sorbs.net" },
	{ "uceprotect.net/rblcheck.php", H_URL, 0, "dnsbl-1.uceprotect.net" },
	{ "uceprotect.net/en/rblcheck.php", H_URL, 0,
	    "dnsbl-1.uceprotect.net" },
	{ "psbl.org/listing", H_URL, 0, "psbl.surriel.com" },
	{ "psbl.surriel.com/listing", H_URL, 0, "psbl.surriel.com" },
	{ "barracudanetworks.com/reputation", H_URL, 0,
	    "b.barracudacentral.org" },
	{ "barracudacentral.org/lookups", H_URL, 0, "b.barracudacentral.org" },
	{ "barracudacentral.org/rbl", H_URL, 0, "b.barracudacentral.org" },
	{ "spamrats.com/bl", H_URL, 0, "all.spamrats.com" },
	{ "spamrats.com/lookup", H_URL, 0, "all.spamrats.com" },
	{ "abuseat.org/lookup", H_URL, 0, "cbl.abuseat.org" },
	{ "blocklist.de/en/view.html", H_URL, 0, "bl.blocklist.de" },
	{ "dronebl.org/lookup", H_URL, 0, "dnsbl.dronebl.org" },
	/* Proofpoint's: "Blocked - see https://ipcheck.proofpoint.com/?ip=A" */
	{ "ipcheck.proofpoint.com", H_URL, 0, "proofpoint.com" },
};

/*
 * Postfix' classes of a name checked against a list (smtpd_check.c,
 * SMTPD_NAME_*): "[WHAT] blocked using" after one of these is about a
 * name, not the client's address.
 */
static const char *const notclient[] = {
	"sender address [", "recipient address [", "helo command [",
	"etrn command [", "client certificate [", "sasl login name [",
	"unverified client host [",
};

/* words skipped between a phrase and the zone: "listed in the RBL at ZONE" */
static const char *const filler[] = {
	"the ", "rbl ", "dnsbl ", "blacklist ", "blocklist ", "list ",
	"at ", "in ", "on ", "of ",
};

/* the text made plain: see the comment at the top */
struct plain {
	char	 s[RBL_TEXT_MAX];
	size_t	 n;
};

/* an address-like run of the plain text */
struct tok {
	size_t	 a, e;			/* [a, e) */
	int	 ok;			/* parses: canon holds it */
	char	 canon[ADDR_STRLEN];
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
isdigit_(int c)
{
	return c >= '0' && c <= '9';
}

static int
isalnum_(int c)
{
	return isdigit_(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
ishex_(int c)
{
	return ascii_hexval(c) != -1;
}

/* a byte of a DNS name as written: letters, digits, hyphen, dot */
static int
isname_(int c)
{
	return isalnum_(c) || c == '-' || c == '.' || c == '_';
}

/* p[0..n) starts with the NUL-terminated s */
static int
has(const char *p, size_t n, const char *s)
{
	size_t	 l = strlen(s);

	return l <= n && memcmp(p, s, l) == 0;
}

/* the text before position p ends with s */
static int
ends(const struct plain *t, size_t p, const char *s)
{
	size_t	 l = strlen(s);

	return l <= p && memcmp(t->s + p - l, s, l) == 0;
}

/*
 * RFC 3463 2: class "." subject "." detail, class 2, 4 or 5, subject
 * and detail 1 to 3 digits without sign, then white space or the end.
 * The length of the code at p, or 0.
 */
static size_t
esc_at(const char *p, size_t n)
{
	size_t	 i, k, part;

	if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (k = 0; i < n && isdigit_((unsigned char)p[i]) && k < 4;
		    i++)
			k++;
		if (k == 0 || k > 3)
			return 0;
		if (part == 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
		return 0;
	return i;
}

/* append one byte of text, white space and control bytes as one space */
static void
put(struct plain *t, unsigned char c)
{
	if (c < 0x20 || c == 0x7f || c == ' ') {
		if (t->n == 0 || t->s[t->n - 1] == ' ')
			return;
		c = ' ';
	}
	if (t->n < sizeof(t->s))
		t->s[t->n++] = (char)ascii_lower(c);
}

/*
 * The plain text of up to RBL_TEXT_MAX bytes of p, and the first
 * enhanced status code into esc.  A line's reply code (RFC 5321 4.2:
 * three digits, the first 2 to 5, then "-", " " or the end) and the
 * enhanced code after it are dropped, on every line.
 */
static void
flatten(const char *p, size_t len, struct plain *t, char *esc)
{
	size_t	 i, eol, k;

	t->n = 0;
	esc[0] = '\0';
	if (len > RBL_TEXT_MAX)
		len = RBL_TEXT_MAX;
	for (i = 0; i < len; i = eol + 1) {
		for (eol = i; eol < len && p[eol] != '\n'; eol++)
			;
		if (eol - i >= 3 && p[i] >= '2' && p[i] <= '5' &&
		    isdigit_((unsigned char)p[i + 1]) &&
		    isdigit_((unsigned char)p[i + 2]) &&
		    (eol - i == 3 || p[i + 3] == ' ' || p[i + 3] == '-' ||
		    p[i + 3] == '\r'))
			i += eol - i == 3 ? 3 : 4;
		while (i < eol && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if ((k = esc_at(p + i, eol - i)) > 0) {
			if (esc[0] == '\0') {
				memcpy(esc, p + i, k);
				esc[k] = '\0';
			}
			i += k;
		}
		for (; i < eol; i++)
			put(t, (unsigned char)p[i]);
		put(t, ' ');
	}
	while (t->n > 0 && t->s[t->n - 1] == ' ')
		t->n--;
}

/* a byte that may not touch an address: it would be part of a longer word */
static int
glued(int c)
{
	return isalnum_(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

/*
 * Does [a, e) look like an address, right or wrong: four dotted
 * numbers, or hex groups with "::" or seven colons?  300.1.1.1 does
 * (and does not parse); a version "4.96" or a time "12:34:56" does not.
 */
static int
addrlike(const char *s, size_t a, size_t e)
{
	size_t	 i, dots = 0, colons = 0, digits = 0;
	int	 dcolon = 0;

	for (i = a; i < e; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] == ':') {
			colons++;
			if (i > a && s[i - 1] == ':')
				dcolon = 1;
		} else if (isdigit_((unsigned char)s[i]))
			digits++;
	}
	if (digits == 0)
		return 0;
	if (colons == 0) {
		if (dots != 3)
			return 0;
		for (i = a; i < e; i++)
			if (!isdigit_((unsigned char)s[i]) && s[i] != '.')
				return 0;
		return 1;
	}
	return colons >= 2 && (dcolon || colons >= 7);
}

/* [a, e) as an address: canon set, 0; -1 if it does not parse */
static int
parse_run(const char *s, size_t a, size_t e, char *canon)
{
	char		 buf[ADDR_STRLEN];
	struct addr	 ad, un;

	if (e - a >= sizeof(buf))
		return -1;
	memcpy(buf, s + a, e - a);
	buf[e - a] = '\0';
	if (addr_parse(buf, &ad) == -1)
		return -1;
	addr_unmap(&ad, &un);
	if (addr_fmt(&un, canon, ADDR_STRLEN) == -1)
		return -1;
	return 0;
}

/*
 * The first address-like run at or after from and before to: a run of
 * hex digits, dots and colons not glued to a word ("AS16012609",
 * "host.192.0.2.1.example"), a "." ending a sentence left out; an
 * RFC 5321 "IPv6:" prefix is skipped, and "ADDR:PORT" read as ADDR.
 * Runs that look like no address are passed over.  Returns 0 with *k
 * filled (k->ok when it parses), -1 when there is none.
 */
static int
tok_next(const struct plain *t, size_t from, size_t to, struct tok *k)
{
	const char	*s = t->s;
	size_t		 p = from, a, e, c;

	if (to > t->n)
		to = t->n;
	while (p < to) {
		a = p;
		if (has(s + p, to - p, "ipv6:") && (p == 0 ||
		    !glued((unsigned char)s[p - 1])))
			a = p + 5;
		else if (!ishex_((unsigned char)s[p]) && s[p] != ':' &&
		    s[p] != '.') {
			p++;
			continue;
		} else if (p > 0 && glued((unsigned char)s[p - 1])) {
			/* inside a word: skip the rest of it */
			while (p < to && glued((unsigned char)s[p]))
				p++;
			continue;
		}
		for (e = a; e < to && (ishex_((unsigned char)s[e]) ||
		    s[e] == '.' || s[e] == ':'); e++)
			;
		p = e > a ? e : a + 1;
		/* glued to what follows, or going on past to: not whole */
		if (e < t->n && (isalnum_((unsigned char)s[e]) ||
		    s[e] == '_' || s[e] == '-' || s[e] == '.' || s[e] == ':'))
			continue;
		while (e > a && s[e - 1] == '.')
			e--;
		/* "192.0.2.1:25": the address before the port */
		for (c = a; c < e && s[c] != ':'; c++)
			;
		if (c < e && c > a && memchr(s + a, '.', c - a) != NULL &&
		    !addrlike(s, a, e) && addrlike(s, a, c))
			e = c;
		if (!addrlike(s, a, e))
			continue;
		/* "192.0.2.0/24" is a network, not an address */
		if (e + 1 < t->n && s[e] == '/' &&
		    isdigit_((unsigned char)s[e + 1]))
			continue;
		k->a = a;
		k->e = e;
		k->ok = parse_run(s, a, e, k->canon) == 0;
		return 0;
	}
	return -1;
}

/* the last address-like run ending at or before p, within RBL_NEAR */
static int
tok_before(const struct plain *t, size_t p, struct tok *k)
{
	struct tok	 x;
	size_t		 from = p > RBL_NEAR ? p - RBL_NEAR : 0;
	int		 found = 0;

	while (tok_next(t, from, p, &x) == 0) {
		*k = x;
		found = 1;
		from = x.e > from ? x.e : from + 1;
	}
	return found ? 0 : -1;
}

/* a DNS name (RFC 1035 2.3.1, RFC 1123 2.1): letters, digits, inner "-" */
static int
ldh(const char *z, size_t n)
{
	size_t	 i, l = 0, labels = 1;
	int	 alpha = 0;

	if (n == 0 || z[0] == '.' || z[n - 1] == '.' || z[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (z[i] == '.') {
			if (l == 0 || z[i - 1] == '-')
				return 0;
			labels++;
			l = 0;
			alpha = 0;
			continue;
		}
		if (!isalnum_((unsigned char)z[i]) && z[i] != '-')
			return 0;
		if (l == 0 && z[i] == '-')
			return 0;
		if (++l > 63)
			return 0;
		if (!isdigit_((unsigned char)z[i]) && z[i] != '-')
			alpha = 1;
	}
	/* a zone, not an address: the last label has a letter */
	return labels >= 2 && alpha;
}

/* the table's entry for the zone z (n bytes), or NULL */
static const struct zone *
zone_find(const char *z, size_t n)
{
	const struct zone	*e;
	const char		*dot;
	size_t			 i, l;

	for (i = 0; i < NITEMS(zones); i++) {
		e = &zones[i];
		l = strlen(e->name);
		if (e->match == M_OWN)
			continue;
		if (l == n && memcmp(z, e->name, n) == 0)
			return e;
		if (e->match == M_SUB && n > l && z[n - l - 1] == '.' &&
		    memcmp(z + n - l, e->name, l) == 0)
			return e;
		if (e->match == M_KEYED && n > l &&
		    (dot = memchr(z, '.', n)) != NULL &&
		    (size_t)(dot - z) == n - l - 1 &&
		    memcmp(dot + 1, e->name, l) == 0)
			return e;
	}
	return NULL;
}

static const struct zone *
zone_named(const char *name)
{
	size_t	 i;

	for (i = 0; i < NITEMS(zones); i++)
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	return NULL;
}

/*
 * The list named at p: a brand name of zones[] (as a whole word, a dot
 * ending the sentence allowed, the longest), or a DNS name.  Fills
 * zone, returns its kind, or -1 when nothing there names a list.
 */
static int
zone_at(const struct plain *t, size_t p, char *zone)
{
	const struct zone	*best = NULL, *e;
	const char		*s = t->s;
	size_t			 i, j, l, bestl = 0, q, n = t->n, round;

	for (round = 0; round < 4 && p < n; round++) {
		while (p < n && (s[p] == ' ' || s[p] == ':' || s[p] == '=' ||
		    s[p] == '(' || s[p] == '"' || s[p] == '\'' ||
		    s[p] == '<' || s[p] == '['))
			p++;
		for (i = 0; i < NITEMS(filler); i++)
			if (has(s + p, n - p, filler[i]))
				break;
		if (i == NITEMS(filler))
			break;
		p += strlen(filler[i]);
	}
	if (p >= n)
		return -1;
	for (i = 0; i < NITEMS(zones); i++) {
		e = &zones[i];
		for (j = 0; j < NITEMS(e->alias) && e->alias[j] != NULL; j++) {
			if (e->alias[j][0] != s[p])
				continue;
			l = strlen(e->alias[j]);
			if (l <= bestl || !has(s + p, n - p, e->alias[j]))
				continue;
			/* a whole word: "sbl" is not "sbl.example.net" */
			q = p + l;
			if (q < n && (isalnum_((unsigned char)s[q]) ||
			    s[q] == '-' || s[q] == '_'))
				continue;
			if (q + 1 < n && s[q] == '.' &&
			    isalnum_((unsigned char)s[q + 1]))
				continue;
			best = e;
			bestl = l;
		}
	}
	if (best != NULL) {
		strcpy(zone, best->name);
		return (int)best->kind;
	}
	for (q = p; q < n && isname_((unsigned char)s[q]); q++)
		if (q - p >= RBL_ZONE_MAX)
			return -1;
	while (q > p && s[q - 1] == '.')
		q--;
	if (q - p >= RBL_ZONE_MAX || !ldh(s + p, q - p))
		return -1;
	if ((e = zone_find(s + p, q - p)) != NULL) {
		if (e->match == M_KEYED)
			strcpy(zone, e->name);
		else {
			memcpy(zone, s + p, q - p);
			zone[q - p] = '\0';
		}
		return (int)e->kind;
	}
	memcpy(zone, s + p, q - p);
	zone[q - p] = '\0';
	return Z_UNKNOWN;
}

/* a listing found: its zone, and the address that goes with it */
struct cand {
	char		 zone[RBL_ZONE_MAX];
	struct tok	 k;
	int		 haveaddr;	/* k is this listing's address */
};

/* what a phrase says */
enum say {
	S_BAD = -1,	/* its address does not parse: text not taken */
	S_NONE,		/* no listing of the client */
	S_NAME,		/* a name, a domain, or an allow list */
	S_LISTED	/* the client is listed: cand filled */
};

/*
 * Postfix' form "CLASS [WHAT] blocked using" at p (the phrase): S_NAME
 * when CLASS is about a name (notclient[]), S_BAD when WHAT looks like
 * an address and does not parse, else S_LISTED, with c->k when WHAT is
 * an address and *name set when it is something else (a host name, or
 * hidden).
 */
static enum say
postfix_what(const struct plain *t, size_t p, struct cand *c, int *name)
{
	const char	*s = t->s;
	size_t		 from, i, j, lb;
	struct tok	 k;

	*name = 0;
	/* the class: back to the "; " before it, at most a path away */
	from = p > SMTP_ADDR_MAX + 32 ? p - SMTP_ADDR_MAX - 32 : 0;
	for (i = p; i > from && s[i - 1] != ';'; i--)
		;
	for (; i < p; i++)
		for (j = 0; j < NITEMS(notclient); j++)
			if (s[i] == notclient[j][0] &&
			    has(s + i, p - i, notclient[j]))
				return S_NAME;
	if (p < 2 || s[p - 1] != ' ' || s[p - 2] != ']')
		return S_LISTED;
	/* the brackets: WHAT is an address exactly, or a name */
	from = p - 2 > RBL_NEAR ? p - 2 - RBL_NEAR : 0;
	for (lb = p - 2; lb > from && s[lb - 1] != '[' && s[lb - 1] != ']';
	    lb--)
		;
	if (lb == from || s[lb - 1] != '[') {
		*name = 1;
		return S_LISTED;
	}
	for (i = lb; i < p - 2 && s[i] == ' '; i++)
		;
	if (has(s + i, p - 2 - i, "ipv6:"))
		i += 5;
	if (tok_next(t, lb, p - 2, &k) == 0 && k.a == i) {
		for (j = k.e; j < p - 2 && s[j] == ' '; j++)
			;
		if (j == p - 2) {
			if (!k.ok)
				return S_BAD;
			c->k = k;
			c->haveaddr = 1;
			return S_LISTED;
		}
	}
	/* digits and dots that are no address: a mangled one, not a name */
	for (i = lb, j = 0; i < p - 2; i++) {
		if (isdigit_((unsigned char)s[i]))
			j = 1;
		else if (!ishex_((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != ':' && s[i] != ' ')
			break;
	}
	if (i == p - 2 && j)
		return S_BAD;
	*name = 1;
	return S_LISTED;
}

/* the address-like run before p goes with the listing, when there is one */
static enum say
addr_before(const struct plain *t, size_t p, struct cand *c)
{
	if (tok_before(t, p, &c->k) == 0) {
		if (!c->k.ok)
			return S_BAD;
		c->haveaddr = 1;
	}
	return S_LISTED;
}

/* what the phrase ph at p (its end pe) says */
static enum say
candidate(const struct plain *t, const struct phrase *ph, size_t p,
    size_t pe, struct cand *c)
{
	const struct zone	*z;
	const char		*s = t->s;
	size_t			 u;
	int			 kind, name = 0;
	enum say		 v;

	memset(c, 0, sizeof(*c));
	if ((ph->flags & F_NOTNEG) && (ends(t, p, "not ") ||
	    ends(t, p, "no longer ") || ends(t, p, "n't ")))
		return S_NONE;
	switch (ph->how) {
	case H_ZONE:
		if ((kind = zone_at(t, pe, c->zone)) == -1)
			return S_NONE;
		if (kind == Z_DOMAIN || kind == Z_ALLOW)
			return S_NAME;
		if ((ph->flags & F_POSTFIX) &&
		    (v = postfix_what(t, p, c, &name)) != S_LISTED)
			return v;
		if (!c->haveaddr && !name &&
		    (v = addr_before(t, p, c)) != S_LISTED)
			return v;
		if (kind == Z_UNKNOWN &&
		    (!(ph->flags & F_ANYZONE) || !c->haveaddr))
			return S_NONE;
		return S_LISTED;
	case H_NAMED:
		if ((z = zone_named(ph->zone)) == NULL)
			return S_NONE;
		strcpy(c->zone, z->name);
		if (!(ph->flags & F_ADDRNEXT))
			return addr_before(t, p, c);
		for (u = pe; u < t->n && (s[u] == ' ' || s[u] == '['); u++)
			;
		if (tok_next(t, u, u + 5 + ADDR_STRLEN, &c->k) == -1 ||
		    c->k.a > u + 5)
			return S_NONE;
		if (!c->k.ok)
			return S_BAD;
		c->haveaddr = 1;
		return S_LISTED;
	case H_URL:
		strcpy(c->zone, ph->zone);
		/* the rest of the URL: up to white space or what ends one */
		for (u = pe; u < t->n && s[u] != ' ' && s[u] != ';' &&
		    s[u] != ')' && s[u] != '>' && s[u] != '"' &&
		    s[u] != '\'' && s[u] != ','; u++)
			;
		if (tok_next(t, pe, u, &c->k) == 0) {
			if (!c->k.ok)
				return S_BAD;
			c->haveaddr = 1;
		}
		return S_LISTED;
	case H_VETO:
		break;
	}
	return S_NONE;
}

/* the phrase of phrases[] at p, the first of the table, or NULL */
static const struct phrase *
phrase_at(const struct plain *t, size_t p)
{
	const struct phrase	*ph;
	const char		*s = t->s;
	size_t			 i, l;

	for (i = 0; i < NITEMS(phrases); i++) {
		ph = &phrases[i];
		if (ph->text[0] != s[p] || !has(s + p, t->n - p, ph->text))
			continue;
		if ((ph->flags & F_WORD) && p > 0 &&
		    isalnum_((unsigned char)s[p - 1]))
			continue;
		l = p + strlen(ph->text);
		if ((ph->flags & F_WORDEND) && l < t->n &&
		    (isalnum_((unsigned char)s[l]) || s[l] == '-' ||
		    s[l] == '.' || s[l] == '_'))
			continue;
		return ph;
	}
	return NULL;
}

/*
 * The first address-like run of the text (*havefirst), and how many
 * distinct addresses it names: 0, 1, or 2 for two or more.
 */
static int
addresses(const struct plain *t, struct tok *first, int *havefirst)
{
	struct tok	 k;
	char		 one[ADDR_STRLEN];
	size_t		 from = 0;
	int		 n = 0;

	*havefirst = 0;
	while (tok_next(t, from, t->n, &k) == 0) {
		from = k.e;
		if (!*havefirst) {
			*first = k;
			*havefirst = 1;
		}
		if (!k.ok)
			continue;
		if (n == 0) {
			memcpy(one, k.canon, sizeof(one));
			n = 1;
		} else if (strcmp(one, k.canon) != 0)
			return 2;
	}
	return n;
}

int
rbl_parse(const char *text, size_t len, struct rbl *r)
{
	struct plain		 t;
	const struct phrase	*ph;
	struct cand		 c;
	struct tok		 first;
	size_t			 p, i;
	int			 havefirst, names = 0;
	enum say		 v = S_NONE;

	memset(r, 0, sizeof(*r));
	if (text == NULL)
		len = 0;
	flatten(text, len, &t, r->esc);
	r->naddr = addresses(&t, &first, &havefirst);

	for (i = 0; i < NITEMS(phrases); i++) {
		if (phrases[i].how != H_VETO)
			continue;
		for (p = 0; p < t.n; p++)
			if (t.s[p] == phrases[i].text[0] &&
			    has(t.s + p, t.n - p, phrases[i].text))
				return 0;
	}
	for (p = 0; p < t.n; p++) {
		if ((ph = phrase_at(&t, p)) == NULL || ph->how == H_VETO)
			continue;
		/*
		 * After a listing of a name (Postfix' "Sender address [...]
		 * blocked using dbl.spamhaus.org; URL"), a lookup page is
		 * that listing's, not the client's.
		 */
		if (ph->how == H_URL && names)
			continue;
		v = candidate(&t, ph, p, p + strlen(ph->text), &c);
		if (v == S_BAD)
			return 0;
		if (v == S_NAME)
			names = 1;
		if (v == S_LISTED)
			break;
	}
	if (v != S_LISTED)
		return 0;
	/*
	 * The listing's own address, else the first the text names.  An
	 * address-like run that does not parse (300.1.1.1) is no address
	 * the client's can be compared with: such a text is not taken.
	 */
	if (!c.haveaddr && havefirst) {
		if (!first.ok)
			return 0;
		c.k = first;
		c.haveaddr = 1;
	}
	strcpy(r->zone, c.zone);
	if (c.haveaddr)
		strcpy(r->addr, c.k.canon);
	return 1;
}
