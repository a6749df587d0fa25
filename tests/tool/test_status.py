"""status: one view of every level, and its warnings."""

import json

HOST = "app.example.com"


def _warnings(p):
    return [l for l in p.stderr.splitlines() if l.startswith("warning:")]


def test_status_all_levels(env, pki):
    z, h = pki.leaf(), pki.leaf()
    zid = env.cf.add_zone_cert(env.zone_id, z.cert_pem, z.key_pem)
    hid = env.cf.add_hostname_cert(env.zone_id, h.cert_pem, h.key_pem)
    env.cf.set_association(env.zone_id, HOST, hid)
    env.run("zone", "on")
    env.run("global", "on")
    p = env.run("status", HOST, "nothing.example.com")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for text in ("SSL/TLS mode           full", "global AOP             on",
                 "zone-level AOP         on", zid, z.sha256_hex, hid, h.sha256_hex, HOST,
                 "nothing.example.com", "no association"):
        assert text in out, text
    assert _warnings(p) == []
    doc = json.loads(env.run("--json", "status", HOST).stdout)
    assert doc["ssl_mode"] == "full" and doc["global_aop"] == "on"
    assert doc["zone_aop"]["enabled"] is True
    assert doc["zone_aop"]["certificates"][0]["sha256"] == z.sha256_hex
    assert doc["hostname_certificates"][0]["id"] == hid
    assert doc["hostnames"][0]["cert_id"] == hid and doc["hostnames"][0]["enabled"] is True


def test_status_warns_flexible_mode(env):
    env.run("ssl-mode", "flexible")
    p = env.run("status")
    assert any("'flexible'" in w for w in _warnings(p))
    assert p.returncode == 0


def test_status_warns_enabled_without_active_certificate(env, pki):
    leaf = pki.leaf()
    env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem, status="deployment_timed_out")
    env.run("zone", "on")
    p = env.run("--json", "status")
    assert any("no zone certificate is active" in w for w in _warnings(p))
    assert any("no zone certificate is active" in w for w in json.loads(p.stdout)["warnings"])


def test_status_warns_expiry_within_30_days(env, pki):
    leaf = pki.leaf(days=12)
    cid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("status")
    assert any(cid in w and "expires in 1" in w for w in _warnings(p)), p.stderr


def test_status_warns_two_active_zone_certificates(env, pki):
    for _ in range(2):
        leaf = pki.leaf()
        env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("status")
    assert any("2 zone certificates are active" in w for w in _warnings(p))


def test_status_warns_association_on_inactive_certificate(env, pki):
    leaf = pki.leaf()
    hid = env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.cf.set_association(env.zone_id, HOST, hid)
    env.cf.force_cert_status(hid, "deployment_timed_out")
    p = env.run("status", HOST)
    assert any(HOST in w and "deployment_timed_out" in w for w in _warnings(p)), p.stderr


def test_status_is_read_only(env, pki):
    env.run("zone", "upload", *pki.leaf().args())
    env.cf.clear_requests()
    assert env.run("status", HOST).returncode == 0
    assert env.mutating() == []
