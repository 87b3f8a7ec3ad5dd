// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal streaming JSON writer.
 */
#ifndef _MOBCTL_JSON_H
#define _MOBCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	bool pretty;
	unsigned int depth;
	bool nonempty[JSON_MAX_DEPTH];
};

/*
 * @key is the member name inside an object and must be NULL for array
 * elements and for the top-level value. Closing the top-level value ends
 * the line.
 */
void json_init(struct json *j, FILE *f, bool pretty);
void json_open_object(struct json *j, const char *key);
void json_close_object(struct json *j);
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_string(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);

/* Writes @s as a quoted JSON string; invalid UTF-8 becomes U+FFFD. */
void json_print_string(FILE *f, const char *s);

#endif /* _MOBCTL_JSON_H */
