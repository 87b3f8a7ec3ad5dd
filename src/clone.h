/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_CLONE_H
#define _XM_CLONE_H

#include <linux/xfrm.h>

struct xfrm_state;
struct xfrm_encap_tmpl;

struct xfrm_state *xm_state_prepare(struct xfrm_state *x,
				    const xfrm_address_t *saddr,
				    const xfrm_address_t *daddr,
				    const struct xfrm_encap_tmpl *encap);
int xm_state_switch(struct xfrm_state *x, struct xfrm_state *xc);
int xm_state_switch_back(struct xfrm_state *xc, struct xfrm_state *x);
void xm_state_discard(struct xfrm_state *xc);

#endif /* _XM_CLONE_H */
