#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stage 4 (boot): one scenario in one QEMU guest.  The console (ttyS0) goes to
# console.log, the result channel (ttyS1) to result.log, under
# $TARGET_WORK/runs/SCENARIO/, with a status file 5-results.sh reads.
# arm64 targets boot QEMU's virt machine (TCG): console ttyAMA0, result
# channel a virtio serial port, carveouts pmem-region nodes in a device tree
# (lib/dt.sh; guest.dts in the run directory).
#
# usage: 4-boot.sh TARGET SCENARIO
#
# The scenario file's header comments say what its guest needs:
#   # ramdax-memmap: 1G!4G 256M!5G   carveouts (default 1G!4G)
#   # ramdax-dt: 512M,256M 256M      device-tree carveouts (arm64): nodes
#       separated by spaces, a node's reg entries by commas, flags after
#       colons: 512M:volatile (volatile region), 512M:node1 (numa-node-id)
#       (default: one node with one reg entry per memmap range; see lib/dt.sh)
#   # ramdax-numa: 2                 two NUMA nodes, guest RAM split in
#       halves, node 1 the upper (the top of RAM, where arm64's carveouts
#       are; on q35 with the default 3G: 1.5G-2G and 4G-5G), vCPU 0 in node
#       0, the others in node 1, a socket each; x86 gets an SRAT, arm64
#       /memory and cpu nodes with numa-node-id
#   # ramdax-arch: arm64             run only on these architectures
#   # ramdax-mem: 3G                 guest RAM (default 3G; above 4G: mem - 2G)
#   # ramdax-cpu: qemu64,+pdpe1gb    x86 TCG guest CPU model (default QEMU's,
#       qemu64, has no 1 GiB pages: this one maps RAM with them)
#   # ramdax-targets: sid-7.2        run only there, SKIP elsewhere
#   # ramdax-timeout: 600            seconds before the guest is killed (300)
#   # ramdax-cmdline: foo=bar        more kernel command line
#   # ramdax-nvdimm: 1G              a QEMU virtual NVDIMM of that size too
#       (-device nvdimm, 128 KiB of labels, an NFIT; x86; its memory sparse,
#       reserve=off), the bench's contender: its DIMM needs ndctl init-labels
#       before namespaces
#   # ramdax-share: root              the target's chroot, read-only, as 9p
#       tag ramdax-root (guest/lib/ramdax.sh: share_root mounts it): user
#       space the initramfs lacks (a test suite and its interpreters)
#   # ramdax-check: no               not part of check.sh (run.sh's demo)
#   # ramdax-check: long             only in make check-long (RAMDAX_LONG=1)
#   # ramdax-check: image            only on system-image targets (TARGET_IMAGE=
#       yes), in make check-image (RAMDAX_IMAGE=1); they run nothing else.
#       Booted by 4-boot-image.sh: a Debian system from 1-image.sh, its own
#       kernel and initramfs, systemd, the runner guest/image-run; reboots
#       and kexecs through guest/lib/image.sh.  Also for these:
#   # ramdax-image: installed        the disk starts with the ramdax-dkms
#       package from $TARGET_WORK/debs installed (default: base, the image
#       as 1-image.sh built it)
#   # ramdax-memmap: none            no memmap= on the command line
#   # ramdax-ram-file: yes           guest RAM in a file that survives reboot:
#       a scenario that calls ktap_reboot_same_ram is booted again on the same
#       RAM with ramdax.phase=2 (see guest/lib/ktap.sh).  The file is sparse:
#       how much of it the guest wrote goes to the status file (ram_file_kb;
#       the bench's carveouts of 256 GiB cost only what was touched)
#
# env: RAMDAX_DRIVER=upstream  test the kernel's own ramdax.ko (7.2+)
#      RAMDAX_KVM=1            use KVM if a probe boot works (TCG otherwise)
#      RAMDAX_CONSOLE=stdio    console on this terminal, no timeout (run.sh)
#      RAMDAX_SHELL=1          a shell in the guest after the scenario
#      RAMDAX_APPEND="a=b"     more kernel command line for every guest
#                              (pmdk-suite: ramdax.pmdk_budget= and
#                              ramdax.pmdk_groups=)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

load_target "${1:?usage: $0 TARGET SCENARIO}"
scenario=${2:?usage: $0 TARGET SCENARIO}
sfile=$RAMDAX_TT/scenarios/$scenario
[ -f "$sfile" ] || die "no scenario $scenario in $RAMDAX_TT/scenarios"
need_root
run=$TARGET_WORK/runs/$scenario
status=$run/status
# A run may leave pairs out, saying why (check.sh: RAMDAX_SKIP); the time
# the last real run took stays for check.sh's order.
if printf '%s\n' ${RAMDAX_SKIP:-} | grep -qx "$TARGET_NAME/$scenario"; then
	last=$(sed -n 's/^\(last_\)\{0,1\}seconds=//p' "$status" 2>/dev/null | head -n 1)
	rm -rf "$run"
	mkdir -p "$run"
	printf 'skip=%q\nlast_seconds=%s\n' "left out of this run: ${RAMDAX_SKIP_WHY:-RAMDAX_SKIP}" \
		"${last:-0}" > "$status"
	exit 0
fi
rm -rf "$run"
mkdir -p "$run"

only=$(scenario_header "$sfile" targets)
if [ -n "$only" ] && ! printf '%s\n' $only | grep -qx "$TARGET_NAME"; then
	echo "skip='only on $only'" > "$status"
	exit 0
fi
only=$(scenario_header "$sfile" arch)
if [ -n "$only" ] && ! printf '%s\n' $only | grep -qx "$TARGET_ARCH"; then
	echo "skip='only on $only'" > "$status"
	exit 0
fi

# A target may leave scenarios out, saying why (TARGET_SKIP, TARGET_SKIP_WHY).
if printf '%s\n' ${TARGET_SKIP:-} | grep -qx "$scenario"; then
	# 5-results.sh sources the status file: quote the target's words.
	printf 'skip=%q\n' "not on $TARGET_NAME: ${TARGET_SKIP_WHY:-see targets/$TARGET_NAME}" > "$status"
	exit 0
fi

# Image scenarios and image targets go together, and only together.
if [ "$(scenario_header "$sfile" check)" = image ]; then
	if [ "${TARGET_IMAGE:-}" != yes ]; then
		echo "skip='a system-image scenario (make check-image)'" > "$status"
		exit 0
	fi
elif [ "${TARGET_IMAGE:-}" = yes ]; then
	echo "skip='not a system-image scenario (ramdax-check: image)'" > "$status"
	exit 0
fi

memmap=$(scenario_header "$sfile" memmap)
dt=$(scenario_header "$sfile" dt)
mem=$(scenario_header "$sfile" mem)
timeout=$(scenario_header "$sfile" timeout)
ramfile=$(scenario_header "$sfile" ram-file)
extra=$(scenario_header "$sfile" cmdline)
numa=$(scenario_header "$sfile" numa)
share=$(scenario_header "$sfile" share)
nvdimm=$(scenario_header "$sfile" nvdimm)
mem=${mem:-3G} timeout=${timeout:-300}

if [ "${TARGET_IMAGE:-}" = yes ]; then
	. "$RAMDAX_TT/4-boot-image.sh"
	exit 0
fi
load_kernel
initrd=$(ls "$TARGET_WORK"/initramfs.cpio.* 2>/dev/null | grep -v '\.hash$' | head -n 1)
[ -n "$initrd" ] || die "no initramfs for $TARGET_NAME: run 3-initramfs.sh $TARGET_NAME"

accel=tcg
if [ "${RAMDAX_KVM:-0}" = 1 ] && [ "$TARGET_ARCH" = amd64 ]; then
	probe=$RAMDAX_CACHE/work/kvm-probe-$TARGET_NAME
	if [ ! -f "$probe" ]; then
		# A stock kernel may not boot on this host's KVM at all: prove it.
		(timeout 60 qemu-system-x86_64 -accel kvm -cpu host -M q35 -m 1G -nodefaults \
			-nographic -no-reboot -kernel "$TARGET_VMLINUZ" -initrd "$initrd" \
			-append "console=ttyS0 panic=-1" \
			-serial file:/dev/null -serial file:"$probe.out") >/dev/null 2>&1 || true
		if grep -q 'TAP version' "$probe.out" 2>/dev/null; then
			echo kvm > "$probe"
		else
			echo tcg > "$probe"
		fi
		log "boot: KVM probe: $(cat "$probe")"
	fi
	accel=$(cat "$probe")
fi
cpu=
[ "$accel" = tcg ] || cpu="-cpu host"
qcpu=$(scenario_header "$sfile" cpu)
[ -z "$qcpu" ] || [ "$accel" != tcg ] || [ "$TARGET_ARCH" != amd64 ] || cpu="-cpu $qcpu"

# Guest RAM: by default -m alone (or one backend in a file); two NUMA nodes
# are a memory backend each.  numa_args KIND: the -object/-numa arguments
# with backends of KIND, ram or file (the device tree is dumped without
# files).
numa_args()
{
	local total half n size ncpu=${RAMDAX_SMP:-2} cpus backend

	total=$(($(numfmt --from=iec "$mem") >> 20))
	# Node 0 the lower half in whole 128 MiB memory blocks, node 1 the rest.
	half=$((total / 2 / 128 * 128))
	# vCPU 0 in node 0, the others in node 1 (none with one vCPU).
	cpus=(,cpus=0 "")
	[ "$ncpu" -lt 2 ] || cpus[1]=,cpus=1
	[ "$ncpu" -lt 3 ] || cpus[1]=,cpus=1-$((ncpu - 1))
	for n in 0 1; do
		size=$half
		[ $n = 0 ] || size=$((total - half))
		backend="memory-backend-ram,id=ram$n,size=${size}M"
		[ "$1" != file ] ||
			backend="memory-backend-file,id=ram$n,size=${size}M,mem-path=$run/guest-ram.$n,share=on"
		numa_ram+=(-object "$backend" -numa "node,nodeid=$n,memdev=ram$n${cpus[n]}")
	done
}
# With NUMA nodes a vCPU a socket: vCPUs of one package (and one last-level
# cache) in two nodes make x86's topology_sane() warn.
smp=${RAMDAX_SMP:-2}
[ -z "$numa" ] || smp="$smp,sockets=$smp"
# For the device tree (arm64), dumped from a machine with the same nodes.
numa_ram=()
case $numa in
'') ;;
2) numa_args ram ;;
*) die "$scenario: ramdax-numa: $numa: only 2 is supported" ;;
esac

# The machine, its console, where the carveouts come from, and
# result_channel FILE setting $result to the QEMU arguments of the channel.
case $TARGET_ARCH in
amd64)
	machine=(qemu-system-x86_64 -accel "$accel" $cpu -M q35 -smp "$smp")
	cmdline="console=ttyS0"
	for m in ${memmap:-1G!4G}; do cmdline="$cmdline memmap=$m"; done
	result_channel() { result=(-serial "file:$1"); }
	;;
arm64)
	. "$RAMDAX_TT/lib/dt.sh"
	# pauth-impdef: TCG's architected pointer authentication is slow.
	machine=(qemu-system-aarch64 -accel tcg -M virt -cpu max,pauth-impdef=on
		 -smp "$smp")
	lowmem=$(dt_build "$(dt_layout "$memmap" "$dt")" "$mem" "$run/guest.dtb" \
		"${machine[@]}" -m "$mem" "${numa_ram[@]}" -nodefaults -nographic)
	machine+=(-dtb "$run/guest.dtb")
	cmdline="console=ttyAMA0 mem=$lowmem ramdax.result=vport"
	# virt has one UART: the result channel is a virtio serial port, whose
	# writes return once QEMU has them (guest/init finds it by name).
	result_channel()
	{
		result=(-device virtio-serial-pci,id=vser
			-chardev "file,id=result,path=$1"
			-device virtserialport,bus=vser.0,chardev=result,name=ramdax.result)
	}
	;;
*)
	die "no machine for $TARGET_ARCH"
	;;
esac
cmdline="$cmdline panic=-1 oops=panic panic_on_warn=0 ramdax.scenario=$scenario"
[ "${RAMDAX_DRIVER:-ours}" = ours ] || cmdline="$cmdline ramdax.driver=$RAMDAX_DRIVER"
[ "${RAMDAX_SHELL:-0}" = 0 ] || cmdline="$cmdline ramdax.shell=1"
[ -z "$extra" ] || cmdline="$cmdline $extra"
[ -z "${RAMDAX_APPEND:-}" ] || cmdline="$cmdline $RAMDAX_APPEND"

shared=()
case $share in
'') ;;
# multidevs=remap: the root holds mount points (its /proc while a build
# runs), other devices whose inode numbers would collide.
root) shared=(-virtfs "local,path=$TARGET_ROOT,mount_tag=ramdax-root,security_model=none,readonly=on,multidevs=remap") ;;
*) die "$scenario: ramdax-share: $share: only root is supported" ;;
esac

ram=()
if [ -n "$numa" ]; then
	numa_ram=()
	if [ "$ramfile" = yes ]; then numa_args file; else numa_args ram; fi
	ram=("${numa_ram[@]}")
elif [ "$ramfile" = yes ]; then
	ram=(-object "memory-backend-file,id=ram0,size=$mem,mem-path=$run/guest-ram,share=on"
	     -machine memory-backend=ram0)
fi

# A virtual NVDIMM (x86): its memory a backend of its own, outside -m's.
memarg=$mem
if [ -n "$nvdimm" ]; then
	[ "$TARGET_ARCH" = amd64 ] || die "$scenario: ramdax-nvdimm: x86 only"
	for i in "${!machine[@]}"; do
		[ "${machine[i]}" != q35 ] || machine[i]=q35,nvdimm=on
	done
	memarg="$mem,slots=2,maxmem=$(($(numfmt --from=iec "$mem") + $(numfmt --from=iec "$nvdimm") + (1 << 30)))"
	ram+=(-object "memory-backend-ram,id=nv0,size=$nvdimm,reserve=off"
	      -device "nvdimm,id=nvdimm0,memdev=nv0,label-size=128K")
fi

# boot_once PHASE TESTBASE: one guest; sets $rc to QEMU's (124: timed out).
boot_once()
{
	local console=(-serial "file:$run/console.$1.log") tmo=(timeout -k 10 "$timeout")

	if [ "${RAMDAX_CONSOLE:-log}" = stdio ]; then
		console=(-serial mon:stdio)
		: > "$run/console.$1.log"
		# Nobody can say how long a person stays in the shell.
		[ "${RAMDAX_SHELL:-0}" = 0 ] || tmo=()
	fi
	rm -f "$run/result.$1.log"
	result_channel "$run/result.$1.log"
	rc=0
	"${tmo[@]}" "${machine[@]}" -m "$memarg" "${ram[@]}" "${shared[@]}" \
		-nodefaults -nographic -no-reboot \
		-kernel "$TARGET_VMLINUZ" -initrd "$initrd" \
		-append "$cmdline ramdax.phase=$1 ramdax.testbase=$2" \
		"${console[@]}" "${result[@]}" <&$stdin || rc=$?
	[ -f "$run/result.$1.log" ] || : > "$run/result.$1.log"
	# The port is raw, but be safe about CRs.
	sed -i 's/\r$//' "$run/result.$1.log"
}

exec {stdin}</dev/null
[ "${RAMDAX_CONSOLE:-log}" != stdio ] || exec {stdin}<&0
start=$(date +%s)
phase=1 base=0 retried=0 retry_reason= outcome= rc=0
while :; do
	boot_once $phase $base
	if ! grep -q '^TAP version' "$run/result.$phase.log" && [ $retried = 0 ]; then
		# Never reached init: TCG's early-boot flake, not the test.
		retried=1
		retry_reason="phase $phase never reached the scenario (qemu exit $rc): $(grep -m1 -E 'Kernel panic|BUG:|Oops' "$run/console.$phase.log" || echo no panic line)"
		log "boot: $TARGET_NAME/$scenario: $retry_reason; retrying once"
		mv "$run/console.$phase.log" "$run/console.$phase.failed-boot.log"
		continue
	fi
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		outcome=timeout
	elif ! grep -q '^TAP version' "$run/result.$phase.log"; then
		outcome=no-tap
	elif ! grep -q '^# ramdax-exit:' "$run/result.$phase.log"; then
		outcome=died
	else
		outcome=exited
	fi
	if [ $outcome = exited ] && grep -qx '# ramdax-reboot-same-ram' "$run/result.$phase.log" &&
	   [ "$(sed -n 's/^# ramdax-exit: //p' "$run/result.$phase.log")" = 0 ]; then
		if [ "$ramfile" != yes ]; then
			outcome=bad-reboot
		elif [ $phase -lt 9 ]; then
			base=$((base + $(grep -cE '^(not )?ok [0-9]' "$run/result.$phase.log")))
			phase=$((phase + 1))
			continue
		fi
	fi
	break
done
ram_file_kb=$({ du -ck "$run/guest-ram" "$run"/guest-ram.? 2>/dev/null || :; } | awk 'END { print $1 + 0 }')
rm -f "$run/guest-ram" "$run"/guest-ram.?

# One result and one console log, phases in order.
for p in $(seq 1 $phase); do cat "$run/result.$p.log"; done > "$run/result.log"
for p in $(seq 1 $phase); do
	[ $phase = 1 ] || echo "=== ramdax phase $p ==="
	cat "$run/console.$p.log"
done > "$run/console.log"
rm -f "$run"/result.?.log "$run"/console.?.log
cat > "$status" <<STATUS
outcome=$outcome
qemu_rc=$rc
phases=$phase
timeout=$timeout
retried=$retried
retry_reason='${retry_reason//\'/}'
seconds=$(($(date +%s) - start))
accel=$accel
ram_file_kb=$ram_file_kb
STATUS
note=
[ $retried = 0 ] || note=" (retried once)"
log "boot: $TARGET_NAME/$scenario: $outcome after $(($(date +%s) - start)) s$note"
