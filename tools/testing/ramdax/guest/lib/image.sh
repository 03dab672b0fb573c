# SPDX-License-Identifier: GPL-2.0
# Reboots for scenarios on a system image ("ramdax-check: image"; the runner
# is guest/image-run).  Source after ktap.sh:
#
#   image_reboot restart [KVER]   end this phase; the guest reboots for real
#                                 (systemctl reboot; the host starts QEMU
#                                 again on the same RAM file and disks),
#                                 into KVER if given (/boot/vmlinuz-KVER and
#                                 /boot/initrd.img-KVER), else /vmlinuz
#   image_reboot kexec [KVER]     end this phase; the runner loads KVER (else
#                                 /vmlinuz, /initrd.img) with this boot's
#                                 command line and runs systemctl kexec
#   image_poweroff                end the scenario (as ktap_done does)
#
# Either way the scenario runs again from the top with RAMDAX_PHASE one more
# and its test numbering continued (RAMDAX_TESTBASE).  A failed test in the
# phase ends the scenario there instead: the guest powers off.

# image_reboot restart|kexec [KVER]
image_reboot()
{
	local how=$1 state=${RAMDAX_TEST_DIR:-/ramdax-test}/state

	case $how in
	restart)
		if [ -n "${2:-}" ]; then
			echo "$2" > "$state/boot-kernel"
		else
			rm -f "$state/boot-kernel"
		fi
		echo "# ramdax-reboot-same-ram"
		;;
	kexec)
		echo "# ramdax-kexec"
		;;
	*)
		ktap_fail "image_reboot $how" "image_reboot: restart or kexec"
		ktap_done
		;;
	esac
	echo "$how ${2:-}" > "$state/request"
	sync
	ktap_diag "phase ${RAMDAX_PHASE:-1}: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP; $how ${2:-}"
	[ $KTAP_FAIL = 0 ] || exit 1
	exit 0
}

image_poweroff() { ktap_done; }
