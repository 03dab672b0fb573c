# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154
# Stage 4 (boot) for system-image targets (TARGET_IMAGE=yes), sourced by
# 4-boot.sh with the scenario's run directory ($run) made: the image from
# 1-image.sh (a fresh sparse copy a run) as the first virtio disk, a test
# disk (LABEL=ramdaxtest: the runner guest/image-run, guest/lib, the
# scenario, $TARGET_WORK/debs/*.deb, the runner's state/) as the second,
# guest RAM always in a file.  No bootloader: before each QEMU start the
# kernel and initramfs are read out of the root disk with debugfs, /vmlinuz
# and /initrd.img, or /boot/vmlinuz-KVER and /boot/initrd.img-KVER when the
# test disk's state/boot-kernel names KVER (image_reboot restart KVER).
#
# One QEMU start a run that never reached the runner ("TAP version") is
# retried, as 4-boot.sh does.  A guest that rebooted after asking to (image_reboot restart: "# ramdax-
# reboot-same-ram" and exit 0 in its last boot's output) is started again on
# the same RAM file and disks, 16 starts at most.  Kexecs happen inside one
# start.  Phases are kernel boots, numbered by the runner; the status's
# "phases" counts those the host saw ("TAP version" lines).
#
# Scenario headers read here besides 4-boot.sh's memmap, mem, timeout and
# cmdline: "ramdax-image: installed" (the disk starts with the package from
# $TARGET_WORK/debs installed: 1-image.sh --installed) and
# "ramdax-memmap: none" (no memmap= at all).

IMAGE_MAX_STARTS=16

# image_setup_failed WHY: the scenario fails before any boot, saying why.
image_setup_failed()
{
	printf 'outcome=setup\nreason=%q\nphases=0\nseconds=0\n' "$1" > "$status"
	[ ! -f "$run/image.log" ] || cp "$run/image.log" "$run/console.log"
	log "boot: $TARGET_NAME/$scenario: $1"
	exit 0
}

# image_readlink IMG PATH: a fast symlink's target, as an absolute path.
image_readlink()
{
	local t

	t=$(debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')
	[ -n "$t" ] || return 1
	case $t in
	/*) echo "$t" ;;
	*) echo "$(dirname "$2")/$t" | sed 's|^//*|/|' ;;
	esac
}

# image_extract: the kernel and initramfs to boot next, out of the disks,
# into $run/vmlinuz and $run/initrd.img.
image_extract()
{
	local kver k i

	kver=$(debugfs -R 'cat /state/boot-kernel' "$run/test.img" 2>/dev/null | head -n 1)
	if [ -n "$kver" ]; then
		k=/boot/vmlinuz-$kver i=/boot/initrd.img-$kver
	else
		k=$(image_readlink "$run/root.img" /vmlinuz) || k=/vmlinuz
		i=$(image_readlink "$run/root.img" /initrd.img) || i=/initrd.img
	fi
	rm -f "$run/vmlinuz" "$run/initrd.img"
	debugfs -R "dump $k $run/vmlinuz" "$run/root.img" 2>/dev/null
	debugfs -R "dump $i $run/initrd.img" "$run/root.img" 2>/dev/null
	if [ ! -s "$run/vmlinuz" ] || [ ! -s "$run/initrd.img" ]; then
		echo "boot: no $k or $i on the root disk" >> "$run/console.$start_n.log"
		return 1
	fi
	echo "$k $i" > "$run/booted.$start_n"
}

# image_disks: a fresh root disk, test disk and RAM file for the run.
image_disks()
{
	local d=$run/testdisk size

	rm -rf "$d" "$run/root.img" "$run/test.img" "$run/guest-ram"
	cp --sparse=always "$img" "$run/root.img"
	mkdir -p "$d/lib" "$d/state" "$d/debs"
	install -m 755 "$RAMDAX_TT/guest/image-run" "$d/run"
	cp "$RAMDAX_TT"/guest/lib/*.sh "$d/lib/"
	install -m 755 "$sfile" "$d/scenario"
	printf 'RAMDAX_SCENARIO=%s\nRAMDAX_DRIVER=%s\n' "$scenario" "${RAMDAX_DRIVER:-ours}" > "$d/env"
	cp "$TARGET_WORK"/debs/*.deb "$d/debs/" 2>/dev/null || true
	# The static helpers (daxio, blksum, ...) 2-build.sh made; on PATH.
	[ ! -d "$TARGET_WORK/helpers" ] || cp -r "$TARGET_WORK/helpers" "$d/helpers"
	# Room for the debs, the scenario's results and what it keeps there.
	size=$(($(du -sm "$d" | cut -f1) * 2 + 64))
	truncate -s "${size}M" "$run/test.img"
	mkfs.ext4 -q -F -L ramdaxtest -d "$d" "$run/test.img" >&2
	rm -rf "$d"
}

which=$(scenario_header "$sfile" image)
case ${which:-base} in
base)
	img=$RAMDAX_CACHE/images/$TARGET_NAME/base.img
	[ -f "$img" ] || image_setup_failed "no image for $TARGET_NAME: run 1-image.sh $TARGET_NAME"
	;;
installed)
	deb=$(ls -t "$TARGET_WORK"/debs/ramdax-dkms_*.deb 2>/dev/null | head -n 1 || true)
	[ -n "$deb" ] ||
		image_setup_failed "ramdax-image: installed, but no ramdax-dkms_*.deb in $TARGET_WORK/debs (tools/testing/ramdax/deb.sh $TARGET_NAME makes it; see $TARGET_WORK/stages.log)"
	img=$("$RAMDAX_TT/1-image.sh" --installed "$TARGET_NAME" "$deb" 2>> "$run/image.log") ||
		image_setup_failed "1-image.sh --installed $TARGET_NAME $(basename "$deb") failed: $(tail -n 1 "$run/image.log")"
	;;
*)
	image_setup_failed "ramdax-image: $which: base or installed"
	;;
esac

# What a test guest's boot has no use for, off by the kernel command line
# (kexec --reuse-cmdline keeps it, no image rebuild): modules udev would load
# for the emulated machine's devices (KVM, its crypto, speaker, watchdog,
# SMBus, AHCI with no disk on it, CPU frequency), and first-boot and
# console units: under TCG on one vCPU they cost about a fifth of a boot
# (README).  nd_e820 and everything nvdimm stay: the race between nd_e820
# and ramdax is the test.
IMAGE_TRIM="modprobe.blacklist=kvm,kvm_amd,kvm_intel,irqbypass,ccp,pcspkr,iTCO_wdt,intel_pmc_bxt,serio_raw,i2c_i801,i2c_smbus,lpc_ich,efi_pstore,powernow_k8,ahci,psmouse"
for m in ldconfig systemd-journal-catalog-update systemd-update-done getty@tty1 \
	cxl-monitor systemd-binfmt modprobe@efi_pstore; do
	IMAGE_TRIM="$IMAGE_TRIM systemd.mask=$m.service"
done
cmdline="root=/dev/vda ro console=ttyS0 panic=-1 $IMAGE_TRIM"
[ "$memmap" = none ] || for m in ${memmap:-1G!4G}; do cmdline="$cmdline memmap=$m"; done
[ -z "$extra" ] || cmdline="$cmdline $extra"
machine=(qemu-system-x86_64 -accel tcg -M q35 -smp "${RAMDAX_SMP:-2}" -m "$mem"
	-object "memory-backend-file,id=ram0,size=$mem,mem-path=$run/guest-ram,share=on"
	-machine memory-backend=ram0 -nodefaults -nographic -no-reboot
	-drive "file=$run/root.img,if=virtio,format=raw"
	-drive "file=$run/test.img,if=virtio,format=raw")

# image_start N: QEMU start N; sets $rc to QEMU's (124: timed out).
image_start()
{
	local console=(-serial "file:$run/console.$1.log") tmo=(timeout -k 10 "$timeout")

	if [ "${RAMDAX_CONSOLE:-log}" = stdio ]; then
		console=(-serial mon:stdio)
		: > "$run/console.$1.log"
		tmo=()
	fi
	rm -f "$run/result.$1.log"
	rc=0
	if image_extract; then
		"${tmo[@]}" "${machine[@]}" -kernel "$run/vmlinuz" -initrd "$run/initrd.img" \
			-append "$cmdline" "${console[@]}" -serial "file:$run/result.$1.log" \
			<&$stdin || rc=$?
	else
		rc=1
	fi
	[ -f "$run/result.$1.log" ] || : > "$run/result.$1.log"
	sed -i 's/\r$//' "$run/result.$1.log"
}

# last_boot FILE: the output of the last kernel boot in a start's result.
last_boot() { awk '/^TAP version/ { out = "" } { out = out $0 "\n" } END { printf "%s", out }' "$1"; }

exec {stdin}</dev/null
[ "${RAMDAX_CONSOLE:-log}" != stdio ] || exec {stdin}<&0
start=$(date +%s)
start_n=1 phases=0 retried=0 retry_reason= outcome= rc=0
image_disks
while :; do
	image_start $start_n
	boots=$(grep -c '^TAP version' "$run/result.$start_n.log" || true)
	if [ "$boots" = 0 ] && [ $retried = 0 ] && [ $rc != 1 ]; then
		# Never reached the runner: TCG's early-boot flake (about one
		# boot in 25), not the test.  Once a run, whichever start: a
		# kernel that died that early wrote nothing to the disks.
		retried=1
		retry_reason="QEMU start $start_n never reached the scenario (qemu exit $rc): $(grep -a -m1 -E 'Kernel panic|BUG:|Oops' "$run/console.$start_n.log" || echo no panic line)"
		log "boot: $TARGET_NAME/$scenario: $retry_reason; retrying once"
		mv "$run/console.$start_n.log" "$run/console.$start_n.failed-boot.log"
		[ $start_n != 1 ] || image_disks
		continue
	fi
	phases=$((phases + boots))
	last=$(last_boot "$run/result.$start_n.log")
	exit_rc=$(printf '%s\n' "$last" | sed -n 's/^# ramdax-exit: //p' | tail -n 1)
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		outcome=timeout
	elif [ "$boots" = 0 ]; then
		outcome=no-tap
	elif [ -z "$exit_rc" ]; then
		outcome=died
	else
		outcome=exited
	fi
	if [ $outcome = exited ] && [ "$exit_rc" = 0 ]; then
		if printf '%s\n' "$last" | grep -qx '# ramdax-reboot-same-ram'; then
			if [ $start_n -lt $IMAGE_MAX_STARTS ]; then
				start_n=$((start_n + 1))
				continue
			fi
			outcome=too-many-boots
		elif printf '%s\n' "$last" | grep -qx '# ramdax-kexec'; then
			# QEMU ended where the kexec'd kernel should have booted.
			outcome=bad-kexec
		fi
	fi
	break
done

# One result and one console log, starts in order.
for s in $(seq 1 $start_n); do cat "$run/result.$s.log"; done > "$run/result.log"
for s in $(seq 1 $start_n); do
	[ $start_n = 1 ] || echo "=== ramdax QEMU start $s: $(cat "$run/booted.$s" 2>/dev/null) ==="
	cat "$run/console.$s.log"
done > "$run/console.log"
rm -f "$run"/result.*[0-9].log "$run"/console.*[0-9].log "$run"/booted.* "$run/vmlinuz" "$run/initrd.img"
[ "${RAMDAX_KEEP:-0}" = 1 ] || rm -f "$run/guest-ram" "$run/root.img" "$run/test.img"
cat > "$status" <<STATUS
outcome=$outcome
qemu_rc=$rc
phases=$phases
starts=$start_n
timeout=$timeout
retried=$retried
retry_reason='${retry_reason//\'/}'
seconds=$(($(date +%s) - start))
accel=tcg
image=${which:-base}
STATUS
note=
[ $retried = 0 ] || note=" (retried once)"
log "boot: $TARGET_NAME/$scenario: $outcome after $(($(date +%s) - start)) s, $phases boots in $start_n QEMU starts$note"
