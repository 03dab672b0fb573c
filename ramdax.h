/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ramdax: RAM carveouts as label-managed NVDIMMs.
 * What ramdax.c (platform and bus glue), ramdax_label.c (the label area) and
 * ramdax_carve.c (carveouts made at run time) share.
 */
#ifndef __RAMDAX_H__
#define __RAMDAX_H__

#include <linux/ioport.h>
#include <linux/libnvdimm.h>
#include <linux/sizes.h>
#include <linux/types.h>

/*
 * The last 128 KiB of every carveout hold its namespace labels: 510 slots of
 * v1.2 labels (509 usable, one is kept free for copy-on-write updates) or
 * 1019 usable v1.1 slots.  The in-kernel driver of Linux 6.19+ uses the same
 * size and place, so either driver finds the other's namespaces.
 */
#define RAMDAX_LABEL_SIZE	SZ_128K

/* The smallest capacity worth a region: one 2 MiB (PMD) extent. */
#define RAMDAX_MIN_CAPACITY	SZ_2M

/* "<start>-<end>" in hex: at most 16 + 1 + 16 characters. */
#define RAMDAX_ID_LEN		40

struct ramdax_dimm {
	struct resource res;		/* the whole carveout */
	void *label;			/* its last RAMDAX_LABEL_SIZE bytes */
	struct nvdimm *nvdimm;
	char id[RAMDAX_ID_LEN];		/* derived from res, stable across boots */
};

int ramdax_label_cmd(void *area, unsigned int cmd, void *buf,
		     unsigned int buf_len, int *cmd_rc);
int ramdax_ctl(struct nvdimm_bus_descriptor *nd_desc, struct nvdimm *nvdimm,
	       unsigned int cmd, void *buf, unsigned int buf_len, int *cmd_rc);

struct platform_device;

/* Run-time carveouts (ramdax_carve.c): they need memory hot-remove. */
#ifdef CONFIG_MEMORY_HOTREMOVE
extern const struct attribute_group *ramdax_drv_groups[];
bool ramdax_is_runtime(struct platform_device *pdev);
void ramdax_carve_at_load(void);
#else
#define ramdax_drv_groups	NULL
static inline bool ramdax_is_runtime(struct platform_device *pdev)
{
	return false;
}

static inline void ramdax_carve_at_load(void)
{
}
#endif

#endif /* __RAMDAX_H__ */
