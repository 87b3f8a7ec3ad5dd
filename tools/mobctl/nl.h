// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink transport for the xfrm_mobility family (libmnl).
 */
#ifndef _MOBCTL_NL_H
#define _MOBCTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>

struct nl;

/* Called for each reply or notification of the family; returns MNL_CB_*. */
typedef int (*nl_cb_t)(const struct nlmsghdr *nlh, void *data);

/*
 * Enter network namespace @netns (if not NULL), open the socket and resolve
 * the family and its multicast groups. Prints why on failure.
 */
struct nl *nl_open(const char *netns);
void nl_close(struct nl *nl);

/* Start a request for @cmd in the socket's send buffer; add NLM_F_* @flags. */
struct nlmsghdr *nl_msg(struct nl *nl, uint8_t cmd, uint16_t flags);

/*
 * Send @nlh and process replies until the ACK or NLMSG_DONE. On a kernel
 * error the extack message is printed ("Error: ...") and -1 is returned
 * with errno set; nl_perror() then adds the errno text.
 */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, nl_cb_t cb, void *data);

/* Whether the last dump reported NLM_F_DUMP_INTR (changed while dumping). */
bool nl_dump_interrupted(const struct nl *nl);

/* Subscribe to the "events" group; -1 with errno set on failure. */
int nl_join_events(struct nl *nl);
int nl_fd(const struct nl *nl);
/* Read one datagram of notifications and pass them to @cb. */
int nl_recv(struct nl *nl, nl_cb_t cb, void *data);

/* "mobctl: @what: <strerror(errno)>" */
void nl_perror(const char *what);

#endif /* _MOBCTL_NL_H */
