// SPDX-License-Identifier: GPL-2.0
/*
 * The printers of mobctl's objects, one per object for both the text and
 * the JSON form; the mode and stream are those of print_init().
 */
#ifndef _MOBCTL_FORMAT_H
#define _MOBCTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* A connection: pretty text, or one JSON object. */
void print_conn(const struct mob_conn *conn);

/* The dump rows of a connection (text only): one per SA, or one row. */
void print_conn_dump(const struct mob_conn *conn);

/*
 * What "show" prints: a JSON array of connections, or the connections as
 * pretty text separated by an empty line, or as dump rows if @dump.
 */
void print_conn_list(const struct mob_conn *v, size_t n, bool dump);

/* The reply to "conn add": the id of the new connection. */
void print_conn_added(uint32_t id);

/* One event line; @ts is the local receive time, printed first. */
void print_event(const char *ts, const struct mob_event *event);

/*
 * The daemon's own lines, each starting with the local time @ts. @err is
 * the errno of a refused handover request, 0 if it was accepted.
 */
void print_daemon_handover(const char *ts, const struct mob_conn *conn,
			   const struct mob_addr *from,
			   const struct mob_addr *to, int err);
void print_daemon_no_route(const char *ts, const struct mob_conn *conn,
			   const struct mob_addr *peer, int err);
void print_daemon_rtnetlink(const char *ts, unsigned int messages,
			    const char *changes, bool lost);
void print_daemon_recheck(const char *ts, unsigned int ms);
void print_daemon_start(const char *ts);

#endif /* _MOBCTL_FORMAT_H */
