// Tests for Sampler.
