// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/xfrm_mobility.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/xfrm_mobility.h>

/* XFRM_MOBILITY_CMD_CONN_ADD - do */
static const struct nla_policy xfrm_mobility_conn_add_nl_policy[XFRM_MOBILITY_A_CONN_ENCAP_POLICY + 1] = {
	[XFRM_MOBILITY_A_CONN_NAME] = { .type = NLA_NUL_STRING, .len = XFRM_MOBILITY_NAME_MAX_LEN, },
	[XFRM_MOBILITY_A_CONN_REQID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XFRM_MOBILITY_A_CONN_MARK] = { .type = NLA_U32, },
	[XFRM_MOBILITY_A_CONN_MARK_MASK] = { .type = NLA_U32, },
	[XFRM_MOBILITY_A_CONN_IF_ID] = { .type = NLA_U32, },
	[XFRM_MOBILITY_A_CONN_ROLE] = NLA_POLICY_MAX(NLA_U32, 1),
	[XFRM_MOBILITY_A_CONN_REG_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[XFRM_MOBILITY_A_CONN_KEEPALIVE] = NLA_POLICY_MAX(NLA_U32, 3600),
	[XFRM_MOBILITY_A_CONN_ENCAP_POLICY] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* XFRM_MOBILITY_CMD_CONN_DEL - do */
static const struct nla_policy xfrm_mobility_conn_del_nl_policy[XFRM_MOBILITY_A_CONN_NAME + 1] = {
	[XFRM_MOBILITY_A_CONN_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XFRM_MOBILITY_A_CONN_NAME] = { .type = NLA_NUL_STRING, .len = XFRM_MOBILITY_NAME_MAX_LEN, },
};

/* XFRM_MOBILITY_CMD_CONN_GET - dump */
static const struct nla_policy xfrm_mobility_conn_get_nl_policy[XFRM_MOBILITY_A_CONN_NAME + 1] = {
	[XFRM_MOBILITY_A_CONN_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XFRM_MOBILITY_A_CONN_NAME] = { .type = NLA_NUL_STRING, .len = XFRM_MOBILITY_NAME_MAX_LEN, },
};

/* XFRM_MOBILITY_CMD_HANDOVER - do */
static const struct nla_policy xfrm_mobility_handover_nl_policy[XFRM_MOBILITY_A_CONN_LOCAL_IPV6 + 1] = {
	[XFRM_MOBILITY_A_CONN_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XFRM_MOBILITY_A_CONN_NAME] = { .type = NLA_NUL_STRING, .len = XFRM_MOBILITY_NAME_MAX_LEN, },
	[XFRM_MOBILITY_A_CONN_LOCAL_IPV4] = { .type = NLA_U32, },
	[XFRM_MOBILITY_A_CONN_LOCAL_IPV6] = NLA_POLICY_EXACT_LEN(16),
};

/* Ops table for xfrm_mobility */
static const struct genl_split_ops xfrm_mobility_nl_ops[] = {
	{
		.cmd		= XFRM_MOBILITY_CMD_CONN_ADD,
		.doit		= xfrm_mobility_nl_conn_add_doit,
		.policy		= xfrm_mobility_conn_add_nl_policy,
		.maxattr	= XFRM_MOBILITY_A_CONN_ENCAP_POLICY,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= XFRM_MOBILITY_CMD_CONN_DEL,
		.doit		= xfrm_mobility_nl_conn_del_doit,
		.policy		= xfrm_mobility_conn_del_nl_policy,
		.maxattr	= XFRM_MOBILITY_A_CONN_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= XFRM_MOBILITY_CMD_CONN_GET,
		.dumpit		= xfrm_mobility_nl_conn_get_dumpit,
		.policy		= xfrm_mobility_conn_get_nl_policy,
		.maxattr	= XFRM_MOBILITY_A_CONN_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= XFRM_MOBILITY_CMD_HANDOVER,
		.doit		= xfrm_mobility_nl_handover_doit,
		.policy		= xfrm_mobility_handover_nl_policy,
		.maxattr	= XFRM_MOBILITY_A_CONN_LOCAL_IPV6,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group xfrm_mobility_nl_mcgrps[] = {
	[XFRM_MOBILITY_NLGRP_EVENTS] = { "events", .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

struct genl_family xfrm_mobility_nl_family __ro_after_init = {
	.name		= XFRM_MOBILITY_FAMILY_NAME,
	.version	= XFRM_MOBILITY_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= xfrm_mobility_nl_ops,
	.n_split_ops	= ARRAY_SIZE(xfrm_mobility_nl_ops),
	.mcgrps		= xfrm_mobility_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(xfrm_mobility_nl_mcgrps),
};
