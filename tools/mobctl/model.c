// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink attributes to the plain C model. Every attribute is checked with
 * mnl_attr_validate() before use; attribute types this version does not
 * know are skipped so that newer kernels keep working.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "model.h"

struct attr_policy {
	enum mnl_attr_data_type type;	/* MNL_TYPE_UNSPEC: ignored (pad) */
	uint16_t len;			/* exact length, binary only */
	uint16_t max_len;		/* with NUL, strings only */
	bool multi;			/* handed to the multi callback */
};

#define POL(t)		{ .type = MNL_TYPE_##t }
#define POL_BINARY(l)	{ .type = MNL_TYPE_BINARY, .len = (l) }
#define POL_STRING(m)	{ .type = MNL_TYPE_NUL_STRING, .max_len = (m) }
#define POL_MULTI_NEST	{ .type = MNL_TYPE_NESTED, .multi = true }

struct attr_table {
	const char *set;
	const struct attr_policy *policy;
	unsigned int max;
	const struct nlattr **tb;
	int (*multi)(const struct nlattr *attr, void *priv);
	void *priv;
};

static const struct attr_policy sa_policy[XFRM_MOBILITY_A_SA_MAX + 1] = {
	[XFRM_MOBILITY_A_SA_DIR]		= POL(U32),
	[XFRM_MOBILITY_A_SA_SPI]		= POL(U32),
	[XFRM_MOBILITY_A_SA_FAMILY]		= POL(U32),
	[XFRM_MOBILITY_A_SA_SADDR_IPV4]		= POL(U32),
	[XFRM_MOBILITY_A_SA_SADDR_IPV6]		= POL_BINARY(16),
	[XFRM_MOBILITY_A_SA_DADDR_IPV4]		= POL(U32),
	[XFRM_MOBILITY_A_SA_DADDR_IPV6]		= POL_BINARY(16),
	[XFRM_MOBILITY_A_SA_ENCAP]		= POL(U32),
	[XFRM_MOBILITY_A_SA_ENCAP_SPORT]	= POL(U16),
	[XFRM_MOBILITY_A_SA_ENCAP_DPORT]	= POL(U16),
	[XFRM_MOBILITY_A_SA_OSEQ]		= POL(U64),
};

static const struct attr_policy stats_policy[XFRM_MOBILITY_A_STATS_MAX + 1] = {
	/* Not the pad in between: it has no payload. */
	[XFRM_MOBILITY_A_STATS_RREQ_TX ... XFRM_MOBILITY_A_STATS_TX_ERRORS] = POL(U64),
	[XFRM_MOBILITY_A_STATS_KEEPALIVES ... XFRM_MOBILITY_A_STATS_PATH_FAILURES] = POL(U64),
};

static const struct attr_policy conn_policy[XFRM_MOBILITY_A_CONN_MAX + 1] = {
	[XFRM_MOBILITY_A_CONN_ID]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_NAME]		= POL_STRING(MOB_NAME_SIZE),
	[XFRM_MOBILITY_A_CONN_REQID]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_MARK]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_MARK_MASK]	= POL(U32),
	[XFRM_MOBILITY_A_CONN_IF_ID]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_ROLE]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_REG_PORT]		= POL(U16),
	[XFRM_MOBILITY_A_CONN_KEEPALIVE]	= POL(U32),
	[XFRM_MOBILITY_A_CONN_ENCAP_POLICY]	= POL(U32),
	[XFRM_MOBILITY_A_CONN_STATE]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_SA]		= POL_MULTI_NEST,
	[XFRM_MOBILITY_A_CONN_STATS]		= POL(NESTED),
	[XFRM_MOBILITY_A_CONN_REG_STATE]	= POL(U32),
	[XFRM_MOBILITY_A_CONN_REG_SEQ]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_NAT]		= POL(U32),
	[XFRM_MOBILITY_A_CONN_LAST_MOVE_NS]	= POL(U64),
	[XFRM_MOBILITY_A_CONN_LOCAL_IPV4]	= POL(U32),
	[XFRM_MOBILITY_A_CONN_LOCAL_IPV6]	= POL_BINARY(16),
	[XFRM_MOBILITY_A_CONN_NEXT_TRY_MS]	= POL(U32),
};

static const struct attr_policy event_policy[XFRM_MOBILITY_A_EVENT_MAX + 1] = {
	[XFRM_MOBILITY_A_EVENT_TYPE]		= POL(U32),
	[XFRM_MOBILITY_A_EVENT_CONN_ID]		= POL(U32),
	[XFRM_MOBILITY_A_EVENT_CONN_NAME]	= POL_STRING(MOB_NAME_SIZE),
	[XFRM_MOBILITY_A_EVENT_SEQ]		= POL(U32),
	[XFRM_MOBILITY_A_EVENT_NAT]		= POL(U32),
	[XFRM_MOBILITY_A_EVENT_ERROR]		= POL(U32),
	[XFRM_MOBILITY_A_EVENT_TIME_NS]		= POL(U64),
	[XFRM_MOBILITY_A_EVENT_SA]		= POL_MULTI_NEST,
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct attr_table *t = data;
	uint16_t type = mnl_attr_get_type(attr);
	const struct attr_policy *p;
	int ret;

	if (type > t->max)
		return MNL_CB_OK;
	p = &t->policy[type];
	if (p->type == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;

	if (p->len)
		ret = mnl_attr_validate2(attr, p->type, p->len);
	else
		ret = mnl_attr_validate(attr, p->type);
	if (!ret && p->max_len && mnl_attr_get_payload_len(attr) > p->max_len)
		ret = -1;
	if (ret) {
		/* A kernel bug or an incompatible change: report, go on. */
		fprintf(stderr, "mobctl: warning: ignoring malformed %s attribute %u\n",
			t->set, type);
		return MNL_CB_OK;
	}

	if (p->multi)
		return t->multi(attr, t->priv);
	t->tb[type] = attr;
	return MNL_CB_OK;
}

static void get_addr4(struct mob_addr *a, const struct nlattr *attr)
{
	a->family = AF_INET;
	memcpy(&a->u.v4, mnl_attr_get_payload(attr), sizeof(a->u.v4));
}

static void get_addr6(struct mob_addr *a, const struct nlattr *attr)
{
	a->family = AF_INET6;
	memcpy(&a->u.v6, mnl_attr_get_payload(attr), sizeof(a->u.v6));
}

/* Appends one sa nest to the array described by @priv. */
struct sa_array {
	struct mob_sa *sa;
	unsigned int *nsa;
};

static int sa_parse(const struct nlattr *nest, void *priv)
{
	const struct nlattr *tb[XFRM_MOBILITY_A_SA_MAX + 1] = {};
	struct attr_table t = {
		.set = "sa", .policy = sa_policy,
		.max = XFRM_MOBILITY_A_SA_MAX, .tb = tb,
	};
	const struct sa_array *arr = priv;
	struct mob_sa *sa;
	unsigned int i;

	if (*arr->nsa >= MOB_MAX_SA)
		return MNL_CB_OK;
	if (mnl_attr_parse_nested(nest, attr_cb, &t) < 0)
		return MNL_CB_ERROR;

	sa = &arr->sa[(*arr->nsa)++];
	memset(sa, 0, sizeof(*sa));
	for (i = 1; i <= XFRM_MOBILITY_A_SA_MAX; i++)
		if (tb[i])
			sa->has |= 1u << i;

	if (tb[XFRM_MOBILITY_A_SA_DIR])
		sa->dir = mnl_attr_get_u32(tb[XFRM_MOBILITY_A_SA_DIR]);
	if (tb[XFRM_MOBILITY_A_SA_SPI])
		sa->spi = ntohl(mnl_attr_get_u32(tb[XFRM_MOBILITY_A_SA_SPI]));
	if (tb[XFRM_MOBILITY_A_SA_FAMILY])
		sa->family = mnl_attr_get_u32(tb[XFRM_MOBILITY_A_SA_FAMILY]);
	if (tb[XFRM_MOBILITY_A_SA_SADDR_IPV4])
		get_addr4(&sa->saddr, tb[XFRM_MOBILITY_A_SA_SADDR_IPV4]);
	else if (tb[XFRM_MOBILITY_A_SA_SADDR_IPV6])
		get_addr6(&sa->saddr, tb[XFRM_MOBILITY_A_SA_SADDR_IPV6]);
	if (tb[XFRM_MOBILITY_A_SA_DADDR_IPV4])
		get_addr4(&sa->daddr, tb[XFRM_MOBILITY_A_SA_DADDR_IPV4]);
	else if (tb[XFRM_MOBILITY_A_SA_DADDR_IPV6])
		get_addr6(&sa->daddr, tb[XFRM_MOBILITY_A_SA_DADDR_IPV6]);
	if (tb[XFRM_MOBILITY_A_SA_ENCAP])
		sa->encap = mnl_attr_get_u32(tb[XFRM_MOBILITY_A_SA_ENCAP]);
	if (tb[XFRM_MOBILITY_A_SA_ENCAP_SPORT])
		sa->sport = ntohs(mnl_attr_get_u16(tb[XFRM_MOBILITY_A_SA_ENCAP_SPORT]));
	if (tb[XFRM_MOBILITY_A_SA_ENCAP_DPORT])
		sa->dport = ntohs(mnl_attr_get_u16(tb[XFRM_MOBILITY_A_SA_ENCAP_DPORT]));
	if (tb[XFRM_MOBILITY_A_SA_OSEQ])
		sa->oseq = mnl_attr_get_u64(tb[XFRM_MOBILITY_A_SA_OSEQ]);
	return MNL_CB_OK;
}

static int stats_parse(const struct nlattr *nest, struct mob_stats *stats)
{
	const struct nlattr *tb[XFRM_MOBILITY_A_STATS_MAX + 1] = {};
	struct attr_table t = {
		.set = "stats", .policy = stats_policy,
		.max = XFRM_MOBILITY_A_STATS_MAX, .tb = tb,
	};
	unsigned int i;

	if (mnl_attr_parse_nested(nest, attr_cb, &t) < 0)
		return -1;
	for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
		if (!tb[i])
			continue;
		stats->has |= 1u << i;
		stats->val[i] = mnl_attr_get_u64(tb[i]);
	}
	return 0;
}

static int parse_msg(const struct nlmsghdr *nlh, struct attr_table *t)
{
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN) {
		errno = EBADMSG;
		return -1;
	}
	if (mnl_attr_parse(nlh, GENL_HDRLEN, attr_cb, t) < 0) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static uint32_t get_u32_attr(const struct nlattr **tb, unsigned int type)
{
	return tb[type] ? mnl_attr_get_u32(tb[type]) : 0;
}

int mob_conn_parse(const struct nlmsghdr *nlh, struct mob_conn *c)
{
	const struct nlattr *tb[XFRM_MOBILITY_A_CONN_MAX + 1] = {};
	struct sa_array arr = { .sa = c->sa, .nsa = &c->nsa };
	struct attr_table t = {
		.set = "conn", .policy = conn_policy,
		.max = XFRM_MOBILITY_A_CONN_MAX, .tb = tb,
		.multi = sa_parse, .priv = &arr,
	};
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (parse_msg(nlh, &t))
		return -1;
	for (i = 1; i <= XFRM_MOBILITY_A_CONN_MAX; i++)
		if (tb[i])
			c->has |= 1u << i;
	if (c->nsa)
		c->has |= 1u << XFRM_MOBILITY_A_CONN_SA;

	c->id = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_ID);
	if (tb[XFRM_MOBILITY_A_CONN_NAME])
		strcpy(c->name, mnl_attr_get_str(tb[XFRM_MOBILITY_A_CONN_NAME]));
	c->reqid = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_REQID);
	c->mark = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_MARK);
	c->mark_mask = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_MARK_MASK);
	c->if_id = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_IF_ID);
	c->role = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_ROLE);
	/* reg-port has no byte-order in the spec: host order. */
	c->reg_port = XFRM_MOBILITY_DEFAULT_REG_PORT;
	if (tb[XFRM_MOBILITY_A_CONN_REG_PORT])
		c->reg_port = mnl_attr_get_u16(tb[XFRM_MOBILITY_A_CONN_REG_PORT]);
	c->keepalive = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_KEEPALIVE);
	c->encap_policy = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_ENCAP_POLICY);
	c->state = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_STATE);
	if (tb[XFRM_MOBILITY_A_CONN_STATS] &&
	    stats_parse(tb[XFRM_MOBILITY_A_CONN_STATS], &c->stats))
		return -1;
	c->reg_state = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_REG_STATE);
	c->reg_seq = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_REG_SEQ);
	c->nat = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_NAT);
	if (tb[XFRM_MOBILITY_A_CONN_LAST_MOVE_NS])
		c->last_move_ns = mnl_attr_get_u64(tb[XFRM_MOBILITY_A_CONN_LAST_MOVE_NS]);
	c->next_try_ms = get_u32_attr(tb, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS);
	return 0;
}

int mob_conn_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mob_conn_list *l = data;
	struct mob_conn *v;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;

		v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;
		l->v = v;
		l->cap = cap;
	}
	if (mob_conn_parse(nlh, &l->v[l->n]) < 0)
		return MNL_CB_ERROR;
	l->n++;
	return MNL_CB_OK;
}

int mob_event_parse(const struct nlmsghdr *nlh, struct mob_event *e)
{
	const struct nlattr *tb[XFRM_MOBILITY_A_EVENT_MAX + 1] = {};
	struct sa_array arr = { .sa = e->sa, .nsa = &e->nsa };
	struct attr_table t = {
		.set = "event", .policy = event_policy,
		.max = XFRM_MOBILITY_A_EVENT_MAX, .tb = tb,
		.multi = sa_parse, .priv = &arr,
	};
	unsigned int i;

	memset(e, 0, sizeof(*e));
	if (parse_msg(nlh, &t))
		return -1;
	for (i = 1; i <= XFRM_MOBILITY_A_EVENT_MAX; i++)
		if (tb[i])
			e->has |= 1u << i;
	if (e->nsa)
		e->has |= 1u << XFRM_MOBILITY_A_EVENT_SA;

	e->type = get_u32_attr(tb, XFRM_MOBILITY_A_EVENT_TYPE);
	e->conn_id = get_u32_attr(tb, XFRM_MOBILITY_A_EVENT_CONN_ID);
	if (tb[XFRM_MOBILITY_A_EVENT_CONN_NAME])
		strcpy(e->conn_name, mnl_attr_get_str(tb[XFRM_MOBILITY_A_EVENT_CONN_NAME]));
	e->seq = get_u32_attr(tb, XFRM_MOBILITY_A_EVENT_SEQ);
	e->nat = get_u32_attr(tb, XFRM_MOBILITY_A_EVENT_NAT);
	e->error = get_u32_attr(tb, XFRM_MOBILITY_A_EVENT_ERROR);
	if (tb[XFRM_MOBILITY_A_EVENT_TIME_NS])
		e->time_ns = mnl_attr_get_u64(tb[XFRM_MOBILITY_A_EVENT_TIME_NS]);
	return 0;
}

/* Single-threaded tool: a few rotating buffers for unknown values. */
static const char *enum_str(const char *const *names, size_t n, uint32_t v)
{
	static char bufs[4][12];
	static unsigned int i;
	char *buf;

	if (v < n && names[v])
		return names[v];
	buf = bufs[i++ % ARRAY_SIZE(bufs)];
	snprintf(buf, sizeof(bufs[0]), "%u", v);
	return buf;
}

#define ENUM_STR(names, v) enum_str(names, ARRAY_SIZE(names), v)

const char *mob_role_str(uint32_t v)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_ROLE_MOBILE] = "mobile",
		[XFRM_MOBILITY_ROLE_GATEWAY] = "gateway",
	};

	return ENUM_STR(names, v);
}

const char *mob_state_str(uint32_t v)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_CONN_STATE_OK] = "ok",
		[XFRM_MOBILITY_CONN_STATE_SA_MISSING] = "sa-missing",
		[XFRM_MOBILITY_CONN_STATE_POLICY_MISSING] = "policy-missing",
	};

	return ENUM_STR(names, v);
}

const char *mob_dir_str(uint32_t v)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_DIR_IN] = "in",
		[XFRM_MOBILITY_DIR_OUT] = "out",
	};

	return ENUM_STR(names, v);
}

const char *mob_encap_str(uint32_t v)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_ENCAP_NONE] = "none",
		[XFRM_MOBILITY_ENCAP_ESPINUDP] = "espinudp",
	};

	return ENUM_STR(names, v);
}

const char *mob_reg_state_str(uint32_t v)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_REG_STATE_IDLE] = "idle",
		[XFRM_MOBILITY_REG_STATE_PENDING] = "pending",
		[XFRM_MOBILITY_REG_STATE_REGISTERED] = "registered",
		[XFRM_MOBILITY_REG_STATE_FAILED] = "failed",
	};

	return ENUM_STR(names, v);
}

const char *mob_event_str(uint32_t v)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_EVENT_CONN_ADD] = "conn-add",
		[XFRM_MOBILITY_EVENT_CONN_DEL] = "conn-del",
		[XFRM_MOBILITY_EVENT_SA_MISSING] = "sa-missing",
		[XFRM_MOBILITY_EVENT_RREQ_SENT] = "rreq-sent",
		[XFRM_MOBILITY_EVENT_RREQ_RECEIVED] = "rreq-received",
		[XFRM_MOBILITY_EVENT_RREP_SENT] = "rrep-sent",
		[XFRM_MOBILITY_EVENT_RREP_RECEIVED] = "rrep-received",
		[XFRM_MOBILITY_EVENT_SA_MOVED] = "sa-moved",
		[XFRM_MOBILITY_EVENT_RETRANSMIT] = "retransmit",
		[XFRM_MOBILITY_EVENT_FAILURE] = "failure",
		[XFRM_MOBILITY_EVENT_ENCAP_CHANGED] = "encap-changed",
		[XFRM_MOBILITY_EVENT_FALLBACK] = "fallback",
		[XFRM_MOBILITY_EVENT_SA_UPDATED] = "sa-updated",
	};

	return ENUM_STR(names, v);
}

const char *mob_family_str(uint32_t v)
{
	if (v == AF_INET)
		return "inet";
	if (v == AF_INET6)
		return "inet6";
	return enum_str(NULL, 0, v);
}

const char *mob_conn_attr_str(uint32_t type)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_A_CONN_ID] = "id",
		[XFRM_MOBILITY_A_CONN_NAME] = "name",
		[XFRM_MOBILITY_A_CONN_REQID] = "reqid",
		[XFRM_MOBILITY_A_CONN_MARK] = "mark",
		[XFRM_MOBILITY_A_CONN_MARK_MASK] = "mark-mask",
		[XFRM_MOBILITY_A_CONN_IF_ID] = "if-id",
		[XFRM_MOBILITY_A_CONN_ROLE] = "role",
		[XFRM_MOBILITY_A_CONN_REG_PORT] = "reg-port",
		[XFRM_MOBILITY_A_CONN_KEEPALIVE] = "keepalive",
		[XFRM_MOBILITY_A_CONN_ENCAP_POLICY] = "encap-policy",
		[XFRM_MOBILITY_A_CONN_STATE] = "state",
		[XFRM_MOBILITY_A_CONN_SA] = "sa",
		[XFRM_MOBILITY_A_CONN_STATS] = "stats",
		[XFRM_MOBILITY_A_CONN_REG_STATE] = "reg-state",
		[XFRM_MOBILITY_A_CONN_REG_SEQ] = "reg-seq",
		[XFRM_MOBILITY_A_CONN_NAT] = "nat",
		[XFRM_MOBILITY_A_CONN_LAST_MOVE_NS] = "last-move-ns",
		[XFRM_MOBILITY_A_CONN_LOCAL_IPV4] = "local-ipv4",
		[XFRM_MOBILITY_A_CONN_LOCAL_IPV6] = "local-ipv6",
		[XFRM_MOBILITY_A_CONN_NEXT_TRY_MS] = "next-try-ms",
	};

	return ENUM_STR(names, type);
}

const char *mob_stats_attr_str(uint32_t type)
{
	static const char *const names[] = {
		[XFRM_MOBILITY_A_STATS_RREQ_TX] = "rreq-tx",
		[XFRM_MOBILITY_A_STATS_RREQ_RX] = "rreq-rx",
		[XFRM_MOBILITY_A_STATS_RREP_TX] = "rrep-tx",
		[XFRM_MOBILITY_A_STATS_RREP_RX] = "rrep-rx",
		[XFRM_MOBILITY_A_STATS_RETRANSMITS] = "retransmits",
		[XFRM_MOBILITY_A_STATS_MOVES] = "moves",
		[XFRM_MOBILITY_A_STATS_DROP_MALFORMED] = "drop-malformed",
		[XFRM_MOBILITY_A_STATS_DROP_STALE] = "drop-stale",
		[XFRM_MOBILITY_A_STATS_DROP_UNEXPECTED] = "drop-unexpected",
		[XFRM_MOBILITY_A_STATS_DROP_WRONG_CONN] = "drop-wrong-conn",
		[XFRM_MOBILITY_A_STATS_DROP_NO_TUPLE] = "drop-no-tuple",
		[XFRM_MOBILITY_A_STATS_TX_ERRORS] = "tx-errors",
		[XFRM_MOBILITY_A_STATS_KEEPALIVES] = "keepalives",
		[XFRM_MOBILITY_A_STATS_PROBES] = "probes",
		[XFRM_MOBILITY_A_STATS_FALLBACKS] = "fallbacks",
		[XFRM_MOBILITY_A_STATS_DUPLICATES] = "duplicates",
		[XFRM_MOBILITY_A_STATS_REBINDINGS] = "rebindings",
		[XFRM_MOBILITY_A_STATS_DROP_RATE_LIMITED] = "drop-rate-limited",
		[XFRM_MOBILITY_A_STATS_CHALLENGES] = "challenges",
		[XFRM_MOBILITY_A_STATS_VALIDATIONS] = "validations",
		[XFRM_MOBILITY_A_STATS_REVERTS] = "reverts",
		[XFRM_MOBILITY_A_STATS_AMPLIFICATION_DROPS] = "amplification-drops",
		[XFRM_MOBILITY_A_STATS_ECHOES] = "echoes",
		[XFRM_MOBILITY_A_STATS_PATH_FAILURES] = "path-failures",
	};

	return type < ARRAY_SIZE(names) ? names[type] : NULL;
}

const char *mob_nat_flag_str(unsigned int bit)
{
	static const char *const names[] = {
		"src-addr", "src-port", "dst-addr", "dst-port", "encap",
	};

	_Static_assert(XFRM_MOBILITY_NAT_ENCAP == 1 << 4, "nat flags changed");
	return bit < ARRAY_SIZE(names) ? names[bit] : NULL;
}
