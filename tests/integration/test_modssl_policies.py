"""mod_ssl's own client authentication next to mod_cfaop: mod_ssl decides alone.

mod_cfaop asks for the client certificate in the handshakes of enabled vhosts and
verifies it against its own policy. mod_ssl's own policies - SSLVerifyClient per
directory, in .htaccess, in another vhost; Require expr on SSL_CLIENT_VERIFY -
must never take that verification for theirs. Each path is attacked with a
self-signed certificate and with a certificate that only mod_cfaop's policy
accepts, over TLS 1.2 (renegotiation), TLS 1.3 (post-handshake authentication)
and HTTP/2, and each is also used by a client that mod_ssl's policy accepts.
The same attacks against mod_ssl alone (no CFAOPEngine) are the control.
"""
import os

import pytest

from harness.client import conn_log
from harness.conf import PROTECTED, Site
from harness.settings import HTTP_VERSIONS, MODSSL_HAS_SNI_POLICY, TLS_VERSIONS

EXPR = "Require expr %{SSL_CLIENT_VERIFY} == 'SUCCESS'"
# What mod_ssl logs when its own policy refuses: failed renegotiation and
# post-handshake authentication, failed verification, and authz denials.
MODSSL_REFUSES = pytest.mark.log_allows(r"AH0226[123]: ", r"AH10158: ", r"AH01630: ",
                                        r"SSL Library Error: ", r"AH02032: ")
# mod_ssl-protected locations of a vhost without mod_cfaop.
MODSSL_LOCATIONS = [
    "<Location /require>", "  SSLVerifyClient require", "</Location>",
    "<Location /optional>", "  SSLVerifyClient optional", f"  {EXPR}", "</Location>",
    "<Location /expr>", f"  {EXPR}", "</Location>",
]
# Files behind mod_ssl's policies: (vhost, directory, .htaccess or None).
PROTECTED_DIRS = [
    ("o.test", "require", None), ("o.test", "optional", None), ("o.test", "expr", None),
    ("o2.test", "require", None), ("o2.test", "optional", None), ("o2.test", "expr", None),
    ("e.test", "ht-require", ["SSLVerifyClient require"]),
    ("e.test", "ht-optional", ["SSLVerifyClient optional", EXPR]),
    ("e.test", "expr", None),
    ("r.test", "ht-require", ["SSLVerifyClient require"]),
    ("r.test", "ht-optional", ["SSLVerifyClient optional", EXPR]),
    ("r.test", "expr", None),
]


def _sites(pki, cfaop: bool):
    """The test vhosts; without `cfaop`, the same vhosts under mod_ssl alone."""
    anchors = [f"CFAOPCACertificateFile {pki.zone_ca.cert_path}",
               f"CFAOPCACertificateFile {pki.modssl_ca.cert_path}"]
    enabled = ["CFAOPEngine on"] + anchors if cfaop else []
    htaccess = ["<Directory @DOCROOT@>", "  AllowOverride AuthConfig", "</Directory>",
                "<Location /expr>", f"  {EXPR}", "</Location>"]
    hostname = [f"CFAOPHostnameCACertificateFile h.e.test {pki.host_ca.cert_path}"] \
        if cfaop else []
    return [
        Site("gate.test", protected=False),
        Site("e.test", enabled + hostname + htaccess, aliases=["h.e.test"], protected=cfaop),
        Site("r.test", enabled + (["CFAOPMode report"] if cfaop else []) + htaccess,
             protected=False),
        Site("o.test", MODSSL_LOCATIONS, protected=False),
        Site("v.test", ["SSLVerifyClient require"]),
        Site("vo.test", ["SSLVerifyClient optional", "<Location />", f"  {EXPR}",
                         "</Location>"]),
        # No SNI: the default vhost of this port is an enabled one.
        Site("ed.test", enabled, port="alt", protected=cfaop),
        Site("o2.test", MODSSL_LOCATIONS, port="alt", protected=False),
        Site("v2.test", ["SSLVerifyClient require"], port="alt"),
    ]


def _make(server_factory, pki, name, cfaop):
    env = server_factory(name, _sites(pki, cfaop), port_names=("main", "alt"),
                         global_lines=[f"SSLCACertificateFile {pki.modssl_ca.cert_path}"],
                         start=False)
    htdocs = os.path.join(env.server.root, "htdocs")
    for vhost, sub, htaccess in PROTECTED_DIRS:
        d = os.path.join(htdocs, vhost, sub)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write(f"{PROTECTED}-modssl-{vhost}-{sub}-MARKER\n")
        if htaccess:
            with open(os.path.join(d, ".htaccess"), "w") as f:
                f.write("\n".join(htaccess) + "\n")
        for p in (d, os.path.join(d, "index.html"), os.path.join(d, ".htaccess")):
            if os.path.exists(p):
                os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
    env.server.start()
    return env


@pytest.fixture(scope="module")
def ms(server_factory, pki):
    env = _make(server_factory, pki, "modssl", cfaop=True)
    yield env
    env.stop()


@pytest.fixture(scope="module")
def alone(server_factory, pki):
    env = _make(server_factory, pki, "modssl-alone", cfaop=False)
    yield env
    env.stop()


def _no_marker(resp):
    assert PROTECTED not in resp.body + resp.raw, f"mod_ssl-protected content served: {resp}"


def _refused(resp, statuses=(403, 421)):
    """Refused by status or by a failed (re)handshake, and no protected content."""
    _no_marker(resp)
    assert resp.status in statuses or (resp.status is None and resp.error), resp


# -- a vhost without mod_cfaop, reached on a connection negotiated for an enabled one ----

# (SNI or None for none, Host, path, port)
FOREIGN = [
    ("e.test", "o.test", "/require/", "main"),     # per-directory SSLVerifyClient require
    ("e.test", "o.test", "/optional/", "main"),    # optional + Require expr SUCCESS
    ("e.test", "o.test", "/expr/", "main"),        # Require expr without SSLVerifyClient
    ("e.test", "v.test", "/", "main"),             # vhost-level SSLVerifyClient require
    ("e.test", "vo.test", "/", "main"),            # vhost-level optional + Require expr
    (None, "o2.test", "/require/", "alt"),         # no SNI, enabled default vhost
    (None, "o2.test", "/optional/", "alt"),
    (None, "v2.test", "/", "alt"),
]
# Vhost-level SSLVerifyClient: an SSL setup unlike the enabled vhost's.
OWN_SSL_SETUP = {"v.test", "vo.test", "v2.test"}


@pytest.mark.log_allows(r"AH02032: ")
@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("tls", TLS_VERSIONS)
@pytest.mark.parametrize("cert", ["selfsigned", "zone_leaf", "modssl_leaf"])
@pytest.mark.parametrize("sni,host,path,port", FOREIGN)
def test_foreign_vhost_on_our_connection_is_misdirected(ms, sni, host, path, port, cert,
                                                        tls, http2):
    """A certificate mod_cfaop asked for never reaches a vhost without mod_cfaop: 421, logged."""
    leaf = ms.pki.certs[cert]
    r = ms.client.curl(sni, host=host, path=path, cert=leaf, tls=tls, http2=http2, port=port)
    _no_marker(r)
    assert r.status == 421, r
    if sni and host in OWN_SSL_SETUP and not MODSSL_HAS_SNI_POLICY:
        # This mod_ssl cannot be told to leave SNI != Host to us, and refused first.
        assert conn_log(ms.server, r, "AH02032"), r
        return
    assert not conn_log(ms.server, r, "AH02032"), r
    lines = conn_log(ms.server, r, "CFAOP00017")
    assert len(lines) == 1 and f"vhost={host} " in lines[0] and "[cfaop:info]" in lines[0], \
        lines
    assert r.var("CFAOP_VERIFY") is None, r


@MODSSL_REFUSES
@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_foreign_vhost_without_certificate_is_left_to_mod_ssl(ms, tls):
    """No certificate on our connection: mod_ssl's own policy decides (it refuses here)."""
    r = ms.client.curl("e.test", host="o.test", path="/require/", tls=tls)
    _refused(r, (403,))
    assert not conn_log(ms.server, r, "CFAOP00017"), r
    # Public content of that vhost is served as before.
    r = ms.client.curl("e.test", host="o.test", path="/", tls=tls)
    assert r.status == 200 and "PUBLIC-o.test" in r.body, r


@MODSSL_REFUSES
@pytest.mark.parametrize("sni,host,path,port", FOREIGN)
def test_foreign_vhost_attacks_refused_by_mod_ssl_alone(alone, sni, host, path, port):
    """Control: the same requests with the self-signed certificate, mod_ssl alone, are refused."""
    for tls in TLS_VERSIONS:
        r = alone.client.curl(sni, host=host, path=path, cert=alone.pki.selfsigned, tls=tls,
                              port=port)
        _refused(r)


# -- mod_ssl's own clients are unaffected ---------------------------------------------

@pytest.mark.parametrize("host,path", [("o.test", "/require/"), ("o.test", "/optional/"),
                                       ("v.test", "/"), ("vo.test", "/")])
def test_modssl_clients_served_on_their_own_vhost(ms, host, path):
    """A client mod_ssl's policy accepts, on a connection for that vhost: served, SUCCESS."""
    r = ms.client.curl(host, path=path, cert=ms.pki.modssl_leaf, tls="1.2")
    assert r.status == 200 and "PROTECTED-" in r.body, r
    assert r.headers.get("x-ssl-client-verify") == "SUCCESS", r
    r = ms.client.s_client(host, host=host, path=path, cert=ms.pki.modssl_leaf, tls="1.3",
                           pha=True)
    assert r.status == 200 and "PROTECTED-" in r.body, r


@MODSSL_REFUSES
@pytest.mark.parametrize("host,path", [("o.test", "/require/"), ("o.test", "/optional/"),
                                       ("v.test", "/"), ("vo.test", "/")])
def test_modssl_refuses_attackers_on_its_own_vhost(ms, host, path):
    """With mod_cfaop loaded, mod_ssl still refuses foreign certificates on its vhosts."""
    for cert in (ms.pki.selfsigned, ms.pki.zone_leaf):
        _refused(ms.client.curl(host, path=path, cert=cert, tls="1.2"))
        _refused(ms.client.s_client(host, host=host, path=path, cert=cert, tls="1.3",
                                    pha=True))


# -- .htaccess SSLVerifyClient inside an enabled vhost, both modes ---------------------

@MODSSL_REFUSES
@pytest.mark.parametrize("vhost", ["e.test", "r.test"])
@pytest.mark.parametrize("sub", ["ht-require", "ht-optional"])
def test_htaccess_verify_client_is_mod_ssls_own(ms, vhost, sub):
    """mod_ssl verifies for its .htaccess SSLVerifyClient: only what its CA issued passes."""
    path = f"/{sub}/"
    for cert in (ms.pki.selfsigned, ms.pki.zone_leaf):
        # TLS 1.2: renegotiation; TLS 1.3: post-handshake authentication or,
        # for a client without it, a refusal; HTTP/2: no renegotiation at all.
        _refused(ms.client.curl(vhost, path=path, cert=cert, tls="1.2"))
        _refused(ms.client.curl(vhost, path=path, cert=cert, tls="1.3"))
        _refused(ms.client.s_client(vhost, host=vhost, path=path, cert=cert, tls="1.3",
                                    pha=True))
        _refused(ms.client.curl(vhost, path=path, cert=cert, http2=True))
    # Both directions: a certificate both policies accept is served after
    # mod_ssl's renegotiation, and judged again by mod_cfaop.
    r = ms.client.curl(vhost, path=path, cert=ms.pki.modssl_leaf, tls="1.2")
    assert r.status == 200 and f"modssl-{vhost}-{sub}" in r.body, r
    assert r.var("CFAOP_VERIFY") == "SUCCESS", r
    assert conn_log(ms.server, r, "CFAOP00018"), r
    # TLS 1.3 cannot ask twice in one connection (OpenSSL requests a client
    # certificate once), so mod_ssl refuses rather than trusting ours.
    r = ms.client.s_client(vhost, host=vhost, path=path, cert=ms.pki.modssl_leaf, tls="1.3",
                           pha=True)
    _refused(r, (403,))
    assert conn_log(ms.server, r, "AH10158"), r


@MODSSL_REFUSES
@pytest.mark.parametrize("vhost", ["e.test", "r.test"])
def test_htaccess_attacks_refused_by_mod_ssl_alone(alone, vhost):
    """Control: mod_ssl alone refuses the same .htaccess requests."""
    for sub in ("ht-require", "ht-optional"):
        for tls in TLS_VERSIONS:
            _refused(alone.client.curl(vhost, path=f"/{sub}/", cert=alone.pki.selfsigned,
                                       tls=tls))


# -- SSL_CLIENT_VERIFY on enabled vhosts agrees with mod_cfaop's verdict ---------------

@MODSSL_REFUSES
@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_ssl_client_verify_tells_the_truth_in_report_mode(ms, tls, http2):
    """Report mode serves a refused certificate, but SSL_CLIENT_VERIFY says FAILED, and a
    Require expr on it refuses; an accepted certificate reads SUCCESS."""
    bad, good = ms.pki.selfsigned, ms.pki.zone_leaf
    r = ms.client.curl("r.test", cert=bad, tls=tls, http2=http2)
    assert r.status == 200 and r.var("CFAOP_VERIFY") == "FAILED", r
    assert r.headers.get("x-ssl-client-verify", "").startswith("FAILED:"), r
    _refused(ms.client.curl("r.test", path="/expr/", cert=bad, tls=tls, http2=http2), (403,))
    r = ms.client.curl("r.test", path="/expr/", cert=good, tls=tls, http2=http2)
    assert r.status == 200 and "modssl-r.test-expr" in r.body, r
    assert r.headers.get("x-ssl-client-verify") == "SUCCESS", r


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_ssl_client_verify_follows_the_request_scope(ms, http2):
    """Zone and hostname scope on one vhost: SUCCESS for what the request's policy accepts."""
    r = ms.client.curl("e.test", path="/expr/", cert=ms.pki.zone_leaf, http2=http2)
    assert r.status == 200 and r.headers.get("x-ssl-client-verify") == "SUCCESS", r
    r = ms.client.curl("h.e.test", path="/expr/", cert=ms.pki.host_leaf, http2=http2)
    assert r.status == 200 and r.var("CFAOP_SCOPE") == "hostname", r
    assert r.headers.get("x-ssl-client-verify") == "SUCCESS", r


def test_ssl_client_verify_per_request_on_keepalive(ms):
    """One TLS 1.2 connection, two vhosts: the verify result follows each request."""
    out = ms.client.keepalive("h.e.test", [("r.test", "/"), ("h.e.test", "/expr/"),
                                           ("r.test", "/")], cert=ms.pki.host_leaf, tls="1.2")
    assert [o.status for o in out] == [200, 200, 200], out
    # r.test (report mode, zone policy) refuses the hostname certificate; h.e.test accepts it.
    assert [o.var("CFAOP_VERIFY") for o in out] == ["FAILED", "SUCCESS", "FAILED"], out
    verify = [o.headers.get("x-ssl-client-verify", "") for o in out]
    assert verify[0].startswith("FAILED:") and verify[1] == "SUCCESS" \
        and verify[2].startswith("FAILED:"), verify
