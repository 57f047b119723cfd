/* which hosts to stop: triggers, thresholds, the allow list */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum policy_verdict {
	POLICY_IGNORE,		/* not a trigger event */
	POLICY_BLOCK,		/* block the host now */
	POLICY_ALLOWED,		/* never blocked: allow list, own, special */
	POLICY_ALREADY,		/* blocked before */
	POLICY_THRESHOLD	/* counted, not enough yet */
};

struct policy_conf {
	unsigned	 count;		/* events ... */
	unsigned	 window;	/* ... within this many seconds */
	unsigned	 triggers;	/* policy_trigger() bits */
};

struct policy;

/* where an allow entry came from (policy_allow's fixed) */
#define POLICY_FROM_OPTION	1	/* -a */
#define POLICY_FROM_OWN		2	/* an address of this machine */
#define POLICY_FROM_FILE	3	/* + the line of the allow file */

unsigned	 policy_trigger(const char *);
int		 policy_parse_triggers(const char *, unsigned *);
int		 policy_parse_threshold(const char *, unsigned *, unsigned *);
struct policy	*policy_new(const struct policy_conf *);
void		 policy_free(struct policy *);
int		 policy_allow(struct policy *, const struct cidr *, int);
int		 policy_allow_file(struct policy *, const char *, char *,
		    size_t);
void		 policy_allow_reset(struct policy *);
int		 policy_allowed(const struct policy *, const struct addr *);
int		 policy_allowed_why(const struct policy *, const struct addr *,
		    const char *, char *, size_t);
enum policy_verdict policy_decide(struct policy *, const char *,
		    const struct addr *, int64_t, int);
const char	*policy_reason(enum policy_verdict);

#endif /* POLICY_H */
