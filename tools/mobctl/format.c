// SPDX-License-Identifier: GPL-2.0
/*
 * Output of connections, events and daemon lines. Every format is an
 * interface (mobctl.8): the pretty text, the JSON member names and order,
 * and above all the dump columns, where new columns are only appended.
 *
 * JSON has a member only for an attribute the kernel sent; the pretty text
 * shows several values whatever was sent, and orders a few of them
 * differently. Where the two differ, PRINT_IF() gives each its condition,
 * and a value that sits elsewhere in the text is printed twice, once per
 * mode (PRINT_FP and PRINT_JSON).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "print.h"

#define CONN_HAS(c, attr)	MOB_HAS(c, XFRM_MOBILITY_A_CONN_##attr)
#define SA_HAS(sa, attr)	MOB_HAS(sa, XFRM_MOBILITY_A_SA_##attr)
#define EVENT_HAS(e, attr)	MOB_HAS(e, XFRM_MOBILITY_A_EVENT_##attr)
#define STAT(c, attr)		((c)->stats.val[XFRM_MOBILITY_A_STATS_##attr])

/* Flag names: "a,b" or "none" in the text, an array of names in JSON. */
static void print_nat(enum print_type type, const char *key, const char *fmt,
		      uint32_t nat)
{
	char text[128] = "none", buf[16];
	const char *name;
	unsigned int bit;
	size_t off = 0;

	if (print_is_json() && !(type & PRINT_JSON))
		return;
	open_json_array(key);
	for (bit = 0; bit < 32; bit++) {
		if (!(nat & (1u << bit)))
			continue;
		name = mob_nat_flag_str(bit);
		if (!name) {
			snprintf(buf, sizeof(buf), "%#x", 1u << bit);
			name = buf;
		}
		print_string(PRINT_JSON, NULL, NULL, name);
		if (off < sizeof(text))
			off += snprintf(text + off, sizeof(text) - off, "%s%s",
					off ? "," : "", name);
	}
	close_json_array();
	if (type & PRINT_FP)
		print_string(PRINT_FP, NULL, fmt, text);
}

/* The text is the SA's part of a line; the caller adds what surrounds it. */
static void print_sa(const struct mob_sa *sa)
{
	bool encap = SA_HAS(sa, ENCAP);
	bool ports = SA_HAS(sa, ENCAP_SPORT) || SA_HAS(sa, ENCAP_DPORT);
	bool oseq = SA_HAS(sa, OSEQ);
	char spi[16];

	open_json_object(NULL);
	print_string(PRINT_IF(true, SA_HAS(sa, DIR)), "dir", "%-3s",
		     mob_dir_str(sa->dir));
	snprintf(spi, sizeof(spi), "0x%08x", sa->spi);
	print_string(PRINT_IF(true, SA_HAS(sa, SPI)), "spi", " spi %s", spi);
	print_string(PRINT_IF(false, SA_HAS(sa, FAMILY)), "family", NULL,
		     mob_family_str(sa->family));
	print_addr(PRINT_IF(true, sa->saddr.family), "saddr", " %s", &sa->saddr);
	print_addr(PRINT_IF(true, sa->daddr.family), "daddr", " -> %s",
		   &sa->daddr);
	print_string(PRINT_IF(encap, encap), "encap", " encap %s",
		     mob_encap_str(sa->encap));
	print_uint(PRINT_IF(ports, SA_HAS(sa, ENCAP_SPORT)), "encap-sport", " %u",
		   sa->sport);
	print_uint(PRINT_IF(ports, SA_HAS(sa, ENCAP_DPORT)), "encap-dport",
		   " -> %u", sa->dport);
	print_u64(PRINT_IF(oseq, oseq), "oseq", " oseq %" PRIu64, sa->oseq);
	close_json_object();
}

static void print_last_move(uint64_t last_ns)
{
	struct timespec ts;
	uint64_t now;

	/* last-move-ns is CLOCK_BOOTTIME of the same host, so an age works. */
	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return;
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (now >= last_ns)
		print_text("  last-move %.1fs ago", (now - last_ns) / 1e9);
}

/*
 * The text of each counter, by attribute type: JSON keeps the attribute
 * order, and so does the text except for moves, which comes first, and
 * rate-limited, which follows the other drops.
 */
static const char *const stats_fmt[XFRM_MOBILITY_A_STATS_MAX + 1] = {
	[XFRM_MOBILITY_A_STATS_RREQ_TX]		= "  rreq tx %" PRIu64,
	[XFRM_MOBILITY_A_STATS_RREQ_RX]		= " rx %" PRIu64,
	[XFRM_MOBILITY_A_STATS_RREP_TX]		= "  rrep tx %" PRIu64,
	[XFRM_MOBILITY_A_STATS_RREP_RX]		= " rx %" PRIu64,
	[XFRM_MOBILITY_A_STATS_RETRANSMITS]	= "  retransmits %" PRIu64,
	[XFRM_MOBILITY_A_STATS_DROP_MALFORMED]	= "\n    drops malformed %" PRIu64,
	[XFRM_MOBILITY_A_STATS_DROP_STALE]	= " stale %" PRIu64,
	[XFRM_MOBILITY_A_STATS_DROP_UNEXPECTED]	= " unexpected %" PRIu64,
	[XFRM_MOBILITY_A_STATS_DROP_WRONG_CONN]	= " wrong-conn %" PRIu64,
	[XFRM_MOBILITY_A_STATS_DROP_NO_TUPLE]	= " no-tuple %" PRIu64,
	[XFRM_MOBILITY_A_STATS_TX_ERRORS]	= "  tx-errors %" PRIu64,
	[XFRM_MOBILITY_A_STATS_KEEPALIVES]	= "  keepalives %" PRIu64,
	[XFRM_MOBILITY_A_STATS_PROBES]		= "  probes %" PRIu64,
	[XFRM_MOBILITY_A_STATS_FALLBACKS]	= "  fallbacks %" PRIu64,
	[XFRM_MOBILITY_A_STATS_DUPLICATES]	= "  duplicates %" PRIu64,
	[XFRM_MOBILITY_A_STATS_REBINDINGS]	= "  rebindings %" PRIu64,
	[XFRM_MOBILITY_A_STATS_CHALLENGES]	= "  challenges %" PRIu64,
	[XFRM_MOBILITY_A_STATS_VALIDATIONS]	= "  validations %" PRIu64,
	[XFRM_MOBILITY_A_STATS_REVERTS]		= "  reverts %" PRIu64,
	[XFRM_MOBILITY_A_STATS_AMPLIFICATION_DROPS] = "  amplification-drops %" PRIu64,
	[XFRM_MOBILITY_A_STATS_ECHOES]		= "  echoes %" PRIu64,
	[XFRM_MOBILITY_A_STATS_PATH_FAILURES]	= "  path-failures %" PRIu64,
};

/* The two counter lines of the text; the "stats" object of JSON. */
static void print_stats(const struct mob_conn *c)
{
	bool json = CONN_HAS(c, STATS);
	const char *name;
	unsigned int i;

	print_nat(PRINT_FP, NULL, "    nat %s", c->nat);
	print_u64(PRINT_FP, NULL, "  moves %" PRIu64, STAT(c, MOVES));
	if (json)
		open_json_object("stats");
	for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
		/* The age of the last move ends the first line. */
		if (i == XFRM_MOBILITY_A_STATS_DROP_MALFORMED && c->last_move_ns)
			print_last_move(c->last_move_ns);
		name = mob_stats_attr_str(i);
		print_u64(PRINT_IF(stats_fmt[i],
				   json && name && MOB_HAS(&c->stats, i)),
			  name, stats_fmt[i], c->stats.val[i]);
		if (i == XFRM_MOBILITY_A_STATS_DROP_NO_TUPLE)
			print_u64(PRINT_FP, NULL, " rate-limited %" PRIu64,
				  STAT(c, DROP_RATE_LIMITED));
	}
	if (json)
		close_json_object();
	print_text("\n");
}

void print_conn(const struct mob_conn *c)
{
	bool mark = c->mark || c->mark_mask;
	bool keepalive = CONN_HAS(c, KEEPALIVE);
	bool encap = CONN_HAS(c, ENCAP_POLICY);
	bool name = CONN_HAS(c, NAME);
	unsigned int i;

	open_json_object(NULL);
	print_uint(PRINT_IF(true, CONN_HAS(c, ID)), "id", "conn %u", c->id);
	print_name(PRINT_IF(name, name), "name", " name %s", c->name);
	print_uint(PRINT_IF(true, CONN_HAS(c, REQID)), "reqid", " reqid %u",
		   c->reqid);
	print_uint(PRINT_IF(mark, CONN_HAS(c, MARK)), "mark", " mark %#x",
		   c->mark);
	print_uint(PRINT_IF(mark, CONN_HAS(c, MARK_MASK)), "mark-mask", "/%#x",
		   c->mark_mask);
	print_uint(PRINT_IF(c->if_id, CONN_HAS(c, IF_ID)), "if-id", " if_id %u",
		   c->if_id);
	print_string(PRINT_IF(true, CONN_HAS(c, ROLE)), "role", " role %s",
		     mob_role_str(c->role));
	/* The text has the states here; JSON after the encapsulation policy. */
	print_string(PRINT_FP, NULL, " state %s", mob_state_str(c->state));
	print_string(PRINT_FP, NULL, " reg %s", mob_reg_state_str(c->reg_state));
	print_uint(PRINT_IF(c->reg_seq, false), NULL, " seq %u", c->reg_seq);
	/* Sent only while a registration is pending or has failed. */
	if (CONN_HAS(c, NEXT_TRY_MS))
		print_text(" next-try %.1fs", c->next_try_ms / 1000.0);
	print_uint(PRINT_IF(true, CONN_HAS(c, REG_PORT)), "reg-port", " port %u",
		   c->reg_port);
	print_uint(PRINT_IF(keepalive, keepalive), "keepalive", " keepalive %u",
		   c->keepalive);
	print_string(PRINT_IF(encap, encap), "encap-policy", " encap %s",
		     c->encap_policy ? "always" : "auto");
	print_text("\n");

	print_string(PRINT_IF(false, CONN_HAS(c, STATE)), "state", NULL,
		     mob_state_str(c->state));
	print_string(PRINT_IF(false, CONN_HAS(c, REG_STATE)), "reg-state", NULL,
		     mob_reg_state_str(c->reg_state));
	print_uint(PRINT_IF(false, CONN_HAS(c, REG_SEQ)), "reg-seq", NULL,
		   c->reg_seq);
	/* The text has these on the counter line. */
	print_nat(PRINT_IF(false, CONN_HAS(c, NAT)), "nat", NULL, c->nat);
	print_u64(PRINT_IF(false, CONN_HAS(c, LAST_MOVE_NS)), "last-move-ns",
		  NULL, c->last_move_ns);
	/* The text has it after the registration state. */
	print_uint(PRINT_IF(false, CONN_HAS(c, NEXT_TRY_MS)), "next-try-ms",
		   NULL, c->next_try_ms);

	open_json_array("sas");
	for (i = 0; i < c->nsa; i++) {
		print_text("    ");
		print_sa(&c->sa[i]);
		print_text("\n");
	}
	close_json_array();

	print_stats(c);
	close_json_object();
}

/* One row; @sa is NULL for a connection without any SA. */
static void print_dump_row(const struct mob_conn *c, const struct mob_sa *sa)
{
	print_text("%u\t", c->id);
	if (c->name[0])
		print_name(PRINT_FP, NULL, "%s", c->name);
	else
		print_text("-");
	print_text("\t%u\t%s\t%s\t", c->reqid, mob_role_str(c->role),
		   mob_state_str(c->state));
	if (sa) {
		print_text("%s\t0x%08x\t", mob_dir_str(sa->dir), sa->spi);
		print_addr(PRINT_FP, NULL, "%s\t", &sa->saddr);
		print_addr(PRINT_FP, NULL, "%s\t", &sa->daddr);
		print_text("%s\t%u\t%u\t", SA_HAS(sa, ENCAP) ?
				mob_encap_str(sa->encap) : "-",
			   sa->sport, sa->dport);
	} else {
		print_text("-\t-\t-\t-\t-\t-\t-\t");
	}
	print_text("%s\t0x%x\t%" PRIu64 "\t", mob_reg_state_str(c->reg_state),
		   c->nat, STAT(c, MOVES));
	if (sa)
		print_text("%" PRIu64, sa->oseq);
	else
		print_text("-");
	print_text("\t%u\t0x%x\t0x%x\t%u\t%u\t%u\n", c->reg_seq, c->mark,
		   c->mark_mask, c->if_id, c->reg_port, c->keepalive);
}

void print_conn_dump(const struct mob_conn *c)
{
	unsigned int i;

	if (!c->nsa)
		print_dump_row(c, NULL);
	for (i = 0; i < c->nsa; i++)
		print_dump_row(c, &c->sa[i]);
}

void print_conn_list(const struct mob_conn *v, size_t n, bool dump)
{
	size_t i;

	open_json_array(NULL);
	for (i = 0; i < n; i++) {
		if (dump && !print_is_json()) {
			print_conn_dump(&v[i]);
			continue;
		}
		if (i)
			print_text("\n");
		print_conn(&v[i]);
	}
	close_json_array();
}

void print_conn_added(uint32_t id)
{
	open_json_object(NULL);
	print_uint(PRINT_ANY, "id", "id %u\n", id);
	close_json_object();
}

void print_event(const char *ts, const struct mob_event *e)
{
	bool type = EVENT_HAS(e, TYPE);
	bool id = EVENT_HAS(e, CONN_ID);
	bool name = EVENT_HAS(e, CONN_NAME);
	bool seq = EVENT_HAS(e, SEQ);
	bool nat = EVENT_HAS(e, NAT);
	unsigned int i;

	open_json_object(NULL);
	print_string(PRINT_ANY, "timestamp", "[%s] ", ts);
	print_string(PRINT_IF(true, type), "type", "%s",
		     type ? mob_event_str(e->type) : "unknown");
	print_uint(PRINT_IF(id, id), "conn-id", " conn %u", e->conn_id);
	print_name(PRINT_IF(name, name), "conn-name", " name %s", e->conn_name);
	print_uint(PRINT_IF(seq, seq), "seq", " seq %u", e->seq);
	print_nat(PRINT_IF(nat, nat), "nat", " nat %s", e->nat);
	if (EVENT_HAS(e, ERROR)) {
		print_uint(PRINT_ANY, "error", " error %u", e->error);
		print_text(" (%s)", strerror(e->error));
	}
	print_u64(PRINT_IF(false, EVENT_HAS(e, TIME_NS)), "time-ns", NULL,
		  e->time_ns);
	if (e->nsa)
		open_json_array("sas");
	for (i = 0; i < e->nsa; i++) {
		print_text(" | ");
		print_sa(&e->sa[i]);
	}
	if (e->nsa)
		close_json_array();
	print_text("\n");
	close_json_object();
}

/* "[TS] conn ID[ NAME]: ", or "[TS] " without @c; JSON adds the action. */
static void daemon_line_start(const char *ts, const struct mob_conn *c,
			      const char *action)
{
	bool name = c && CONN_HAS(c, NAME);

	open_json_object(NULL);
	print_string(PRINT_ANY, "timestamp", "[%s] ", ts);
	print_string(PRINT_JSON, "action", NULL, action);
	if (!c)
		return;
	print_uint(PRINT_ANY, "conn-id", "conn %u", c->id);
	print_name(PRINT_IF(name, name), "conn-name", " %s", c->name);
	print_text(": ");
}

static void daemon_line_end(void)
{
	print_text("\n");
	close_json_object();
}

void print_daemon_handover(const char *ts, const struct mob_conn *c,
			   const struct mob_addr *from,
			   const struct mob_addr *to, int err)
{
	daemon_line_start(ts, c, "handover");
	print_addr(PRINT_ANY, "from", "local %s", from);
	print_addr(PRINT_ANY, "to", " -> %s", to);
	print_string(PRINT_ANY, "result", ", handover %s",
		     err ? "failed" : "requested");
	if (err) {
		print_uint(PRINT_JSON, "errno", NULL, err);
		print_string(PRINT_ANY, "error", ": %s", strerror(err));
	}
	daemon_line_end();
}

void print_daemon_no_route(const char *ts, const struct mob_conn *c,
			   const struct mob_addr *peer, int err)
{
	daemon_line_start(ts, c, "no-route");
	print_addr(PRINT_ANY, "peer", "no route to %s", peer);
	print_string(PRINT_ANY, "error", " (%s), waiting", strerror(err));
	daemon_line_end();
}

void print_daemon_rtnetlink(const char *ts, unsigned int messages,
			    const char *changes, bool lost)
{
	daemon_line_start(ts, NULL, "rtnetlink");
	print_uint(PRINT_ANY, "messages", "rtnetlink: %u", messages);
	print_text(" message%s: ", messages == 1 ? "" : "s");
	print_string(PRINT_ANY, "changes", "%s", changes);
	print_string(PRINT_IF(lost, lost), "lost", " (events lost, %s)",
		     "resync");
	daemon_line_end();
}

void print_daemon_recheck(const char *ts, unsigned int ms)
{
	daemon_line_start(ts, NULL, "recheck");
	print_uint(PRINT_ANY, "after-ms", "recheck %u ms after the last change",
		   ms);
	daemon_line_end();
}

void print_daemon_start(const char *ts)
{
	daemon_line_start(ts, NULL, "start");
	print_text("daemon: watching links, addresses and routes");
	daemon_line_end();
}
