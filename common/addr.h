/* numeric IPv4/IPv6 addresses, prefixes and host:port, as written in event lines */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>
#include <stdint.h>

struct addr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		a[16];		/* network order; v4 uses a[0..3] */
};

struct cidr {
	struct addr	addr;		/* host bits cleared */
	int		plen;
};

int	 addr_parse(const char *, struct addr *);
int	 addr_parse_hostport(const char *, size_t, struct addr *, uint16_t *);
int	 addr_fmt(const struct addr *, char *, size_t);
int	 addr_fmt_hostport(const struct addr *, uint16_t, char *, size_t);
int	 addr_norm(const struct addr *, struct addr *);
int	 addr_eq(const struct addr *, const struct addr *);
int	 cidr_parse(const char *, struct cidr *);
int	 cidr_match(const struct cidr *, const struct addr *);
int	 addr_special(const struct addr *);
void	 addr_unmap(const struct addr *, struct addr *);
void	 cidr_unmap(struct cidr *);

#define ADDR_STRLEN	46	/* INET6_ADDRSTRLEN */
#define HOSTPORT_STRLEN	(ADDR_STRLEN + 8)

#endif /* ADDR_H */
