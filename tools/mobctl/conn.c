// SPDX-License-Identifier: GPL-2.0
/*
 * conn add / del / show, and handover.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm_mobility.h>

#include "format.h"
#include "mobctl.h"
#include "nl.h"
#include "print.h"
#include "utils.h"

/* CONN := { id ID | name NAME | ID } */
struct conn_sel {
	const char *kw;		/* "id" or "name" once given */
	uint32_t id;
	const char *name;
};

/* Consumes a CONN selector at argv[0]; returns the number of words used. */
static int parse_sel(struct conn_sel *sel, int argc, char **argv)
{
	const char *kw, *val;
	int used = 2;

	if (matches(*argv, "id") == 0) {
		kw = "id";
	} else if (matches(*argv, "name") == 0) {
		kw = "name";
	} else if (isdigit((unsigned char)**argv)) {
		kw = "id";
		used = 1;
	} else {
		return 0;
	}
	if (argc < used)
		incomplete_command();
	val = argv[used - 1];
	if (sel->kw && !strcmp(sel->kw, kw))
		duparg(kw, val);
	if (sel->kw)
		duparg2(sel->kw, *argv);

	if (!strcmp(kw, "id")) {
		if (get_u32(&sel->id, val) || !sel->id)
			invarg("ID value is invalid", val);
	} else {
		if (check_conn_name(val, false))
			invarg("NAME value is invalid", val);
		sel->name = val;
	}
	sel->kw = kw;
	return used;
}

static void put_sel(struct nlmsghdr *nlh, const struct conn_sel *sel)
{
	if (sel->name)
		mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_CONN_NAME, sel->name);
	else if (sel->kw)
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ID, sel->id);
}

static bool sel_match(const struct conn_sel *sel, const struct mob_conn *c)
{
	if (sel->name)
		return MOB_HAS(c, XFRM_MOBILITY_A_CONN_NAME) &&
		       !strcmp(sel->name, c->name);
	return !sel->kw || c->id == sel->id;
}

static int conn_add_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mob_conn *c = data;

	return mob_conn_parse(nlh, c) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int conn_add(int argc, char **argv)
{
	bool has_reqid = false, has_mark = false, has_if_id = false;
	uint32_t reqid = 0, mark = 0, mask = 0, if_id = 0, role = 0;
	bool has_role = false, has_port = false, has_keepalive = false;
	bool has_encap = false;
	uint32_t keepalive = 0, encap = 0;
	const char *name = NULL;
	struct mob_conn reply;
	struct nlmsghdr *nlh;
	uint16_t port = 0;
	struct nl *nl;
	int ret = 1;

	while (argc > 0) {
		if (matches(*argv, "name") == 0) {
			NEXT_ARG();
			if (name)
				duparg("name", *argv);
			if (check_conn_name(*argv, true))
				invarg("NAME value is invalid", *argv);
			name = *argv;
		} else if (matches(*argv, "reqid") == 0) {
			NEXT_ARG();
			if (has_reqid)
				duparg("reqid", *argv);
			if (get_u32(&reqid, *argv) || !reqid)
				invarg("REQID value is invalid", *argv);
			has_reqid = true;
		} else if (matches(*argv, "mark") == 0) {
			NEXT_ARG();
			if (has_mark)
				duparg("mark", *argv);
			if (get_mark(&mark, &mask, *argv))
				invarg("MARK value is invalid", *argv);
			has_mark = true;
		} else if (matches(*argv, "if_id") == 0 || !strcmp(*argv, "if-id")) {
			NEXT_ARG();
			if (has_if_id)
				duparg("if_id", *argv);
			if (get_u32(&if_id, *argv))
				invarg("IF_ID value is invalid", *argv);
			has_if_id = true;
		} else if (matches(*argv, "role") == 0) {
			NEXT_ARG();
			if (has_role)
				duparg("role", *argv);
			if (matches(*argv, "mobile") == 0)
				role = XFRM_MOBILITY_ROLE_MOBILE;
			else if (matches(*argv, "gateway") == 0)
				role = XFRM_MOBILITY_ROLE_GATEWAY;
			else
				invarg("ROLE value is invalid", *argv);
			has_role = true;
		} else if (matches(*argv, "port") == 0) {
			NEXT_ARG();
			if (has_port)
				duparg("port", *argv);
			if (get_u16(&port, *argv) || !port)
				invarg("REG_PORT value is invalid", *argv);
			has_port = true;
		} else if (matches(*argv, "encap") == 0) {
			NEXT_ARG();
			if (has_encap)
				duparg("encap", *argv);
			if (matches(*argv, "auto") == 0)
				encap = XFRM_MOBILITY_ENCAP_POLICY_AUTO;
			else if (matches(*argv, "always") == 0)
				encap = XFRM_MOBILITY_ENCAP_POLICY_ALWAYS;
			else
				invarg("ENCAP value is invalid", *argv);
			has_encap = true;
		} else if (matches(*argv, "keepalive") == 0) {
			NEXT_ARG();
			if (has_keepalive)
				duparg("keepalive", *argv);
			if (get_u32(&keepalive, *argv) || keepalive > 3600)
				invarg("SECONDS value is invalid", *argv);
			has_keepalive = true;
		} else if (matches(*argv, "help") == 0) {
			usage(stdout, EXIT_SUCCESS);
		} else {
			invarg("unknown keyword", *argv);
		}
		argc--;
		argv++;
	}
	if (!has_reqid)
		missarg("reqid");

	nl = nl_open(opt_netns);
	if (!nl)
		return 1;
	nlh = nl_msg(nl, XFRM_MOBILITY_CMD_CONN_ADD, NLM_F_ACK);
	if (name)
		mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_CONN_NAME, name);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REQID, reqid);
	if (has_mark) {
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK, mark);
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK_MASK, mask);
	}
	if (has_if_id)
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_IF_ID, if_id);
	if (has_role)
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ROLE, role);
	if (has_keepalive)
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_KEEPALIVE, keepalive);
	if (has_encap)
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ENCAP_POLICY, encap);
	if (has_port)	/* host byte order: the spec gives it no byte-order */
		mnl_attr_put_u16(nlh, XFRM_MOBILITY_A_CONN_REG_PORT, port);

	memset(&reply, 0, sizeof(reply));
	if (nl_talk(nl, nlh, conn_add_cb, &reply) < 0) {
		nl_perror("conn add");
		goto out;
	}
	if (!MOB_HAS(&reply, XFRM_MOBILITY_A_CONN_ID)) {
		errno = EPROTO;
		nl_perror("conn add: no id in reply");
		goto out;
	}
	print_init(stdout, opt_json, opt_pretty);
	print_conn_added(reply.id);
	ret = 0;
out:
	nl_close(nl);
	return ret;
}

static int conn_del(int argc, char **argv)
{
	struct conn_sel sel = {};
	struct nlmsghdr *nlh;
	struct nl *nl;
	int used, ret = 0;

	while (argc > 0) {
		used = parse_sel(&sel, argc, argv);
		if (!used && matches(*argv, "help") == 0)
			usage(stdout, EXIT_SUCCESS);
		if (!used)
			invarg("unknown keyword", *argv);
		argc -= used;
		argv += used;
	}
	if (!sel.kw)
		missarg("id or name");

	nl = nl_open(opt_netns);
	if (!nl)
		return 1;
	nlh = nl_msg(nl, XFRM_MOBILITY_CMD_CONN_DEL, NLM_F_ACK);
	put_sel(nlh, &sel);
	if (nl_talk(nl, nlh, NULL, NULL) < 0) {
		nl_perror("conn del");
		ret = 1;
	}
	nl_close(nl);
	return ret;
}

/* Dump into @l, retrying while a concurrent change interrupts the dump. */
static int conn_get(struct nl *nl, const struct conn_sel *sel,
		    struct mob_conn_list *l)
{
	struct nlmsghdr *nlh;
	int attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		l->n = 0;
		nlh = nl_msg(nl, XFRM_MOBILITY_CMD_CONN_GET, NLM_F_DUMP);
		put_sel(nlh, sel);
		if (nl_talk(nl, nlh, mob_conn_list_cb, l) < 0)
			return -1;
		if (!nl_dump_interrupted(nl))
			return 0;
	}
	fprintf(stderr, "mobctl: warning: dump was interrupted and may be inconsistent\n");
	return 0;
}

static int conn_show(int argc, char **argv)
{
	struct mob_conn_list l = {};
	struct conn_sel sel = {};
	bool dump = false;
	struct nl *nl;
	size_t i, n;
	int used, ret = 1;

	while (argc > 0) {
		used = parse_sel(&sel, argc, argv);
		if (used) {
			argc -= used;
			argv += used;
			continue;
		}
		if (matches(*argv, "dump") == 0)
			dump = true;
		else if (matches(*argv, "help") == 0)
			usage(stdout, EXIT_SUCCESS);
		else
			invarg("unknown keyword", *argv);
		argc--;
		argv++;
	}

	nl = nl_open(opt_netns);
	if (!nl)
		return 1;
	if (conn_get(nl, &sel, &l) < 0) {
		nl_perror("conn show");
		goto out;
	}

	/* The kernel filters too; this keeps the contract regardless. */
	for (i = n = 0; i < l.n; i++)
		if (sel_match(&sel, &l.v[i]))
			l.v[n++] = l.v[i];
	if (sel.kw && !n) {
		errno = ENOENT;
		nl_perror("conn show");
		goto out;
	}

	print_init(stdout, opt_json, opt_pretty);
	print_conn_list(l.v, n, dump);
	ret = 0;
out:
	free(l.v);
	nl_close(nl);
	return ret;
}

int do_show(int argc, char **argv)
{
	return conn_show(argc, argv);
}

int do_conn(int argc, char **argv)
{
	if (argc < 1)
		return conn_show(0, NULL);
	if (matches(*argv, "add") == 0)
		return conn_add(argc - 1, argv + 1);
	if (matches(*argv, "delete") == 0)
		return conn_del(argc - 1, argv + 1);
	if (matches(*argv, "show") == 0 || matches(*argv, "list") == 0)
		return conn_show(argc - 1, argv + 1);
	if (matches(*argv, "help") == 0)
		usage(stdout, EXIT_SUCCESS);
	fprintf(stderr, "Command \"%s\" is unknown, try \"mobctl help\".\n", *argv);
	return EXIT_USAGE;
}

int do_handover(int argc, char **argv)
{
	struct conn_sel sel = {};
	struct mob_addr local = {};
	struct nlmsghdr *nlh;
	struct nl *nl;
	int used, ret = 0;

	while (argc > 0) {
		used = parse_sel(&sel, argc, argv);
		if (used) {
			argc -= used;
			argv += used;
			continue;
		}
		if (matches(*argv, "local") == 0) {
			NEXT_ARG();
			if (local.family)
				duparg("local", *argv);
			if (get_addr(&local, *argv))
				invarg("ADDR value is invalid", *argv);
		} else if (matches(*argv, "help") == 0) {
			usage(stdout, EXIT_SUCCESS);
		} else {
			invarg("unknown keyword", *argv);
		}
		argc--;
		argv++;
	}
	if (!sel.kw)
		missarg("id or name");

	nl = nl_open(opt_netns);
	if (!nl)
		return 1;
	nlh = nl_msg(nl, XFRM_MOBILITY_CMD_HANDOVER, NLM_F_ACK);
	put_sel(nlh, &sel);
	/* Network byte order, as struct in_addr / in6_addr already are. */
	if (local.family == AF_INET)
		mnl_attr_put(nlh, XFRM_MOBILITY_A_CONN_LOCAL_IPV4,
			     sizeof(local.u.v4), &local.u.v4);
	else if (local.family == AF_INET6)
		mnl_attr_put(nlh, XFRM_MOBILITY_A_CONN_LOCAL_IPV6,
			     sizeof(local.u.v6), &local.u.v6);
	if (nl_talk(nl, nlh, NULL, NULL) < 0) {
		nl_perror("handover");
		ret = 1;
	}
	nl_close(nl);
	return ret;
}
