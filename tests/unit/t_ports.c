/* unit tests of the -p list that capturo and detengo share */
#include <stdint.h>

#include "ports.h"
#include "tap.h"

/* the list s as ports_parse() reads it, "-1" when refused */
static const char *
list(const char *s, int max)
{
	static char	 out[512];
	uint16_t	 p[64];
	int		 n, i, r = 0;

	if ((n = ports_parse(s, p, max)) == -1)
		return "-1";
	out[0] = '\0';
	for (i = 0; i < n; i++)
		r += snprintf(out + r, sizeof(out) - (size_t)r, "%s%u",
		    i ? "," : "", p[i]);
	return out;
}

int
main(void)
{
	static const char *bad[] = {
		"", ",", ",25", "25,", ",25,", "25,,587", " 25", "25 ",
		"+25", "-25", "0", "00", "65536", "99999999999999999999",
		"25;587", "25, 587", "0x19", "25,25", "587,25,587", "2a",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_str(list(bad[i], 16), "-1", "'%s' refused", bad[i]);
	is_str(list("25", 16), "25", "one port");
	is_str(list("25,587", 16), "25,587", "two ports, in order");
	is_str(list("025,587,2525", 16), "25,587,2525", "leading zeros");
	is_str(list("1,65535", 16), "1,65535", "the ends of the range");
	is_str(list("1,2,3", 3), "1,2,3", "max ports taken");
	is_str(list("1,2,3,4", 3), "-1", "max + 1 ports refused");
	return tap_done();
}
