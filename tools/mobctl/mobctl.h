// SPDX-License-Identifier: GPL-2.0
/*
 * Global options and subcommands of mobctl.
 */
#ifndef _MOBCTL_H
#define _MOBCTL_H

#include <stdbool.h>
#include <stdio.h>

extern bool opt_json;
extern bool opt_pretty;
extern const char *opt_netns;

void usage(FILE *f, int status) __attribute__((noreturn));

/* Subcommands: argv holds the words after the command name. */
int do_conn(int argc, char **argv);
int do_show(int argc, char **argv);
int do_handover(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_daemon(int argc, char **argv);
void mob_timestamp(char *buf, size_t len);
struct nlmsghdr;
int mob_event_cb(const struct nlmsghdr *nlh, void *data);

#endif /* _MOBCTL_H */
