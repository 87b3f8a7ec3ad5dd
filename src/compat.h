/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels xfrm_mobility supports (Debian's 6.1 and
 * 6.12). Kbuild probes the headers for each feature and defines
 * XM_HAVE_<feature>; nothing else in the tree tests kernel versions.
 */
#ifndef _XM_COMPAT_H
#define _XM_COMPAT_H

#include <net/genetlink.h>
#include <linux/udp.h>
#include <net/xfrm.h>

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

/*
 * Fields of struct xfrm_state that only some kernels have; see
 * xm_state_prepare(). 6.1 has none of them.
 */
#include <net/xfrm.h>

/* SA direction (XFRMA_SA_DIR, 6.10): 0, XFRM_SA_DIR_IN or XFRM_SA_DIR_OUT. */
static inline void xm_state_copy_dir(struct xfrm_state *to,
				     const struct xfrm_state *from)
{
#ifdef XM_HAVE_XFRM_STATE_DIR
	to->dir = from->dir;
#endif
}

/* Per-CPU SA number (XFRMA_SA_PCPU, 6.13, in Debian's 6.12 too). */
static inline void xm_state_copy_pcpu_num(struct xfrm_state *to,
					  const struct xfrm_state *from)
{
#ifdef XM_HAVE_XFRM_STATE_PCPU_NUM
	to->pcpu_num = from->pcpu_num;
#endif
}

/*
 * NAT keepalive (XFRMA_NAT_KEEPALIVE_INTERVAL, 6.10). __xfrm_init_state()
 * refuses a non-zero interval unless the SA is outbound with
 * UDP_ENCAP_ESPINUDP, so copy it only onto such an SA; a state fresh from
 * xfrm_state_alloc() has it cleared. The expiration is updated under
 * @from->lock.
 */
static inline void xm_state_copy_nat_keepalive(struct xfrm_state *to,
					       const struct xfrm_state *from)
{
#ifdef XM_HAVE_XFRM_NAT_KEEPALIVE
	to->nat_keepalive_interval = from->nat_keepalive_interval;
	to->nat_keepalive_expiration = from->nat_keepalive_expiration;
#endif
}

/*
 * UDP GRO of ESP-in-UDP (6.12): a UDP socket in ESP-in-UDP mode with
 * UDP_GRO set (IPv4, or IPv6 taking IPv4 too) hands ESP-in-UDP to
 * esp4_offload's GRO, which calls xfrm_input() without the xfrm4_protocol
 * handlers. Older kernels have no such path.
 */
#ifdef XM_HAVE_XFRM_GRO_UDP_ENCAP
static inline bool xm_udp_sk_esp_gro(struct sock *sk)
{
	return READ_ONCE(udp_sk(sk)->encap_type) == UDP_ENCAP_ESPINUDP &&
	       READ_ONCE(udp_sk(sk)->gro_receive);
}
#endif

#endif /* _XM_COMPAT_H */
