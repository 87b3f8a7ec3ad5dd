// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing helpers and iproute2-style usage errors.
 */
#ifndef _MOBCTL_UTILS_H
#define _MOBCTL_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit status of a bad command line; 1 is kept for kernel/netlink errors. */
#define EXIT_USAGE 2

#define NEXT_ARG()						\
	do {							\
		argv++;						\
		if (--argc <= 0)				\
			incomplete_command();			\
	} while (0)

struct mob_addr {
	int family;			/* AF_INET, AF_INET6, or 0: absent */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

int matches(const char *prefix, const char *string);
int get_u32(uint32_t *val, const char *arg);
int get_u16(uint16_t *val, const char *arg);
int get_mark(uint32_t *mark, uint32_t *mask, const char *arg);
int get_addr(struct mob_addr *addr, const char *arg);
/* @a in @buf, or "-" when it has no family (absent). */
const char *addr_str(const struct mob_addr *a, char *buf, size_t len);
int check_conn_name(const char *name, bool for_add);
int check_netns_name(const char *name);

void invarg(const char *msg, const char *arg) __attribute__((noreturn));
void duparg(const char *key, const char *arg) __attribute__((noreturn));
void duparg2(const char *key, const char *arg) __attribute__((noreturn));
void missarg(const char *key) __attribute__((noreturn));
void incomplete_command(void) __attribute__((noreturn));

#endif /* _MOBCTL_UTILS_H */
