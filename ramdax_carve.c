// SPDX-License-Identifier: GPL-2.0
/*
 * ramdax: carveouts made at run time from System RAM.
 *
 * Writing "SIZE[@START]" to the driver's "carve" attribute takes whole
 * movable memory blocks offline and out of the memory map
 * (offline_and_remove_memory(), as virtio-mem does) and registers a platform
 * device, "ramdax-carveout.N", whose one resource is the range: ramdax binds
 * it like a boot carveout (trailing label area, one DIMM, one region).
 * Writing the device's name to "release" removes the device and adds the
 * memory back as System RAM.  "memmap" reads the memmap= options that turn
 * every run-time carveout into a boot carveout of the next kernel, for a
 * kexec that keeps their namespaces.
 *
 * The devices are created with the platform core's release function and
 * their own copy of every string, so they outlive the module: an rmmod
 * leaves the memory carved and the next load binds it again.
 */
/* ramdax_compat.h, included first, already brought printk.h in. */
#undef pr_fmt
#define pr_fmt(fmt) "ramdax: " fmt

#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/range.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ramdax.h"

#define RAMDAX_CARVEOUT_NAME	"ramdax-carveout"

/* System RAM ranges looked at for a carve without a start. */
#define RAMDAX_MAX_RAM_RANGES	64

/*
 * Windows tried when offlining fails for a carve without a start: each
 * failure is a full isolate-and-migrate attempt, so a handful only.
 */
#define RAMDAX_CARVE_TRIES	8

/* Carve, release and the memmap listing see one set of carveouts. */
static DEFINE_MUTEX(ramdax_carve_lock);

bool ramdax_is_runtime(struct platform_device *pdev)
{
	return !strcmp(pdev->name, RAMDAX_CARVEOUT_NAME);
}

struct ramdax_ram {
	unsigned int nr, nr_cuts;
	struct range r[RAMDAX_MAX_RAM_RANGES];
	u64 cuts[RAMDAX_MAX_RAM_RANGES];	/* where a resource meets the last */
};

/*
 * System RAM the core manages, adjacent resources merged, with the places
 * they meet: memory removal shrinks or splits one resource at a time, so a
 * carve across two removes each part on its own (memory given back is a
 * resource of its own, beside boot memory's).  Driver-managed RAM (kmem,
 * virtio-mem) belongs to its driver and is never carved.
 */
static int ramdax_collect_ram(struct resource *res, void *arg)
{
	struct ramdax_ram *ram = arg;
	struct range *last = ram->nr ? &ram->r[ram->nr - 1] : NULL;

	if (res->flags & IORESOURCE_SYSRAM_DRIVER_MANAGED)
		return 0;
	if (last && last->end + 1 == res->start &&
	    ram->nr_cuts < RAMDAX_MAX_RAM_RANGES) {
		ram->cuts[ram->nr_cuts++] = res->start;
		last->end = res->end;
		return 0;
	}
	if (ram->nr == RAMDAX_MAX_RAM_RANGES)
		return 1;
	ram->r[ram->nr].start = res->start;
	ram->r[ram->nr].end = res->end;
	ram->nr++;
	return 0;
}

static bool ramdax_in_ram(struct ramdax_ram *ram, u64 start, u64 size)
{
	unsigned int i;

	for (i = 0; i < ram->nr; i++)
		if (start >= ram->r[i].start &&
		    start + size - 1 <= ram->r[i].end)
			return true;
	return false;
}

#ifdef CONFIG_X86
/*
 * x86 removes a 1 GiB page of the direct map only whole: removing part of
 * one whose other part stays System RAM crashes in remove_pagetable() (seen
 * on 7.2 on a CPU with pdpe1gb).  Such a range is refused.
 */
static bool ramdax_splits_gbpage(u64 start, u64 size)
{
	u64 ends[] = { start, start + size - 1 };
	unsigned int i, level;
	pte_t *pte;

	for (i = 0; i < ARRAY_SIZE(ends); i++) {
		if (IS_ALIGNED(i ? ends[i] + 1 : ends[i], SZ_1G))
			continue;
		pte = lookup_address((unsigned long)__va(ends[i]), &level);
		if (pte && pte_present(*pte) && level == PG_LEVEL_1G)
			return true;
	}
	return false;
}
#else
static bool ramdax_splits_gbpage(u64 start, u64 size)
{
	return false;
}
#endif

static const char ramdax_not_online[] = "not online system RAM";
static const char ramdax_not_movable[] =
	"not in ZONE_MOVABLE (boot with movablecore=)";

/*
 * Only online movable memory of one node can be carved: its pages can be
 * migrated away, and a carveout is one node's.  Memory blocks are onlined
 * whole into one zone, so a block's first and last page speak for it.
 * Returns the node, or a negative errno with *why set.
 */
static int ramdax_check_blocks(u64 start, u64 size, const char **why)
{
	u64 block = memory_block_size_bytes(), addr;
	int nid = NUMA_NO_NODE;
	unsigned long pfn;

	if (ramdax_splits_gbpage(start, size)) {
		*why = "splits a 1 GiB direct-map page: carve whole GiBs or boot with nogbpages";
		return -EINVAL;
	}
	for (addr = start; addr < start + size; addr += block) {
		unsigned long pfns[] = { PHYS_PFN(addr),
					 PHYS_PFN(addr + block) - 1 };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(pfns); i++) {
			struct page *page = pfn_to_online_page(pfns[i]);

			if (!page) {
				*why = ramdax_not_online;
				return -EINVAL;
			}
			if (page_zonenum(page) != ZONE_MOVABLE) {
				*why = ramdax_not_movable;
				return -EBUSY;
			}
			if (nid != NUMA_NO_NODE && page_to_nid(page) != nid) {
				*why = "spans NUMA nodes";
				return -EINVAL;
			}
			nid = page_to_nid(page);
		}
	}
	/*
	 * What the boot allocated (the kernel image with KASLR, early
	 * allocations from the top of memory) can sit in the movable zone
	 * and never moves: find it here rather than have offlining find it,
	 * which costs a migration attempt and a page dump in the log.
	 */
	for (pfn = PHYS_PFN(start); pfn < PHYS_PFN(start + size); pfn++) {
		if (PageReserved(pfn_to_page(pfn))) {
			*why = "holds pages the kernel reserved at boot";
			return -EBUSY;
		}
		if (!(pfn % PAGES_PER_SECTION))
			cond_resched();
	}
	return nid;
}

/*
 * Memory a carveout gave up goes back online where the policy says.  What
 * can fail is an allocation for the memory's own bookkeeping: tried again,
 * as memory lost until the next boot is worse than a short wait.
 */
static void ramdax_give_back(u64 start, u64 size, int nid)
{
	unsigned int tries = 3;
	struct page *page;
	int rc;

	/*
	 * Merged with memory given back beside it (boot memory's resources
	 * do not merge): fewer resources for a later carve to cross.
	 */
	do {
		rc = add_memory(nid, start, size, MHP_MERGE_RESOURCE);
	} while (rc == -ENOMEM && --tries);

	if (rc) {
		pr_err("%#llx-%#llx: cannot add the memory back as system RAM: %d\n",
		       start, start + size - 1, rc);
		return;
	}
	page = pfn_to_online_page(PHYS_PFN(start));
	if (!page || page_zonenum(page) != ZONE_MOVABLE)
		pr_warn("%#llx-%#llx: added back %s, not carvable again until onlined movable (memhp_default_state=online_movable)\n",
			start, start + size - 1,
			page ? "outside ZONE_MOVABLE" : "offline");
}

/*
 * Take [start, start + size) out of System RAM, one resource's part at a
 * time.  offline_and_remove_memory() onlines again whatever it offlined when
 * it fails, and parts already taken are given back, so a failure leaves the
 * memory as it was.  Offlining retries migration until it succeeds or the
 * writer gets a signal (-EINTR).
 */
static int ramdax_remove(struct ramdax_ram *ram, u64 start, u64 size,
			 int nid, const char **why)
{
	u64 block = memory_block_size_bytes(), end = start + size, s, e;
	unsigned int i;
	int rc;

	for (s = start; s < end; s = e) {
		e = end;
		for (i = 0; i < ram->nr_cuts; i++)
			if (ram->cuts[i] > s && ram->cuts[i] < e)
				e = ram->cuts[i];
		if (!IS_ALIGNED(e, block)) {
			*why = "two System RAM resources meet inside a memory block";
			rc = -EINVAL;
		} else {
			rc = offline_and_remove_memory(s, e - s);
			if (rc)
				*why = rc == -EINTR ? "interrupted" :
				       "pages could not be migrated away (unmovable or in use)";
		}
		if (rc) {
			if (s > start)
				ramdax_give_back(start, s - start, nid);
			return rc;
		}
	}
	return 0;
}

/* Exactly [start, start + size): checked, then removed.  Returns the node. */
static int ramdax_take(struct ramdax_ram *ram, u64 start, u64 size,
		       const char **why)
{
	int nid, rc;

	nid = ramdax_check_blocks(start, size, why);
	if (nid < 0)
		return nid;
	rc = ramdax_remove(ram, start, size, nid, why);
	return rc ? rc : nid;
}

/* Highest windows first: low memory is where DMA-limited devices look. */
static int ramdax_take_any(struct ramdax_ram *ram, u64 size, u64 *start,
			   const char **why)
{
	u64 block = memory_block_size_bytes(), lo, s;
	const char *reason = NULL;
	unsigned int tries = 0;
	int i, nid, rc = -ENOSPC;

	*why = "no online movable range of that size on one node";
	for (i = ram->nr - 1; i >= 0; i--) {
		lo = ALIGN(ram->r[i].start, block);
		if (ram->r[i].end + 1 < lo + size)
			continue;
		for (s = ALIGN_DOWN(ram->r[i].end + 1 - size, block); s >= lo;
		     s -= block) {
			nid = ramdax_check_blocks(s, size, why);
			if (nid < 0) {
				/* What kept movable windows out says most. */
				if (*why != ramdax_not_movable &&
				    *why != ramdax_not_online)
					reason = *why;
				goto next;
			}
			rc = ramdax_remove(ram, s, size, nid, why);
			if (!rc) {
				*start = s;
				return nid;
			}
			if (rc == -EINTR || ++tries == RAMDAX_CARVE_TRIES)
				return rc;
next:
			if (s < lo + block)
				break;
		}
	}
	if (reason)
		*why = reason;
	return rc;
}

static struct device *ramdax_find_runtime(const char *name)
{
	struct device *dev;

	dev = bus_find_device_by_name(&platform_bus_type, NULL, name);
	if (dev && !ramdax_is_runtime(to_platform_device(dev))) {
		put_device(dev);
		dev = NULL;
	}
	return dev;
}

/*
 * The device is what ndctl finds: a carve returns once it is bound, whatever
 * the probe mode, or it is undone.
 */
static int ramdax_add_carveout(u64 start, u64 size, int nid,
			       struct platform_device **out)
{
	struct resource res = DEFINE_RES_MEM(start, size);
	char name[sizeof(RAMDAX_CARVEOUT_NAME) + 12];
	struct platform_device *pdev;
	struct device *dev;
	int id, rc;

	for (id = 0;; id++) {
		snprintf(name, sizeof(name), RAMDAX_CARVEOUT_NAME ".%d", id);
		dev = bus_find_device_by_name(&platform_bus_type, NULL, name);
		if (!dev)
			break;
		put_device(dev);
	}
	pdev = platform_device_alloc(RAMDAX_CARVEOUT_NAME, id);
	if (!pdev)
		return -ENOMEM;
	/* A NULL name becomes the device's: /proc/iomem shows it. */
	rc = platform_device_add_resources(pdev, &res, 1);
	if (!rc)
		rc = ramdax_set_override(pdev, "ramdax");
	if (rc) {
		platform_device_put(pdev);
		return rc;
	}
	set_dev_node(&pdev->dev, nid);
	/* Where the memory goes back: dev_to_node() is -1 without NUMA. */
	rc = platform_device_add_data(pdev, &nid, sizeof(nid));
	if (rc) {
		platform_device_put(pdev);
		return rc;
	}
	rc = platform_device_add(pdev);
	if (rc) {
		platform_device_put(pdev);
		return rc;
	}
	/* 1 also when an asynchronous probe bound it first. */
	if (device_attach(&pdev->dev) <= 0) {
		platform_device_unregister(pdev);
		return -ENXIO;
	}
	*out = pdev;
	return 0;
}

/* "SIZE" or "SIZE@START", memparse() syntax: 1G, 512M@0x140000000. */
static int ramdax_carve(const char *spec)
{
	u64 block = memory_block_size_bytes(), size, start = 0;
	struct platform_device *pdev;
	struct ramdax_ram *ram;
	const char *why = NULL;
	bool any = true;
	char *p;
	int nid, rc;

	size = memparse(spec, &p);
	if (*p == '@') {
		start = memparse(p + 1, &p);
		any = false;
	}
	if (*p && *p != '\n') {
		pr_err("carve %.*s: not SIZE or SIZE@START\n",
		       (int)strcspn(spec, "\n"), spec);
		return -EINVAL;
	}
	if (!size || !IS_ALIGNED(size, block) || !IS_ALIGNED(start, block) ||
	    start + size < start) {
		pr_err("carve %.*s: size and start must be non-zero multiples of the memory block size (%llu MiB)\n",
		       (int)strcspn(spec, "\n"), spec, block / SZ_1M);
		return -EINVAL;
	}
	/*
	 * Migration needs somewhere to go: keep a sixteenth of RAM free
	 * beyond the carveout rather than push the system into OOM kills.
	 */
	if (PHYS_PFN(size) + (totalram_pages() >> 4) > si_mem_available()) {
		pr_err("carve %llu MiB: only %lu MiB of memory available\n",
		       size / SZ_1M, (si_mem_available() << PAGE_SHIFT) / SZ_1M);
		return -ENOMEM;
	}

	ram = kzalloc_obj(*ram, GFP_KERNEL);
	if (!ram)
		return -ENOMEM;
	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, -1, ram,
			    ramdax_collect_ram);
	if (any) {
		nid = ramdax_take_any(ram, size, &start, &why);
	} else if (!ramdax_in_ram(ram, start, size)) {
		why = "not all System RAM the kernel manages";
		nid = -EINVAL;
	} else {
		nid = ramdax_take(ram, start, size, &why);
	}
	kfree(ram);
	if (nid < 0) {
		if (any)
			pr_err("carve %llu MiB: %s\n", size / SZ_1M, why);
		else
			pr_err("carve %#llx-%#llx: %s\n", start,
			       start + size - 1, why);
		return nid;
	}

	rc = ramdax_add_carveout(start, size, nid, &pdev);
	if (rc) {
		pr_err("carve %#llx-%#llx: carveout device not bound (%d), memory given back\n",
		       start, start + size - 1, rc);
		ramdax_give_back(start, size, nid);
		return rc;
	}
	dev_info(&pdev->dev, "carved %pR from node %d\n", pdev->resource, nid);
	return 0;
}

/* A namespace, or what claimed one, in use: bound to its driver. */
static int ramdax_find_enabled(struct device *dev, void *busy)
{
	const char *type = dev->type && dev->type->name ? dev->type->name : "";
	bool bound;

	if (!str_has_prefix(type, "nd_namespace") && strcmp(type, "nd_btt") &&
	    strcmp(type, "nd_pfn") && strcmp(type, "nd_dax"))
		return device_for_each_child(dev, busy, ramdax_find_enabled);
	device_lock(dev);
	bound = dev->driver;
	device_unlock(dev);
	if (!bound)
		return 0;
	strscpy(busy, dev_name(dev), RAMDAX_ID_LEN);
	return -EBUSY;
}

static int ramdax_release(const char *name)
{
	char busy[RAMDAX_ID_LEN];
	struct resource res;
	struct device *dev;
	int nid;

	dev = ramdax_find_runtime(name);
	if (!dev) {
		pr_err("release %s: no such run-time carveout\n", name);
		return -ENODEV;
	}
	/*
	 * Releasing the memory destroys the namespaces' data: only once the
	 * administrator has disabled them.  One enabled meanwhile is torn
	 * down like on any unbind, which waits for its users.
	 */
	if (device_for_each_child(dev, busy, ramdax_find_enabled)) {
		dev_err(dev, "release refused: %s is enabled (ndctl disable-namespace first)\n",
			busy);
		put_device(dev);
		return -EBUSY;
	}
	res = *to_platform_device(dev)->resource;
	res.name = NULL;	/* the device's name, freed with it */
	nid = *(int *)dev_get_platdata(dev);
	platform_device_unregister(to_platform_device(dev));
	put_device(dev);
	ramdax_give_back(res.start, resource_size(&res), nid);
	pr_info("released %s: %pR back to system RAM\n", name, &res);
	return 0;
}

static ssize_t carve_store(struct device_driver *drv, const char *buf,
			   size_t count)
{
	int rc;

	mutex_lock(&ramdax_carve_lock);
	rc = ramdax_carve(buf);
	mutex_unlock(&ramdax_carve_lock);
	return rc ? rc : count;
}
static DRIVER_ATTR_WO(carve);

static ssize_t release_store(struct device_driver *drv, const char *buf,
			     size_t count)
{
	char name[RAMDAX_ID_LEN];
	int rc;

	strscpy(name, buf, sizeof(name));
	strim(name);
	mutex_lock(&ramdax_carve_lock);
	rc = ramdax_release(name);
	mutex_unlock(&ramdax_carve_lock);
	return rc ? rc : count;
}
static DRIVER_ATTR_WO(release);

struct ramdax_memmap {
	char *buf;
	int len;
};

static int ramdax_memmap_one(struct device *dev, void *arg)
{
	struct platform_device *pdev = to_platform_device(dev);
	struct ramdax_memmap *mm = arg;

	if (!ramdax_is_runtime(pdev))
		return 0;
	mm->len += sysfs_emit_at(mm->buf, mm->len, "%smemmap=%lluM!%#llx",
				 mm->len ? " " : "",
				 (unsigned long long)resource_size(pdev->resource) / SZ_1M,
				 (unsigned long long)pdev->resource->start);
	return 0;
}

/* Appended to a kexec's command line: the carveouts come back as they are. */
static ssize_t memmap_show(struct device_driver *drv, char *buf)
{
	struct ramdax_memmap mm = { .buf = buf };

	mutex_lock(&ramdax_carve_lock);
	bus_for_each_dev(&platform_bus_type, NULL, &mm, ramdax_memmap_one);
	mutex_unlock(&ramdax_carve_lock);
	return mm.len + sysfs_emit_at(buf, mm.len, "\n");
}
static DRIVER_ATTR_RO(memmap);

static struct attribute *ramdax_drv_attrs[] = {
	&driver_attr_carve.attr,
	&driver_attr_release.attr,
	&driver_attr_memmap.attr,
	NULL,
};

static const struct attribute_group ramdax_drv_group = {
	.attrs = ramdax_drv_attrs,
};

const struct attribute_group *ramdax_drv_groups[] = {
	&ramdax_drv_group,
	NULL,
};

/*
 * Carveouts configured for every boot (modprobe.d: "options nd_ramdax
 * carve=1G@0x140000000").  One that a kexec already brought back as a boot
 * carveout (its memmap= passed on) is not carved twice: its range is no
 * longer System RAM, and its namespaces are there.
 */
static char *carve;
module_param(carve, charp, 0444);
MODULE_PARM_DESC(carve, "carveouts to make at load, SIZE[@START] separated by commas");

static bool ramdax_carved_at_boot(const char *spec)
{
	char *p;
	u64 start;

	p = strchr(spec, '@');
	if (!p)
		return false;
	start = memparse(p + 1, &p);
	return region_intersects(start, RAMDAX_LABEL_SIZE, IORESOURCE_MEM,
				 IORES_DESC_PERSISTENT_MEMORY_LEGACY) ==
	       REGION_INTERSECTS;
}

void ramdax_carve_at_load(void)
{
	char *list, *spec, *p;

	if (!carve || !*carve)
		return;
	list = kstrdup(carve, GFP_KERNEL);
	if (!list)
		return;
	p = list;
	mutex_lock(&ramdax_carve_lock);
	while ((spec = strsep(&p, ","))) {
		if (!*spec)
			continue;
		if (ramdax_carved_at_boot(spec))
			pr_info("carve %s: already a boot carveout (memmap=), kept\n",
				spec);
		else
			ramdax_carve(spec);
	}
	mutex_unlock(&ramdax_carve_lock);
	kfree(list);
}
