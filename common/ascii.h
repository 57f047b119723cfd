/* ASCII by itself, whatever the locale: case and hex digits of protocol text */
#ifndef ASCII_H
#define ASCII_H

#include <stddef.h>

int	 ascii_lower(int);
int	 ascii_hexval(int);
int	 ascii_caseeq(const char *, const char *);
int	 ascii_caseeqn(const void *, const void *, size_t);
int	 ascii_dec(char *, unsigned long long);

#endif /* ASCII_H */
