/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: fault injection for the tests of the move's error paths.
 *
 * Compiled in only when the module is built with XM_FAULT_INJECTION=1
 * (the test build, see Kbuild); the shipped module has no fault point and
 * no knob. Like the kernel's fail-nth, a test writes N to
 * /sys/kernel/debug/xfrm_mobility/fail_<point>: the Nth hit of that point
 * from then on, in the network namespace of the writer, fails once (the
 * peer of a test usually runs in another namespace of the same kernel).
 */
#ifndef _XM_FAULT_H
#define _XM_FAULT_H

#include <linux/errno.h>

struct net;

enum xm_fault_point {
	XM_FAULT_ALLOC,		/* an allocation of a copy: -ENOMEM */
	XM_FAULT_SWITCH,	/* a switch to a copy: -ESRCH */
	XM_FAULT_MAX
};

#ifdef XM_FAULT_INJECTION
int xm_fault(enum xm_fault_point point, const struct net *net);
void xm_fault_init(void);
void xm_fault_exit(void);
#else
static inline int xm_fault(enum xm_fault_point point, const struct net *net)
{
	return 0;
}

static inline void xm_fault_init(void)
{
}

static inline void xm_fault_exit(void)
{
}
#endif

#endif /* _XM_FAULT_H */
