"""Drill: sustained load with client certificates while graceful restarts change the policy.

Legitimate clients keep pulling with the zone certificate (new connections and
keep-alive) and attackers keep trying theirs, while the server is restarted
gracefully again and again, each time with another policy that still accepts
the legitimate certificate. Expected: not one legitimate request refused, not
one attacker served, and the parent's memory flat from one generation to the
next.
"""
import http.client
import re
import socket
import ssl
import threading
import time

import pytest

from harness.conf import Site
from harness.settings import MEMORY_MEASURED

GRACEFULS = 8
LEGIT_THREADS = 3
ATTACK_THREADS = 2
REQUESTS_PER_CONNECTION = 5
# Parent memory settles during the first generations; after that httpd alone
# grows about 4 kB per graceful (measured without mod_cfaop's directives). A
# generation's policies left behind would cost tens of kB each.
WARMUP = 3
MAX_GROWTH_PER_GENERATION_KB = 16


def policies(pki):
    """Generations of d.test's policy; every one accepts zone_leaf on d.test."""
    zone = f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"
    host = f"CFAOPHostnameCACertificateFile h.d.test {pki.host_ca.cert_path}"
    return [
        ["CFAOPEngine on", zone, host],
        ["CFAOPEngine on", zone, f"CFAOPPin sha256:{pki.zone_leaf.sha256_hex}",
         f"CFAOPPin sha256:{pki.zone_leaf2.sha256_hex}", host],
        ["CFAOPEngine on", zone, f"CFAOPPin spki-sha256:{pki.zone_leaf.spki_b64}", host],
        ["CFAOPEngine on", f"CFAOPPin {pki.zone_leaf.cert_path}",
         f"CFAOPHostnamePin h.d.test {pki.host_leaf.cert_path}"],
    ]


def sites(pki, generation):
    return [Site("d.test", policies(pki)[generation % len(policies(pki))],
                 aliases=["h.d.test"])]


def parent_rss_kb(server) -> int:
    status = open(f"/proc/{server.pid()}/status").read()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.problems = []

    def add(self, key, problem=None):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            if problem:
                self.problems.append(problem)


def _context(env, cert):
    ctx = ssl.create_default_context(cafile=env.client.cafile)
    ctx.load_cert_chain(cert.chain_path, cert.key_path)
    return ctx


def _connect(env, ctx, host):
    sock = socket.create_connection(("127.0.0.1", env.server.ports["main"]), timeout=10)
    conn = http.client.HTTPConnection("127.0.0.1", env.server.ports["main"], timeout=10)
    conn.sock = ctx.wrap_socket(sock, server_hostname=host)
    return conn, conn.sock


def legit_client(env, stop, tally, host, cert, marker):
    """Pulls until told to stop. A request on a kept-alive connection that the
    server closed (an old generation's child leaving) is retried on a new
    connection, as every HTTP client does; any other failure counts."""
    ctx = _context(env, cert)
    while not stop.is_set():
        try:
            conn, sock = _connect(env, ctx, host)
        except OSError as e:
            tally.add("legit-connect-failed", f"connect: {e!r}")
            continue
        for i in range(REQUESTS_PER_CONNECTION):
            # After "Connection: close", http.client would reconnect without TLS.
            if conn.sock is not sock:
                break
            try:
                conn.request("GET", "/", headers={"Host": host})
                resp = conn.getresponse()
                body = resp.read().decode(errors="replace")
            except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError) as e:
                if i == 0:
                    tally.add("legit-failed", f"fresh connection: {e!r}")
                break
            if resp.status == 200 and marker in body:
                tally.add("legit-served")
            else:
                tally.add("legit-refused", f"{resp.status} {resp.getheader('X-CFAOP-VERIFY-ERROR')}")
        conn.close()


def attacker(env, stop, tally, certs, marker):
    i = 0
    while not stop.is_set():
        cert = certs[i % len(certs)]
        i += 1
        try:
            conn, _ = _connect(env, _context(env, cert), "d.test")
            conn.request("GET", "/", headers={"Host": "d.test"})
            resp = conn.getresponse()
            body = resp.read().decode(errors="replace")
            conn.close()
        except (OSError, http.client.HTTPException):
            tally.add("attack-dropped")
            continue
        if marker in body:
            tally.add("attack-served", f"{cert.name} served with {resp.status}")
        else:
            tally.add("attack-refused")


@pytest.fixture(scope="module")
def drill(server_factory, pki):
    env = server_factory("drill", sites(pki, 0))
    yield env
    env.stop()


def test_gracefuls_under_load_refuse_no_legitimate_pull_and_serve_no_attacker(drill):
    pki, server = drill.pki, drill.server
    marker = drill.site("d.test").marker
    stop, tally = threading.Event(), Tally()
    threads = [threading.Thread(target=legit_client,
                                args=(drill, stop, tally, "d.test", pki.zone_leaf, marker))
               for _ in range(LEGIT_THREADS)]
    threads.append(threading.Thread(target=legit_client,
                                    args=(drill, stop, tally, "h.d.test", pki.host_leaf,
                                          marker)))
    threads += [threading.Thread(target=attacker,
                                 args=(drill, stop, tally,
                                       [pki.foreign_leaf, pki.selfsigned, pki.fake_zone_leaf,
                                        pki.expired, pki.subject_copy], marker))
                for _ in range(ATTACK_THREADS)]
    for t in threads:
        t.start()
    rss = []
    try:
        for g in range(1, GRACEFULS + 1):
            time.sleep(0.3)
            server.install(sites(pki, g))
            r = server.graceful()
            assert r.returncode == 0, r.stderr
            rss.append(parent_rss_kb(server))
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    c = tally.counts
    assert not tally.problems, (c, tally.problems[:20])
    assert c.get("legit-served", 0) > 100 and c.get("attack-refused", 0) > 20, c
    assert c.get("attack-served", 0) == 0, c
    growth = (rss[-1] - rss[WARMUP - 1]) / (len(rss) - WARMUP)
    assert growth < MAX_GROWTH_PER_GENERATION_KB or not MEMORY_MEASURED, (rss, growth)
    print(f"\ndrill: {GRACEFULS} gracefuls, {c}, parent RSS kB per generation {rss}")
