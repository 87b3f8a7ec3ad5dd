/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP (Documentation/dev-tools/ktap.rst) producer for userspace
 * unit tests: one top-level test per case, optional one-level subtests for
 * table rows, diagnostics as "# " lines before the result they explain.
 */
#ifndef _XM_TESTS_KTAP_H
#define _XM_TESTS_KTAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kcompat.h"

/**
 * struct ktap_case - one top-level test
 * @name: name printed on the result line
 * @run: body; reports failures through KTAP_EXPECT*()
 */
struct ktap_case {
	const char *name;
	void (*run)(void);
};

static struct {
	const char *indent;	/* "" at top level, "    " inside a subtest */
	bool test_failed;
	bool row_failed;
	unsigned int row;
	unsigned int checks;
} ktap;

static inline __printf(1, 2) void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("%s# ", ktap.indent);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline bool ktap_check(bool ok, const char *file, int line,
			      const char *what)
{
	ktap.checks++;
	if (!ok) {
		ktap_diag("%s:%d: check failed: %s", file, line, what);
		ktap.test_failed = true;
		ktap.row_failed = true;
	}
	return ok;
}

static inline bool ktap_check_eq(long long a, long long b, const char *file,
				 int line, const char *as, const char *bs)
{
	ktap.checks++;
	if (a != b) {
		ktap_diag("%s:%d: expected %s == %s, got %lld (0x%llx) != %lld (0x%llx)",
			  file, line, as, bs, a, (unsigned long long)a, b,
			  (unsigned long long)b);
		ktap.test_failed = true;
		ktap.row_failed = true;
	}
	return a == b;
}

#define KTAP_EXPECT(cond) ktap_check(!!(cond), __FILE__, __LINE__, #cond)
#define KTAP_EXPECT_EQ(a, b) \
	ktap_check_eq((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)

/* Start a subtest of @n rows inside the current top-level test. */
static inline void ktap_sub_begin(const char *name, size_t n)
{
	printf("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", name, n);
	ktap.indent = "    ";
	ktap.row = 0;
}

static inline void ktap_row_begin(void)
{
	ktap.row_failed = false;
}

static inline void ktap_row_end(const char *desc)
{
	printf("    %s %u - %s\n", ktap.row_failed ? "not ok" : "ok", ++ktap.row,
	       desc);
}

static inline void ktap_sub_end(void)
{
	ktap.indent = "";
}

/* Run all cases; returns the number of failed top-level tests. */
static inline int ktap_run(const struct ktap_case *cases, size_t n)
{
	unsigned int failed = 0;
	size_t i;

	printf("KTAP version 1\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		ktap.indent = "";
		ktap.test_failed = false;
		cases[i].run();
		ktap_sub_end();
		failed += ktap.test_failed;
		printf("%s %zu - %s\n", ktap.test_failed ? "not ok" : "ok", i + 1,
		       cases[i].name);
		fflush(stdout);
	}
	printf("# totals: pass:%zu fail:%u checks:%u\n", n - failed, failed,
	       ktap.checks);
	return failed;
}

#endif /* _XM_TESTS_KTAP_H */
