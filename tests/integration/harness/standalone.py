"""A throwaway PKI and Apache outside pytest, for scripts/demo.py and scripts/bench.py."""
import contextlib
import os
import shutil
import tempfile

from . import pki as pki_mod
from .server import Apache
from .settings import CLOUDFLARE_CA, MODULE


@contextlib.contextmanager
def throwaway_apache(name, hostnames, sites, port_names=("main",), global_lines=()):
    """Yields (server, pki): an Apache started with sites(pki) in a temporary
    directory; stopped and removed afterwards, whatever happens."""
    base = tempfile.mkdtemp(prefix=f"cfaop-{name}-")
    os.chmod(base, 0o755)  # Apache's children run as www-data
    server = None
    try:
        pki = pki_mod.build(os.path.join(base, "pki"), hostnames, CLOUDFLARE_CA)
        server = Apache(base, name, pki, MODULE, port_names)
        server.install(sites(pki), global_lines)
        server.start()
        yield server, pki
    finally:
        if server:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)
