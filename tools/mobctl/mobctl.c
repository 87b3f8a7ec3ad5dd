// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl: control utility for xfrm_mobility.
 */
#include <stdlib.h>
#include <string.h>

#include "mobctl.h"
#include "utils.h"

#ifndef MOBCTL_VERSION
#define MOBCTL_VERSION "0.1"
#endif

bool opt_json;
bool opt_pretty;
const char *opt_netns;

void usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: mobctl [ OPTIONS ] conn add [ name NAME ] reqid REQID [ mark MARK[/MASK] ]\n"
		"                                   [ if_id IF_ID ] [ role { mobile | gateway } ]\n"
		"                                   [ port REG_PORT ] [ keepalive SECONDS ]\n"
		"                                   [ encap { auto | always } ]\n"
		"       mobctl [ OPTIONS ] conn del CONN\n"
		"       mobctl [ OPTIONS ] conn show [ CONN ] [ dump ]\n"
		"       mobctl [ OPTIONS ] show [ CONN ] [ dump ]\n"
		"       mobctl [ OPTIONS ] handover CONN [ local ADDR ]\n"
		"       mobctl [ OPTIONS ] monitor\n"
		"       mobctl [ OPTIONS ] daemon [ -j ] [ -v ]\n"
		"       mobctl help\n"
		"       mobctl { -V | --version }\n"
		"where  OPTIONS := { -j[son] | -p[retty] | -n[etns] NAME }\n"
		"       CONN := { id ID | name NAME | ID }\n"
		"       ID, REQID, MARK, MASK, IF_ID := 32-bit number (decimal or 0x hex)\n"
		"       REG_PORT := 1..65535 (default 4501)\n"
		"       NAME := 1 to 63 bytes, no blanks or control characters\n"
		"       ADDR := IPv4 or IPv6 address\n"
		"Without a command, mobctl runs \"show\".\n");
	exit(status);
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout, EXIT_SUCCESS);
}

/* Order matters for prefixes: "h" is help, "s" is show. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subcommands[] = {
	{ "conn", do_conn },
	{ "show", do_show },
	{ "help", do_help },
	{ "handover", do_handover },
	{ "monitor", do_monitor },
	{ "daemon", do_daemon },
};

int main(int argc, char **argv)
{
	const char *opt;
	size_t i;

	while (argc > 1 && argv[1][0] == '-') {
		opt = argv[1];
		if (!strcmp(opt, "--")) {
			argc--;
			argv++;
			break;
		}
		/* --long and -long are the same, as in iproute2. */
		if (opt[1] == '-')
			opt++;
		if (!strncmp(opt, "-netns=", 7)) {
			opt_netns = opt + 7;
		} else if (strlen(opt) < 2) {
			goto bad_option;
		} else if (matches(opt, "-json") == 0) {
			opt_json = true;
		} else if (matches(opt, "-pretty") == 0) {
			opt_pretty = true;
		} else if (matches(opt, "-netns") == 0) {
			argc--;
			argv++;
			if (argc < 2)
				incomplete_command();
			opt_netns = argv[1];
		} else if (matches(opt, "-Version") == 0 ||
			   !strcmp(opt, "-version")) {
			printf("mobctl %s\n", MOBCTL_VERSION);
			return EXIT_SUCCESS;
		} else if (matches(opt, "-help") == 0) {
			usage(stdout, EXIT_SUCCESS);
		} else {
			goto bad_option;
		}
		if (opt_netns && check_netns_name(opt_netns))
			invarg("NETNS value is invalid", opt_netns);
		argc--;
		argv++;
	}

	if (argc < 2)
		return do_show(0, NULL);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (matches(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "Object \"%s\" is unknown, try \"mobctl help\".\n", argv[1]);
	return EXIT_USAGE;

bad_option:
	fprintf(stderr, "Option \"%s\" is unknown, try \"mobctl help\".\n", argv[1]);
	return EXIT_USAGE;
}
