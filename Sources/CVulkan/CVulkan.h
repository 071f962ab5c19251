// CVulkan: Vulkan declarations for the Vulkan compute backend (the loader is opened at run time).
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <vulkan/vulkan.h>
