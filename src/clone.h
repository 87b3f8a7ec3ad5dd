/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_CLONE_H
#define _XM_CLONE_H

#include <linux/xfrm.h>

struct xfrm_state;
struct xfrm_encap_tmpl;

struct xfrm_state *xm_state_clone(struct xfrm_state *x,
				  const xfrm_address_t *saddr,
				  const xfrm_address_t *daddr,
				  const struct xfrm_encap_tmpl *encap,
				  u32 oseq_gap);

#endif /* _XM_CLONE_H */
