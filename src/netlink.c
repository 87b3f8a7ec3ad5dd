// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: generic netlink request handlers.
 *
 * Policies and the ops table are generated from
 * Documentation/netlink/specs/xfrm_mobility.yaml (netlink-gen.c); this
 * file implements the request handlers; events are sent by event.c. Every
 * request runs with CAP_NET_ADMIN (GENL_ADMIN_PERM) in the sender's netns,
 * and touches only that netns.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/udp.h>

#include "conn.h"
#include "event.h"
#include "mobile.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "reg.h"
#include "sa.h"

static const u16 xm_stat_attr[XM_STAT_MAX] = {
	[XM_STAT_RREQ_TX] = XFRM_MOBILITY_A_STATS_RREQ_TX,
	[XM_STAT_RREQ_RX] = XFRM_MOBILITY_A_STATS_RREQ_RX,
	[XM_STAT_RREP_TX] = XFRM_MOBILITY_A_STATS_RREP_TX,
	[XM_STAT_RREP_RX] = XFRM_MOBILITY_A_STATS_RREP_RX,
	[XM_STAT_RETRANSMITS] = XFRM_MOBILITY_A_STATS_RETRANSMITS,
	[XM_STAT_MOVES] = XFRM_MOBILITY_A_STATS_MOVES,
	[XM_STAT_DROP_MALFORMED] = XFRM_MOBILITY_A_STATS_DROP_MALFORMED,
	[XM_STAT_DROP_STALE] = XFRM_MOBILITY_A_STATS_DROP_STALE,
	[XM_STAT_DROP_UNEXPECTED] = XFRM_MOBILITY_A_STATS_DROP_UNEXPECTED,
	[XM_STAT_DROP_WRONG_CONN] = XFRM_MOBILITY_A_STATS_DROP_WRONG_CONN,
	[XM_STAT_DROP_NO_TUPLE] = XFRM_MOBILITY_A_STATS_DROP_NO_TUPLE,
	[XM_STAT_TX_ERRORS] = XFRM_MOBILITY_A_STATS_TX_ERRORS,
	[XM_STAT_KEEPALIVES] = XFRM_MOBILITY_A_STATS_KEEPALIVES,
	[XM_STAT_PROBES] = XFRM_MOBILITY_A_STATS_PROBES,
	[XM_STAT_FALLBACKS] = XFRM_MOBILITY_A_STATS_FALLBACKS,
	[XM_STAT_DUPLICATES] = XFRM_MOBILITY_A_STATS_DUPLICATES,
	[XM_STAT_REBINDINGS] = XFRM_MOBILITY_A_STATS_REBINDINGS,
	[XM_STAT_DROP_RATE_LIMITED] = XFRM_MOBILITY_A_STATS_DROP_RATE_LIMITED,
	[XM_STAT_CHALLENGES] = XFRM_MOBILITY_A_STATS_CHALLENGES,
	[XM_STAT_VALIDATIONS] = XFRM_MOBILITY_A_STATS_VALIDATIONS,
	[XM_STAT_REVERTS] = XFRM_MOBILITY_A_STATS_REVERTS,
	[XM_STAT_AMPLIFICATION_DROPS] = XFRM_MOBILITY_A_STATS_AMPLIFICATION_DROPS,
	[XM_STAT_ECHOES] = XFRM_MOBILITY_A_STATS_ECHOES,
	[XM_STAT_PATH_FAILURES] = XFRM_MOBILITY_A_STATS_PATH_FAILURES,
};

/*
 * Milliseconds until a mobile host sends its outstanding request again;
 * nothing when no registration is pending or failed.
 */
static int put_next_try(struct sk_buff *skb, struct xm_conn *conn)
{
	long left;

	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE ||
	    (conn->reg_state != XFRM_MOBILITY_REG_STATE_PENDING &&
	     conn->reg_state != XFRM_MOBILITY_REG_STATE_FAILED) ||
	    !conn->mob.next_try)
		return 0;
	left = (long)(conn->mob.next_try - jiffies);
	return nla_put_u32(skb, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS,
			   left > 0 ? jiffies_to_msecs(left) : 0);
}

static int put_stats(struct sk_buff *skb, struct xm_conn *conn)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, XFRM_MOBILITY_A_CONN_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < XM_STAT_MAX; i++) {
		if (nla_put_u64_64bit(skb, xm_stat_attr[i],
				      atomic64_read(&conn->stats[i]),
				      XFRM_MOBILITY_A_STATS_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Context: &xm_net.lock held. */
static int fill_conn(struct sk_buff *skb, struct xm_conn *conn,
		     enum xfrm_mobility_conn_state state)
{
	lockdep_assert_held(&conn->xn->lock);

	if (nla_put_u32(skb, XFRM_MOBILITY_A_CONN_ID, conn->id) ||
	    (conn->name[0] &&
	     nla_put_string(skb, XFRM_MOBILITY_A_CONN_NAME, conn->name)) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_REQID, conn->reqid) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_MARK, conn->mark.v) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_MARK_MASK, conn->mark.m) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_IF_ID, conn->if_id) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_ROLE, conn->role) ||
	    nla_put_u16(skb, XFRM_MOBILITY_A_CONN_REG_PORT, conn->reg_port) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_KEEPALIVE, conn->keepalive) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_ENCAP_POLICY,
			conn->encap_policy) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_STATE, state) ||
	    xm_event_put_sas(skb, XFRM_MOBILITY_A_CONN_SA, conn) ||
	    put_stats(skb, conn) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_REG_STATE, conn->reg_state) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_REG_SEQ,
			conn->role == XFRM_MOBILITY_ROLE_MOBILE ?
			conn->mob.tx_seq : conn->gw.rx_seq) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_CONN_NAT, conn->nat) ||
	    nla_put_u64_64bit(skb, XFRM_MOBILITY_A_CONN_LAST_MOVE_NS,
			      conn->last_move_ns, XFRM_MOBILITY_A_CONN_PAD) ||
	    put_next_try(skb, conn))
		return -EMSGSIZE;
	return 0;
}

int xfrm_mobility_nl_conn_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xm_net *xn = xm_net(genl_info_net(info));
	struct nlattr **attrs = info->attrs;
	struct xm_conn cfg = {}, *conn;
	struct sk_buff *reply;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, XFRM_MOBILITY_A_CONN_REQID))
		return -EINVAL;

	cfg.reqid = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_REQID]);
	if (attrs[XFRM_MOBILITY_A_CONN_NAME] &&
	    nla_strscpy(cfg.name, attrs[XFRM_MOBILITY_A_CONN_NAME],
			sizeof(cfg.name)) < 0) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    attrs[XFRM_MOBILITY_A_CONN_NAME],
				    "name too long");
		return -E2BIG;
	}
	if (attrs[XFRM_MOBILITY_A_CONN_MARK])
		cfg.mark.v = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_MARK]);
	if (attrs[XFRM_MOBILITY_A_CONN_MARK_MASK])
		cfg.mark.m = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_MARK_MASK]);
	if (cfg.mark.v & ~cfg.mark.m) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    attrs[XFRM_MOBILITY_A_CONN_MARK],
				    "mark has bits outside the mark mask");
		return -EINVAL;
	}
	if (attrs[XFRM_MOBILITY_A_CONN_IF_ID])
		cfg.if_id = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_IF_ID]);
	cfg.role = XFRM_MOBILITY_ROLE_MOBILE;
	if (attrs[XFRM_MOBILITY_A_CONN_ROLE])
		cfg.role = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_ROLE]);
	cfg.keepalive = XM_KEEPALIVE_DEFAULT;
	if (attrs[XFRM_MOBILITY_A_CONN_KEEPALIVE])
		cfg.keepalive = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_KEEPALIVE]);
	cfg.encap_policy = XFRM_MOBILITY_ENCAP_POLICY_AUTO;
	if (attrs[XFRM_MOBILITY_A_CONN_ENCAP_POLICY])
		cfg.encap_policy =
			nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_ENCAP_POLICY]);
	cfg.reg_port = XFRM_MOBILITY_DEFAULT_REG_PORT;
	if (attrs[XFRM_MOBILITY_A_CONN_REG_PORT])
		cfg.reg_port = nla_get_u16(attrs[XFRM_MOBILITY_A_CONN_REG_PORT]);

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &xfrm_mobility_nl_family, 0,
				info->genlhdr->cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}

	mutex_lock(&xn->lock);
	conn = xm_conn_create(xn, &cfg, info->extack);
	if (IS_ERR(conn)) {
		mutex_unlock(&xn->lock);
		err = PTR_ERR(conn);
		goto err_free;
	}
	xm_reg_conn_start(conn);
	if (nla_put_u32(reply, XFRM_MOBILITY_A_CONN_ID, conn->id)) {
		xm_conn_remove(conn);
		mutex_unlock(&xn->lock);
		xm_reg_conn_release(conn);
		err = -EMSGSIZE;
		goto err_free;
	}
	xm_event_conn_add(conn);
	mutex_unlock(&xn->lock);

	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

/* Context: &xm_net.lock held. */
static struct xm_conn *conn_from_attrs(struct xm_net *xn,
				       struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	const char *name = NULL;
	struct xm_conn *conn;
	u32 id = 0;

	lockdep_assert_held(&xn->lock);

	if (!attrs[XFRM_MOBILITY_A_CONN_ID] && !attrs[XFRM_MOBILITY_A_CONN_NAME]) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "connection id or name is required");
		return ERR_PTR(-EINVAL);
	}
	if (attrs[XFRM_MOBILITY_A_CONN_ID])
		id = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_ID]);
	if (attrs[XFRM_MOBILITY_A_CONN_NAME])
		name = nla_data(attrs[XFRM_MOBILITY_A_CONN_NAME]);

	conn = xm_conn_find(xn, id, name);
	if (!conn) {
		NL_SET_BAD_ATTR(info->extack, attrs[XFRM_MOBILITY_A_CONN_ID] ?:
				attrs[XFRM_MOBILITY_A_CONN_NAME]);
		NL_SET_ERR_MSG_MOD(info->extack, "no such connection");
		return ERR_PTR(-ENOENT);
	}
	return conn;
}

int xfrm_mobility_nl_conn_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xm_net *xn = xm_net(genl_info_net(info));
	struct xm_conn *conn;
	int err = 0;

	mutex_lock(&xn->lock);
	conn = conn_from_attrs(xn, info);
	if (IS_ERR(conn)) {
		err = PTR_ERR(conn);
		goto out;
	}
	xm_event_conn_del(conn);
	xm_conn_remove(conn);
	mutex_unlock(&xn->lock);
	xm_reg_conn_release(conn);
	return 0;
out:
	mutex_unlock(&xn->lock);
	return err;
}

int xfrm_mobility_nl_conn_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct xm_net *xn = xm_net(sock_net(skb->sk));
	struct nlattr **attrs = xm_dump_attrs(cb);
	const char *name = NULL;
	struct xm_conn *conn;
	unsigned long index;
	u32 id = 0;
	int err = 0;

	if (attrs[XFRM_MOBILITY_A_CONN_ID])
		id = nla_get_u32(attrs[XFRM_MOBILITY_A_CONN_ID]);
	if (attrs[XFRM_MOBILITY_A_CONN_NAME])
		name = nla_data(attrs[XFRM_MOBILITY_A_CONN_NAME]);

	/* cb->args[0] is the first id not dumped yet. */
	mutex_lock(&xn->lock);
	xa_for_each_start(&xn->conns, index, conn, cb->args[0]) {
		enum xfrm_mobility_conn_state state;
		void *hdr;

		if ((id && conn->id != id) || (name && strcmp(conn->name, name))) {
			cb->args[0] = index + 1;
			continue;
		}

		state = xm_sa_check(conn);
		xm_conn_index_spi(conn);
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &xfrm_mobility_nl_family,
				  NLM_F_MULTI, XFRM_MOBILITY_CMD_CONN_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		if (fill_conn(skb, conn, state)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = index + 1;
	}
	mutex_unlock(&xn->lock);

	/* A full message is continued in the next call; 0 ends the dump. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

int xfrm_mobility_nl_handover_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xm_net *xn = xm_net(genl_info_net(info));
	struct nlattr **attrs = info->attrs;
	xfrm_address_t local = {}, *plocal = NULL;
	struct xm_conn *conn;
	int err;

	if (attrs[XFRM_MOBILITY_A_CONN_LOCAL_IPV6]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    attrs[XFRM_MOBILITY_A_CONN_LOCAL_IPV6],
				    "IPv6 outer addresses are not supported yet");
		return -EAFNOSUPPORT;
	}
	if (attrs[XFRM_MOBILITY_A_CONN_LOCAL_IPV4]) {
		local.a4 = nla_get_in_addr(attrs[XFRM_MOBILITY_A_CONN_LOCAL_IPV4]);
		if (ipv4_is_zeronet(local.a4) || ipv4_is_multicast(local.a4) ||
		    ipv4_is_lbcast(local.a4)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    attrs[XFRM_MOBILITY_A_CONN_LOCAL_IPV4],
					    "not a unicast address");
			return -EINVAL;
		}
		plocal = &local;
	}

	mutex_lock(&xn->lock);
	conn = conn_from_attrs(xn, info);
	if (IS_ERR(conn))
		err = PTR_ERR(conn);
	else
		err = xm_mobile_handover(conn, plocal, info->extack);
	mutex_unlock(&xn->lock);
	return err;
}

/**
 * xm_netlink_init() - register the generic netlink family
 *
 * Return: 0 or a negative errno.
 */
int xm_netlink_init(void)
{
	return genl_register_family(&xfrm_mobility_nl_family);
}

/**
 * xm_netlink_uninit() - unregister the generic netlink family
 *
 * On return no handler runs any more and none will start.
 */
void xm_netlink_uninit(void)
{
	genl_unregister_family(&xfrm_mobility_nl_family);
}
