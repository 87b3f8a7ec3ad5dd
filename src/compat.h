/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels xfrm_mobility supports (Debian's 6.1 and
 * 6.12). Kbuild probes the headers for each feature and defines
 * XM_HAVE_<feature>; nothing else in the tree tests kernel versions.
 */
#ifndef _XM_COMPAT_H
#define _XM_COMPAT_H

#include <net/genetlink.h>

/* 6.12 moved asm/unaligned.h to linux/unaligned.h, with no redirect. */
#ifdef XM_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#ifndef XM_HAVE_GENL_SPLIT_OPS
/*
 * Before 6.2 a family carries one genl_ops per command. The generated ops
 * table never has both a do and a dump for one command (every GET is
 * dump-only), so a split ops table is a valid genl_ops table as is.
 */
#define genl_split_ops	genl_ops
#define split_ops	ops
#define n_split_ops	n_ops
#endif

/* Request attributes of a dump. */
static inline struct nlattr **xm_dump_attrs(struct netlink_callback *cb)
{
#ifdef XM_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _XM_COMPAT_H */
