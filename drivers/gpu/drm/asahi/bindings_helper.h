/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Headers for the module's own bindgen run (see Kbuild and bindings.rs): the C APIs that the 6.12
 * `kernel` crate does not bind, and our uAPI header.
 */
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-chain.h>
#include <linux/irq_work.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/delay.h>
#include <linux/devcoredump.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mailbox_client.h>
/* The RTKit library exists only where it is built (arm64 test kernel: APPLE_RTKIT=y). */
#if IS_ENABLED(CONFIG_APPLE_RTKIT)
#include <linux/soc/apple/rtkit.h>
#endif

#include <drm/asahi_drm.h>

#include "helpers.h"

/* Macros with casts that bindgen cannot evaluate: expose them as typed constants. */
const fop_flags_t ASAHI_CONST_FOP_UNSIGNED_OFFSET = FOP_UNSIGNED_OFFSET;
const gfp_t ASAHI_CONST_GFP_KERNEL = GFP_KERNEL;
const gfp_t ASAHI_CONST_GFP_KERNEL_ACCOUNT = GFP_KERNEL_ACCOUNT;
const gfp_t ASAHI_CONST___GFP_ZERO = __GFP_ZERO;
const gfp_t ASAHI_CONST_GFP_NOWAIT = GFP_NOWAIT;
const gfp_t ASAHI_CONST___GFP_NOWARN = __GFP_NOWARN;
const gfp_t ASAHI_CONST___GFP_RETRY_MAYFAIL = __GFP_RETRY_MAYFAIL;
const vm_fault_t ASAHI_CONST_VM_FAULT_SIGBUS = VM_FAULT_SIGBUS;
const long ASAHI_CONST_MAX_SCHEDULE_TIMEOUT = MAX_SCHEDULE_TIMEOUT;
const unsigned long ASAHI_CONST_IORESOURCE_MEM = IORESOURCE_MEM;
