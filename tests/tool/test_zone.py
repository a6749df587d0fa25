"""Zone-level AOP: enablement, certificates, deletion guard, rotation."""

import json


def test_zone_on_off(env, pki):
    env.run("zone", "upload", *pki.leaf().args())
    p = env.run("zone", "on")
    assert p.returncode == 0 and p.stdout.strip() == "on"
    assert env.cf.state()["settings"][env.zone_id]["origin_tls_client_auth"]["enabled"] is True
    puts = env.requests("PUT", "/origin_tls_client_auth/settings")
    assert [r["json"] for r in puts] == [{"enabled": True}]
    # Already on: no second PUT.
    assert env.run("zone", "on").returncode == 0
    assert len(env.requests("PUT")) == 1
    p = env.run("--json", "zone", "off")
    assert json.loads(p.stdout)["zone_aop"] is False
    assert env.requests("PUT")[-1]["json"] == {"enabled": False}


def test_zone_on_without_certificate_warns(env):
    p = env.run("zone", "on")
    assert p.returncode == 0
    assert "warning: zone-level AOP enabled without an active zone certificate" in p.stderr


def test_upload_prints_id_and_is_idempotent(env, pki):
    leaf = pki.leaf()
    first = env.run("zone", "upload", *leaf.args())
    assert first.returncode == 0
    cert_id = first.stdout.strip()
    assert [c["id"] for c in env.zone_certs()] == [cert_id]
    second = env.run("--json", "zone", "upload", *leaf.args())
    assert second.returncode == 0
    doc = json.loads(second.stdout)
    assert doc["certificate"]["id"] == cert_id and doc["reused"] is True
    assert doc["certificate"]["sha256"] == leaf.sha256_hex
    assert len(env.requests("POST")) == 1
    assert len(env.zone_certs()) == 1


def test_upload_reuse_compares_der_not_text(env, pki, tmp_path):
    leaf = pki.leaf()
    env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    # The same certificate with other text around it, CRLF line ends.
    other = tmp_path / "same.pem"
    other.write_text("Bag Attributes\r\n    friendlyName: x\r\n" + leaf.cert_pem.replace("\n", "\r\n"))
    p = env.run("zone", "upload", "--cert", str(other), "--key", leaf.key_path)
    assert p.returncode == 0, p.stderr
    assert env.requests("POST") == []
    assert p.stdout.strip() == env.zone_certs()[0]["id"]


def test_list_show_with_local_sha256(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("zone", "list")
    assert p.returncode == 0 and cid in p.stdout and leaf.sha256_hex in p.stdout
    p = env.run("--json", "zone", "show", cid)
    cert = json.loads(p.stdout)["certificate"]
    assert cert["id"] == cid and cert["sha256"] == leaf.sha256_hex and cert["status"] == "active"
    assert 360 <= cert["days_left"] <= 365
    p = env.run("zone", "show", cid)
    assert "sha256         " + leaf.sha256_hex in p.stdout


def test_bad_certificates_refused_before_any_request(env, pki, tmp_path):
    good, other = pki.leaf(), pki.leaf()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    expired = pki.leaf(expired=True)
    cases = {
        "unparsable": ["--cert", str(garbage), "--key", good.key_path],
        "mismatch": ["--cert", good.cert_path, "--key", other.key_path],
        "expired": expired.args(),
        "key is not a key": ["--cert", good.cert_path, "--key", good.cert_path],
    }
    for name, args in cases.items():
        for cmd in (("zone", "upload"), ("zone", "rotate"), ("hostname", "upload")):
            p = env.run(*cmd, *args)
            assert p.returncode == 1, (name, cmd, p.stderr)
            assert "cfaop: error:" in p.stderr
    assert env.requests() == []
    p = env.run("zone", "upload", *expired.args())
    assert "expired" in p.stderr


def test_expiring_certificate_warns_but_uploads(env, pki):
    p = env.run("zone", "upload", *pki.leaf(days=10).args())
    assert p.returncode == 0
    assert "warning: the certificate in" in p.stderr and "expires in" in p.stderr


def test_delete_refuses_last_active_while_enabled(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.run("zone", "on")
    p = env.run("zone", "delete", cid)
    assert p.returncode == 1 and "last active zone certificate" in p.stderr
    assert env.requests("DELETE") == []
    p = env.run("zone", "delete", cid, "--force")
    assert p.returncode == 0 and p.stdout.strip() == cid
    assert len(env.requests("DELETE")) == 1


def test_delete_allowed_when_off_or_another_active(env, pki):
    a, b = pki.leaf(), pki.leaf()
    ida = env.cf.add_zone_cert(env.zone_id, a.cert_pem, a.key_pem)
    idb = env.cf.add_zone_cert(env.zone_id, b.cert_pem, b.key_pem)
    env.run("zone", "on")
    assert env.run("zone", "delete", ida).returncode == 0
    env.run("zone", "off")
    assert env.run("zone", "delete", idb).returncode == 0
    assert env.run("zone", "delete", "deadbeef-0000-0000-0000-000000000000").returncode == 4


def _delete_paths(env):
    return [r["path"] for r in env.requests("DELETE")]


def test_rotate_deletes_old_only_after_new_is_active(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.run("zone", "on")
    env.cf.set_activation(gets=3)
    env.cf.clear_requests()
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 0, p.stderr
    new_id = p.stdout.strip()
    assert new_id != old_id
    log = env.requests()
    delete_at = [i for i, r in enumerate(log) if r["method"] == "DELETE"]
    assert [log[i]["path"].rsplit("/", 1)[1] for i in delete_at] == [old_id]
    seen_active = [i for i, r in enumerate(log)
                   if r["method"] == "GET" and r["path"].endswith(new_id)
                   and json.loads(r["response"])["result"]["status"] == "active"]
    assert seen_active and seen_active[0] < delete_at[0]
    assert [c["id"] for c in env.zone_certs() if c["status"] == "active"] == [new_id]


def test_rotate_deployment_timed_out_keeps_old(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.fail_next_deployment("deployment_timed_out")
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 1
    assert "deployment_timed_out" in p.stderr
    assert env.requests("DELETE") == []
    assert old_id in [c["id"] for c in env.zone_certs()]


def test_rotate_wait_too_short_exits_5_and_keeps_old(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_activation(gets=1000)
    p = env.run("zone", "rotate", *new.args(), "--wait", "0.5")
    assert p.returncode == 5, p.stderr
    assert "timed out" in p.stderr
    assert env.requests("DELETE") == []
    ids = [c["id"] for c in env.zone_certs()]
    assert old_id in ids and len(ids) == 2


def test_interrupted_rotation_rerun_converges(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_activation(gets=1000)
    assert env.run("zone", "rotate", *new.args(), "--wait", "0.2").returncode == 5
    env.cf.set_activation(gets=1)
    pending = [c for c in env.zone_certs() if c["id"] != old_id]
    assert len(pending) == 1
    # The deployment finishes later; the re-run reuses the uploaded cert.
    env.cf.force_cert_status(pending[0]["id"], "active")
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == pending[0]["id"]
    assert len(env.requests("POST")) == 1
    assert [c["id"] for c in env.zone_certs() if c["status"] != "pending_deletion"] == [pending[0]["id"]]
    # And once more: nothing to do, nothing uploaded, nothing deleted.
    n_post, n_del = len(env.requests("POST")), len(env.requests("DELETE"))
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 0
    assert (len(env.requests("POST")), len(env.requests("DELETE"))) == (n_post, n_del)


def test_rotate_failed_delete_is_reported_and_rerun_finishes(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.inject("DELETE", old_id, "success_false", status=400,
                  errors=[{"code": 1100, "message": "Injected delete failure"}])
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 1
    assert "API error 1100: Injected delete failure" in p.stderr
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 0
    assert len(env.requests("POST")) == 1


def test_rotate_waits_for_an_older_upload_still_deploying(env, pki):
    older, new = pki.leaf(), pki.leaf()
    env.cf.set_activation(gets=4)
    assert env.run("zone", "upload", *older.args()).returncode == 0
    older_id = env.zone_certs()[0]["id"]
    assert env.zone_certs()[0]["status"] == "pending_deployment"
    p = env.run("zone", "rotate", *new.args())
    assert p.returncode == 0, p.stderr
    new_id = p.stdout.strip()
    log = env.requests()
    dele = [i for i, r in enumerate(log) if r["method"] == "DELETE"]
    assert [log[i]["path"].rsplit("/", 1)[1] for i in dele] == [older_id]
    assert all(r["status"] == 200 for r in env.requests("DELETE"))
    live = [c["id"] for c in env.zone_certs() if c["status"] in ("active", "pending_deployment")]
    assert live == [new_id]
