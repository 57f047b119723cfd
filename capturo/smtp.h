/* the SMTP dialogue of one connection, both directions, as events (RFC 5321, 3030, 3207, 4954) */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>
#include <stdint.h>

enum smtp_evtype {
	SMTP_EV_HELO,		/* verb, arg = name */
	SMTP_EV_AUTH,		/* verb = mechanism, arg = user or NULL */
	SMTP_EV_STARTTLS,	/* reply */
	SMTP_EV_MAIL,		/* arg = reverse-path, "" for <> */
	SMTP_EV_RCPT,		/* arg = forward-path */
	SMTP_EV_MESSAGE,	/* arg = subject or NULL, arg2 = msgid or NULL,
				   size, rcpts, reply */
	SMTP_EV_REFUSED,	/* verb = "MAIL" or "RCPT", arg = its path or
				   NULL when not kept, reply */
	SMTP_EV_UNHEARD		/* pending: MAIL and RCPT left unanswered */
};

struct smtp_event {
	enum smtp_evtype type;
	const char	*verb;
	const char	*arg;		/* NULL: absent */
	size_t		 arglen;
	const char	*arg2;
	size_t		 arg2len;
	uint64_t	 size;
	unsigned	 rcpts;
	int		 reply;		/* the server's reply code, 0: not seen */
	const char	*text;		/* SMTP_EV_REFUSED: the reply's lines */
	size_t		 textlen;
	unsigned	 pending;
	int		 cut;		/* a value was cut at a limit */
};

/* memory held by all connections' parsers together */
struct smtp_mem {
	size_t		 used, max;
};
/* n bytes within the budget (NULL: none), or NULL; and given back */
void		*smtp_mem_get(struct smtp_mem *, size_t);
void		 smtp_mem_put(struct smtp_mem *, void *, size_t);

enum smtp_dir { SMTP_CLIENT, SMTP_SERVER };

struct smtp;
typedef void	 smtp_emit_fn(void *, const struct smtp_event *);

struct smtp	*smtp_new(struct smtp_mem *, smtp_emit_fn *, void *);
void		 smtp_free(struct smtp *);
void		 smtp_packet(struct smtp *);
void		 smtp_peer(struct smtp *);
void		 smtp_data(struct smtp *, enum smtp_dir, const uint8_t *, size_t);
void		 smtp_gap(struct smtp *, enum smtp_dir, size_t);
void		 smtp_midstream(struct smtp *);
void		 smtp_end(struct smtp *);
unsigned	 smtp_msgs(const struct smtp *);
int		 smtp_tls(const struct smtp *);

#endif /* SMTP_H */
