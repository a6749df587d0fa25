"""Every certificate id the tool shows comes with the subject CN and the expiry
of that certificate (SPEC 5.4), in tables, lines and --json: read from the PEM
the API returns, else from the API's expires_on."""
import json


def iso(cert):
    return cert.cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")


def cn(cert):
    return cert.cert.subject.rfc4514_string().split("CN=")[1]


def line_with(text, cert_id):
    lines = [line for line in text.splitlines() if cert_id in line]
    assert len(lines) == 1, text
    return lines[0]


def assert_named(obj, cert, cert_id=None):
    """A JSON object that names CERT: its id, CN and expiry."""
    if cert_id:
        assert obj.get("id", obj.get("cert_id")) == cert_id, obj
    assert obj["subject_cn"] == cn(cert) and obj["expires_on"] == iso(cert), obj
    assert isinstance(obj["days_left"], int), obj


def test_lists_and_shows(env, pki):
    zone, host = pki.leaf("zone-cn"), pki.leaf("host-cn", days=200)
    zid = env.cf.add_zone_cert(env.zone_id, zone.cert_pem, zone.key_pem)
    hid = env.cf.add_hostname_cert(env.zone_id, host.cert_pem, host.key_pem)
    env.cf.set_association(env.zone_id, "app.example.com", hid)
    for args, cert, cid in ((("zone", "list"), zone, zid), (("hostname", "certs"), host, hid)):
        p = env.run(*args)
        assert p.returncode == 0, p.stderr
        row = line_with(p.stdout, cid)
        assert cn(cert) in row and iso(cert) in row, row
        assert "CN" in p.stdout.splitlines()[0]
        doc = json.loads(env.run("--json", *args).stdout)
        assert_named(doc["certificates"][0], cert, cid)
    for args, cert in ((("zone", "show", zid), zone), (("hostname", "cert", hid), host)):
        p = env.run(*args)
        assert "subject_cn     " + cn(cert) in p.stdout and iso(cert) in p.stdout, p.stdout
        assert_named(json.loads(env.run("--json", *args).stdout)["certificate"], cert)
    p = env.run("status", "app.example.com")
    for cert, cid in ((zone, zid), (host, hid)):
        assert [l for l in p.stdout.splitlines()
                if cid in l and cn(cert) in l and iso(cert) in l], p.stdout
    assert "cert %s (CN=%s, expires %s" % (hid, cn(host), iso(host)) in p.stdout, p.stdout
    doc = json.loads(env.run("--json", "status", "app.example.com").stdout)
    assert_named(doc["zone_aop"]["certificates"][0], zone, zid)
    assert_named(doc["hostname_certificates"][0], host, hid)
    assert_named(doc["hostnames"][0], host, hid)
    p = env.run("hostname", "show", "app.example.com")
    assert "cert %s (CN=%s, expires %s" % (hid, cn(host), iso(host)) in p.stdout, p.stdout
    assert_named(json.loads(env.run("--json", "hostname", "show", "app.example.com")
                            .stdout)["hostnames"][0], host, hid)


def test_the_pem_wins_over_the_apis_fields_and_they_stand_in_without_it(env, pki):
    leaf = pki.leaf("pem-cn")
    cid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    with env.cf.app.lock:
        env.cf.app.certs[cid].expires_on = "2099-01-01T00:00:00Z"
    cert = json.loads(env.run("--json", "zone", "show", cid).stdout)["certificate"]
    assert_named(cert, leaf, cid)
    # An answer without the PEM: the API's expiry, no CN to show.
    with env.cf.app.lock:
        env.cf.app.certs[cid].pem = None
    cert = json.loads(env.run("--json", "zone", "show", cid).stdout)["certificate"]
    assert cert["expires_on"] == "2099-01-01T00:00:00Z" and cert["subject_cn"] is None, cert
    assert cert["sha256"] is None and cert["days_left"] > 20000
    row = line_with(env.run("zone", "list").stdout, cid)
    assert "2099-01-01T00:00:00Z" in row and " - " in row, row


def test_changes_name_the_certificates_they_touch(env, pki):
    old, new = pki.leaf("old-zone"), pki.leaf("new-zone")
    old_id = env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)
    p = env.run("--json", "zone", "rotate", *new.args())
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert_named(doc["certificate"], new, doc["id"])
    assert len(doc["deleted"]) == 1
    assert_named(doc["deleted"][0], old, old_id)
    assert "rotated: zone certificate %s (CN=%s, expires %s" % (doc["id"], cn(new), iso(new)) \
        in p.stderr, p.stderr
    assert "deleted zone certificate %s (CN=%s" % (old_id, cn(old)) in p.stderr, p.stderr

    host_old, host_new = pki.leaf("old-host"), pki.leaf("new-host")
    p = env.run("hostname", "enable", "app.example.com", *host_old.args())
    assert p.returncode == 0, p.stderr
    host_old_id = env.hostname_certs()[0]["id"]
    assert "app.example.com: enabled with cert %s (CN=%s, expires %s" % (
        host_old_id, cn(host_old), iso(host_old)) in p.stdout, p.stdout
    p = env.run("--json", "hostname", "rotate", "app.example.com", *host_new.args())
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert_named(doc["certificate"], host_new, doc["id"])
    assert_named(doc["deleted"][0], host_old, host_old_id)
    doc = json.loads(env.run("--json", "hostname", "disable", "app.example.com").stdout)
    assert_named(doc["hostnames"][0], host_new, doc["hostnames"][0]["cert_id"])
    doc = json.loads(env.run("--json", "zone", "delete", "--force", doc_id(env)).stdout)
    assert_named(doc["deleted"][0], new)


def doc_id(env):
    live = [c for c in env.zone_certs() if c["status"] == "active"]
    assert len(live) == 1, live
    return live[0]["id"]
