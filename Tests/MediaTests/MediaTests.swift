// Tests for Media.
