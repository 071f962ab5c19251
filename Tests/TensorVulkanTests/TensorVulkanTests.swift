// Tests for TensorVulkan.
