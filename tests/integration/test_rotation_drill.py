"""Rotation drill, end to end: the README's procedures with guards, under load.

A real Apache (the origin), the fake Cloudflare API (the edge's state), and a
puller that keeps pulling www and app with whatever certificate the fake says
the edge presents right now (its test-only endpoint), with curl, SNI and Host
set to the hostname, as Cloudflare would. The README's zone and hostname
rotation procedures run meanwhile, each cfaop change guarded by the running
server's cfaop-status handler: not one legitimate pull may be refused. In the
wrong order (rotate before the origin accepts the new certificate) a guard
stops the rotation before anything changes, and again no pull is refused.
"""
import hashlib
import json
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.conf import Site
from test_origin_tool import APP, STATUS, WWW, cf, cfaop_bin, set_zone, writes  # noqa: F401


def origin_sites(pki, zone_pins, host_pins):
    return [
        Site("admin.test", STATUS, protected=False),
        Site(WWW, ["CFAOPEngine on"] + [f"CFAOPPin {c.cert_path}" for c in zone_pins]
             + [f"CFAOPHostnamePin {APP} {c.cert_path}" for c in host_pins], aliases=[APP]),
    ]


class Puller:
    """Pulls www and app in a loop with what the edge presents now."""

    def __init__(self, env, origin, pki):
        self.env, self.origin = env, origin
        self.by_sha = {c.sha256_hex: c for c in pki.certs.values()}
        self.pulls, self.refused, self.seen = 0, [], set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cert(self, host):
        edge = self.env.cf.edge_presents(self.env.zone_id, host)
        if not edge["certificate"]:
            return edge["level"], None
        leaf = x509.load_pem_x509_certificate(edge["certificate"].encode())
        sha = hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
        return edge["level"], self.by_sha[sha]

    def _run(self):
        while not self._stop.is_set():
            for host in (WWW, APP):
                level, cert = self._cert(host)
                r = self.origin.client.curl(host, cert=cert)
                self.pulls += 1
                self.seen.add((host, level, cert.name if cert else None))
                if r.status != 200:
                    self.refused.append((host, level, cert.name if cert else None, r.status))
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def wait_pulls(self, n):
        deadline = time.time() + 30
        start = self.pulls
        while self.pulls < start + n and time.time() < deadline:
            time.sleep(0.05)
        assert self.pulls >= start + n, "the puller stalled"


@pytest.fixture
def drill(server_factory, pki, cf):  # noqa: F811
    """The origin pinning the old certificates, the edge presenting them."""
    origin = server_factory("rotation-drill",
                            origin_sites(pki, [pki.zone_leaf], [pki.host_leaf]))
    z = cf.zone_id
    set_zone(cf, aop_enabled=True, ssl="strict")
    cf.cf.add_zone_cert(z, pki.zone_leaf.cert_pem, pki.zone_leaf.key_pem)
    hid = cf.cf.add_hostname_cert(z, pki.host_leaf.cert_pem, pki.host_leaf.key_pem)
    cf.cf.set_association(z, APP, hid, enabled=True, status="active")
    # Deployments take a few reads, as they take minutes at Cloudflare.
    cf.cf.set_activation(gets=2)
    cf.url = f"https://127.0.0.1:{origin.server.ports['main']}/cfaop-status"
    cf.addr = f"127.0.0.1:{origin.server.ports['main']}"
    yield cf, origin
    origin.stop()


def reload(origin, pki, zone_pins, host_pins, env, tmp_path):
    """The README's origin step: check the new configuration, then graceful."""
    origin.server.install(origin_sites(pki, zone_pins, host_pins))
    r = origin.server.ctl("-t", "-D", "DUMP_CFAOP")
    assert r.returncode == 0, r.stderr
    path = tmp_path / f"next-{origin.server.gen}.json"
    path.write_text(r.stdout)
    p = env.run("check-origin", "--policy", str(path))
    if p.returncode == 0:
        assert origin.server.graceful().returncode == 0
    return p


@pytest.mark.log_allows(r"CFAOP00016")
def test_rotation_drill_in_the_readmes_order(drill, pki, tmp_path):
    env, origin = drill
    with Puller(env, origin, pki) as puller:
        puller.wait_pulls(10)
        assert env.run("check-origin", "--policy", env.url).returncode == 0
        # Zone: 1. the origin accepts old and new; 2. guarded rotate; 3. old pin out; probe.
        assert reload(origin, pki, [pki.zone_leaf, pki.zone_leaf2], [pki.host_leaf],
                      env, tmp_path).returncode == 0
        puller.wait_pulls(10)
        p = env.run("zone", "rotate", *pki.zone_leaf2.args(), "--origin-policy", env.url)
        assert p.returncode == 0, p.stderr
        puller.wait_pulls(10)
        assert reload(origin, pki, [pki.zone_leaf2], [pki.host_leaf], env,
                      tmp_path).returncode == 0
        puller.wait_pulls(10)
        p = env.run("probe", WWW, "--origin", env.addr, *pki.zone_leaf2.args())
        assert p.returncode == 0, p.stderr
        # Hostname: the same three steps.
        assert reload(origin, pki, [pki.zone_leaf2], [pki.host_leaf, pki.host_leaf2],
                      env, tmp_path).returncode == 0
        puller.wait_pulls(10)
        p = env.run("hostname", "rotate", APP, *pki.host_leaf2.args(),
                    "--origin-policy", env.url)
        assert p.returncode == 0, p.stderr
        puller.wait_pulls(10)
        assert reload(origin, pki, [pki.zone_leaf2], [pki.host_leaf2], env,
                      tmp_path).returncode == 0
        puller.wait_pulls(10)
        p = env.run("probe", APP, "--origin", env.addr, *pki.host_leaf2.args())
        assert p.returncode == 0, p.stderr
    assert puller.refused == [], puller.refused
    # The pulls really followed the edge from the old certificates to the new.
    assert {(WWW, "zone", "zone_leaf"), (WWW, "zone", "zone_leaf2"),
            (APP, "hostname", "host_leaf"), (APP, "hostname", "host_leaf2")} <= puller.seen
    assert puller.pulls >= 60


@pytest.mark.log_allows(r"CFAOP00016")
def test_rotation_drill_in_the_wrong_order_is_stopped_by_a_guard(drill, pki, tmp_path):
    env, origin = drill
    before = env.cf.state()
    with Puller(env, origin, pki) as puller:
        puller.wait_pulls(10)
        env.cf.clear_requests()
        # Rotating before the origin accepts the new certificate.
        p = env.run("--json", "zone", "rotate", *pki.zone_leaf2.args(),
                    "--origin-policy", env.url)
        assert p.returncode == 1 and WWW in p.stderr
        assert json.loads(p.stdout)["origin_check"]["blocked"] is True
        p = env.run("hostname", "rotate", APP, *pki.host_leaf2.args(),
                    "--origin-policy", env.url)
        assert p.returncode == 1 and APP in p.stderr
        assert writes(env) == []
        # Dropping the old pin at the origin first: check-origin says no, nothing reloads.
        p = reload(origin, pki, [pki.zone_leaf2], [pki.host_leaf], env, tmp_path)
        assert p.returncode == 1 and WWW in p.stderr
        puller.wait_pulls(20)
    assert puller.refused == [], puller.refused
    assert env.cf.state() == before
