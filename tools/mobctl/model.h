// SPDX-License-Identifier: GPL-2.0
/*
 * Plain C model of the xfrm_mobility objects and their netlink parsers.
 */
#ifndef _MOBCTL_MODEL_H
#define _MOBCTL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/xfrm_mobility.h>

#include "utils.h"

/* More than a connection can have (one SA per direction); extras are ignored. */
#define MOB_MAX_SA 8

/*
 * The spec counts the NUL in name-max-len, but the generated kernel policy
 * (NLA_NUL_STRING, .len = name-max-len) admits one byte more: accept that.
 */
#define MOB_NAME_SIZE (XFRM_MOBILITY_NAME_MAX_LEN + 1)

/* The "has" masks keep one bit per attribute type of the object's set. */
#define MOB_HAS(obj, attr) (!!((obj)->has & (1u << (attr))))

_Static_assert(XFRM_MOBILITY_A_CONN_MAX < 32, "has mask too small");
_Static_assert(XFRM_MOBILITY_A_SA_MAX < 32, "has mask too small");
_Static_assert(XFRM_MOBILITY_A_STATS_MAX < 32, "has mask too small");
_Static_assert(XFRM_MOBILITY_A_EVENT_MAX < 32, "has mask too small");

/* Integers in host byte order; addresses as in struct in{,6}_addr. */
struct mob_sa {
	uint32_t has;
	uint32_t dir;
	uint32_t spi;
	uint32_t family;
	struct mob_addr saddr;
	struct mob_addr daddr;
	uint32_t encap;
	uint16_t sport;
	uint16_t dport;
	uint64_t oseq;
};

struct mob_stats {
	uint32_t has;
	uint64_t val[XFRM_MOBILITY_A_STATS_MAX + 1];	/* by attribute type */
};

struct mob_conn {
	uint32_t has;
	uint32_t id;
	char name[MOB_NAME_SIZE];
	uint32_t reqid;
	uint32_t mark;
	uint32_t mark_mask;
	uint32_t if_id;
	uint32_t role;
	uint16_t reg_port;
	uint32_t keepalive;
	uint32_t encap_policy;
	uint32_t state;
	struct mob_stats stats;
	uint32_t reg_state;
	uint32_t reg_seq;
	uint32_t nat;
	uint64_t last_move_ns;
	uint32_t next_try_ms;
	unsigned int nsa;
	struct mob_sa sa[MOB_MAX_SA];
};

struct mob_event {
	uint32_t has;
	uint32_t type;
	uint32_t conn_id;
	char conn_name[MOB_NAME_SIZE];
	uint32_t seq;
	uint32_t nat;
	uint32_t error;
	uint64_t time_ns;
	unsigned int nsa;
	struct mob_sa sa[MOB_MAX_SA];
};

/* Parse a conn-get reply or an event-ntf; 0, or -1 with errno set. */
int mob_conn_parse(const struct nlmsghdr *nlh, struct mob_conn *conn);
int mob_event_parse(const struct nlmsghdr *nlh, struct mob_event *event);

/* The connections of a conn-get dump; free v when done. */
struct mob_conn_list {
	struct mob_conn *v;
	size_t n;
	size_t cap;
};

/*
 * Netlink callback (MNL_CB_*) that appends each reply to the
 * struct mob_conn_list @data; set n to 0 before a dump is repeated.
 */
int mob_conn_list_cb(const struct nlmsghdr *nlh, void *data);

/* Names as in the spec; unknown values come back as a decimal number. */
const char *mob_role_str(uint32_t v);
const char *mob_state_str(uint32_t v);
const char *mob_dir_str(uint32_t v);
const char *mob_encap_str(uint32_t v);
const char *mob_reg_state_str(uint32_t v);
const char *mob_event_str(uint32_t v);
const char *mob_family_str(uint32_t v);
const char *mob_conn_attr_str(uint32_t type);
/* Stats attribute name, NULL for pad and unknown types. */
const char *mob_stats_attr_str(uint32_t type);
/* Name of NAT flag bit @bit, NULL if unknown. */
const char *mob_nat_flag_str(unsigned int bit);

#endif /* _MOBCTL_MODEL_H */
