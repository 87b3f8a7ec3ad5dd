// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests for mobctl that need no kernel module: argument parsing,
 * JSON escaping, attribute parsing and the output formats, and the exit
 * status of bad command lines. Usage: test-mobctl ./mobctl
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

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

static const char conn1_pretty[] =
	"conn 1 name home reqid 1 role mobile state ok reg idle port 4501\n"
	"    out spi 0x00000100 10.1.0.2 -> 10.9.0.2 encap espinudp 4500 -> 4500 oseq 42\n"
	"    in  spi 0x00000200 10.9.0.2 -> 10.1.0.2 encap espinudp 4500 -> 4500\n"
	"    nat none  moves 0  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits 0\n"
	"    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0  duplicates 0  rebindings 0\n";

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

static void test_conn_v4(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	uint16_t bad = 7;
	struct capture c;
	struct mob_conn conn;
	struct json j;
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

	print_conn_pretty(cap_open(&c), &conn);
	check_str(cap_close(&c), conn1_pretty, "conn 1 pretty");
	free(c.buf);

	print_conn_dump(cap_open(&c), &conn);
	check_str(cap_close(&c), conn1_dump, "conn 1 dump");
	free(c.buf);

	json_init(&j, cap_open(&c), false);
	json_conn(&j, &conn);
	check_str(cap_close(&c), conn1_json, "conn 1 json");
	free(c.buf);
}

static void test_conn_v6(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	struct in6_addr src, dst;
	struct mob_conn conn;
	struct capture c;
	struct nlattr *nest;
	struct json j;
	const char *out;

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

	print_conn_dump(cap_open(&c), &conn);
	check_str(cap_close(&c),
		  "2\ta?b\"\t2\tgateway\tpolicy-missing\tout\t0xc0ffee01\t2001:db8::1\t"
		  "2001:db8:1::2\tnone\t0\t0\tregistered\t0x43\t3\t0\t9\t0x10\t0xff\t5\t4501\t0\n",
		  "conn 2 dump");
	free(c.buf);

	print_conn_pretty(cap_open(&c), &conn);
	check_str(cap_close(&c),
		  "conn 2 name a?b\" reqid 2 mark 0x10/0xff if_id 5 role gateway "
		  "state policy-missing reg registered seq 9 port 4501\n"
		  "    out spi 0xc0ffee01 2001:db8::1 -> 2001:db8:1::2 encap none\n"
		  "    nat src-addr,src-port,0x40  moves 3  rreq tx 0 rx 0  rrep tx 0 rx 0  retransmits 0\n"
		  "    drops malformed 0 stale 0 unexpected 0 wrong-conn 0 no-tuple 0  tx-errors 0  keepalives 0  probes 0  fallbacks 0  duplicates 0  rebindings 0\n",
		  "conn 2 pretty");
	free(c.buf);

	json_init(&j, cap_open(&c), false);
	json_conn(&j, &conn);
	out = cap_close(&c);
	check(strstr(out, "\"name\":\"a\\tb\\\"\"") &&
	      strstr(out, "\"nat\":[\"src-addr\",\"src-port\",\"0x40\"]") &&
	      strstr(out, "\"saddr\":\"2001:db8::1\",\"daddr\":\"2001:db8:1::2\",\"encap\":\"none\"}") &&
	      strstr(out, "\"family\":\"inet6\"") && strstr(out, "\"moves\":3"),
	      "conn 2 json: %s", out);
	free(c.buf);
}

static void test_conn_no_sa(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_CONN_GET);
	struct mob_conn conn;
	struct capture c;
	struct json j;

	put_common(nlh, 3, XFRM_MOBILITY_ROLE_MOBILE,
		   XFRM_MOBILITY_CONN_STATE_SA_MISSING, XFRM_MOBILITY_REG_STATE_FAILED);
	check(mob_conn_parse(nlh, &conn) == 0, "parse conn 3");

	print_conn_dump(cap_open(&c), &conn);
	check_str(cap_close(&c),
		  "3\t-\t3\tmobile\tsa-missing\t-\t-\t-\t-\t-\t-\t-\tfailed\t0x0\t0\t-\t0\t0x0\t0x0\t0\t4501\t0\n",
		  "conn 3 dump");
	free(c.buf);

	json_init(&j, cap_open(&c), false);
	json_conn(&j, &conn);
	check_str(cap_close(&c),
		  "{\"id\":3,\"reqid\":3,\"role\":\"mobile\",\"reg-port\":4501,"
		  "\"state\":\"sa-missing\",\"reg-state\":\"failed\",\"sas\":[]}\n",
		  "conn 3 json");
	free(c.buf);

	/* Too short for a genetlink header. */
	nlh = mnl_nlmsg_put_header(msgbuf);
	check(mob_conn_parse(nlh, &conn) == -1, "conn without genl header");
}

static void test_events(void)
{
	struct nlmsghdr *nlh = msg_start(XFRM_MOBILITY_CMD_EVENT_NTF);
	struct mob_event ev;
	struct capture c;
	struct json j;

	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_TYPE, XFRM_MOBILITY_EVENT_SA_MOVED);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_CONN_ID, 1);
	mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_EVENT_CONN_NAME, "home");
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_SEQ, 3);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_NAT, 3);
	mnl_attr_put_u64(nlh, XFRM_MOBILITY_A_EVENT_TIME_NS, 123);
	put_sa4(nlh, XFRM_MOBILITY_A_EVENT_SA, XFRM_MOBILITY_DIR_OUT, 0x100,
		"10.1.0.3", "10.9.0.2", true);
	check(mob_event_parse(nlh, &ev) == 0, "parse sa-moved");

	print_event_pretty(cap_open(&c), "TS", &ev);
	check_str(cap_close(&c),
		  "[TS] sa-moved conn 1 name home seq 3 nat src-addr,src-port | out spi "
		  "0x00000100 10.1.0.3 -> 10.9.0.2 encap espinudp 4500 -> 4500 oseq 42\n",
		  "sa-moved pretty");
	free(c.buf);

	json_init(&j, cap_open(&c), false);
	json_event(&j, "TS", &ev);
	check_str(cap_close(&c),
		  "{\"timestamp\":\"TS\",\"type\":\"sa-moved\",\"conn-id\":1,"
		  "\"conn-name\":\"home\",\"seq\":3,\"nat\":[\"src-addr\",\"src-port\"],"
		  "\"time-ns\":123,\"sas\":[{\"dir\":\"out\",\"spi\":\"0x00000100\","
		  "\"family\":\"inet\",\"saddr\":\"10.1.0.3\",\"daddr\":\"10.9.0.2\","
		  "\"encap\":\"espinudp\",\"encap-sport\":4500,\"encap-dport\":4500,"
		  "\"oseq\":42}]}\n",
		  "sa-moved json");
	free(c.buf);

	nlh = msg_start(XFRM_MOBILITY_CMD_EVENT_NTF);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_TYPE, XFRM_MOBILITY_EVENT_FAILURE);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_CONN_ID, 1);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_ERROR, 110);
	check(mob_event_parse(nlh, &ev) == 0, "parse failure");
	print_event_pretty(cap_open(&c), "TS", &ev);
	check_str(cap_close(&c), "[TS] failure conn 1 error 110 (Connection timed out)\n",
		  "failure pretty");
	free(c.buf);

	nlh = msg_start(XFRM_MOBILITY_CMD_EVENT_NTF);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_EVENT_TYPE, 99);
	check(mob_event_parse(nlh, &ev) == 0, "parse unknown event");
	print_event_pretty(cap_open(&c), "TS", &ev);
	check_str(cap_close(&c), "[TS] 99\n", "unknown event pretty");
	free(c.buf);
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
	test_events();
	test_cli();

	printf("%u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
