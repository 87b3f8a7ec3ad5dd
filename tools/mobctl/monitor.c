// SPDX-License-Identifier: GPL-2.0
/*
 * monitor: print the family's event notifications until SIGINT/SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/xfrm_mobility.h>

#include "format.h"
#include "mobctl.h"
#include "nl.h"
#include "print.h"
#include "utils.h"

/* Local receive time, ISO 8601 with microseconds and UTC offset. */
/* Local wall-clock time with microseconds, for event lines. */
void mob_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	char zone[8] = "";
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + n, len - n, ".%06ld%s", ts.tv_nsec / 1000, zone);
}

/* Print one event notification; @data names the command for errors. */
int mob_event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct mob_event event;
	char ts[64];

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN ||
	    genl->cmd != XFRM_MOBILITY_CMD_EVENT_NTF)
		return MNL_CB_OK;
	if (mob_event_parse(nlh, &event) < 0) {
		fprintf(stderr, "%s: ", (const char *)data);
		nl_perror("bad notification");
		return MNL_CB_OK;
	}
	mob_timestamp(ts, sizeof(ts));
	/* JSON Lines: one compact object per event, whatever -p says. */
	print_init(stdout, opt_json, false);
	print_event(ts, &event);
	/* Readers are often pipes (tests): one write per event. */
	fflush(stdout);
	return MNL_CB_OK;
}

int do_monitor(int argc, char **argv)
{
	struct pollfd pfd[2];
	int sfd = -1, ret = 1;
	sigset_t mask;
	struct nl *nl;

	if (argc > 0 && matches(*argv, "help") == 0)
		usage(stdout, EXIT_SUCCESS);
	if (argc > 0)
		invarg("unknown keyword", *argv);

	nl = nl_open(opt_netns);
	if (!nl)
		return 1;
	if (nl_join_events(nl) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "mobctl: monitor: multicast group \"%s\" not found\n",
				XFRM_MOBILITY_MCGRP_EVENTS);
		else
			nl_perror("monitor");
		goto out;
	}

	/* A signalfd leaves no window between checking a flag and blocking. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		nl_perror("monitor");
		goto out;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		nl_perror("monitor");
		goto out;
	}

	pfd[0].fd = nl_fd(nl);
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			nl_perror("monitor");
			goto out;
		}
		if (pfd[1].revents)
			break;
		/* POLLERR included: an overrun is reported by the next read. */
		if (!pfd[0].revents || nl_recv(nl, mob_event_cb, "monitor") == 0)
			continue;
		if (errno == ENOBUFS) {
			fprintf(stderr, "mobctl: monitor: events lost: %s\n",
				strerror(errno));
			continue;
		}
		if (errno == EINTR || errno == EAGAIN)
			continue;
		nl_perror("monitor");
		goto out;
	}
	ret = 0;
out:
	if (sfd >= 0)
		close(sfd);
	nl_close(nl);
	return ret;
}
