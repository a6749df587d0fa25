"""SetHandler cfaop-status: the loaded policy and counters summed over every process.

A known mix of requests from several clients, spread over at least two child
processes, under the event and the prefork MPM; the counters must equal it
exactly, in the JSON document and in the Prometheus text format (parsed with
prometheus_client's parser). A graceful restart starts them afresh. Labels stay
bounded whatever Host headers and client certificates arrive.
"""
import collections
from datetime import timezone
import json
import os
import random
import re
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.conf import Site

ADMIN = ["<Location /cfaop-status>", "  SetHandler cfaop-status", "  Require local",
         "</Location>"]


def sites(pki):
    zone = f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"
    return [
        Site("admin.test", ADMIN, protected=False),
        Site("zone.test", ["CFAOPEngine on", zone,
                           f"CFAOPHostnameCACertificateFile app.zone.test {pki.host_ca.cert_path}"],
             aliases=["app.zone.test"]),
        Site("report.test", ["CFAOPEngine on", zone, "CFAOPMode report"], protected=False),
    ]


def pid_log(server):
    return os.path.join(server.root, "logs", "pid.log")


def make(server_factory, pki, name, mpm):
    # Several child processes, each with few threads, so that the requests
    # really spread over processes.
    limits = (["StartServers 3", "MinSpareServers 3", "MaxSpareServers 6"] if mpm == "prefork"
              else ["StartServers 3", "ServerLimit 4", "ThreadsPerChild 4",
                    "MaxRequestWorkers 16", "MinSpareThreads 4", "MaxSpareThreads 16"])
    env = server_factory(name, sites(pki), mpm=mpm, global_lines=limits, start=False)
    # Which process served each request.
    env.server.install(env.server.sites,
                       limits + [f'CustomLog {pid_log(env.server)} "%P %v %>s"'])
    env.server.start()
    return env


@pytest.fixture(scope="module", params=["event", "prefork"])
def st(request, server_factory, pki):
    env = make(server_factory, pki, f"status-{request.param}", request.param)
    env.mpm = request.param
    yield env
    env.stop()


def status(env, fmt=None):
    r = env.client.curl("admin.test", path="/cfaop-status" + (f"?format={fmt}" if fmt else ""))
    assert r.status == 200, r
    return r.body


def counters(env):
    doc = json.loads(status(env))
    assert doc["format"] == "cfaop-policy/1" and doc["source"] == "running"
    return {v["name"]: v["counters"] for v in doc["vhosts"]}, doc


def expected_mix(pki):
    """(hostname, cert, http2) -> how often; and what each adds to which counter."""
    return [
        # zone scope
        ("zone.test", pki.zone_leaf, False, 7, ("zone.test", "zone", "accepted", None)),
        ("zone.test", pki.zone_leaf, True, 3, ("zone.test", "zone", "accepted", None)),
        ("zone.test", None, False, 4, ("zone.test", "zone", "rejected", "no-certificate")),
        ("zone.test", pki.foreign_leaf, False, 5, ("zone.test", "zone", "rejected", "untrusted")),
        ("zone.test", pki.expired, True, 2, ("zone.test", "zone", "rejected", "expired")),
        # hostname scope
        ("app.zone.test", pki.host_leaf, False, 6, ("zone.test", "hostname", "accepted", None)),
        ("app.zone.test", pki.zone_leaf, False, 3, ("zone.test", "hostname", "rejected",
                                                   "untrusted")),
        # report mode
        ("report.test", pki.zone_leaf, False, 2, ("report.test", "zone", "accepted", None)),
        ("report.test", pki.foreign_leaf, False, 4, ("report.test", "zone", "reported",
                                                    "untrusted")),
        ("report.test", None, True, 3, ("report.test", "zone", "reported", "no-certificate")),
    ]


def run_mix(env):
    """The mix, from several client threads at once; returns the expected counts."""
    want = collections.Counter()
    jobs = []
    for host, cert, http2, times, key in expected_mix(env.pki):
        want[key] += times
        jobs += [(host, cert, http2)] * times
    random.Random(7).shuffle(jobs)
    errors = []

    def worker(part):
        for host, cert, http2 in part:
            try:
                # mod_http2 does not run under prefork: HTTP/1.1 there.
                r = env.client.curl(host, cert=cert, http2=http2 and env.mpm != "prefork")
            except Exception as e:  # an assertion inside the client, reported below
                errors.append(repr(e))
                continue
            if r.status is None:
                errors.append(r)

    threads = [threading.Thread(target=worker, args=(jobs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return want


def got(counts, vhost, scope, verdict, reason):
    c = counts[vhost][scope]
    return c["accepted"] if verdict == "accepted" else c[verdict][reason]


ALLOWED = (r"AH10034: ", r"AH00558: ")  # prefork: mod_http2 says it is not supported


@pytest.mark.log_allows(*ALLOWED)
def test_counters_equal_the_requests_across_processes(st):
    before, _ = counters(st)
    want = run_mix(st)
    after, doc = counters(st)
    for (vhost, scope, verdict, reason), n in want.items():
        assert got(after, vhost, scope, verdict, reason) - \
            got(before, vhost, scope, verdict, reason) == n, (vhost, scope, verdict, reason)
    # Nothing else moved: the sum of every counter grew by the number of requests.
    def total(counts):
        return sum(c["accepted"] + sum(c["rejected"].values()) + sum(c["reported"].values())
                   for v in counts.values() for c in v.values())
    assert total(after) - total(before) == sum(want.values())
    # The requests really came through several processes.
    pids = {line.split()[0] for line in open(pid_log(st.server))
            if " zone.test " in line or " report.test " in line}
    assert len(pids) >= 2, pids
    assert all(v["tls"] for v in doc["vhosts"])


@pytest.mark.log_allows(*ALLOWED)
def test_prometheus_text_matches_and_labels_stay_bounded(st):
    run_mix(st)
    counts, doc = counters(st)
    families = {f.name: f for f in text_string_to_metric_families(status(st, "prometheus"))}
    reqs = families["cfaop_requests"]
    assert reqs.type == "counter"
    port = st.server.ports["main"]
    for s in reqs.samples:
        vhost = s.labels["vhost"].rsplit(":", 1)[0]
        assert s.labels["vhost"] == f"{vhost}:{port}"
        assert s.value == got(counts, vhost, s.labels["scope"], s.labels["verdict"],
                              s.labels["reason"] or None), s
    series = {tuple(sorted(s.labels.items())) for s in reqs.samples}
    # A flood of random Host headers and random client certificates adds no series.
    rnd = random.Random(1)
    for i in range(30):
        host = f"x{rnd.randrange(10**9)}.zone.test"
        st.client.curl("zone.test", host=host, cert=st.pki.foreign_leaf)
    for name in ("selfsigned", "subject_copy", "fake_zone_leaf", "not_yet_valid"):
        st.client.curl("zone.test", cert=st.pki.certs[name])
    families = {f.name: f for f in text_string_to_metric_families(status(st, "prometheus"))}
    assert {tuple(sorted(s.labels.items())) for s in families["cfaop_requests"].samples} == series
    # Every anchor's expiry is a timestamp gauge.
    expiry = families["cfaop_certificate_expiry_timestamp_seconds"]
    assert expiry.type == "gauge"
    anchors = {(a["sha256"], a["source"]) for p in doc["policies"].values() for a in p["anchors"]}
    got_anchors = {(s.labels["sha256"], s.labels["source"]) for s in expiry.samples
                   if s.labels["role"] == "anchor"}
    assert got_anchors == anchors
    for s in expiry.samples:
        cert = next(c for c in st.pki.certs.values() if c.sha256_hex == s.labels["sha256"])
        assert s.value == cert.cert.not_valid_after.replace(tzinfo=timezone.utc).timestamp()


@pytest.mark.log_allows(*ALLOWED)
def test_graceful_restart_starts_the_counters_afresh(st):
    run_mix(st)
    counts, _ = counters(st)
    assert counts["zone.test"]["zone"]["accepted"] > 0
    st.server.install(st.server.sites, st.server.global_lines)
    assert st.server.graceful().returncode == 0
    fresh, _ = counters(st)
    assert all(c["accepted"] == 0 and not any(c["rejected"].values())
               and not any(c["reported"].values())
               for v in fresh.values() for c in v.values()), fresh
    families = {f.name: f for f in text_string_to_metric_families(status(st, "prometheus"))}
    start = families["cfaop_counters_start_timestamp_seconds"].samples[0].value
    assert start > 0
    st.client.curl("zone.test", cert=st.pki.zone_leaf)
    assert counters(st)[0]["zone.test"]["zone"]["accepted"] == 1


DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")


def documented_examples(name):
    """The <Location ...cfaop-status> blocks of an Apache example in a docs file."""
    text = open(os.path.join(DOCS, name)).read()
    return re.findall(r'(<Location "/cfaop-status">.*?</Location>)', text, re.S)


@pytest.mark.log_allows(r"AH01630: ")
@pytest.mark.parametrize("name", ["mod_cfaop.md", "monitoring.md"])
def test_documented_example_is_protected(server_factory, pki, name):
    """The handler as the docs show it refuses a client its Require lines do not name:
    the docs never show an open handler."""
    blocks = documented_examples(name)
    assert blocks, f"no cfaop-status example in {name}"
    for block in blocks:
        lines = [l.strip() for l in block.splitlines() if l.strip() and not l.strip().startswith("#")]
        assert any(l.startswith("Require ") for l in lines), block
        assert not any(l in ("Require all granted",) for l in lines), block
        env = server_factory(f"docs-{name}", [Site("admin.test", lines, protected=False)])
        r = env.client.curl("admin.test", path="/cfaop-status")
        assert r.status == 403 and "cfaop-policy/1" not in r.body, r
        env.stop()


@pytest.mark.log_allows(r"AH01630: ")
def test_unprotected_handler_would_serve_anyone(server_factory, pki):
    """Control: the same block without its Require serves the document to this client."""
    lines = [l.strip() for l in documented_examples("mod_cfaop.md")[0].splitlines()
             if l.strip() and not l.strip().startswith(("#", "Require"))]
    lines.insert(-1, "Require all granted")
    env = server_factory("docs-open", [Site("admin.test", lines, protected=False)])
    r = env.client.curl("admin.test", path="/cfaop-status")
    assert r.status == 200 and "cfaop-policy/1" in r.body, r
    env.stop()
