// CVulkan: the Vulkan loader, for the Vulkan compute backend.
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <vulkan/vulkan.h>
