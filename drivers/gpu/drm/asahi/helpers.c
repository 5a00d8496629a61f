// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Out-of-line wrappers for static inline kernel functions (see helpers.h).
 */
#include <linux/of.h>
#include <linux/of_device.h>
#include <linux/platform_device.h>

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

/* Whether the device tree has a node matching @matches (always false without CONFIG_OF). */
bool asahi_helper_of_match_exists(const struct of_device_id *matches)
{
	struct device_node *np = of_find_matching_node(NULL, matches);

	of_node_put(np);
	return np != NULL;
}
