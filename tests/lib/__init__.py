"""Helpers shared by every Python test suite (tests/conftest.py puts tests/ on the path)."""
