// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: fault points of the test build (see fault.h).
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/nsproxy.h>
#include <net/net_namespace.h>

#include "fault.h"

static const char * const xm_fault_names[XM_FAULT_MAX] = {
	[XM_FAULT_ALLOC] = "fail_alloc",
	[XM_FAULT_SWITCH] = "fail_switch",
};

static const int xm_fault_errno[XM_FAULT_MAX] = {
	[XM_FAULT_ALLOC] = -ENOMEM,
	[XM_FAULT_SWITCH] = -ESRCH,
};

/*
 * Per point: hits left before the failure (0: disarmed), and the cookie of
 * the namespace whose hits count.
 */
static struct xm_fault_knob {
	atomic_t nth;
	u64 net_cookie;
} xm_fault_knobs[XM_FAULT_MAX];
static struct dentry *xm_fault_dir;

/**
 * xm_fault() - pass a fault point
 * @point: which one
 * @net: namespace of the operation
 *
 * Return: 0, or the point's error on the hit the test asked for.
 */
int xm_fault(enum xm_fault_point point, const struct net *net)
{
	struct xm_fault_knob *k = &xm_fault_knobs[point];
	atomic_t *nth = &k->nth;
	int old = atomic_read(nth);

	if (READ_ONCE(k->net_cookie) != net->net_cookie)
		return 0;

	do {
		if (old <= 0)
			return 0;
	} while (!atomic_try_cmpxchg(nth, &old, old - 1));
	if (old != 1)
		return 0;
	pr_info("fault injected: %s\n", xm_fault_names[point]);
	return xm_fault_errno[point];
}

static int xm_fault_get(void *data, u64 *val)
{
	struct xm_fault_knob *k = data;

	*val = atomic_read(&k->nth);
	return 0;
}

static int xm_fault_set(void *data, u64 val)
{
	struct xm_fault_knob *k = data;

	WRITE_ONCE(k->net_cookie, current->nsproxy->net_ns->net_cookie);
	atomic_set(&k->nth, val > INT_MAX ? INT_MAX : (int)val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(xm_fault_fops, xm_fault_get, xm_fault_set, "%llu\n");

/**
 * xm_fault_init() - create the knobs under debugfs
 */
void xm_fault_init(void)
{
	int i;

	xm_fault_dir = debugfs_create_dir("xfrm_mobility", NULL);
	for (i = 0; i < XM_FAULT_MAX; i++)
		debugfs_create_file_unsafe(xm_fault_names[i], 0600,
					   xm_fault_dir, &xm_fault_knobs[i],
					   &xm_fault_fops);
	pr_warn("test build: fault injection enabled\n");
}

/**
 * xm_fault_exit() - remove the knobs
 */
void xm_fault_exit(void)
{
	debugfs_remove_recursive(xm_fault_dir);
}
