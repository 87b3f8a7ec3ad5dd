/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel helpers used by src/proto.c, so that
 * the codec compiles unchanged for unit tests and fuzzing.
 */
#ifndef _XM_TESTS_KCOMPAT_H
#define _XM_TESTS_KCOMPAT_H

#ifdef __KERNEL__
#error "kcompat.h is for userspace builds only"
#endif

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#ifndef __force
#define __force
#endif

#ifndef __printf
#define __printf(a, b)	__attribute__((__format__(printf, a, b)))
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1UL << (n))

static inline __be16 cpu_to_be16(u16 x)
{
	return (__force __be16)htobe16(x);
}

static inline u16 be16_to_cpu(__be16 x)
{
	return be16toh((__force u16)x);
}

static inline __be32 cpu_to_be32(u32 x)
{
	return (__force __be32)htobe32(x);
}

static inline u32 be32_to_cpu(__be32 x)
{
	return be32toh((__force u32)x);
}

static inline __be64 cpu_to_be64(u64 x)
{
	return (__force __be64)htobe64(x);
}

static inline u64 be64_to_cpu(__be64 x)
{
	return be64toh((__force u64)x);
}

/* Byte-wise accessors: valid at any alignment and visible to sanitizers. */
static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] << 8 | b[1]);
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline u64 get_unaligned_be64(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_be32(b) << 32 | get_unaligned_be32(b + 4);
}

static inline void put_unaligned_be16(u16 val, void *p)
{
	u8 *b = p;

	b[0] = val >> 8;
	b[1] = val;
}

static inline void put_unaligned_be32(u32 val, void *p)
{
	u8 *b = p;

	b[0] = val >> 24;
	b[1] = val >> 16;
	b[2] = val >> 8;
	b[3] = val;
}

static inline void put_unaligned_be64(u64 val, void *p)
{
	u8 *b = p;

	put_unaligned_be32(val >> 32, b);
	put_unaligned_be32(val, b + 4);
}

#endif /* _XM_TESTS_KCOMPAT_H */
