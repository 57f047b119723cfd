/* the -p list of both programs: TCP ports, comma separated */
#ifndef PORTS_H
#define PORTS_H

#include <stdint.h>

int	 ports_parse(const char *, uint16_t *, int);
void	 ports_usage(const char *, const char *, int);

#endif /* PORTS_H */
