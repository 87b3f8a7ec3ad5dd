# SPDX-License-Identifier: GPL-2.0
#
# xfrm_mobility: top-level build.
#
#   make                 module for KDIR and mobctl
#   make strongswan-plugin  the xfrm-mobility charon plugin (fetches and
#                        configures the matching strongSwan source once)
#   make KDIR=<dir>      module against another kernel headers tree
#   make modules-all     module for every test kernel (build/<krel>/), W=1 C=1,
#                        warnings are errors; XM_FAULT_INJECTION=1: the test
#                        build with fault points (build/<krel>-fault/)
#   make check           the whole test suite (installs its dependencies)
#   make check-debug     every selftest in one VM on a debug 6.1 kernel (KASAN,
#                        lockdep, kmemleak, UBSAN; built once, cached in
#                        ~/.cache/xfrm_mobility); XM_DEBUG_SOAK=1 adds the soak
#   make demo            the handover demo in a VM
#   make bench [FULL=1]  handover latency of the module (set up by strongSwan and
#                        its charon plugin), strongSwan, WireGuard and stock
#                        XFRM in a VM (bench/run.sh: builds the module, the
#                        plugin and the tools first; BENCH_KREL picks the
#                        kernel); bench-doc regenerates
#                        Documentation/benchmarks.rst
#   make bench-dataplane module managing / idle / not loaded: iperf3 through
#   make bench-scale     one tunnel; gateway with 1k-100k connections: memory,
#                        adoption, handover, RREQ storm (VM, BENCH_KREL,
#                        BENCH_ARGS; Documentation/benchmarks-scale.rst)
#   make deps            install build/test dependencies (Debian)
#   make regen           regenerate netlink code from the YAML spec
#   make install         install the module (for KDIR's kernel) and mobctl

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KERNELRELEASE)/build) \
	$(shell scripts/kernels.sh 2>/dev/null | awk 'NR == 1 { print $$3 }'))

MODULE_SRCS := Kbuild $(wildcard src/*.c src/*.h) \
	$(wildcard include/uapi/linux/*.h)

.PHONY: all module mobctl tools strongswan-plugin install-strongswan-plugin modules-all module-for unit fuzz regen regen-check \
	deps check check-debug demo bench bench-doc bench-dataplane bench-scale style install \
	clean

all: module mobctl

module:
	@test -n "$(KDIR)" || { echo "no kernel headers found: set KDIR or run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

mobctl:
	$(MAKE) -C tools/mobctl

# Helper programs of the selftests and benchmarks (build/tools/).
tools:
	$(MAKE) -C tests/tools

strongswan-plugin:
	$(MAKE) -C tools/strongswan

# Build in a shadow tree per kernel so that both kernels' objects coexist.
# XM_FAULT_INJECTION=1 builds the test build (fault points, src/fault.h)
# into build/<krel>-fault/ instead.
MODULE_BDIR = build/$(KREL)$(if $(filter 1,$(XM_FAULT_INJECTION)),-fault)

module-for:
	@test -n "$(KREL)" -a -n "$(KDIR)" || { echo "usage: make module-for KREL=<krel> KDIR=<headers>" >&2; exit 2; }
	@rm -rf $(MODULE_BDIR) && mkdir -p $(MODULE_BDIR)
	@cp -r --parents $(MODULE_SRCS) $(MODULE_BDIR)/
	@echo "  BUILD   $(MODULE_BDIR)/xfrm_mobility.ko (W=1 C=1)"
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR)/$(MODULE_BDIR) W=1 C=1 modules \
		> $(MODULE_BDIR)/build.log 2>&1 || { cat $(MODULE_BDIR)/build.log; exit 1; }
	@if grep -E '(warning|error):' $(MODULE_BDIR)/build.log; then \
		echo "build for $(KREL) has warnings" >&2; exit 1; fi
	@echo "  OK      $(KREL): 0 warnings"

modules-all:
	@scripts/kernels.sh | while read -r series krel kdir vmlinuz; do \
		$(MAKE) --no-print-directory module-for KREL=$$krel KDIR=$$kdir || exit 1; \
	done

unit:
	$(MAKE) -C tests/unit check

fuzz:
	$(MAKE) -C tests/unit fuzz

regen:
	scripts/ynl-regen.sh

regen-check:
	scripts/ynl-regen.sh --check

deps:
	scripts/deps.sh

check:
	scripts/check.sh

check-debug:
	scripts/check-debug.sh

demo:
	scripts/demo.sh

bench:
	bench/run.sh $(if $(FULL),--full) $(if $(BENCH_KREL),--kernel $(BENCH_KREL))

bench-doc:
	bench/run.sh --doc-only

BENCH_KREL ?= $(shell scripts/kernels.sh 2>/dev/null | awk '$$1 == "6.12" { print $$2 }')

bench-dataplane bench-scale: deps
	@test -n "$(BENCH_KREL)" || { echo "no test kernel (scripts/kernels.sh)" >&2; exit 1; }
	$(MAKE) --no-print-directory module-for KREL=$(BENCH_KREL) \
		KDIR=$$(scripts/kernels.sh | awk '$$2 == "$(BENCH_KREL)" { print $$3 }')
	$(MAKE) -s -C tools/mobctl
	$(MAKE) -s -C tests/tools
	tests/vm/run-vm.sh --kernel $(BENCH_KREL) --ko build/$(BENCH_KREL)/xfrm_mobility.ko \
		--mem $(if $(filter bench-scale,$@),6144,1024) --timeout 10800 \
		--out bench/results/$$(date -u +%Y%m%dT%H%M%SZ)-$(BENCH_KREL)-$(@:bench-%=%) \
		-- bench/$(@:bench-%=%).sh $(BENCH_ARGS)

style:
	scripts/style.sh

install: module mobctl
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C tools/mobctl install

install-strongswan-plugin:
	$(MAKE) -C tools/strongswan install

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C tools/mobctl clean
	-$(MAKE) -C tests/unit clean
	rm -rf build
