# SPDX-License-Identifier: GPL-2.0
# For the deployment scenarios on a system image (ramdax-dkms installed
# with apt, bound at boot by udev): who holds the carveouts, what the boot's
# logs say, and the package's traces.  Source after ktap.sh and ramdax.sh.

# Persistent across restarts and kexecs: the root disk.
DEPLOY_STATE=/var/lib/ramdax-test
mkdir -p "$DEPLOY_STATE"
NS_STATE=$DEPLOY_STATE/ns-state

# What nd_e820's platform driver holds, if it is loaded (its driver is
# called e820_pmem, after the device).
e820_held() { ls /sys/module/nd_e820/drivers/platform:*/ 2>/dev/null | grep -c '^e820_pmem$'; }

# The providers of every nvdimm bus, comma-separated.
bus_providers() { ndctl list -B 2>/dev/null | jq -r '[.. | .provider? // empty] | join(",")'; }

# Namespaces without a uuid: label-less ones (nd_e820's namespace_io).
labelless_namespaces() { json_array "$(ndctl list -N 2>/dev/null)" | jq '[.[] | select(.uuid == null)] | length'; }

# Every namespace as "uuid mode size", sorted: what must come back.
ns_table() { json_array "$(ndctl list -N 2>/dev/null)" | jq -r '.[] | "\(.uuid) \(.mode) \(.size)"' | sort; }

# A test-only udev rule that logs every nd device added, so that a
# label-less namespace seen by udev, even for a moment, is in the journal.
deploy_log_nd_adds()
{
	cat > /etc/udev/rules.d/99-ramdax-test-nd.rules <<'RULE'
SUBSYSTEM=="nd", ACTION=="add", RUN+="/bin/sh -c 'echo ramdax-test: udev add $env{DEVTYPE} $kernel > /dev/kmsg'"
RULE
	udevadm control --reload
}

# Lines of this boot's kernel log about carveout devices and their drivers,
# on the console for the record.
deploy_boot_log()
{
	journalctl -b -k --no-pager -q -o short-monotonic |
		grep -i -E 'ramdax|nd_e820|e820_pmem|ramdax-test: udev' >&2
}

# ramdax-dkms's files, wherever they could be (7.2's own ramdax.ko is the
# kernel's, not ours).
deploy_traces()
{
	find /etc /lib/modules /usr/src /usr/lib/udev /usr/lib/modprobe.d \
		/usr/libexec /usr/share/initramfs-tools /usr/lib/systemd /var/lib/dkms \
		/var/lib/ramdax -name '*ramdax*' -not -path '*/kernel/drivers/nvdimm/ramdax.ko*' \
		-not -name '*ramdax-test*' 2>/dev/null
	[ ! -d /var/lib/ramdax ] || echo /var/lib/ramdax
}

# The carveout is bound as a boot should leave it: check NAME-prefixed tests.
deploy_check_bound()
{
	expect_eq "$1: ramdax holds e820_pmem" "$(holder e820_pmem)" ramdax
	expect_eq "$1: nd_e820 holds nothing" "$(e820_held)" 0
	expect_eq "$1: the only nvdimm bus is ramdax's" "$(bus_providers)" ramdax
	expect_eq "$1: no label-less namespace" "$(labelless_namespaces)" 0
}
