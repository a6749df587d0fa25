"""The CFAOP_* variables, checked against the certificates this run generated."""
import re

import pytest

from harness.settings import HTTP_VERSIONS

CLIENT_VARS = ["CFAOP_CLIENT_SHA256", "CFAOP_CLIENT_S_DN", "CFAOP_CLIENT_I_DN",
               "CFAOP_CLIENT_V_END"]


def assert_client_vars(r, cert):
    got = {v: r.var(v) for v in CLIENT_VARS}
    assert got == {
        "CFAOP_CLIENT_SHA256": cert.sha256_hex,   # SHA-256 of the leaf DER, lowercase hex
        "CFAOP_CLIENT_S_DN": cert.subject_dn,      # RFC 2253 (escaped comma in O)
        "CFAOP_CLIENT_I_DN": cert.issuer_dn,
        "CFAOP_CLIENT_V_END": cert.not_after_str,  # e.g. "Nov  1 17:00:00 2029 GMT"
    }, r


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_variables_of_accepted_zone_certificate(main, http2):
    """SUCCESS, no error, scope zone, and the leaf's digest, DNs and notAfter."""
    p = main.pki
    r = main.client.curl("zone.test", cert=p.zone_leaf, http2=http2)
    main.assert_served(r, "zone.test")
    assert_client_vars(r, p.zone_leaf)
    # The zone leaf expires on the 1st of a month: the day is padded with a space.
    assert re.fullmatch(r"[A-Z][a-z]{2}  1 17:00:00 \d{4} GMT", r.var("CFAOP_CLIENT_V_END"))
    assert "\\," in r.var("CFAOP_CLIENT_S_DN")


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_variables_of_accepted_hostname_certificate(main, http2):
    """Scope hostname, and the hostname leaf's values (issuer: the hostname CA)."""
    p = main.pki
    r = main.client.curl("app.zone.test", cert=p.host_leaf, http2=http2)
    main.assert_served(r, "zone.test", scope="hostname", hostname="app.zone.test")
    assert_client_vars(r, p.host_leaf)


def test_variables_of_leaf_under_intermediate(main):
    """The issuer DN is the intermediate's subject, the digest that of the leaf (not the chain)."""
    r = main.client.curl("inter.test", cert=main.pki.inter_leaf)
    main.assert_served(r, "inter.test")
    assert_client_vars(r, main.pki.inter_leaf)


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_variables_without_certificate(main, http2):
    """NONE / no-certificate, and no client variables at all."""
    r = main.client.curl("zone.test", http2=http2)
    main.assert_refused(r, 403, "no-certificate", leaf=None, vhost="zone.test")
    assert all(r.var(v) is None for v in CLIENT_VARS), r


@pytest.mark.parametrize("cert,reason", [("expired", "expired"), ("not_yet_valid", "not-yet-valid"),
                                         ("foreign_leaf", "untrusted")])
def test_variables_of_refused_certificate(main, cert, reason):
    """A refused certificate still has its variables set (FAILED, reason, its digest and names)."""
    leaf = main.pki.certs[cert]
    r = main.client.curl("zone.test", cert=leaf)
    main.assert_refused(r, 403, reason, leaf=leaf, vhost="zone.test")
    assert_client_vars(r, leaf)
