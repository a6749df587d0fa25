"""Attacks on protected vhosts: each one is refused and never sees the vhost's marker.

The global invariant (no protected body without a valid certificate) is also
checked inside every client call; these tests add the exact status, reason,
variables and the single CFAOP00016 log line.
"""
import pytest

from harness.client import rejections
from harness.settings import HTTP_VERSIONS, TLS_VERSIONS


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_no_certificate(main, http2, tls):
    """A client without a certificate gets 403 no-certificate."""
    r = main.client.curl("zone.test", http2=http2, tls=tls)
    main.assert_refused(r, 403, "no-certificate", leaf=None, vhost="zone.test")


# (certificate, vhost, reason): certificates that must not open the vhost.
BAD_CERTS = [
    ("foreign_leaf", "zone.test", "untrusted"),
    # Same subject as the trusted leaf, issued by a foreign CA.
    ("subject_copy", "zone.test", "untrusted"),
    ("subject_copy", "pin-sha.test", "pin-mismatch"),
    ("subject_copy", "pin-file.test", "untrusted"),
    # A self-signed CA with the trusted CA's subject, sent alone and as a chain under its leaf.
    ("fake_zone_ca", "zone.test", "untrusted"),
    ("fake_zone_leaf", "zone.test", "untrusted"),
    ("fake_zone_leaf", "app.zone.test", "untrusted"),
    ("expired", "zone.test", "expired"),
    ("not_yet_valid", "zone.test", "not-yet-valid"),
    ("expired", "pin-sha.test", "expired"),
    # Valid certificates of the right CA, but not the pinned one.
    ("zone_leaf2", "pin-sha.test", "pin-mismatch"),
    ("zone_leaf2", "pin.zone.test", "pin-mismatch"),
    # Purpose sslclient: a leaf for servers only is untrusted for client auth.
    ("server_auth_only", "zone.test", "untrusted"),
    ("foreign_leaf", "dflt.test", "untrusted"),
]


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("cert,hostname,reason", BAD_CERTS)
def test_bad_certificate_refused(main, cert, hostname, reason, http2):
    """Each wrong certificate gets 403 with its reason, CFAOP_VERIFY=FAILED and one log line."""
    leaf = main.pki.certs[cert]
    port = "alt" if hostname == "dflt.test" else "main"
    r = main.client.curl(hostname, cert=leaf, http2=http2, port=port)
    vhost = "zone.test" if hostname.endswith(".zone.test") else hostname
    scope = "hostname" if hostname in ("app.zone.test", "pin.zone.test") else "zone"
    main.assert_refused(r, 403, reason, leaf=leaf, vhost=vhost, hostname=hostname, scope=scope)


def test_certificates_alike_are_told_apart(main):
    """A process remembers what a certificate says by its whole DER. The pinned leaf, its
    re-issue with the same key and subject, and a copy of its subject under a foreign CA,
    sent in turn many times (so that every process meets each one after the others), are
    each judged as themselves, with their own digest in the variables."""
    p = main.pki
    leaf, rekey, copy = p.certs["zone_leaf"], p.certs["zone_leaf_rekey"], p.certs["subject_copy"]
    for _ in range(8):
        for cert in (leaf, rekey, copy):
            r = main.client.curl("pin-sha.test", cert=cert)
            if cert is leaf:
                main.assert_served(r, "pin-sha.test")
            else:
                main.assert_refused(r, 403, "pin-mismatch", leaf=cert, vhost="pin-sha.test")
            assert r.var("CFAOP_CLIENT_SHA256") == cert.sha256_hex, r
            assert r.var("CFAOP_CLIENT_I_DN") == cert.issuer_dn, r
            r = main.client.curl("zone.test", cert=cert)
            if cert is copy:
                main.assert_refused(r, 403, "untrusted", leaf=cert, vhost="zone.test")
            else:
                main.assert_served(r, "zone.test")
            assert r.var("CFAOP_CLIENT_SHA256") == cert.sha256_hex, r


# -- SNI != Host ---------------------------------------------------------------------

@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_sni_of_unprotected_vhost_host_of_protected(main, http2):
    """SNI open.test (no certificate requested) + Host zone.test: 421 misdirected."""
    r = main.client.curl("open.test", host="zone.test", cert=main.pki.zone_leaf, http2=http2)
    main.assert_refused(r, 421, "misdirected", leaf=None, vhost="zone.test")


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("sni,cert,host", [
    ("zone.test", "zone_leaf", "cf.test"),
    ("cf.test", "cf_leaf", "zone.test"),
    ("app.zone.test", "host_leaf", "cf.test"),
])
def test_sni_of_protected_vhost_host_of_other_policy(main, sni, cert, host, http2):
    """SNI of protected vhost A with A's certificate + Host of vhost B with another policy: 421."""
    leaf = main.pki.certs[cert]
    r = main.client.curl(sni, host=host, cert=leaf, http2=http2)
    main.assert_refused(r, 421, "misdirected", leaf=leaf, vhost=host)


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_sni_host_mismatch_allowed_when_certificate_satisfies_both(main, http2):
    """Control: SNI zone.test + Host cfplus.test (which also trusts the zone CA) is served."""
    r = main.client.curl("zone.test", host="cfplus.test", cert=main.pki.zone_leaf, http2=http2)
    main.assert_served(r, "cfplus.test")


# -- No SNI --------------------------------------------------------------------------

@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_no_sni_openssl(main, tls):
    """openssl s_client without SNI (default vhost is unprotected) + Host zone.test: 421."""
    r = main.client.s_client(None, host="zone.test", cert=main.pki.zone_leaf, tls=tls)
    main.assert_refused(r, 421, "misdirected", leaf=None, vhost="zone.test")


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_no_sni_curl_to_ip(main, http2):
    """curl to https://127.0.0.1 (no SNI) + Host zone.test: 421."""
    r = main.client.curl(None, host="zone.test", cert=main.pki.zone_leaf, http2=http2)
    main.assert_refused(r, 421, "misdirected", leaf=None, vhost="zone.test")


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_no_sni_protected_default_vhost(main, http2):
    """No SNI on a port whose default vhost is protected: its certificate passes, none is 403 (not 421)."""
    c, p = main.client, main.pki
    main.assert_served(c.curl(None, host="dflt.test", cert=p.zone_leaf, http2=http2, port="alt"),
                       "dflt.test")
    r = c.curl(None, host="dflt.test", http2=http2, port="alt")
    main.assert_refused(r, 403, "no-certificate", leaf=None, vhost="dflt.test")


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_no_sni_non_default_vhost(main, http2):
    """No SNI + Host of a non-default vhost: 421 unless the certificate satisfies that vhost's policy."""
    c, p = main.client, main.pki
    r = c.curl(None, host="alt.test", cert=p.zone_leaf, http2=http2, port="alt")
    main.assert_refused(r, 421, "misdirected", leaf=p.zone_leaf, vhost="alt.test")
    main.assert_served(c.curl(None, host="alt.test", cert=p.cf_leaf, http2=http2, port="alt"),
                       "alt.test")


# -- Every request of a connection -------------------------------------------------------

@pytest.mark.parametrize("tls", TLS_VERSIONS)
@pytest.mark.parametrize("cert,reason", [(None, "no-certificate"), ("expired", "expired"),
                                         ("foreign_leaf", "untrusted")])
def test_keepalive_after_refusal_serves_nothing(main, tls, cert, reason):
    """Keep-alive after a refusal: later requests on the connection are refused too or find it closed."""
    leaf = main.pki.certs[cert] if cert else None
    rs = main.client.keepalive("zone.test", [("zone.test", "/")] * 3, cert=leaf, tls=tls)
    assert rs, "no response at all"
    for r in rs:
        assert r.status == 403 and r.var("CFAOP_VERIFY_ERROR") == reason, r
    assert len(rejections(main.server, rs[0], "zone.test")) == len(rs)


@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_keepalive_host_switch(main, tls):
    """One HTTP/1.1 connection (SNI zone.test, zone leaf): zone.test served twice, then Host cf.test gets 421."""
    p = main.pki
    rs = main.client.keepalive(
        "zone.test", [("zone.test", "/"), ("zone.test", "/"), ("cf.test", "/")],
        cert=p.zone_leaf, tls=tls)
    assert len(rs) == 3, rs
    main.assert_served(rs[0], "zone.test")
    main.assert_served(rs[1], "zone.test")
    main.assert_refused(rs[2], 421, "misdirected", leaf=p.zone_leaf, vhost="cf.test")
