// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink transport for the xfrm_mobility family (libmnl).
 *
 * The receive loop is our own rather than mnl_cb_run(): we need the
 * extended ACK attributes of NLMSG_ERROR and NLMSG_DONE, and want to note
 * NLM_F_DUMP_INTR and still read the dump to its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/xfrm_mobility.h>

#include "model.h"
#include "nl.h"

/* Large enough for any dump skb the kernel builds for a 32 KiB reader. */
#define NL_RX_SIZE 32768
#define NL_TX_SIZE 4096

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t grp_events;		/* 0: group not offered */
	bool quiet;			/* do not print extack messages */
	bool dump_intr;
	char rx[NL_RX_SIZE] __attribute__((aligned(8)));
	char tx[NL_TX_SIZE] __attribute__((aligned(8)));
};

void nl_perror(const char *what)
{
	fprintf(stderr, "mobctl: %s: %s\n", what, strerror(errno));
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);
	enum mnl_attr_data_type t;

	switch (type) {
	case NLMSGERR_ATTR_MSG:
		t = MNL_TYPE_NUL_STRING;
		break;
	case NLMSGERR_ATTR_OFFS:
	case NLMSGERR_ATTR_MISS_TYPE:
	case NLMSGERR_ATTR_MISS_NEST:
		t = MNL_TYPE_U32;
		break;
	default:
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(attr, t) == 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* Extended ACK TLVs start @off bytes into the payload of @nlh. */
static void print_extack(const struct nl *nl, const struct nlmsghdr *nlh,
			 size_t off, bool is_err)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	uint32_t miss;

	if (nl->quiet || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    off > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, off, extack_attr_cb, tb);

	if (tb[NLMSGERR_ATTR_MSG]) {
		fprintf(stderr, "%s: %s\n", is_err ? "Error" : "Warning",
			mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
	} else if (is_err && tb[NLMSGERR_ATTR_MISS_TYPE]) {
		/* Requests carry no nests, so top level means a conn attribute. */
		miss = mnl_attr_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
		if (tb[NLMSGERR_ATTR_MISS_NEST])
			fprintf(stderr, "Error: missing attribute %u\n", miss);
		else
			fprintf(stderr, "Error: missing attribute \"%s\"\n",
				mob_conn_attr_str(miss));
	}
}

/* 0 for an ACK, -1 with errno set for an error. */
static int handle_error(const struct nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);
	int error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return -1;
	}
	error = err->error < 0 ? -err->error : err->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < sizeof(err->msg))
			off = SIZE_MAX;		/* garbled: skip the TLVs */
		else
			off += err->msg.nlmsg_len - sizeof(err->msg);
	}
	print_extack(nl, nlh, off, error);
	if (!error)
		return 0;
	errno = error;
	return -1;
}

/* NLMSG_DONE carries the dump's final status, and TLVs after it. */
static int handle_done(const struct nl *nl, const struct nlmsghdr *nlh)
{
	int error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return 0;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error >= 0)
		return 0;
	print_extack(nl, nlh, sizeof(error), true);
	errno = -error;
	return -1;
}

/* 1: more to come, 0: finished, -1: error with errno set. */
static int run(struct nl *nl, size_t len, uint32_t seq, uint16_t type,
	       nl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rx;
	int rem = len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		/*
		 * Skip late replies to an abandoned request. Notifications
		 * (seq 0) may carry the portid of whoever caused them.
		 */
		if (seq && (!mnl_nlmsg_portid_ok(nlh, nl->portid) ||
			    !mnl_nlmsg_seq_ok(nlh, seq)))
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			nl->dump_intr = true;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return handle_error(nl, nlh);
		if (nlh->nlmsg_type == NLMSG_DONE)
			return handle_done(nl, nlh);
		if (nlh->nlmsg_type != type || !cb)
			continue;
		if (cb(nlh, data) < MNL_CB_OK)
			return -1;
	}
	return 1;
}

static int talk(struct nl *nl, struct nlmsghdr *nlh, uint16_t type,
		nl_cb_t cb, void *data)
{
	uint32_t seq = ++nl->seq;
	ssize_t len;
	int ret;

	nlh->nlmsg_seq = seq;
	nl->dump_intr = false;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		len = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		ret = run(nl, len, seq, type, cb, data);
		if (ret <= 0)
			return ret;
	}
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, nl_cb_t cb, void *data)
{
	return talk(nl, nlh, nl->family, cb, data);
}

bool nl_dump_interrupted(const struct nl *nl)
{
	return nl->dump_intr;
}

static struct nlmsghdr *prepare(struct nl *nl, uint16_t type, uint8_t cmd,
				uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->tx);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *nl_msg(struct nl *nl, uint8_t cmd, uint16_t flags)
{
	return prepare(nl, nl->family, cmd, XFRM_MOBILITY_FAMILY_VERSION, flags);
}

static int mcgrp_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == CTRL_ATTR_MCAST_GRP_NAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		tb[type] = attr;
	else if (type == CTRL_ATTR_MCAST_GRP_ID &&
		 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		tb[type] = attr;
	else if (type == CTRL_ATTR_MCAST_GROUPS &&
		 mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {};
	const struct nlattr *grp;
	struct nl *nl = data;

	mnl_attr_parse(nlh, GENL_HDRLEN, family_attr_cb, tb);
	if (!tb[CTRL_ATTR_FAMILY_ID]) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return MNL_CB_OK;

	mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS]) {
		const struct nlattr *gtb[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};

		mnl_attr_parse_nested(grp, mcgrp_attr_cb, gtb);
		if (gtb[CTRL_ATTR_MCAST_GRP_NAME] && gtb[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(mnl_attr_get_str(gtb[CTRL_ATTR_MCAST_GRP_NAME]),
			    XFRM_MOBILITY_MCGRP_EVENTS))
			nl->grp_events = mnl_attr_get_u32(gtb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return MNL_CB_OK;
}

static int resolve_family(struct nl *nl)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = prepare(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XFRM_MOBILITY_FAMILY_NAME);
	nl->quiet = true;
	ret = talk(nl, nlh, GENL_ID_CTRL, family_cb, nl);
	nl->quiet = false;
	if (!ret && !nl->family) {
		errno = EPROTO;
		ret = -1;
	}
	if (!ret)
		return 0;
	if (errno == ENOENT)
		fprintf(stderr, "mobctl: " XFRM_MOBILITY_FAMILY_NAME
			" module not loaded (family not found)\n");
	else
		fprintf(stderr, "mobctl: cannot resolve generic netlink family \""
			XFRM_MOBILITY_FAMILY_NAME "\": %s\n", strerror(errno));
	return -1;
}

/* As ip -n NAME: only the network namespace is switched. */
static int netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "Cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "setting the network namespace \"%s\" failed: %s\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct nl *nl_open(const char *netns)
{
	struct nl *nl;
	int one = 1;

	if (netns && netns_enter(netns))
		return NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl) {
		nl_perror("netlink");
		return NULL;
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		nl_perror("cannot open netlink socket");
		goto err;
	}
	/* Both are best effort: older kernels just print less. */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		nl_perror("cannot bind netlink socket");
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	if (resolve_family(nl))
		goto err;
	return nl;
err:
	nl_close(nl);
	return NULL;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

int nl_join_events(struct nl *nl)
{
	int grp = nl->grp_events;

	if (!grp) {
		errno = ENOENT;
		return -1;
	}
	return mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
				     &grp, sizeof(grp));
}

int nl_fd(const struct nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

int nl_recv(struct nl *nl, nl_cb_t cb, void *data)
{
	ssize_t len;

	len = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
	if (len < 0)
		return -1;
	return run(nl, len, 0, nl->family, cb, data) < 0 ? -1 : 0;
}
