"""The three setups of Cloudflare's how-to, on the main server (one vhost per policy shape)."""
import pytest

from harness.settings import HTTP_VERSIONS, TLS_VERSIONS


# -- Zone level, Cloudflare certificate -------------------------------------------

@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_cloudflare_style_ca_accepts_its_certificate(main, http2, tls):
    """A zone anchored on the (stand-in) origin-pull CA serves the certificate it signed."""
    r = main.client.curl("cf.test", cert=main.pki.cf_leaf, http2=http2, tls=tls)
    main.assert_served(r, "cf.test")


def test_cloudflare_style_ca_refuses_other_ca(main):
    """A zone anchored on the origin-pull CA refuses a customer certificate of another CA."""
    r = main.client.curl("cf.test", cert=main.pki.zone_leaf)
    main.assert_refused(r, 403, "untrusted", leaf=main.pki.zone_leaf, vhost="cf.test")


@pytest.mark.parametrize("vhost", ["builtin.test", "cfplus.test"])
def test_builtin_cloudflare_anchor_refuses_a_lookalike_ca(main, vhost):
    """The built-in anchor (implicit or `cloudflare`) is the real CA: a certificate of our stand-in is untrusted."""
    r = main.client.curl(vhost, cert=main.pki.cf_leaf)
    main.assert_refused(r, 403, "untrusted", leaf=main.pki.cf_leaf, vhost=vhost)


def test_builtin_cloudflare_anchor_refuses_an_impostor_with_the_real_subject(main):
    """A self-made CA copying the real Cloudflare CA's subject does not chain to the built-in anchor."""
    r = main.client.curl("builtin.test", cert=main.pki.cf_fake_leaf)
    main.assert_refused(r, 403, "untrusted", leaf=main.pki.cf_fake_leaf, vhost="builtin.test")



@pytest.mark.parametrize("tls", TLS_VERSIONS)
def test_handshake_requests_a_certificate_without_ca_names(main, tls):
    """Enabled vhosts send a CertificateRequest, with no CA names (no per-vhost copy, no client-side filtering); others none."""
    for vhost in ("builtin.test", "cfplus.test", "pin-sha.test"):
        r = main.client.s_client(vhost, host=vhost, tls=tls)
        assert r.cert_requested, r.raw[:3000]
        assert r.ca_names == [], r.ca_names
    r = main.client.s_client("open.test", host="open.test", tls=tls)
    assert r.status == 200 and not r.cert_requested, r.raw[:3000]


def test_anchors_add_up(main):
    """With `cloudflare` and a customer CA configured, the customer CA's certificate is accepted too."""
    main.assert_served(main.client.curl("cfplus.test", cert=main.pki.zone_leaf), "cfplus.test")


# -- Zone level, customer certificates -------------------------------------------

@pytest.mark.parametrize("http2", HTTP_VERSIONS)
@pytest.mark.parametrize("tls", TLS_VERSIONS)
@pytest.mark.parametrize("leaf", ["zone_leaf", "zone_leaf2"])
def test_zone_ca_accepts_its_certificates(main, leaf, tls, http2):
    """A zone anchored on the customer CA serves every certificate that CA issued."""
    r = main.client.curl("zone.test", cert=main.pki.certs[leaf], http2=http2, tls=tls)
    main.assert_served(r, "zone.test")


def test_sha256_pin(main):
    """A sha256 pin (written with colons, upper case) accepts exactly that certificate."""
    p = main.pki
    main.assert_served(main.client.curl("pin-sha.test", cert=p.zone_leaf), "pin-sha.test")
    for other in (p.zone_leaf_rekey, p.zone_leaf2, p.cf_leaf):
        r = main.client.curl("pin-sha.test", cert=other)
        main.assert_refused(r, 403, "pin-mismatch", leaf=other, vhost="pin-sha.test")


def test_spki_pin_survives_reissue_with_same_key(main):
    """An spki-sha256 pin accepts the certificate and its re-issue with the same key, nothing else."""
    p = main.pki
    for ok in (p.zone_leaf, p.zone_leaf_rekey):
        main.assert_served(main.client.curl("pin-spki.test", cert=ok), "pin-spki.test")
    r = main.client.curl("pin-spki.test", cert=p.zone_leaf2)
    main.assert_refused(r, 403, "pin-mismatch", leaf=p.zone_leaf2, vhost="pin-spki.test")


def test_pin_by_pem_path_together_with_ca(main):
    """A pin given as a PEM path, with a CA: the pinned leaf passes, another leaf of the CA is pin-mismatch."""
    p = main.pki
    main.assert_served(main.client.curl("pin-file.test", cert=p.zone_leaf), "pin-file.test")
    r = main.client.curl("pin-file.test", cert=p.zone_leaf2)
    main.assert_refused(r, 403, "pin-mismatch", leaf=p.zone_leaf2, vhost="pin-file.test")


def test_repeated_pins_accept_old_and_new_certificate(main):
    """CFAOPPin is repeatable (rotation): both pinned certificates pass, an unpinned one does not."""
    p = main.pki
    for ok in (p.zone_leaf, p.zone_leaf2):
        main.assert_served(main.client.curl("rotate.test", cert=ok), "rotate.test")
    r = main.client.curl("rotate.test", cert=p.host_leaf)
    main.assert_refused(r, 403, "pin-mismatch", leaf=p.host_leaf, vhost="rotate.test")


@pytest.mark.parametrize("vhost", ["inter.test", "interroot.test"])
def test_intermediate_chains(main, vhost):
    """A leaf under an intermediate passes with only the intermediate, or only the root (chain sent), as anchor."""
    main.assert_served(main.client.curl(vhost, cert=main.pki.inter_leaf), vhost)


# -- Per-hostname customer certificates (precedence) -------------------------------

@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_hostname_ca_takes_precedence_over_zone(main, http2):
    """app.zone.test is judged only by its hostname CA: its certificate passes, the zone's is refused."""
    p, c = main.pki, main.client
    main.assert_served(c.curl("app.zone.test", cert=p.host_leaf, http2=http2),
                       "zone.test", scope="hostname", hostname="app.zone.test")
    r = c.curl("app.zone.test", cert=p.zone_leaf, http2=http2)
    main.assert_refused(r, 403, "untrusted", leaf=p.zone_leaf, vhost="zone.test",
                        hostname="app.zone.test", scope="hostname")


@pytest.mark.parametrize("http2", HTTP_VERSIONS)
def test_hostname_certificate_refused_on_zone_hostname(main, http2):
    """The other direction: the hostname certificate does not open the zone's own hostname."""
    r = main.client.curl("zone.test", cert=main.pki.host_leaf, http2=http2)
    main.assert_refused(r, 403, "untrusted", leaf=main.pki.host_leaf, vhost="zone.test")


def test_hostname_pin_takes_precedence_over_zone(main):
    """pin.zone.test is judged only by its pin: the pinned leaf passes, the zone leaf and a sibling are refused."""
    p, c = main.pki, main.client
    main.assert_served(c.curl("pin.zone.test", cert=p.host_leaf2), "zone.test",
                       scope="hostname", hostname="pin.zone.test")
    for other in (p.zone_leaf, p.host_leaf):
        r = c.curl("pin.zone.test", cert=other)
        main.assert_refused(r, 403, "pin-mismatch", leaf=other, vhost="zone.test",
                            hostname="pin.zone.test", scope="hostname")


def test_hostname_match_ignores_case_port_and_trailing_dot(main):
    """Host: APP.Zone.Test.:PORT selects the app.zone.test hostname policy."""
    p, c = main.pki, main.client
    host = f"APP.Zone.Test.:{main.server.ports['main']}"
    main.assert_served(c.curl("app.zone.test", host=host, cert=p.host_leaf),
                       "zone.test", scope="hostname", hostname="app.zone.test")
    r = c.curl("app.zone.test", host=host, cert=p.zone_leaf)
    main.assert_refused(r, 403, "untrusted", leaf=p.zone_leaf, vhost="zone.test",
                        hostname="app.zone.test", scope="hostname")


def test_main_configuration_starts_without_mod_cfaop_warnings(main):
    """The main configuration (every policy shape above) starts without any mod_cfaop warning or error."""
    startup = []
    for line in main.log.lines():
        startup.append(line)
        if "resuming normal operations" in line:
            break
    assert any("resuming normal operations" in l for l in startup), startup
    noisy = [l for l in startup if "[cfaop:" in l and not ("[cfaop:info]" in l or "[cfaop:debug]" in l)]
    assert not noisy, noisy
