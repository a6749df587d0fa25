"""Cost: at most one chain verification per connection and trust store.

Every chain result a connection gets is logged at debug level, once:
CFAOP00010 verified during a full handshake, CFAOP00013 verified at request time,
CFAOP00014 reused from this process's verifications of the same certificate
against the same trust store (it says "handshake" or "request"). Counting
them per client port shows how often the module looked at a chain, and how
often it really verified one.
"""
import re

import pytest

from harness.client import conn_log


def chain_results(main, resp):
    """(results in the handshake, results at request time) for resp's connection."""
    reused = conn_log(main.server, resp, "CFAOP00014")
    return (len(conn_log(main.server, resp, "CFAOP00010"))
            + sum("for handshake" in l for l in reused),
            len(conn_log(main.server, resp, "CFAOP00013"))
            + sum("for request" in l for l in reused))


def verifications(main, resp):
    return (len(conn_log(main.server, resp, "CFAOP00010"))
            + len(conn_log(main.server, resp, "CFAOP00013")))


def test_keepalive_requests_verify_once(main):
    """Five keep-alive requests on one connection: one chain result, from the handshake."""
    rs = main.client.keepalive("zone.test", [("zone.test", "/")] * 5, cert=main.pki.zone_leaf)
    assert len(rs) == 5
    for r in rs:
        main.assert_served(r, "zone.test")
    assert chain_results(main, rs[0]) == (1, 0)
    assert verifications(main, rs[0]) <= 1


def test_second_policy_on_keepalive_connection_verified_once(main):
    """Alternating zone.test and both.zone.test (own trust store): one handshake + one request-time chain result."""
    hosts = ["zone.test", "both.zone.test"] * 3
    rs = main.client.keepalive("zone.test", [(h, "/") for h in hosts], cert=main.pki.zone_leaf)
    assert len(rs) == len(hosts)
    for h, r in zip(hosts, rs):
        main.assert_served(r, "zone.test", scope="zone" if h == "zone.test" else "hostname",
                           hostname=h)
    assert chain_results(main, rs[0]) == (1, 1)
    assert verifications(main, rs[0]) <= 2


def test_second_policy_on_h2_connection_verified_once(main):
    """Six concurrent h2 streams over two policies: one handshake + one request-time chain result."""
    hosts = ["zone.test", "both.zone.test"] * 3
    rs = main.client.h2("zone.test", [(h, "/") for h in hosts], cert=main.pki.zone_leaf)
    for h, r in zip(hosts, rs):
        main.assert_served(r, "zone.test", scope="zone" if h == "zone.test" else "hostname",
                           hostname=h)
    assert chain_results(main, rs[0]) == (1, 1)
    assert verifications(main, rs[0]) <= 2


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_resumed_session_verified_once_at_request_time(main, tls, tmp_path):
    """Three pipelined requests on a resumed session: no handshake result, one at request time."""
    p, c = main.pki, main.client
    sess = str(tmp_path / "s.pem")
    c.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls, sess_out=sess)
    r = c.s_client("zone.test", host="zone.test", cert=p.zone_leaf, tls=tls, sess_in=sess,
                   repeat=3)
    assert r.reused is True, r
    main.assert_served(r, "zone.test")
    assert r.raw.count("HTTP/1.1 200 OK") == 3, r.raw
    assert chain_results(main, r) == (0, 1)
    assert verifications(main, r) <= 1


def test_each_process_verifies_a_certificate_once(main):
    """Ten connections with one certificate: each server process verifies its chain at most once, then reuses it."""
    conns = [main.client.curl("zone.test", cert=main.pki.zone_leaf) for _ in range(10)]
    pids = set()
    verified = 0
    for r in conns:
        main.assert_served(r, "zone.test")
        assert chain_results(main, r) == (1, 0), conn_log(main.server, r)
        verified += verifications(main, r)
        pids.update(re.findall(r"\[pid (\d+):", "\n".join(conn_log(main.server, r))))
    assert pids and verified <= len(pids) < len(conns), (verified, pids)


def test_reuse_is_per_trust_store(main):
    """A certificate verified for one vhost's store is not taken as verified for another's."""
    main.assert_served(main.client.curl("zone.test", cert=main.pki.zone_leaf), "zone.test")
    r = main.client.curl("cf.test", cert=main.pki.zone_leaf)
    main.assert_refused(r, 403, "untrusted", leaf=main.pki.zone_leaf, vhost="cf.test")
    assert verifications(main, r) == 1
