// SPDX-License-Identifier: GPL-2.0
/*
 * Print layer: one call prints a value as text or as JSON, whichever the
 * current output mode is, so that each object has a single printer.
 */
#ifndef _MOBCTL_PRINT_H
#define _MOBCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "utils.h"

/*
 * In which modes a call prints. Text and JSON do not always carry the same
 * values: the text formats show defaults for attributes the kernel did not
 * send and JSON leaves them out, and some values are written differently.
 */
enum print_type {
	PRINT_NONE = 0,
	PRINT_FP = 1 << 0,		/* text only */
	PRINT_JSON = 1 << 1,		/* JSON only */
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};

/* Text when @fp holds, the JSON member when @json holds. */
#define PRINT_IF(fp, json) \
	((enum print_type)(((fp) ? PRINT_FP : 0) | ((json) ? PRINT_JSON : 0)))

/*
 * Start output to @f: JSON (indented if @pretty) or text. JSON output is
 * a sequence of top-level values, each ended by a newline when it closes.
 */
void print_init(FILE *f, bool json, bool pretty);
bool print_is_json(void);

/*
 * Containers exist in JSON only. @key names the member inside an object
 * and is NULL for array elements and for a top-level value.
 */
void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);

/*
 * Scalars: in text mode @fmt, a printf format with one conversion for the
 * value, gives the text; in JSON mode the value becomes member @key (an
 * element if NULL) and @fmt is not used.
 */
void print_string(enum print_type type, const char *key, const char *fmt,
		  const char *val);
void print_uint(enum print_type type, const char *key, const char *fmt,
		unsigned int val);
void print_u64(enum print_type type, const char *key, const char *fmt,
	       uint64_t val);

/*
 * A name from the kernel: blanks and control characters become '?' in the
 * text, which is word- and line-oriented. @fmt has exactly one "%s" and no
 * other '%'.
 */
void print_name(enum print_type type, const char *key, const char *fmt,
		const char *name);

/* An address: a JSON string, "-" in the text when @a has no family. */
void print_addr(enum print_type type, const char *key, const char *fmt,
		const struct mob_addr *a);

/* Text that has no JSON counterpart: separators, line ends, dump rows. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* _MOBCTL_PRINT_H */
