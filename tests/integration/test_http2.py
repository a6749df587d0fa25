"""HTTP/2: several hostnames multiplexed on ONE connection are judged stream by stream."""
from harness import client as cl
from harness.client import conn_log


def _one_connection(main, responses):
    """All streams came over the same TCP connection: same client port seen by server and client."""
    ports = {r.client_port for r in responses} | {int(r.headers["x-client-port"]) for r in responses}
    assert len(ports) == 1, ports
    assert all(r.http_version == "2" for r in responses)
    # And the server saw one TLS handshake for it.
    assert len(conn_log(main.server, responses[0], "AH01964")) == 1


def test_zone_certificate_two_hostnames_one_connection(main):
    """SNI zone.test with the zone leaf: zone.test is served, app.zone.test (hostname CA) is 403, cf.test is 421."""
    p = main.pki
    ok, app, cf = main.client.h2("zone.test", [("zone.test", "/"), ("app.zone.test", "/"),
                                               ("cf.test", "/")], cert=p.zone_leaf)
    _one_connection(main, [ok, app, cf])
    main.assert_served(ok, "zone.test")
    main.assert_refused(app, 403, "untrusted", leaf=p.zone_leaf, vhost="zone.test",
                        hostname="app.zone.test", scope="hostname")
    main.assert_refused(cf, 421, "misdirected", leaf=p.zone_leaf, vhost="cf.test")


def test_hostname_certificate_two_hostnames_one_connection(main):
    """SNI app.zone.test with the hostname leaf: app.zone.test is served, zone.test on the same connection is 403."""
    p = main.pki
    app, zone = main.client.h2("app.zone.test", [("app.zone.test", "/"), ("zone.test", "/")],
                               cert=p.host_leaf)
    _one_connection(main, [app, zone])
    main.assert_served(app, "zone.test", scope="hostname", hostname="app.zone.test")
    main.assert_refused(zone, 403, "untrusted", leaf=p.host_leaf, vhost="zone.test")


def test_unprotected_sni_protected_authority_one_connection(main):
    """SNI open.test (no certificate requested): open.test is served, a zone.test stream on it is 421."""
    opened, zone = main.client.h2("open.test", [("open.test", "/"), ("zone.test", "/")],
                                  cert=main.pki.zone_leaf)
    _one_connection(main, [opened, zone])
    assert opened.status == 200 and main.site("open.test").marker in opened.body
    main.assert_refused(zone, 421, "misdirected", leaf=None, vhost="zone.test")


def test_many_concurrent_streams_each_judged(main):
    """Sixty streams sent at once on one connection, over three hostnames with three
    policies: the streams run on several worker threads at once and share the connection's
    record (under its lock, where HTTP/1 connections need none); each stream gets its own
    hostname's verdict and the certificate's own variables, and each refusal is logged."""
    p = main.pki
    names = ["zone.test", "app.zone.test", "cf.test"] * 20
    responses = main.client.h2("zone.test", [(n, f"/?s={i}") for i, n in enumerate(names)],
                               cert=p.zone_leaf)
    _one_connection(main, responses)
    for name, r in zip(names, responses):
        if name == "zone.test":
            cl.assert_served(r, main.site("zone.test"))
            assert r.var("CFAOP_VERIFY") == "SUCCESS", r
        elif name == "app.zone.test":
            cl.assert_refused(r, 403, "untrusted", "FAILED")
        else:
            cl.assert_refused(r, 421, "misdirected", "FAILED")
        assert r.var("CFAOP_CLIENT_SHA256") == p.zone_leaf.sha256_hex, r
    for name in ("zone.test", "app.zone.test", "cf.test"):
        lines = cl.rejections(main.server, responses[0], name)
        assert len(lines) == (0 if name == "zone.test" else 20), lines
