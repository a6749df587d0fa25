"""Server-level directives are inherited by vhosts and overridden per directive;
hostname rules are inherited and overridden one hostname at a time."""
import pytest

from harness.conf import Site


@pytest.fixture(scope="module")
def inh(server_factory, pki):
    server_level = [
        "CFAOPEngine on",
        f"CFAOPCACertificateFile {pki.zone_ca.cert_path}",
        f"CFAOPHostnamePin h.inh.test sha256:{pki.host_leaf.sha256_hex}",
        f"CFAOPHostnamePin k.inh.test sha256:{pki.host_leaf.sha256_hex}",
    ]
    sites = [
        # Inherits everything; its own rule for k.inh.test replaces the inherited one.
        Site("a.inh.test", [f"CFAOPHostnameCACertificateFile k.inh.test {pki.zone_ca.cert_path}"],
             aliases=["h.inh.test", "k.inh.test"]),
        Site("b.inh.test", [f"CFAOPCACertificateFile {pki.cf_ca.cert_path}"]),
        Site("c.inh.test", ["CFAOPEngine off"], protected=False),
        Site("d.inh.test", ["CFAOPMode report"], protected=False),
    ]
    env = server_factory("inherit", sites, global_lines=server_level)
    yield env
    env.stop()


def test_vhost_inherits_engine_and_anchors(inh):
    """A vhost without CFAOP directives enforces the server-level CA."""
    p, c = inh.pki, inh.client
    inh.assert_served(c.curl("a.inh.test", cert=p.zone_leaf), "a.inh.test")
    inh.assert_refused(c.curl("a.inh.test", cert=p.host_leaf), 403, "untrusted",
                       leaf=p.host_leaf, vhost="a.inh.test")


def test_inherited_hostname_rule(inh):
    """h.inh.test is judged by the server-level hostname pin."""
    p, c = inh.pki, inh.client
    inh.assert_served(c.curl("h.inh.test", cert=p.host_leaf), "a.inh.test", scope="hostname",
                      hostname="h.inh.test")
    inh.assert_refused(c.curl("h.inh.test", cert=p.zone_leaf), 403, "pin-mismatch",
                       leaf=p.zone_leaf, vhost="a.inh.test", hostname="h.inh.test",
                       scope="hostname")


def test_vhost_hostname_rule_replaces_inherited_one(inh):
    """k.inh.test uses only the vhost's own rule (zone CA), not the inherited pin: the zone leaf passes."""
    p, c = inh.pki, inh.client
    inh.assert_served(c.curl("k.inh.test", cert=p.zone_leaf), "a.inh.test", scope="hostname",
                      hostname="k.inh.test")
    inh.assert_refused(c.curl("k.inh.test", cert=p.host_leaf), 403, "untrusted",
                       leaf=p.host_leaf, vhost="a.inh.test", hostname="k.inh.test",
                       scope="hostname")


def test_vhost_overrides_anchors(inh):
    """A vhost's own CFAOPCACertificateFile replaces the server-level anchors."""
    p, c = inh.pki, inh.client
    inh.assert_served(c.curl("b.inh.test", cert=p.cf_leaf), "b.inh.test")
    inh.assert_refused(c.curl("b.inh.test", cert=p.zone_leaf), 403, "untrusted",
                       leaf=p.zone_leaf, vhost="b.inh.test")


def test_vhost_switches_engine_off(inh):
    """CFAOPEngine off in a vhost: served without a certificate, no variables set."""
    r = inh.client.curl("c.inh.test")
    assert r.status == 200 and inh.site("c.inh.test").marker in r.body, r
    assert r.var("CFAOP_VERIFY") is None, r


def test_vhost_overrides_mode_keeps_anchors(inh):
    """CFAOPMode report in a vhost keeps the inherited CA: a failing client is served and flagged."""
    r = inh.client.curl("d.inh.test", cert=inh.pki.expired)
    assert r.status == 200 and inh.site("d.inh.test").marker in r.body, r
    assert (r.var("CFAOP_VERIFY"), r.var("CFAOP_VERIFY_ERROR")) == ("FAILED", "expired"), r
    r = inh.client.curl("d.inh.test", cert=inh.pki.zone_leaf)
    assert r.var("CFAOP_VERIFY") == "SUCCESS", r
