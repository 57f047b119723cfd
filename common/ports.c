/* the -p list of both programs: one parser, one error message */
#include <stdio.h>

#include "ports.h"

/*
 * Decimal digits only, each port once, from 1 to 65535, at most max of
 * them.  strtol(3) alone would take a sign and leading blanks, and
 * strtok_r(3) would skip empty fields (",25,", "25,,587").  Returns
 * the number of ports, or -1.
 */
int
ports_parse(const char *s, uint16_t *ports, int max)
{
	long	 v;
	int	 n = 0, i;

	for (;;) {
		if (*s < '0' || *s > '9' || n == max)
			return -1;
		for (v = 0; *s >= '0' && *s <= '9'; s++)
			if ((v = v * 10 + (*s - '0')) > 65535)
				return -1;
		if (v < 1)
			return -1;
		for (i = 0; i < n; i++)
			if (ports[i] == v)
				return -1;
		ports[n++] = (uint16_t)v;
		if (*s == '\0')
			return n;
		if (*s++ != ',')
			return -1;
	}
}

void
ports_usage(const char *prog, const char *arg, int max)
{
	fprintf(stderr, "%s: -p takes up to %d ports from 1 to 65535, each "
	    "once, separated by commas: %s\n", prog, max, arg);
}
