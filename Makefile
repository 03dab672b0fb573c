# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree wrapper; kbuild itself reads Kbuild.  In a kernel tree this file
# is never used.
#
#   make                 build nd_ramdax.ko against the running kernel (KDIR=)
#   make install         install under /lib/modules/<ver>/updates/, depmod, and
#                        alias ramdax to nd_ramdax (kernels >= 6.19 ship a
#                        ramdax.ko that "modprobe ramdax" would pick first)
#   make dkms            register with DKMS and build for the kernel of KDIR
#   make deb             the Debian package ramdax-dkms (dpkg-buildpackage;
#                        needs debhelper and dh-dkms), left in ..
#   make style           checkpatch --strict, W=1 and sparse on every target (root)
#   make check           the test suite: every scenario on every target (root)
#   make check-long      the scenarios that do not fit make check's budget
#                        ("ramdax-check: long": 100 unbinds racing users, async
#                        probing, adjacent ranges, NUMA) on every target (root)
#   make check-debug     KUnit, 1000 bind cycles under kmemleak, a failslab
#                        sweep of probe and scenarios on a KASAN/kmemleak/
#                        lockdep kernel with ramdax in tree (root; the first
#                        run builds that kernel)
#   make check-image     the "ramdax-check: image" scenarios on whole Debian
#                        systems (trixie 6.12, sid 7.2): package install,
#                        boot-time binding, reboots, kexec under systemd (root)
#   make check-pmdk      PMDK's own unit tests (Debian's pmdk source, built in
#                        the sid root) on ramdax fsdax and devdax (root)
#   make bench           ramdax measured beside the kernel's ramdax.ko, nd_e820,
#                        QEMU's NVDIMM and plain memory, 7 figures: JSON,
#                        Markdown and PNG charts under the test cache (root;
#                        RAMDAX_BENCH_FIGURES="1 5" and the rest: see
#                        tools/testing/ramdax/bench.sh)
#   make demo            boot a guest and walk the documented flow (root)

KDIR ?= /lib/modules/$(shell uname -r)/build
# What uname -r says on that kernel (Debian 6.1's include/config/kernel.release
# holds the upstream version instead).
KVER ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
SOURCES := Kbuild Makefile Kconfig dkms.conf ramdax.c ramdax_label.c ramdax_carve.c ramdax.h ramdax_compat.h

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

MODPROBE_CONF ?= /etc/modprobe.d/nd_ramdax.conf

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates KERNELRELEASE=$(KVER) modules_install
	depmod -a $(KVER)
	printf 'alias ramdax nd_ramdax\n' > $(MODPROBE_CONF)

dkms:
	rm -rf /usr/src/ramdax-$(VERSION)
	mkdir -p /usr/src/ramdax-$(VERSION)
	cp $(SOURCES) /usr/src/ramdax-$(VERSION)/
	dkms install -m ramdax -v $(VERSION) -k $(KVER)
	printf 'alias ramdax nd_ramdax\n' > $(MODPROBE_CONF)

deb:
	dpkg-buildpackage -us -uc -b

style:
	tools/testing/ramdax/style.sh

check:
	tools/testing/ramdax/check.sh

check-debug:
	RAMDAX_TARGETS=debug-7.2 tools/testing/ramdax/check.sh

check-long:
	RAMDAX_LONG=1 RAMDAX_TARGETS="$${RAMDAX_TARGETS:-bookworm-6.1 trixie-6.12 sid-7.2 sid-7.2-arm64 debug-7.2}" \
		tools/testing/ramdax/check.sh

check-image:
	RAMDAX_IMAGE=1 RAMDAX_TARGETS="$${RAMDAX_TARGETS:-trixie-6.12-image sid-7.2-image}" \
		tools/testing/ramdax/check.sh

check-pmdk:
	RAMDAX_PMDK=1 RAMDAX_TARGETS="$${RAMDAX_TARGETS:-sid-7.2}" tools/testing/ramdax/check.sh

bench:
	tools/testing/ramdax/bench.sh

demo:
	tools/testing/ramdax/run.sh

.PHONY: all module clean install dkms deb style check check-debug check-long check-image check-pmdk demo
