"""Per-hostname AOP: hostname certificates and associations."""

import json

HOST = "app.example.com"


def _put_items(env):
    return [item for r in env.requests("PUT", "/origin_tls_client_auth/hostnames")
            for item in r["json"]["config"]]


def test_hostname_upload_leaf_only(env, pki):
    ca = pki.leaf(is_ca=True)
    p = env.run("hostname", "upload", *ca.args())
    assert p.returncode == 1 and "CA certificate" in p.stderr and "leaf" in p.stderr
    assert env.requests() == []
    leaf = pki.leaf()
    p = env.run("hostname", "upload", *leaf.args())
    assert p.returncode == 0
    cid = p.stdout.strip()
    assert [c["id"] for c in env.hostname_certs()] == [cid]
    # Idempotent like the zone upload.
    assert env.run("hostname", "upload", *leaf.args()).stdout.strip() == cid
    assert len(env.requests("POST")) == 1


def test_zone_upload_of_a_ca_only_warns(env, pki):
    p = env.run("zone", "upload", *pki.leaf(is_ca=True).args())
    assert p.returncode == 0 and "warning:" in p.stderr and "CA certificate" in p.stderr


def test_hostname_certs_and_cert(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("hostname", "certs")
    assert p.returncode == 0 and cid in p.stdout and leaf.sha256_hex in p.stdout
    p = env.run("--json", "hostname", "cert", cid)
    assert json.loads(p.stdout)["certificate"]["sha256"] == leaf.sha256_hex
    assert env.run("hostname", "cert", "9b98f1cd-b844-4411-ac87-bf3f4de16e32").returncode == 4


def test_hostname_limit_of_ten_checked_before_upload(env, pki):
    for _ in range(10):
        leaf = pki.leaf()
        env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("hostname", "upload", *pki.leaf().args())
    assert p.returncode == 1 and "10" in p.stderr
    assert env.requests("POST") == []


def test_enable_with_cert_id(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("hostname", "enable", HOST, "WWW.Example.COM.", "--cert-id", cid)
    assert p.returncode == 0, p.stderr
    assert _put_items(env) == [
        {"hostname": HOST, "cert_id": cid, "enabled": True},
        {"hostname": "www.example.com", "cert_id": cid, "enabled": True},
    ]
    assert {a["hostname"] for a in env.associations()} == {HOST, "www.example.com"}


def test_enable_with_cert_and_key_uploads_then_associates(env, pki):
    leaf = pki.leaf()
    p = env.run("--json", "hostname", "enable", HOST, *leaf.args())
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    cid = env.hostname_certs()[0]["id"]
    assert doc["hostnames"][0]["cert_id"] == cid
    methods = [r["method"] for r in env.requests() if r["method"] != "GET"]
    assert methods == ["POST", "PUT"]


def test_enable_with_zone_cert_id_shows_api_1415(env, pki):
    leaf = pki.leaf()
    zid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    p = env.run("hostname", "enable", HOST, "--cert-id", zid)
    assert p.returncode == 4
    assert ("cfaop: error: API error 1415: Certificate ID in request is either invalid or the "
            "certificate has been deleted") in p.stderr


def test_disable_sends_false_and_remove_sends_null_with_cert_id(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.cf.set_association(env.zone_id, HOST, cid)
    p = env.run("hostname", "disable", HOST)
    assert p.returncode == 0, p.stderr
    p = env.run("hostname", "remove", HOST)
    assert p.returncode == 0, p.stderr
    items = _put_items(env)
    assert items == [{"hostname": HOST, "cert_id": cid, "enabled": False},
                     {"hostname": HOST, "cert_id": cid, "enabled": None}]
    # The raw body really holds JSON null, not a string or an absent key.
    raw = env.requests("PUT")[-1]["body"]
    assert '"enabled":null' in raw.replace(" ", "")
    assert env.associations() == []
    # Each PUT was preceded by a lookup of the current association.
    log = env.requests()
    for i, r in enumerate(log):
        if r["method"] == "PUT":
            assert log[i - 1]["method"] == "GET" and log[i - 1]["path"].endswith("/hostnames/" + HOST)


def test_disable_and_remove_without_association(env):
    p = env.run("hostname", "disable", HOST)
    assert p.returncode == 4 and "no hostname association" in p.stderr
    p = env.run("hostname", "remove", HOST)
    assert p.returncode == 0          # already in the wanted state
    assert env.requests("PUT") == []


def test_show(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.cf.set_association(env.zone_id, HOST, cid)
    p = env.run("--json", "hostname", "show", HOST)
    assert p.returncode == 0
    h = json.loads(p.stdout)["hostnames"][0]
    assert (h["cert_id"], h["enabled"], h["status"], h["sha256"]) == (cid, True, "active", leaf.sha256_hex)
    p = env.run("hostname", "show", HOST, "other.example.com")
    assert p.returncode == 4
    assert HOST in p.stdout and "other.example.com" in p.stdout and "no association" in p.stdout


def test_delete_cert_refuses_while_named_host_uses_it(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_hostname_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.cf.set_association(env.zone_id, HOST, cid)
    p = env.run("hostname", "delete-cert", cid, HOST)
    assert p.returncode == 1 and "still uses it" in p.stderr
    assert env.requests("DELETE") == []
    # --force sends it; the API's own refusal is shown with its code.
    p = env.run("hostname", "delete-cert", cid, HOST, "--force")
    assert p.returncode == 1 and "API error 1409" in p.stderr
    env.run("hostname", "remove", HOST)
    p = env.run("hostname", "delete-cert", cid, HOST)
    assert p.returncode == 0 and p.stdout.strip() == cid


def test_hostname_rotate(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
    for h in (HOST, "www.example.com"):
        env.cf.set_association(env.zone_id, h, old_id)
    env.cf.set_activation(gets=2)
    env.cf.clear_requests()
    p = env.run("hostname", "rotate", HOST, "www.example.com", *new.args())
    assert p.returncode == 0, p.stderr
    new_id = p.stdout.strip()
    log = env.requests()
    put = [i for i, r in enumerate(log) if r["method"] == "PUT"]
    dele = [i for i, r in enumerate(log) if r["method"] == "DELETE"]
    assert len(put) == 1 and len(dele) == 1
    assert log[dele[0]]["path"].endswith(old_id)
    assert log[put[0]]["json"]["config"] == [
        {"hostname": HOST, "cert_id": new_id, "enabled": True},
        {"hostname": "www.example.com", "cert_id": new_id, "enabled": True}]
    # The certificate was seen active before the PUT, each association
    # active before the DELETE.
    def active_seen(path_end, before):
        return any(r["method"] == "GET" and r["path"].endswith(path_end) and r["status"] == 200
                   and json.loads(r["response"])["result"]["status"] == "active"
                   for r in log[:before])
    assert active_seen(new_id, put[0])
    assert active_seen("/hostnames/" + HOST, dele[0])
    assert active_seen("/hostnames/www.example.com", dele[0])
    assert {a["cert_id"] for a in env.associations()} == {new_id}


def test_hostname_rotate_keeps_old_cert_still_used_elsewhere(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_association(env.zone_id, HOST, old_id)
    env.cf.set_association(env.zone_id, "other.example.com", old_id)
    p = env.run("hostname", "rotate", HOST, *new.args())
    # The API refuses to delete a certificate in use: reported, exit 1,
    # and the rotated host is on the new certificate.
    assert p.returncode == 1
    assert "1409" in p.stderr
    assocs = {a["hostname"]: a["cert_id"] for a in env.associations()}
    assert assocs[HOST] != old_id and assocs["other.example.com"] == old_id


def test_hostname_rotate_timed_out_changes_nothing(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_association(env.zone_id, HOST, old_id)
    env.cf.fail_next_deployment()
    p = env.run("hostname", "rotate", HOST, *new.args())
    assert p.returncode == 1
    assert env.requests("PUT") == [] and env.requests("DELETE") == []
    assert env.associations()[0]["cert_id"] == old_id
