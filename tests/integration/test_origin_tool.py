"""cfaop check-origin, the guards and cfaop probe against a real Apache.

The origin's policy comes from the real module (`apache2 -t -D DUMP_CFAOP`,
or the running server's cfaop-status handler); the edge's state from the
fake Cloudflare API (tests/tool/fakecf), which also says which certificate
the edge presents right now (its test-only endpoint). Zone: scale.test, whose
names the integration PKI's server certificate covers (*.scale.test).
"""
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization

from harness.conf import Site
from harness.pki import mldsa_certificate
from lib.cfaop_env import CFAOP_BIN, Env as ToolEnv
from tool.fakecf import FakeCloudflare

ZONE = "scale.test"
WWW, APP, OPEN = "www.scale.test", "app.scale.test", "open.scale.test"
STATUS = ["<Location /cfaop-status>", "  SetHandler cfaop-status", "  Require local",
          "</Location>"]


@pytest.fixture(scope="module")
def cfaop_bin():
    assert os.path.isfile(CFAOP_BIN) and os.access(CFAOP_BIN, os.X_OK), \
        f"cfaop binary not found at {CFAOP_BIN} (build it with make, or set CFAOP_BIN)"
    return CFAOP_BIN


@pytest.fixture
def cf(tmp_path, pki, cfaop_bin):
    """The fake API with zone scale.test; --cacert trusts it and the origin's server CA."""
    with FakeCloudflare(tmp_path / "fakecf") as fake:
        bundle = tmp_path / "cacert.pem"
        bundle.write_text(open(fake.ca_file).read() + pki.srv_ca.cert_pem)
        env = ToolEnv(fake, cfaop_bin, tmp_path, zone_name=ZONE, cacert=str(bundle))
        fake.set_activation(gets=0)
        yield env


_made = {}


def dump(server_factory, name, sites, path):
    """The module's document for SITES (apache2 -t -D DUMP_CFAOP), written to PATH."""
    if name not in _made:
        _made[name] = server_factory(name, sites, start=False)
    srv = _made[name].server
    srv.install(sites)
    r = srv.ctl("-t", "-D", "DUMP_CFAOP")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["format"] == "cfaop-policy/1"
    path.write_text(r.stdout)
    return str(path)


def zone_site(pki, *extra, name=WWW, aliases=(APP,)):
    return Site(name, ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}",
                       f"CFAOPHostnameCACertificateFile {APP} {pki.host_ca.cert_path}",
                       *extra], aliases=list(aliases))


def clean_edge(env, pki):
    """Zone-level on with zone_leaf; app.scale.test associated with host_leaf."""
    cf, z = env.cf, env.zone_id
    with cf.app.lock:
        cf.app.zones[z].aop_enabled = True
    ids = {"zone": cf.add_zone_cert(z, pki.zone_leaf.cert_pem, pki.zone_leaf.key_pem)}
    ids["host"] = cf.add_hostname_cert(z, pki.host_leaf.cert_pem, pki.host_leaf.key_pem)
    cf.set_association(z, APP, ids["host"], enabled=True, status="active")
    return ids


def set_zone(env, **kw):
    with env.cf.app.lock:
        for k, v in kw.items():
            setattr(env.cf.app.zones[env.zone_id], k, v)


def check(env, *policies, json_out=True):
    args = ["--json"] if json_out else []
    for p in policies:
        args += ["--policy", p]
    p = env.run(*args, "check-origin")
    if json_out:
        p.doc = json.loads(p.stdout)
        p.rows = {(r["hostname"], r["origin"]): r for r in p.doc["hostnames"]}
    return p


def only_refused(p):
    return sorted({h for (h, _), r in p.rows.items() if r["refused"]})


# ----------------------------------------------------------------------
# check-origin: the seeded matrix


def test_clean_setup_exits_0(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-clean", [zone_site(pki)], tmp_path / "p.json")
    clean_edge(cf, pki)
    p = check(cf, doc)
    assert p.returncode == 0, p.stderr
    www, app = p.rows[(WWW, doc)], p.rows[(APP, doc)]
    assert (www["edge"]["level"], www["accepts"], www["scope"]) == ("zone", "yes", "zone")
    assert www["edge"]["sha256"] == pki.zone_leaf.sha256_hex
    assert (app["edge"]["level"], app["accepts"], app["scope"]) == ("hostname", "yes", "hostname")
    assert app["edge"]["subject_cn"] == "app.zone.test"
    # The human table says the same.
    p = check(cf, doc, json_out=False)
    assert p.returncode == 0 and "origin accepts  yes" in p.stdout and "REFUSED" not in p.stdout


def test_origin_pins_old_zone_certificate_while_edge_presents_new(cf, pki, server_factory,
                                                                  tmp_path):
    doc = dump(server_factory, "oc-pin", [zone_site(pki, f"CFAOPPin {pki.zone_leaf.cert_path}")],
               tmp_path / "p.json")
    clean_edge(cf, pki)
    assert check(cf, doc).returncode == 0
    # The newer active zone certificate is the one the edge uses.
    cf.cf.add_zone_cert(cf.zone_id, pki.zone_leaf2.cert_pem, pki.zone_leaf2.key_pem)
    p = check(cf, doc)
    assert p.returncode == 1
    assert only_refused(p) == [WWW]
    assert p.rows[(WWW, doc)]["edge"]["sha256"] == pki.zone_leaf2.sha256_hex
    assert p.rows[(WWW, doc)]["reason"] == "pin-mismatch"
    assert WWW in p.stderr


def test_association_to_a_certificate_the_hostname_policy_refuses(cf, pki, server_factory,
                                                                  tmp_path):
    doc = dump(server_factory, "oc-hpin",
               [zone_site(pki, f"CFAOPHostnamePin {APP} sha256:{pki.host_leaf.sha256_hex}")],
               tmp_path / "p.json")
    ids = clean_edge(cf, pki)
    assert check(cf, doc).returncode == 0
    other = cf.cf.add_hostname_cert(cf.zone_id, pki.host_leaf2.cert_pem, pki.host_leaf2.key_pem)
    cf.cf.set_association(cf.zone_id, APP, other, enabled=True, status="active")
    p = check(cf, doc)
    assert p.returncode == 1 and only_refused(p) == [APP]
    assert p.rows[(APP, doc)]["reason"] == "pin-mismatch" and APP in p.stderr
    assert ids["host"] != other


def test_enabled_false_on_an_enforced_hostname(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-clean", [zone_site(pki)], tmp_path / "p.json")
    ids = clean_edge(cf, pki)
    cf.cf.set_association(cf.zone_id, APP, ids["host"], enabled=False, status="active")
    p = check(cf, doc)
    assert p.returncode == 1 and only_refused(p) == [APP]
    assert p.rows[(APP, doc)]["edge"]["level"] == "none"
    assert "enabled: false" in p.rows[(APP, doc)]["edge"]["why"]


def test_global_on_while_origin_trusts_only_a_private_ca(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-private",
               [Site(WWW, ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"])],
               tmp_path / "p.json")
    set_zone(cf, tls_client_auth="on")
    p = check(cf, doc)
    assert p.returncode == 1 and only_refused(p) == [WWW]
    row = p.rows[(WWW, doc)]
    assert row["edge"]["level"] == "global" and "origin-pull CA" in row["reason"]
    # The same origin trusting Cloudflare's CA (the built-in anchor) accepts it.
    doc2 = dump(server_factory, "oc-builtin", [Site(WWW, ["CFAOPEngine on"])],
                tmp_path / "p2.json")
    assert check(cf, doc2).returncode == 0


def test_zone_on_without_an_active_certificate(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-private",
               [Site(WWW, ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"])],
               tmp_path / "p.json")
    set_zone(cf, aop_enabled=True)
    cf.cf.add_zone_cert(cf.zone_id, pki.zone_leaf.cert_pem, pki.zone_leaf.key_pem,
                        status="deployment_timed_out")
    p = check(cf, doc)
    assert p.returncode == 1 and only_refused(p) == [WWW]
    assert "without an active zone certificate" in p.rows[(WWW, doc)]["edge"]["why"]


def test_zone_and_global_off_while_origin_enforces(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-clean", [zone_site(pki)], tmp_path / "p.json")
    p = check(cf, doc)
    assert p.returncode == 1 and only_refused(p) == [APP, WWW]
    assert all(r["edge"]["level"] == "none" for r in p.rows.values())
    # Every refused hostname is named, not only the first.
    assert "2 protected hostname(s) would be refused" in p.stderr
    assert f"{WWW} (origin {doc}" in p.stderr and f"{APP} (origin {doc}" in p.stderr


def test_several_origins_that_disagree(cf, pki, server_factory, tmp_path):
    one = dump(server_factory, "oc-private",
               [Site(WWW, ["CFAOPEngine on", f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"])],
               tmp_path / "one.json")
    two = dump(server_factory, "oc-pin2",
               [Site(WWW, ["CFAOPEngine on", f"CFAOPPin sha256:{pki.zone_leaf2.sha256_hex}"])],
               tmp_path / "two.json")
    clean_edge(cf, pki)
    p = check(cf, one, two)
    assert p.returncode == 1
    assert p.rows[(WWW, one)]["accepts"] == "yes" and p.rows[(WWW, two)]["refused"] is True
    assert any(f"origins disagree on {WWW}" in w and two in w for w in p.doc["warnings"])
    assert two in p.stderr


def test_report_mode_warns_and_exits_0(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-report",
               [Site(WWW, ["CFAOPEngine on", "CFAOPMode report",
                           f"CFAOPPin sha256:{pki.zone_leaf2.sha256_hex}"])],
               tmp_path / "p.json")
    clean_edge(cf, pki)
    p = check(cf, doc)
    assert p.returncode == 0, p.stderr
    row = p.rows[(WWW, doc)]
    assert (row["mode"], row["accepts"], row["refused"]) == ("report", "no", False)
    assert any("report mode" in w and WWW in w for w in p.doc["warnings"])


def test_hostname_served_without_the_engine_warns(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-open",
               [Site(OPEN, [], protected=False), zone_site(pki)], tmp_path / "p.json")
    clean_edge(cf, pki)
    p = check(cf, doc)
    assert p.returncode == 0, p.stderr
    assert p.rows[(OPEN, doc)]["accepts"] == "open"
    assert any(OPEN in w and "without the engine" in w for w in p.doc["warnings"])


def test_pins_against_cloudflares_shared_certificate_are_unknown(cf, pki, server_factory,
                                                                  tmp_path):
    doc = dump(server_factory, "oc-cfpin",
               [Site(WWW, ["CFAOPEngine on", "CFAOPCACertificateFile cloudflare",
                           f"CFAOPPin sha256:{pki.cf_leaf.sha256_hex}"])],
               tmp_path / "p.json")
    set_zone(cf, tls_client_auth="on")
    p = check(cf, doc)
    assert p.returncode == 0, p.stderr
    row = p.rows[(WWW, doc)]
    assert (row["edge"]["level"], row["accepts"]) == ("global", "unknown")
    assert "cannot be downloaded" in row["reason"]
    p = check(cf, doc, json_out=False)
    assert "origin accepts  unknown: " in p.stdout and "nobody can tell" in p.stdout


def test_ml_dsa_edge_certificate_is_unsupported_with_the_reason(cf, pki, server_factory,
                                                               tmp_path):
    """The edge presents an ML-DSA zone certificate (Cloudflare accepts them since
    2026): OpenSSL 3.0 cannot verify it, and check-origin and the guards say so
    instead of a generic untrusted. (revoked cannot show here: a policy document
    names its CRLs but does not carry them.)"""
    doc = dump(server_factory, "oc-clean", [zone_site(pki)], tmp_path / "p.json")
    clean_edge(cf, pki)
    mldsa = tmp_path / "mldsa.pem"
    mldsa.write_bytes(mldsa_certificate(pki.zone_leaf.cert).public_bytes(
        serialization.Encoding.PEM))
    # The newest active zone certificate is the one the edge presents.
    new_id = cf.cf.add_zone_cert(cf.zone_id, mldsa.read_text(), pki.zone_leaf.key_pem)
    p = check(cf, doc)
    assert p.returncode == 1 and only_refused(p) == [WWW], p.stderr
    row = p.rows[(WWW, doc)]
    assert row["edge"]["cert_id"] == new_id
    assert row["edge"]["subject_cn"] == "zone.test origin pull"
    assert row["reason"].startswith("unsupported-algorithm (ML-DSA-44, "), row
    assert "OpenSSL 3.5 or later can" in row["reason"], row
    assert p.rows[(APP, doc)]["accepts"] == "yes"
    p = check(cf, doc, json_out=False)
    assert "origin accepts  no: unsupported-algorithm (ML-DSA-44" in p.stdout, p.stdout
    # A rotation to it is refused by the guard, with the same reason, before the upload.
    cf.cf.force_cert_status(new_id, "deleted")
    p = guarded(cf, doc, "zone", "rotate", "--cert", str(mldsa), "--key", pki.zone_leaf.key_path)
    assert p.returncode == 1 and writes(cf) == [], p.stderr
    assert "unsupported-algorithm (ML-DSA-44" in p.stderr, p.stderr


def test_wildcards_are_skipped_with_a_note(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-wild", [zone_site(pki, aliases=(APP, "*.scale.test"))],
               tmp_path / "p.json")
    clean_edge(cf, pki)
    p = check(cf, doc)
    assert p.returncode == 0
    assert [s["hostname"] for s in p.doc["skipped"]] == ["*.scale.test"]
    assert "not checked" in p.stderr


# ----------------------------------------------------------------------
# guards: refuse before any write


def writes(env):
    return [r for r in env.cf.requests() if r["method"] != "GET" and not r.get("edge")]


def guarded(env, doc, *args, extra_env=None):
    env.cf.clear_requests()
    return env.run("--json", *args, "--origin-policy", doc, env=extra_env)


def test_guard_zone_rotate_checks_the_new_certificate_before_upload(cf, pki, server_factory,
                                                                     tmp_path):
    doc = dump(server_factory, "oc-pin", [zone_site(pki, f"CFAOPPin {pki.zone_leaf.cert_path}")],
               tmp_path / "p.json")
    clean_edge(cf, pki)
    new = pki.zone_leaf2
    p = guarded(cf, doc, "zone", "rotate", *new.args())
    assert p.returncode == 1, p.stderr
    assert writes(cf) == [], "the guard let a write through"
    assert "refusing" in p.stderr and WWW in p.stderr
    out = json.loads(p.stdout)["origin_check"]
    assert out["blocked"] is True and out["refused"] == 1
    [row] = [r for r in out["hostnames"] if r["hostname"] == WWW]
    assert row["edge"]["sha256"] == new.sha256_hex and row["changed"] is True
    # --dry-run shows the verdict and writes nothing either.
    p = guarded(cf, doc, "--dry-run", "zone", "rotate", *new.args())
    assert p.returncode == 1 and writes(cf) == [] and "(dry run)" in p.stderr
    # --force goes ahead, with a warning.
    p = guarded(cf, doc, "zone", "rotate", *new.args(), "--force")
    assert p.returncode == 0, p.stderr
    assert [r["method"] for r in writes(cf)][:1] == ["POST"]
    assert any("--force" in w for w in json.loads(p.stdout)["warnings"])


def test_guard_allows_a_change_the_origin_accepts(cf, pki, server_factory, tmp_path):
    doc = dump(server_factory, "oc-clean", [zone_site(pki)], tmp_path / "p.json")
    ids = clean_edge(cf, pki)
    set_zone(cf, aop_enabled=False)
    cf.cf.set_association(cf.zone_id, APP, ids["host"], enabled=True, status="active")
    p = guarded(cf, doc, "zone", "on")
    assert p.returncode == 0, p.stderr
    assert [(r["method"], r["json"]) for r in writes(cf)] == [("PUT", {"enabled": True})]
    # The same, with the policy from the environment.
    p = cf.run("zone", "on", env={"CFAOP_ORIGIN_POLICY": doc})
    assert p.returncode == 0 and "no protected hostname is refused" in p.stderr


@pytest.mark.parametrize("case", ["zone off", "global on", "hostname disable",
                                  "hostname remove", "hostname enable", "hostname rotate",
                                  "zone delete"])
def test_guard_refuses_each_change_that_locks_the_origin_out(case, cf, pki, server_factory,
                                                             tmp_path):
    doc = dump(server_factory, "oc-guard",
               [zone_site(pki, f"CFAOPPin {pki.zone_leaf.cert_path}",
                          f"CFAOPHostnamePin {APP} sha256:{pki.host_leaf.sha256_hex}")],
               tmp_path / "p.json")
    ids = clean_edge(cf, pki)
    assert check(cf, doc).returncode == 0
    args, victim = {
        "zone off": (["zone", "off"], WWW),
        "global on": (["global", "on"], None),
        "hostname disable": (["hostname", "disable", APP], APP),
        "hostname remove": (["hostname", "remove", APP], APP),
        "hostname enable": (["hostname", "enable", APP, "--cert-id", None], APP),
        "hostname rotate": (["hostname", "rotate", APP, *pki.host_leaf2.args()], APP),
        "zone delete": (["zone", "delete", None], WWW),
    }[case]
    if case == "hostname enable":
        args[-1] = cf.cf.add_hostname_cert(cf.zone_id, pki.host_leaf2.cert_pem,
                                           pki.host_leaf2.key_pem)
    if case == "zone delete":
        # Two active zone certificates: deleting the newest leaves the one the pin refuses.
        args[-1] = cf.cf.add_zone_cert(cf.zone_id, pki.zone_leaf_rekey.cert_pem,
                                       pki.zone_leaf_rekey.key_pem)
        doc = dump(server_factory, "oc-guard2",
                   [zone_site(pki, f"CFAOPPin sha256:{pki.zone_leaf_rekey.sha256_hex}")],
                   tmp_path / "p2.json")
    if case == "global on":
        # Global on matters where nothing else presents: the hostname disabled.
        set_zone(cf, aop_enabled=False)
        cf.cf.set_association(cf.zone_id, APP, ids["host"], enabled=True, status="active")
        doc = dump(server_factory, "oc-private",
                   [Site(WWW, ["CFAOPEngine on",
                               f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"])],
                   tmp_path / "p3.json")
        victim = WWW
    before = cf.cf.state()
    p = guarded(cf, doc, *args)
    assert p.returncode == 1, (case, p.stdout, p.stderr)
    assert writes(cf) == [], case
    assert victim in p.stderr and "refusing" in p.stderr
    assert cf.cf.state() == before
    rows = json.loads(p.stdout)["origin_check"]["hostnames"]
    assert [r["hostname"] for r in rows if r["refused"] and r["changed"]] == [victim]


# ----------------------------------------------------------------------
# probe against the running origin


@pytest.fixture(scope="module")
def origin(server_factory, pki):
    sites = [
        # First vhost: answers https://127.0.0.1:PORT/ (no SNI), the status handler.
        Site("admin.test", STATUS, protected=False),
        Site(OPEN, [], protected=False),
        zone_site(pki),
    ]
    env = server_factory("origin-tool", sites)
    yield env
    env.stop()


def probe(env, origin_env, *args):
    p = env.run("--json", "probe", *args)
    p.doc = json.loads(p.stdout)
    return p


def addr(origin_env):
    return f"127.0.0.1:{origin_env.server.ports['main']}"


def test_probe_engine_off_is_origin_open(cf, origin):
    p = probe(cf, origin, OPEN, "--origin", addr(origin))
    assert p.returncode == 1
    [res] = p.doc["probes"]
    assert res["open"] is True and res["no_certificate"]["outcome"] == "served"
    assert "origin open" in p.stderr


@pytest.mark.log_allows(r"CFAOP00016")
def test_probe_enforcing_origin(cf, origin, pki):
    set_zone(cf, ssl="strict")
    p = probe(cf, origin, WWW, "--origin", addr(origin), *pki.zone_leaf.args())
    assert p.returncode == 0, p.stderr
    [res] = p.doc["probes"]
    assert res["server_certificate"]["verified"] is True
    assert res["no_certificate"]["outcome"] == "refused"
    assert res["throwaway"]["outcome"] == "refused"
    assert (res["real"]["outcome"], res["real"]["status"]) == ("served", 200)
    assert res["open"] is False and res["ok"] is True
    # A certificate the policy refuses (another CA's) is exit 1.
    p = probe(cf, origin, WWW, "--origin", addr(origin), *pki.host_leaf.args())
    assert p.returncode == 1
    assert p.doc["probes"][0]["real"]["outcome"] == "refused"
    assert "refuses the real certificate" in p.stderr


@pytest.mark.log_allows(r"CFAOP00016")
def test_probe_from_dns(cf, origin, pki):
    z = cf.zone_id
    # More records than one page holds: the tool reads every page.
    for i in range(120):
        cf.cf.add_dns_record(z, f"h{i}.scale.test", "A", "192.0.2.1")
    cf.cf.add_dns_record(z, WWW, "A", "192.0.2.99", proxied=False)  # grey cloud: not pulled
    cf.cf.add_dns_record(z, WWW, "A", "127.0.0.1")
    port = str(origin.server.ports["main"])
    p = probe(cf, origin, WWW, "--from-dns", "--port", port, *pki.zone_leaf.args())
    assert p.returncode == 0, p.stderr
    assert [r["origin"] for r in p.doc["probes"]] == [f"127.0.0.1:{port}"]
    pages = [r for r in cf.requests("GET") if r["path"].endswith("/dns_records")]
    assert len(pages) == 2 and pages[0]["query"]["proxied"] == "true"
    # A hostname without a proxied record is not pulled by Cloudflare.
    p = probe(cf, origin, "nothere.scale.test", "--from-dns", "--port", port)
    assert p.returncode == 1 and "no proxied DNS record" in p.stderr


def access_lines(origin_env):
    with open(origin_env.server.access_log) as f:
        return f.readlines()


@pytest.mark.log_allows(r"CFAOP00016")
def test_probe_never_pulls_from_an_origin_it_cannot_verify(cf, origin, pki, tmp_path,
                                                           cfaop_bin):
    # Without the origin's server CA its certificate does not verify: in Full mode
    # Cloudflare would connect anyway, but the probe presents no certificate, real or
    # throwaway, to a server it cannot authenticate (it could be anyone's).
    env = ToolEnv(cf.cf, cfaop_bin, tmp_path / "nocacert", zone_name="other.test")
    env.zone_name, env.zone_id = ZONE, cf.zone_id
    set_zone(cf, ssl="full")
    before = access_lines(origin)
    p = probe(env, origin, WWW, "--origin", addr(origin), *pki.zone_leaf.args())
    assert p.returncode == 1
    [res] = p.doc["probes"]
    assert res["server_certificate"]["verified"] is False and res["ok"] is False
    assert "throwaway" not in res and "real" not in res
    assert "not probed" in p.stderr and "--cacert" in p.stderr
    assert access_lines(origin) == before  # not one request reached the origin
    set_zone(cf, ssl="strict")
    p = probe(env, origin, WWW, "--origin", addr(origin), *pki.zone_leaf.args())
    assert p.returncode == 1 and "526" in p.stderr
    # With the origin's CA (--cacert) the same Full-mode origin is probed, verified.
    set_zone(cf, ssl="full")
    p = probe(cf, origin, WWW, "--origin", addr(origin), *pki.zone_leaf.args())
    assert p.returncode == 0, p.stderr
    [res] = p.doc["probes"]
    assert res["server_certificate"]["verified"] is True
    assert res["no_certificate"]["outcome"] == "refused" and res["real"]["outcome"] == "served"


def test_check_origin_reads_the_running_servers_status_handler(cf, origin, pki):
    clean_edge(cf, pki)
    url = f"https://127.0.0.1:{origin.server.ports['main']}/cfaop-status"
    p = check(cf, url)
    assert p.returncode == 0, p.stderr
    assert p.rows[(WWW, url)]["accepts"] == "yes" and p.rows[(OPEN, url)]["accepts"] == "open"
    set_zone(cf, aop_enabled=False)
    p = check(cf, url)
    assert p.returncode == 1 and WWW in p.stderr
