// SPDX-License-Identifier: GPL-2.0
/*
 * ramdax: RAM carveouts as label-managed NVDIMMs.
 *
 * A carveout is memory the firmware or the command line set aside: a
 * "memmap=nn!ss" range (E820 type 12) under the e820_pmem platform device, or
 * a "reg" entry of a device-tree pmem-region node.  Bound by an administrator
 * through driver_override, ramdax registers one nvdimm bus per device, one
 * DIMM per carveout whose last 128 KiB hold namespace labels, and one region
 * per DIMM covering the rest.  Namespaces can then be created, resized and
 * destroyed at run time like on any labeled NVDIMM.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/of.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/ndctl.h>

#include "ramdax.h"

/*
 * The interleave-set cookies of the in-kernel ramdax driver (Linux 6.19+).
 * Namespace labels record the cookie of the set they were created in, and a
 * label whose cookie does not match is ignored: identical values let
 * namespaces move between the two drivers in either direction.
 */
#define RAMDAX_COOKIE		0xcafebeefcafebeefULL

/* Room for what an unbind waits for: a disk name or a memory range. */
#define RAMDAX_BUSY_LEN		64

struct ramdax {
	struct device *dev;
	struct nvdimm_bus_descriptor nd_desc;
	struct nvdimm_bus *bus;
	struct nd_interleave_set nd_set;
	struct notifier_block memory_nb;
	bool bound;			/* probe succeeded */
	bool is_volatile;		/* device-tree "volatile" */
	unsigned int nr_ranges;		/* room in dimms[] */
	unsigned int nr_dimms;
	struct ramdax_dimm dimms[];
};

/* Physical addresses: root only, as libnvdimm shows its own. */
static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	struct ramdax_dimm *dimm = nvdimm_provider_data(to_nvdimm(dev));

	return sysfs_emit(buf, "%s\n", dimm->id);
}
static DEVICE_ATTR_ADMIN_RO(id);

static struct attribute *ramdax_dimm_attrs[] = {
	&dev_attr_id.attr,
	NULL,
};

static const struct attribute_group ramdax_dimm_group = {
	.name = "ramdax",
	.attrs = ramdax_dimm_attrs,
};

static const struct attribute_group *ramdax_dimm_groups[] = {
	&ramdax_dimm_group,
	NULL,
};

/*
 * A driver_override can name any platform device, but only these three
 * describe RAM: anything else has registers behind its resources.
 */
static bool ramdax_is_carveout(struct platform_device *pdev)
{
	return !strcmp(pdev->name, "e820_pmem") || ramdax_is_runtime(pdev) ||
	       of_device_is_compatible(pdev->dev.of_node, "pmem-region");
}

/*
 * A device-tree pmem-region lists its carveouts as its own resources; the
 * e820_pmem device has none and stands for every legacy persistent-memory
 * range in the iomem tree.
 */
static int ramdax_walk_ranges(struct platform_device *pdev,
			      int (*fn)(struct resource *, void *),
			      void *arg)
{
	unsigned int i;
	int rc;

	if (!strcmp(pdev->name, "e820_pmem"))
		return walk_iomem_res_desc(IORES_DESC_PERSISTENT_MEMORY_LEGACY,
					   IORESOURCE_MEM, 0, -1, arg, fn);

	for (i = 0; i < pdev->num_resources; i++) {
		if (resource_type(&pdev->resource[i]) != IORESOURCE_MEM)
			continue;
		rc = fn(&pdev->resource[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int ramdax_count_range(struct resource *res, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static int ramdax_found_ram(struct resource *res, void *arg)
{
	*(struct resource *)arg = *res;
	return 1;
}

/* Is any of @res System RAM (the first such range in @ram)? */
static bool ramdax_find_ram(struct resource *res, struct resource *ram)
{
	return walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM,
				   res->start, res->end, ram,
				   ramdax_found_ram) > 0;
}

/*
 * Refuse what cannot work, warn about what limits the modes.  A refused
 * range is left alone entirely; the others are still registered.
 */
static bool ramdax_range_usable(struct device *dev, struct resource *res)
{
	resource_size_t size = resource_size(res);
	struct resource ram;

	if (!PAGE_ALIGNED(res->start) || !PAGE_ALIGNED(size)) {
		dev_err(dev, "%pR: not page aligned, range ignored\n", res);
		return false;
	}
	if (size < RAMDAX_LABEL_SIZE + RAMDAX_MIN_CAPACITY) {
		dev_err(dev, "%pR: too small, need %d KiB of labels + %d MiB of capacity, range ignored\n",
			res, RAMDAX_LABEL_SIZE / SZ_1K,
			RAMDAX_MIN_CAPACITY / SZ_1M);
		return false;
	}
	/* A device tree can describe RAM the kernel uses; kmem may hold it. */
	if (ramdax_find_ram(res, &ram)) {
		dev_err(dev, "%pR: %pR is system RAM, range ignored\n", res,
			&ram);
		return false;
	}
	if (!IS_ALIGNED(res->start, SZ_2M))
		dev_warn(dev, "%pR: start not 2 MiB aligned, fsdax and devdax namespaces will not work\n",
			 res);
	return true;
}

static int ramdax_add_range(struct resource *res, void *arg)
{
	struct ramdax *rd = arg;
	struct ramdax_dimm *dimm, *prev;
	resource_size_t label_start;

	if (rd->nr_dimms == rd->nr_ranges) {
		dev_err(rd->dev, "%pR: more ranges than a moment ago, try again\n",
			res);
		return -EAGAIN;
	}
	if (!ramdax_range_usable(rd->dev, res))
		return 0;

	/*
	 * The E820 code splits overlapping memmap= ranges at every boundary
	 * and never merges persistent-memory ranges: say where the admin
	 * may have meant one carveout.
	 */
	prev = rd->nr_dimms ? &rd->dimms[rd->nr_dimms - 1] : NULL;
	if (prev && res->desc == IORES_DESC_PERSISTENT_MEMORY_LEGACY &&
	    prev->res.end + 1 == res->start)
		dev_info(rd->dev, "%pR and %pR are adjacent: two DIMMs (overlapping memmap= ranges are split this way)\n",
			 &prev->res, res);

	dimm = &rd->dimms[rd->nr_dimms];
	dimm->res.start = res->start;
	dimm->res.end = res->end;
	dimm->res.flags = IORESOURCE_MEM;
	label_start = res->end + 1 - RAMDAX_LABEL_SIZE;
	/*
	 * NULL means busy or out of memory, which cannot be told apart: either
	 * way the range is usable but not ours now, so the bind fails rather
	 * than come up without one of its DIMMs.
	 */
	if (!devm_request_mem_region(rd->dev, label_start, RAMDAX_LABEL_SIZE,
				     "ramdax label")) {
		dev_err(rd->dev, "%pR: cannot claim the label area (in use, or out of memory)\n",
			res);
		return -EBUSY;
	}
	dimm->label = devm_memremap(rd->dev, label_start, RAMDAX_LABEL_SIZE,
				    MEMREMAP_WB);
	if (IS_ERR(dimm->label))
		return PTR_ERR(dimm->label);

	snprintf(dimm->id, sizeof(dimm->id), "%llx-%llx",
		 (unsigned long long)res->start, (unsigned long long)res->end);
	rd->nr_dimms++;
	return 0;
}

static int ramdax_register_dimm(struct ramdax *rd, struct ramdax_dimm *dimm)
{
	unsigned long flags = 0, cmd_mask = 0;

	set_bit(NDD_LABELING, &flags);
	set_bit(ND_CMD_GET_CONFIG_SIZE, &cmd_mask);
	set_bit(ND_CMD_GET_CONFIG_DATA, &cmd_mask);
	set_bit(ND_CMD_SET_CONFIG_DATA, &cmd_mask);

	dimm->nvdimm = __nvdimm_create(rd->bus, dimm, ramdax_dimm_groups, flags,
				       cmd_mask, 0, NULL, dimm->id, NULL, NULL);
	return dimm->nvdimm ? 0 : -ENOMEM;
}

static int ramdax_register_region(struct ramdax *rd, struct ramdax_dimm *dimm)
{
	resource_size_t capacity = resource_size(&dimm->res) - RAMDAX_LABEL_SIZE;
	struct nd_mapping_desc mapping = {
		.nvdimm = dimm->nvdimm,
		.start = 0,
		.size = capacity,
	};
	/* The region spans exactly the mapped capacity, never the labels. */
	struct resource res = DEFINE_RES_MEM(dimm->res.start, capacity);
	struct nd_region_desc ndr_desc = {
		.res = &res,
		.mapping = &mapping,
		.num_mappings = 1,
		.nd_set = &rd->nd_set,
		.provider_data = dimm,
	};
	struct nd_region *region;
	int nid;

	/*
	 * A device-tree node says its node (numa-node-id); a memmap= range
	 * has only its address, which the firmware's NUMA tables place.
	 */
	nid = dev_to_node(rd->dev);
	if (nid == NUMA_NO_NODE)
		nid = phys_to_target_node(res.start);
	ndr_desc.numa_node = numa_map_to_online_node(nid);
	ndr_desc.target_node = nid;

	/*
	 * No ND_REGION_PAGEMAP, as in the in-kernel driver: a raw namespace
	 * stays raw (no struct pages, listed as "raw" by either driver) and
	 * works on a carveout of any page-aligned start; fsdax and devdax
	 * get their struct pages from their own info blocks.
	 */
	if (rd->is_volatile)
		region = nvdimm_volatile_region_create(rd->bus, &ndr_desc);
	else
		region = nvdimm_pmem_region_create(rd->bus, &ndr_desc);
	if (!region) {
		dev_err(rd->dev, "%pR: region registration failed\n",
			&dimm->res);
		return -ENOMEM;
	}
	return 0;
}

struct ramdax_attach {
	struct ramdax *rd;
	unsigned int found;
};

static int ramdax_attach_one(struct device *dev, void *data)
{
	struct ramdax_attach *at = data;

	/* The bus's ndctl control device has a class and no driver. */
	if (dev->class)
		return 0;
	at->found++;
	if (device_attach(dev) > 0)
		return 0;
	dev_err(at->rd->dev, "%s did not bind to its libnvdimm driver\n",
		dev_name(dev));
	return -ENXIO;
}

/*
 * libnvdimm adds DIMMs and regions to the bus asynchronously and does not
 * tell the provider whether that worked (a device whose device_add() fails
 * is freed behind its back); with driver_async_probe= the driver core also
 * binds them later.  So wait for the additions, count what the bus holds
 * and bind each device now: a bind returns with every DIMM probed (its
 * labels read) and every region probed (its namespaces found), in any
 * probe mode, or fails.
 */
static int ramdax_attach_children(struct ramdax *rd, unsigned int want)
{
	struct ramdax_attach at = { .rd = rd };
	int rc;

	/* Waits for every addition to the bus, then counts the DIMMs. */
	rc = nvdimm_bus_check_dimm_count(rd->bus, rd->nr_dimms);
	if (rc) {
		dev_err(rd->dev, "not every DIMM was registered\n");
		return rc;
	}
	rc = device_for_each_child(to_nvdimm_bus_dev(rd->bus), &at,
				   ramdax_attach_one);
	if (rc)
		return rc;
	if (at.found != want) {
		dev_err(rd->dev, "%u of %u DIMMs and regions were registered\n",
			at.found, want);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Whole disks only: opening a partition opens its disk too.  block_class and
 * disk_type are not exported, hence the names.
 */
static bool ramdax_is_disk(struct device *dev)
{
	return dev->class && !strcmp(dev->class->name, "block") &&
	       dev->type && !strcmp(dev->type->name, "disk");
}

/* A disk an unbind holds claimed, so that nothing can mount it. */
struct ramdax_claim {
	struct list_head list;
	struct device *disk_dev;	/* referenced: keeps part0 alive */
};

struct ramdax_fence {
	struct ramdax *rd;
	struct list_head claims;
	char busy[RAMDAX_BUSY_LEN];
};

/*
 * Claim the disk the way a mount or an exclusive open does: while the claim
 * is pending, those wait for it, and fail once the disk is gone.  A disk
 * already claimed (mounted), or open at all, is in use.
 */
static int ramdax_claim_disks(struct device *dev, void *data)
{
	struct ramdax_fence *fence = data;
	struct ramdax_claim *claim;
	struct gendisk *disk;
	unsigned int openers;

	if (!ramdax_is_disk(dev))
		return device_for_each_child(dev, data, ramdax_claim_disks);

	disk = dev_to_disk(dev);
	claim = kmalloc_obj(*claim, GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	if (ramdax_prepare_to_claim(disk->part0, fence->rd)) {
		kfree(claim);
		strscpy(fence->busy, dev_name(dev), RAMDAX_BUSY_LEN);
		return -EBUSY;
	}
	claim->disk_dev = get_device(dev);
	list_add(&claim->list, &fence->claims);

	mutex_lock(&disk->open_mutex);
	openers = disk_openers(disk);
	mutex_unlock(&disk->open_mutex);
	if (openers) {
		strscpy(fence->busy, dev_name(dev), RAMDAX_BUSY_LEN);
		return -EBUSY;
	}
	return 0;
}

static void ramdax_release_claims(struct ramdax_fence *fence)
{
	struct ramdax_claim *claim, *next;

	list_for_each_entry_safe(claim, next, &fence->claims, list) {
		bd_abort_claiming(dev_to_disk(claim->disk_dev)->part0,
				  fence->rd);
		put_device(claim->disk_dev);
		list_del(&claim->list);
		kfree(claim);
	}
}

/*
 * kmem (devdax as system RAM) hot-adds the memory as System RAM, nested
 * below the carveout in the iomem tree: region_intersects() does not look
 * that deep on every supported kernel.
 */
static bool ramdax_holds_ram(struct ramdax *rd, char *busy)
{
	struct resource ram;
	unsigned int i;

	for (i = 0; i < rd->nr_dimms; i++) {
		if (ramdax_find_ram(&rd->dimms[i].res, &ram)) {
			snprintf(busy, RAMDAX_BUSY_LEN, "system RAM %pR", &ram);
			return true;
		}
	}
	return false;
}

/* While an unbind tears the carveouts down, none of them goes online. */
static int ramdax_memory_notify(struct notifier_block *nb,
				unsigned long action, void *arg)
{
	struct ramdax *rd = container_of(nb, struct ramdax, memory_nb);
	struct memory_notify *mn = arg;
	u64 start = PFN_PHYS(mn->start_pfn);
	u64 end = PFN_PHYS(mn->start_pfn + mn->nr_pages) - 1;
	unsigned int i;

	if (action != MEM_GOING_ONLINE)
		return NOTIFY_DONE;
	for (i = 0; i < rd->nr_dimms; i++) {
		if (start > rd->dimms[i].res.end || end < rd->dimms[i].res.start)
			continue;
		dev_warn(rd->dev, "%pR: unbinding, memory not onlined\n",
			 &rd->dimms[i].res);
		return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_OK;
}

/*
 * When its bus goes away libnvdimm tears namespaces down under whoever uses
 * them, and neither a mounted DAX filesystem survives that nor memory
 * onlined as system RAM, which kmem can then no longer remove.  An unbind
 * cannot be refused, so it waits until nothing uses the bus, saying once
 * what it waits for.  Checking and tearing down are not atomic, so new
 * users are fenced first: no memory of the carveouts goes online, and every
 * disk is claimed (a mount started meanwhile waits, then fails on the gone
 * disk); a plain open after the check gets I/O errors, as on any unplug.
 * Returns with the claims to release once the bus is gone.
 *
 * A failed bind has no users but what an automounter raced in: it does not
 * wait for them.  TASK_IDLE: a long wait is the administrator's choice, not
 * a hung task.
 */
static void ramdax_quiesce(struct ramdax *rd, struct ramdax_fence *fence)
{
	struct device *bus_dev = to_nvdimm_bus_dev(rd->bus);
	bool warned = false;
	int rc;

	for (;;) {
		rc = device_for_each_child(bus_dev, fence, ramdax_claim_disks);
		if (!rc && !ramdax_holds_ram(rd, fence->busy))
			break;
		/* Out of memory for a claim: not a user, try again. */
		if (rc != -ENOMEM && !rd->bound) {
			dev_err(rd->dev, "bind failed: tearing down although %s is in use\n",
				fence->busy);
			break;
		}
		ramdax_release_claims(fence);
		if (rc != -ENOMEM && !warned) {
			dev_warn(rd->dev, "unbind waits until %s is no longer in use (unmount it, close it, or take it offline as system RAM)\n",
				 fence->busy);
			warned = true;
		}
		schedule_timeout_idle(HZ / 10);
	}
	if (warned)
		dev_info(rd->dev, "unbinding: nothing in use any more\n");
}

static void ramdax_unregister_bus(void *data)
{
	struct ramdax *rd = data;
	struct ramdax_fence fence = {
		.rd = rd,
		.claims = LIST_HEAD_INIT(fence.claims),
	};
	bool fenced;

	rd->memory_nb.notifier_call = ramdax_memory_notify;
	fenced = !register_memory_notifier(&rd->memory_nb);
	ramdax_quiesce(rd, &fence);
	nvdimm_bus_unregister(rd->bus);
	ramdax_release_claims(&fence);
	if (fenced)
		unregister_memory_notifier(&rd->memory_nb);
}

/*
 * Everything probe allocates or maps is devm-managed and acquired before the
 * bus is registered, so it is released after the bus (and with it every
 * DIMM and region) is gone: teardown is the exact reverse of probe.
 */
static int ramdax_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct device *bus_dev;
	unsigned int nr_ranges = 0, i;
	struct ramdax *rd;
	int rc;

	if (!ramdax_is_carveout(pdev)) {
		dev_err(dev, "not e820_pmem or a pmem-region node, refusing to bind\n");
		return -ENODEV;
	}

	ramdax_walk_ranges(pdev, ramdax_count_range, &nr_ranges);
	if (!nr_ranges) {
		dev_err(dev, "no memory ranges to manage\n");
		return -ENXIO;
	}

	rd = devm_kzalloc(dev, struct_size(rd, dimms, nr_ranges), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->dev = dev;
	rd->nr_ranges = nr_ranges;
	rd->is_volatile = of_property_read_bool(dev->of_node, "volatile");

	rc = ramdax_walk_ranges(pdev, ramdax_add_range, rd);
	if (rc)
		return rc;
	if (!rd->nr_dimms)
		return -ENXIO;

	rd->nd_set.cookie1 = RAMDAX_COOKIE;
	rd->nd_set.cookie2 = RAMDAX_COOKIE;
	rd->nd_set.altcookie = RAMDAX_COOKIE;
	rd->nd_desc.provider_name = "ramdax";
	rd->nd_desc.module = THIS_MODULE;
	rd->nd_desc.ndctl = ramdax_ctl;

	rd->bus = nvdimm_bus_register(dev, &rd->nd_desc);
	if (!rd->bus)
		return -ENOMEM;
	rc = devm_add_action_or_reset(dev, ramdax_unregister_bus, rd);
	if (rc)
		return rc;
	/*
	 * Only the nd_bus driver unregisters what is put under the bus: bind
	 * it now, whatever the probe mode, or nothing would tear down the
	 * DIMMs and regions.
	 */
	bus_dev = to_nvdimm_bus_dev(rd->bus);
	if (device_attach(bus_dev) <= 0) {
		dev_err(dev, "%s did not bind to nd_bus\n", dev_name(bus_dev));
		return -ENXIO;
	}

	for (i = 0; i < rd->nr_dimms; i++) {
		rc = ramdax_register_dimm(rd, &rd->dimms[i]);
		if (rc)
			return rc;
	}
	/* A region probe reads its DIMM's labels: DIMMs first. */
	rc = ramdax_attach_children(rd, rd->nr_dimms);
	if (rc)
		return rc;

	for (i = 0; i < rd->nr_dimms; i++) {
		rc = ramdax_register_region(rd, &rd->dimms[i]);
		if (rc)
			return rc;
	}
	rc = ramdax_attach_children(rd, 2 * rd->nr_dimms);
	if (rc)
		return rc;
	rd->bound = true;
	return 0;
}

/* No id_table, no of_match_table: ramdax binds only through driver_override. */
static struct platform_driver ramdax_driver = {
	.probe = ramdax_probe,
	.driver = {
		.name = "ramdax",
		.groups = ramdax_drv_groups,
	},
};

/*
 * A kernel with ramdax built in has no udev rule running before nd_e820 and
 * of_pmem, so "nd_ramdax.claim=1" on its command line does what the packaged
 * rule does for the module: it writes driver_override on every carveout
 * device before the driver registers, and registering binds them.  Built in,
 * ramdax is linked before nd_e820 and of_pmem, so its initcall runs first;
 * as a module, whatever holds a device already keeps it.
 */
static bool claim;
module_param(claim, bool, 0444);
MODULE_PARM_DESC(claim, "bind every e820_pmem and pmem-region device that no driver holds (sets its driver_override)");

static int ramdax_claim_one(struct device *dev, void *unused)
{
	struct platform_device *pdev = to_platform_device(dev);
	bool bound;
	int rc;

	if (!ramdax_is_carveout(pdev))
		return 0;
	/* The override is written after: setting it takes this lock itself. */
	device_lock(dev);
	bound = dev->driver;
	device_unlock(dev);
	if (bound) {
		dev_info(dev, "already bound to a driver, not claimed\n");
		return 0;
	}
	rc = ramdax_set_override(pdev, ramdax_driver.driver.name);
	if (rc)
		dev_err(dev, "cannot claim: driver_override: %d\n", rc);
	return 0;
}

static int __init ramdax_init(void)
{
	int rc;

	if (claim)
		bus_for_each_dev(&platform_bus_type, NULL, NULL,
				 ramdax_claim_one);
	rc = platform_driver_register(&ramdax_driver);
	if (!rc)
		ramdax_carve_at_load();
	return rc;
}
module_init(ramdax_init);

static void __exit ramdax_exit(void)
{
	platform_driver_unregister(&ramdax_driver);
}
module_exit(ramdax_exit);

MODULE_ALIAS("ramdax");
MODULE_DESCRIPTION("NVDIMM labels and namespaces on RAM carveouts");
MODULE_LICENSE("GPL");
