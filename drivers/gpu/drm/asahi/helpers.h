/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Out-of-line wrappers for static inline kernel functions and macros, callable from Rust.
 * One line each; the logic stays in Rust.
 */
#ifndef ASAHI_HELPERS_H
#define ASAHI_HELPERS_H

#include <linux/of.h>
#include <linux/platform_device.h>

void *asahi_helper_platform_get_drvdata(const struct platform_device *pdev);
void asahi_helper_platform_set_drvdata(struct platform_device *pdev, void *data);
const void *asahi_helper_of_device_get_match_data(const struct device *dev);

/* Device properties, OF, reserved memory, MMIO (kernel_ext/property.rs, kernel_ext/io.rs). */
struct device_node;
struct resource;
struct device *asahi_helper_get_device(struct device *dev);
struct device_node *asahi_helper_dev_of_node(struct device *dev);
int asahi_helper_of_reserved_mem_by_name(struct device_node *np, const char *name,
					 phys_addr_t *base, phys_addr_t *size);
int asahi_helper_of_phandle_target(struct device_node *np, const char *list, const char *cells,
				   int index, const char *compatible);
void __iomem *asahi_helper_ioremap(phys_addr_t phys, size_t size);
void *asahi_helper_memremap_wb(phys_addr_t phys, size_t size);
u32 asahi_helper_readl(const void __iomem *addr);
u64 asahi_helper_readq(const void __iomem *addr);
void asahi_helper_writel(u32 value, void __iomem *addr);

struct drm_gem_object;
struct page;
struct scatterlist;
struct vm_area_struct;
void asahi_helper_drm_gem_object_get(struct drm_gem_object *obj);
void asahi_helper_drm_gem_object_put(struct drm_gem_object *obj);
unsigned long asahi_helper_drm_gem_mmap_pgoff(struct drm_gem_object *obj);
u64 asahi_helper_drm_gem_mmap_offset(struct drm_gem_object *obj);
struct page *asahi_helper_alloc_pages(gfp_t gfp, unsigned int order);
unsigned long asahi_helper_page_to_pfn(struct page *page);
phys_addr_t asahi_helper_page_to_phys(struct page *page);
struct page *asahi_helper_phys_to_page(phys_addr_t phys);
void *asahi_helper_phys_to_virt(phys_addr_t phys);
phys_addr_t asahi_helper_virt_to_phys(void *addr);
void asahi_helper_sg_set_page(struct scatterlist *sg, struct page *page, unsigned int len,
			      unsigned int offset);
struct scatterlist *asahi_helper_sg_next(struct scatterlist *sg);
void asahi_helper_vma_setup_pfnmap(struct vm_area_struct *vma, bool writecombine);
bool asahi_helper_is_cow_mapping(const struct vm_area_struct *vma);
void asahi_helper_dev_dbg(const struct device *dev, const void *args);

struct dma_fence;
struct dma_fence_chain;
struct drm_syncobj;
struct irq_work;
struct lock_class_key;
void asahi_helper_spin_lock_init(spinlock_t *lock, const char *name, struct lock_class_key *key);
unsigned long asahi_helper_spin_lock_irqsave(spinlock_t *lock);
void asahi_helper_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
struct dma_fence *asahi_helper_dma_fence_get(struct dma_fence *fence);
void asahi_helper_dma_fence_put(struct dma_fence *fence);
void asahi_helper_this_module_get(void);
void asahi_helper_this_module_put(void);
void asahi_helper_dma_fence_set_error(struct dma_fence *fence, int error);
bool asahi_helper_dma_fence_is_signaled(struct dma_fence *fence);
struct dma_fence_chain *asahi_helper_dma_fence_chain_alloc(void);
void asahi_helper_dma_fence_chain_free(struct dma_fence_chain *chain);
void asahi_helper_drm_syncobj_put(struct drm_syncobj *obj);
void asahi_helper_init_irq_work_hard(struct irq_work *work, void (*func)(struct irq_work *));

struct work_struct;
void asahi_helper_init_work(struct work_struct *work, void (*func)(struct work_struct *),
			    struct lock_class_key *key);
bool asahi_helper_queue_work(struct work_struct *work);
bool asahi_helper_pfn_valid(unsigned long pfn);
bool asahi_helper_is_system_ram(phys_addr_t phys, u64 size);
bool asahi_helper_check_release_context(void);
bool asahi_helper_current_is_killed(void);
void asahi_helper_fsleep(unsigned long us);

#endif
