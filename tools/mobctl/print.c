// SPDX-License-Identifier: GPL-2.0
/*
 * Print layer over the JSON writer: text or JSON from the same calls.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "print.h"

/* mobctl prints one stream at a time; the mode is global as in iproute2. */
static struct {
	FILE *f;
	bool json;
	struct json j;
} out;

void print_init(FILE *f, bool json, bool pretty)
{
	out.f = f;
	out.json = json;
	json_init(&out.j, f, pretty);
}

bool print_is_json(void)
{
	return out.json;
}

static bool want_json(enum print_type type)
{
	return out.json && (type & PRINT_JSON);
}

static bool want_text(enum print_type type, const char *fmt)
{
	return !out.json && (type & PRINT_FP) && fmt;
}

void open_json_object(const char *key)
{
	if (out.json)
		json_open_object(&out.j, key);
}

void close_json_object(void)
{
	if (out.json)
		json_close_object(&out.j);
}

void open_json_array(const char *key)
{
	if (out.json)
		json_open_array(&out.j, key);
}

void close_json_array(void)
{
	if (out.json)
		json_close_array(&out.j);
}

void print_string(enum print_type type, const char *key, const char *fmt,
		  const char *val)
{
	if (want_json(type))
		json_string(&out.j, key, val);
	else if (want_text(type, fmt))
		fprintf(out.f, fmt, val);
}

void print_uint(enum print_type type, const char *key, const char *fmt,
		unsigned int val)
{
	if (want_json(type))
		json_u64(&out.j, key, val);
	else if (want_text(type, fmt))
		fprintf(out.f, fmt, val);
}

void print_u64(enum print_type type, const char *key, const char *fmt,
	       uint64_t val)
{
	if (want_json(type))
		json_u64(&out.j, key, val);
	else if (want_text(type, fmt))
		fprintf(out.f, fmt, val);
}

void print_name(enum print_type type, const char *key, const char *fmt,
		const char *name)
{
	const char *conv;

	if (want_json(type)) {
		json_string(&out.j, key, name);
		return;
	}
	if (!want_text(type, fmt))
		return;
	conv = strstr(fmt, "%s");
	/* The format is fixed by the callers; a wrong one is a bug. */
	if (!conv)
		abort();
	fwrite(fmt, 1, conv - fmt, out.f);
	for (; *name; name++)
		fputc((unsigned char)*name <= ' ' || *name == 0x7f ? '?' : *name,
		      out.f);
	fputs(conv + 2, out.f);
}

void print_addr(enum print_type type, const char *key, const char *fmt,
		const struct mob_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	print_string(type, key, fmt, addr_str(a, buf, sizeof(buf)));
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vfprintf(out.f, fmt, ap);
	va_end(ap);
}
