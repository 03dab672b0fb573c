/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ramdax: the one place where supported kernels (6.1 to 7.x) differ.
 * Force-included by Kbuild into every object, so .c files never test a
 * kernel version.  Prefer probing for a feature over comparing versions:
 * Debian's 6.1 carries backports that a version check gets wrong.
 *
 * The driver is written to need nothing here: it has no platform remove
 * callback (whose type changed between 6.1, 6.12 and 7.2) because teardown
 * is devm-ordered, and it allocates with devm_kzalloc() rather than the 7.x
 * kzalloc_obj() helpers.
 */
#ifndef __RAMDAX_COMPAT_H__
#define __RAMDAX_COMPAT_H__

#endif /* __RAMDAX_COMPAT_H__ */
