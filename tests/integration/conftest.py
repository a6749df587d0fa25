"""Fixtures of the real-Apache integration suite for mod_cfaop.

One throwaway PKI per run; one Apache per configuration, shared by the tests
that use it (the `main` server carries most vhosts) and stopped at the end,
even on failure.
"""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from harness import pki as pki_mod
from harness import client as cl
from harness.client import Client
from harness.conf import Site
from harness.server import Apache
from harness.settings import APACHE_BIN, CLOUDFLARE_CA, MODULE


# Every hostname any configuration uses: the server certificate covers them all.
HOSTNAMES = [
    "open.test", "cf.test", "builtin.test", "cfplus.test", "zone.test", "app.zone.test",
    "pin.zone.test", "both.zone.test", "pin-sha.test", "pin-spki.test", "pin-file.test",
    "rotate.test", "inter.test", "interroot.test", "report.test", "redir.test",
    "dflt.test", "alt.test", "plain.test",
    "a.inh.test", "h.inh.test", "k.inh.test", "b.inh.test", "c.inh.test", "d.inh.test",
    "gate.test", "e.test", "h.e.test", "r.test", "o.test", "v.test", "vo.test",
    "ed.test", "o2.test", "v2.test", "wz.test", "wh.test", "h.wh.test", "d.test", "h.d.test",
    "admin.test", "ip.test", "h.ip.test", "rip.test", "noe.test",
    "rv.test", "h.rv.test",
    "*.scale.test",
]

# Apache instances alive at the moment, checked for child crashes after each test.
_RUNNING = []
# Every Apache instance of the session, whose error log each test is held to.
_SERVERS = []

# An error-log line at warn or above; the test that causes one must declare it
# (as httpd's own test suite does with its log checks).
_SEVERE = re.compile(r"\[(?:\w+:)?(warn|error|crit|alert|emerg)\] ")
# Lines of the environment, not of any test: Debian's mod_ssl was built
# against a newer OpenSSL patch release than the one installed.
_ENVIRONMENT = [re.compile(r"AH01882: ")]


def unexpected_lines(lines, allowed_patterns):
    """Lines at warn or above that neither the environment nor the test explains."""
    allowed = _ENVIRONMENT + [re.compile(p) for p in allowed_patterns]
    return [line for line in lines
            if _SEVERE.search(line) and not any(a.search(line) for a in allowed)]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "log_allows(*patterns): regular expressions of error-log lines at warn "
        "or above that the test causes on purpose")


class ApacheEnv:
    """A running Apache with its client."""

    def __init__(self, server: Apache, pki):
        self.server = server
        self.pki = pki
        self.client = Client(server, pki)
        self.log = server.log

    def site(self, name: str) -> Site:
        return self.server.site(name)

    def stop(self) -> None:
        self.server.stop()
        if self.server in _RUNNING:
            _RUNNING.remove(self.server)

    def assert_served(self, resp, vhost: str, scope: str = "zone", hostname: str = None) -> None:
        """vhost's own page, judged SUCCESS in `scope`, and no rejection logged for it."""
        cl.assert_served(resp, self.site(vhost))
        assert resp.var("CFAOP_VERIFY") == "SUCCESS", resp
        assert resp.var("CFAOP_VERIFY_ERROR") is None, resp
        assert resp.var("CFAOP_SCOPE") == scope, resp
        assert not cl.rejections(self.server, resp, hostname or vhost), cl.conn_log(self.server, resp)

    def assert_refused(self, resp, status: int, reason: str, *, leaf, vhost: str,
                       hostname: str = None, scope: str = "zone") -> None:
        """Refused with status/reason, no protected body, one CFAOP00016 line.

        leaf: the certificate the server received (None when none was sent)."""
        cl.assert_refused(resp, status, reason, "NONE" if leaf is None else "FAILED")
        assert resp.var("CFAOP_SCOPE") == scope, resp
        cl.assert_rejection_logged(self.server, resp, reason=reason, leaf=leaf, vhost=vhost,
                                   hostname=hostname or vhost, scope=scope)


@pytest.fixture(scope="session")
def base_dir():
    # Not pytest's tmp_path: its parents are 0700 and Apache's children run as www-data.
    d = tempfile.mkdtemp(prefix="cfaop-it-")
    os.chmod(d, 0o755)
    yield d
    if not os.environ.get("CFAOP_KEEP_TMP"):
        # Thousands of small files on a slow file system: removed in the
        # background instead of holding the session's end.
        subprocess.Popen(["rm", "-rf", d], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def module_path(base_dir):
    """The module under test, copied next to the servers it is loaded into.

    Apache's children and `apache2 -t` run as www-data, which may not reach a
    checkout in a private directory (/root is mode 700)."""
    assert os.path.isfile(MODULE), f"module not built: {MODULE} (run make, or set CFAOP_MODULE)"
    for tool in (APACHE_BIN, "curl", "openssl"):
        assert shutil.which(tool), f"required tool missing: {tool}"
    copy = os.path.join(base_dir, "mod_cfaop.so")
    shutil.copyfile(MODULE, copy)
    os.chmod(copy, 0o644)
    return copy


@pytest.fixture(scope="session")
def pki(base_dir):
    return pki_mod.build(os.path.join(base_dir, "pki"), HOSTNAMES, CLOUDFLARE_CA)


@pytest.fixture(scope="session")
def server_factory(base_dir, pki, module_path):
    """Creates Apache instances and stops every one of them at the end of the session."""
    made = []

    def make(name, sites, global_lines=(), port_names=("main",), start=True, start_timeout=15,
             **modules):
        """modules: mpm="prefork", modules_before=[...], modules_after=[...] (see conf.render)."""
        srv = Apache(base_dir, name, pki, module_path, port_names, **modules)
        env = ApacheEnv(srv, pki)
        made.append(env)
        _SERVERS.append(srv)
        srv.install(sites, global_lines)
        if start:
            _RUNNING.append(srv)
            srv.start(timeout=start_timeout)
        return env

    yield make
    # Safety net: module fixtures stop their servers themselves when the module ends.
    for env in made:
        env.stop()


@pytest.fixture(autouse=True)
def error_log_clean(request):
    """Fails the test that logged an unexpected [warn] or [error] line in any server."""
    marks = {id(srv): srv.log.mark() for srv in _SERVERS}
    yield
    allowed = [p for m in request.node.iter_markers("log_allows") for p in m.args]
    unexpected = [line for srv in _SERVERS
                  for line in unexpected_lines(srv.log.lines(marks.get(id(srv), 0)), allowed)]
    assert not unexpected, "unexpected error-log lines (declare them with " \
        "@pytest.mark.log_allows):\n" + "\n".join(unexpected)


@pytest.fixture(autouse=True)
def no_child_crashes():
    marks = [(srv, srv.log.mark()) for srv in _RUNNING]
    yield
    for srv, mark in marks:
        assert not srv.crashes(mark), "Apache child crashed:\n" + "\n".join(srv.crashes(mark))


# ----------------------------------------------------------------------
# The main configuration: one vhost per policy shape, all on one Apache.

def main_sites(pki):
    zone_ca = pki.zone_ca.cert_path
    zone = ["CFAOPEngine on", f"CFAOPCACertificateFile {zone_ca}"]
    # sha256 pins may be written with colons and in upper case.
    sha_colons = ":".join(pki.zone_leaf.sha256_hex[i:i + 2].upper() for i in range(0, 64, 2))
    return [
        # Default vhost of the main port: no protection (SNI/Host and no-SNI tests).
        Site("open.test", protected=False),
        # Seed setup 1: zone-level with Cloudflare's CA (our stand-in) ...
        Site("cf.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.cf_ca.cert_path}"]),
        # ... and with the built-in anchor, implicit and explicit (anchors add up).
        Site("builtin.test", ["CFAOPEngine on"]),
        Site("cfplus.test", ["CFAOPEngine on", "CFAOPCACertificateFile cloudflare",
                             f"CFAOPCACertificateFile {zone_ca}"]),
        # Seed setups 2 and 3: zone CA, plus per-hostname rules that take precedence.
        Site("zone.test", zone + [
            f"CFAOPHostnameCACertificateFile app.zone.test {pki.host_ca.cert_path}",
            f"CFAOPHostnamePin pin.zone.test sha256:{pki.host_leaf2.sha256_hex}",
            # A second policy with its own trust store (cost test): zone CA + pin.
            f"CFAOPHostnameCACertificateFile both.zone.test {zone_ca}",
            f"CFAOPHostnamePin both.zone.test {pki.zone_leaf.cert_path}",
        ], aliases=["app.zone.test", "pin.zone.test", "both.zone.test"]),
        Site("pin-sha.test", ["CFAOPEngine on", f"CFAOPPin sha256:{sha_colons}"]),
        Site("pin-spki.test", ["CFAOPEngine on", f"CFAOPPin spki-sha256:{pki.zone_leaf.spki_b64}"]),
        Site("pin-file.test", zone + [f"CFAOPPin {pki.zone_leaf.cert_path}"]),
        Site("rotate.test", ["CFAOPEngine on", f"CFAOPPin sha256:{pki.zone_leaf.sha256_hex}",
                             f"CFAOPPin sha256:{pki.zone_leaf2.sha256_hex}"]),
        Site("inter.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.inter_ca.cert_path}"]),
        Site("interroot.test", ["CFAOPEngine on",
                                f"CFAOPCACertificateFile {pki.root_ca.cert_path}"]),
        # Report mode; its page is not protected (report mode serves everyone).
        Site("report.test", zone + [
            "CFAOPMode report",
            "ErrorDocument 404 /err404.html",
            # Consumers of the variables: SetEnvIfExpr + Require env, mod_rewrite.
            "<Location /gate.html>",
            "  SetEnvIfExpr \"reqenv('CFAOP_VERIFY') == 'SUCCESS'\" CFAOP_OK",
            "  Require env CFAOP_OK",
            "</Location>",
            "RewriteEngine on",
            "RewriteCond %{ENV:CFAOP_VERIFY} !=SUCCESS",
            "RewriteRule ^/rw$ - [F]",
            "RewriteRule ^/rw$ /index.html [PT]",
        ], protected=False),
        # Internal redirects: ErrorDocument and a per-directory rewrite.
        Site("redir.test", zone + [
            "ErrorDocument 403 /err403.html",
            "ErrorDocument 404 /err404.html",
            "<Directory @DOCROOT@>",
            "  RewriteEngine on",
            "  RewriteRule ^old\\.html$ index.html",
            "</Directory>",
        ]),
        # Second port whose default vhost is protected (no-SNI cases).
        Site("dflt.test", zone, port="alt"),
        Site("alt.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.cf_ca.cert_path}"],
             port="alt"),
    ]


@pytest.fixture(scope="session")
def main(server_factory, pki):
    return server_factory("main", main_sites(pki), port_names=("main", "alt"))
