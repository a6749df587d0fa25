"""Cost: one chain verification per connection and policy.

CFAOP21 (debug) is logged for a chain verified during a full handshake,
CFAOP24 (debug) for one verified at request time; counting them per client
port shows how often the module verified a chain.
"""
import pytest

from harness.client import conn_log


def verifications(main, resp):
    return (len(conn_log(main.server, resp, "CFAOP21")),
            len(conn_log(main.server, resp, "CFAOP24")))


def test_keepalive_requests_verify_once(main):
    """Five keep-alive requests on one connection: one chain verification (in the handshake)."""
    rs = main.client.keepalive("zone.test", [("zone.test", "/")] * 5, cert=main.pki.zone_leaf)
    assert len(rs) == 5
    for r in rs:
        main.assert_served(r, "zone.test")
    assert verifications(main, rs[0]) == (1, 0)


def test_second_policy_on_keepalive_connection_verified_once(main):
    """Alternating zone.test and both.zone.test (own trust store): one handshake + one request-time verification."""
    hosts = ["zone.test", "both.zone.test"] * 3
    rs = main.client.keepalive("zone.test", [(h, "/") for h in hosts], cert=main.pki.zone_leaf)
    assert len(rs) == len(hosts)
    for h, r in zip(hosts, rs):
        main.assert_served(r, "zone.test", scope="zone" if h == "zone.test" else "hostname",
                           hostname=h)
    assert verifications(main, rs[0]) == (1, 1)


def test_second_policy_on_h2_connection_verified_once(main):
    """Six concurrent h2 streams over two policies: one handshake + one request-time verification."""
    hosts = ["zone.test", "both.zone.test"] * 3
    rs = main.client.h2("zone.test", [(h, "/") for h in hosts], cert=main.pki.zone_leaf)
    for h, r in zip(hosts, rs):
        main.assert_served(r, "zone.test", scope="zone" if h == "zone.test" else "hostname",
                           hostname=h)
    assert verifications(main, rs[0]) == (1, 1)


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_resumed_session_verified_once_at_request_time(main, tls, tmp_path):
    """Three pipelined requests on a resumed session: no handshake verification, one at request time."""
    p, c = main.pki, main.client
    sess = str(tmp_path / "s.pem")
    c.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls, sess_out=sess)
    r = c.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls, sess_in=sess,
                   repeat=3)
    assert r.reused is True, r
    main.assert_served(r, "zone.test")
    assert r.raw.count("HTTP/1.1 200 OK") == 3, r.raw
    assert verifications(main, r) == (0, 1)
