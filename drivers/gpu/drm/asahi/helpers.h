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

#endif
