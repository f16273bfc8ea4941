/*
 * Copyright (c) 2026 The xmppd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * What HTTP handlers parse beyond the request itself: percent escapes,
 * dates, ranges; and the reason phrases of statuses.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* http_parser.h names an enum as http.h does: its own is renamed. */
#define http_method	http_parser_method
#include <http_parser.h>
#undef http_method

#include "http.h"

const char *
http_reason(int status)
{
	const char	*s;

	s = http_status_str((enum http_status)status);
	return (strcmp(s, "<unknown>") == 0 ? "Unknown" : s);
}

static int
http_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'a' && ch <= 'f')
		return (ch - 'a' + 10);
	if (ch >= 'A' && ch <= 'F')
		return (ch - 'A' + 10);
	return (-1);
}

int
http_pct_decode(const char *s, size_t len, char *dst, size_t size)
{
	size_t	 i, o = 0;
	int	 ch, hi, lo;

	if (size == 0 || len >= INT32_MAX)
		return (-1);
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '%') {
			if (len - i < 3 || (hi = http_hex(s[i + 1])) == -1 ||
			    (lo = http_hex(s[i + 2])) == -1)
				return (-1);
			ch = hi << 4 | lo;
			i += 2;
		}
		if (ch == '\0' || ch == '/' || o + 1 >= size)
			return (-1);
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return (o);
}

int
http_date_format(time_t t, char *buf, size_t size)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char	*months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;
	int			 n;

	if (gmtime_r(&t, &tm) == NULL)
		return (-1);
	n = snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

/* The three forms a recipient must accept (RFC 9110 section 5.6.7). */
int
http_date_parse(const char *s, time_t *t)
{
	static const char	*forms[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* RFC 850 */
		"%a %b %e %H:%M:%S %Y",		/* asctime() */
	};
	struct tm		 tm;
	const char		*end;
	size_t			 i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (end != NULL && *end == '\0') {
			*t = timegm(&tm);
			return (0);
		}
	}
	return (-1);
}

/* Decimal digits from s to end, nothing else; -1 if none or too big. */
static int
http_digits(const char *s, const char *end, int64_t *v)
{
	if (s == end)
		return (-1);
	for (*v = 0; s < end; s++) {
		if (*s < '0' || *s > '9' || *v > (INT64_MAX - 9) / 10)
			return (-1);
		*v = *v * 10 + (*s - '0');
	}
	return (0);
}

int
http_range(const char *value, int64_t size, int64_t *first, int64_t *last)
{
	const char	*set, *dash, *end;
	int64_t		 a, b = -1;

	if (size < 0 || strncasecmp(value, "bytes=", 6) != 0)
		return (1);
	set = value + 6;
	end = set + strlen(set);
	if (strchr(set, ',') != NULL || (dash = strchr(set, '-')) == NULL)
		return (1);
	if (dash == set) {
		if (http_digits(dash + 1, end, &b) == -1)
			return (1);
		if (b == 0 || size == 0)
			return (-1);
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return (0);
	}
	if (http_digits(set, dash, &a) == -1 ||
	    (dash + 1 != end && http_digits(dash + 1, end, &b) == -1) ||
	    (b != -1 && b < a))
		return (1);
	if (a >= size)
		return (-1);
	*first = a;
	*last = (b == -1 || b >= size) ? size - 1 : b;
	return (0);
}
