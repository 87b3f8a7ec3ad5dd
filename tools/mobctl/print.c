// SPDX-License-Identifier: GPL-2.0
/*
 * Output formats: pretty, dump (tab-separated) and JSON. The dump column
 * order is a documented interface (mobctl.8); only append new columns.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "print.h"

#define STAT(c, attr) ((c)->stats.val[XFRM_MOBILITY_A_STATS_##attr])

/* Names come from the kernel; keep the line-oriented formats intact. */
static void fput_safe(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s <= ' ' || *s == 0x7f ? '?' : *s, f);
}

static const char *addr_str(const struct mob_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, &a->u, buf, len))
		return "-";
	return buf;
}

static void nat_str(uint32_t nat, char *buf, size_t len)
{
	const char *name;
	size_t off = 0;
	unsigned int bit;

	snprintf(buf, len, "none");
	for (bit = 0; bit < 32 && off < len; bit++) {
		if (!(nat & (1u << bit)))
			continue;
		name = mob_nat_flag_str(bit);
		if (name)
			off += snprintf(buf + off, len - off, "%s%s",
					off ? "," : "", name);
		else
			off += snprintf(buf + off, len - off, "%s%#x",
					off ? "," : "", 1u << bit);
	}
}

static void json_nat(struct json *j, const char *key, uint32_t nat)
{
	const char *name;
	unsigned int bit;
	char buf[16];

	json_open_array(j, key);
	for (bit = 0; bit < 32; bit++) {
		if (!(nat & (1u << bit)))
			continue;
		name = mob_nat_flag_str(bit);
		if (!name) {
			snprintf(buf, sizeof(buf), "%#x", 1u << bit);
			name = buf;
		}
		json_string(j, NULL, name);
	}
	json_close_array(j);
}

static void print_sa_pretty(FILE *f, const struct mob_sa *sa)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	fprintf(f, "%-3s spi 0x%08x %s -> %s", mob_dir_str(sa->dir), sa->spi,
		addr_str(&sa->saddr, src, sizeof(src)),
		addr_str(&sa->daddr, dst, sizeof(dst)));
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP))
		fprintf(f, " encap %s", mob_encap_str(sa->encap));
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP_SPORT) ||
	    MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP_DPORT))
		fprintf(f, " %u -> %u", sa->sport, sa->dport);
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_OSEQ))
		fprintf(f, " oseq %" PRIu64, sa->oseq);
}

static void json_sa(struct json *j, const struct mob_sa *sa)
{
	char buf[INET6_ADDRSTRLEN];

	json_open_object(j, NULL);
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_DIR))
		json_string(j, "dir", mob_dir_str(sa->dir));
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_SPI)) {
		snprintf(buf, sizeof(buf), "0x%08x", sa->spi);
		json_string(j, "spi", buf);
	}
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_FAMILY))
		json_string(j, "family", mob_family_str(sa->family));
	if (sa->saddr.family)
		json_string(j, "saddr", addr_str(&sa->saddr, buf, sizeof(buf)));
	if (sa->daddr.family)
		json_string(j, "daddr", addr_str(&sa->daddr, buf, sizeof(buf)));
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP))
		json_string(j, "encap", mob_encap_str(sa->encap));
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP_SPORT))
		json_u64(j, "encap-sport", sa->sport);
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP_DPORT))
		json_u64(j, "encap-dport", sa->dport);
	if (MOB_HAS(sa, XFRM_MOBILITY_A_SA_OSEQ))
		json_u64(j, "oseq", sa->oseq);
	json_close_object(j);
}

static void print_last_move(FILE *f, uint64_t last_ns)
{
	struct timespec ts;
	uint64_t now;

	/* last-move-ns is CLOCK_BOOTTIME of the same host, so an age works. */
	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return;
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (now >= last_ns)
		fprintf(f, "  last-move %.1fs ago", (now - last_ns) / 1e9);
}

void print_conn_pretty(FILE *f, const struct mob_conn *c)
{
	char nat[128];
	unsigned int i;

	fprintf(f, "conn %u", c->id);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_NAME)) {
		fputs(" name ", f);
		fput_safe(f, c->name);
	}
	fprintf(f, " reqid %u", c->reqid);
	if (c->mark || c->mark_mask)
		fprintf(f, " mark %#x/%#x", c->mark, c->mark_mask);
	if (c->if_id)
		fprintf(f, " if_id %u", c->if_id);
	fprintf(f, " role %s state %s reg %s", mob_role_str(c->role),
		mob_state_str(c->state), mob_reg_state_str(c->reg_state));
	if (c->reg_seq)
		fprintf(f, " seq %u", c->reg_seq);
	fprintf(f, " port %u", c->reg_port);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_KEEPALIVE))
		fprintf(f, " keepalive %u", c->keepalive);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_ENCAP_POLICY))
		fprintf(f, " encap %s", c->encap_policy ? "always" : "auto");
	fputc('\n', f);

	for (i = 0; i < c->nsa; i++) {
		fputs("    ", f);
		print_sa_pretty(f, &c->sa[i]);
		fputc('\n', f);
	}

	nat_str(c->nat, nat, sizeof(nat));
	fprintf(f, "    nat %s  moves %" PRIu64 "  rreq tx %" PRIu64 " rx %" PRIu64
		"  rrep tx %" PRIu64 " rx %" PRIu64 "  retransmits %" PRIu64,
		nat, STAT(c, MOVES), STAT(c, RREQ_TX), STAT(c, RREQ_RX),
		STAT(c, RREP_TX), STAT(c, RREP_RX), STAT(c, RETRANSMITS));
	if (c->last_move_ns)
		print_last_move(f, c->last_move_ns);
	fprintf(f, "\n    drops malformed %" PRIu64 " stale %" PRIu64
		" unexpected %" PRIu64 " wrong-conn %" PRIu64 " no-tuple %" PRIu64
		"  tx-errors %" PRIu64 "  keepalives %" PRIu64
		"  probes %" PRIu64 "  fallbacks %" PRIu64
		"  duplicates %" PRIu64 "  rebindings %" PRIu64 "\n",
		STAT(c, DROP_MALFORMED), STAT(c, DROP_STALE),
		STAT(c, DROP_UNEXPECTED), STAT(c, DROP_WRONG_CONN),
		STAT(c, DROP_NO_TUPLE), STAT(c, TX_ERRORS), STAT(c, KEEPALIVES),
		STAT(c, PROBES), STAT(c, FALLBACKS), STAT(c, DUPLICATES),
		STAT(c, REBINDINGS));
}

/* One row; @sa is NULL for a connection without any SA. */
static void print_dump_row(FILE *f, const struct mob_conn *c,
			   const struct mob_sa *sa)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	fprintf(f, "%u\t", c->id);
	if (c->name[0])
		fput_safe(f, c->name);
	else
		fputc('-', f);
	fprintf(f, "\t%u\t%s\t%s\t", c->reqid, mob_role_str(c->role),
		mob_state_str(c->state));
	if (sa)
		fprintf(f, "%s\t0x%08x\t%s\t%s\t%s\t%u\t%u\t",
			mob_dir_str(sa->dir), sa->spi,
			addr_str(&sa->saddr, src, sizeof(src)),
			addr_str(&sa->daddr, dst, sizeof(dst)),
			MOB_HAS(sa, XFRM_MOBILITY_A_SA_ENCAP) ?
				mob_encap_str(sa->encap) : "-",
			sa->sport, sa->dport);
	else
		fputs("-\t-\t-\t-\t-\t-\t-\t", f);
	fprintf(f, "%s\t0x%x\t%" PRIu64 "\t", mob_reg_state_str(c->reg_state),
		c->nat, STAT(c, MOVES));
	if (sa)
		fprintf(f, "%" PRIu64, sa->oseq);
	else
		fputc('-', f);
	fprintf(f, "\t%u\t0x%x\t0x%x\t%u\t%u\t%u\n", c->reg_seq, c->mark,
		c->mark_mask, c->if_id, c->reg_port, c->keepalive);
}

void print_conn_dump(FILE *f, const struct mob_conn *c)
{
	unsigned int i;

	if (!c->nsa)
		print_dump_row(f, c, NULL);
	for (i = 0; i < c->nsa; i++)
		print_dump_row(f, c, &c->sa[i]);
}

void json_conn(struct json *j, const struct mob_conn *c)
{
	unsigned int i;
	const char *name;

	json_open_object(j, NULL);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_ID))
		json_u64(j, "id", c->id);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_NAME))
		json_string(j, "name", c->name);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_REQID))
		json_u64(j, "reqid", c->reqid);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_MARK))
		json_u64(j, "mark", c->mark);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_MARK_MASK))
		json_u64(j, "mark-mask", c->mark_mask);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_IF_ID))
		json_u64(j, "if-id", c->if_id);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_ROLE))
		json_string(j, "role", mob_role_str(c->role));
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_REG_PORT))
		json_u64(j, "reg-port", c->reg_port);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_KEEPALIVE))
		json_u64(j, "keepalive", c->keepalive);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_ENCAP_POLICY))
		json_string(j, "encap-policy",
			    c->encap_policy ? "always" : "auto");
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_STATE))
		json_string(j, "state", mob_state_str(c->state));
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_REG_STATE))
		json_string(j, "reg-state", mob_reg_state_str(c->reg_state));
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_REG_SEQ))
		json_u64(j, "reg-seq", c->reg_seq);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_NAT))
		json_nat(j, "nat", c->nat);
	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_LAST_MOVE_NS))
		json_u64(j, "last-move-ns", c->last_move_ns);

	json_open_array(j, "sas");
	for (i = 0; i < c->nsa; i++)
		json_sa(j, &c->sa[i]);
	json_close_array(j);

	if (MOB_HAS(c, XFRM_MOBILITY_A_CONN_STATS)) {
		json_open_object(j, "stats");
		for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
			name = mob_stats_attr_str(i);
			if (name && MOB_HAS(&c->stats, i))
				json_u64(j, name, c->stats.val[i]);
		}
		json_close_object(j);
	}
	json_close_object(j);
}

void print_event_pretty(FILE *f, const char *ts, const struct mob_event *e)
{
	char nat[128];
	unsigned int i;

	fprintf(f, "[%s] %s", ts, MOB_HAS(e, XFRM_MOBILITY_A_EVENT_TYPE) ?
		mob_event_str(e->type) : "unknown");
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_CONN_ID))
		fprintf(f, " conn %u", e->conn_id);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_CONN_NAME)) {
		fputs(" name ", f);
		fput_safe(f, e->conn_name);
	}
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_SEQ))
		fprintf(f, " seq %u", e->seq);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_NAT)) {
		nat_str(e->nat, nat, sizeof(nat));
		fprintf(f, " nat %s", nat);
	}
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_ERROR))
		fprintf(f, " error %u (%s)", e->error, strerror(e->error));
	for (i = 0; i < e->nsa; i++) {
		fputs(" | ", f);
		print_sa_pretty(f, &e->sa[i]);
	}
	fputc('\n', f);
}

void json_event(struct json *j, const char *ts, const struct mob_event *e)
{
	unsigned int i;

	json_open_object(j, NULL);
	json_string(j, "timestamp", ts);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_TYPE))
		json_string(j, "type", mob_event_str(e->type));
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_CONN_ID))
		json_u64(j, "conn-id", e->conn_id);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_CONN_NAME))
		json_string(j, "conn-name", e->conn_name);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_SEQ))
		json_u64(j, "seq", e->seq);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_NAT))
		json_nat(j, "nat", e->nat);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_ERROR))
		json_u64(j, "error", e->error);
	if (MOB_HAS(e, XFRM_MOBILITY_A_EVENT_TIME_NS))
		json_u64(j, "time-ns", e->time_ns);
	if (e->nsa) {
		json_open_array(j, "sas");
		for (i = 0; i < e->nsa; i++)
			json_sa(j, &e->sa[i]);
		json_close_array(j);
	}
	json_close_object(j);
}
