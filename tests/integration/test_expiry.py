"""A kept-alive connection does not outlive validity.

A chain verified in the handshake is reused for the connection's later
requests and remembered by the process; both hold only until the verified
chain's earliest notAfter, and the leaf's validity is checked per request.
"""
import concurrent.futures
import datetime
import time

from harness import client as cl
from harness.conf import Site
from harness.pki import _name

LIFETIME = datetime.timedelta(seconds=6)


def test_validity_ends_during_a_kept_alive_connection(server_factory, pki):
    """A leaf and, separately, an anchor expiring between two requests on one connection: served, then refused."""
    expiry = datetime.datetime.utcnow().replace(microsecond=0) + LIFETIME
    org = "Example Zone, Inc."
    short_leaf = pki.issue("short_leaf", _name("short leaf", org), pki.zone_ca, not_after=expiry)
    short_ca = pki.issue("short_ca", _name("Short-lived CA", org), ca=True, not_after=expiry)
    under_short_ca = pki.issue("under_short_ca", _name("leaf of a short CA", org), short_ca)
    env = server_factory("expiry", [
        Site("open.test", protected=False),
        Site("zone.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"]),
        Site("cf.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {short_ca.cert_path}"]),
    ], global_lines=["KeepAliveTimeout 60"])
    deadline = (expiry - datetime.datetime.utcnow()).total_seconds() + 1.5 + time.time()

    def wait_for_expiry():
        time.sleep(max(0.0, deadline - time.time()))

    def two_requests(vhost, cert):
        return env.client.keepalive(vhost, [(vhost, "/")] * 2, cert=cert, between=wait_for_expiry)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        leaf_rs, ca_rs = pool.map(lambda args: two_requests(*args),
                                  [("zone.test", short_leaf), ("cf.test", under_short_ca)])
    assert len(leaf_rs) == 2 and len(ca_rs) == 2, (leaf_rs, ca_rs)
    assert leaf_rs[0].client_port == leaf_rs[1].client_port
    # The first response of each connection: served (the connection's log
    # also holds the second request's rejection, so not env.assert_served).
    for r, vhost in ((leaf_rs[0], "zone.test"), (ca_rs[0], "cf.test")):
        cl.assert_served(r, env.site(vhost))
        assert r.var("CFAOP_VERIFY") == "SUCCESS", r
    env.assert_refused(leaf_rs[1], 403, "expired", leaf=short_leaf, vhost="zone.test")
    env.assert_refused(ca_rs[1], 403, "untrusted", leaf=under_short_ca, vhost="cf.test")
    env.stop()
