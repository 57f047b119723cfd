/* the event line: one writer and one parser, shared by capturo and detengo (capturo-events(5)) */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/* a field of a parsed line; val is NUL-terminated but may also hold NULs */
struct ev_field {
	char		 key[EVENT_KEY_MAX];
	const char	*val;
	size_t		 len;
};

/* a parsed line: all or nothing */
struct ev_rec {
	int64_t		 sec;		/* packet time, UTC */
	uint32_t	 usec;
	char		 name[EVENT_NAME_MAX];
	int		 nfields;
	struct ev_field	 f[EVENT_FIELDS_MAX];
	char		 store[EVENT_LINE_MAX + EVENT_FIELDS_MAX];
};

/* a line being written; values are referenced until event_end() */
struct ev_buf {
	int64_t		 sec;
	uint32_t	 usec;
	const char	*name;
	int		 nfields;
	int		 cut;		/* a value was cut by its producer */
	int		 overflow;	/* more fields than EVENT_FIELDS_MAX */
	struct {
		const char	*key;
		const char	*val;
		size_t		 len;
		char		 num[24];
	} f[EVENT_FIELDS_MAX];
	char		 line[EVENT_LINE_MAX + 1];
};

void		 event_begin(struct ev_buf *, int64_t, uint32_t, const char *);
void		 event_add(struct ev_buf *, const char *, const void *, size_t);
void		 event_adds(struct ev_buf *, const char *, const char *);
void		 event_addu(struct ev_buf *, const char *, unsigned long long);
void		 event_addx(struct ev_buf *, const char *, uint32_t);
void		 event_cut(struct ev_buf *);
const char	*event_end(struct ev_buf *, size_t *);

/* event_parse() returns 0, -1 (malformed) or EV_UNKNOWN (an event it does not know) */
#define EV_UNKNOWN	(-2)

int		 event_parse(const char *, size_t, struct ev_rec *,
		    const char **);
const char	*event_get(const struct ev_rec *, const char *, size_t *);
int		 event_known(const char *);
int		 event_json(const struct ev_rec *, char *, size_t);
/*
 * A time as the lines write it, UTC: "2026-03-03T16:45:44Z", or with
 * ms from 0 to 999 "2026-03-03T16:45:44.125Z".  Its length, or 0 and
 * "" for a year outside 0 to 9999 or a buffer too small.
 */
size_t		 event_utc(int64_t, int, char *, size_t);

#endif /* EVENT_H */
