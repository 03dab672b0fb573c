/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ramdax: the one place where supported kernels (6.1 to 7.x) differ.
 * Force-included by Kbuild into every object, so .c files never test a
 * kernel version; Kbuild probes the headers for each feature (Debian's 6.1
 * carries backports that a version check would get wrong).
 */
#ifndef __RAMDAX_COMPAT_H__
#define __RAMDAX_COMPAT_H__

#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

/* Typed allocation arrived after 6.1 (Debian's 6.12 has it backported). */
#ifndef kmalloc_obj
#define kmalloc_obj(var, gfp)	kmalloc(sizeof(var), gfp)
#endif
#ifndef kzalloc_obj
#define kzalloc_obj(var, gfp)	kzalloc(sizeof(var), gfp)
#endif

/* Holder operations: only for claims that end in an open, not ours. */
#ifdef RAMDAX_CLAIM_HAS_HOPS
#define ramdax_prepare_to_claim(bdev, holder) \
	bd_prepare_to_claim(bdev, holder, NULL)
#else
#define ramdax_prepare_to_claim(bdev, holder) \
	bd_prepare_to_claim(bdev, holder)
#endif

/*
 * driver_override moved from struct platform_device into struct device
 * (7.2, backported to Debian's 6.12), set by a helper of its own.
 */
#ifdef RAMDAX_HAS_DEVICE_OVERRIDE
#define ramdax_set_override(pdev, name) \
	device_set_driver_override(&(pdev)->dev, name)
#else
static inline int ramdax_set_override(struct platform_device *pdev,
				      const char *name)
{
	return driver_set_override(&pdev->dev, &pdev->driver_override, name,
				   strlen(name));
}
#endif

#endif /* __RAMDAX_COMPAT_H__ */
