/* DNS queries for MX records (RFC 1035), over UDP and over TCP */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"
#include "dns.h"

/* RFC 1035 4.1.1: the header, 12 bytes; QR is the top bit of byte 2 */
#define HDR_LEN		12
#define HDR_QR(m)	((m)[2] & 0x80)
#define HDR_OPCODE(m)	(((m)[2] >> 3) & 0x0f)
#define HDR_QDCOUNT(m)	((unsigned)(m)[4] << 8 | (m)[5])

/*
 * RFC 1035 4.1.4: the top two bits of a length byte.  00 is a label of
 * up to 63 bytes, 11 a pointer; RFC 6891 5 retired 01 (extended
 * labels) and 10 is reserved.
 */
#define LABEL_TYPE(c)	((c) & 0xc0)
#define LABEL_NORMAL	0x00
#define LABEL_EXT	0x40
#define LABEL_RESERVED	0x80
#define LABEL_PTR	0xc0

/*
 * The text of a name being written: len bytes used of cap, one kept
 * for the NUL.  Once a piece does not fit, fits is 0 and nothing more
 * is written, since a name is never cut.
 */
struct nout {
	char	*p;
	size_t	 cap;
	size_t	 len;
	int	 fits;
};

static void
put(struct nout *o, const char *s, size_t n)
{
	if (!o->fits)
		return;
	if (n >= o->cap - o->len) {
		o->fits = 0;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/*
 * One byte of a label in the text: a-z, 0-9, "-" and "_" as they are,
 * A-Z lower-cased (RFC 4343: names compare without case), "." and "\"
 * escaped by a backslash so that the dots left are the label breaks,
 * and every other byte as \DDD (RFC 1035 5.1, the master file form).
 */
static void
put_byte(struct nout *o, uint8_t c)
{
	char	e[4];

	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_') {
		e[0] = (char)c;
		put(o, e, 1);
	} else if (c == '.' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		put(o, e, 2);
	} else {
		e[0] = '\\';
		e[1] = (char)('0' + c / 100);
		e[2] = (char)('0' + c / 10 % 10);
		e[3] = (char)('0' + c % 10);
		put(o, e, 4);
	}
}

int
dns_name(const uint8_t *msg, size_t len, size_t off, size_t *end,
    char *name, size_t namelen, int *fits, const char **why)
{
	struct nout	 o;
	size_t		 pos = off, start = off, wire = 0, target, i;
	int		 ptrs = 0, ended = 0;
	uint8_t		 c;

	o.p = name;
	o.cap = namelen;
	o.len = 0;
	o.fits = name != NULL && namelen > 0;

	for (;;) {
		if (pos >= len) {
			*why = "name runs past the end";
			goto bad;
		}
		c = msg[pos];
		switch (LABEL_TYPE(c)) {
		case LABEL_NORMAL:
			break;
		case LABEL_PTR:
			if (len - pos < 2) {
				*why = "compression pointer cut short";
				goto bad;
			}
			/*
			 * Strictly before the labels being read: a compressor
			 * points to a name written earlier, wholly before
			 * them.  The targets only ever decrease: no loop.
			 */
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target >= start) {
				*why = "compression pointer not backwards";
				goto bad;
			}
			if (++ptrs > DNS_PTR_MAX) {
				*why = "too many compression pointers";
				goto bad;
			}
			if (!ended) {
				*end = pos + 2;
				ended = 1;
			}
			pos = start = target;
			continue;
		case LABEL_EXT:
			*why = "extended label type (RFC 6891 5)";
			goto bad;
		case LABEL_RESERVED:
			*why = "reserved label type";
			goto bad;
		}
		if (c == 0)
			break;
		/* the label and its length byte, and the root's byte to come */
		wire += 1 + (size_t)c;
		if (wire + 1 > DNS_NAME_WIRE_MAX) {
			*why = "name over 255 bytes";
			goto bad;
		}
		if (len - pos - 1 < c) {
			*why = "label runs past the end";
			goto bad;
		}
		if (wire > 1 + (size_t)c)
			put(&o, ".", 1);
		for (i = 1; i <= c; i++)
			put_byte(&o, msg[pos + i]);
		pos += 1 + (size_t)c;
	}
	if (!ended)
		*end = pos + 1;
	if (wire == 0)
		put(&o, ".", 1);
	if (o.fits)
		o.p[o.len] = '\0';
	else if (name != NULL && namelen > 0)
		name[0] = '\0';
	*fits = o.fits;
	return 0;
bad:
	if (name != NULL && namelen > 0)
		name[0] = '\0';
	return -1;
}

int
dns_mx_query(const uint8_t *msg, size_t len, char *name, size_t namelen,
    const char **why)
{
	const char	*none;
	size_t		 end;
	unsigned	 qtype, qclass;
	int		 fits, rc;

	if (why == NULL)
		why = &none;
	if (len < HDR_LEN) {
		*why = "header cut short";
		rc = -1;
		goto out;
	}
	if (HDR_QR(msg)) {
		*why = "a response";
		rc = 0;
		goto out;
	}
	if (HDR_OPCODE(msg) != 0) {
		*why = "not a standard query";
		rc = 0;
		goto out;
	}
	/* RFC 7873 5.4: a query for a server cookie has no question */
	if (HDR_QDCOUNT(msg) == 0) {
		*why = "no question";
		rc = 0;
		goto out;
	}

	/* RFC 1035 4.1.2: QNAME, QTYPE, QCLASS */
	if (dns_name(msg, len, HDR_LEN, &end, name, namelen, &fits,
	    why) == -1) {
		rc = -1;
		goto out;
	}
	if (len - end < 4) {
		*why = "question cut short";
		rc = -1;
		goto out;
	}
	qtype = (unsigned)msg[end] << 8 | msg[end + 1];
	qclass = (unsigned)msg[end + 2] << 8 | msg[end + 3];
	if (qtype != DNS_MX) {
		*why = "not type MX";
		rc = 0;
	} else if (qclass != DNS_IN) {
		*why = "not class IN";
		rc = 0;
	} else if (!fits) {
		*why = "name longer than its buffer";
		rc = -1;
	} else
		return 1;
out:
	if (name != NULL && namelen > 0)
		name[0] = '\0';
	return rc;
}

void
dns_tcp_init(struct dns_tcp *t)
{
	t->have = 0;
	t->skip = 0;
	t->skipped = 0;
	t->broken = 0;
}

void
dns_tcp_feed(struct dns_tcp *t, const uint8_t *p, size_t n,
    void (*cb)(void *, const uint8_t *, size_t), void *ctx)
{
	size_t	mlen, k;

	while (n > 0 && !t->broken) {
		/* the rest of a message too long to hold, counted off */
		if (t->skip > 0) {
			k = n < t->skip ? n : t->skip;
			t->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		/* RFC 1035 4.2.2: the length, two bytes in network order */
		if (t->have < 2) {
			t->buf[t->have++] = *p++;
			n--;
			if (t->have < 2)
				continue;
			mlen = (size_t)t->buf[0] << 8 | t->buf[1];
			if (mlen > DNS_TCP_MSG_MAX) {
				t->skip = mlen;
				t->skipped++;
				t->have = 0;
				continue;
			}
		} else {
			mlen = (size_t)t->buf[0] << 8 | t->buf[1];
			k = 2 + mlen - t->have;
			if (k > n)
				k = n;
			memcpy(t->buf + t->have, p, k);
			t->have += k;
			p += k;
			n -= k;
		}
		if (t->have == 2 + mlen) {
			/* emptied first: cb may call dns_tcp_gap() */
			t->have = 0;
			cb(ctx, t->buf + 2, mlen);
		}
	}
}

void
dns_tcp_gap(struct dns_tcp *t)
{
	t->broken = 1;
	t->have = 0;
	t->skip = 0;
}
