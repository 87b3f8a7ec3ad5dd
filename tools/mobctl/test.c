// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests for mobctl that need no kernel module: argument parsing,
 * JSON escaping, attribute parsing and the output formats, and the exit
 * status of bad command lines. Usage: test-mobctl ./mobctl
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "format.h"
#include "json.h"
#include "model.h"
#include "print.h"
#include "utils.h"

static unsigned int passed, failed;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_str(const char *got, const char *want, const char *what)
{
	check(!strcmp(got, want), "%s:\n got: %s\nwant: %s", what, got, want);
}

/* ---- argument parsing ---- */

static void test_matches(void)
{
	check(matches("a", "add") == 0, "matches a add");
	check(matches("add", "add") == 0, "matches add add");
	check(matches("addx", "add") != 0, "matches addx add");
	check(matches("", "add") != 0, "matches empty");
	check(matches("del", "delete") == 0, "matches del delete");
	check(matches("-j", "-json") == 0, "matches -j -json");
}

static void test_numbers(void)
{
	static const struct {
		const char *arg;
		int ret;
		uint32_t val;
	} u32[] = {
		{ "0", 0, 0 }, { "42", 0, 42 }, { "0x10", 0, 16 },
		{ "0XfF", 0, 255 }, { "010", 0, 10 }, { "4294967295", 0, UINT32_MAX },
		{ "0xffffffff", 0, UINT32_MAX }, { "4294967296", -1, 0 },
		{ "0x100000000", -1, 0 }, { "-1", -1, 0 }, { "+1", -1, 0 },
		{ " 1", -1, 0 }, { "1 ", -1, 0 }, { "", -1, 0 }, { "0x", -1, 0 },
		{ "0x0x1", -1, 0 }, { "1a", -1, 0 }, { "abc", -1, 0 },
		{ "99999999999999999999999", -1, 0 },
	};
	uint32_t v, mark, mask;
	uint16_t p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(u32); i++) {
		v = 0;
		check(get_u32(&v, u32[i].arg) == u32[i].ret &&
		      (u32[i].ret || v == u32[i].val), "get_u32 \"%s\"", u32[i].arg);
	}
	check(get_u16(&p, "65535") == 0 && p == 65535, "get_u16 65535");
	check(get_u16(&p, "0x1195") == 0 && p == 4501, "get_u16 0x1195");
	check(get_u16(&p, "65536") == -1, "get_u16 65536");

	check(get_mark(&mark, &mask, "5") == 0 && mark == 5 && mask == 0xffffffff,
	      "get_mark 5");
	check(get_mark(&mark, &mask, "0x10/0xff") == 0 && mark == 16 && mask == 255,
	      "get_mark 0x10/0xff");
	check(get_mark(&mark, &mask, "1/") == -1, "get_mark 1/");
	check(get_mark(&mark, &mask, "/1") == -1, "get_mark /1");
	check(get_mark(&mark, &mask, "1/2/3") == -1, "get_mark 1/2/3");
}

static void test_names_addrs(void)
{
	char long_name[80];
	struct mob_addr a;

	memset(long_name, 'x', sizeof(long_name));
	long_name[64] = '\0';
	check(check_conn_name(long_name, true) == -1, "name of 64+1 bytes");
	long_name[63] = '\0';
	check(check_conn_name(long_name, true) == 0, "name of 63+1 bytes");
	check(check_conn_name("home", true) == 0, "name home");
	check(check_conn_name("caf\xc3\xa9", true) == 0, "name UTF-8");
	check(check_conn_name("", true) == -1, "name empty");
	check(check_conn_name("-", true) == -1, "name -");
	check(check_conn_name("a b", true) == -1, "name with blank");
	check(check_conn_name("a\tb", true) == -1, "name with tab");
	check(check_conn_name("a b", false) == 0, "select name with blank");
	check(check_netns_name("ns1") == 0, "netns ns1");
	check(check_netns_name("../x") == -1, "netns ../x");
	check(check_netns_name("..") == -1, "netns ..");

	check(get_addr(&a, "10.1.0.2") == 0 && a.family == AF_INET &&
	      a.u.v4.s_addr == htonl(0x0a010002), "addr 10.1.0.2");
	check(get_addr(&a, "2001:db8::1") == 0 && a.family == AF_INET6 &&
	      a.u.v6.s6_addr[0] == 0x20 && a.u.v6.s6_addr[15] == 1, "addr 2001:db8::1");
	check(get_addr(&a, "10.1.0") == -1, "addr 10.1.0");
	check(get_addr(&a, "host") == -1, "addr host");
}

/* ---- JSON ---- */

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *cap_open(struct capture *c)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

static const char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static void check_escape(const char *in, const char *want)
{
	struct capture c;

	json_print_string(cap_open(&c), in);
	check_str(cap_close(&c), want, "json escape");
	free(c.buf);
}

static void test_json(void)
{
	struct capture c;
	struct json j;

	check_escape("plain", "\"plain\"");
	check_escape("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	check_escape("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	check_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	check_escape("\xff", "\"\\ufffd\"");
	check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong */
	check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	check_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	check_escape("x\xe2\x82", "\"x\\ufffd\\ufffd\"");		/* truncated */
	check_escape("", "\"\"");

	json_init(&j, cap_open(&c), false);
	json_open_array(&j, NULL);
	json_open_object(&j, NULL);
	json_u64(&j, "id", 1);
	json_string(&j, "k\"", "v");
	json_open_array(&j, "e");
	json_close_array(&j);
	json_open_object(&j, "o");
	json_u64(&j, "n", UINT64_MAX);
	json_close_object(&j);
	json_close_object(&j);
	json_open_object(&j, NULL);
	json_close_object(&j);
	json_close_array(&j);
	check_str(cap_close(&c),
		  "[{\"id\":1,\"k\\\"\":\"v\",\"e\":[],\"o\":{\"n\":18446744073709551615}},{}]\n",
		  "json compact");
	free(c.buf);

	json_init(&j, cap_open(&c), true);
	json_open_array(&j, NULL);
	json_open_object(&j, NULL);
	json_u64(&j, "id", 1);
	json_open_array(&j, "e");
	json_close_array(&j);
	json_close_object(&j);
	json_close_array(&j);
	check_str(cap_close(&c), "[\n  {\n    \"id\": 1,\n    \"e\": []\n  }\n]\n",
		  "json pretty");
	free(c.buf);
}

/* ---- rendering objects into strings ---- */

/* The output modes of mobctl; TEXT is the default (pretty) format. */
enum mode { TEXT, DUMP, JSON, JSON_PRETTY };

static const char *const mode_name[] = {
	[TEXT] = "text", [DUMP] = "dump", [JSON] = "json",
	[JSON_PRETTY] = "json -p",
};

/* Compares and frees @got, the output of a render_*() call. */
static void check_out(char *got, const char *want, const char *what,
		      enum mode m)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s (%s)", what, mode_name[m]);
	check_str(got, want, buf);
	free(got);
}

/* Compares the first line of @got, which it frees, with @want. */
static void check_first_line(char *got, const char *want, const char *what)
{
	char *end = strchr(got, '\n');

	if (end)
		end[1] = '\0';
	check_str(got, want, what);
	free(got);
}

static void set_addr(struct mob_addr *a, int family, const char *s)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	inet_pton(family, s, &a->u);
}

/* Starts output of mode @m into @c. */
static void render_start(struct capture *c, enum mode m)
{
	print_init(cap_open(c), m == JSON || m == JSON_PRETTY, m == JSON_PRETTY);
}

static char *render_conn(enum mode m, const struct mob_conn *conn)
{
	struct capture c;

	render_start(&c, m);
	if (m == DUMP)
		print_conn_dump(conn);
	else
		print_conn(conn);
	return (char *)cap_close(&c);
}

/* What "mobctl show" prints for the connections @v. */
static char *render_show(enum mode m, const struct mob_conn *v, size_t n)
{
	struct capture c;

	render_start(&c, m);
	print_conn_list(v, n, m == DUMP);
	return (char *)cap_close(&c);
}

/* The reply of "mobctl conn add". */
static char *render_add_reply(enum mode m, uint32_t id)
{
	struct capture c;

	render_start(&c, m);
	print_conn_added(id);
	return (char *)cap_close(&c);
}

/* Events are JSON Lines: compact whatever -p says. */
static char *render_event(enum mode m, const char *ts,
			  const struct mob_event *e)
{
	struct capture c;

	render_start(&c, m == JSON_PRETTY ? JSON : m);
	print_event(ts, e);
	return (char *)cap_close(&c);
}

#define TS_DAEMON "2025-06-01T12:00:00.123456+0200"

/*
 * The daemon's own lines (JSON Lines, never indented): handovers with and
 * without a name (one needing '?'), a refused one, lost routes, rtnetlink
 * batches, a recheck, the start.
 */
static char *render_daemon(enum mode m, const struct mob_conn *c)
{
	struct mob_addr a, b, peer;
	struct capture cap;

	render_start(&cap, m);
	set_addr(&a, AF_INET, "10.0.1.2");
	set_addr(&b, AF_INET, "10.0.2.2");
	print_daemon_handover(TS_DAEMON, &c[0], &a, &b, 0);
	set_addr(&a, AF_INET6, "2001:db8::1");
	set_addr(&b, AF_INET6, "2001:db8::2");
	print_daemon_handover(TS_DAEMON, &c[1], &a, &b, EINVAL);
	print_daemon_handover(TS_DAEMON, &c[2], &b, &a, 0);
	set_addr(&peer, AF_INET, "203.0.113.10");
	print_daemon_no_route(TS_DAEMON, &c[0], &peer, ENETUNREACH);
	print_daemon_no_route(TS_DAEMON, &c[2], &b, EADDRNOTAVAIL);
	print_daemon_rtnetlink(TS_DAEMON, 1, "newroute inet", false);
	print_daemon_rtnetlink(TS_DAEMON, 12, "newlink, dellink inet, ...", true);
	print_daemon_rtnetlink(TS_DAEMON, 0, "", true);
	print_daemon_recheck(TS_DAEMON, 50);
	print_daemon_start(TS_DAEMON);
	return (char *)cap_close(&cap);
}

/* ---- attribute parsing and output formats ---- */

static char msgbuf[8192] __attribute__((aligned(8)));

static struct nlmsghdr *msg_start(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(msgbuf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = 0x20;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = XFRM_MOBILITY_FAMILY_VERSION;
	return nlh;
}

/* What the kernel sends: big-endian spi/addresses/ports, padded u64. */
static void put_sa4(struct nlmsghdr *nlh, uint16_t type, uint32_t dir,
		    uint32_t spi, const char *src, const char *dst, bool oseq)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	struct in_addr a;

	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_DIR, dir);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_SPI, htonl(spi));
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_FAMILY, AF_INET);
	inet_pton(AF_INET, src, &a);
	mnl_attr_put(nlh, XFRM_MOBILITY_A_SA_SADDR_IPV4, 4, &a);
	inet_pton(AF_INET, dst, &a);
	mnl_attr_put(nlh, XFRM_MOBILITY_A_SA_DADDR_IPV4, 4, &a);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_ENCAP, XFRM_MOBILITY_ENCAP_ESPINUDP);
	mnl_attr_put_u16(nlh, XFRM_MOBILITY_A_SA_ENCAP_SPORT, htons(4500));
	mnl_attr_put_u16(nlh, XFRM_MOBILITY_A_SA_ENCAP_DPORT, htons(4500));
	if (oseq) {
		mnl_attr_put(nlh, XFRM_MOBILITY_A_SA_PAD, 0, NULL);
		mnl_attr_put_u64(nlh, XFRM_MOBILITY_A_SA_OSEQ, 42);
	}
	mnl_attr_nest_end(nlh, nest);
}

static void put_stats(struct nlmsghdr *nlh, uint64_t moves)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, XFRM_MOBILITY_A_CONN_STATS);
	unsigned int i;

	for (i = XFRM_MOBILITY_A_STATS_RREQ_TX; i <= XFRM_MOBILITY_A_STATS_TX_ERRORS; i++)
		mnl_attr_put_u64(nlh, i, i == XFRM_MOBILITY_A_STATS_MOVES ? moves : 0);
	mnl_attr_put_u64(nlh, 250, 7);		/* from a newer kernel */
	mnl_attr_nest_end(nlh, nest);
}

static void put_common(struct nlmsghdr *nlh, uint32_t id, uint32_t role,
		       uint32_t state, uint32_t reg_state)
{
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ID, id);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REQID, id);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ROLE, role);
	mnl_attr_put_u16(nlh, XFRM_MOBILITY_A_CONN_REG_PORT, 4501);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_STATE, state);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REG_STATE, reg_state);
}

/*
 * mob_conn_parse() with its warnings on stderr kept in @err (at most
 * @size - 1 bytes of them).
 */
static int parse_conn_stderr(const struct nlmsghdr *nlh, struct mob_conn *conn,
			     char *err, size_t size)
{
	FILE *f = tmpfile();
	size_t n = 0;
	int saved, ret;

	if (!f)
		abort();
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	ret = mob_conn_parse(nlh, conn);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	if (size)
		n = fread(err, 1, size - 1, f);
	err[n] = '\0';
	fclose(f);
	return ret;
}

static const char conn1_pretty[] =
	"conn 1 name home reqid 1 role mobile state ok reg idle port 4501\n"
	"    out spi 0x00000100 10.1.0.2 -> 10.9.0.2 encap espinudp 4500 -> 4500 oseq 42\n"
	"    in  spi 0x00000200 10.9.0.2 -> 10.1.0.2 encap espinudp 4500 -> 4500\n"
	"    nat none  moves 0  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits 0\n"
	"    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0 rate-limited 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0  duplicates 0  rebindings 0  challenges 0  validations 0  reverts 0  amplification-drops 0  echoes 0  path-failures 0\n";

static const char conn1_dump[] =
	"1\thome\t1\tmobile\tok\tout\t0x00000100\t10.1.0.2\t10.9.0.2\tespinudp\t4500\t4500\tidle\t0x0\t0\t42\t0\t0x0\t0x0\t0\t4501\t0\n"
	"1\thome\t1\tmobile\tok\tin\t0x00000200\t10.9.0.2\t10.1.0.2\tespinudp\t4500\t4500\tidle\t0x0\t0\t0\t0\t0x0\t0x0\t0\t4501\t0\n";

static const char conn1_json[] =
	"{\"id\":1,\"name\":\"home\",\"reqid\":1,\"mark\":0,\"mark-mask\":0,\"if-id\":0,"
	"\"role\":\"mobile\",\"reg-port\":4501,\"state\":\"ok\",\"reg-state\":\"idle\","
	"\"nat\":[],\"sas\":[{\"dir\":\"out\",\"spi\":\"0x00000100\",\"family\":\"inet\","
	"\"saddr\":\"10.1.0.2\",\"daddr\":\"10.9.0.2\",\"encap\":\"espinudp\","
	"\"encap-sport\":4500,\"encap-dport\":4500,\"oseq\":42},{\"dir\":\"in\","
	"\"spi\":\"0x00000200\",\"family\":\"inet\",\"saddr\":\"10.9.0.2\","
	"\"daddr\":\"10.1.0.2\",\"encap\":\"espinudp\",\"encap-sport\":4500,"
	"\"encap-dport\":4500}],\"stats\":{\"rreq-tx\":0,\"rreq-rx\":0,\"rrep-tx\":0,"
	"\"rrep-rx\":0,\"retransmits\":0,\"moves\":0,\"drop-malformed\":0,"
	"\"drop-stale\":0,\"drop-unexpected\":0,\"drop-wrong-conn\":0,"
	"\"drop-no-tuple\":0,\"tx-errors\":0}}\n";

static const char conn1_json_pretty[] =
	"{\n"
	"  \"id\": 1,\n"
	"  \"name\": \"home\",\n"
	"  \"reqid\": 1,\n"
	"  \"mark\": 0,\n"
	"  \"mark-mask\": 0,\n"
	"  \"if-id\": 0,\n"
	"  \"role\": \"mobile\",\n"
	"  \"reg-port\": 4501,\n"
	"  \"state\": \"ok\",\n"
	"  \"reg-state\": \"idle\",\n"
	"  \"nat\": [],\n"
	"  \"sas\": [\n"
	"    {\n"
	"      \"dir\": \"out\",\n"
	"      \"spi\": \"0x00000100\",\n"
	"      \"family\": \"inet\",\n"
	"      \"saddr\": \"10.1.0.2\",\n"
	"      \"daddr\": \"10.9.0.2\",\n"
	"      \"encap\": \"espinudp\",\n"
	"      \"encap-sport\": 4500,\n"
	"      \"encap-dport\": 4500,\n"
	"      \"oseq\": 42\n"
	"    },\n"
	"    {\n"
	"      \"dir\": \"in\",\n"
	"      \"spi\": \"0x00000200\",\n"
	"      \"family\": \"inet\",\n"
	"      \"saddr\": \"10.9.0.2\",\n"
	"      \"daddr\": \"10.1.0.2\",\n"
	"      \"encap\": \"espinudp\",\n"
	"      \"encap-sport\": 4500,\n"
	"      \"encap-dport\": 4500\n"
	"    }\n"
	"  ],\n"
	"  \"stats\": {\n"
	"    \"rreq-tx\": 0,\n"
	"    \"rreq-rx\": 0,\n"
	"    \"rrep-tx\": 0,\n"
	"    \"rrep-rx\": 0,\n"
	"    \"retransmits\": 0,\n"
	"    \"moves\": 0,\n"
	"    \"drop-malformed\": 0,\n"
	"    \"drop-stale\": 0,\n"
	"    \"drop-unexpected\": 0,\n"
	"    \"drop-wrong-conn\": 0,\n"
	"    \"drop-no-tuple\": 0,\n"
	"    \"tx-errors\": 0\n"
	"  }\n"
	"}\n";

static const char conn2_json[] =
	"{\"id\":2,\"name\":\"a\\tb\\\"\",\"reqid\":2,\"mark\":16,"
	"\"mark-mask\":255,\"if-id\":5,\"role\":\"gateway\","
	"\"reg-port\":4501,\"state\":\"policy-missing\","
	"\"reg-state\":\"registered\",\"reg-seq\":9,\"nat\":[\"src-addr\","
	"\"src-port\",\"0x40\"],\"sas\":[{\"dir\":\"out\","
	"\"spi\":\"0xc0ffee01\",\"family\":\"inet6\","
	"\"saddr\":\"2001:db8::1\",\"daddr\":\"2001:db8:1::2\","
	"\"encap\":\"none\"}],\"stats\":{\"rreq-tx\":0,\"rreq-rx\":0,"
	"\"rrep-tx\":0,\"rrep-rx\":0,\"retransmits\":0,\"moves\":3,"
	"\"drop-malformed\":0,\"drop-stale\":0,\"drop-unexpected\":0,"
	"\"drop-wrong-conn\":0,\"drop-no-tuple\":0,\"tx-errors\":0}}\n";

static const char conn3_pretty[] =
	"conn 3 reqid 3 role mobile state sa-missing reg failed port 4501\n"
	"    nat none  moves 0  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits"
	" 0\n"
	"    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0"
	" rate-limited 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0"
	"  duplicates 0  rebindings 0  challenges 0  validations 0  reverts 0"
	"  amplification-drops 0  echoes 0  path-failures 0\n";

static const char conn3_json_pretty[] =
	"{\n"
	"  \"id\": 3,\n"
	"  \"reqid\": 3,\n"
	"  \"role\": \"mobile\",\n"
	"  \"reg-port\": 4501,\n"
	"  \"state\": \"sa-missing\",\n"
	"  \"reg-state\": \"failed\",\n"
	"  \"sas\": []\n"
	"}\n";

static void test_conn_v4(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	uint16_t bad = 7;
	struct mob_conn conn;
	int saved;

	put_common(nlh, 1, XFRM_MOBILITY_ROLE_MOBILE, XFRM_MOBILITY_CONN_STATE_OK,
		   XFRM_MOBILITY_REG_STATE_IDLE);
	mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_CONN_NAME, "home");
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK, 0);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK_MASK, 0);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_IF_ID, 0);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_NAT, 0);
	put_sa4(nlh, XFRM_MOBILITY_A_CONN_SA, XFRM_MOBILITY_DIR_OUT, 0x100,
		"10.1.0.2", "10.9.0.2", true);
	put_sa4(nlh, XFRM_MOBILITY_A_CONN_SA, XFRM_MOBILITY_DIR_IN, 0x200,
		"10.9.0.2", "10.1.0.2", false);
	put_stats(nlh, 0);
	mnl_attr_put_u32(nlh, 200, 1);					/* unknown */
	mnl_attr_put(nlh, XFRM_MOBILITY_A_CONN_REG_SEQ, sizeof(bad), &bad); /* malformed */

	/* The malformed attribute is reported on stderr; keep the log clean. */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), STDERR_FILENO);
	check(mob_conn_parse(nlh, &conn) == 0, "parse conn 1");
	dup2(saved, STDERR_FILENO);
	close(saved);

	check(conn.nsa == 2 && conn.sa[0].spi == 0x100 && conn.sa[0].sport == 4500,
	      "conn 1 SAs in host byte order");
	check(!MOB_HAS(&conn, XFRM_MOBILITY_A_CONN_REG_SEQ), "malformed reg-seq ignored");

	check_out(render_conn(TEXT, &conn), conn1_pretty, "conn 1", TEXT);
	check_out(render_conn(DUMP, &conn), conn1_dump, "conn 1", DUMP);
	check_out(render_conn(JSON, &conn), conn1_json, "conn 1", JSON);
	check_out(render_conn(JSON_PRETTY, &conn), conn1_json_pretty, "conn 1",
		  JSON_PRETTY);
}

static void test_conn_v6(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	struct in6_addr src, dst;
	struct mob_conn conn;
	struct nlattr *nest;

	put_common(nlh, 2, XFRM_MOBILITY_ROLE_GATEWAY,
		   XFRM_MOBILITY_CONN_STATE_POLICY_MISSING,
		   XFRM_MOBILITY_REG_STATE_REGISTERED);
	mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_CONN_NAME, "a\tb\"");
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK, 0x10);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_MARK_MASK, 0xff);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_IF_ID, 5);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REG_SEQ, 9);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_NAT,
			 XFRM_MOBILITY_NAT_SRC_ADDR | XFRM_MOBILITY_NAT_SRC_PORT | 0x40);
	nest = mnl_attr_nest_start(nlh, XFRM_MOBILITY_A_CONN_SA);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_DIR, XFRM_MOBILITY_DIR_OUT);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_SPI, htonl(0xc0ffee01));
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_FAMILY, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::1", &src);
	inet_pton(AF_INET6, "2001:db8:1::2", &dst);
	mnl_attr_put(nlh, XFRM_MOBILITY_A_SA_SADDR_IPV6, 16, &src);
	mnl_attr_put(nlh, XFRM_MOBILITY_A_SA_DADDR_IPV6, 16, &dst);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_SA_ENCAP, XFRM_MOBILITY_ENCAP_NONE);
	mnl_attr_nest_end(nlh, nest);
	put_stats(nlh, 3);
	check(mob_conn_parse(nlh, &conn) == 0, "parse conn 2");

	check_out(render_conn(DUMP, &conn),
		  "2\ta?b\"\t2\tgateway\tpolicy-missing\tout\t0xc0ffee01\t2001:db8::1\t"
		  "2001:db8:1::2\tnone\t0\t0\tregistered\t0x43\t3\t0\t9\t0x10\t0xff\t5\t4501\t0\n",
		  "conn 2", DUMP);
	check_out(render_conn(TEXT, &conn),
		  "conn 2 name a?b\" reqid 2 mark 0x10/0xff if_id 5 role gateway "
		  "state policy-missing reg registered seq 9 port 4501\n"
		  "    out spi 0xc0ffee01 2001:db8::1 -> 2001:db8:1::2 encap none\n"
		  "    nat src-addr,src-port,0x40  moves 3  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits 0\n"
		  "    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0 rate-limited 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0  duplicates 0  rebindings 0  challenges 0  validations 0  reverts 0  amplification-drops 0  echoes 0  path-failures 0\n",
		  "conn 2", TEXT);
	check_out(render_conn(JSON, &conn), conn2_json, "conn 2", JSON);
}

static void test_conn_no_sa(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	struct mob_conn conn;

	put_common(nlh, 3, XFRM_MOBILITY_ROLE_MOBILE,
		   XFRM_MOBILITY_CONN_STATE_SA_MISSING, XFRM_MOBILITY_REG_STATE_FAILED);
	check(mob_conn_parse(nlh, &conn) == 0, "parse conn 3");

	check_out(render_conn(DUMP, &conn),
		  "3\t-\t3\tmobile\tsa-missing\t-\t-\t-\t-\t-\t-\t-\tfailed\t0x0\t0\t-\t0\t0x0\t0x0\t0\t4501\t0\n",
		  "conn 3", DUMP);
	check_out(render_conn(JSON, &conn),
		  "{\"id\":3,\"reqid\":3,\"role\":\"mobile\",\"reg-port\":4501,"
		  "\"state\":\"sa-missing\",\"reg-state\":\"failed\",\"sas\":[]}\n",
		  "conn 3", JSON);
	check_out(render_conn(TEXT, &conn), conn3_pretty, "conn 3", TEXT);
	check_out(render_conn(JSON_PRETTY, &conn), conn3_json_pretty, "conn 3",
		  JSON_PRETTY);

	/* Too short for a genetlink header. */
	nlh = mnl_nlmsg_put_header(msgbuf);
	check(mob_conn_parse(nlh, &conn) == -1, "conn without genl header");
}

static const char conn7_pretty[] =
	"conn 7 reqid 7 role mobile state ok reg failed next-try 9.9s port 4501\n"
	"    nat none  moves 0  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits"
	" 0\n"
	"    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0"
	" rate-limited 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0"
	"  duplicates 0  rebindings 0  challenges 0  validations 0  reverts 0"
	"  amplification-drops 0  echoes 0  path-failures 0\n";

static const char conn7_json_pretty[] =
	"{\n"
	"  \"id\": 7,\n"
	"  \"reqid\": 7,\n"
	"  \"role\": \"mobile\",\n"
	"  \"reg-port\": 4501,\n"
	"  \"state\": \"ok\",\n"
	"  \"reg-state\": \"failed\",\n"
	"  \"next-try-ms\": 9876,\n"
	"  \"sas\": []\n"
	"}\n";

/*
 * next-try-ms, sent for a pending or failed registration: after the
 * registration state and sequence number in the text, a member in JSON,
 * not a dump field.
 */
static void test_conn_next_try(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	uint16_t bad = 5;
	struct mob_conn conn;
	char err[256];

	put_common(nlh, 7, XFRM_MOBILITY_ROLE_MOBILE, XFRM_MOBILITY_CONN_STATE_OK,
		   XFRM_MOBILITY_REG_STATE_FAILED);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS, 9876);
	check(mob_conn_parse(nlh, &conn) == 0, "parse conn 7");
	check(MOB_HAS(&conn, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS) &&
	      conn.next_try_ms == 9876, "conn 7: next-try-ms parsed");
	check_str(mob_conn_attr_str(XFRM_MOBILITY_A_CONN_NEXT_TRY_MS),
		  "next-try-ms", "next-try-ms attribute name");

	check_out(render_conn(TEXT, &conn), conn7_pretty, "conn 7", TEXT);
	check_out(render_conn(DUMP, &conn),
		  "7\t-\t7\tmobile\tok\t-\t-\t-\t-\t-\t-\t-\tfailed\t0x0\t0\t-\t0\t0x0\t0x0\t0\t4501\t0\n",
		  "conn 7", DUMP);
	check_out(render_conn(JSON, &conn),
		  "{\"id\":7,\"reqid\":7,\"role\":\"mobile\",\"reg-port\":4501,"
		  "\"state\":\"ok\",\"reg-state\":\"failed\","
		  "\"next-try-ms\":9876,\"sas\":[]}\n",
		  "conn 7", JSON);
	check_out(render_conn(JSON_PRETTY, &conn), conn7_json_pretty, "conn 7",
		  JSON_PRETTY);

	/* Due now, after the sequence number; the largest value. */
	nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	put_common(nlh, 8, XFRM_MOBILITY_ROLE_MOBILE, XFRM_MOBILITY_CONN_STATE_OK,
		   XFRM_MOBILITY_REG_STATE_PENDING);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REG_SEQ, 3);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS, 0);
	check(mob_conn_parse(nlh, &conn) == 0, "parse conn 8");
	check_first_line(render_conn(TEXT, &conn),
			 "conn 8 reqid 8 role mobile state ok reg pending seq 3"
			 " next-try 0.0s port 4501\n", "conn 8 next-try 0 (text)");
	check_out(render_conn(JSON, &conn),
		  "{\"id\":8,\"reqid\":8,\"role\":\"mobile\",\"reg-port\":4501,"
		  "\"state\":\"ok\",\"reg-state\":\"pending\",\"reg-seq\":3,"
		  "\"next-try-ms\":0,\"sas\":[]}\n",
		  "conn 8 next-try 0", JSON);
	conn.next_try_ms = UINT32_MAX;
	check_first_line(render_conn(TEXT, &conn),
			 "conn 8 reqid 8 role mobile state ok reg pending seq 3"
			 " next-try 4294967.3s port 4501\n",
			 "conn 8 next-try max (text)");

	/* Pending without the attribute (an older kernel): nothing shown. */
	conn.has &= ~(1u << XFRM_MOBILITY_A_CONN_NEXT_TRY_MS);
	check_first_line(render_conn(TEXT, &conn),
			 "conn 8 reqid 8 role mobile state ok reg pending seq 3"
			 " port 4501\n", "conn 8 without next-try (text)");
	check_out(render_conn(JSON, &conn),
		  "{\"id\":8,\"reqid\":8,\"role\":\"mobile\",\"reg-port\":4501,"
		  "\"state\":\"ok\",\"reg-state\":\"pending\",\"reg-seq\":3,"
		  "\"sas\":[]}\n",
		  "conn 8 without next-try", JSON);

	/* Of the wrong size: reported and left out. */
	nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	put_common(nlh, 9, XFRM_MOBILITY_ROLE_MOBILE, XFRM_MOBILITY_CONN_STATE_OK,
		   XFRM_MOBILITY_REG_STATE_PENDING);
	mnl_attr_put(nlh, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS, sizeof(bad), &bad);
	check(parse_conn_stderr(nlh, &conn, err, sizeof(err)) == 0 &&
	      !MOB_HAS(&conn, XFRM_MOBILITY_A_CONN_NEXT_TRY_MS) &&
	      strstr(err, "ignoring malformed conn attribute"),
	      "conn 9: malformed next-try-ms ignored: %s", err);
	check_out(render_conn(JSON, &conn),
		  "{\"id\":9,\"reqid\":9,\"role\":\"mobile\",\"reg-port\":4501,"
		  "\"state\":\"ok\",\"reg-state\":\"pending\",\"sas\":[]}\n",
		  "conn 9", JSON);
}

/* Every counter the kernel sends is parsed, with its JSON name. */
static void test_conn_stats(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	struct mob_conn conn;
	struct nlattr *nest;
	unsigned int i;
	bool ok = true;
	char err[256];

	put_common(nlh, 6, XFRM_MOBILITY_ROLE_GATEWAY,
		   XFRM_MOBILITY_CONN_STATE_OK, XFRM_MOBILITY_REG_STATE_REGISTERED);
	nest = mnl_attr_nest_start(nlh, XFRM_MOBILITY_A_CONN_STATS);
	for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
		/* The pad that aligns a u64 where the kernel needs it: empty. */
		if (i == XFRM_MOBILITY_A_STATS_PAD)
			mnl_attr_put(nlh, i, 0, NULL);
		else
			mnl_attr_put_u64(nlh, i, 100 + i);
	}
	mnl_attr_nest_end(nlh, nest);
	check(parse_conn_stderr(nlh, &conn, err, sizeof(err)) == 0,
	      "parse conn 6");
	check_str(err, "", "conn 6: no warning for the stats pad");
	check(!MOB_HAS(&conn.stats, XFRM_MOBILITY_A_STATS_PAD),
	      "conn 6: the stats pad is not a counter");
	for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
		if (i == XFRM_MOBILITY_A_STATS_PAD)
			continue;
		ok &= MOB_HAS(&conn.stats, i) && conn.stats.val[i] == 100 + i &&
		      mob_stats_attr_str(i);
	}
	check(ok, "conn 6: every counter parsed and named");
	check_out(render_conn(TEXT, &conn),
		  "conn 6 reqid 6 role gateway state ok reg registered port 4501\n"
		  "    nat none  moves 106  rreq tx 101 rx 102  rrep tx 103 rx 104  retransmits 105\n"
		  "    drops malformed 107 stale 108 unexpected 109 wrong-conn 110 no-tuple 111 rate-limited 119  tx-errors 112  keepalives 114  probes 115  fallbacks 116  duplicates 117  rebindings 118  challenges 120  validations 121  reverts 122  amplification-drops 123  echoes 124  path-failures 125\n",
		  "conn 6", TEXT);
	check_out(render_conn(JSON, &conn),
		  "{\"id\":6,\"reqid\":6,\"role\":\"gateway\",\"reg-port\":4501,"
		  "\"state\":\"ok\",\"reg-state\":\"registered\",\"sas\":[],"
		  "\"stats\":{\"rreq-tx\":101,\"rreq-rx\":102,\"rrep-tx\":103,"
		  "\"rrep-rx\":104,\"retransmits\":105,\"moves\":106,"
		  "\"drop-malformed\":107,\"drop-stale\":108,"
		  "\"drop-unexpected\":109,\"drop-wrong-conn\":110,"
		  "\"drop-no-tuple\":111,\"tx-errors\":112,\"keepalives\":114,"
		  "\"probes\":115,\"fallbacks\":116,\"duplicates\":117,"
		  "\"rebindings\":118,\"drop-rate-limited\":119,"
		  "\"challenges\":120,\"validations\":121,\"reverts\":122,"
		  "\"amplification-drops\":123,\"echoes\":124,"
		  "\"path-failures\":125}}\n",
		  "conn 6", JSON);
}

/* The dump callback keeps every reply, growing its array as needed. */
static void test_conn_list(void)
{
	struct mob_conn_list l = {};
	struct nlmsghdr *nlh;
	uint32_t id;
	bool ok = true;

	for (id = 1; id <= 20; id++) {
		nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
		put_common(nlh, id, XFRM_MOBILITY_ROLE_MOBILE,
			   XFRM_MOBILITY_CONN_STATE_OK, XFRM_MOBILITY_REG_STATE_IDLE);
		ok &= mob_conn_list_cb(nlh, &l) == MNL_CB_OK;
	}
	check(ok && l.n == 20 && l.cap >= 20, "conn list of 20: n %zu", l.n);
	for (id = 1; id <= l.n; id++)
		ok &= l.v[id - 1].id == id && l.v[id - 1].reg_port == 4501;
	check(ok, "conn list keeps the order");

	nlh = mnl_nlmsg_put_header(msgbuf);
	check(mob_conn_list_cb(nlh, &l) == MNL_CB_ERROR && l.n == 20,
	      "conn list refuses a message without genl header");
	free(l.v);
}

static void test_events(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_EVENT_NTF);
	struct mob_event ev;

	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_TYPE, XFRM_MOBILITY_EVENT_SA_MOVED);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_CONN_ID, 1);
	mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_EVENT_CONN_NAME, "home");
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_SEQ, 3);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_NAT, 3);
	mnl_attr_put_u64(nlh, XFRM_MOBILITY_A_EVENT_TIME_NS, 123);
	put_sa4(nlh, XFRM_MOBILITY_A_EVENT_SA, XFRM_MOBILITY_DIR_OUT, 0x100,
		"10.1.0.3", "10.9.0.2", true);
	check(mob_event_parse(nlh, &ev) == 0, "parse sa-moved");

	check_out(render_event(TEXT, "TS", &ev),
		  "[TS] sa-moved conn 1 name home seq 3 nat src-addr,src-port | out spi "
		  "0x00000100 10.1.0.3 -> 10.9.0.2 encap espinudp 4500 -> 4500 oseq 42\n",
		  "sa-moved", TEXT);
	check_out(render_event(JSON, "TS", &ev),
		  "{\"timestamp\":\"TS\",\"type\":\"sa-moved\",\"conn-id\":1,"
		  "\"conn-name\":\"home\",\"seq\":3,\"nat\":[\"src-addr\",\"src-port\"],"
		  "\"time-ns\":123,\"sas\":[{\"dir\":\"out\",\"spi\":\"0x00000100\","
		  "\"family\":\"inet\",\"saddr\":\"10.1.0.3\",\"daddr\":\"10.9.0.2\","
		  "\"encap\":\"espinudp\",\"encap-sport\":4500,\"encap-dport\":4500,"
		  "\"oseq\":42}]}\n",
		  "sa-moved", JSON);

	nlh = msg_start(XFRM_MOBILITY_CMD_EVENT_NTF);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_TYPE, XFRM_MOBILITY_EVENT_FAILURE);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_CONN_ID, 1);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_ERROR, 110);
	check(mob_event_parse(nlh, &ev) == 0, "parse failure");
	check_out(render_event(TEXT, "TS", &ev),
		  "[TS] failure conn 1 error 110 (Connection timed out)\n",
		  "failure", TEXT);
	check_out(render_event(JSON, "TS", &ev),
		  "{\"timestamp\":\"TS\",\"type\":\"failure\",\"conn-id\":1,\"error\":110}\n",
		  "failure", JSON);

	nlh = msg_start(XFRM_MOBILITY_CMD_EVENT_NTF);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_TYPE, 99);
	check(mob_event_parse(nlh, &ev) == 0, "parse unknown event");
	check_out(render_event(TEXT, "TS", &ev), "[TS] 99\n", "unknown event", TEXT);
	check_out(render_event(JSON, "TS", &ev),
		  "{\"timestamp\":\"TS\",\"type\":\"99\"}\n", "unknown event", JSON);
}

/* ---- golden output of hand-built objects, every mode ---- */

#define CONN_HAS(a)	(1u << XFRM_MOBILITY_A_CONN_##a)
#define SA_HAS(a)	(1u << XFRM_MOBILITY_A_SA_##a)
#define EVENT_HAS(a)	(1u << XFRM_MOBILITY_A_EVENT_##a)

/*
 * SAs that reach every branch of the SA printer: IPv6 with only the source
 * port, nothing but an unknown encapsulation, and an unknown family with
 * only a source address and only the destination port.
 */
static void make_sas(struct mob_sa *sa)
{
	memset(sa, 0, 3 * sizeof(*sa));
	sa[0].has = SA_HAS(DIR) | SA_HAS(SPI) | SA_HAS(FAMILY) |
		    SA_HAS(SADDR_IPV6) | SA_HAS(DADDR_IPV6) | SA_HAS(ENCAP) |
		    SA_HAS(ENCAP_SPORT) | SA_HAS(OSEQ);
	sa[0].dir = XFRM_MOBILITY_DIR_OUT;
	sa[0].spi = 0xdeadbeef;
	sa[0].family = AF_INET6;
	set_addr(&sa[0].saddr, AF_INET6, "2001:db8::10");
	set_addr(&sa[0].daddr, AF_INET6, "2001:db8::20");
	sa[0].encap = XFRM_MOBILITY_ENCAP_ESPINUDP;
	sa[0].sport = 4500;
	sa[0].oseq = UINT64_MAX;

	sa[1].has = SA_HAS(ENCAP);
	sa[1].encap = 7;

	sa[2].has = SA_HAS(DIR) | SA_HAS(SPI) | SA_HAS(FAMILY) |
		    SA_HAS(SADDR_IPV4) | SA_HAS(ENCAP_DPORT);
	sa[2].dir = XFRM_MOBILITY_DIR_IN;
	sa[2].spi = 1;
	sa[2].family = 99;
	set_addr(&sa[2].saddr, AF_INET, "192.0.2.1");
	sa[2].dport = 4501;
}

/* Every attribute, distinct values, an unknown role and NAT flag. */
static void make_conn_full(struct mob_conn *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->has = CONN_HAS(ID) | CONN_HAS(NAME) | CONN_HAS(REQID) |
		 CONN_HAS(MARK) | CONN_HAS(MARK_MASK) | CONN_HAS(IF_ID) |
		 CONN_HAS(ROLE) | CONN_HAS(REG_PORT) | CONN_HAS(KEEPALIVE) |
		 CONN_HAS(ENCAP_POLICY) | CONN_HAS(STATE) | CONN_HAS(SA) |
		 CONN_HAS(STATS) | CONN_HAS(REG_STATE) | CONN_HAS(REG_SEQ) |
		 CONN_HAS(NAT) | CONN_HAS(LAST_MOVE_NS) | CONN_HAS(NEXT_TRY_MS);
	c->id = 4;
	strcpy(c->name, "office");
	c->reqid = 0x44;
	c->mark = 1;
	c->mark_mask = 0xffffffff;
	c->if_id = 7;
	c->role = 9;
	c->reg_port = 4502;
	c->keepalive = 20;
	c->encap_policy = XFRM_MOBILITY_ENCAP_POLICY_ALWAYS;
	c->state = XFRM_MOBILITY_CONN_STATE_OK;
	c->reg_state = XFRM_MOBILITY_REG_STATE_PENDING;
	c->reg_seq = 12;
	c->nat = XFRM_MOBILITY_NAT_DST_PORT | XFRM_MOBILITY_NAT_ENCAP | 0x80000000;
	/* Later than now: the age of the last move is left out. */
	c->last_move_ns = UINT64_MAX;
	c->next_try_ms = 3249;
	for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
		c->stats.has |= 1u << i;
		c->stats.val[i] = 100 + i;
	}
	c->nsa = 3;
	make_sas(c->sa);
}

/*
 * Values without their attributes: the text formats show several of them
 * (defaults), JSON shows none.
 */
static void make_conn_bare(struct mob_conn *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->has = CONN_HAS(ID);
	c->id = 5;
	c->reqid = 6;
	c->mark_mask = 0xf;
	c->if_id = 3;
	c->role = XFRM_MOBILITY_ROLE_GATEWAY;
	c->keepalive = 9;
	c->encap_policy = XFRM_MOBILITY_ENCAP_POLICY_ALWAYS;
	c->state = XFRM_MOBILITY_CONN_STATE_POLICY_MISSING;
	c->reg_seq = 2;
	c->nat = XFRM_MOBILITY_NAT_SRC_ADDR;
	c->last_move_ns = UINT64_MAX;
	c->next_try_ms = 1500;
	/* Counters without the stats nest: not in JSON either. */
	for (i = 1; i <= XFRM_MOBILITY_A_STATS_MAX; i++) {
		c->stats.has |= 1u << i;
		c->stats.val[i] = i;
	}
}

#define CONN4_PRETTY \
	"conn 4 name office reqid 68 mark 0x1/0xffffffff if_id 7 role 9" \
	" state ok reg pending seq 12 next-try 3.2s port 4502 keepalive 20" \
	" encap always\n" \
	"    out spi 0xdeadbeef 2001:db8::10 -> 2001:db8::20 encap espinudp" \
	" 4500 -> 0 oseq 18446744073709551615\n" \
	"    in  spi 0x00000000 - -> - encap 7\n" \
	"    in  spi 0x00000001 192.0.2.1 -> - 0 -> 4501\n" \
	"    nat dst-port,encap,0x80000000  moves 106  rreq tx 101 rx 102" \
	"  rrep tx 103 rx 104  retransmits 105\n" \
	"    drops malformed 107 stale 108 unexpected 109 wrong-conn 110" \
	" no-tuple 111 rate-limited 119  tx-errors 112  keepalives 114" \
	"  probes 115  fallbacks 116  duplicates 117  rebindings 118" \
	"  challenges 120  validations 121  reverts 122" \
	"  amplification-drops 123  echoes 124  path-failures 125\n"

#define CONN4_DUMP \
	"4\toffice\t68\t9\tok\tout\t0xdeadbeef\t2001:db8::10\t2001:db8::20\tespinudp\t4500\t0\tpending\t0x80000018\t106\t18446744073709551615\t12\t0x1\t0xffffffff\t7\t4502\t20\n" \
	"4\toffice\t68\t9\tok\tin\t0x00000000\t-\t-\t7\t0\t0\tpending\t0x80000018\t106\t0\t12\t0x1\t0xffffffff\t7\t4502\t20\n" \
	"4\toffice\t68\t9\tok\tin\t0x00000001\t192.0.2.1\t-\t-\t0\t4501\tpending\t0x80000018\t106\t0\t12\t0x1\t0xffffffff\t7\t4502\t20\n"

static const char conn4_json[] =
	"{\"id\":4,\"name\":\"office\",\"reqid\":68,\"mark\":1,"
	"\"mark-mask\":4294967295,\"if-id\":7,\"role\":\"9\","
	"\"reg-port\":4502,\"keepalive\":20,\"encap-policy\":\"always\","
	"\"state\":\"ok\",\"reg-state\":\"pending\",\"reg-seq\":12,"
	"\"nat\":[\"dst-port\",\"encap\",\"0x80000000\"],"
	"\"last-move-ns\":18446744073709551615,\"next-try-ms\":3249,"
	"\"sas\":[{\"dir\":\"out\","
	"\"spi\":\"0xdeadbeef\",\"family\":\"inet6\","
	"\"saddr\":\"2001:db8::10\",\"daddr\":\"2001:db8::20\","
	"\"encap\":\"espinudp\",\"encap-sport\":4500,"
	"\"oseq\":18446744073709551615},{\"encap\":\"7\"},{\"dir\":\"in\","
	"\"spi\":\"0x00000001\",\"family\":\"99\",\"saddr\":\"192.0.2.1\","
	"\"encap-dport\":4501}],\"stats\":{\"rreq-tx\":101,\"rreq-rx\":102,"
	"\"rrep-tx\":103,\"rrep-rx\":104,\"retransmits\":105,\"moves\":106,"
	"\"drop-malformed\":107,\"drop-stale\":108,\"drop-unexpected\":109,"
	"\"drop-wrong-conn\":110,\"drop-no-tuple\":111,\"tx-errors\":112,"
	"\"keepalives\":114,\"probes\":115,\"fallbacks\":116,"
	"\"duplicates\":117,\"rebindings\":118,"
	"\"drop-rate-limited\":119,\"challenges\":120,\"validations\":121,"
	"\"reverts\":122,\"amplification-drops\":123,\"echoes\":124,"
	"\"path-failures\":125}}\n";

static const char conn4_json_pretty[] =
	"{\n"
	"  \"id\": 4,\n"
	"  \"name\": \"office\",\n"
	"  \"reqid\": 68,\n"
	"  \"mark\": 1,\n"
	"  \"mark-mask\": 4294967295,\n"
	"  \"if-id\": 7,\n"
	"  \"role\": \"9\",\n"
	"  \"reg-port\": 4502,\n"
	"  \"keepalive\": 20,\n"
	"  \"encap-policy\": \"always\",\n"
	"  \"state\": \"ok\",\n"
	"  \"reg-state\": \"pending\",\n"
	"  \"reg-seq\": 12,\n"
	"  \"nat\": [\n"
	"    \"dst-port\",\n"
	"    \"encap\",\n"
	"    \"0x80000000\"\n"
	"  ],\n"
	"  \"last-move-ns\": 18446744073709551615,\n"
	"  \"next-try-ms\": 3249,\n"
	"  \"sas\": [\n"
	"    {\n"
	"      \"dir\": \"out\",\n"
	"      \"spi\": \"0xdeadbeef\",\n"
	"      \"family\": \"inet6\",\n"
	"      \"saddr\": \"2001:db8::10\",\n"
	"      \"daddr\": \"2001:db8::20\",\n"
	"      \"encap\": \"espinudp\",\n"
	"      \"encap-sport\": 4500,\n"
	"      \"oseq\": 18446744073709551615\n"
	"    },\n"
	"    {\n"
	"      \"encap\": \"7\"\n"
	"    },\n"
	"    {\n"
	"      \"dir\": \"in\",\n"
	"      \"spi\": \"0x00000001\",\n"
	"      \"family\": \"99\",\n"
	"      \"saddr\": \"192.0.2.1\",\n"
	"      \"encap-dport\": 4501\n"
	"    }\n"
	"  ],\n"
	"  \"stats\": {\n"
	"    \"rreq-tx\": 101,\n"
	"    \"rreq-rx\": 102,\n"
	"    \"rrep-tx\": 103,\n"
	"    \"rrep-rx\": 104,\n"
	"    \"retransmits\": 105,\n"
	"    \"moves\": 106,\n"
	"    \"drop-malformed\": 107,\n"
	"    \"drop-stale\": 108,\n"
	"    \"drop-unexpected\": 109,\n"
	"    \"drop-wrong-conn\": 110,\n"
	"    \"drop-no-tuple\": 111,\n"
	"    \"tx-errors\": 112,\n"
	"    \"keepalives\": 114,\n"
	"    \"probes\": 115,\n"
	"    \"fallbacks\": 116,\n"
	"    \"duplicates\": 117,\n"
	"    \"rebindings\": 118,\n"
	"    \"drop-rate-limited\": 119,\n"
	"    \"challenges\": 120,\n"
	"    \"validations\": 121,\n"
	"    \"reverts\": 122,\n"
	"    \"amplification-drops\": 123,\n"
	"    \"echoes\": 124,\n"
	"    \"path-failures\": 125\n"
	"  }\n"
	"}\n";

#define CONN5_PRETTY \
	"conn 5 reqid 6 mark 0/0xf if_id 3 role gateway state" \
	" policy-missing reg idle seq 2 port 0\n" \
	"    nat src-addr  moves 6  rreq tx 1 rx 2  rrep tx 3 rx 4" \
	"  retransmits 5\n" \
	"    drops malformed 7 stale 8 unexpected 9 wrong-conn 10 no-tuple" \
	" 11 rate-limited 19  tx-errors 12  keepalives 14  probes 15" \
	"  fallbacks 16  duplicates 17  rebindings 18  challenges 20" \
	"  validations 21  reverts 22  amplification-drops 23  echoes 24" \
	"  path-failures 25\n"

#define CONN5_DUMP \
	"5\t-\t6\tgateway\tpolicy-missing\t-\t-\t-\t-\t-\t-\t-\tidle\t0x1\t6\t-\t2\t0x0\t0xf\t3\t0\t9\n"

static const char conn5_json[] =
	"{\"id\":5,\"sas\":[]}\n";

static const char conn5_json_pretty[] =
	"{\n"
	"  \"id\": 5,\n"
	"  \"sas\": []\n"
	"}\n";

#define EMPTY_CONN_PRETTY \
	"conn 0 reqid 0 role mobile state ok reg idle port 0\n" \
	"    nat none  moves 0  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits" \
	" 0\n" \
	"    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0" \
	" rate-limited 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0" \
	"  duplicates 0  rebindings 0  challenges 0  validations 0  reverts 0" \
	"  amplification-drops 0  echoes 0  path-failures 0\n"

#define EMPTY_CONN_DUMP \
	"0\t-\t0\tmobile\tok\t-\t-\t-\t-\t-\t-\t-\tidle\t0x0\t0\t-\t0\t0x0\t0x0\t0\t0\t0\n"

static const char empty_conn_json[] =
	"{\"sas\":[]}\n";

static const char show_pretty[] =
	CONN4_PRETTY "\n" CONN5_PRETTY "\n" EMPTY_CONN_PRETTY;

static const char show_dump[] =
	CONN4_DUMP CONN5_DUMP EMPTY_CONN_DUMP;

static const char show_json[] =
	"[{\"id\":4,\"name\":\"office\",\"reqid\":68,\"mark\":1,"
	"\"mark-mask\":4294967295,\"if-id\":7,\"role\":\"9\","
	"\"reg-port\":4502,\"keepalive\":20,\"encap-policy\":\"always\","
	"\"state\":\"ok\",\"reg-state\":\"pending\",\"reg-seq\":12,"
	"\"nat\":[\"dst-port\",\"encap\",\"0x80000000\"],"
	"\"last-move-ns\":18446744073709551615,\"next-try-ms\":3249,"
	"\"sas\":[{\"dir\":\"out\","
	"\"spi\":\"0xdeadbeef\",\"family\":\"inet6\","
	"\"saddr\":\"2001:db8::10\",\"daddr\":\"2001:db8::20\","
	"\"encap\":\"espinudp\",\"encap-sport\":4500,"
	"\"oseq\":18446744073709551615},{\"encap\":\"7\"},{\"dir\":\"in\","
	"\"spi\":\"0x00000001\",\"family\":\"99\",\"saddr\":\"192.0.2.1\","
	"\"encap-dport\":4501}],\"stats\":{\"rreq-tx\":101,\"rreq-rx\":102,"
	"\"rrep-tx\":103,\"rrep-rx\":104,\"retransmits\":105,\"moves\":106,"
	"\"drop-malformed\":107,\"drop-stale\":108,\"drop-unexpected\":109,"
	"\"drop-wrong-conn\":110,\"drop-no-tuple\":111,\"tx-errors\":112,"
	"\"keepalives\":114,\"probes\":115,\"fallbacks\":116,"
	"\"duplicates\":117,\"rebindings\":118,"
	"\"drop-rate-limited\":119,\"challenges\":120,\"validations\":121,"
	"\"reverts\":122,\"amplification-drops\":123,\"echoes\":124,"
	"\"path-failures\":125}},{\"id\":5,\"sas\":[]},"
	"{\"sas\":[]}]\n";

static const char show_json_pretty[] =
	"[\n"
	"  {\n"
	"    \"id\": 4,\n"
	"    \"name\": \"office\",\n"
	"    \"reqid\": 68,\n"
	"    \"mark\": 1,\n"
	"    \"mark-mask\": 4294967295,\n"
	"    \"if-id\": 7,\n"
	"    \"role\": \"9\",\n"
	"    \"reg-port\": 4502,\n"
	"    \"keepalive\": 20,\n"
	"    \"encap-policy\": \"always\",\n"
	"    \"state\": \"ok\",\n"
	"    \"reg-state\": \"pending\",\n"
	"    \"reg-seq\": 12,\n"
	"    \"nat\": [\n"
	"      \"dst-port\",\n"
	"      \"encap\",\n"
	"      \"0x80000000\"\n"
	"    ],\n"
	"    \"last-move-ns\": 18446744073709551615,\n"
	"    \"next-try-ms\": 3249,\n"
	"    \"sas\": [\n"
	"      {\n"
	"        \"dir\": \"out\",\n"
	"        \"spi\": \"0xdeadbeef\",\n"
	"        \"family\": \"inet6\",\n"
	"        \"saddr\": \"2001:db8::10\",\n"
	"        \"daddr\": \"2001:db8::20\",\n"
	"        \"encap\": \"espinudp\",\n"
	"        \"encap-sport\": 4500,\n"
	"        \"oseq\": 18446744073709551615\n"
	"      },\n"
	"      {\n"
	"        \"encap\": \"7\"\n"
	"      },\n"
	"      {\n"
	"        \"dir\": \"in\",\n"
	"        \"spi\": \"0x00000001\",\n"
	"        \"family\": \"99\",\n"
	"        \"saddr\": \"192.0.2.1\",\n"
	"        \"encap-dport\": 4501\n"
	"      }\n"
	"    ],\n"
	"    \"stats\": {\n"
	"      \"rreq-tx\": 101,\n"
	"      \"rreq-rx\": 102,\n"
	"      \"rrep-tx\": 103,\n"
	"      \"rrep-rx\": 104,\n"
	"      \"retransmits\": 105,\n"
	"      \"moves\": 106,\n"
	"      \"drop-malformed\": 107,\n"
	"      \"drop-stale\": 108,\n"
	"      \"drop-unexpected\": 109,\n"
	"      \"drop-wrong-conn\": 110,\n"
	"      \"drop-no-tuple\": 111,\n"
	"      \"tx-errors\": 112,\n"
	"      \"keepalives\": 114,\n"
	"      \"probes\": 115,\n"
	"      \"fallbacks\": 116,\n"
	"      \"duplicates\": 117,\n"
	"      \"rebindings\": 118,\n"
	"      \"drop-rate-limited\": 119,\n"
	"      \"challenges\": 120,\n"
	"      \"validations\": 121,\n"
	"      \"reverts\": 122,\n"
	"      \"amplification-drops\": 123,\n"
	"      \"echoes\": 124,\n"
	"      \"path-failures\": 125\n"
	"    }\n"
	"  },\n"
	"  {\n"
	"    \"id\": 5,\n"
	"    \"sas\": []\n"
	"  },\n"
	"  {\n"
	"    \"sas\": []\n"
	"  }\n"
	"]\n";

static void test_golden_conns(void)
{
	struct mob_conn v[3];
	struct timespec ts;
	uint64_t now;
	char *out;

	make_conn_full(&v[0]);
	check_out(render_conn(TEXT, &v[0]), CONN4_PRETTY, "conn 4", TEXT);
	check_out(render_conn(DUMP, &v[0]), CONN4_DUMP, "conn 4", DUMP);
	check_out(render_conn(JSON, &v[0]), conn4_json, "conn 4", JSON);
	check_out(render_conn(JSON_PRETTY, &v[0]), conn4_json_pretty, "conn 4",
		  JSON_PRETTY);

	make_conn_bare(&v[1]);
	check_out(render_conn(TEXT, &v[1]), CONN5_PRETTY, "conn 5", TEXT);
	check_out(render_conn(DUMP, &v[1]), CONN5_DUMP, "conn 5", DUMP);
	check_out(render_conn(JSON, &v[1]), conn5_json, "conn 5", JSON);
	check_out(render_conn(JSON_PRETTY, &v[1]), conn5_json_pretty, "conn 5",
		  JSON_PRETTY);

	memset(&v[2], 0, sizeof(v[2]));
	check_out(render_conn(TEXT, &v[2]), EMPTY_CONN_PRETTY, "empty conn", TEXT);
	check_out(render_conn(DUMP, &v[2]), EMPTY_CONN_DUMP, "empty conn", DUMP);
	check_out(render_conn(JSON, &v[2]), empty_conn_json, "empty conn", JSON);

	check_out(render_show(TEXT, v, 3), show_pretty, "show", TEXT);
	check_out(render_show(DUMP, v, 3), show_dump, "show", DUMP);
	check_out(render_show(JSON, v, 3), show_json, "show", JSON);
	check_out(render_show(JSON_PRETTY, v, 3), show_json_pretty, "show",
		  JSON_PRETTY);

	check_out(render_show(TEXT, v, 0), "", "show nothing", TEXT);
	check_out(render_show(DUMP, v, 0), "", "show nothing", DUMP);
	check_out(render_show(JSON, v, 0), "[]\n", "show nothing", JSON);
	check_out(render_show(JSON_PRETTY, v, 0), "[]\n", "show nothing",
		  JSON_PRETTY);

	check_out(render_add_reply(TEXT, 7), "id 7\n", "conn add", TEXT);
	check_out(render_add_reply(JSON, 7), "{\"id\":7}\n", "conn add", JSON);
	check_out(render_add_reply(JSON_PRETTY, 7), "{\n  \"id\": 7\n}\n",
		  "conn add", JSON_PRETTY);

	/* An SA move 5 s ago on CLOCK_BOOTTIME; a slow run may see 5.1 s. */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	v[0].last_move_ns = now - 5000000000ull;
	out = render_conn(TEXT, &v[0]);
	check(strstr(out, "retransmits 105  last-move 5.0s ago\n    drops ") ||
	      strstr(out, "retransmits 105  last-move 5.1s ago\n    drops "),
	      "conn 4 last move: %s", out);
	free(out);
}

static const char event_full_pretty[] =
	"[2025-06-01T12:00:00.123456+0200] sa-updated conn 2 name"
	" a?b?\xc3\xa9 seq 4294967295 nat src-addr,0x20 error 13"
	" (Permission denied) | out spi 0xdeadbeef 2001:db8::10 ->"
	" 2001:db8::20 encap espinudp 4500 -> 0 oseq 18446744073709551615 |"
	" in  spi 0x00000000 - -> - encap 7 | in  spi 0x00000001 192.0.2.1"
	" -> - 0 -> 4501\n";

static const char event_full_json[] =
	"{\"timestamp\":\"2025-06-01T12:00:00.123456+0200\","
	"\"type\":\"sa-updated\",\"conn-id\":2,"
	"\"conn-name\":\"a b\\u0001\xc3\xa9\",\"seq\":4294967295,"
	"\"nat\":[\"src-addr\",\"0x20\"],\"error\":13,\"time-ns\":5,"
	"\"sas\":[{\"dir\":\"out\",\"spi\":\"0xdeadbeef\","
	"\"family\":\"inet6\",\"saddr\":\"2001:db8::10\","
	"\"daddr\":\"2001:db8::20\",\"encap\":\"espinudp\","
	"\"encap-sport\":4500,\"oseq\":18446744073709551615},"
	"{\"encap\":\"7\"},{\"dir\":\"in\",\"spi\":\"0x00000001\","
	"\"family\":\"99\",\"saddr\":\"192.0.2.1\","
	"\"encap-dport\":4501}]}\n";

static void test_golden_events(void)
{
	struct mob_event e;

	memset(&e, 0, sizeof(e));
	e.has = EVENT_HAS(TYPE) | EVENT_HAS(CONN_ID) | EVENT_HAS(CONN_NAME) |
		EVENT_HAS(SEQ) | EVENT_HAS(NAT) | EVENT_HAS(ERROR) |
		EVENT_HAS(TIME_NS) | EVENT_HAS(SA);
	e.type = XFRM_MOBILITY_EVENT_SA_UPDATED;
	e.conn_id = 2;
	strcpy(e.conn_name, "a b\x01\xc3\xa9");
	e.seq = UINT32_MAX;
	e.nat = XFRM_MOBILITY_NAT_SRC_ADDR | 0x20;
	e.error = 13;
	e.time_ns = 5;
	e.nsa = 3;
	make_sas(e.sa);
	check_out(render_event(TEXT, "2025-06-01T12:00:00.123456+0200", &e),
		  event_full_pretty, "event with everything", TEXT);
	check_out(render_event(JSON, "2025-06-01T12:00:00.123456+0200", &e),
		  event_full_json, "event with everything", JSON);

	/* Values without attributes are not shown; "unknown" without a type. */
	e.has = 0;
	e.nsa = 0;
	check_out(render_event(TEXT, "TS", &e), "[TS] unknown\n", "bare event",
		  TEXT);
	check_out(render_event(JSON, "TS", &e), "{\"timestamp\":\"TS\"}\n",
		  "bare event", JSON);

	/* NAT present but empty; an SA list without the attribute bit. */
	e.has = EVENT_HAS(TYPE) | EVENT_HAS(NAT);
	e.type = XFRM_MOBILITY_EVENT_CONN_ADD;
	e.nat = 0;
	e.nsa = 1;
	check_out(render_event(TEXT, "TS", &e),
		  "[TS] conn-add nat none | out spi 0xdeadbeef 2001:db8::10 -> "
		  "2001:db8::20 encap espinudp 4500 -> 0 oseq 18446744073709551615\n",
		  "event nat none", TEXT);
	check_out(render_event(JSON, "TS", &e),
		  "{\"timestamp\":\"TS\",\"type\":\"conn-add\",\"nat\":[],\"sas\":"
		  "[{\"dir\":\"out\",\"spi\":\"0xdeadbeef\",\"family\":\"inet6\","
		  "\"saddr\":\"2001:db8::10\",\"daddr\":\"2001:db8::20\","
		  "\"encap\":\"espinudp\",\"encap-sport\":4500,"
		  "\"oseq\":18446744073709551615}]}\n",
		  "event nat none", JSON);
}

#define DAEMON_LINE(text) "[" TS_DAEMON "] " text "\n"
#define DAEMON_JSON(action, members) \
	"{\"timestamp\":\"" TS_DAEMON "\",\"action\":\"" action "\"" members "}\n"

static const char daemon_text[] =
	DAEMON_LINE("conn 1 home: local 10.0.1.2 -> 10.0.2.2, handover requested")
	DAEMON_LINE("conn 3: local 2001:db8::1 -> 2001:db8::2, handover failed: "
		    "Invalid argument")
	DAEMON_LINE("conn 4294967295 a?b?\"c?: local 2001:db8::2 -> 2001:db8::1, "
		    "handover requested")
	DAEMON_LINE("conn 1 home: no route to 203.0.113.10 "
		    "(Network is unreachable), waiting")
	DAEMON_LINE("conn 4294967295 a?b?\"c?: no route to 2001:db8::2 "
		    "(Cannot assign requested address), waiting")
	DAEMON_LINE("rtnetlink: 1 message: newroute inet")
	DAEMON_LINE("rtnetlink: 12 messages: newlink, dellink inet, ... "
		    "(events lost, resync)")
	DAEMON_LINE("rtnetlink: 0 messages:  (events lost, resync)")
	DAEMON_LINE("recheck 50 ms after the last change")
	DAEMON_LINE("daemon: watching links, addresses and routes");

static const char daemon_json[] =
	DAEMON_JSON("handover", ",\"conn-id\":1,\"conn-name\":\"home\","
		    "\"from\":\"10.0.1.2\",\"to\":\"10.0.2.2\","
		    "\"result\":\"requested\"")
	DAEMON_JSON("handover", ",\"conn-id\":3,\"from\":\"2001:db8::1\","
		    "\"to\":\"2001:db8::2\",\"result\":\"failed\",\"errno\":22,"
		    "\"error\":\"Invalid argument\"")
	DAEMON_JSON("handover", ",\"conn-id\":4294967295,"
		    "\"conn-name\":\"a b\\t\\\"c\\u007f\",\"from\":\"2001:db8::2\","
		    "\"to\":\"2001:db8::1\",\"result\":\"requested\"")
	DAEMON_JSON("no-route", ",\"conn-id\":1,\"conn-name\":\"home\","
		    "\"peer\":\"203.0.113.10\",\"error\":\"Network is unreachable\"")
	DAEMON_JSON("no-route", ",\"conn-id\":4294967295,"
		    "\"conn-name\":\"a b\\t\\\"c\\u007f\",\"peer\":\"2001:db8::2\","
		    "\"error\":\"Cannot assign requested address\"")
	DAEMON_JSON("rtnetlink", ",\"messages\":1,\"changes\":\"newroute inet\"")
	DAEMON_JSON("rtnetlink", ",\"messages\":12,"
		    "\"changes\":\"newlink, dellink inet, ...\",\"lost\":\"resync\"")
	DAEMON_JSON("rtnetlink", ",\"messages\":0,\"changes\":\"\","
		    "\"lost\":\"resync\"")
	DAEMON_JSON("recheck", ",\"after-ms\":50")
	DAEMON_JSON("start", "");

static void test_golden_daemon(void)
{
	struct mob_conn c[3];

	memset(c, 0, sizeof(c));
	c[0].has = CONN_HAS(ID) | CONN_HAS(NAME);
	c[0].id = 1;
	strcpy(c[0].name, "home");
	/* A name without its attribute is not shown. */
	c[1].has = CONN_HAS(ID);
	c[1].id = 3;
	strcpy(c[1].name, "ignored");
	c[2].has = CONN_HAS(NAME);
	c[2].id = UINT32_MAX;
	strcpy(c[2].name, "a b\t\"c\x7f");

	check_out(render_daemon(TEXT, c), daemon_text, "daemon lines", TEXT);
	check_out(render_daemon(JSON, c), daemon_json, "daemon lines", JSON);
}

/* ---- command line: exit status and message, no kernel involved ---- */

static const char *mobctl;

static void cli(int want_rc, const char *want_out, const char *const *args)
{
	char cmd[256] = "", out[4096];
	const char *argv[16];
	int pipefd[2], status, rc = -1;
	size_t n = 0, i;
	ssize_t r;
	pid_t pid;

	argv[0] = mobctl;
	for (i = 0; args[i] && i < ARRAY_SIZE(argv) - 2; i++) {
		argv[i + 1] = args[i];
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", args[i]);
	}
	argv[i + 1] = NULL;

	if (pipe(pipefd))
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(mobctl, (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (n < sizeof(out) - 1 &&
	       (r = read(pipefd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	out[n] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		rc = WEXITSTATUS(status);
	check(rc == want_rc && strstr(out, want_out),
	      "mobctl%s: exit %d (want %d), output:\n%s(want: %s)",
	      cmd, rc, want_rc, out, want_out);
}

#define CLI(rc, out, ...) cli(rc, out, (const char *const[]){ __VA_ARGS__, NULL })

static void test_cli(void)
{
	CLI(0, "mobctl ", "--version");
	CLI(0, "mobctl ", "-V");
	CLI(0, "Usage: mobctl", "help");
	CLI(0, "CONN := { id ID | name NAME | ID }", "conn", "help");
	CLI(0, "Usage: mobctl", "-h");
	CLI(2, "Error: argument \"foo\" is wrong: REQID value is invalid",
	    "conn", "add", "reqid", "foo");
	CLI(2, "Error: argument \"0\" is wrong: REQID value is invalid",
	    "conn", "add", "reqid", "0");
	CLI(2, "Error: argument \"reqid\" is required", "conn", "add", "name", "home");
	CLI(2, "Error: duplicate \"reqid\": \"2\" is the second value.",
	    "conn", "add", "reqid", "1", "reqid", "2");
	CLI(2, "Error: argument \"car\" is wrong: ROLE value is invalid",
	    "conn", "add", "reqid", "1", "role", "car");
	CLI(2, "REG_PORT value is invalid", "conn", "add", "reqid", "1", "port", "0");
	CLI(2, "REG_PORT value is invalid", "conn", "add", "reqid", "1", "port", "65536");
	CLI(2, "MARK value is invalid", "conn", "add", "reqid", "1", "mark", "1/");
	CLI(2, "IF_ID value is invalid", "conn", "add", "reqid", "1", "if_id", "x");
	CLI(2, "NAME value is invalid", "conn", "add", "reqid", "1", "name", "a b");
	CLI(2, "NAME value is invalid", "conn", "add", "reqid", "1", "name", "-");
	CLI(2, "Error: argument \"bogus\" is wrong: unknown keyword",
	    "conn", "add", "reqid", "1", "bogus");
	CLI(2, "Command line is not complete", "conn", "add", "reqid");
	CLI(2, "Error: argument \"id or name\" is required", "conn", "del");
	CLI(2, "ID value is invalid", "conn", "del", "0");
	CLI(2, "ID value is invalid", "conn", "del", "id", "0x");
	CLI(2, "Error: either \"id\" is duplicate, or \"name\" is a garbage.",
	    "conn", "del", "id", "1", "name", "x");
	CLI(2, "Error: duplicate \"id\": \"2\" is the second value.",
	    "conn", "del", "1", "2");
	CLI(2, "ID value is invalid", "conn", "show", "id", "x");
	CLI(2, "unknown keyword", "show", "dunp");
	CLI(2, "ADDR value is invalid", "handover", "1", "local", "10.0.0");
	CLI(2, "Error: argument \"id or name\" is required", "handover", "local", "::1");
	CLI(2, "Object \"frob\" is unknown, try \"mobctl help\".", "frob");
	CLI(2, "Command \"frob\" is unknown, try \"mobctl help\".", "conn", "frob");
	CLI(2, "Option \"-x\" is unknown, try \"mobctl help\".", "-x");
	CLI(2, "Command line is not complete", "-n");
	CLI(2, "NETNS value is invalid", "-n", "a/b", "show");
	CLI(2, "Error: argument \"now\" is wrong: unknown keyword", "daemon", "now");
	CLI(2, "unknown keyword", "monitor", "now");
	CLI(1, "Cannot open network namespace \"mobctl-test-no-such-ns\"",
	    "-n", "mobctl-test-no-such-ns", "show");
}

int main(int argc, char **argv)
{
	mobctl = argc > 1 ? argv[1] : "./mobctl";

	test_matches();
	test_numbers();
	test_names_addrs();
	test_json();
	test_conn_v4();
	test_conn_v6();
	test_conn_no_sa();
	test_conn_next_try();
	test_conn_stats();
	test_conn_list();
	test_events();
	test_golden_conns();
	test_golden_events();
	test_golden_daemon();
	test_cli();

	printf("%u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
