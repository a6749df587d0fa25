"""Fake Cloudflare v4 API (AOP subset) for the cfaop tool tests.

    from fakecf import FakeCloudflare

Test certificates come from the shared PKI (tests/lib/pki.py).
"""

from .harness import FakeCloudflare

__all__ = ["FakeCloudflare"]
