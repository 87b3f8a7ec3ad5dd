// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: fast, secure mobility for established IPsec SAs.
 *
 * The order of module and per-netns setup and teardown, nothing else; see
 * Documentation/xfrm_mobility.rst.
 */

#include <linux/module.h>

#include "conn.h"
#include "fault.h"
#include "km.h"
#include "netlink.h"
#include "path.h"
#include "polmap.h"
#include "reg.h"
#include "rx.h"
#include "tx.h"

unsigned int xm_net_id __read_mostly;

static int __net_init xm_net_init(struct net *net)
{
	struct xm_net *xn = xm_net(net);
	int err;

	xn->net = net;
	err = xm_conn_net_init(xn);
	if (err)
		return err;
	xm_polmap_net_init(xn);
	xm_km_net_init(xn);
	xm_reg_net_init(xn);
	xm_path_net_init(xn);
	return 0;
}

static void __net_exit xm_net_exit(struct net *net)
{
	struct xm_net *xn = xm_net(net);

	/* No SA change is followed any more. */
	xm_km_net_exit(xn);
	/* Cancels the connections' timers and frees them. */
	xm_reg_net_exit(xn);
	xm_polmap_forget(xn);
	xm_path_net_exit(xn);
	xm_tx_net_exit(xn);
	xm_conn_net_exit(xn);
}

static struct pernet_operations xm_net_ops = {
	.init = xm_net_init,
	.exit = xm_net_exit,
	.id = &xm_net_id,
	.size = sizeof(struct xm_net),
};

static int __init xm_init(void)
{
	int err;

	err = xm_reg_init();
	if (err)
		return err;

	err = register_pernet_subsys(&xm_net_ops);
	if (err)
		goto err_reg;

	/* SA changes by others (rekeys) reach every namespace from now on. */
	xm_km_init();

	err = xm_rx_init();
	if (err)
		goto err_km;

	err = xm_netlink_init();
	if (err)
		goto err_rx;

	xm_fault_init();
	pr_info("loaded\n");
	return 0;

err_rx:
	xm_rx_uninit();
err_km:
	xm_km_uninit();
	xm_reg_stop();
	unregister_pernet_subsys(&xm_net_ops);
err_reg:
	xm_reg_uninit();
	return err;
}

static void __exit xm_exit(void)
{
	xm_fault_exit();
	/* No new request can start once the family is gone. */
	xm_netlink_uninit();
	/* No hook runs once this returns; queued messages remain. */
	xm_rx_uninit();
	/* No SA notification arrives once this returns. */
	xm_km_uninit();
	/* Handle queued messages; retransmission timers stop rearming. */
	xm_reg_stop();
	/* Cancels the timers and frees every connection of every netns. */
	unregister_pernet_subsys(&xm_net_ops);
	xm_reg_uninit();
	/* Connections are freed with kfree_rcu(). */
	rcu_barrier();
}

module_init(xm_init);
module_exit(xm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Fast, secure mobility for established IPsec SAs");
MODULE_AUTHOR("The xfrm_mobility authors");
MODULE_ALIAS_GENL_FAMILY(XFRM_MOBILITY_FAMILY_NAME);
