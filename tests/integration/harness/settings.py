"""Paths and test parameters shared by the fixtures and the tests."""
import functools
import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# The module under test: CFAOP_MODULE, else the in-tree build.
MODULE = os.environ.get("CFAOP_MODULE",
                        os.path.join(REPO, "mod_cfaop", ".libs", "mod_cfaop.so"))
CLOUDFLARE_CA = os.path.join(REPO, "data", "cloudflare-origin-pull-ca.pem")


def _apxs(var: str) -> str:
    """What the httpd the module was built for says of itself (apxs -q VAR)."""
    apxs = os.environ.get("APXS") or shutil.which("apxs") or "/usr/bin/apxs"
    return subprocess.run([apxs, "-q", var], capture_output=True, text=True,
                          check=True).stdout.strip()


# A module built with sanitizers needs their runtime first in the process
# (CFAOP_APACHE_PRELOAD, set by scripts/run sanitize): apache2 is not built
# with them. Leaks are httpd's pools' business at exit; errors abort.
APACHE_ENV = None
if os.environ.get("CFAOP_APACHE_PRELOAD"):
    APACHE_ENV = dict(os.environ, LD_PRELOAD=os.environ["CFAOP_APACHE_PRELOAD"],
                      ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
                      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")

# Resident memory says something only without the sanitizers, whose shadow
# memory and quarantine grow it by design: memory figures are asserted then.
MEMORY_MEASURED = APACHE_ENV is None

# httpd's own modules and binary, as apxs knows them (not Debian's paths).
APACHE_MODULE_DIR = _apxs("LIBEXECDIR")
APACHE_BIN = os.path.join(_apxs("SBINDIR"), _apxs("TARGET"))
# The modules compiled into that binary (httpd -l): Debian's apache2 has
# unixd and log_config among them, a source build with
# --enable-mods-shared=reallyall has them as DSOs in APACHE_MODULE_DIR.
APACHE_BUILTIN = frozenset(
    line.strip()[len("mod_"):-len(".c")]
    for line in subprocess.run([APACHE_BIN, "-l"], capture_output=True, text=True,
                               check=True).stdout.splitlines()
    if line.strip().startswith("mod_") and line.strip().endswith(".c"))

# mod_ssl before 2.4.66 has no SSLVHostSNIPolicy: it answers SNI != Host
# itself (421, AH02032) when the two vhosts' SSL setups differ, before any
# module sees the request.
APACHE_VERSION = tuple(int(n) for n in re.search(
    r"Apache/(\d+)\.(\d+)\.(\d+)",
    subprocess.run([APACHE_BIN, "-v"], capture_output=True, text=True, check=True).stdout
).groups())
MODSSL_HAS_SNI_POLICY = APACHE_VERSION >= (2, 4, 66)


@functools.lru_cache(maxsize=None)
def server_openssl():
    """(version, path) of the libcrypto that the server's mod_ssl loads, version as
    (major, minor, patch) and path None when unknown: `openssl version` tells the
    client's, which may be another."""
    ldd = subprocess.run(["ldd", os.path.join(APACHE_MODULE_DIR, "mod_ssl.so")],
                         capture_output=True, text=True).stdout
    m = re.search(r"libcrypto\.so\S* => (\S+)", ldd)
    if not m:
        return None, None
    with open(m.group(1), "rb") as f:
        v = re.search(rb"OpenSSL (\d+)\.(\d+)\.(\d+)", f.read())
    return (tuple(int(n) for n in v.groups()) if v else None), m.group(1)

# Parametrize values: curl --http1.1 / --http2, and the TLS versions.
HTTP_VERSIONS = [pytest.param(False, id="http1.1"), pytest.param(True, id="h2")]
TLS_VERSIONS = ["1.2", "1.3"]
