"""Empty: these tests are in tests/smvm/daemon."""
