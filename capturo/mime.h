/* message header fields: find one, decode Subject (RFC 2047), Message-ID */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Find the first header field called name (case-insensitive, RFC 5322
 * 2.2) in the header block hdr (the bytes from the start of the message
 * up to, not including, the empty line; lines end in CRLF or bare LF).
 * On success set *val and *vlen to the raw field body (after the colon,
 * still folded, without the final line break) and return 0; -1 if absent.
 */
int	mime_header(const uint8_t *hdr, size_t len, const char *name,
	    const uint8_t **val, size_t *vlen);

/*
 * Decode a Subject field body into UTF-8 in out (outsz bytes, always
 * NUL-terminated when outsz > 0): unfold, trim white space and decode
 * RFC 2047 encoded-words through iconv(3).  Unknown charsets and
 * malformed encoded-words stay as raw text; raw bytes are copied as
 * they are.  When the result does not fit it is cut at a UTF-8
 * character boundary and *cut is set to 1 (else 0; cut may be NULL).
 * Returns the length written, which may include NUL bytes decoded
 * from =00.  Not reentrant: converters are kept in a static cache.
 */
size_t	mime_subject(const uint8_t *val, size_t vlen, char *out,
	    size_t outsz, int *cut);

/*
 * Message-ID (RFC 5322 3.6.4): unfold, drop the CFWS around it and
 * return the msg-id with its angle brackets when present; same cut
 * rule as mime_subject().
 */
size_t	mime_msgid(const uint8_t *val, size_t vlen, char *out,
	    size_t outsz, int *cut);

long	mime_b64(const uint8_t *, size_t, uint8_t *, size_t);

#endif /* MIME_H */
