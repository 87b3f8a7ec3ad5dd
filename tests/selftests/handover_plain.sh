#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# handover.sh starting from plain ESP SAs on both ends: the registration
# arrives UDP-encapsulated on SAs without encapsulation and must not be
# dropped; both ends switch to ESP-in-UDP.
XM_TUNNEL_ENCAP=none exec "$(dirname "${BASH_SOURCE[0]}")/handover.sh" "$@"
