"""Weak client certificates: one security level in every verification path.

A SHA-1-signed leaf and an RSA-1024 leaf, both issued by a trusted CA, are
refused by OpenSSL's security level in a TLS handshake. mod_cfaop also
verifies at request time (hostname policies, resumed sessions) and remembers
successes per process: every one of those paths must refuse them too, and
nothing a weaker check accepted may be remembered. One child process, so
that what one request leaves behind is what the next one finds.
"""
import os

import pytest

from harness.conf import Site

WEAK = ["weak_sha1", "weak_rsa1024"]


@pytest.fixture(scope="module")
def weak(server_factory, pki):
    zone = f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"
    sites = [
        Site("wz.test", ["CFAOPEngine on", zone]),
        # The zone trusts another CA; the hostname trusts the weak leaves' CA,
        # so only the request-time check can see them chain.
        Site("wh.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.cf_ca.cert_path}",
                         f"CFAOPHostnameCACertificateFile h.wh.test {pki.zone_ca.cert_path}"],
             aliases=["h.wh.test"]),
    ]
    one_child = ["StartServers 1", "ServerLimit 1", "ThreadsPerChild 25",
                 "MaxRequestWorkers 25", "MinSpareThreads 1", "MaxSpareThreads 25"]
    env = server_factory("weak", sites, global_lines=one_child)
    yield env
    env.stop()


def _refused_untrusted(env, resp, cert, vhost, hostname, scope):
    env.assert_refused(resp, 403, "untrusted", leaf=cert, vhost=vhost, hostname=hostname,
                       scope=scope)


@pytest.mark.parametrize("name", WEAK)
def test_weak_leaf_refused_in_every_path(weak, name):
    """Fresh handshake, hostname policy, then fresh handshake again: refused each time."""
    cert = weak.pki.certs[name]
    c = weak.client
    for tls in ("1.2", "1.3"):
        _refused_untrusted(weak, c.curl("wz.test", cert=cert, tls=tls, seclevel=0), cert,
                           "wz.test", "wz.test", "zone")
        # Request-time verification against the hostname policy's store.
        _refused_untrusted(weak, c.curl("h.wh.test", cert=cert, tls=tls, seclevel=0), cert,
                           "wh.test", "h.wh.test", "hostname")
        _refused_untrusted(weak, c.curl("h.wh.test", cert=cert, tls=tls, seclevel=0,
                                        http2=True), cert, "wh.test", "h.wh.test",
                           "hostname")
        # Nothing was remembered: the zone handshake still refuses it.
        _refused_untrusted(weak, c.curl("wz.test", cert=cert, tls=tls, seclevel=0), cert,
                           "wz.test", "wz.test", "zone")


@pytest.mark.parametrize("name", WEAK)
@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_weak_leaf_refused_on_resumed_session(weak, name, tls, tmp_path):
    """A session from a refused handshake, resumed: judged again at the same level, refused."""
    cert = weak.pki.certs[name]
    sess = os.path.join(weak.server.root, f"weak-{name}-{tls}.sess")
    first = weak.client.s_client("wz.test", host="wz.test", cert=cert, tls=tls,
                                 sess_out=sess, seclevel=0)
    _refused_untrusted(weak, first, cert, "wz.test", "wz.test", "zone")
    again = weak.client.s_client("wz.test", host="wz.test", cert=cert, tls=tls,
                                 sess_in=sess, seclevel=0)
    assert again.reused, again.raw[-2000:]
    _refused_untrusted(weak, again, cert, "wz.test", "wz.test", "zone")


def test_strong_leaf_of_the_same_ca_is_served(weak):
    """Control: the CA's ordinary leaf passes each path, so the refusals above are the level's."""
    c, leaf = weak.client, weak.pki.zone_leaf
    weak.assert_served(c.curl("wz.test", cert=leaf), "wz.test")
    r = c.curl("h.wh.test", cert=leaf)
    weak.assert_served(r, "wh.test", scope="hostname", hostname="h.wh.test")
