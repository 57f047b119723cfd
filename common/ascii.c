/*
 * ASCII by itself: protocol keywords (header names, charset names,
 * hex escapes, SMTP verbs) are compared and read the same whatever
 * the locale, and bytes above 0x7f are never letters.
 */
#include <stdint.h>

#include "ascii.h"

/* 'A'..'Z' to 'a'..'z', any other value as it is */
int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* the value of a hex digit, either case; -1 for any other byte */
int
ascii_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* two strings equal but for the case of their letters */
int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower((unsigned char)*a) !=
		    ascii_lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* the same for n bytes, NULs included */
int
ascii_caseeqn(const void *a, const void *b, size_t n)
{
	const uint8_t	*x = a, *y = b;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (ascii_lower(x[i]) != ascii_lower(y[i]))
			return 0;
	return 1;
}

/*
 * "%llu" without printf's machinery, for numbers written by the
 * thousand: out gets the digits and a NUL (21 bytes at most); returns
 * the number of digits.
 */
int
ascii_dec(char *out, unsigned long long v)
{
	char	 tmp[24];
	int	 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}
