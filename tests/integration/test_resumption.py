"""TLS session resumption (1.2 session id/ticket, 1.3 PSK ticket) on enabled vhosts.

openssl s_client saves the session (-sess_out) and offers it again (-sess_in);
every test asserts "Reused" (client) and SSL_SESSION_RESUMED=Resumed (server)
where it relies on resumption having happened.
"""
import os

import pytest

from harness.client import conn_log
from harness.settings import TLS_VERSIONS


@pytest.fixture
def session(main, tmp_path):
    """session(sni, host, cert, tls) -> file holding a session made by a full handshake."""
    def make(sni, host, cert, tls, port="main"):
        path = str(tmp_path / f"{sni}-{tls}.sess")
        r = main.client.s_client(sni, host=host, cert=cert, tls=tls, sess_out=path, port=port)
        assert r.reused is False and r.headers.get("x-ssl-resumed") == "Initial", r
        assert os.path.getsize(path) > 0
        return path, r
    return make


def assert_resumed(r):
    assert r.reused is True, f"session was not resumed: {r}\n{r.raw[:1500]}"
    assert r.headers.get("x-ssl-resumed") == "Resumed", r


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_resumed_session_is_served_and_judged(main, session, tls):
    """A resumed session with a valid certificate is served, with every variable set from the leaf."""
    p = main.pki
    path, first = session("zone.test", "zone.test", p.zone_leaf, tls)
    main.assert_served(first, "zone.test")
    r = main.client.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls,
                             sess_in=path)
    assert_resumed(r)
    main.assert_served(r, "zone.test")
    assert r.var("CFAOP_CLIENT_SHA256") == p.zone_leaf.sha256_hex
    assert r.var("CFAOP_CLIENT_S_DN") == p.zone_leaf.subject_dn
    assert r.var("CFAOP_CLIENT_I_DN") == p.zone_leaf.issuer_dn
    assert r.var("CFAOP_CLIENT_V_END") == p.zone_leaf.not_after_str
    # Judged at request time (the handshake's verification did not run): one
    # chain result, verified (CFAOP00013) or reused from this process (CFAOP00014).
    at_request = conn_log(main.server, r, "CFAOP00013") + [
        l for l in conn_log(main.server, r, "CFAOP00014") if "for request" in l]
    assert len(at_request) == 1, conn_log(main.server, r)
    assert not conn_log(main.server, r, "CFAOP00010")


@pytest.mark.parametrize("tls", TLS_VERSIONS)
@pytest.mark.parametrize("vhost,port", [("zone.test", "main"), ("dflt.test", "alt")])
def test_resumed_session_of_bad_certificate_stays_refused(main, session, tls, vhost, port):
    """A session negotiated with a foreign certificate is refused again when resumed (SNI vhost and default vhost)."""
    p = main.pki
    path, first = session(vhost, vhost, p.foreign_leaf, tls, port)
    main.assert_refused(first, 403, "untrusted", leaf=p.foreign_leaf, vhost=vhost)
    r = main.client.s_client(vhost, host=vhost, cert=p.foreign_leaf, tls=tls, sess_in=path,
                             port=port)
    assert_resumed(r)
    main.assert_refused(r, 403, "untrusted", leaf=p.foreign_leaf, vhost=vhost)


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_resumed_session_with_host_of_other_vhost(main, session, tls):
    """A resumed zone.test session asking for Host cf.test (other policy) gets 421."""
    p = main.pki
    path, _ = session("zone.test", "zone.test", p.zone_leaf, tls)
    r = main.client.s_client("zone.test", host="cf.test", cert=p.zone_leaf, tls=tls,
                             sess_in=path)
    assert_resumed(r)
    main.assert_refused(r, 421, "misdirected", leaf=p.zone_leaf, vhost="cf.test")


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_session_offered_to_other_vhost_does_not_get_through(main, session, tls):
    """A zone.test session offered with SNI cf.test (other policy) does not open cf.test."""
    p = main.pki
    path, _ = session("zone.test", "zone.test", p.zone_leaf, tls)
    r = main.client.s_client("cf.test", host="cf.test", cert=p.zone_leaf, tls=tls, sess_in=path)
    # Resumed or not (mod_ssl binds sessions to the vhost), the zone leaf must not pass.
    main.assert_refused(r, 403, "untrusted", leaf=p.zone_leaf, vhost="cf.test")


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_resumed_intermediate_leaf_with_intermediate_anchor(main, session, tls):
    """After resumption the chain is gone: a leaf under an intermediate passes when the intermediate is an anchor."""
    p = main.pki
    path, first = session("inter.test", "inter.test", p.inter_leaf, tls)
    main.assert_served(first, "inter.test")
    r = main.client.s_client("inter.test", host="inter.test", cert=p.inter_leaf, tls=tls,
                             sess_in=path)
    assert_resumed(r)
    main.assert_served(r, "inter.test")


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_resumed_intermediate_leaf_with_only_root_anchor_fails_closed(main, session, tls):
    """With only the root as anchor the resumed leaf cannot be chained (intermediate not in the CA file): refused."""
    p = main.pki
    path, first = session("interroot.test", "interroot.test", p.inter_leaf, tls)
    main.assert_served(first, "interroot.test")
    r = main.client.s_client("interroot.test", host="interroot.test", cert=p.inter_leaf,
                             tls=tls, sess_in=path)
    assert_resumed(r)
    main.assert_refused(r, 403, "untrusted", leaf=p.inter_leaf, vhost="interroot.test")


def test_one_ticket_when_a_ticket_carries_a_client_certificate(main):
    """TLS 1.3: one session ticket after a handshake with a client certificate, OpenSSL's two without.

    Each ticket holds the certificate and costs the server a decoding of it;
    one is what the client's next connection needs, and that one brings a new one."""
    p = main.pki
    r = main.client.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls="1.3")
    main.assert_served(r, "zone.test")
    assert r.raw.count("NewSessionTicket") == 1, r.raw
    r = main.client.s_client("open.test", host="open.test", tls="1.3")
    assert r.status == 200, r
    assert r.raw.count("NewSessionTicket") == 2, r.raw
    # A refused certificate is no different: the ticket holds it all the same.
    r = main.client.s_client("zone.test", host="zone.test", cert=p.foreign_leaf, tls="1.3")
    main.assert_refused(r, 403, "untrusted", leaf=p.foreign_leaf, vhost="zone.test")
    assert r.raw.count("NewSessionTicket") == 1, r.raw
