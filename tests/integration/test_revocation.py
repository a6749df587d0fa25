"""Trust hygiene: CRLs, anchors that cannot be right, algorithms OpenSSL cannot verify.

A revoked leaf and a leaf under a revoked intermediate are refused with reason
`revoked` on fresh handshakes, resumed sessions, keep-alive requests and HTTP/2
streams, at zone and hostname level; a graceful restart with a new CRL takes
effect at once. configtest refuses a CRL no anchor signed and Cloudflare's
Origin CA roots as anchors, and warns about a CRL past its nextUpdate and an
anchor of the system trust store. A chain through an ML-DSA CA (which OpenSSL
3.0 cannot verify) is refused with `unsupported-algorithm`, never `untrusted`.
"""
import datetime
import glob
import json
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from harness.conf import Site
from harness.pki import _name, mldsa_certificate
from harness.settings import APACHE_BIN, APACHE_ENV, server_openssl

DAY = datetime.timedelta(days=1)
ORIGIN_CA_ROOTS = os.path.join(os.path.dirname(__file__), "..", "..", "data",
                               "cloudflare-origin-ca-roots.pem")


def write_crl(path, issuer, revoked=(), next_update=None, last_update=None):
    now = datetime.datetime.utcnow().replace(microsecond=0)
    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(issuer.cert.subject)
         .last_update(last_update or now - DAY)
         .next_update(next_update or now + 7 * DAY))
    for c in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(c.cert.serial_number)
            .revocation_date(now - DAY).build())
    crl = b.sign(issuer.key, hashes.SHA256())
    with open(path, "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))
    os.chmod(path, 0o644)
    return path


def concat(path, *parts):
    with open(path, "w") as out:
        for p in parts:
            out.write(open(p).read())
    os.chmod(path, 0o644)
    return path


class Rev:
    """The revocation PKI: root -> inter -> leaves; root -> inter2 (revoked) -> leaf."""

    def __init__(self, pki):
        d = pki.dir
        self.root = pki.issue("rv_root", _name("Revocation Root CA", "Rev, Inc."), ca=True)
        self.inter = pki.issue("rv_inter", _name("Revocation Inter CA", "Rev, Inc."),
                               self.root, ca=True)
        self.inter2 = pki.issue("rv_inter2", _name("Revoked Inter CA", "Rev, Inc."),
                                self.root, ca=True)
        self.good = pki.issue("rv_good", _name("good", "Rev, Inc."), self.inter)
        self.good2 = pki.issue("rv_good2", _name("good 2", "Rev, Inc."), self.inter)
        self.revoked = pki.issue("rv_revoked", _name("revoked", "Rev, Inc."), self.inter,
                                 attack=True)
        self.under_revoked = pki.issue("rv_under", _name("under revoked", "Rev, Inc."),
                                       self.inter2, attack=True)
        self.anchors = concat(os.path.join(d, "rv_anchors.pem"), self.root.cert_path,
                              self.inter.cert_path, self.inter2.cert_path)
        root_crl = write_crl(os.path.join(d, "rv_root.crl"), self.root, [self.inter2])
        inter_crl = write_crl(os.path.join(d, "rv_inter.crl"), self.inter, [self.revoked])
        self.crls = concat(os.path.join(d, "rv_all.crl"), root_crl, inter_crl)
        # The next generation also revokes good2.
        inter_crl2 = write_crl(os.path.join(d, "rv_inter_next.crl"), self.inter,
                               [self.revoked, self.good2])
        self.crls_next = concat(os.path.join(d, "rv_all_next.crl"), root_crl, inter_crl2)
        now = datetime.datetime.utcnow()
        self.expired_crl = write_crl(os.path.join(d, "rv_expired.crl"), self.inter,
                                     next_update=now - 2 * DAY,
                                     last_update=now - 10 * DAY)
        foreign = pki.issue("rv_foreign_ca", _name("Foreign CRL CA", "Mallory Ltd"), ca=True)
        self.foreign_crl = write_crl(os.path.join(d, "rv_foreign.crl"), foreign)


@pytest.fixture(scope="module")
def rev(pki):
    return Rev(pki)


def rv_sites(rev, crls):
    rules = [f"CFAOPCACertificateFile {rev.anchors}", f"CFAOPCARevocationFile {crls}"]
    return [Site("rv.test", ["CFAOPEngine on"] + rules + [
        f"CFAOPHostnameCACertificateFile h.rv.test {rev.anchors}",
        f"CFAOPHostnameCARevocationFile h.rv.test {crls}",
        "<Location /cfaop-status>", "  SetHandler cfaop-status", "  Require local",
        "</Location>"], aliases=["h.rv.test"])]


@pytest.fixture(scope="module")
def rv(server_factory, pki, rev):
    env = server_factory("revocation", rv_sites(rev, rev.crls),
                         global_lines=[f"SSLSessionTicketKeyFile {ticket_key(pki)}"])
    yield env
    env.stop()


def ticket_key(pki):
    path = os.path.join(pki.dir, "rv_ticket.key")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(os.urandom(80))
        os.chmod(path, 0o644)
    return path


HOSTS = [("rv.test", "zone"), ("h.rv.test", "hostname")]


@pytest.mark.parametrize("host,scope", HOSTS)
@pytest.mark.parametrize("http2", [False, True])
@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_revoked_leaf_and_intermediate_refused(rv, rev, host, scope, tls, http2):
    rv.assert_served(rv.client.curl(host, cert=rev.good, tls=tls, http2=http2), "rv.test",
                     scope=scope, hostname=host)
    for cert in (rev.revoked, rev.under_revoked):
        r = rv.client.curl(host, cert=cert, tls=tls, http2=http2)
        rv.assert_refused(r, 403, "revoked", leaf=cert, vhost="rv.test", hostname=host,
                          scope=scope)
        assert "certificate revoked" in r.headers.get("x-ssl-client-verify", ""), r


@pytest.mark.parametrize("host,scope", HOSTS)
def test_revoked_on_keepalive_and_h2_streams(rv, rev, host, scope):
    """Several requests on one connection: each one refused."""
    out = rv.client.keepalive(host, [(host, "/"), (host, "/")], cert=rev.revoked, tls="1.2")
    assert out and all(o.status == 403 and o.var("CFAOP_VERIFY_ERROR") == "revoked"
                       for o in out), out
    out = rv.client.h2(host, [(host, "/"), (host, "/index.html")], cert=rev.revoked)
    assert [o.status for o in out] == [403, 403], out
    assert all(o.var("CFAOP_VERIFY_ERROR") == "revoked" for o in out), out


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_revoked_on_resumed_session(rv, rev, tls):
    sess = os.path.join(rv.server.root, f"rv-{tls}.sess")
    first = rv.client.s_client("rv.test", host="rv.test", cert=rev.revoked, tls=tls,
                               sess_out=sess)
    rv.assert_refused(first, 403, "revoked", leaf=rev.revoked, vhost="rv.test")
    again = rv.client.s_client("rv.test", host="rv.test", cert=rev.revoked, tls=tls,
                               sess_in=sess)
    assert again.reused, again.raw[-1500:]
    rv.assert_refused(again, 403, "revoked", leaf=rev.revoked, vhost="rv.test")


def test_graceful_with_a_new_crl_takes_effect_at_once(rv, rev):
    """good2 passes, then the CRL revoking it is loaded: refused at once, also on a
    session resumed with a ticket from before the restart (the ticket key is kept)."""
    sess = os.path.join(rv.server.root, "rv-graceful.sess")
    first = rv.client.s_client("rv.test", host="rv.test", cert=rev.good2, tls="1.3",
                               sess_out=sess)
    assert first.status == 200, first
    rv.server.install(rv_sites(rev, rev.crls_next), rv.server.global_lines)
    try:
        assert rv.server.graceful().returncode == 0
        r = rv.client.curl("rv.test", cert=rev.good2)
        rv.assert_refused(r, 403, "revoked", leaf=rev.good2, vhost="rv.test")
        again = rv.client.s_client("rv.test", host="rv.test", cert=rev.good2, tls="1.3",
                                   sess_in=sess)
        assert again.reused, "not resumed across the restart, the test proves nothing: " \
            + again.raw[-1500:]
        rv.assert_refused(again, 403, "revoked", leaf=rev.good2, vhost="rv.test")
    finally:
        rv.server.install(rv_sites(rev, rev.crls), rv.server.global_lines)
        assert rv.server.graceful().returncode == 0


def test_status_shows_the_crls(rv, rev):
    r = rv.client.curl("rv.test", path="/cfaop-status", cert=rev.good)
    doc = json.loads(r.body)
    crls = [c for p in doc["policies"].values() for c in p["crls"]]
    issuers = sorted(c["issuer"] for c in crls)
    assert issuers == sorted([rev.inter.subject_dn, rev.root.subject_dn]), crls
    assert all(c["source"] == rev.crls and not c["expired"] and c["days_left"] >= 6
               for c in crls), crls
    prom = rv.client.curl("rv.test", path="/cfaop-status?format=prometheus",
                          cert=rev.good).body
    assert prom.count("cfaop_crl_next_update_timestamp_seconds{") == 2, prom


# -- configtest ---------------------------------------------------------------------

def configtest(server_factory, name, lines):
    env = server_factory(name, [Site("zone.test", lines)], start=False)
    return subprocess.run([APACHE_BIN, "-d", env.server.root, "-f", env.server.conf_path,
                           "-t"], capture_output=True, text=True, timeout=60, env=APACHE_ENV)


def test_configtest_refuses_a_crl_no_anchor_signed(server_factory, rev):
    r = configtest(server_factory, "rv-ct-foreign",
                   ["CFAOPEngine on", f"CFAOPCACertificateFile {rev.anchors}",
                    f"CFAOPCARevocationFile {rev.foreign_crl}"])
    assert r.returncode != 0, r.stderr
    assert f"{rev.foreign_crl} (line " in r.stderr and "not issued and signed by a trust " \
        "anchor" in r.stderr, r.stderr


def test_configtest_warns_about_a_crl_past_its_next_update(server_factory, rev):
    r = configtest(server_factory, "rv-ct-expired",
                   ["CFAOPEngine on", f"CFAOPCACertificateFile {rev.anchors}",
                    f"CFAOPCARevocationFile {rev.expired_crl}"])
    assert r.returncode == 0 and "Syntax OK" in r.stderr, r.stderr
    warn = [l for l in r.stderr.splitlines() if "CFAOP00023" in l]
    assert len(warn) == 1 and rev.expired_crl in warn[0] and "nextUpdate" in warn[0], r.stderr


def test_configtest_refuses_cloudflare_origin_ca_roots(server_factory):
    r = configtest(server_factory, "rv-ct-originca",
                   ["CFAOPEngine on", f"CFAOPCACertificateFile {os.path.abspath(ORIGIN_CA_ROOTS)}"])
    assert r.returncode != 0, r.stderr
    assert "Cloudflare Origin CA root" in r.stderr and "server certificates" in r.stderr \
        and "origin-pull" in r.stderr, r.stderr


def test_configtest_warns_about_an_anchor_in_the_system_store(server_factory, pki):
    public = sorted(glob.glob("/etc/ssl/certs/ISRG_Root_X1.pem")
                    or glob.glob("/etc/ssl/certs/*.pem"))[0]
    r = configtest(server_factory, "rv-ct-public",
                   ["CFAOPEngine on", f"CFAOPCACertificateFile {public}"])
    assert r.returncode == 0, r.stderr
    warn = [l for l in r.stderr.splitlines() if "CFAOP00022" in l]
    assert len(warn) == 1 and "system's trust store" in warn[0], r.stderr
    # Control: the test's own CA is not public.
    r = configtest(server_factory, "rv-ct-private",
                   ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"])
    assert "CFAOP00022" not in r.stderr, r.stderr


# -- algorithms this OpenSSL cannot verify --------------------------------------------


def test_ml_dsa_chain_is_unsupported_not_untrusted(server_factory, pki):
    """An ML-DSA CA and a leaf it signed: OpenSSL before 3.5 cannot verify the signature,
    and the reason says so (in the variable, the log and SSL_CLIENT_VERIFY). An OpenSSL
    that knows ML-DSA verifies it, and finds the signature broken: the test makes the
    chain by re-encoding P-256 certificates, as OpenSSL 3.0 cannot sign with ML-DSA."""
    ca = pki.issue("mldsa_ca", _name("ML-DSA CA", "PQ, Inc."), ca=True)
    leaf = pki.issue("mldsa_leaf", _name("ml-dsa leaf", "PQ, Inc."), ca, attack=True)
    ca_pem = mldsa_certificate(ca.cert, key=True).public_bytes(serialization.Encoding.PEM)
    leaf_pem = mldsa_certificate(leaf.cert).public_bytes(serialization.Encoding.PEM)
    with open(ca.cert_path, "wb") as f:
        f.write(ca_pem)
    for path in (leaf.cert_path, leaf.chain_path):
        with open(path, "wb") as f:
            f.write(leaf_pem)
    openssl, _ = server_openssl()
    assert openssl, "which OpenSSL the server loads is unknown"
    env = server_factory("mldsa", [Site("zone.test", ["CFAOPEngine on",
                                                      f"CFAOPCACertificateFile {ca.cert_path}"])])
    for http2 in (False, True):
        # The client's own OpenSSL does not know the algorithm either: level 0
        # lets it send the certificate all the same.
        r = env.client.curl("zone.test", cert=leaf, http2=http2, seclevel=0)
        lines = [l for l in env.log.client_lines(r.client_port, r.log_mark) if "CFAOP00016" in l]
        if openssl >= (3, 5):
            assert r.status == 403 and r.var("CFAOP_VERIFY_ERROR") == "untrusted", r
            assert lines and "reason=untrusted" in lines[0], lines
            continue
        assert r.status == 403 and r.var("CFAOP_VERIFY_ERROR") == "unsupported-algorithm", r
        assert lines and "reason=unsupported-algorithm" in lines[0] \
            and "ML-DSA-44 is not supported by OpenSSL" in lines[0] \
            and "it needs OpenSSL 3.5" in lines[0], lines
    env.stop()
