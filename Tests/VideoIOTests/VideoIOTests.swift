// Tests for VideoIO.
