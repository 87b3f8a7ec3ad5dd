// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing helpers and iproute2-style usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/xfrm_mobility.h>

#include "utils.h"

/* iproute2 semantics: 0 when @prefix is a non-empty prefix of @string. */
int matches(const char *prefix, const char *string)
{
	if (!*prefix)
		return 1;
	while (*string && *prefix == *string) {
		prefix++;
		string++;
	}
	return *prefix;
}

/*
 * Decimal, or hexadecimal with a 0x prefix. Unlike strtoul() with base 0 a
 * leading zero does not mean octal, and signs and blanks are refused.
 */
static int get_unsigned(unsigned long long *val, unsigned long long max,
			const char *arg)
{
	const char *digits = "0123456789";
	unsigned long long v;
	int base = 10;
	char *end;

	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) {
		digits = "0123456789abcdefABCDEF";
		base = 16;
		arg += 2;
	}
	if (!*arg || arg[strspn(arg, digits)])
		return -1;
	errno = 0;
	v = strtoull(arg, &end, base);
	if (errno || *end || v > max)
		return -1;
	*val = v;
	return 0;
}

int get_u32(uint32_t *val, const char *arg)
{
	unsigned long long v;

	if (get_unsigned(&v, UINT32_MAX, arg))
		return -1;
	*val = v;
	return 0;
}

int get_u16(uint16_t *val, const char *arg)
{
	unsigned long long v;

	if (get_unsigned(&v, UINT16_MAX, arg))
		return -1;
	*val = v;
	return 0;
}

/* MARK[/MASK]; as in ip xfrm, a missing mask means an exact match. */
int get_mark(uint32_t *mark, uint32_t *mask, const char *arg)
{
	const char *slash = strchr(arg, '/');
	char buf[32];

	if (!slash) {
		*mask = 0xffffffff;
		return get_u32(mark, arg);
	}
	if ((size_t)(slash - arg) >= sizeof(buf))
		return -1;
	memcpy(buf, arg, slash - arg);
	buf[slash - arg] = '\0';
	if (get_u32(mark, buf) || get_u32(mask, slash + 1))
		return -1;
	return 0;
}

int get_addr(struct mob_addr *addr, const char *arg)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, arg, &addr->u.v4) == 1) {
		addr->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, arg, &addr->u.v6) == 1) {
		addr->family = AF_INET6;
		return 0;
	}
	return -1;
}

const char *addr_str(const struct mob_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, &a->u, buf, len))
		return "-";
	return buf;
}

/*
 * Any name the kernel accepts may be used to select a connection. New names
 * must also survive the whitespace-separated output formats, and "-" is the
 * placeholder for "no name" in dump output.
 */
int check_conn_name(const char *name, bool for_add)
{
	size_t len = strlen(name);
	const unsigned char *p;

	if (!len || len >= XFRM_MOBILITY_NAME_MAX_LEN)
		return -1;
	if (!for_add)
		return 0;
	if (!strcmp(name, "-"))
		return -1;
	for (p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return -1;
	return 0;
}

/* Same rule as iproute2: a name below /run/netns, not a path. */
int check_netns_name(const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -1;
	return 0;
}

void invarg(const char *msg, const char *arg)
{
	fprintf(stderr, "Error: argument \"%s\" is wrong: %s\n", arg, msg);
	exit(EXIT_USAGE);
}

void duparg(const char *key, const char *arg)
{
	fprintf(stderr, "Error: duplicate \"%s\": \"%s\" is the second value.\n",
		key, arg);
	exit(EXIT_USAGE);
}

void duparg2(const char *key, const char *arg)
{
	fprintf(stderr, "Error: either \"%s\" is duplicate, or \"%s\" is a garbage.\n",
		key, arg);
	exit(EXIT_USAGE);
}

void missarg(const char *key)
{
	fprintf(stderr, "Error: argument \"%s\" is required\n", key);
	exit(EXIT_USAGE);
}

void incomplete_command(void)
{
	fprintf(stderr, "Command line is not complete. Try option \"help\"\n");
	exit(EXIT_USAGE);
}
