// SPDX-License-Identifier: GPL-2.0
/*
 * Output formats: pretty, dump (tab-separated) and JSON.
 */
#ifndef _MOBCTL_PRINT_H
#define _MOBCTL_PRINT_H

#include <stdio.h>

#include "json.h"
#include "model.h"

void print_conn_pretty(FILE *f, const struct mob_conn *conn);
void print_conn_dump(FILE *f, const struct mob_conn *conn);
void json_conn(struct json *j, const struct mob_conn *conn);

/* @ts is the local receive time, printed first. */
void print_event_pretty(FILE *f, const char *ts, const struct mob_event *event);
void json_event(struct json *j, const char *ts, const struct mob_event *event);

#endif /* _MOBCTL_PRINT_H */
