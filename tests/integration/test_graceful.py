"""Graceful restarts: policy changes take effect, resumed sessions meet the new policy,
and nothing that fails or passes configtest takes the server down.

One Apache ("life") for this module; each test first installs the baseline
configuration with a graceful restart, so the tests do not depend on each other.
"""
import os

import pytest

from harness.conf import Site
from harness.settings import TLS_VERSIONS


def sites(pki, zone_anchor, extra_zone=(), plain=False):
    # zone.test is the default vhost here, so what these tests see depends on the
    # restart alone, not on SNI switching (covered by the main server's tests).
    out = [Site("zone.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {zone_anchor}",
                              *extra_zone]),
           Site("open.test", protected=False)]
    if plain:
        # CFAOPEngine on in a vhost without TLS: passes configtest, refuses everything.
        out.append(Site("plain.test", ["CFAOPEngine on",
                                       f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"],
                        port="plain", ssl=False))
    return out


@pytest.fixture(scope="module")
def life(server_factory, pki, base_dir):
    # The same 48 random bytes before and after every restart: tickets stay decryptable.
    ticket_key = os.path.join(base_dir, "ticket.key")
    with open(ticket_key, "wb") as f:
        f.write(os.urandom(48))
    env = server_factory("life", sites(pki, pki.zone_ca.cert_path),
                         global_lines=[f"SSLSessionTicketKeyFile {ticket_key}"],
                         port_names=("main", "plain"))
    env.baseline = lambda: reload(env, sites(pki, pki.zone_ca.cert_path))
    yield env
    env.stop()


def reload(env, new_sites):
    """Graceful restart into new_sites; the server keeps its parent process."""
    pid = env.server.pid()
    env.server.install(new_sites, env.server.global_lines)
    r = env.server.graceful()
    assert r.returncode == 0, r.stderr
    assert env.server.pid() == pid, "graceful restart replaced the parent process"
    return r


def test_graceful_policy_change(life):
    """After a graceful restart with another CA, the old certificate is refused and the new one served."""
    p, c = life.pki, life.client
    life.baseline()
    life.assert_served(c.curl("zone.test", cert=p.zone_leaf), "zone.test")
    life.assert_refused(c.curl("zone.test", cert=p.cf_leaf), 403, "untrusted",
                        leaf=p.cf_leaf, vhost="zone.test")
    reload(life, sites(p, p.cf_ca.cert_path))
    life.assert_refused(c.curl("zone.test", cert=p.zone_leaf), 403, "untrusted",
                        leaf=p.zone_leaf, vhost="zone.test")
    life.assert_served(c.curl("zone.test", cert=p.cf_leaf), "zone.test")


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_resumed_session_judged_by_policy_after_restart(life, tls, tmp_path):
    """A session resumed across a graceful restart (same ticket key) is judged by the new policy: refused though Reused."""
    p, c = life.pki, life.client
    life.baseline()
    sess = str(tmp_path / "s.pem")
    first = c.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls, sess_out=sess)
    life.assert_served(first, "zone.test")
    reload(life, sites(p, p.cf_ca.cert_path))
    r = c.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls, sess_in=sess)
    assert r.reused is True and r.headers.get("x-ssl-resumed") == "Resumed", \
        f"not resumed across the restart, the test proves nothing: {r}"
    assert r.gen == str(life.server.gen)
    life.assert_refused(r, 403, "untrusted", leaf=p.zone_leaf, vhost="zone.test")


def test_graceful_with_config_failing_configtest_keeps_old_server(life):
    """-k graceful with a config that fails -t is refused; the old generation keeps serving."""
    p, c = life.pki, life.client
    life.baseline()
    pid, old_gen = life.server.pid(), str(life.server.gen)
    life.server.install(sites(p, p.zone_ca.cert_path, ["CFAOPPin sha256:not-hex"]),
                        life.server.global_lines)
    r = life.server.ctl("-k", "graceful")
    assert r.returncode != 0
    assert "AH00526: Syntax error on line" in r.stderr and "CFAOPPin" in r.stderr, r.stderr
    assert life.server.pid() == pid
    resp = c.curl("zone.test", cert=p.zone_leaf)
    life.assert_served(resp, "zone.test")
    assert resp.gen == old_gen
    life.assert_refused(c.curl("zone.test"), 403, "no-certificate", leaf=None, vhost="zone.test")


@pytest.mark.log_allows(r"CFAOP00004: ")
def test_engine_on_without_tls_passes_configtest_and_graceful(life):
    """CFAOPEngine on in a non-TLS vhost: -t passes, graceful keeps the server up, CFAOP00004 is logged, the vhost answers 403 no-tls."""
    p, c = life.pki, life.client
    life.baseline()
    mark = life.server.log.mark()
    new = sites(p, p.zone_ca.cert_path, plain=True)
    life.server.install(new, life.server.global_lines)
    t = life.server.configtest()
    assert t.returncode == 0 and "Syntax OK" in t.stderr, t.stderr
    reload(life, new)
    warn = life.server.log.wait_for(r"CFAOP00004: .*plain\.test", since=mark)
    assert warn and "[cfaop:warn]" in warn[0], life.server.log.lines(mark)
    # Says what happens, and where the vhost listens.
    assert "every request to it is refused with 403 (reason no-tls)" in warn[0], warn[0]
    assert f"(127.0.0.1:{life.server.ports['plain']})" in warn[0], warn[0]
    r = c.curl("plain.test", port="plain", scheme="http", cert=p.zone_leaf)
    life.assert_refused(r, 403, "no-tls", leaf=None, vhost="plain.test")
    # TLS vhosts of the same server are unaffected.
    life.assert_served(c.curl("zone.test", cert=p.zone_leaf), "zone.test")
    # The same warning on a cold start (last test of the module: a new parent is fine).
    life.server.stop()
    mark = life.server.log.mark()
    life.server.start()
    warn = life.server.log.wait_for(r"CFAOP00004: .*plain\.test", since=mark)
    assert warn, life.server.log.lines(mark)
    life.assert_refused(c.curl("plain.test", port="plain", scheme="http"), 403, "no-tls",
                        leaf=None, vhost="plain.test")


@pytest.mark.log_allows(r"CFAOP00004: ")
def test_report_mode_without_tls_says_it_serves(server_factory, pki):
    """Report mode on a non-TLS vhost: CFAOP00004 says its requests are served, and they are."""
    env = server_factory("plain-report", [
        Site("zone.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"]),
        Site("plain.test", ["CFAOPEngine on", "CFAOPMode report"], port="plain", ssl=False,
             protected=False)], port_names=("main", "plain"))
    warn = env.server.log.wait_for(r"CFAOP00004: .*plain\.test")
    assert warn and "report mode serves its requests and logs each as one it would refuse " \
        "(reason no-tls)" in warn[0], warn
    assert "refused with 403" not in warn[0] and ":0)" not in warn[0], warn[0]
    r = env.client.curl("plain.test", port="plain", scheme="http")
    assert r.status == 200 and env.site("plain.test").marker in r.body, r
    assert r.var("CFAOP_VERIFY") == "NONE" and r.var("CFAOP_VERIFY_ERROR") == "no-tls", r
    env.stop()
