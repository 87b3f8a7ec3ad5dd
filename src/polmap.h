/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_POLMAP_H
#define _XM_POLMAP_H

#include "xm.h"

/* At most this many policies of one reqid are handled (moves, walks). */
#define XM_MAX_POLS	16

bool xm_pol_has_reqid(const struct xfrm_policy *pol, u32 reqid);
void xm_polref_set(struct xm_polref *ref, const struct xfrm_policy *pol);
struct xfrm_policy *xm_polref_get(struct net *net,
				  const struct xm_polref *ref, u32 reqid);
void xm_pols_put(struct xfrm_policy **pols, unsigned int n);
int xm_polmap_get(struct xm_net *xn, u32 reqid, struct xm_polref *ref);
void xm_polmap_set(struct xm_net *xn, u32 reqid, struct xfrm_policy **pols,
		   unsigned int n);
void xm_polmap_notify(struct xm_net *xn, struct xfrm_policy *pol, int event);
void xm_polmap_net_init(struct xm_net *xn);
void xm_polmap_forget(struct xm_net *xn);

#endif /* _XM_POLMAP_H */
