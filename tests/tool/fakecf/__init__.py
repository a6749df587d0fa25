"""Fake Cloudflare v4 API (AOP subset) for the cfaop tool tests.

    from fakecf import FakeCloudflare, make_ca, make_cert
"""

from .certs import CertKey, make_ca, make_cert, make_server_cert
from .harness import FakeCloudflare

__all__ = ["FakeCloudflare", "CertKey", "make_ca", "make_cert", "make_server_cert"]
