// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Out-of-line wrappers for static inline kernel functions (see helpers.h).
 */
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-chain.h>
#include <linux/debug_locks.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <drm/drm_vma_manager.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_device.h>
#include <linux/of_reserved_mem.h>
#include <linux/scatterlist.h>
#include <linux/platform_device.h>

#include <linux/sched/signal.h>
#include <linux/delay.h>
#include "helpers.h"

void *asahi_helper_platform_get_drvdata(const struct platform_device *pdev)
{
	return platform_get_drvdata(pdev);
}

void asahi_helper_platform_set_drvdata(struct platform_device *pdev, void *data)
{
	platform_set_drvdata(pdev, data);
}

const void *asahi_helper_of_device_get_match_data(const struct device *dev)
{
	return of_device_get_match_data(dev);
}

void asahi_helper_drm_gem_object_get(struct drm_gem_object *obj)
{
	drm_gem_object_get(obj);
}

void asahi_helper_drm_gem_object_put(struct drm_gem_object *obj)
{
	drm_gem_object_put(obj);
}

/* The first page offset of @obj's mmap range (its "fake offset"), in pages. */
unsigned long asahi_helper_drm_gem_mmap_pgoff(struct drm_gem_object *obj)
{
	return drm_vma_node_start(&obj->vma_node);
}

/* The mmap offset userspace passes for @obj, in bytes. */
u64 asahi_helper_drm_gem_mmap_offset(struct drm_gem_object *obj)
{
	return drm_vma_node_offset_addr(&obj->vma_node);
}

struct page *asahi_helper_alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages(gfp, order);
}

unsigned long asahi_helper_page_to_pfn(struct page *page)
{
	return page_to_pfn(page);
}

phys_addr_t asahi_helper_page_to_phys(struct page *page)
{
	return page_to_phys(page);
}

struct page *asahi_helper_phys_to_page(phys_addr_t phys)
{
	return pfn_to_page(PHYS_PFN(phys));
}

/* The kernel's direct-map address of @phys (RAM only). */
void *asahi_helper_phys_to_virt(phys_addr_t phys)
{
	return phys_to_virt(phys);
}

phys_addr_t asahi_helper_virt_to_phys(void *addr)
{
	return virt_to_phys(addr);
}

void asahi_helper_sg_set_page(struct scatterlist *sg, struct page *page, unsigned int len,
			      unsigned int offset)
{
	sg_set_page(sg, page, len, offset);
}

struct scatterlist *asahi_helper_sg_next(struct scatterlist *sg)
{
	return sg_next(sg);
}

/* Whether @vma is copy-on-write (private and possibly writable): PFN maps must refuse those. */
bool asahi_helper_is_cow_mapping(const struct vm_area_struct *vma)
{
	return is_cow_mapping(vma->vm_flags);
}

/* dev_dbg() of Rust formatting arguments (%pA): the module's one dynamic-debug call site. */
void asahi_helper_dev_dbg(const struct device *dev, const void *args)
{
	dev_dbg(dev, "%pA", args);
}

/* Makes @vma a PFN mapping of GEM pages, write-combined or cached. */
void asahi_helper_vma_setup_pfnmap(struct vm_area_struct *vma, bool writecombine)
{
	pgprot_t prot;

	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	prot = vm_get_page_prot(vma->vm_flags);
	vma->vm_page_prot = writecombine ? pgprot_writecombine(prot) : prot;
}

void asahi_helper_spin_lock_init(spinlock_t *lock, const char *name, struct lock_class_key *key)
{
#ifdef CONFIG_DEBUG_SPINLOCK
	__raw_spin_lock_init(spinlock_check(lock), name, key, LD_WAIT_CONFIG);
#else
	spin_lock_init(lock);
#endif
}

unsigned long asahi_helper_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void asahi_helper_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

struct dma_fence *asahi_helper_dma_fence_get(struct dma_fence *fence)
{
	return dma_fence_get(fence);
}

void asahi_helper_dma_fence_put(struct dma_fence *fence)
{
	dma_fence_put(fence);
}

/* A reference on this module, for objects whose operations live in it (our fences). */
void asahi_helper_this_module_get(void)
{
	__module_get(THIS_MODULE);
}

void asahi_helper_this_module_put(void)
{
	module_put(THIS_MODULE);
}

void asahi_helper_dma_fence_set_error(struct dma_fence *fence, int error)
{
	dma_fence_set_error(fence, error);
}

bool asahi_helper_dma_fence_is_signaled(struct dma_fence *fence)
{
	return dma_fence_is_signaled(fence);
}

struct dma_fence_chain *asahi_helper_dma_fence_chain_alloc(void)
{
	return dma_fence_chain_alloc();
}

void asahi_helper_dma_fence_chain_free(struct dma_fence_chain *chain)
{
	dma_fence_chain_free(chain);
}

void asahi_helper_drm_syncobj_put(struct drm_syncobj *obj)
{
	drm_syncobj_put(obj);
}

/* An irq_work that runs in hard interrupt context even on PREEMPT_RT. */
void asahi_helper_init_irq_work_hard(struct irq_work *work, void (*func)(struct irq_work *))
{
	*work = IRQ_WORK_INIT_HARD(func);
}

/* INIT_WORK with the caller's lockdep class, so that one work item may flush another. */
void asahi_helper_init_work(struct work_struct *work, void (*func)(struct work_struct *),
			    struct lock_class_key *key)
{
	__INIT_WORK_KEY(work, func, 0, key);
}

/* Queues @work on the unbound system workqueue (any context). */
bool asahi_helper_queue_work(struct work_struct *work)
{
	return queue_work(system_unbound_wq, work);
}

#ifdef CONFIG_SPARSEMEM
/* crashdump.rs caches pfn_valid() per subsection (PFN_VALID_SHIFT). */
static_assert(SUBSECTION_SHIFT == 21);
#endif

bool asahi_helper_pfn_valid(unsigned long pfn)
{
	return pfn_valid(pfn);
}

static int asahi_count_system_ram(struct resource *res, void *arg)
{
	*(u64 *)arg += resource_size(res);
	return 0;
}

/*
 * Whether every byte of [phys, phys + size) is "System RAM" in the resource tree: what
 * page_is_ram() answers per page (the same flags), for a range in one walk. arm64 registers
 * no-map reserved memory as "reserved", not "System RAM", so this refuses the carve-outs that
 * pfn_valid() alone accepts. Takes resource_lock for reading; does not sleep.
 */
bool asahi_helper_is_system_ram(phys_addr_t phys, u64 size)
{
	u64 ram = 0;

	if (!size || phys + size - 1 < phys)
		return false;
	/* Reports each System RAM resource clipped to the range, in address order. */
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, phys,
			    phys + size - 1, &ram, asahi_count_system_ram);
	return ram == size;
}

/*
 * Checks that an ExplicitDrop value may be released here: process context, sleeping allowed,
 * not inside a dma-fence signalling section. Returns true (after a warning) if not.
 */
/*
 * Whether the current task is being killed: exiting on SIGKILL (drm_sched_entity_flush's test,
 * for a file released by a killed process's exit) or with a fatal signal pending.
 */
bool asahi_helper_current_is_killed(void)
{
	return ((current->flags & PF_EXITING) && current->exit_code == SIGKILL) ||
	       fatal_signal_pending(current);
}

/* Sleeps `us` microseconds, with the precision the duration calls for (fsleep). */
void asahi_helper_fsleep(unsigned long us)
{
	fsleep(us);
}

bool asahi_helper_check_release_context(void)
{
	bool signalling = false;

#ifdef CONFIG_LOCKDEP
	/*
	 * begin_signalling() returns true when already inside a section (or atomic). Once lockdep
	 * has switched itself off (debug_locks == 0) it cannot tell, so it is not asked.
	 */
	if (debug_locks) {
		signalling = dma_fence_begin_signalling();
		dma_fence_end_signalling(signalling);
	}
#endif
	if (WARN_ONCE(in_interrupt() || signalling,
		      "asahi: explicit release in atomic or fence-signalling context\n"))
		return true;
	might_sleep();
	return false;
}

struct device *asahi_helper_get_device(struct device *dev)
{
	return get_device(dev);
}

/* The device's device-tree node, or NULL (no OF, or a device without a node). */
struct device_node *asahi_helper_dev_of_node(struct device *dev)
{
	return dev_of_node(dev);
}

/*
 * The reserved-memory region named @name in @np's memory-region-names: 0 and its range, -ENOENT
 * when the name is not listed, -ENODEV when its phandle does not resolve to a reserved-memory
 * node the kernel registered (-ENODEV too without OF).
 */
int asahi_helper_of_reserved_mem_by_name(struct device_node *np, const char *name,
					 phys_addr_t *base, phys_addr_t *size)
{
	struct device_node *target;
	struct reserved_mem *rmem;
	int index;

	if (!IS_ENABLED(CONFIG_OF_RESERVED_MEM))
		return -ENODEV;
	index = of_property_match_string(np, "memory-region-names", name);
	if (index < 0)
		return -ENOENT;
	target = of_parse_phandle(np, "memory-region", index);
	if (!target)
		return -ENODEV;
	rmem = of_reserved_mem_lookup(target);
	of_node_put(target);
	if (!rmem)
		return -ENODEV;
	*base = rmem->base;
	*size = rmem->size;
	return 0;
}

/*
 * Whether entry @index of phandle list @list (cell counts in @cells, or none when NULL) names an
 * available node compatible with @compatible: 1 if so, 0 if it names another node, -ENOENT if the
 * list has no such entry, -EINVAL if it is malformed.
 */
int asahi_helper_of_phandle_target(struct device_node *np, const char *list, const char *cells,
				   int index, const char *compatible)
{
	struct of_phandle_args args;
	int ret;

	ret = of_parse_phandle_with_args(np, list, cells, index, &args);
	if (ret)
		return ret == -ENOENT ? -ENOENT : -EINVAL;
	ret = of_device_is_compatible(args.np, compatible) && of_device_is_available(args.np);
	of_node_put(args.np);
	return ret;
}

void __iomem *asahi_helper_ioremap(phys_addr_t phys, size_t size)
{
	return ioremap(phys, size);
}

void *asahi_helper_memremap_wb(phys_addr_t phys, size_t size)
{
	return memremap(phys, size, MEMREMAP_WB);
}

u32 asahi_helper_readl(const void __iomem *addr)
{
	return readl(addr);
}

u64 asahi_helper_readq(const void __iomem *addr)
{
	return readq(addr);
}

void asahi_helper_writel(u32 value, void __iomem *addr)
{
	writel(value, addr);
}
