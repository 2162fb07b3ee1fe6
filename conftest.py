"""Load the shared fixtures for every test directory."""

pytest_plugins = ["tests.support.fixtures"]
