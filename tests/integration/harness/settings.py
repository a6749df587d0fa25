"""Paths and test parameters shared by the fixtures and the tests."""
import os

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# The module under test: CFAOP_MODULE, else the in-tree build.
MODULE = os.environ.get("CFAOP_MODULE",
                        os.path.join(REPO, "mod_cfaop", ".libs", "mod_cfaop.so"))
CLOUDFLARE_CA = os.path.join(REPO, "data", "cloudflare-origin-pull-ca.pem")

# Parametrize values: curl --http1.1 / --http2, and the TLS versions.
HTTP_VERSIONS = [pytest.param(False, id="http1.1"), pytest.param(True, id="h2")]
TLS_VERSIONS = ["1.2", "1.3"]
