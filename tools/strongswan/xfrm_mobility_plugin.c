// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm-mobility: a charon plugin that hands CHILD_SAs to the xfrm_mobility
 * kernel module and keeps charon's view of them in step with the module.
 *
 * Adoption: when a CHILD_SA whose name is listed in
 * charon.plugins.xfrm-mobility.children comes up, the plugin adds a
 * connection for its reqid to the module (role from
 * charon.plugins.xfrm-mobility.role), and deletes it when the CHILD_SA goes
 * down.  Rekeyed CHILD_SAs keep their reqid, so the module follows rekeys
 * by itself.
 *
 * Resync: the module moves SAs (new outer addresses, ESP-in-UDP ports or
 * plain ESP) behind charon's back.  The plugin listens to the module's
 * event multicast group and, once a registration has completed (mobile:
 * reply received; gateway: reply sent) or the encapsulation changed, moves
 * the IKE_SA that owns the reqid to the same endpoints with
 * update_hosts(UPDATE_HOSTS_FORCE_ALL).  From then on IKE messages (DPD,
 * rekeys, deletes) use the current path, and a CHILD_SA rekey installs its
 * SAs and policies there.  NAT handling is the module's: the plugin
 * replaces charon's NAT conditions with COND_NAT_FAKE when the module uses
 * ESP-in-UDP and clears them otherwise, so charon neither follows kernel
 * mapping events on its own nor sends keepalives from a stale address.
 *
 * charon's update re-installs the SA whose destination did not change
 * (GETSA, DELSA, NEWSA with the same SPI, keys and replay state) and the
 * policies; the SA whose destination the module changed is no longer found
 * under its old address and is left alone.  A resync with nothing to
 * change does nothing (child_sa update returns early).
 */

#include <daemon.h>
#include <plugins/plugin.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>
#include <collections/hashtable.h>

#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm_mobility.h>

#define XM_PLUGIN "xfrm-mobility"

typedef struct private_xm_plugin_t private_xm_plugin_t;

/** A resync request taken from one module event. */
typedef struct {
	uint32_t reqid;
	uint32_t type;
	/** module connection id */
	uint32_t id;
	/** the outbound SA uses ESP-in-UDP */
	bool encap;
	/** the inbound SA uses ESP-in-UDP */
	bool in_encap;
	/** the last registration saw a translation */
	bool nat;
	host_t *me;
	host_t *other;
	uint16_t sport;
	uint16_t dport;
	/** the plugin, for jobs */
	private_xm_plugin_t *plugin;
} xm_update_t;

struct private_xm_plugin_t {
	plugin_t public;
	listener_t listener;
	/** socket joined to the module's event group, -1 if none yet */
	int ev_fd;
	struct mnl_socket *ev;
	/** socket for requests (conn add/del) */
	struct mnl_socket *req;
	uint16_t family;
	uint32_t group;
	/** reqid (uintptr_t) -> module connection id (uintptr_t) */
	hashtable_t *conns;
	mutex_t *lock;
	char *children;
	uint32_t role;
	unsigned int seq;
};

/** Resolve the family id and the event group id of the module's family. */
static bool resolve_family(private_xm_plugin_t *this)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *attr, *grp;
	uint32_t seq = ++this->seq;
	int len;

	this->family = 0;
	this->group = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XFRM_MOBILITY_FAMILY_NAME);
	if (mnl_socket_sendto(this->req, nlh, nlh->nlmsg_len) < 0)
		return FALSE;
	len = mnl_socket_recvfrom(this->req, buf, sizeof(buf));
	if (len <= 0)
		return FALSE;
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, len) || nlh->nlmsg_type == NLMSG_ERROR)
		return FALSE;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			this->family = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, attr) {
				struct nlattr *a;
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(a, grp) {
					if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
						name = mnl_attr_get_str(a);
					else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
						id = mnl_attr_get_u32(a);
				}
				if (name && streq(name, XFRM_MOBILITY_MCGRP_EVENTS))
					this->group = id;
			}
			break;
		}
	}
	return this->family && this->group;
}

/**
 * Send one request of the module's family (CMD with NLM_F_REQUEST and
 * FLAGS, attributes from FILL) and read its answers up to the ack, the end
 * of a dump or an error; PARSE, if not NULL, gets every answer of the
 * family.  Call with this->lock held.  Returns 0 or a negative errno.
 */
static int xm_transact(private_xm_plugin_t *this, uint8_t cmd, uint16_t flags,
		       void (*fill)(struct nlmsghdr *, void *),
		       void (*parse)(const struct nlmsghdr *, void *),
		       void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	uint32_t seq;
	int len;

	if (!this->family && !resolve_family(this))
		return -ENOENT;
	seq = ++this->seq;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = this->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = XFRM_MOBILITY_FAMILY_VERSION;
	fill(nlh, ctx);
	if (mnl_socket_sendto(this->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((len = mnl_socket_recvfrom(this->req, buf, sizeof(buf))) > 0) {
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == this->family && parse)
				parse(nlh, ctx);
		}
	}
	return -EIO;
}

typedef struct {
	child_sa_t *child;
	uint32_t role;
	uint32_t id;
} xm_conn_req_t;

/** The connection id of a conn-add reply. */
static void parse_conn_id(const struct nlmsghdr *nlh, void *ctx)
{
	xm_conn_req_t *r = ctx;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == XFRM_MOBILITY_A_CONN_ID)
			r->id = mnl_attr_get_u32(attr);
	}
}

static void fill_conn_add(struct nlmsghdr *nlh, void *ctx)
{
	xm_conn_req_t *r = ctx;
	mark_t mark = r->child->get_mark(r->child, TRUE);
	uint32_t if_id = r->child->get_if_id(r->child, TRUE);
	char name[XFRM_MOBILITY_NAME_MAX_LEN];

	snprintf(name, sizeof(name), "%s-%u", r->child->get_name(r->child),
		 r->child->get_unique_id(r->child));
	mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_CONN_NAME, name);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REQID,
			 r->child->get_reqid(r->child));
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ROLE, r->role);
	if (mark.value || mark.mask) {
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK, mark.value);
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK_MASK, mark.mask);
	}
	if (if_id)
		mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_IF_ID, if_id);
}

static void fill_conn_del(struct nlmsghdr *nlh, void *ctx)
{
	xm_conn_req_t *r = ctx;

	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ID, r->id);
}

/** Is NAME one of the configured child names? */
static bool wanted_child(private_xm_plugin_t *this, const char *name)
{
	enumerator_t *e;
	char *tok;
	bool found = FALSE;

	if (!this->children)
		return FALSE;
	e = enumerator_create_token(this->children, " ,", " ");
	while (!found && e->enumerate(e, &tok))
		found = streq(tok, name);
	e->destroy(e);
	return found;
}

/** Does IKE_SA own another CHILD_SA than EXCEPT with REQID? */
static bool owns_reqid(ike_sa_t *ike_sa, uint32_t reqid, child_sa_t *except)
{
	enumerator_t *e;
	child_sa_t *child;
	bool found = FALSE;

	e = ike_sa->create_child_sa_enumerator(ike_sa);
	while (!found && e->enumerate(e, &child))
		found = child != except && child->get_reqid(child) == reqid &&
			child->get_state(child) != CHILD_DELETING &&
			child->get_state(child) != CHILD_DELETED;
	e->destroy(e);
	return found;
}

/* The listener is not the first member: no METHOD() cast for it. */
static bool child_updown(listener_t *listener, ike_sa_t *ike_sa,
			 child_sa_t *child_sa, bool up)
{
	private_xm_plugin_t *this = (private_xm_plugin_t *)
		((char *)listener - offsetof(private_xm_plugin_t, listener));
	xm_conn_req_t r = { .child = child_sa, .role = this->role };
	uintptr_t reqid = child_sa->get_reqid(child_sa);
	uintptr_t id;
	int err;

	DBG2(DBG_CFG, XM_PLUGIN ": CHILD_SA %s{%u} (reqid %u) %s",
	     child_sa->get_name(child_sa), child_sa->get_unique_id(child_sa),
	     (u_int)reqid, up ? "up" : "down");
	if (!wanted_child(this, child_sa->get_name(child_sa)))
		return TRUE;
	this->lock->lock(this->lock);
	id = (uintptr_t)this->conns->get(this->conns, (void *)reqid);
	if (up && !id) {
		err = xm_transact(this, XFRM_MOBILITY_CMD_CONN_ADD, NLM_F_ACK,
				  fill_conn_add, parse_conn_id, &r);
		if (err || !r.id) {
			DBG1(DBG_CFG, XM_PLUGIN ": adopting CHILD_SA %s{%u} "
			     "(reqid %u) failed: %s", child_sa->get_name(child_sa),
			     child_sa->get_unique_id(child_sa), (u_int)reqid,
			     strerror(-err));
		} else {
			DBG1(DBG_CFG, XM_PLUGIN ": CHILD_SA %s{%u} (reqid %u) "
			     "is module connection %u",
			     child_sa->get_name(child_sa),
			     child_sa->get_unique_id(child_sa), (u_int)reqid, r.id);
			this->conns->put(this->conns, (void *)reqid,
					 (void *)(uintptr_t)r.id);
		}
	} else if (!up && id && !owns_reqid(ike_sa, reqid, child_sa)) {
		r.id = id;
		err = xm_transact(this, XFRM_MOBILITY_CMD_CONN_DEL, NLM_F_ACK,
				  fill_conn_del, NULL, &r);
		DBG1(DBG_CFG, XM_PLUGIN ": module connection %u (reqid %u) "
		     "removed%s%s", r.id, (u_int)reqid, err ? ": " : "",
		     err ? strerror(-err) : "");
		this->conns->remove(this->conns, (void *)reqid);
	}
	this->lock->unlock(this->lock);
	return TRUE;
}

static void update_destroy(xm_update_t *u)
{
	DESTROY_IF(u->me);
	DESTROY_IF(u->other);
	free(u);
}

/** Collect the SA state of one nested SA attribute. */
static void parse_sa(const struct nlattr *nest, xm_update_t *u)
{
	const struct nlattr *a;
	uint32_t dir = UINT32_MAX, saddr = 0, daddr = 0, encap = 0;
	uint16_t sport = 0, dport = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case XFRM_MOBILITY_A_SA_DIR:
			dir = mnl_attr_get_u32(a);
			break;
		case XFRM_MOBILITY_A_SA_SADDR_IPV4:
			saddr = mnl_attr_get_u32(a);
			break;
		case XFRM_MOBILITY_A_SA_DADDR_IPV4:
			daddr = mnl_attr_get_u32(a);
			break;
		case XFRM_MOBILITY_A_SA_ENCAP:
			encap = mnl_attr_get_u32(a);
			break;
		case XFRM_MOBILITY_A_SA_ENCAP_SPORT:
			sport = ntohs(mnl_attr_get_u16(a));
			break;
		case XFRM_MOBILITY_A_SA_ENCAP_DPORT:
			dport = ntohs(mnl_attr_get_u16(a));
			break;
		}
	}
	if (dir == XFRM_MOBILITY_DIR_IN) {
		u->in_encap = encap == XFRM_MOBILITY_ENCAP_ESPINUDP;
		return;
	}
	if (dir != XFRM_MOBILITY_DIR_OUT || !saddr || !daddr)
		return;
	DESTROY_IF(u->me);
	DESTROY_IF(u->other);
	u->me = host_create_from_chunk(AF_INET, chunk_from_thing(saddr), 0);
	u->other = host_create_from_chunk(AF_INET, chunk_from_thing(daddr), 0);
	u->encap = encap == XFRM_MOBILITY_ENCAP_ESPINUDP;
	u->sport = sport;
	u->dport = dport;
}

typedef struct {
	xm_update_t *u;
	/** the answer named at least one SA */
	bool found;
} xm_refresh_t;

static void fill_conn_get(struct nlmsghdr *nlh, void *ctx)
{
	xm_refresh_t *r = ctx;

	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ID, r->u->id);
}

/** The SA state and NAT flags of one conn-get answer. */
static void parse_conn(const struct nlmsghdr *nlh, void *ctx)
{
	xm_refresh_t *r = ctx;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == XFRM_MOBILITY_A_CONN_SA) {
			parse_sa(attr, r->u);
			r->found = TRUE;
		} else if (mnl_attr_get_type(attr) == XFRM_MOBILITY_A_CONN_NAT) {
			r->u->nat = mnl_attr_get_u32(attr) != 0;
		}
	}
}

/**
 * Replace the SA state of U with the module's current state of connection
 * U->id.  The event that queued the resync is a snapshot; the module may
 * have gone on since (an encapsulation switch is two steps).
 */
static bool refresh(private_xm_plugin_t *this, xm_update_t *u)
{
	xm_refresh_t r = { .u = u };

	this->lock->lock(this->lock);
	xm_transact(this, XFRM_MOBILITY_CMD_CONN_GET, NLM_F_DUMP,
		    fill_conn_get, parse_conn, &r);
	this->lock->unlock(this->lock);
	return r.found && u->me;
}

/**
 * Apply the module's current state of one connection to the IKE_SA owning
 * its reqid.
 *
 * charon keeps one encapsulation flag per CHILD_SA and re-installs both SAs
 * with it.  While the module switches from ESP-in-UDP to plain ESP on a
 * path without translation, the inbound SA goes plain first and the
 * outbound one follows once plain ESP proved to pass; re-installing the
 * inbound SA in between would undo the switch.  In that state only the
 * IKE_SA's endpoints are updated; the CHILD_SA follows when both SAs agree
 * (the module announces it with encap-changed).  Behind a NAT the
 * outbound encapsulation is final and charon follows it at once.
 *
 * Several resyncs of one IKE_SA may be queued (an event per step of a
 * registration) and run on different threads; the module's state is read
 * only once the IKE_SA is checked out, so they apply it one at a time and
 * the last one applies the newest state.
 */
static job_requeue_t resync(xm_update_t *u)
{
	enumerator_t *e;
	ike_sa_t *ike_sa;
	ike_sa_id_t *id = NULL;
	host_t *me, *other;
	bool settled;

	e = charon->ike_sa_manager->create_enumerator(charon->ike_sa_manager,
						       TRUE);
	while (e->enumerate(e, &ike_sa)) {
		if (ike_sa->get_state(ike_sa) == IKE_ESTABLISHED &&
		    owns_reqid(ike_sa, u->reqid, NULL)) {
			id = ike_sa->get_id(ike_sa);
			id = id->clone(id);
			break;
		}
	}
	e->destroy(e);
	if (!id) {
		DBG1(DBG_CFG, XM_PLUGIN ": no IKE_SA has a CHILD_SA with reqid %u",
		     u->reqid);
		return JOB_REQUEUE_NONE;
	}
	ike_sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager, id);
	id->destroy(id);
	if (!ike_sa)
		return JOB_REQUEUE_NONE;
	if (u->id && !refresh(u->plugin, u)) {
		charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike_sa);
		return JOB_REQUEUE_NONE;
	}
	settled = u->encap == u->in_encap || u->nat;

	me = u->me->clone(u->me);
	other = u->other->clone(u->other);
	if (u->encap) {
		me->set_port(me, u->sport);
		other->set_port(other, u->dport);
	} else {
		/* plain ESP: IKE keeps the ports it uses */
		me->set_port(me, ike_sa->get_my_host(ike_sa)->get_port(
					 ike_sa->get_my_host(ike_sa)));
		other->set_port(other, ike_sa->get_other_host(ike_sa)->get_port(
					 ike_sa->get_other_host(ike_sa)));
	}
	if (!settled) {
		if (!me->equals(me, ike_sa->get_my_host(ike_sa)) ||
		    !other->equals(other, ike_sa->get_other_host(ike_sa))) {
			DBG1(DBG_IKE, XM_PLUGIN ": reqid %u IKE_SA moved to %#H - %#H "
			     "(encapsulation switch in progress)", u->reqid, me,
			     other);
			ike_sa->set_my_host(ike_sa, me->clone(me));
			ike_sa->set_other_host(ike_sa, other->clone(other));
		}
	} else {
		/* idempotent: charon changes nothing that already matches */
		DBG2(DBG_IKE, XM_PLUGIN ": reqid %u at %#H - %#H (%s)",
		     u->reqid, me, other, u->encap ? "ESP in UDP" : "ESP");
		/* set the wanted condition first: NAT_ANY never drops in
		 * between */
		ike_sa->set_condition(ike_sa, COND_NAT_FAKE, u->encap);
		ike_sa->set_condition(ike_sa, COND_NAT_HERE, FALSE);
		ike_sa->set_condition(ike_sa, COND_NAT_THERE, FALSE);
		ike_sa->update_hosts(ike_sa, me, other, UPDATE_HOSTS_FORCE_ALL);
	}
	me->destroy(me);
	other->destroy(other);
	charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike_sa);
	return JOB_REQUEUE_NONE;
}

/** Does an event of TYPE call for a resync of charon? */
static bool resync_event(private_xm_plugin_t *this, uint32_t type)
{
	switch (type) {
	case XFRM_MOBILITY_EVENT_CONN_ADD:
	case XFRM_MOBILITY_EVENT_ENCAP_CHANGED:
	case XFRM_MOBILITY_EVENT_FALLBACK:
		return TRUE;
	case XFRM_MOBILITY_EVENT_RREP_RECEIVED:
		return this->role == XFRM_MOBILITY_ROLE_MOBILE;
	case XFRM_MOBILITY_EVENT_RREP_SENT:
	case XFRM_MOBILITY_EVENT_SA_MOVED:	/* also: NAT rebinding */
		return this->role == XFRM_MOBILITY_ROLE_GATEWAY;
	default:
		return FALSE;
	}
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	private_xm_plugin_t *this = data;
	const struct nlattr *attr;
	xm_update_t *u;

	INIT(u,
		.plugin = this,
	);
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case XFRM_MOBILITY_A_EVENT_TYPE:
			u->type = mnl_attr_get_u32(attr);
			break;
		case XFRM_MOBILITY_A_EVENT_REQID:
			u->reqid = mnl_attr_get_u32(attr);
			break;
		case XFRM_MOBILITY_A_EVENT_CONN_ID:
			u->id = mnl_attr_get_u32(attr);
			break;
		case XFRM_MOBILITY_A_EVENT_SA:
			parse_sa(attr, u);
			break;
		}
	}
	if (!resync_event(this, u->type) || !u->reqid || !u->me) {
		update_destroy(u);
		return MNL_CB_OK;
	}
	lib->processor->queue_job(lib->processor,
		(job_t *)callback_job_create((callback_job_cb_t)resync, u,
					     (callback_job_cleanup_t)update_destroy,
					     NULL));
	return MNL_CB_OK;
}

CALLBACK(event_readable, bool,
	private_xm_plugin_t *this, int fd, watcher_event_t event)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int len;

	len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (len > 0)
		mnl_cb_run(buf, len, 0, 0, event_cb, this);
	else if (len < 0 && errno == ENOBUFS)
		DBG1(DBG_CFG, XM_PLUGIN ": module events lost (ENOBUFS)");
	return TRUE;
}

/** Join the event group; retried until the module is loaded. */
static job_requeue_t subscribe(private_xm_plugin_t *this)
{
	int group;
	bool found;

	if (this->ev)
		return JOB_REQUEUE_NONE;
	this->lock->lock(this->lock);
	found = resolve_family(this);
	this->lock->unlock(this->lock);
	if (!found) {
		lib->scheduler->schedule_job(lib->scheduler,
			(job_t *)callback_job_create((callback_job_cb_t)subscribe,
						     this, NULL, NULL), 1);
		return JOB_REQUEUE_NONE;
	}
	this->ev = mnl_socket_open(NETLINK_GENERIC);
	group = this->group;
	if (!this->ev || mnl_socket_bind(this->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(this->ev, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		DBG1(DBG_CFG, XM_PLUGIN ": joining the module's event group "
		     "failed: %s", strerror(errno));
		if (this->ev)
			mnl_socket_close(this->ev);
		this->ev = NULL;
		return JOB_REQUEUE_NONE;
	}
	this->ev_fd = mnl_socket_get_fd(this->ev);
	lib->watcher->add(lib->watcher, this->ev_fd, WATCHER_READ,
			  event_readable, this);
	DBG1(DBG_CFG, XM_PLUGIN ": following module events (family %u, "
	     "group %u)", this->family, this->group);
	return JOB_REQUEUE_NONE;
}

static bool plugin_cb(private_xm_plugin_t *this, plugin_feature_t *feature,
		      bool reg, void *cb_data)
{
	if (reg) {
		DBG1(DBG_CFG, XM_PLUGIN ": adopting CHILD_SAs '%s' as %s",
		     this->children ?: "", this->role == XFRM_MOBILITY_ROLE_GATEWAY ?
		     "gateway" : "mobile");
		charon->bus->add_listener(charon->bus, &this->listener);
		lib->processor->queue_job(lib->processor,
			(job_t *)callback_job_create((callback_job_cb_t)subscribe,
						     this, NULL, NULL));
	} else {
		charon->bus->remove_listener(charon->bus, &this->listener);
		if (this->ev) {
			lib->watcher->remove(lib->watcher, this->ev_fd);
			mnl_socket_close(this->ev);
			this->ev = NULL;
		}
	}
	return TRUE;
}

METHOD(plugin_t, get_name, char *,
	private_xm_plugin_t *this)
{
	return XM_PLUGIN;
}

METHOD(plugin_t, get_features, int,
	private_xm_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, XM_PLUGIN),
				PLUGIN_DEPENDS(CUSTOM, "kernel-ipsec"),
	};

	*features = f;
	return countof(f);
}

METHOD(plugin_t, destroy, void,
	private_xm_plugin_t *this)
{
	if (this->req)
		mnl_socket_close(this->req);
	this->conns->destroy(this->conns);
	this->lock->destroy(this->lock);
	free(this);
}

/*
 * See header-less plugin convention: <name>_plugin_create.
 */
plugin_t *xfrm_mobility_plugin_create(void);

plugin_t *xfrm_mobility_plugin_create(void)
{
	private_xm_plugin_t *this;
	char *role;

	INIT(this,
		.public = {
			.get_name = _get_name,
			.get_features = _get_features,
			.destroy = _destroy,
		},
		.listener = {
			.child_updown = child_updown,
		},
		.ev_fd = -1,
		.conns = hashtable_create(hashtable_hash_ptr,
					  hashtable_equals_ptr, 8),
		.lock = mutex_create(MUTEX_TYPE_DEFAULT),
		.children = lib->settings->get_str(lib->settings,
				"%s.plugins." XM_PLUGIN ".children", NULL, lib->ns),
	);
	role = lib->settings->get_str(lib->settings,
			"%s.plugins." XM_PLUGIN ".role", "mobile", lib->ns);
	this->role = streq(role, "gateway") ? XFRM_MOBILITY_ROLE_GATEWAY
					     : XFRM_MOBILITY_ROLE_MOBILE;
	this->req = mnl_socket_open(NETLINK_GENERIC);
	if (!this->req || mnl_socket_bind(this->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		DBG1(DBG_CFG, XM_PLUGIN ": generic netlink socket: %s",
		     strerror(errno));
		destroy(this);
		return NULL;
	}
	return &this->public;
}
