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
bool asahi_helper_of_match_exists(const struct of_device_id *matches);

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
void *asahi_helper_phys_to_virt(phys_addr_t phys);
void asahi_helper_sg_set_page(struct scatterlist *sg, struct page *page, unsigned int len,
			      unsigned int offset);
struct scatterlist *asahi_helper_sg_next(struct scatterlist *sg);
void asahi_helper_vma_setup_pfnmap(struct vm_area_struct *vma, bool writecombine);

#endif
