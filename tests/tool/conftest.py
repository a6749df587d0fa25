"""Fixtures for the cfaop tool tests.

Each test gets a fresh fake Cloudflare API (tests/tool/fakecf) with one zone,
example.com, and one API token, and a `run` helper that starts the cfaop
binary against it (tests/lib/cfaop_env.py). The token travels in the
environment (or a token file), never in argv. Certificates are made per test by the shared PKI (tests/lib/pki.py).
"""

import os
import sys

import pytest

from lib.cfaop_env import CFAOP_BIN, REPO, ZONE_NAME, Env  # noqa: F401 (the tests' imports)
from lib.pki import PKI

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fakecf.harness import FakeCloudflare  # noqa: E402


@pytest.fixture(scope="session")
def cfaop_bin():
    # A missing binary is a failure, never a skip.
    assert os.path.isfile(CFAOP_BIN) and os.access(CFAOP_BIN, os.X_OK), \
        "cfaop binary not found at %s (build it with make, or set CFAOP_BIN)" % CFAOP_BIN
    return CFAOP_BIN


@pytest.fixture
def pki(tmp_path):
    """The shared test PKI; pki.leaf() makes a client certificate and its key files."""
    return PKI(str(tmp_path / "pki"))


@pytest.fixture
def env(tmp_path, cfaop_bin):
    with FakeCloudflare(tmp_path / "fakecf") as cf:
        yield Env(cf, cfaop_bin, tmp_path)
