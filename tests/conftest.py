"""The test suite runs under the sandbox profile: connection variables it does not set come from the sandbox.

Tests that check behaviour without the profile build their own environment (see
tests/orchestration/test_configuration.py)."""

import os

os.environ.setdefault("MFG_SYNC_PROFILE", "sandbox")
